/*
 * agent.c — hearth-agent, PID 1 of every sandbox and microVM.
 *
 * The agent is a small single-threaded event loop.  It owns three kinds of
 * thing:
 *
 *   - the host channel: HTTP/1.1 connections accepted on fd 3, a socket the
 *     host created and only the host can reach (proto.h lists the paths);
 *   - the runtime: one child process (python, node or a custom bootstrap)
 *     with its stdout/stderr on pipes, talking the Lambda Runtime API to
 *     us on 127.0.0.1:9001;
 *   - at most one invocation in flight, with its deadline.
 *
 * An invocation moves host -> agent (POST /invoke, held) -> runtime (the
 * held GET .../next is answered) -> agent (POST .../response) -> host (the
 * held /invoke is answered with the captured output and the result).  If
 * the deadline passes, the runtime's process group is killed and the host
 * gets a timeout; if the runtime dies, the host gets a crash; either way a
 * fresh runtime is started so the next invocation works.  As PID 1 the
 * agent also reaps every orphan in the sandbox.
 *
 * The agent is linked statically and uses nothing from the image, so any
 * image (busybox, alpine, distroless) can host it.
 */
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

#define AGENT_INIT_LIMIT_MS 10000	/* runtime init budget, as on Lambda */

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
	pid_t		 pid;		/* runtime process, 0 if none */
	int		 out_fd;	/* its stdout pipe */
	int		 err_fd;	/* its stderr pipe */
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

struct conn		 conns[AGENT_MAX_CONNS];
static struct invocation *cur;		/* the invocation in flight */
static struct sbuf	 idle_logs;	/* output while no invocation runs */
static struct sbuf	 partial[2];	/* stdout, stderr: a line not yet ended */
static char		**cfg_env;	/* runtime environment from /configure */
static int		 configured;	/* /configure has been received */
static int		 host_fd = PROTO_LISTEN_FD;
static int		 runtime_fd = -1;
static int		 sig_fd = -1;
static long		 idle_ttl_ms;	/* exit after this long idle; 0 never */
static int		 prewarm;	/* start the runtime before /configure */
static uint64_t		 last_active;	/* µs of the last host request */

