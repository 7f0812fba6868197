/*
 * runtime.c — the runtime process and the invocation in flight.
 *
 * The agent runs one runtime (python, node or a custom bootstrap) with
 * its stdout and stderr on pipes, and serves it the Lambda Runtime API.
 * An invocation moves host -> agent (POST /invoke, held) -> runtime (its
 * parked GET .../next is answered) -> agent (POST .../response) -> host
 * (the held /invoke is answered with the log and the result).  Past the
 * deadline the runtime's generation is killed (spawn.c: everything it
 * started dies with it) and the host gets a timeout; if the runtime dies,
 * the host gets a crash; either way a fresh runtime starts so the next
 * invocation works.  A new configuration (hot reload) restarts the
 * runtime once nothing is in flight.  Output goes to the invocation's log
 * and, line by line as it arrives, to log followers (stream.c); the agent
 * writes the START/END/REPORT lines around it.
 *
 * The Runtime API follows Lambda's states strictly: one GET .../next may
 * be parked at a time, and none while an invocation is being handled; a
 * second one is refused (403), never swapped in, so no process the
 * function started can take an event out of turn.  Connections of a
 * generation that ended are closed, and none carries over to the next.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define RUNTIME_INIT_LIMIT_MS 10000	/* runtime init budget, as on Lambda */
#define RUNTIME_PLATFORM_ROOM 4096	/* log kept for END and REPORT lines */

struct invocation {
	struct conn	*host;		/* who is waiting, NULL if they left */
	char		 reqid[64];	/* request id */
	char		*payload;	/* event bytes */
	size_t		 len;		/* event length */
	long		 timeout_ms;	/* budget for the handler */
	uint64_t	 t_arrive;	/* µs, monotonic */
	uint64_t	 t_deliver;	/* µs, when the runtime got the event */
	uint64_t	 deadline;	/* µs, monotonic */
	int		 delivered;	/* the runtime has the event */
	int		 cold;		/* the runtime was started for it */
	struct sbuf	 logs;		/* output captured during it */
};

static struct {
	struct spawn	 sp;		/* the generation running, sp.init 0 if none */
	uint64_t	 spawn_us;	/* when it was started */
	uint64_t	 init_us;	/* spawn to first /next, 0 once reported */
	int		 started;	/* has called /next at least once */
	int		 stale;		/* config changed: restart when idle */
	int		 init_failed;	/* reported /init/error: do not respawn */
	int		 prewarmed;	/* started before any function config */
	int		 restarting;	/* killed on purpose: replace, don't fail */
	int		 config_sent;	/* a prewarmed runtime got its config */
	struct conn	*next;		/* its parked GET .../next */
	struct conn	*cfgwait;	/* its parked GET .../hearth/config */
	struct sbuf	 init_error;	/* body of its /init/error */
	char		**argv;		/* command to run */
} rt;

static struct invocation *cur;		/* the invocation in flight */
static struct sbuf	 idle_logs;	/* output while no invocation runs */
static struct sbuf	 partial[2];	/* stdout, stderr: a line not yet ended */
static char		**cfg_env;	/* runtime environment from /configure */
static int		 configured;	/* /configure has been received */
static int		 prewarm;	/* start the runtime before /configure */

static const char *
cfg_get(const char *key)
{
	size_t	n = strlen(key);
	int	i;

	for (i = 0; cfg_env != NULL && cfg_env[i] != NULL; i++)
		if (strncmp(cfg_env[i], key, n) == 0 && cfg_env[i][n] == '=')
			return cfg_env[i] + n + 1;
	return NULL;
}

/*
 * Keep b under PROTO_LOG_MAX, saying so once when output is cut: the
 * runtime's output up to RUNTIME_PLATFORM_ROOM short of it, so that the
 * agent's own END and REPORT lines always fit.
 */
static void
log_append(struct sbuf *b, const char *p, size_t n, int platform)
{
	static const char cut[] = "\n[hearth: output truncated]\n";
	size_t		  max = PROTO_LOG_MAX - (platform ? 0 : RUNTIME_PLATFORM_ROOM);

	if (b->len + n <= max)
		sbuf_add(b, p, n);
	else if (b->len < max) {
		sbuf_add(b, p, max - b->len);
		if (!platform)
			sbuf_add(b, cut, sizeof cut - 1);
	}
}

