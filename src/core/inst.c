/*
 * inst.c — instances: warm sandboxes that run functions, as rows and a
 * lifecycle.
 *
 * An instance is a VM (any driver) running hearth-agent, recorded in the
 * instances table.  A function's instances stay warm after an invocation
 * and are reused (invoke.c); the pool (pool.c) holds instances that belong
 * to no function yet.  An instance carries the function version and code
 * version it was configured with; one that lags is brought up to date
 * (code swapped, limits changed, runtime restarted) before it serves —
 * which is also how hot reload reaches every warm instance.
 *
 * Rows are written before the VM exists (state 'starting') and removed
 * after it is gone, so a crash leaves at worst a row that inst_gc cleans.
 * A new or claimed instance stays 'starting' — invisible to other
 * invokers — until its creator has configured it and it has served once;
 * only then is it 'ready' for everyone.  Agents exit on their own after an
 * idle TTL; inst_gc notices and removes what they leave behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inst.h"
#include "proto.h"

#define INST_PIDS_MAX		256	/* processes and threads */
#define INST_IDLE_TTL		300	/* seconds a warm instance lives idle */
#define INST_POOL_TTL		900	/* seconds a pool instance waits */

static void	(*inst_notify)(const char *line);	/* the front end's, or NULL */

/* Hand the VM layer's notices to fn (NULL: only the event feed has them). */
void
inst_set_notify(void (*fn)(const char *line))
{
	inst_notify = fn;
}

/* Read one row of INST_COLUMNS into a new instance. */
struct inst *
inst_from_row(sqlite3_stmt *stmt)
{
	struct inst	*in = xcalloc(1, sizeof *in);
	const char	*fn;

	snprintf(in->id, sizeof in->id, "%s", sqlite3_column_text(stmt, 0));
	fn = (const char *)sqlite3_column_text(stmt, 1);
	in->fn = fn != NULL ? xstrdup(fn) : NULL;
	in->runtime = xstrdup((const char *)sqlite3_column_text(stmt, 2));
	in->driver = xstrdup((const char *)sqlite3_column_text(stmt, 3));
	snprintf(in->state, sizeof in->state, "%s", sqlite3_column_text(stmt, 4));
	in->pid = (pid_t)sqlite3_column_int(stmt, 5);
	in->sock = xstrdup((const char *)sqlite3_column_text(stmt, 6));
	in->memory_mb = sqlite3_column_int(stmt, 7);
	in->fn_version = sqlite3_column_int(stmt, 8);
	in->code_version = sqlite3_column_int(stmt, 9);
	in->created = sqlite3_column_double(stmt, 10);
	in->last_used = sqlite3_column_double(stmt, 11);
	return in;
}

/*
 * Step stmt (a bound SELECT of INST_COLUMNS) to its end and return its
 * rows as a new array in *listp and their count.  The caller still owns
 * stmt; free the rows with inst_free_rows.
 */
int
inst_rows(sqlite3_stmt *stmt, struct inst ***listp)
{
	struct inst	**list = NULL;
	int		  n = 0;

	while (sqlite3_step(stmt) == SQLITE_ROW) {
		list = xrealloc(list, sizeof *list * (n + 1));
		list[n++] = inst_from_row(stmt);
	}
	*listp = list;
	return n;
}

void
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

/* Free the n rows of list (from inst_rows) and list itself. */
void
inst_free_rows(struct inst **list, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		inst_free(list[i]);
	free(list);
}

/* Load the instance with this id, or NULL. */
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

char *
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
void
inst_kill_why(struct store *st, struct inst *in, const char *why)
{
	const struct vm_driver	*drv = vm_driver_find(in->driver);
	char			*dir = inst_run_dir(st, in->id), *cause = NULL;

	conn_drop(in->sock);
	if (drv != NULL && drv->destroy(in->id, in->pid, dir, &cause) != 0)
		free(cause);
	inst_delete_row(st, in->id);
	store_event(st, "reaped", in->id, "%s%s%s", in->fn != NULL ? in->fn : "pool",
	    why != NULL ? ": " : "", why != NULL ? why : "");
	free(dir);
}

