/*
 * proto.h — the wire format between hearth (host) and hearth-agent (guest).
 *
 * This is the only header shared by the host and the agent.  The agent
 * serves HTTP/1.1 on a socket only the host can reach (for the ns driver,
 * a unix socket whose listening fd the host passes in as fd 3; the socket
 * file never appears inside the sandbox).  Requests:
 *
 *   POST /configure	body: NUL-free "KEY=VALUE\n" lines, the runtime's
 *			environment.  Starts the runtime, or restarts it once
 *			it is idle if it was running (hot reload).
 *   POST /invoke	body: the event.  Headers carry the request id and
 *			timeout.  Answers 409 when an invocation is in
 *			flight (one at a time per instance, as on Lambda).
 *			Once the agent takes the event, and before the
 *			runtime can have it, it sends PROTO_ACCEPTED (an
 *			interim 102): an /invoke that got no byte of an
 *			answer was never started (agent-client.c).
 *			The reply body is the invocation's log — its output
 *			between START and END/REPORT lines, as on Lambda —
 *			(X-Hearth-Log-Length bytes) followed by the result.
 *   GET  /health	200 once the agent is serving.
 *   GET  /logs?follow=1  a chunked NDJSON stream of log lines as they are
 *			written: {ts, request_id, source, line}, source being
 *			stdout, stderr or platform (START/END/REPORT); the
 *			last lines first.
 *   GET  /stats	{invocations, errors, busy, runtime_pid, rss_kb,
 *			cpu_ms, p50_us, p99_us}; ?follow=1 streams one a
 *			second.
 *   POST /shutdown	the agent exits; the sandbox goes with it.
 *
 * In a microVM (the qemu driver) the agent is the guest's /init and listens
 * on PROTO_VM_GUEST_ADDR:PROTO_VM_PORT, which QEMU's user networking
 * forwards from a loopback port in the network namespace the shim and
 * QEMU share, which nothing else on the host can enter.  Even so, a host
 * connection must open with the line "HEARTH-TOKEN <token>\n" before its
 * first request (within a second).  The first token
 * and the agent's environment (HEARTH_* below) come as "KEY=VALUE" lines
 * in the fw_cfg file PROTO_VM_FW_CFG.  Two more requests exist:
 *
 *   POST /rekey	body "token=HEX\nseed=HEX\ntime_ms=N\n": the token from
 *			now on, PROTO_SEED_LEN bytes of entropy for the guest's
 *			RNG, the host's wall clock.  Sent after every boot and
 *			every restore from a snapshot.
 *   POST /quiesce	before a snapshot: drop the guest's clean caches, so
 *			the saved state holds what the runtime needs and not
 *			what booting read once (freed pages are zero:
 *			init_on_free=1).
 *   PUT  /code		body: a code bundle — entries "d MODE PATH\n",
 *			"f MODE SIZE PATH\n" followed by SIZE bytes, and
 *			"l SIZE PATH\n" followed by a SIZE-byte link target;
 *			paths relative, without "." or "..".  Unpacked into a
 *			new tmpfs that replaces /var/task, read-only.
 *
 * Inside, the agent serves the Lambda Runtime API on 127.0.0.1:9001 to the
 * runtime (/2018-06-01/runtime/invocation/next, .../response, .../error,
 * /2018-06-01/runtime/init/error), so bundled and custom runtimes work the
 * same way.  Runtimes that can start before they know their function
 * (the bundled bootstraps, when HEARTH_PREWARM is set) first park on
 * GET /2018-06-01/runtime/hearth/config, answered with the /configure body.
 */
#ifndef HEARTH_PROTO_H
#define HEARTH_PROTO_H

#define PROTO_LISTEN_FD		3	/* host socket passed to the agent */
#define PROTO_CONFIG_FD		4	/* ns: a /configure body at birth */
#define PROTO_RUNTIME_ADDR	"127.0.0.1"
#define PROTO_RUNTIME_PORT	9001
#define PROTO_RUNTIME_API	"127.0.0.1:9001"

#define PROTO_PATH_CONFIGURE	"/configure"
#define PROTO_PATH_INVOKE	"/invoke"
#define PROTO_PATH_HEALTH	"/health"
#define PROTO_PATH_LOGS		"/logs"		/* ?follow=1: NDJSON stream */
#define PROTO_PATH_STATS	"/stats"	/* ?follow=1: one object a second */
#define PROTO_PATH_SHUTDOWN	"/shutdown"
#define PROTO_PATH_REKEY	"/rekey"	/* microVMs */
#define PROTO_PATH_CODE		"/code"		/* microVMs */
#define PROTO_PATH_QUIESCE	"/quiesce"	/* microVMs */

/* microVMs: the agent's address in QEMU's user network, and the host's. */
#define PROTO_VM_GUEST_ADDR	"10.0.2.15"
#define PROTO_VM_HOST_ADDR	"10.0.2.2"
#define PROTO_VM_PORT		1051
#define PROTO_TOKEN_PREFIX	"HEARTH-TOKEN "
#define PROTO_TOKEN_LEN		32	/* hex digits */
#define PROTO_SEED_LEN		32	/* bytes of entropy in /rekey */
#define PROTO_VM_FW_CFG		"opt/hearth/env"	/* agent settings */
/*
 * A microVM's agent says PROTO_VM_READY_LINE ", protocol N" on its
 * console once it listens, N being the PROTO_VERSION it was built with.
 * The shim boots only an agent of its own version: an older one (say, an
 * image built before PROTO_ACCEPTED, version 2) would not acknowledge an
 * event it took, and the host would run that event again elsewhere.
 */