/* Send the complete lines in partial[i] to the log stream. */
static void
log_lines(int i, int flush)
{
	static const char *source[] = { "stdout", "stderr" };
	struct sbuf	*p = &partial[i];
	char		*nl, *start = p->data;
	size_t		 left = p->len;

	while (left > 0 && (nl = memchr(start, '\n', left)) != NULL) {
		stream_log(cur != NULL ? cur->reqid : "", source[i], start,
		    nl - start);
		left -= nl - start + 1;
		start = nl + 1;
	}
	if (flush && left > 0) {
		stream_log(cur != NULL ? cur->reqid : "", source[i], start, left);
		left = 0;
	}
	memmove(p->data, start, left);
	p->len = left;
}

/*
 * Read whatever the runtime wrote: into the invocation's (or the idle)
 * log, and line by line to log followers as it arrives.
 */
void
runtime_drain(int fd)
{
	char	tmp[65536];
	ssize_t	n;
	int	i = fd == rt.sp.err_fd;

	if (fd == -1)
		return;
	while ((n = read(fd, tmp, sizeof tmp)) > 0) {
		log_append(cur != NULL ? &cur->logs : &idle_logs, tmp, n, 0);
		sbuf_add(&partial[i], tmp, n);
		if (partial[i].len > PROTO_LOG_MAX)
			log_lines(i, 1);	/* a line that never ends */
	}
	log_lines(i, 0);
}

/* A line the agent writes itself (START, END, REPORT, timeouts). */
static void
log_platform(const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if (cur != NULL) {
		log_append(&cur->logs, line, n, 1);
		log_append(&cur->logs, "\n", 1, 1);
	}
	stream_log(cur != NULL ? cur->reqid : "", "platform", line, n);
}

int
agent_runtime_pid(void)
{
	return (int)spawn_runtime_pid(&rt.sp);
}

int
agent_busy(void)
{
	return cur != NULL;
}

/* The runtime's peak RSS (what Lambda reports as Max Memory Used). */
static long
rt_max_rss_kb(void)
{
	pid_t	pid = spawn_runtime_pid(&rt.sp);

	return pid > 0 ? proc_status_kb((int)pid, "VmHWM") : 0;
}

/* Answer the host for the invocation in flight and forget it. */
static void
inv_finish(const char *status, const void *body, size_t len,
    const char *detail)
{
	struct sbuf	 hdr = { 0 }, all = { 0 };
	struct invocation *inv = cur;
	uint64_t	 dur;
	const char	*memsize;
	char		 init[64] = "";
	long		 rss;

	if (inv == NULL)
		return;
	runtime_drain(rt.sp.out_fd);
	runtime_drain(rt.sp.err_fd);
	log_lines(0, 1);
	log_lines(1, 1);
	dur = inv->delivered ? now_us() - inv->t_deliver : 0;
	rss = rt_max_rss_kb();
	if (strcmp(status, PROTO_STATUS_TIMEOUT) == 0)
		log_platform("%s Task timed out after %.2f seconds", inv->reqid,
		    inv->timeout_ms / 1000.0);
	log_platform("END RequestId: %s", inv->reqid);
	memsize = cfg_get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
	if (inv->cold && rt.init_us > 0)
		snprintf(init, sizeof init, "\tInit Duration: %.2f ms",
		    rt.init_us / 1000.0);
	log_platform("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: "
	    "%llu ms\tMemory Size: %s MB\tMax Memory Used: %ld MB%s%s%s",
	    inv->reqid, dur / 1000.0, (unsigned long long)(dur < 1000 ? 1 :
	    (dur + 999) / 1000), memsize != NULL ? memsize : "?",
	    (rss + 1023) / 1024, init,
	    strcmp(status, PROTO_STATUS_OK) != 0 ? "\tStatus: " : "",
	    strcmp(status, PROTO_STATUS_OK) != 0 ? status : "");
	stream_record(dur, strcmp(status, PROTO_STATUS_OK) != 0);
	sbuf_printf(&hdr, "%s: %s\r\n%s: %zu\r\n%s: %llu\r\n%s: %llu\r\n"
	    "%s: %ld\r\n", PROTO_H_STATUS, status,
	    PROTO_H_LOG_LENGTH, inv->logs.len,
	    PROTO_H_DURATION_US, (unsigned long long)dur,
	    PROTO_H_INIT_US, (unsigned long long)(inv->cold ? rt.init_us : 0),
	    PROTO_H_MAX_RSS_KB, rss);
	if (detail != NULL)
		sbuf_printf(&hdr, "%s: %s\r\n", PROTO_H_DETAIL, detail);
	if (inv->logs.len)
		sbuf_add(&all, inv->logs.data, inv->logs.len);
	if (len)
		sbuf_add(&all, body, len);
	if (inv->host != NULL)
		conn_reply(inv->host, 200, hdr.data, all.data, all.len);
	sbuf_free(&hdr);
	sbuf_free(&all);
	sbuf_free(&inv->logs);
	if (inv->cold)
		rt.init_us = 0;
	free(inv->payload);
	free(inv);
	cur = NULL;
	agent_last_active = now_us();
}