void
inst_kill(struct store *st, struct inst *in)
{
	inst_kill_why(st, in, NULL);
}

/*
 * Let other processes use in: until now only its creator (or claimer)
 * could, so that nobody sends an event to a sandbox not yet configured.
 */
void
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
	snprintf(in->state, sizeof in->state, "ready");
}

/* Write in's configuration and last use back to its row. */
void
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

/* Record what the VM layer noted (a snapshot not used, say) and pass it on. */
static void
inst_notices(struct store *st, const char *id)
{
	char	*all = vm_notice_take(), *line, *save = NULL;

	if (all == NULL)
		return;
	for (line = strtok_r(all, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		store_event(st, "notice", id, "%s", line);
		if (inst_notify != NULL)
			inst_notify(line);
	}
	free(all);
}

/*
 * Start a new instance for runtime under the named driver (fn NULL: a
 * pool instance).
 */
struct inst *
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
	spec.cpu_milli = lambda_cpu_milli(in->memory_mb);
	spec.pids_max = INST_PIDS_MAX;
	spec.tmp_mb = LAMBDA_TMP_MB;
	spec.idle_ttl_s = fn != NULL ? INST_IDLE_TTL : INST_POOL_TTL;
	spec.prewarm_able = image_prewarm(image);
	spec.prewarm = fn == NULL && spec.prewarm_able;
	if (fn != NULL) {
		/* Configured at birth: the runtime starts with the agent. */
		lambda_env(fn, in->id, &env);
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
	snprintf(in->state, sizeof in->state, "%s", fn == NULL ? "ready" :
	    "starting");
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
 * Bring in up to date with fn: code, memory limit and runtime
 * configuration.  The agent restarts the runtime once idle, so an
 * invocation in flight finishes on the old code.
 */
int
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
		lambda_env(fn, in->id, &env);
		who = xasprintf("instance %s", in->id);
		rc = agent_configure(conn_get(in->sock), who, env.data, env.len,
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

/* Hot reload: bring every warm instance of fn up to date now. */
int
inst_reload(struct store *st, struct fn *fn, char **cause)
{
	sqlite3_stmt	*stmt;
	struct inst	**list;
	char		*err = NULL;
	int		 n, i;

	stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances "
	    "WHERE fn = ? AND state = 'ready'");
	sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
	n = inst_rows(stmt, &list);
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		/* Moved to another driver: its next instance starts there. */
		if (strcmp(list[i]->driver, fn_driver(fn->driver)) != 0) {
			inst_kill_why(st, list[i], "the function moved to another driver");
			continue;
		}
		if (inst_bring_current(st, list[i], fn, 1, &err) != 0) {
			/* Cannot update it: replace it on the next call. */
			free(err);
			err = NULL;
			inst_kill(st, list[i]);
		}
	}
	inst_free_rows(list, n);
	return 0;
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
	struct inst	**list;
	int		 n, i;

	if (name != NULL) {
		stmt = store_prepare(st, "SELECT " INST_COLUMNS
		    " FROM instances WHERE fn = ?");
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	} else
		stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances");
	n = inst_rows(stmt, &list);
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++)
		inst_kill(st, list[i]);
	inst_free_rows(list, n);
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
	struct inst		**list, *in;
	const struct vm_driver	*drv;
	int			 n, i;

	stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances");
	n = inst_rows(stmt, &list);
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		in = list[i];
		drv = vm_driver_find(in->driver);
		/*
		 * Dead: its VM is gone, or it never got one (a hearth that
		 * crashed while creating it) and its start grace has passed.  A
		 * 'starting' instance with a VM may be serving its first,
		 * long invocation: only its liveness counts.
		 */
		if (in->pid == 0 ? strcmp(in->state, "starting") == 0 &&
		    util_now() - in->created > inst_start_grace() :
		    (drv == NULL || !drv->alive(in->id, in->pid)))
			inst_kill_why(st, in, "gone (idle TTL or killed)");
	}
	inst_free_rows(list, n);
}
