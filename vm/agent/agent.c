/*
 * agent.c — hearth-agent, PID 1 of every sandbox and microVM.
 *
 * The agent is a small single-threaded event loop over three kinds of
 * connection: the host's, accepted on fd 3 (a socket the host created and
 * only the host can reach; proto.h lists the requests, invoke.c handles
 * /invoke), the runtime's (the Lambda Runtime API on 127.0.0.1:9001,
 * runtime.c), and followers of its log and stats streams (stream.c).
 * This file owns the loop and the connections: it frames what arrives
 * into requests (http.c parses their heads), routes each to the part
 * that answers it, and writes the answers back; as PID 1 it also reaps
 * every orphan in the sandbox.
 *
 * The agent is linked statically and uses nothing from the image, so any
 * image (busybox, alpine, distroless) can host it.
 *
 * What arrives on a connection is bounded before it is held: a request's
 * head within PROTO_HEADERS_MAX, its body within the limit for what it is
 * (the code bundle, an event, a response); a larger body is refused (413)
 * — or, for a function's response, dropped unread and reported as
 * Lambda's ResponseSizeTooLarge.  The host's connections and the
 * runtime's have separate slots, so neither can starve the other, and in
 * a microVM a connection that has not shown the token within
 * AGENT_AUTH_MS is closed.  The agent's own messages (its stderr, a host
 * file in an ns sandbox) are bounded too (util.c).
 *
 * Idle exit is a handshake, not a cut: once nothing has happened on the
 * host's side for the idle TTL (a connection accepted, a request read),
 * the agent stops the listener — new connections are refused, which the
 * host knows means "not sent" — takes the connections already queued,
 * serves what arrives on them, and exits once no answer waits to be
 * written and AGENT_DRAIN_MS have passed quietly.  Whatever it drops then
 * (a request on its way, a connection made in the instant before the
 * listener stopped) it had not acknowledged, so the host sends it
 * elsewhere (agent_ack, and the delivery rules at agent_request in
 * vm/agent-client.c); what it took is answered before it goes.
 */
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent.h"

struct conn		 conns[AGENT_MAX_CONNS];	/* every slot, fd -1 if free */
uint64_t		 agent_last_active;	/* µs: host activity, or an invocation ended */
static int		 host_fd = PROTO_LISTEN_FD; /* the host's listener */
static int		 runtime_fd = -1;	/* the Runtime API's listener */
static int		 sig_fd = -1;		/* SIGCHLD, as a descriptor */
static long		 idle_ttl_ms;	/* exit after this long idle; 0 never */
static int		 draining;	/* idle: listener stopped, exiting */

static void	 conn_accept(int lfd, enum conn_kind kind);

void
agent_set_idle_ttl(long seconds)
{
	idle_ttl_ms = seconds * 1000;
}

/* Exit; in a microVM, PID 1 exiting would panic the guest: reset it. */
void
agent_exit(int status)
{
	if (vm_mode) {
		fflush(NULL);
		vm_poweroff();
	}
	exit(status);
}


void
conn_reply(struct conn *c, int code, const char *extra, const void *body,
    size_t len)
{
	const char	*reason;

	switch (code) {
	case 200: reason = "OK"; break;
	case 202: reason = "Accepted"; break;
	case 204: reason = "No Content"; break;
	case 400: reason = "Bad Request"; break;
	case 403: reason = "Forbidden"; break;
	case 404: reason = "Not Found"; break;
	case 409: reason = "Conflict"; break;
	case 413: reason = "Payload Too Large"; break;
	default: reason = "Service Unavailable"; break;
	}
	sbuf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s\r\n",
	    code, reason, len, extra != NULL ? extra : "");
	if (len != 0)
		sbuf_add(&c->out, body, len);
	c->held = 0;
}

void
conn_close(struct conn *c)
{
	if (c->fd == -1)
		return;
	close(c->fd);
	c->fd = -1;
	sbuf_free(&c->in);
	sbuf_free(&c->out);
	c->out_off = 0;
	c->held = c->closing = c->parsed = 0;
	c->discard = 0;
	c->stream = STREAM_NONE;
	runtime_forget_conn(c);
	invoke_forget_conn(c);
}

/*
 * Tell the host that c's request is taken (PROTO_ACCEPTED), before any
 * of it reaches the runtime: the host counts a request that got no byte
 * of an answer as never sent, and sends it elsewhere.  So the bytes must
 * be with the host first: written at once, behind nothing still queued,
 * and in a microVM (TCP through QEMU) acknowledged by QEMU's user
 * network, which has then handed them to the shim's socket, within
 * AGENT_ACK_MS.  (Only the shim's dying in the instant it relays them
 * could still lose them; the VM goes with it.)  0 when they are with the
 * host; -1 when not, the request then not taken (c may be closed).
 */
