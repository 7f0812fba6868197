/*
 * inst.c — instances: warm sandboxes that run functions, and the pool.
 *
 * An instance is a VM (any driver) running hearth-agent, recorded in the
 * instances table.  A function's instances stay warm after an invocation
 * and are reused; the agent serves one invocation at a time and answers
 * 409 when busy, so any number of hearth processes can share instances
 * without locks: an invoker tries the function's warm instances, then
 * claims one from the pool (an atomic UPDATE of its owner), then starts a
 * new one.  An instance carries the function version and code version it
 * was configured with; one that lags is brought up to date (code swapped,
 * limits changed, runtime restarted) before it serves — which is also how
 * hot reload reaches every warm instance.
 *
 * Rows are written before the VM exists (state 'starting') and removed
 * after it is gone, so a crash leaves at worst a row that inst_gc cleans.
 * A new or claimed instance stays 'starting' — invisible to other
 * invokers — until its creator has configured it and it has served once;
 * only then is it 'ready' for everyone.  Agents exit on their own after an
 * idle TTL; inst_gc notices and removes what they leave behind.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esc.h"
#include "store.h"
#include "proto.h"
#include "vm.h"
#include "machine.h"

#define INST_MB_PER_CPU		1769	/* memory that buys a whole core, as on Lambda */
#define INST_PIDS_MAX		256	/* processes and threads */
#define INST_TMP_MB		512	/* /tmp, as on Lambda */
#define INST_IDLE_TTL		300	/* seconds a warm instance lives idle */
#define INST_POOL_TTL		900	/* seconds a pool instance waits */
#define INST_POOL_MEMORY	128	/* limit until claimed */
#define INST_INIT_BUDGET_MS	10000	/* runtime init, as on Lambda */

struct inst {
	char	 id[VM_ID_LEN];	/* hex id */
	char	*fn;		/* owner, NULL in the pool */
	char	*runtime;	/* image runtime */
	char	*driver;	/* vm driver name */
	pid_t	 pid;		/* VM's main process */
	char	*sock;		/* agent channel */
	int	 memory_mb;	/* current limit */
	int	 fn_version;	/* configuration it runs */
	int	 code_version;	/* code it shows at /var/task */
	double	 last_used;	/* as read from the store */
};

static int inst_refill = 1;	/* refill the pool after a claim */

/* Let a caller that manages the pool itself (fn bench) stop refills. */
void
inst_set_refill(int on)
{
	inst_refill = on;
}

/* Agent connections kept for this process, so requests reuse sockets. */
static struct {
	char			*sock;
	struct agent_conn	*conn;
} inst_conns[32];

static struct agent_conn *
inst_conn(const char *sock)
{
	int	i, free_slot = -1;

	for (i = 0; i < (int)(sizeof inst_conns / sizeof inst_conns[0]); i++) {
		if (inst_conns[i].sock != NULL && strcmp(inst_conns[i].sock, sock) == 0)
			return inst_conns[i].conn;
		if (inst_conns[i].sock == NULL && free_slot == -1)
			free_slot = i;
	}
	if (free_slot == -1) {
		free_slot = 0;
		agent_close(inst_conns[0].conn);
		free(inst_conns[0].sock);
	}
	inst_conns[free_slot].sock = xstrdup(sock);
	inst_conns[free_slot].conn = agent_connect(sock);
	return inst_conns[free_slot].conn;
}

static void
inst_conn_drop(const char *sock)
{
	int	i;

	for (i = 0; i < (int)(sizeof inst_conns / sizeof inst_conns[0]); i++) {
		if (inst_conns[i].sock != NULL && strcmp(inst_conns[i].sock, sock) == 0) {
			agent_close(inst_conns[i].conn);
			free(inst_conns[i].sock);
			inst_conns[i].sock = NULL;
			inst_conns[i].conn = NULL;
		}
	}
}

void
inst_cache_close(void)
{
	int	i;

	for (i = 0; i < (int)(sizeof inst_conns / sizeof inst_conns[0]); i++) {
		if (inst_conns[i].sock == NULL)
			continue;
		agent_close(inst_conns[i].conn);
		free(inst_conns[i].sock);
		inst_conns[i].sock = NULL;
	}
}

static void
inst_free(struct inst *in)
{
	if (in == NULL)
		return;
	free(in->fn);
	free(in->runtime);
	free(in->driver);
	free(in->sock);
	free(in);
}

