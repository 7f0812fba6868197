/*
 * agent.c — hearth-agent, PID 1 of every sandbox and microVM.
 *
 * The agent is a small single-threaded event loop over three kinds of
 * connection: the host's, accepted on fd 3 (a socket the host created and
 * only the host can reach; proto.h lists the requests), the runtime's
 * (the Lambda Runtime API on 127.0.0.1:9001, runtime.c), and followers of
 * its log and stats streams (stream.c).  This file owns the loop, the
 * connections and their HTTP/1.1 framing; as PID 1 it also reaps every
 * orphan in the sandbox.
 *
 * The agent is linked statically and uses nothing from the image, so any
 * image (busybox, alpine, distroless) can host it.
 */
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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

struct conn		 conns[AGENT_MAX_CONNS];
uint64_t		 agent_last_active;	/* µs of the last host request */
static int		 host_fd = PROTO_LISTEN_FD;
static int		 runtime_fd = -1;
static int		 sig_fd = -1;
static long		 idle_ttl_ms;	/* exit after this long idle; 0 never */

void
die(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("hearth-agent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	agent_exit(1);
}

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

void *
amalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

void
sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 512;

		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((b->data = realloc(b->data, cap)) == NULL)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	char	tmp[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		sbuf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void
sbuf_free(struct sbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
epoch_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	c->held = c->closing = 0;
	c->stream = STREAM_NONE;
	runtime_forget_conn(c);
}

static void
host_request(struct conn *c, const char *body, size_t len)
{
	agent_last_active = now_us();
	if (strcmp(c->path, PROTO_PATH_INVOKE) == 0 && strcmp(c->method, "POST") == 0)
		runtime_host_invoke(c, body, len);
	else if (strcmp(c->path, PROTO_PATH_CONFIGURE) == 0 &&
	    strcmp(c->method, "POST") == 0)
		runtime_host_configure(c, body, len);
	else if (strncmp(c->path, PROTO_PATH_LOGS, strlen(PROTO_PATH_LOGS)) == 0)
		stream_subscribe(c, STREAM_LOGS);
	else if (strcmp(c->path, PROTO_PATH_STATS "?follow=1") == 0)
		stream_subscribe(c, STREAM_STATS);
	else if (strcmp(c->path, PROTO_PATH_STATS) == 0) {
		struct sbuf b = { 0 };

		stream_stats_json(&b);
		conn_reply(c, 200, "Content-Type: application/json\r\n", b.data,
		    b.len);
		sbuf_free(&b);
	} else if (strcmp(c->path, PROTO_PATH_HEALTH) == 0) {
		struct sbuf b = { 0 };

		runtime_health(&b);
		conn_reply(c, 200, NULL, b.data, b.len);
		sbuf_free(&b);
	} else if (strcmp(c->path, PROTO_PATH_SHUTDOWN) == 0) {
		runtime_stop();
		agent_exit(0);
	} else if (vm_mode && strcmp(c->path, PROTO_PATH_REKEY) == 0 &&
	    strcmp(c->method, "POST") == 0)
		vm_rekey(c, body, len);
	else if (vm_mode && strcmp(c->path, PROTO_PATH_QUIESCE) == 0 &&
	    strcmp(c->method, "POST") == 0)
		vm_quiesce(c);
	else if (vm_mode && strcmp(c->path, PROTO_PATH_CODE) == 0 &&
	    strcmp(c->method, "PUT") == 0)
		code_put(c, body, len);
	else
		conn_reply(c, 404, NULL, NULL, 0);
}

/* Parse one complete request from c->in, if there is one, and handle it. */
static void
conn_process(struct conn *c)
{
	char	*end, *line, *next, *v;
	size_t	 total;

	while (c->fd != -1 && !c->held) {
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
		if (c->hdr_len == 0) {
			if ((end = memmem(c->in.data, c->in.len, "\r\n\r\n", 4)) == NULL) {
				if (c->in.len > 65536)
					conn_close(c);
				return;
			}
			c->hdr_len = end - c->in.data + 4;
			c->body_len = 0;
			c->reqid[0] = '\0';
			c->timeout_ms = 0;
			*end = '\0';
			line = c->in.data;
			next = strstr(line, "\r\n");
			if (next != NULL)
				*next = '\0';
			if (sscanf(line, "%7s %255s", c->method, c->path) != 2) {
				conn_close(c);
				return;
			}
			while (next != NULL) {
				line = next + 2;
				next = strstr(line, "\r\n");
				if (next != NULL)
					*next = '\0';
				if ((v = strchr(line, ':')) == NULL)
					continue;
				*v++ = '\0';
				v += strspn(v, " \t");
				if (strcasecmp(line, "Content-Length") == 0)
					c->body_len = strtoul(v, NULL, 10);
				else if (strcasecmp(line, PROTO_H_REQUEST_ID) == 0)
					snprintf(c->reqid, sizeof c->reqid, "%s", v);
				else if (strcasecmp(line, PROTO_H_TIMEOUT_MS) == 0)
					c->timeout_ms = strtol(v, NULL, 10);
			}
		}
		total = c->hdr_len + c->body_len;
		if (c->in.len < total)
			return;
		if (c->kind == CONN_HOST)
			host_request(c, c->in.data + c->hdr_len, c->body_len);
		else
			runtime_api(c, c->in.data + c->hdr_len, c->body_len);
		if (c->fd == -1)
			return;
		memmove(c->in.data, c->in.data + total, c->in.len - total);
		c->in.len -= total;
		c->hdr_len = 0;
	}
}

static void
conn_accept(int lfd, enum conn_kind kind)
{
	struct sockaddr_in	sin;
	socklen_t		slen;
	int			fd, i, one = 1;

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
		for (i = 0; i < AGENT_MAX_CONNS && conns[i].fd != -1; i++)
			;
		if (i == AGENT_MAX_CONNS) {
			close(fd);
			continue;
		}
		if (kind == CONN_RUNTIME || vm_mode)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		memset(&conns[i], 0, sizeof conns[i]);
		conns[i].fd = fd;
		conns[i].kind = kind;
	}
}

static void
conn_read(struct conn *c)
{
	char	tmp[65536];
	ssize_t	n;

	for (;;) {
		n = read(c->fd, tmp, sizeof tmp);
		if (n > 0) {
			sbuf_add(&c->in, tmp, n);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (errno == EAGAIN)
			break;
	}
	conn_process(c);
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

int
main(int argc, char **argv)
{
	struct pollfd	 pfd[AGENT_MAX_CONNS + 5];
	struct conn	*map[AGENT_MAX_CONNS + 5];
	sigset_t	 mask;
	const char	*ttl, *config;
	char		**cmd = argv + 1;
	uint64_t	 now;
	int		 i, n, timeout, out, err;

	/* The kernel runs us as /init of a microVM: set the guest up first. */
	if (getpid() == 1 && strcmp(argv[0], "/init") == 0)
		cmd = vm_init();
	else if (argc < 2)
		die("usage: hearth-agent RUNTIME [ARGS...]");
	if ((ttl = getenv(PROTO_ENV_IDLE_TTL)) != NULL)
		idle_ttl_ms = strtol(ttl, NULL, 10) * 1000;
	for (i = 0; i < AGENT_MAX_CONNS; i++)
		conns[i].fd = -1;
	fcntl(host_fd, F_SETFL, O_NONBLOCK);
	fcntl(host_fd, F_SETFD, FD_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		die("signalfd: %s", strerror(errno));
	agent_listen_runtime();
	agent_last_active = now_us();
	/* A sandbox made for a function gets its configuration at birth. */
	config = getenv(PROTO_ENV_CONFIG);
	runtime_init(cmd, getenv(PROTO_ENV_PREWARM) != NULL, config);
	unsetenv(PROTO_ENV_CONFIG);

	for (;;) {
		n = 0;
		pfd[n].fd = host_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		pfd[n].fd = runtime_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		pfd[n].fd = sig_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		runtime_fds(&out, &err);
		pfd[n].fd = out; pfd[n].events = POLLIN; map[n++] = NULL;
		pfd[n].fd = err; pfd[n].events = POLLIN; map[n++] = NULL;
		for (i = 0; i < AGENT_MAX_CONNS; i++) {
			if (conns[i].fd == -1)
				continue;
			pfd[n].fd = conns[i].fd;
			pfd[n].events = POLLIN;
			if (conns[i].out_off < conns[i].out.len)
				pfd[n].events |= POLLOUT;
			map[n++] = &conns[i];
		}
		now = now_us();
		timeout = (int)runtime_timeout_ms();
		if (timeout < 0 && idle_ttl_ms > 0) {
			long left = idle_ttl_ms - (now > agent_last_active ?
			    (long)((now - agent_last_active) / 1000) : 0);

			timeout = left > 0 ? (int)left : 0;
		}
		if (stream_next_ms() >= 0 && (timeout < 0 || stream_next_ms() < timeout))
			timeout = (int)stream_next_ms();
		if (poll(pfd, n, timeout) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		stream_tick();
		runtime_check_deadline();
		now = now_us();		/* a timeout moves agent_last_active */
		if (runtime_idle() && idle_ttl_ms > 0 && now > agent_last_active &&
		    (long)((now - agent_last_active) / 1000) >= idle_ttl_ms) {
			runtime_stop();
			agent_exit(0);
		}
		if (pfd[2].revents)
			agent_reap();
		runtime_fds(&out, &err);	/* agent_reap may have changed them */
		if (pfd[3].revents && out != -1 && out == pfd[3].fd)
			runtime_drain(out);
		if (pfd[4].revents && err != -1 && err == pfd[4].fd)
			runtime_drain(err);
		for (i = 5; i < n; i++) {
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
	}
}