int
agent_ack(struct conn *c)
{
	static const char ack[] = PROTO_ACCEPTED;
	uint64_t	  until;
	ssize_t		  n;
	int		  unacked;

	if (c->out_off < c->out.len)
		return -1;	/* an answer still queued: not behind it */
	n = write(c->fd, ack, sizeof ack - 1);
	if (n == (ssize_t)sizeof ack - 1) {
		if (!vm_mode)
			return 0;	/* a unix socket: in the host's queue */
		until = now_us() + AGENT_ACK_MS * 1000ULL;
		while (ioctl(c->fd, TIOCOUTQ, &unacked) == 0 && unacked > 0 &&
		    now_us() < until)
			poll(NULL, 0, 1);
		if (ioctl(c->fd, TIOCOUTQ, &unacked) == 0 && unacked == 0)
			return 0;
	}
	/* Part of it may be out: the connection cannot carry an answer. */
	if (n > 0)
		conn_close(c);
	return -1;
}

/*
 * The host side has been quiet for the idle TTL (or, draining, for
 * AGENT_DRAIN_MS): may the agent exit?  Not while an invocation runs,
 * nor while an answer waits to be written to a host connection (log and
 * stats followers aside: they never end).  Part of a request does not
 * hold it: not acknowledged, it goes elsewhere.
 */
static int
agent_may_exit(uint64_t now)
{
	long	quiet_ms;
	int	i;

	if (invoke_busy() || idle_ttl_ms <= 0 || now <= agent_last_active)
		return 0;
	quiet_ms = (long)((now - agent_last_active) / 1000);
	if (quiet_ms < (draining ? AGENT_DRAIN_MS : idle_ttl_ms))
		return 0;
	for (i = 0; i < AGENT_MAX_CONNS; i++)
		if (conns[i].fd != -1 && conns[i].kind == CONN_HOST &&
		    conns[i].stream == STREAM_NONE &&
		    conns[i].out_off < conns[i].out.len)
			return 0;
	return 1;
}

/*
 * Milliseconds poll may sleep before agent_may_exit could change its
 * mind; -1 if the agent never exits idle.  Once the quiet time is up and
 * an answer still waits to be written, look again now and then (the
 * host's reading wakes the loop sooner).
 */
static long
agent_idle_ms(uint64_t now)
{
	long	quiet_ms, left;

	if (idle_ttl_ms <= 0 || invoke_busy())
		return -1;
	quiet_ms = now > agent_last_active ?
	    (long)((now - agent_last_active) / 1000) : 0;
	left = (draining ? AGENT_DRAIN_MS : idle_ttl_ms) - quiet_ms;
	return left > 0 ? left : AGENT_DRAIN_MS;
}

/*
 * Idle: stop taking connections (on a unix socket, connect is refused
 * from now on: the host sends elsewhere), take those already queued —
 * the host may have sent requests on them — and exit once those are
 * served and AGENT_DRAIN_MS pass quietly.
 */
static void
agent_drain(void)
{
	shutdown(host_fd, SHUT_RD);
	draining = 1;
	agent_last_active = now_us();
	conn_accept(host_fd, CONN_HOST);
}

/*
 * The runtime's generation ended: close its connections, and any still
 * waiting to be accepted — they can only be its own, since the next
 * generation has not started — so nothing of it reaches the next.
 */
void
agent_runtime_reset(void)
{
	int	i, fd;

	for (i = 0; i < AGENT_MAX_CONNS; i++)
		if (conns[i].fd != -1 && conns[i].kind == CONN_RUNTIME)
			conn_close(&conns[i]);
	while ((fd = accept4(runtime_fd, NULL, NULL, SOCK_CLOEXEC)) != -1)
		close(fd);
}

