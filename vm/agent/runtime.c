/*
 * runtime.c — the runtime process and the Lambda Runtime API it calls.
 *
 * The agent runs one runtime (python, node or a custom bootstrap) with
 * its stdout and stderr on one pipe (invoke.c reads it), and serves it the
 * Lambda Runtime API.  The runtime runs in generations (spawn.c): when
 * one ends — it exited, it was killed at a deadline — everything it
 * started dies with it and, so that the next invocation works, a fresh
 * one starts.  Its environment is the body of the host's POST
 * /configure over the image's own lines (RT_IMAGE_ENV), each key once,
 * its last value winning: so a function's TZ or PYTHONPATH replaces the
 * default the host sends before it.  Lines for HEARTH_ keys are the
 * agent's (proto.h's PROTO_ENV_*), never the runtime's.  A new
 * configuration (hot reload) restarts the runtime once nothing is in
 * flight.  A prewarmed runtime (pool sandboxes) starts before there is
 * any, parks on GET .../hearth/config and gets it there — unless the
 * function sets a variable a runtime reads only as it starts
 * (rt_startup_key), which a running one could not apply: then a fresh one
 * starts with it.  A runtime that
 * reported POST .../init/error is not restarted when it exits: the next
 * invocation or configuration starts one.
 *
 * The Runtime API follows Lambda's states strictly: one GET .../next may
 * be parked at a time, and none while an invocation is being handled; a
 * second one is refused (403), never swapped in, so no process the
 * function started can take an event out of turn.  A response or an
 * error must name the invocation the runtime holds.  Connections of a
 * generation that ended are closed, and none carries over to the next.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

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

/*
 * KEY=VALUE lines an image adds to its runtime's environment (what only
 * the image knows: AWS_EXECUTION_ENV, naming its runtime's version),
 * written by images/build.sh.  The host's lines come after them.
 */
#define RT_IMAGE_ENV	"/opt/hearth/environment"
#define RT_AGENT_KEY	"HEARTH_"	/* a line for the agent, not the runtime */

static char		**cfg_env;	/* runtime environment from /configure */
static char		**agent_env;	/* the HEARTH_ lines of /configure */
static char		**image_env;	/* RT_IMAGE_ENV's lines */
static int		 configured;	/* /configure has been received */
static int		 prewarm;	/* start the runtime before /configure */

/* The index of the line for key (klen bytes) in env, -1 if none. */
static int
rt_env_find(char **env, const char *key, size_t klen)
{
	int	i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], key, klen) == 0 && env[i][klen] == '=')
			return i;
	return -1;
}

/* The value of key in env, NULL if unset. */
static const char *
rt_env_get(char **env, const char *key)
{
	int	i = rt_env_find(env, key, strlen(key));

	return i == -1 ? NULL : env[i] + strlen(key) + 1;
}

/*
 * Set line ("KEY=VALUE") in *envp, an array of *np strings that the
 * caller frees: it replaces the key's earlier line, so the last wins.
 */
static void
rt_env_set(char ***envp, int *np, const char *line)
{
	int	 i = rt_env_find(*envp, line, strcspn(line, "="));
	char	*copy = strdup(line);

	if (copy == NULL)
		die("out of memory");
	if (i != -1) {
		free((*envp)[i]);
		(*envp)[i] = copy;
		return;
	}
	if ((*envp = realloc(*envp, sizeof **envp * (*np + 2))) == NULL)
		die("out of memory");
	(*envp)[(*np)++] = copy;
	(*envp)[*np] = NULL;
}