/*
 * Start the runtime.  A prewarmed start (pool instances, before any
 * function is assigned) gets a bare environment and HEARTH_PREWARM=1: the
 * bundled bootstraps then load themselves and park on
 * GET .../hearth/config until /configure supplies the function's
 * environment, so a claimed pool instance skips interpreter start-up.
 */
static void
rt_spawn(int warm)
{
	static char *bare[] = { (char *)"PATH=/usr/local/bin:/usr/bin:/bin",
	    (char *)"LANG=C.UTF-8", (char *)"HOME=/tmp",
	    (char *)PROTO_ENV_PREWARM "=1", NULL };
	int	i, n;
	char	**src = warm ? bare : cfg_env, **env;

	for (n = 0; src != NULL && src[n] != NULL; n++)
		;
	env = amalloc(sizeof *env * (n + 2));
	for (i = 0; i < n; i++)
		env[i] = src[i];
	env[n++] = (char *)"AWS_LAMBDA_RUNTIME_API=" PROTO_RUNTIME_API;
	env[n] = NULL;
	if (spawn_runtime(&rt.sp, rt.argv, env) == -1)
		die("start the runtime: %s", strerror(errno));
	free(env);
	rt.spawn_us = now_us();
	log_platform("INIT_START Runtime: %s%s", rt.argv[0], warm ?
	    " (prewarmed, waiting for a function)" : "");
	rt.init_us = 0;
	rt.started = 0;
	rt.stale = 0;
	rt.init_failed = 0;
	rt.init_error.len = 0;
	rt.prewarmed = warm;
	rt.config_sent = 0;
	rt.restarting = 0;
}

/* Hand the function's environment to a prewarmed runtime parked on it. */
static void
rt_send_config(void)
{
	struct sbuf	b = { 0 };
	int		i;

	if (rt.cfgwait == NULL || !configured)
		return;
	for (i = 0; cfg_env[i] != NULL; i++) {
		sbuf_add(&b, cfg_env[i], strlen(cfg_env[i]));
		sbuf_add(&b, "\n", 1);
	}
	conn_reply(rt.cfgwait, 200, NULL, b.data, b.len);
	sbuf_free(&b);
	rt.cfgwait = NULL;
	rt.config_sent = 1;
	rt.spawn_us = now_us();		/* the function's init starts now */
}

/* End the runtime's generation, every process of it; rt_reaped() cleans up. */
static void
rt_kill(void)
{
	if (rt.sp.init > 0)
		kill(rt.sp.init, SIGKILL);
}