static void
host_request(struct conn *c, const char *body, size_t len)
{
	agent_last_active = now_us();
	if (strcmp(c->req.path, PROTO_PATH_INVOKE) == 0 && strcmp(c->req.method, "POST") == 0)
		invoke_host(c, body, len);
	else if (strcmp(c->req.path, PROTO_PATH_CONFIGURE) == 0 &&
	    strcmp(c->req.method, "POST") == 0)
		runtime_host_configure(c, body, len);
	else if (strncmp(c->req.path, PROTO_PATH_LOGS, strlen(PROTO_PATH_LOGS)) == 0)
		stream_subscribe(c, STREAM_LOGS);
	else if (strcmp(c->req.path, PROTO_PATH_STATS "?follow=1") == 0)
		stream_subscribe(c, STREAM_STATS);
	else if (strcmp(c->req.path, PROTO_PATH_STATS) == 0) {
		struct sbuf b = { 0 };

		stream_stats_json(&b);
		conn_reply(c, 200, "Content-Type: application/json\r\n", b.data,
		    b.len);
		sbuf_free(&b);
	} else if (strcmp(c->req.path, PROTO_PATH_HEALTH) == 0) {
		struct sbuf b = { 0 };

		runtime_health(&b);
		conn_reply(c, 200, NULL, b.data, b.len);
		sbuf_free(&b);
	} else if (strcmp(c->req.path, PROTO_PATH_SHUTDOWN) == 0) {
		runtime_stop();
		agent_exit(0);
	} else if (vm_mode && strcmp(c->req.path, PROTO_PATH_REKEY) == 0 &&
	    strcmp(c->req.method, "POST") == 0)
		vm_rekey(c, body, len);
	else if (vm_mode && strcmp(c->req.path, PROTO_PATH_QUIESCE) == 0 &&
	    strcmp(c->req.method, "POST") == 0)
		vm_quiesce(c);
	else if (vm_mode && strcmp(c->req.path, PROTO_PATH_CODE) == 0 &&
	    strcmp(c->req.method, "PUT") == 0)
		code_put(c, body, len);
	else
		conn_reply(c, 404, NULL, NULL, 0);
}

/* The largest body a request on c may carry (the head is parsed). */
static size_t
conn_body_max(const struct conn *c)
{
	if (c->kind == CONN_HOST && strcmp(c->req.path, PROTO_PATH_CODE) == 0)
		return PROTO_CODE_MAX;
	return PROTO_PAYLOAD_MAX;
}

/* Drop bytes from the front of c->in. */
static void
conn_consume(struct conn *c, size_t n)
{
	memmove(c->in.data, c->in.data + n, c->in.len - n);
	c->in.len -= n;
}

/* Handle every complete request in c->in, in order. */
static void
conn_process(struct conn *c)
{
	size_t	total, n;
	int	rc;

	while (c->fd != -1 && !c->held) {
		/* A peer that sends requests but never reads their answers. */
		if (c->out.len - c->out_off > PROTO_PAYLOAD_MAX + PROTO_HEADERS_MAX)
			return;
		if (c->discard > 0) {
			n = c->in.len < c->discard ? c->in.len : c->discard;
			conn_consume(c, n);
			if ((c->discard -= n) > 0)
				return;
			conn_reply(c, 413, NULL, NULL, 0);
			continue;
		}
		if (c->in.len == 0)
			return;
		if (vm_mode && c->kind == CONN_HOST && !c->authed) {
			int ok = vm_auth(&c->in);

			if (ok == 0)
				return;
			if (ok < 0) {
				conn_close(c);
				return;
			}
			c->authed = 1;
			continue;
		}
		if (!c->parsed) {
			if ((rc = http_parse(c->in.data, c->in.len, &c->req)) == 0)
				return;
			if (rc < 0) {
				conn_reply(c, 400, NULL, NULL, 0);
				c->closing = 1;
				c->held = 1;	/* read nothing more */
				return;
			}
			c->parsed = 1;
			if (c->req.body_len > conn_body_max(c)) {
				conn_consume(c, c->req.hdr_len);
				c->parsed = 0;
				if (c->kind == CONN_RUNTIME) {
					/* Lambda's error, once the body is gone. */
					runtime_api_too_large(c);
					c->discard = c->req.body_len;
					continue;
				}
				conn_reply(c, 413, NULL, NULL, 0);
				c->closing = 1;
				c->held = 1;
				return;
			}
		}
		total = c->req.hdr_len + c->req.body_len;
		if (c->in.len < total)
			return;
		c->parsed = 0;
		if (c->kind == CONN_HOST)
			host_request(c, c->in.data + c->req.hdr_len, c->req.body_len);
		else
			runtime_api(c, c->in.data + c->req.hdr_len, c->req.body_len);
		if (c->fd == -1)
			return;
		conn_consume(c, total);
	}
}

