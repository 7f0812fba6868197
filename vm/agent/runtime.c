/*
 * runtime.c — the runtime process and the invocation in flight.
 *
 * The agent runs one runtime (python, node or a custom bootstrap) with
 * its stdout and stderr on pipes, and serves it the Lambda Runtime API.
 * An invocation moves host -> agent (POST /invoke, held) -> runtime (its
 * parked GET .../next is answered) -> agent (POST .../response) -> host
 * (the held /invoke is answered with the log and the result).  Past the
 * deadline the runtime's process group is killed and the host gets a
 * timeout; if the runtime dies, the host gets a crash; either way a fresh
 * runtime starts so the next invocation works.  A new configuration (hot
 * reload) restarts the runtime once nothing is in flight.  Output goes to
 * the invocation's log and, line by line as it arrives, to log followers
 * (stream.c); the agent writes the START/END/REPORT lines around it.
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

/* Queue an HTTP response on c. */
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
void
runtime_drain(int fd)
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
	runtime_drain(rt.out_fd);
	runtime_drain(rt.err_fd);
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
		if (vm_mode)
			vm_drop_privileges();
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

	runtime_drain(rt.out_fd);
	runtime_drain(rt.err_fd);
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

void
runtime_host_configure(struct conn *c, const char *body, size_t len)
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
	    (cur->cold ? RUNTIME_INIT_LIMIT_MS : 0)) * 1000;
	c->held = 1;
	inv_deliver();
}

/* Handle a complete request on a runtime connection (the Runtime API). */
void
runtime_api(struct conn *c, const char *body, size_t len)
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

/* A child exited (SIGCHLD): only the runtime's exit matters. */
void
runtime_reaped(int pid, int wstatus)
{
	if (pid == rt.pid && pid > 0)
		rt_reaped(wstatus);
}

/* The runtime's output pipes, -1 when there is no runtime. */
void
runtime_fds(int *out, int *err)
{
	*out = rt.out_fd;
	*err = rt.err_fd;
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
	    (int)rt.pid, cur != NULL ? "true" : "false",
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
	rt.out_fd = rt.err_fd = -1;
	prewarm = warm;
	if (config != NULL)
		config_set(config, strlen(config));
	if (configured)
		rt_spawn(0);
	else if (prewarm)
		rt_spawn(1);
}