/* The runtime exited: fail what it was doing and start a new one. */
static void
rt_reaped(int wstatus)
{
	char	 detail[128], body[512];
	int	 n;

	runtime_drain(rt.sp.out_fd);
	runtime_drain(rt.sp.err_fd);
	close(rt.sp.out_fd);
	close(rt.sp.err_fd);
	rt.sp.out_fd = rt.sp.err_fd = -1;
	/* Its connections die with it, parked ones and any still queued. */
	agent_runtime_reset();
	rt.next = rt.cfgwait = NULL;
	if (rt.restarting) {
		/* A hot reload: whatever waits is served by the new runtime. */
		rt.restarting = 0;
		rt_spawn(0);
		if (cur != NULL)
			cur->cold = 1;
		return;
	}
	if (WIFSIGNALED(wstatus))
		snprintf(detail, sizeof detail, "signal: %s",
		    WTERMSIG(wstatus) == SIGKILL ? "killed" : strsignal(WTERMSIG(wstatus)));
	else
		snprintf(detail, sizeof detail, "exit status %d", WEXITSTATUS(wstatus));
	if (cur != NULL) {
		if (rt.init_error.len != 0 && !cur->delivered)
			inv_finish(PROTO_STATUS_ERROR, rt.init_error.data,
			    rt.init_error.len, NULL);
		else {
			n = snprintf(body, sizeof body, "{\"errorType\": "
			    "\"Runtime.ExitError\", \"errorMessage\": \"RequestId: "
			    "%s Error: Runtime exited with error: %s\"}",
			    cur->reqid, detail);
			inv_finish(PROTO_STATUS_CRASH, body, n, detail);
		}
	}
	if (configured && !rt.init_failed)
		rt_spawn(0);
	else if (!configured && prewarm)
		rt_spawn(1);
}

static void
inv_deliver(void)
{
	struct sbuf	 hdr = { 0 };
	const char	*fn;

	if (cur == NULL || cur->delivered || rt.next == NULL || rt.restarting)
		return;
	fn = cfg_get("AWS_LAMBDA_FUNCTION_NAME");
	cur->t_deliver = now_us();
	cur->deadline = cur->t_deliver + (uint64_t)cur->timeout_ms * 1000;
	sbuf_printf(&hdr, "Content-Type: application/json\r\n"
	    "Lambda-Runtime-Aws-Request-Id: %s\r\n"
	    "Lambda-Runtime-Deadline-Ms: %llu\r\n"
	    "Lambda-Runtime-Invoked-Function-Arn: "
	    "arn:aws:lambda:local:000000000000:function:%s\r\n"
	    "Lambda-Runtime-Trace-Id: Root=1-%s\r\n",
	    cur->reqid, (unsigned long long)(epoch_ms() + cur->timeout_ms),
	    fn != NULL ? fn : "unknown", cur->reqid);
	conn_reply(rt.next, 200, hdr.data, cur->payload, cur->len);
	sbuf_free(&hdr);
	rt.next = NULL;
	cur->delivered = 1;
	log_platform("START RequestId: %s Version: $LATEST", cur->reqid);
}

/* Restart a stale runtime once nothing is in flight (hot reload). */
static void
rt_maybe_restart(void)
{
	if (rt.stale && cur == NULL && rt.sp.init > 0 && !rt.restarting) {
		log_platform("RELOAD runtime restarting with new code or "
		    "configuration");
		/*
		 * Its parked /next must not receive an event now: an
		 * invocation arriving before the reap waits for the new one.
		 */
		if (rt.next != NULL)
			conn_close(rt.next);
		rt_kill();
		rt.stale = 0;
		rt.restarting = 1;
		/* rt_reaped() starts the new one. */
	}
}

/* Replace the runtime's environment with "KEY=VALUE\n" lines. */
static void
config_set(const char *body, size_t len)
{
	char	*copy, *line, *save = NULL;
	int	 n = 0, i;

	for (i = 0; cfg_env != NULL && cfg_env[i] != NULL; i++)
		free(cfg_env[i]);
	free(cfg_env);
	copy = amalloc(len + 1);
	memcpy(copy, body, len);
	copy[len] = '\0';
	cfg_env = amalloc(sizeof *cfg_env);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strchr(line, '=') == NULL)
			continue;
		cfg_env = realloc(cfg_env, sizeof *cfg_env * (n + 2));
		if (cfg_env == NULL)
			die("out of memory");
		cfg_env[n++] = strdup(line);
	}
	cfg_env[n] = NULL;
	free(copy);
	configured = 1;
}