void
die(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("hearth-agent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
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

/* Queue an HTTP response on c. */
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
	if (rt.next == c)
		rt.next = NULL;
	if (rt.cfgwait == c)
		rt.cfgwait = NULL;
	if (cur != NULL && cur->host == c)
		cur->host = NULL;
}

/* Keep b under PROTO_LOG_MAX, saying so once when output is cut. */
static void
log_append(struct sbuf *b, const char *p, size_t n)
{
	static const char cut[] = "\n[hearth: output truncated]\n";

	if (b->len + n <= PROTO_LOG_MAX)
		sbuf_add(b, p, n);
	else if (b->len < PROTO_LOG_MAX) {
		sbuf_add(b, p, PROTO_LOG_MAX - b->len);
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
static void
rt_drain(int fd)
{
	char	tmp[65536];
	ssize_t	n;
	int	i = fd == rt.err_fd;

	if (fd == -1)
		return;
	while ((n = read(fd, tmp, sizeof tmp)) > 0) {
		log_append(cur != NULL ? &cur->logs : &idle_logs, tmp, n);
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
		log_append(&cur->logs, line, n);
		log_append(&cur->logs, "\n", 1);
	}
	stream_log(cur != NULL ? cur->reqid : "", "platform", line, n);
}

int
agent_runtime_pid(void)
{
	return (int)rt.pid;
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
	return rt.pid > 0 ? proc_status_kb((int)rt.pid, "VmHWM") : 0;
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
	rt_drain(rt.out_fd);
	rt_drain(rt.err_fd);
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
	    PROTO_H_LOG_LENGTH, idle_logs.len + inv->logs.len,
	    PROTO_H_DURATION_US, (unsigned long long)dur,
	    PROTO_H_INIT_US, (unsigned long long)(inv->cold ? rt.init_us : 0),
	    PROTO_H_MAX_RSS_KB, rss);
	if (detail != NULL)
		sbuf_printf(&hdr, "%s: %s\r\n", PROTO_H_DETAIL, detail);
	if (idle_logs.len)
		sbuf_add(&all, idle_logs.data, idle_logs.len);
	if (inv->logs.len)
		sbuf_add(&all, inv->logs.data, inv->logs.len);
	if (len)
		sbuf_add(&all, body, len);
	if (inv->host != NULL)
		conn_reply(inv->host, 200, hdr.data, all.data, all.len);
	sbuf_free(&hdr);
	sbuf_free(&all);
	sbuf_free(&inv->logs);
	idle_logs.len = 0;
	if (inv->cold)
		rt.init_us = 0;
	free(inv->payload);
	free(inv);
	cur = NULL;
	last_active = now_us();
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
	int	out[2], err[2], i, n;
	char	**src = warm ? bare : cfg_env, **env;
	pid_t	pid;

	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1)
		die("pipe: %s", strerror(errno));
	for (n = 0; src != NULL && src[n] != NULL; n++)
		;
	env = amalloc(sizeof *env * (n + 2));
	for (i = 0; i < n; i++)
		env[i] = src[i];
	env[n++] = (char *)"AWS_LAMBDA_RUNTIME_API=" PROTO_RUNTIME_API;
	env[n] = NULL;
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		sigset_t	all;
		int		fd;

		setpgid(0, 0);
		/* The OOM killer should take the runtime, never the agent. */
		if ((fd = open("/proc/self/oom_score_adj", O_WRONLY)) != -1) {
			ssize_t w = write(fd, "1000", 4);

			(void)w;
			close(fd);
		}
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (chdir("/var/task") == -1 && chdir("/") == -1)
			_exit(127);
		execve(rt.argv[0], rt.argv, env);
		dprintf(2, "hearth-agent: exec %s: %s\n", rt.argv[0], strerror(errno));
		_exit(127);
	}
	free(env);
	close(out[1]);
	close(err[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	rt.pid = pid;
	rt.out_fd = out[0];
	rt.err_fd = err[0];
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

/* Kill the runtime's whole process group; rt_reaped() cleans up. */
static void
rt_kill(void)
{
	if (rt.pid > 0) {
		kill(-rt.pid, SIGKILL);
		kill(rt.pid, SIGKILL);
	}
}

/* The runtime exited: fail what it was doing and start a new one. */
static void
rt_reaped(int wstatus)
{
	char	 detail[128], body[512];
	int	 n;

	rt_drain(rt.out_fd);
	rt_drain(rt.err_fd);
	close(rt.out_fd);
	close(rt.err_fd);
	rt.out_fd = rt.err_fd = -1;
	rt.pid = 0;
	if (rt.next != NULL) {
		conn_close(rt.next);
		rt.next = NULL;
	}
	if (rt.cfgwait != NULL) {
		conn_close(rt.cfgwait);
		rt.cfgwait = NULL;
	}
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
	if (rt.stale && cur == NULL && rt.pid > 0 && !rt.restarting) {
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

static void
host_configure(struct conn *c, const char *body, size_t len)
{
	config_set(body, len);
	if (rt.pid == 0)
		rt_spawn(0);
	else if (rt.prewarmed && !rt.config_sent)
		rt_send_config();	/* or when it asks, if still loading */
	else {
		rt.stale = 1;
		rt_maybe_restart();
	}
	conn_reply(c, 204, NULL, NULL, 0);
}

static void
host_invoke(struct conn *c, const char *body, size_t len)
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
	snprintf(cur->reqid, sizeof cur->reqid, "%s", c->reqid);
	cur->payload = amalloc(len);
	memcpy(cur->payload, body, len);
	cur->len = len;
	cur->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 3000;
	cur->t_arrive = now_us();
	if (rt.pid == 0 || !rt.started || rt.restarting)
		cur->cold = 1;
	if (rt.pid == 0)
		rt_spawn(0);
	cur->deadline = cur->t_arrive + (uint64_t)(cur->timeout_ms +
	    (cur->cold ? AGENT_INIT_LIMIT_MS : 0)) * 1000;
	c->held = 1;
	inv_deliver();
}

/* Handle a complete request on a runtime connection (Runtime API). */
static void
runtime_request(struct conn *c, const char *body, size_t len)
{
	static const char pfx[] = "/2018-06-01/runtime/";
	const char	*p = c->path;
	char		 id[64];

	if (strncmp(p, pfx, sizeof pfx - 1) != 0) {
		conn_reply(c, 404, NULL, NULL, 0);
		return;
	}
	p += sizeof pfx - 1;
	if (strcmp(c->method, "GET") == 0 && strcmp(p, "invocation/next") == 0) {
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
	}
	if (strcmp(c->method, "GET") == 0 && strcmp(p, "hearth/config") == 0) {
		c->held = 1;
		rt.cfgwait = c;
		rt_send_config();
		return;
	}
	if (strcmp(c->method, "POST") == 0 && strcmp(p, "init/error") == 0) {
		rt.init_failed = 1;
		rt.init_error.len = 0;
		sbuf_add(&rt.init_error, body, len);
		if (cur != NULL)
			inv_finish(PROTO_STATUS_ERROR, body, len, NULL);
		conn_reply(c, 202, NULL, NULL, 0);
		return;
	}
	if (strcmp(c->method, "POST") == 0 &&
	    strncmp(p, "invocation/", 11) == 0) {
		const char *slash = strchr(p + 11, '/');
		size_t n = slash != NULL ? (size_t)(slash - (p + 11)) : 0;

		if (slash == NULL || n >= sizeof id) {
			conn_reply(c, 404, NULL, NULL, 0);
			return;
		}
		memcpy(id, p + 11, n);
		id[n] = '\0';
		if (cur == NULL || !cur->delivered || strcmp(id, cur->reqid) != 0) {
			conn_reply(c, 400, NULL, "unknown request id", 18);
			return;
		}
		if (strcmp(slash, "/response") == 0 && len > PROTO_PAYLOAD_MAX) {
			char	err[256];
			int	m = snprintf(err, sizeof err, "{\"errorType\": "
			    "\"Function.ResponseSizeTooLarge\", \"errorMessage\": "
			    "\"Response payload size (%zu bytes) exceeded maximum "
			    "allowed payload size (%d bytes).\"}", len,
			    PROTO_PAYLOAD_MAX);

			inv_finish(PROTO_STATUS_ERROR, err, m, NULL);
		} else if (strcmp(slash, "/response") == 0)
			inv_finish(PROTO_STATUS_OK, body, len, NULL);
		else if (strcmp(slash, "/error") == 0)
			inv_finish(PROTO_STATUS_ERROR, body, len, NULL);
		else {
			conn_reply(c, 404, NULL, NULL, 0);
			return;
		}
		conn_reply(c, 202, NULL, NULL, 0);
		rt_maybe_restart();
		return;
	}
	conn_reply(c, 404, NULL, NULL, 0);
}

static void
host_request(struct conn *c, const char *body, size_t len)
{
	last_active = now_us();
	if (strcmp(c->path, PROTO_PATH_INVOKE) == 0 && strcmp(c->method, "POST") == 0)
		host_invoke(c, body, len);
	else if (strcmp(c->path, PROTO_PATH_CONFIGURE) == 0 &&
	    strcmp(c->method, "POST") == 0)
		host_configure(c, body, len);
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
		char	s[128];
		/* ready: the runtime is parked, waiting for work or config. */
		int	n = snprintf(s, sizeof s, "{\"runtime_pid\": %d, "
		    "\"busy\": %s, \"ready\": %s}", (int)rt.pid,
		    cur != NULL ? "true" : "false",
		    rt.next != NULL || rt.cfgwait != NULL ? "true" : "false");

		conn_reply(c, 200, NULL, s, n);
	} else if (strcmp(c->path, PROTO_PATH_SHUTDOWN) == 0) {
		rt_kill();
		exit(0);
	} else
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
			runtime_request(c, c->in.data + c->hdr_len, c->body_len);
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
	int	fd, i, one = 1;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		for (i = 0; i < AGENT_MAX_CONNS && conns[i].fd != -1; i++)
			;
		if (i == AGENT_MAX_CONNS) {
			close(fd);
			continue;
		}
		if (kind == CONN_RUNTIME)
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
		if (pid == rt.pid)
			rt_reaped(st);
}

static void
agent_listen_runtime(void)
{
	struct sockaddr_in	sin;
	int			one = 1;

	runtime_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (runtime_fd == -1)
		die("socket: %s", strerror(errno));
	setsockopt(runtime_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PROTO_RUNTIME_PORT);
	inet_pton(AF_INET, PROTO_RUNTIME_ADDR, &sin.sin_addr);
	if (bind(runtime_fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(runtime_fd, 16) == -1)
		die("runtime API %s: %s", PROTO_RUNTIME_API, strerror(errno));
}

int
main(int argc, char **argv)
{
	struct pollfd	 pfd[AGENT_MAX_CONNS + 5];
	struct conn	*map[AGENT_MAX_CONNS + 5];
	sigset_t	 mask;
	const char	*ttl, *config;
	uint64_t	 now;
	int		 i, n, timeout;

	if (argc < 2)
		die("usage: hearth-agent RUNTIME [ARGS...]");
	rt.argv = argv + 1;
	rt.out_fd = rt.err_fd = -1;
	if ((ttl = getenv(PROTO_ENV_IDLE_TTL)) != NULL)
		idle_ttl_ms = strtol(ttl, NULL, 10) * 1000;
	prewarm = getenv(PROTO_ENV_PREWARM) != NULL;
	/* A sandbox made for a function gets its configuration at birth. */
	if ((config = getenv(PROTO_ENV_CONFIG)) != NULL) {
		config_set(config, strlen(config));
		unsetenv(PROTO_ENV_CONFIG);
	}
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
	last_active = now_us();
	if (configured)
		rt_spawn(0);
	else if (prewarm)
		rt_spawn(1);

	for (;;) {
		n = 0;
		pfd[n].fd = host_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		pfd[n].fd = runtime_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		pfd[n].fd = sig_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		pfd[n].fd = rt.out_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		pfd[n].fd = rt.err_fd; pfd[n].events = POLLIN; map[n++] = NULL;
		for (i = 0; i < AGENT_MAX_CONNS; i++) {
			if (conns[i].fd == -1)
				continue;
			pfd[n].fd = conns[i].fd;
			pfd[n].events = POLLIN;
			if (conns[i].out_off < conns[i].out.len)
				pfd[n].events |= POLLOUT;
			map[n++] = &conns[i];
		}
		timeout = -1;
		now = now_us();
		if (cur != NULL)
			timeout = cur->deadline > now ? (int)((cur->deadline - now) / 1000) + 1 : 0;
		else if (idle_ttl_ms > 0) {
			long left = idle_ttl_ms - (now > last_active ?
			    (long)((now - last_active) / 1000) : 0);

			timeout = left > 0 ? (int)left : 0;
		}
		if (stream_next_ms() >= 0 && (timeout < 0 || stream_next_ms() < timeout))
			timeout = (int)stream_next_ms();
		if (poll(pfd, n, timeout) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		stream_tick();
		now = now_us();
		if (cur != NULL && now >= cur->deadline) {
			char	body[256];
			int	len;
			double	secs = cur->timeout_ms / 1000.0;

			len = snprintf(body, sizeof body, "{\"errorType\": "
			    "\"Sandbox.Timedout\", \"errorMessage\": \"RequestId: %s "
			    "Error: Task timed out after %.2f seconds\"}",
			    cur->reqid, secs);
			rt_kill();
			inv_finish(PROTO_STATUS_TIMEOUT, body, len, "timeout");
		}
		now = now_us();		/* inv_finish may have moved last_active */
		if (cur == NULL && idle_ttl_ms > 0 && now > last_active &&
		    (long)((now - last_active) / 1000) >= idle_ttl_ms) {
			rt_kill();
			exit(0);
		}
		if (pfd[2].revents)
			agent_reap();
		if (pfd[3].revents && rt.out_fd != -1)
			rt_drain(rt.out_fd);
		if (pfd[4].revents && rt.err_fd != -1)
			rt_drain(rt.err_fd);
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