#define INST_COLUMNS "id, fn, runtime, driver, pid, sock, memory_mb, " \
	"fn_version, code_version, last_used"

static struct inst *
inst_from_row(sqlite3_stmt *stmt)
{
	struct inst	*in = xcalloc(1, sizeof *in);
	const char	*fn;

	snprintf(in->id, sizeof in->id, "%s", sqlite3_column_text(stmt, 0));
	fn = (const char *)sqlite3_column_text(stmt, 1);
	in->fn = fn != NULL ? xstrdup(fn) : NULL;
	in->runtime = xstrdup((const char *)sqlite3_column_text(stmt, 2));
	in->driver = xstrdup((const char *)sqlite3_column_text(stmt, 3));
	in->pid = (pid_t)sqlite3_column_int(stmt, 4);
	in->sock = xstrdup((const char *)sqlite3_column_text(stmt, 5));
	in->memory_mb = sqlite3_column_int(stmt, 6);
	in->fn_version = sqlite3_column_int(stmt, 7);
	in->code_version = sqlite3_column_int(stmt, 8);
	in->last_used = sqlite3_column_double(stmt, 9);
	return in;
}

static char *
inst_run_dir(struct store *st, const char *id)
{
	return machine_run_dir(st, id);
}

static void
inst_delete_row(struct store *st, const char *id)
{
	sqlite3_stmt	*stmt = store_prepare(st, "DELETE FROM instances WHERE id = ?");

	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
}

/* Stop an instance's VM and forget it; why goes to the event feed. */
static void
inst_kill_why(struct store *st, struct inst *in, const char *why)
{
	const struct vm_driver	*drv = vm_driver_find(in->driver);
	char			*dir = inst_run_dir(st, in->id), *cause = NULL;

	inst_conn_drop(in->sock);
	if (drv != NULL && drv->destroy(in->id, in->pid, dir, &cause) != 0)
		free(cause);
	inst_delete_row(st, in->id);
	store_event(st, "reaped", in->id, "%s%s%s", in->fn != NULL ? in->fn : "pool",
	    why != NULL ? ": " : "", why != NULL ? why : "");
	free(dir);
}

static void
inst_kill(struct store *st, struct inst *in)
{
	inst_kill_why(st, in, NULL);
}