static void
conn_accept(int lfd, enum conn_kind kind)
{
	struct sockaddr_in	sin;
	socklen_t		slen;
	int			fd, i, n, one = 1;

	for (;;) {
		slen = sizeof sin;
		memset(&sin, 0, sizeof sin);
		fd = accept4(lfd, (struct sockaddr *)&sin, &slen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			break;
		/* In a microVM only the host (QEMU's gateway) may connect. */
		if (vm_mode && kind == CONN_HOST && !vm_peer_ok(&sin)) {
			close(fd);
			continue;
		}
		/* Each kind has its own slots: neither starves the other. */
		for (i = n = 0; i < AGENT_MAX_CONNS; i++)
			n += conns[i].fd != -1 && conns[i].kind == kind;
		for (i = 0; i < AGENT_MAX_CONNS && conns[i].fd != -1; i++)
			;
		if (i == AGENT_MAX_CONNS || n >= (kind == CONN_HOST ?
		    AGENT_HOST_CONNS : AGENT_RUNTIME_CONNS)) {
			close(fd);
			continue;
		}
		if (kind == CONN_RUNTIME || vm_mode)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		memset(&conns[i], 0, sizeof conns[i]);
		conns[i].fd = fd;
		conns[i].kind = kind;
		conns[i].opened = now_us();
		/* A request may be on its way: the agent is not idle. */
		if (kind == CONN_HOST)
			agent_last_active = conns[i].opened;
	}
}

/*
 * In a microVM, close host connections that have not shown the token
 * within AGENT_AUTH_MS.  Returns the milliseconds until the next one is
 * due, -1 if none waits.
 */
static long
conn_expire(void)
{
	uint64_t	now = now_us(), due;
	long		next = -1, left;
	int		i;

	if (!vm_mode)
		return -1;
	for (i = 0; i < AGENT_MAX_CONNS; i++) {
		if (conns[i].fd == -1 || conns[i].kind != CONN_HOST ||
		    conns[i].authed)
			continue;
		due = conns[i].opened + AGENT_AUTH_MS * 1000ULL;
		if (now >= due) {
			conn_close(&conns[i]);
			continue;
		}
		left = (long)((due - now) / 1000) + 1;
		if (next < 0 || left < next)
			next = left;
	}
	return next;
}

static void
conn_read(struct conn *c)
{
	char	tmp[65536];
	ssize_t	n;

	/* Closing, and the peer hung up or failed: the answer cannot go. */
	if (c->held && c->closing) {
		conn_close(c);
		return;
	}
	/* Each chunk is parsed as it comes, so caps hold while reading. */
	while (c->fd != -1 && !(c->held && c->closing)) {
		n = read(c->fd, tmp, sizeof tmp);
		if (n > 0) {
			if (c->kind == CONN_HOST)
				agent_last_active = now_us();
			sbuf_add(&c->in, tmp, n);
			conn_process(c);
			/* Held (parked, streaming) yet still sending: enough. */
			if (c->fd != -1 && c->in.len > PROTO_HEADERS_MAX +
			    (c->kind == CONN_HOST ? PROTO_CODE_MAX : PROTO_PAYLOAD_MAX))
				conn_close(c);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (errno == EAGAIN)
			break;
	}
}

static void
conn_write(struct conn *c)
{
	ssize_t	n;

	while (c->out_off < c->out.len) {
		n = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_close(c);
			return;
		}
		c->out_off += n;
	}
	c->out.len = c->out_off = 0;
	if (c->closing)
		conn_close(c);
	else
		conn_process(c);	/* pipelined requests */
}

static void
agent_reap(void)
{
	struct signalfd_siginfo	si;
	int			st;
	pid_t			pid;

	while (read(sig_fd, &si, sizeof si) == sizeof si)
		;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		runtime_reaped(pid, st);	/* and orphans: we are PID 1 */
}

/* A TCP socket listening on addr:port; -1 with errno set on failure. */
int
agent_listen_tcp(const char *addr, int port, int backlog, int flags)
{
	struct sockaddr_in	sin;
	int			fd, one = 1, saved;

	if ((fd = socket(AF_INET, SOCK_STREAM | flags, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, backlog) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void
agent_listen_runtime(void)
{
	runtime_fd = agent_listen_tcp(PROTO_RUNTIME_ADDR, PROTO_RUNTIME_PORT, 16,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (runtime_fd == -1)
		die("runtime API %s: %s", PROTO_RUNTIME_API, strerror(errno));
}

/*
 * The configuration an ns sandbox's agent is born with: a /configure
 * body on PROTO_CONFIG_FD (not the environment, which would show in
 * /proc/1/environ for as long as the agent runs).  NULL if none.
 */
static char *
agent_read_config(void)
{
	struct sbuf	b = { 0 };
	char		tmp[4096];
	ssize_t		n;

	if (vm_mode || fcntl(PROTO_CONFIG_FD, F_GETFD) == -1)
		return NULL;
	while ((n = read(PROTO_CONFIG_FD, tmp, sizeof tmp)) > 0 &&
	    b.len < PROTO_HEADERS_MAX)
		sbuf_add(&b, tmp, n);
	close(PROTO_CONFIG_FD);
	if (b.data == NULL)
		sbuf_add(&b, "", 0);
	return b.data;
}

int
main(int argc, char **argv)
{
	struct pollfd	 pfd[AGENT_MAX_CONNS + 4];
	struct conn	*map[AGENT_MAX_CONNS + 4];
	sigset_t	 mask;
	const char	*ttl;
	char		**cmd = argv + 1, *config;
	uint64_t	 now;
	long		 left;
	int		 i, n, timeout, out;

	/* The kernel runs us as /init of a microVM: set the guest up first. */
	if (getpid() == 1 && strcmp(argv[0], "/init") == 0)
		cmd = vm_init();
	else if (argc < 2)
		die("usage: hearth-agent RUNTIME [ARGS...]");
	confine_agent();
	/* First, before any descriptor of ours could take its number. */
	config = agent_read_config();
	if ((ttl = getenv(PROTO_ENV_IDLE_TTL)) != NULL)
		idle_ttl_ms = strtol(ttl, NULL, 10) * 1000;
	for (i = 0; i < AGENT_MAX_CONNS; i++)
		conns[i].fd = -1;
	fcntl(host_fd, F_SETFL, O_NONBLOCK);
	fcntl(host_fd, F_SETFD, FD_CLOEXEC);
	/* A peer gone mid-write is an error to handle, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		die("signalfd: %s", strerror(errno));
	agent_listen_runtime();
	agent_last_active = now_us();
	/* A sandbox made for a function gets its configuration at birth. */
	runtime_init(cmd, getenv(PROTO_ENV_PREWARM) != NULL, config);
	free(config);

	for (;;) {
		n = 0;
		/* Draining: the listener is stopped (poll skips a negative fd). */
		pfd[n].fd = draining ? -1 : host_fd;
		pfd[n].events = POLLIN; map[n++] = NULL;
		pfd[n].fd = runtime_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		pfd[n].fd = sig_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		out = runtime_output_fd();
		pfd[n].fd = out; pfd[n].events = POLLIN; map[n++] = NULL;
		for (i = 0; i < AGENT_MAX_CONNS; i++) {
			if (conns[i].fd == -1)
				continue;
			pfd[n].fd = conns[i].fd;
			/* Closing: nothing more is read, only the answer goes. */
			pfd[n].events = conns[i].closing ? 0 : POLLIN;
			if (conns[i].out_off < conns[i].out.len)
				pfd[n].events |= POLLOUT;
			map[n++] = &conns[i];
		}
		now = now_us();
		timeout = (int)invoke_timeout_ms();
		if (timeout < 0)
			timeout = (int)agent_idle_ms(now);
		if (stream_next_ms() >= 0 && (timeout < 0 || stream_next_ms() < timeout))
			timeout = (int)stream_next_ms();
		if ((left = conn_expire()) >= 0 && (timeout < 0 || left < timeout))
			timeout = (int)left;
		if (poll(pfd, n, timeout) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		stream_tick();
		invoke_check_deadline();
		if (pfd[2].revents)
			agent_reap();
		out = runtime_output_fd();	/* agent_reap may have changed it */
		if (pfd[3].revents && out != -1 && out == pfd[3].fd)
			invoke_drain(out);
		for (i = 4; i < n; i++) {
			if (map[i]->fd == -1 || map[i]->fd != pfd[i].fd)
				continue;
			if (pfd[i].revents & POLLOUT)
				conn_write(map[i]);
			if (map[i]->fd != -1 &&
			    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				conn_read(map[i]);
		}
		/* Replies queued by this round go out now, not next poll. */
		for (i = 0; i < AGENT_MAX_CONNS; i++)
			if (conns[i].fd != -1 && conns[i].out_off < conns[i].out.len)
				conn_write(&conns[i]);
		if (pfd[0].revents)
			conn_accept(host_fd, CONN_HOST);
		if (pfd[1].revents)
			conn_accept(runtime_fd, CONN_RUNTIME);
		/*
		 * Last, once this round's connections and requests count as
		 * activity: an exit decided before them would drop requests
		 * already sent (a timeout moves agent_last_active too).
		 */
		if (agent_may_exit(now_us())) {
			if (draining) {
				runtime_stop();
				agent_exit(0);
			}
			agent_drain();
		}
	}
}