/* Free an environment array and its strings. */
static void
rt_env_free(char **env)
{
	int	i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/*
 * The value of key in the runtime's environment, or for a HEARTH_ key in
 * the agent's lines; NULL if unset.
 */
const char *
runtime_config_get(const char *key)
{
	return rt_env_get(strncmp(key, RT_AGENT_KEY, sizeof RT_AGENT_KEY - 1)
	    == 0 ? agent_env : cfg_env, key);
}

/* Has the host sent /configure (or was the agent born with it)? */
int
runtime_configured(void)
{
	return configured;
}

/* The runtime's pid, 0 if there is none or it is not known yet. */
int
runtime_pid(void)
{
	return (int)spawn_runtime_pid(&rt.sp);
}

/* The runtime's peak RSS (what Lambda reports as Max Memory Used). */
long
runtime_max_rss_kb(void)
{
	pid_t	pid = spawn_runtime_pid(&rt.sp);

	return pid > 0 ? proc_status_kb((int)pid, "VmHWM") : 0;
}

/* The runtime's init time (spawn to first /next), reported once: then 0. */
uint64_t
runtime_take_init_us(void)
{
	uint64_t	us = rt.init_us;

	rt.init_us = 0;
	return us;
}

#define RT_RUNTIME_API	"AWS_LAMBDA_RUNTIME_API"

/*
 * A prewarmed runtime's environment: what the host sends every function
 * for the keys a runtime reads as it starts (rt_startup_key), so that
 * most functions can take over a prewarmed runtime.
 */
static char *rt_bare[] = { (char *)"PATH=/usr/local/bin:/usr/bin:/bin",
    (char *)"LANG=C.UTF-8", (char *)"HOME=/tmp",
    (char *)"PYTHONUNBUFFERED=1", (char *)"PYTHONDONTWRITEBYTECODE=1",
    (char *)PROTO_ENV_PREWARM "=1", NULL };

/*
 * Is the variable of line ("KEY=...") one a runtime reads only as it
 * starts?  Python's sys.path (PYTHONPATH) and flags, node's module paths
 * and options, the dynamic linker's paths, the C library's locale: a
 * running runtime told a new value later would not apply it.  TZ and
 * PATH are read when used.
 */
static int
rt_startup_key(const char *line)
{
	static const char *const prefixes[] = { "PYTHON", "NODE_", "LD_",
	    "LC_", "LANG=", "LANGUAGE=", "UV_", "MALLOC_", "GLIBC_TUNABLES=" };
	size_t	i;

	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/*
 * May the prewarmed runtime take cfg_env over?  Only if every variable
 * read at start has the value (or the absence) it started with.
 */
static int
rt_prewarm_fits(void)
{
	int	i, j;

	for (i = 0; cfg_env[i] != NULL; i++) {
		if (!rt_startup_key(cfg_env[i]))
			continue;
		j = rt_env_find(rt_bare, cfg_env[i], strcspn(cfg_env[i], "="));
		if (j == -1 || strcmp(rt_bare[j], cfg_env[i]) != 0)
			return 0;
	}
	for (j = 0; rt_bare[j] != NULL; j++)
		if (rt_startup_key(rt_bare[j]) && rt_env_find(cfg_env,
		    rt_bare[j], strcspn(rt_bare[j], "=")) == -1)
			return 0;
	return 1;
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
	int	i, n, m = 0;
	char	**src = warm ? rt_bare : cfg_env, **env;

	for (n = 0; src != NULL && src[n] != NULL; n++)
		;
	env = amalloc(sizeof *env * (n + 2));
	for (i = 0; i < n; i++)
		if (strncmp(src[i], RT_RUNTIME_API "=", sizeof RT_RUNTIME_API) != 0)
			env[m++] = src[i];
	env[m++] = (char *)RT_RUNTIME_API "=" PROTO_RUNTIME_API;
	env[m] = NULL;
	if (spawn_runtime(&rt.sp, rt.argv, env) == -1)
		die("start the runtime: %s", strerror(errno));
	free(env);
	rt.spawn_us = now_us();
	invoke_platform("INIT_START Runtime: %s%s", rt.argv[0], warm ?
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

/*
 * An invocation arrives: start the runtime if none runs.  Returns
 * whether the invocation starts cold (it waits for the runtime's init).
 */
int
runtime_prepare(void)
{
	int	cold = rt.sp.init == 0 || !rt.started || rt.restarting;

	if (rt.sp.init == 0)
		rt_spawn(0);
	return cold;
}

/* Hand the invocation in flight to the runtime's parked GET .../next. */
void
runtime_deliver(void)
{
	if (rt.next == NULL || rt.restarting)
		return;
	if (invoke_deliver(rt.next))
		rt.next = NULL;
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
	char	 detail[128];

	invoke_drain(rt.sp.out_fd);
	close(rt.sp.out_fd);
	rt.sp.out_fd = -1;
	/* Its connections die with it, parked ones and any still queued. */
	agent_runtime_reset();
	rt.next = rt.cfgwait = NULL;
	if (rt.restarting) {
		/* A hot reload: whatever waits is served by the new runtime. */
		rt.restarting = 0;
		rt_spawn(0);
		invoke_cold();
		return;
	}
	if (WIFSIGNALED(wstatus))
		snprintf(detail, sizeof detail, "signal: %s",
		    WTERMSIG(wstatus) == SIGKILL ? "killed" : strsignal(WTERMSIG(wstatus)));
	else
		snprintf(detail, sizeof detail, "exit status %d", WEXITSTATUS(wstatus));
	if (invoke_busy()) {
		if (rt.init_error.len != 0 && !invoke_delivered(NULL))
			invoke_finish(PROTO_STATUS_ERROR, rt.init_error.data,
			    rt.init_error.len, NULL);
		else
			invoke_crash(detail);
	}
	if (configured && !rt.init_failed)
		rt_spawn(0);
	else if (!configured && prewarm)
		rt_spawn(1);
	invoke_cold();		/* whatever comes next, a new generation serves */
}

/* Restart a stale runtime once nothing is in flight (hot reload). */
static void
rt_maybe_restart(void)
{
	if (rt.stale && !invoke_busy() && rt.sp.init > 0 && !rt.restarting) {
		invoke_platform("RELOAD runtime restarting with new code or "
		    "configuration");
		/*
		 * Its parked /next must not receive an event now: an
		 * invocation arriving before the reap waits for the new one.
		 * Killed first: a SIGKILL pending, the runtime never runs
		 * again to see the close and print a traceback into the log.
		 */
		rt_kill();
		if (rt.next != NULL)
			conn_close(rt.next);
		rt.stale = 0;
		rt.restarting = 1;
		/* rt_reaped() starts the new one. */
	}
}

/*
 * Replace the runtime's environment with the image's lines and then
 * body's "KEY=VALUE\n" lines, each key once with its last value.
 */
static void
rt_config_set(const char *body, size_t len)
{
	char	*copy, *line, *save = NULL;
	int	 n = 0, na = 0, i;

	rt_env_free(cfg_env);
	rt_env_free(agent_env);
	cfg_env = amalloc(sizeof *cfg_env);
	cfg_env[0] = NULL;
	agent_env = amalloc(sizeof *agent_env);
	agent_env[0] = NULL;
	for (i = 0; image_env != NULL && image_env[i] != NULL; i++)
		rt_env_set(&cfg_env, &n, image_env[i]);
	copy = amalloc(len + 1);
	memcpy(copy, body, len);
	copy[len] = '\0';
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strchr(line, '=') == NULL || *line == '=')
			continue;
		/* The host's idle TTL for this function, not the runtime's. */
		if (strncmp(line, PROTO_ENV_IDLE_TTL "=",
		    sizeof PROTO_ENV_IDLE_TTL) == 0) {
			agent_set_idle_ttl(strtol(line + sizeof PROTO_ENV_IDLE_TTL,
			    NULL, 10));
			continue;
		}
		if (strncmp(line, RT_AGENT_KEY, sizeof RT_AGENT_KEY - 1) == 0)
			rt_env_set(&agent_env, &na, line);
		else
			rt_env_set(&cfg_env, &n, line);
	}
	free(copy);
	configured = 1;
}

/* Read the image's own lines (RT_IMAGE_ENV), if it has any. */
static void
rt_image_env(void)
{
	char	 buf[4096], *line, *save = NULL;
	ssize_t	 len;
	int	 fd, n = 0;

	if ((fd = open(RT_IMAGE_ENV, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	image_env = amalloc(sizeof *image_env);
	image_env[0] = NULL;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strchr(line, '=') != NULL && *line != '=' &&
		    strncmp(line, RT_AGENT_KEY, sizeof RT_AGENT_KEY - 1) != 0)
			rt_env_set(&image_env, &n, line);
}

/*
 * Is body only HEARTH_IDLE_TTL lines (a host retiring an instance beyond
 * its function's recent peak)?  Then set the TTL and leave the runtime
 * and its environment alone.
 */
static int
rt_ttl_only(const char *body, size_t len)
{
	const char	*p = body, *end = body + len, *nl;
	size_t		 klen = sizeof PROTO_ENV_IDLE_TTL;	/* with '=' */
	long		 ttl = -1;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		if (nl == p)
			continue;
		if ((size_t)(nl - p) <= klen || strncmp(p, PROTO_ENV_IDLE_TTL
		    "=", klen) != 0)
			return 0;
		ttl = strtol(p + klen, NULL, 10);
	}
	if (ttl < 0)
		return 0;
	agent_set_idle_ttl(ttl);
	return 1;
}

/*
 * POST /configure: the runtime's environment, from now on.  A line
 * HEARTH_IDLE_TTL=N (PROTO_ENV_IDLE_TTL) is the agent's, not the
 * runtime's: the idle TTL of the function it now serves (a claimed pool
 * instance was born with the pool's).  A body of that line alone changes
 * only the TTL.
 */
void
runtime_host_configure(struct conn *c, const char *body, size_t len)
{
	int	first = !configured;

	if (rt_ttl_only(body, len)) {
		conn_reply(c, 204, NULL, NULL, 0);
		return;
	}
	rt_config_set(body, len);
	if (rt.sp.init == 0)
		rt_spawn(0);
	else if (rt.prewarmed && !rt.config_sent && first &&
	    rt_prewarm_fits()) {
		/* Its code came just before; later code never reaches it. */
		spawn_hold_code(&rt.sp);
		rt_send_config();	/* or when it asks, if still loading */
	} else if (rt.prewarmed && !rt.config_sent && first) {
		/* It could not apply them: a fresh one starts with them. */
		rt.restarting = 1;
		rt_kill();
	} else {
		rt.stale = 1;
		rt_maybe_restart();
	}
	conn_reply(c, 204, NULL, NULL, 0);
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
	invoke_finish(PROTO_STATUS_ERROR, err, m, NULL);
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
		if (invoke_delivered(NULL)) {
			rt_refuse(c, "the invocation in flight has no response yet");
			return;
		}
		if (!rt.started) {
			rt.started = 1;
			rt.init_us = now_us() - rt.spawn_us;
		}
		c->held = 1;
		rt.next = c;
		if (rt.stale && !invoke_busy())
			rt_maybe_restart();
		else
			runtime_deliver();
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
		if (invoke_busy())
			invoke_finish(PROTO_STATUS_ERROR, body, len, NULL);
		conn_reply(c, 202, NULL, NULL, 0);
		return;
	case ROUTE_RESPONSE:
	case ROUTE_ERROR:
		if (!invoke_delivered(id)) {
			conn_reply(c, 400, NULL, "unknown request id", 18);
			return;
		}
		if (http_runtime_route(c->req.method, c->req.path, id,
		    sizeof id) == ROUTE_RESPONSE)
			invoke_finish(PROTO_STATUS_OK, body, len, NULL);
		else
			invoke_finish(PROTO_STATUS_ERROR, body, len, NULL);
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
	    ROUTE_RESPONSE && invoke_delivered(id)) {
		rt_too_large(c->req.body_len);
		rt_maybe_restart();
	}
}

/* A connection is closing: forget any part it played in the Runtime API. */
void
runtime_forget_conn(struct conn *c)
{
	if (rt.next == c)
		rt.next = NULL;
	if (rt.cfgwait == c)
		rt.cfgwait = NULL;
}

/* A child exited (SIGCHLD): only the end of the runtime's generation matters. */
void
runtime_reaped(int pid, int wstatus)
{
	if (pid == rt.sp.init && pid > 0)
		rt_reaped(spawn_reaped(&rt.sp, wstatus));
}

/* The runtime's output pipe (stdout and stderr), -1 when there is none. */
int
runtime_output_fd(void)
{
	return rt.sp.out_fd;
}

/* End the runtime's generation (a deadline, shutdown, the idle TTL). */
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
	    (int)spawn_runtime_pid(&rt.sp), invoke_busy() ? "true" : "false",
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
	rt.sp.out_fd = rt.sp.status_fd = -1;
	prewarm = warm;
	rt_image_env();
	if (config != NULL)
		rt_config_set(config, strlen(config));
	if (configured)
		rt_spawn(0);
	else if (prewarm)
		rt_spawn(1);
}