void
runtime_host_configure(struct conn *c, const char *body, size_t len)
{
	config_set(body, len);
	if (rt.sp.init == 0)
		rt_spawn(0);
	else if (rt.prewarmed && !rt.config_sent)
		rt_send_config();	/* or when it asks, if still loading */
	else {
		rt.stale = 1;
		rt_maybe_restart();
	}
	conn_reply(c, 204, NULL, NULL, 0);
}

void
runtime_host_invoke(struct conn *c, const char *body, size_t len)
{
	if (cur != NULL) {
		conn_reply(c, 409, NULL, "busy", 4);
		return;
	}
	if (!configured) {
		conn_reply(c, 503, NULL, "not configured", 14);
		return;
	}
	cur = calloc(1, sizeof *cur);
	if (cur == NULL)
		die("out of memory");
	cur->host = c;
	snprintf(cur->reqid, sizeof cur->reqid, "%s", c->req.reqid);
	cur->payload = amalloc(len);
	memcpy(cur->payload, body, len);
	cur->len = len;
	cur->timeout_ms = c->req.timeout_ms > 0 ? c->req.timeout_ms : 3000;
	cur->t_arrive = now_us();
	/* Output since the last invocation is this one's, as on Lambda. */
	cur->logs = idle_logs;
	memset(&idle_logs, 0, sizeof idle_logs);
	if (rt.sp.init == 0 || !rt.started || rt.restarting)
		cur->cold = 1;
	if (rt.sp.init == 0)
		rt_spawn(0);
	cur->deadline = cur->t_arrive + (uint64_t)(cur->timeout_ms +
	    (cur->cold ? RUNTIME_INIT_LIMIT_MS : 0)) * 1000;
	c->held = 1;
	inv_deliver();
}

/* Refuse a call the Runtime API's state does not allow now (as Lambda: 403). */
static void
rt_refuse(struct conn *c, const char *why)
{
	char	body[256];
	int	n;

	n = snprintf(body, sizeof body, "{\"errorMessage\": \"%s\", "
	    "\"errorType\": \"InvalidStateTransition\"}", why);
	conn_reply(c, 403, "Content-Type: application/json\r\n", body, n);
}

/* The error for a response over the payload limit, as Lambda words it. */
static void
rt_too_large(size_t len)
{
	char	err[256];
	int	m;

	m = snprintf(err, sizeof err, "{\"errorType\": "
	    "\"Function.ResponseSizeTooLarge\", \"errorMessage\": "
	    "\"Response payload size (%zu bytes) exceeded maximum "
	    "allowed payload size (%d bytes).\"}", len, PROTO_PAYLOAD_MAX);
	inv_finish(PROTO_STATUS_ERROR, err, m, NULL);
}

/* Handle a complete request on a runtime connection (the Runtime API). */
void
runtime_api(struct conn *c, const char *body, size_t len)
{
	char	id[64];

	switch (http_runtime_route(c->req.method, c->req.path, id, sizeof id)) {
	case ROUTE_NEXT:
		if (rt.next != NULL || rt.cfgwait != NULL) {
			rt_refuse(c, "a GET .../invocation/next is already waiting");
			return;
		}
		if (cur != NULL && cur->delivered) {
			rt_refuse(c, "the invocation in flight has no response yet");
			return;
		}
		if (!rt.started) {
			rt.started = 1;
			rt.init_us = now_us() - rt.spawn_us;
		}
		c->held = 1;
		rt.next = c;
		if (rt.stale && cur == NULL)
			rt_maybe_restart();
		else
			inv_deliver();
		return;
	case ROUTE_CONFIG:
		if (rt.cfgwait != NULL || rt.next != NULL || rt.config_sent ||
		    !rt.prewarmed) {
			rt_refuse(c, "no configuration to wait for");
			return;
		}
		c->held = 1;
		rt.cfgwait = c;
		rt_send_config();
		return;
	case ROUTE_INIT_ERROR:
		rt.init_failed = 1;
		rt.init_error.len = 0;
		sbuf_add(&rt.init_error, body, len);
		if (cur != NULL)
			inv_finish(PROTO_STATUS_ERROR, body, len, NULL);
		conn_reply(c, 202, NULL, NULL, 0);
		return;
	case ROUTE_RESPONSE:
	case ROUTE_ERROR:
		if (cur == NULL || !cur->delivered || strcmp(id, cur->reqid) != 0) {
			conn_reply(c, 400, NULL, "unknown request id", 18);
			return;
		}
		if (http_runtime_route(c->req.method, c->req.path, id,
		    sizeof id) == ROUTE_RESPONSE)
			inv_finish(PROTO_STATUS_OK, body, len, NULL);
		else
			inv_finish(PROTO_STATUS_ERROR, body, len, NULL);
		conn_reply(c, 202, NULL, NULL, 0);
		rt_maybe_restart();
		return;
	case ROUTE_UNKNOWN:
		break;
	}
	conn_reply(c, 404, NULL, NULL, 0);
}