#define PROTO_VM_READY_LINE	"hearth-agent: vm ready"	/* on the console */
#define PROTO_VERSION		2	/* 2: PROTO_ACCEPTED acknowledges /invoke */
#define PROTO_VM_CMD_FILE	"/opt/hearth/cmd"	/* runtime argv, a line each */
#define PROTO_CODE_MAX		(250 * 1024 * 1024)	/* code, unpacked: Lambda's 250 MB */

#define PROTO_SANDBOX_UID	1051	/* sbx_user1051, as on Lambda */

/*
 * Host uids.  No two instances share a host uid: an ns sandbox whose PID 1
 * has host pid P maps its agent to PROTO_HOST_UID_BASE + 2P and its runtime
 * (uid 1051 inside) to PROTO_HOST_UID_BASE + 2P + 1; a microVM's QEMU with
 * host pid Q runs as PROTO_HOST_UID_BASE + 2Q.  A pid is unique among live
 * processes and everything an instance runs dies with that process, so
 * the uids need no bookkeeping.  pid_max is at most 2^22, so the range is
 * [BASE, BASE + 2^23), clear of systemd's container and foreign ranges.
 */
#define PROTO_HOST_UID_BASE	2013265920u	/* 0x78000000 */
#define PROTO_HOST_UID_SPAN	(1u << 23)

/* The interim answer to a POST /invoke the agent has taken. */
#define PROTO_ACCEPTED		"HTTP/1.1 102 Processing\r\n\r\n"

/* Request headers (host to agent). */
#define PROTO_H_REQUEST_ID	"X-Hearth-Request-Id"
#define PROTO_H_TIMEOUT_MS	"X-Hearth-Timeout-Ms"

/* Reply headers (agent to host) for /invoke. */
#define PROTO_H_STATUS		"X-Hearth-Status"	/* see below */
#define PROTO_H_LOG_LENGTH	"X-Hearth-Log-Length"	/* bytes of output first */
#define PROTO_H_DURATION_US	"X-Hearth-Duration-Us"	/* handler time */
#define PROTO_H_INIT_US		"X-Hearth-Init-Us"	/* 0 when warm */
#define PROTO_H_MAX_RSS_KB	"X-Hearth-Max-Rss-Kb"	/* runtime peak RSS */
#define PROTO_H_DETAIL		"X-Hearth-Detail"	/* why a crash happened */

#define PROTO_STATUS_OK		"ok"		/* body is the result */
#define PROTO_STATUS_ERROR	"error"		/* body is Lambda error JSON */
#define PROTO_STATUS_TIMEOUT	"timeout"	/* runtime killed at deadline */
#define PROTO_STATUS_CRASH	"crash"		/* runtime died mid-invocation */

/* Environment the host gives the agent at exec. */
#define PROTO_ENV_IDLE_TTL	"HEARTH_IDLE_TTL"	/* seconds; 0 = forever */
#define PROTO_ENV_FUNCTION_ARN	"HEARTH_FUNCTION_ARN"	/* the invoked function's ARN */
#define PROTO_ENV_PREWARM	"HEARTH_PREWARM"	/* start runtime unconfigured */
#define PROTO_ENV_TOKEN		"HEARTH_TOKEN"		/* microVM: first token */
#define PROTO_ENV_TMP_MB	"HEARTH_TMP_MB"		/* microVM: size of /tmp */
#define PROTO_ENV_HOSTNAME	"HEARTH_HOSTNAME"	/* microVM: uts name */

#define PROTO_LOG_MAX		(1024 * 1024)	/* output kept per invocation */
#define PROTO_PAYLOAD_MAX	(6 * 1024 * 1024) /* event and result, as on Lambda */
#define PROTO_HEADERS_MAX	(64 * 1024)	/* request or reply line + headers */
/*
 * The most a reply from an agent may hold: result, log and headers.  The
 * agent stays under it; the host reads no further and ends an instance
 * that sends more, since only a subverted agent would.
 */
#define PROTO_REPLY_MAX		(PROTO_PAYLOAD_MAX + PROTO_LOG_MAX + PROTO_HEADERS_MAX)
/*
 * Streams: the text of one log line in GET /logs?follow is cut at
 * PROTO_STREAM_TEXT_MAX bytes by the agent; the host drops a stream one
 * of whose NDJSON lines exceeds PROTO_STREAM_LINE_MAX (escaping can grow
 * text sixfold), and never holds more than PROTO_STREAM_BUF_MAX unread.
 */
#define PROTO_STREAM_TEXT_MAX	(16 * 1024)
#define PROTO_STREAM_LINE_MAX	(128 * 1024)
#define PROTO_STREAM_BUF_MAX	(1024 * 1024)

/*
 * In GET /logs?follow, "source" is "stdout" for everything the runtime
 * writes, to either descriptor: its stdout and stderr are one pipe, which
 * keeps the order they were written in (vm/agent/spawn.c); "platform" is
 * the agent's own lines, "hearth" a follower's count of what it missed.
 */

#endif