/* Build the runtime's environment for fn as "KEY=VALUE\n" lines. */
static void
inst_env(struct fn *fn, const char *id, struct buf *b)
{
	cJSON	*env, *it;

	buf_printf(b, "_HANDLER=%s\n", fn->handler);
	buf_printf(b, "AWS_LAMBDA_FUNCTION_NAME=%s\n", fn->name);
	buf_printf(b, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d\n", fn->memory_mb);
	buf_printf(b, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST\n");
	buf_printf(b, "AWS_LAMBDA_FUNCTION_TIMEOUT=%d\n", fn->timeout_s);
	buf_printf(b, "AWS_LAMBDA_LOG_STREAM_NAME=%s\n", id);
	buf_printf(b, "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s\n", fn->name);
	buf_printf(b, "AWS_REGION=local\nAWS_DEFAULT_REGION=local\n");
	buf_printf(b, "LAMBDA_TASK_ROOT=/var/task\nLAMBDA_RUNTIME_DIR=/opt/hearth\n");
	buf_printf(b, "PATH=/usr/local/bin:/usr/bin:/bin\nLANG=C.UTF-8\nTZ=:UTC\n");
	buf_printf(b, "HOME=/tmp\nPYTHONUNBUFFERED=1\nPYTHONDONTWRITEBYTECODE=1\n");
	if ((env = cJSON_Parse(fn->env)) != NULL) {
		cJSON_ArrayForEach(it, env)
			if (cJSON_IsString(it))
				buf_printf(b, "%s=%s\n", it->string, it->valuestring);
		cJSON_Delete(env);
	}
}

/*
 * Let other processes use in: until now only its creator (or claimer)
 * could, so that nobody sends an event to a sandbox not yet configured.
 */
static void
inst_mark_ready(struct store *st, struct inst *in)
{
	sqlite3_stmt	*stmt = store_stmt(st, "UPDATE instances SET fn = ?, "
	    "memory_mb = ?, fn_version = ?, code_version = ?, last_used = ?, "
	    "state = 'ready' WHERE id = ?");

	in->last_used = util_now();
	sqlite3_bind_text(stmt, 1, in->fn, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, in->memory_mb);
	sqlite3_bind_int(stmt, 3, in->fn_version);
	sqlite3_bind_int(stmt, 4, in->code_version);
	sqlite3_bind_double(stmt, 5, in->last_used);
	sqlite3_bind_text(stmt, 6, in->id, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	store_done(stmt);
}

static void
inst_update_row(struct store *st, struct inst *in)
{
	sqlite3_stmt	*stmt = store_stmt(st, "UPDATE instances SET fn = ?, "
	    "memory_mb = ?, fn_version = ?, code_version = ?, "
	    "last_used = ? WHERE id = ?");

	sqlite3_bind_text(stmt, 1, in->fn, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, in->memory_mb);
	sqlite3_bind_int(stmt, 3, in->fn_version);
	sqlite3_bind_int(stmt, 4, in->code_version);
	in->last_used = util_now();
	sqlite3_bind_double(stmt, 5, in->last_used);
	sqlite3_bind_text(stmt, 6, in->id, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	store_done(stmt);
}

/*
 * Bring in up to date with fn: code, memory limit and runtime
 * configuration.  The agent restarts the runtime once idle, so an
 * invocation in flight finishes on the old code.
 */
static int
inst_bring_current(struct store *st, struct inst *in, struct fn *fn,
    int write_row, char **cause)
{
	const struct vm_driver	*drv = vm_driver_find(in->driver);
	struct buf		 env = { 0 };
	char			*dir, *who;
	int			 rc;

	if (drv == NULL) {
		*cause = xasprintf("instance %s: unknown driver %s", in->id, in->driver);
		return -1;
	}
	if (in->code_version != fn->code_version) {
		dir = fn_code_dir(st, fn->name, fn->code_version);
		rc = drv->set_code(in->id, in->pid, in->sock, dir, cause);
		free(dir);
		if (rc != 0)
			return -1;
		in->code_version = fn->code_version;
	}
	if (in->memory_mb != fn->memory_mb) {
		if (drv->set_memory(in->id, fn->memory_mb, cause) != 0)
			return -1;
		in->memory_mb = fn->memory_mb;
	}
	if (in->fn_version != fn->version) {
		inst_env(fn, in->id, &env);
		who = xasprintf("instance %s", in->id);
		rc = agent_configure(inst_conn(in->sock), who, env.data, env.len,
		    cause);
		free(who);
		buf_free(&env);
		if (rc != 0)
			return -1;
		in->fn_version = fn->version;
	}
	free(in->fn);
	in->fn = xstrdup(fn->name);
	if (write_row)
		inst_update_row(st, in);
	return 0;
}

/*
 * CPU for a memory size, as Lambda allots it: one core up to 1,769 MB,
 * then in proportion (a sandbox's quota, a microVM's vCPUs), never more
 * than the host has.
 */
static int
inst_cpu_milli(int memory_mb)
{
	long	cores = sysconf(_SC_NPROCESSORS_ONLN), milli;

	milli = (long)memory_mb * 1000 / INST_MB_PER_CPU;
	if (milli < 1000)
		milli = 1000;
	if (cores > 0 && milli > cores * 1000)
		milli = cores * 1000;
	return (int)milli;
}

/* Show what the VM layer noted (a snapshot not used, say) and record it. */
static void
inst_notices(struct store *st, const char *id)
{
	char	*all = vm_notice_take(), *line, *save = NULL;

	if (all == NULL)
		return;
	for (line = strtok_r(all, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		store_event(st, "notice", id, "%s", line);
		fprintf(stderr, "hearth: notice: %s\n", line);
	}
	free(all);
}

/*
 * Start a new instance for runtime under the named driver (fn NULL: a
 * pool instance).
 */
static struct inst *
inst_spawn(struct store *st, const char *runtime, const char *driver,
    struct fn *fn, char **cause)
{
	const struct vm_driver	*drv = vm_driver_find(driver);
	struct vm_spec		 spec;
	struct inst		*in;
	sqlite3_stmt		*stmt;
	char			*image, *rootfs = NULL, *dir = NULL, *code = NULL;
	char			**cmd = NULL, sock[512];
	struct buf		 env = { 0 };
	pid_t			 pid;
	int			 i;

	if (drv == NULL) {
		*cause = xasprintf("unknown driver '%s'", driver);
		return NULL;
	}
	if ((image = image_rootfs(st, runtime, cause)) == NULL)
		return NULL;
	if ((cmd = image_cmd(image, cause)) == NULL) {
		free(image);
		return NULL;
	}
	in = xcalloc(1, sizeof *in);
	util_random_hex(in->id, sizeof in->id);
	in->runtime = xstrdup(runtime);
	in->driver = xstrdup(drv->name);
	in->memory_mb = fn != NULL ? fn->memory_mb : INST_POOL_MEMORY;
	in->code_version = fn != NULL ? fn->code_version : 0;
	rootfs = xasprintf("%s/rootfs", image);
	dir = inst_run_dir(st, in->id);
	code = fn != NULL ? fn_code_dir(st, fn->name, fn->code_version) : NULL;

	stmt = store_prepare(st, "INSERT INTO instances (id, fn, runtime, driver, "
	    "state, pid, sock, memory_mb, fn_version, code_version, created, "
	    "last_used) VALUES (?, ?, ?, ?, 'starting', 0, '', ?, 0, ?, ?, ?)");
	sqlite3_bind_text(stmt, 1, in->id, -1, SQLITE_STATIC);
	if (fn != NULL)
		sqlite3_bind_text(stmt, 2, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, runtime, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, drv->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, in->memory_mb);
	sqlite3_bind_int(stmt, 6, in->code_version);
	sqlite3_bind_double(stmt, 7, util_now());
	sqlite3_bind_double(stmt, 8, util_now());
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		*cause = xasprintf("store: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		goto fail;
	}
	sqlite3_finalize(stmt);

	memset(&spec, 0, sizeof spec);
	spec.id = in->id;
	spec.run_dir = dir;
	spec.image = runtime;
	spec.rootfs = rootfs;
	spec.code_dir = code;
	spec.hostname = fn != NULL ? fn->name : "hearth";
	spec.cmd = cmd;
	spec.memory_mb = in->memory_mb;
	spec.cpu_milli = inst_cpu_milli(in->memory_mb);
	spec.pids_max = INST_PIDS_MAX;
	spec.tmp_mb = INST_TMP_MB;
	spec.idle_ttl_s = fn != NULL ? INST_IDLE_TTL : INST_POOL_TTL;
	spec.prewarm_able = image_prewarm(image);
	spec.prewarm = fn == NULL && spec.prewarm_able;
	if (fn != NULL) {
		/* Configured at birth: the runtime starts with the agent. */
		inst_env(fn, in->id, &env);
		spec.config = env.data;
	}
	if (getenv("HEARTH_IDLE_TTL") != NULL)
		spec.idle_ttl_s = atoi(getenv("HEARTH_IDLE_TTL"));
	if (drv->create(&spec, &pid, sock, sizeof sock, cause) != 0) {
		inst_notices(st, in->id);
		inst_delete_row(st, in->id);
		goto fail;
	}
	inst_notices(st, in->id);
	in->pid = pid;
	in->sock = xstrdup(sock);
	in->last_used = util_now();
	if (fn != NULL)
		in->fn_version = fn->version;
	/*
	 * A pool instance is ready to be claimed; one made for a function
	 * stays 'starting', invisible to other invokers, until its creator
	 * has configured it and served its first event.
	 */
	stmt = store_prepare(st, "UPDATE instances SET pid = ?, sock = ?, "
	    "state = ? WHERE id = ?");
	sqlite3_bind_int(stmt, 1, pid);
	sqlite3_bind_text(stmt, 2, sock, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, fn == NULL ? "ready" : "starting", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, in->id, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	store_event(st, "started", in->id, "%s %s %s, pid %d",
	    fn != NULL ? fn->name : "pool", runtime, drv->noun, (int)pid);
	goto out;
fail:
	inst_free(in);
	in = NULL;
out:
	for (i = 0; cmd[i] != NULL; i++)
		free(cmd[i]);
	free(cmd);
	free(image);
	free(rootfs);
	free(dir);
	free(code);
	buf_free(&env);
	return in;
}

/*
 * Claim a pool instance for fn's runtime under driver, or NULL if the
 * pool is empty.
 */
static struct inst *
inst_claim_pool(struct store *st, struct fn *fn, const char *driver)
{
	sqlite3_stmt	*stmt;
	struct inst	*in = NULL;

	stmt = store_stmt(st, "UPDATE instances SET fn = ?1, last_used = ?3, "
	    "state = 'starting' "
	    "WHERE id = (SELECT id FROM instances WHERE fn IS NULL AND "
	    "runtime = ?2 AND driver = ?4 AND state = 'ready' ORDER BY created "
	    "LIMIT 1) "
	    "AND fn IS NULL RETURNING " INST_COLUMNS);
	sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, fn->runtime, -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 3, util_now());
	sqlite3_bind_text(stmt, 4, driver, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		in = inst_from_row(stmt);
	store_done(stmt);
	return in;
}

static void
inst_uuid(char *out)
{
	char	hex[33];

	util_random_hex(hex, sizeof hex);
	hex[12] = '4';				/* version 4 */
	hex[16] = "89ab"[hex[16] % 4];		/* RFC 4122 variant */
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
}

static void
inst_oom_result(struct invoke_result *res, const char *reqid, int memory_mb)
{
	free(res->body);
	res->body = xasprintf("{\"errorType\": \"Runtime.OutOfMemory\", "
	    "\"errorMessage\": \"RequestId: %s Error: Runtime exited with error: "
	    "signal: killed (out of memory: the function used more than its "
	    "%d MB)\"}", reqid, memory_mb);
	res->body_len = strlen(res->body);
}

/*
 * Fail the invocation in res because in's agent sent a reply over a cap
 * (why, from agent_request), and end the instance.
 */
static void
inst_over_cap(struct store *st, struct inst *in, struct invoke_result *res,
    const char *why)
{
	struct buf	b = { 0 };
	char		*msg, *event;

	if (strncmp(why, "agent: ", 7) == 0)
		why += 7;
	msg = xasprintf("RequestId: %s Error: instance %s sent a reply over "
	    "the cap (%s)", res->request_id, in->id, why);
	buf_addstr(&b, "{\"errorType\": \"Sandbox.Failure\", \"errorMessage\": ");
	esc_json_string(&b, msg, strlen(msg));
	buf_addstr(&b, "}");
	free(msg);
	free(res->body);
	res->status = INVOKE_CRASH;
	res->body = b.data;
	res->body_len = b.len;
	free(res->logs);
	res->logs = xstrdup("");
	res->logs_len = 0;
	event = xasprintf("sent a reply over the cap (%s)", why);
	inst_kill_why(st, in, event);
	free(event);
}

/*
 * Send one invocation to in.  Returns 1 if in was busy, 0 when it served
 * the invocation (res filled), -1 when it failed to (dead: caller
 * destroys it and tries another).  An instance that stopped answering or
 * broke a cap may have run the event: its invocation fails (0, res says
 * why) and it is ended, never retried elsewhere.
 */
static int
inst_send(struct store *st, struct inst *in, struct fn *fn, const char *payload,
    size_t len, struct invoke_result *res, char **cause)
{
	const struct vm_driver	*drv = vm_driver_find(in->driver);
	struct agent_reply	 r;
	struct vm_stats		 vs;
	long			 wait_ms;
	int			 rc;

	wait_ms = (long)fn->timeout_s * 1000 + INST_INIT_BUDGET_MS + 5000;
	rc = agent_request(inst_conn(in->sock), "POST", PROTO_PATH_INVOKE, payload,
	    len, res->request_id, (long)fn->timeout_s * 1000, wait_ms, &r, cause);
	if (rc == AGENT_NOT_SENT)
		return -1;	/* never delivered: another instance may run it */
	if (rc == AGENT_OVER_CAP) {
		/*
		 * Only a subverted agent (or whatever took its place) sends
		 * more than proto.h allows.  The event may have run: fail it
		 * here, and end the instance.
		 */
		inst_over_cap(st, in, res, *cause);
		free(*cause);
		*cause = NULL;
		return 0;
	}
	if (rc == AGENT_NO_ANSWER) {
		/*
		 * The event may have reached the handler: running it again
		 * elsewhere could do its work twice.  Report the failure.
		 */
		struct vm_info	 vi;
		char		*dir = inst_run_dir(st, in->id);

		memset(&vi, 0, sizeof vi);
		if (drv != NULL)
			drv->info(in->id, dir, &vi);
		free(dir);
		res->status = INVOKE_CRASH;
		res->body = xasprintf("{\"errorType\": \"Sandbox.Failure\", "
		    "\"errorMessage\": \"RequestId: %s Error: instance %s stopped "
		    "answering%s%s%s\"}", res->request_id, in->id,
		    vi.exit[0] != '\0' ? " (" : "", vi.exit, vi.exit[0] != '\0' ?
		    ")" : "");
		res->body_len = strlen(res->body);
		res->logs = xstrdup("");
		free(*cause);
		*cause = NULL;
		inst_kill(st, in);
		return 0;
	}
	if (r.http == 409 || r.http == 503) {
		/* Busy, or (503) still being configured by whoever made it. */
		agent_reply_free(&r);
		return 1;
	}
	if (r.http != 200 || r.log_len > r.body_len) {
		*cause = xasprintf("instance %s: agent answered %d", in->id, r.http);
		agent_reply_free(&r);
		return -1;
	}
	res->logs = xstrndup(r.body, r.log_len);
	res->logs_len = r.log_len;
	res->body_len = r.body_len - r.log_len;
	res->body = xmalloc(res->body_len + 1);
	memcpy(res->body, r.body + r.log_len, res->body_len);
	res->body[res->body_len] = '\0';
	res->duration_ms = r.duration_us / 1000.0;
	res->init_ms = r.init_us / 1000.0;
	res->max_mem_mb = (int)((r.max_rss_kb + 1023) / 1024);
	if (strcmp(r.status, PROTO_STATUS_OK) == 0)
		res->status = INVOKE_OK;
	else if (strcmp(r.status, PROTO_STATUS_ERROR) == 0)
		res->status = INVOKE_ERROR;
	else if (strcmp(r.status, PROTO_STATUS_TIMEOUT) == 0)
		res->status = INVOKE_TIMEOUT;
	else {
		res->status = INVOKE_CRASH;
		if (drv != NULL && drv->stats(in->id, &vs) == 0) {
			if (vs.mem_peak > 0)
				res->max_mem_mb = (int)(vs.mem_peak >> 20);
			if (vs.oom_kills > 0)
				inst_oom_result(res, res->request_id, fn->memory_mb);
		}
	}
	agent_reply_free(&r);
	if (res->status == INVOKE_CRASH || res->status == INVOKE_TIMEOUT) {
		/*
		 * Replace the sandbox, as Lambda replaces an execution
		 * environment: what timed out or crashed may have left
		 * processes or state behind.
		 */
		inst_kill_why(st, in, res->status == INVOKE_TIMEOUT ?
		    "replaced after a timeout" : "replaced after a crash");
		return 0;
	}
	/* last_used only orders instances and ages them: a second is fine. */
	if (util_now() - in->last_used >= 1.0)
		inst_update_row(st, in);
	return 0;
}

/*
 * Start filling the pool in a detached `hearth vm pool RUNTIME` so the
 * caller returns now.  It is a fresh exec, not just a fork: an SQLite
 * connection (even a new one) must never be used in a forked copy of a
 * process that has one open.
 */
static void
inst_pool_refill_async(const char *runtime, const char *driver)
{
	pid_t	pid;
	int	st, fd;

	if (inst_pool_size() == 0 || !inst_refill)
		return;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/proc/self/exe", "hearth", "vm", "pool", "--driver", driver,
		    runtime, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

/*
 * Invoke fn with payload: warm instance, else pool, else a new one.
 * Returns 0 with res filled (whatever the handler did), -1 with *cause if
 * no instance could run it.
 */
int
inst_invoke(struct store *st, struct fn *fn, const char *payload, size_t len,
    struct invoke_result *res, char **cause)
{
	sqlite3_stmt	*stmt;
	struct inst	**cands = NULL, *in = NULL;
	const char	*driver = fn_driver(fn->driver);
	char		*err = NULL;
	int		 n = 0, i, rc, served = 0;

	memset(res, 0, sizeof *res);
	inst_uuid(res->request_id);
	stmt = store_stmt(st, "SELECT " INST_COLUMNS " FROM instances "
	    "WHERE fn = ? AND driver = ? AND state = 'ready' "
	    "ORDER BY last_used DESC");
	sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, driver, -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		cands = xrealloc(cands, sizeof *cands * (n + 1));
		cands[n++] = inst_from_row(stmt);
	}
	store_done(stmt);

	for (i = 0; i < n && !served; i++) {
		in = cands[i];
		if (in->fn_version != fn->version || in->code_version != fn->code_version) {
			if (inst_bring_current(st, in, fn, 1, &err) != 0) {
				free(err);
				err = NULL;
				inst_kill(st, in);
				continue;
			}
		}
		rc = inst_send(st, in, fn, payload, len, res, &err);
		if (rc == 0)
			served = 1;
		else if (rc == -1) {
			free(err);
			err = NULL;
			inst_kill(st, in);
		}
	}
	for (i = 0; i < n; i++)
		inst_free(cands[i]);
	free(cands);
	if (served)
		return 0;

	res->cold = 1;
	in = inst_pool_size() > 0 ? inst_claim_pool(st, fn, driver) : NULL;
	if (in != NULL) {
		/* Its row is written once, by inst_mark_ready below. */
		if (inst_bring_current(st, in, fn, 0, &err) != 0) {
			free(err);
			err = NULL;
			inst_kill(st, in);
			inst_free(in);
			in = NULL;
		}
	}
	if (in == NULL) {
		if ((in = inst_spawn(st, fn->runtime, driver, fn, cause)) == NULL)
			return -1;
		if (inst_bring_current(st, in, fn, 0, cause) != 0) {
			inst_kill(st, in);
			inst_free(in);
			return -1;
		}
	}
	rc = inst_send(st, in, fn, payload, len, res, cause);
	if (rc != 0) {
		if (rc == 1)
			*cause = xasprintf("instance %s: busy", in->id);
		inst_kill(st, in);
		inst_free(in);
		return -1;
	}
	inst_mark_ready(st, in);	/* a no-op if a crash removed it */
	inst_free(in);
	inst_pool_refill_async(fn->runtime, driver);
	return 0;
}

void
invoke_result_free(struct invoke_result *res)
{
	free(res->body);
	free(res->logs);
	memset(res, 0, sizeof *res);
}

/* Hot reload: bring every warm instance of fn up to date now. */
int
inst_reload(struct store *st, struct fn *fn, char **cause)
{
	sqlite3_stmt	*stmt;
	struct inst	**list = NULL;
	char		*err = NULL;
	int		 n = 0, i;

	stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances "
	    "WHERE fn = ? AND state = 'ready'");
	sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		list = xrealloc(list, sizeof *list * (n + 1));
		list[n++] = inst_from_row(stmt);
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		/* Moved to another driver: its next instance starts there. */
		if (strcmp(list[i]->driver, fn_driver(fn->driver)) != 0) {
			inst_kill_why(st, list[i], "the function moved to another driver");
			inst_free(list[i]);
			continue;
		}
		if (inst_bring_current(st, list[i], fn, 1, &err) != 0) {
			/* Cannot update it: replace it on the next call. */
			free(err);
			err = NULL;
			inst_kill(st, list[i]);
		}
		inst_free(list[i]);
	}
	free(list);
	return 0;
}

static struct inst *
inst_load(struct store *st, const char *id)
{
	sqlite3_stmt	*stmt;
	struct inst	*in = NULL;

	stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances "
	    "WHERE id = ?");
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		in = inst_from_row(stmt);
	sqlite3_finalize(stmt);
	return in;
}

int
inst_destroy(struct store *st, const char *id, char **cause)
{
	struct inst	*in;

	if ((in = inst_load(st, id)) == NULL) {
		*cause = xasprintf("no instance '%s'", id);
		return -1;
	}
	inst_kill(st, in);
	inst_free(in);
	return 0;
}

/* Destroy every instance of function name (or every one, if NULL). */
int
inst_destroy_fn(struct store *st, const char *name)
{
	sqlite3_stmt	*stmt;
	struct inst	**list = NULL;
	int		 n = 0, i;

	if (name != NULL) {
		stmt = store_prepare(st, "SELECT " INST_COLUMNS
		    " FROM instances WHERE fn = ?");
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	} else
		stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		list = xrealloc(list, sizeof *list * (n + 1));
		list[n++] = inst_from_row(stmt);
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		inst_kill(st, list[i]);
		inst_free(list[i]);
	}
	free(list);
	return n;
}

/*
 * Seconds an instance may take to start before a row without a VM counts
 * as left behind by a crashed hearth: as long as the slowest driver's
 * start may take (a microVM boots, then is saved).
 */
static double
inst_start_grace(void)
{
	return vm_start_max_s();
}

/*
 * Remove instances whose VM is gone (idle TTL, killed from outside, host
 * reboot) and rows stuck in 'starting' by a crashed hearth.
 */
void
inst_gc(struct store *st)
{
	sqlite3_stmt		*stmt;
	struct inst		**dead = NULL, *in;
	const struct vm_driver	*drv;
	int			 n = 0, i;

	stmt = store_prepare(st, "SELECT " INST_COLUMNS ", state, created "
	    "FROM instances");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(stmt, 10);
		double created = sqlite3_column_double(stmt, 11);

		in = inst_from_row(stmt);
		drv = vm_driver_find(in->driver);
		/*
		 * Dead: its VM is gone, or it never got one (a hearth that
		 * crashed while creating it) and its start grace has passed.  A
		 * 'starting' instance with a VM may be serving its first,
		 * long invocation: only its liveness counts.
		 */
		if (in->pid == 0 ? strcmp(state, "starting") == 0 &&
		    util_now() - created > inst_start_grace() :
		    (drv == NULL || !drv->alive(in->id, in->pid))) {
			dead = xrealloc(dead, sizeof *dead * (n + 1));
			dead[n++] = in;
		} else
			inst_free(in);
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		inst_kill_why(st, dead[i], "gone (idle TTL or killed)");
		inst_free(dead[i]);
	}
	free(dead);
}

/*
 * How many pre-started instances to keep per runtime and driver: the
 * setting pool.size ($HEARTH_POOL_SIZE wins).
 */
int
inst_pool_size(void)
{
	long long	v;

	if (util_parse_int(config_get("pool.size"), 0, 64, &v) == 0)
		return (int)v;
	return 1;
}

/* Start pool instances for runtime under driver until there are n. */
int
inst_pool_fill(struct store *st, const char *runtime, const char *driver, int n,
    char **cause)
{
	sqlite3_stmt	*stmt;
	struct inst	*in;
	int		 have = 0;

	stmt = store_prepare(st, "SELECT count(*) FROM instances WHERE fn IS NULL "
	    "AND runtime = ? AND driver = ?");
	sqlite3_bind_text(stmt, 1, runtime, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, driver, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		have = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	for (; have < n; have++) {
		if ((in = inst_spawn(st, runtime, driver, NULL, cause)) == NULL)
			return -1;
		inst_free(in);
	}
	return 0;
}

/*
 * Wait up to wait_ms until every pool instance of runtime has its runtime
 * parked (loaded and waiting for a function).  -1 with *cause on timeout.
 */
int
inst_pool_wait(struct store *st, const char *runtime, const char *driver,
    long wait_ms, char **cause)
{
	struct timespec	 ts = { 0, 2 * 1000 * 1000 };
	struct agent_reply r;
	sqlite3_stmt	*stmt;
	uint64_t	 end = util_mono_us() + (uint64_t)wait_ms * 1000;
	char		**socks = NULL, *err = NULL;
	int		 n = 0, i, ready;

	stmt = store_prepare(st, "SELECT sock FROM instances WHERE fn IS NULL "
	    "AND runtime = ? AND driver = ? AND state = 'ready'");
	sqlite3_bind_text(stmt, 1, runtime, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, driver, -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		socks = xrealloc(socks, sizeof *socks * (n + 1));
		socks[n++] = xstrdup((const char *)sqlite3_column_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		for (ready = 0; !ready;) {
			if (agent_request(inst_conn(socks[i]), "GET", PROTO_PATH_HEALTH,
			    NULL, 0, NULL, 0, wait_ms, &r, &err) == 0) {
				ready = r.http == 200 && strstr(r.body, "\"ready\": true");
				agent_reply_free(&r);
			} else {
				free(err);
				err = NULL;
			}
			if (!ready && util_mono_us() > end) {
				*cause = xasprintf("pool instance at %s not ready", socks[i]);
				break;
			}
			if (!ready)
				nanosleep(&ts, NULL);
		}
		if (!ready)
			break;
	}
	for (i = 0; i < n; i++)
		free(socks[i]);
	free(socks);
	return *cause != NULL ? -1 : 0;
}