/*
 * A request on c carries a body over the payload limit, which the agent
 * drops unread.  For the response in flight, that ends the invocation
 * with Lambda's error; the runtime is answered 413 once the body is gone.
 */
void
runtime_api_too_large(struct conn *c)
{
	char	id[64];

	if (http_runtime_route(c->req.method, c->req.path, id, sizeof id) ==
	    ROUTE_RESPONSE && cur != NULL && cur->delivered &&
	    strcmp(id, cur->reqid) == 0) {
		rt_too_large(c->req.body_len);
		rt_maybe_restart();
	}
}

/* A connection is closing: forget any part it played. */
void
runtime_forget_conn(struct conn *c)
{
	if (rt.next == c)
		rt.next = NULL;
	if (rt.cfgwait == c)
		rt.cfgwait = NULL;
	if (cur != NULL && cur->host == c)
		cur->host = NULL;
}

/* A child exited (SIGCHLD): only the end of the runtime's generation matters. */
void
runtime_reaped(int pid, int wstatus)
{
	if (pid == rt.sp.init && pid > 0)
		rt_reaped(spawn_reaped(&rt.sp, wstatus));
}

/* The runtime's output pipes, -1 when there is no runtime. */
void
runtime_fds(int *out, int *err)
{
	*out = rt.sp.out_fd;
	*err = rt.sp.err_fd;
}

/* Milliseconds to the invocation's deadline; -1 if nothing is in flight. */
long
runtime_timeout_ms(void)
{
	uint64_t	now = now_us();

	if (cur == NULL)
		return -1;
	return cur->deadline > now ? (long)((cur->deadline - now) / 1000) + 1 : 0;
}

/* Time the invocation out if its deadline has passed. */
void
runtime_check_deadline(void)
{
	char	body[256];
	int	len;

	if (cur == NULL || now_us() < cur->deadline)
		return;
	len = snprintf(body, sizeof body, "{\"errorType\": \"Sandbox.Timedout\", "
	    "\"errorMessage\": \"RequestId: %s Error: Task timed out after "
	    "%.2f seconds\"}", cur->reqid, cur->timeout_ms / 1000.0);
	rt_kill();
	inv_finish(PROTO_STATUS_TIMEOUT, body, len, "timeout");
}

int
runtime_idle(void)
{
	return cur == NULL;
}

void
runtime_stop(void)
{
	rt_kill();
}

/* The /health object; ready means the runtime is parked, waiting. */
void
runtime_health(struct sbuf *b)
{
	sbuf_printf(b, "{\"runtime_pid\": %d, \"busy\": %s, \"ready\": %s}",
	    (int)spawn_runtime_pid(&rt.sp), cur != NULL ? "true" : "false",
	    rt.next != NULL || rt.cfgwait != NULL ? "true" : "false");
}

/*
 * Start: the runtime command is argv; with warm it starts before any
 * function (pool sandboxes); config, if set, is a /configure body given at
 * birth, and the runtime starts at once.
 */
void
runtime_init(char **argv, int warm, const char *config)
{
	rt.argv = argv;
	rt.sp.out_fd = rt.sp.err_fd = rt.sp.status_fd = -1;
	prewarm = warm;
	if (config != NULL)
		config_set(config, strlen(config));
	if (configured)
		rt_spawn(0);
	else if (prewarm)
		rt_spawn(1);
}
