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
 * Code versions are counted by the instances that use them.  An
 * instance's row names the one version its sandbox shows at /var/task,
 * which its next runtime generation starts on; a generation running holds
 * a shared flock on the version it started on for as long as it runs
 * (vm/agent/spawn.c), which may be an older one when a reload came during
 * an invocation.  A version other than the function's current one is
 * removed (inst_prune_code) only when no row names it and its directory
 * can be locked exclusively.  Every change of an instance's code, and
 * every removal, happens under the function's code lock,
 * $HEARTH_HOME/code/NAME/.lock, so two processes never move one sandbox's
 * code in different orders, an instance's code only moves forward, and
 * the row and the sandbox agree whenever the lock is free (a process that
 * dies in between leaves a row behind its sandbox, never ahead of it: the
 * next invoker brings it current again).  A new instance takes the
 * function's current version in the statement that writes its row.
 *
 * Rows are written before the VM exists (state 'starting') and removed
 * after it is gone, so a crash leaves at worst a row that inst_gc cleans.
 * A new or claimed instance stays 'starting' — invisible to other
 * invokers — until its creator has configured it and it has served once;
 * only then is it 'ready' for everyone.  Agents exit on their own after an
 * idle TTL; inst_gc notices and removes what they leave behind.
 */
#include <sys/file.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Write in's last use back to its row.  Its configuration is written only
 * under the code lock (inst_bring_current) or by the one process that
 * holds it 'starting' (inst_mark_ready): a copy read before a reload
 * must not put the row back behind its sandbox.
 */
void
inst_update_row(struct store *st, struct inst *in)
{
	sqlite3_stmt	*stmt = store_stmt(st, "UPDATE instances SET "
	    "last_used = ? WHERE id = ?");

	in->last_used = util_now();
	sqlite3_bind_double(stmt, 1, in->last_used);
	sqlite3_bind_text(stmt, 2, in->id, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	store_done(stmt);
}

/* Write the configuration inst_bring_current gave in to its row. */
static void
inst_write_config(struct store *st, struct inst *in, int last_used)
{
	sqlite3_stmt	*stmt = store_stmt(st, "UPDATE instances SET fn = ?, "
	    "memory_mb = ?, fn_version = ?, code_version = ?, "
	    "last_used = CASE WHEN ?5 THEN ?6 ELSE last_used END WHERE id = ?7");

	if (last_used)
		in->last_used = util_now();
	sqlite3_bind_text(stmt, 1, in->fn, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, in->memory_mb);
	sqlite3_bind_int(stmt, 3, in->fn_version);
	sqlite3_bind_int(stmt, 4, in->code_version);
	sqlite3_bind_int(stmt, 5, last_used);
	sqlite3_bind_double(stmt, 6, in->last_used);
	sqlite3_bind_text(stmt, 7, in->id, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	store_done(stmt);
}

/*
 * Take function name's code lock (see the top of this file), waiting for
 * it.  Returns its descriptor for inst_code_unlock, or -1 with *cause
 * (the function's code is gone: it was deleted).
 */
static int
inst_code_lock(struct store *st, const char *name, char **cause)
{
	char	*path = xasprintf("%s/code/%s/.lock", st->home, name);
	int	 fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			*cause = xasprintf("code lock of %s: %s", name,
			    strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void
inst_code_unlock(int fd)
{
	close(fd);	/* the lock goes with the descriptor */
}

/* Function name's current code version, 0 if there is no such function. */
static int
inst_current_code(struct store *st, const char *name)
{
	sqlite3_stmt	*stmt = store_stmt(st, "SELECT code_version FROM "
	    "functions WHERE name = ?");
	int		 v = 0;

	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	store_done(stmt);
	return v;
}

/* Does any instance row of function name name code version v? */
static int
inst_code_used(struct store *st, const char *name, int v)
{
	sqlite3_stmt	*stmt = store_stmt(st, "SELECT 1 FROM instances "
	    "WHERE fn = ? AND code_version = ? LIMIT 1");
	int		 used;

	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, v);
	used = sqlite3_step(stmt) == SQLITE_ROW;
	store_done(stmt);
	return used;
}

/*
 * Remove function name's code versions that nothing uses: older than the
 * current one, named by no instance row, run by no runtime generation
 * (their directory locks exclusively).  A version still running stays
 * until a later look: the next update, `vm ls` or `fn ls`.
 */
static void
inst_prune_code(struct store *st, const char *name)
{
	struct dirent	*de;
	DIR		*d;
	char		*root, *dir, *end, *cause = NULL;
	long		 v;
	int		 lock, cur, dfd;

	if ((lock = inst_code_lock(st, name, &cause)) == -1) {
		free(cause);
		return;
	}
	root = xasprintf("%s/code/%s", st->home, name);
	if ((cur = inst_current_code(st, name)) == 0 ||
	    (d = opendir(root)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != 'v')
			continue;
		v = strtol(de->d_name + 1, &end, 10);
		if (*end != '\0' || end == de->d_name + 1 || v < 1 || v >= cur ||
		    inst_code_used(st, name, (int)v))
			continue;
		dir = xasprintf("%s/%s", root, de->d_name);
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* Held shared by a runtime generation still running on it. */
		if (dfd != -1 && flock(dfd, LOCK_EX | LOCK_NB) == 0)
			util_rmtree(dir);
		if (dfd != -1)
			close(dfd);
		free(dir);
	}
	closedir(d);
out:
	free(root);
	inst_code_unlock(lock);
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
	rootfs = xasprintf("%s/rootfs", image);
	dir = inst_run_dir(st, in->id);

	/*
	 * The code is the function's current version, read by the statement
	 * that writes the row naming it: a version is only removed once it
	 * is no longer current, so it cannot go between the two.  It may be
	 * newer than fn's, if fn was read before an update.
	 */
	stmt = store_prepare(st, "INSERT INTO instances (id, fn, runtime, driver, "
	    "state, pid, sock, memory_mb, fn_version, code_version, created, "
	    "last_used) SELECT ?1, ?2, ?3, ?4, 'starting', 0, '', ?5, 0, "
	    "coalesce((SELECT code_version FROM functions WHERE name = ?2), 0), "
	    "?6, ?7 RETURNING code_version");
	sqlite3_bind_text(stmt, 1, in->id, -1, SQLITE_STATIC);
	if (fn != NULL)
		sqlite3_bind_text(stmt, 2, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, runtime, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, drv->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, in->memory_mb);
	sqlite3_bind_double(stmt, 6, util_now());
	sqlite3_bind_double(stmt, 7, util_now());
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		*cause = xasprintf("store: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		goto fail;
	}
	in->code_version = sqlite3_column_int(stmt, 0);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (fn != NULL && in->code_version == 0) {
		*cause = xasprintf("function '%s' was deleted", fn->name);
		inst_delete_row(st, in->id);
		goto fail;
	}
	code = fn != NULL ? fn_code_dir(st, fn->name, in->code_version) : NULL;

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
 * Read into in what its row says now, where that is newer than what in
 * holds (another process may have brought it on since in was read, and a
 * new instance's row has no configuration yet).  -1 if the row is gone.
 */
static int
inst_reread(struct store *st, struct inst *in)
{
	sqlite3_stmt	*stmt = store_stmt(st, "SELECT code_version, "
	    "fn_version, memory_mb FROM instances WHERE id = ?");
	int		 rc = -1;

	sqlite3_bind_text(stmt, 1, in->id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		if (sqlite3_column_int(stmt, 0) > in->code_version)
			in->code_version = sqlite3_column_int(stmt, 0);
		if (sqlite3_column_int(stmt, 1) > in->fn_version) {
			in->fn_version = sqlite3_column_int(stmt, 1);
			in->memory_mb = sqlite3_column_int(stmt, 2);
		}
		rc = 0;
	}
	store_done(stmt);
	return rc;
}

/*
 * Bring in up to date with fn: code, memory limit and runtime
 * configuration, under fn's code lock, and only forward: an instance
 * already newer than fn (read before an update) is left as it is.  New
 * code reaches the runtime's next generation, which the configuration
 * sent with it starts once the agent is idle, so an invocation in flight
 * finishes on its own version's files.  The row gets the new code version
 * at once; the rest too if write_row (else inst_mark_ready writes it).
 */
int
inst_bring_current(struct store *st, struct inst *in, struct fn *fn,
    int write_row, char **cause)
{
	const struct vm_driver	*drv = vm_driver_find(in->driver);
	struct buf		 env = { 0 };
	char			*dir, *who;
	int			 lock, v, rc = -1, code = 0, conf, conf_rc;

	if (drv == NULL) {
		*cause = xasprintf("instance %s: unknown driver %s", in->id, in->driver);
		return -1;
	}
	if ((lock = inst_code_lock(st, fn->name, cause)) == -1)
		return -1;
	if (inst_reread(st, in) != 0) {
		*cause = xasprintf("instance %s is gone", in->id);
		goto out;
	}
	if (in->code_version < fn->code_version) {
		/*
		 * fn's version may have been superseded and removed since fn
		 * was read; then the current one (never removed) is the one.
		 */
		v = fn->code_version;
		dir = fn_code_dir(st, fn->name, v);
		if (access(dir, F_OK) != 0) {
			free(dir);
			v = inst_current_code(st, fn->name);
			dir = fn_code_dir(st, fn->name, v);
		}
		if (drv->set_code(in->id, in->pid, in->sock, dir, cause) != 0) {
			free(dir);
			goto out;
		}
		free(dir);
		in->code_version = v;
		code = 1;
	}
	conf = in->fn_version < fn->version;
	if (conf && in->memory_mb != fn->memory_mb) {
		if (drv->set_memory(in->id, fn->memory_mb, cause) != 0)
			goto out;
		in->memory_mb = fn->memory_mb;
	}
	/* New code always comes with a configuration: it restarts the runtime. */
	if (conf || code) {
		lambda_env(fn, in->id, &env);
		who = xasprintf("instance %s", in->id);
		conf_rc = agent_configure(conn_get(in->sock), who, env.data,
		    env.len, cause);
		free(who);
		buf_free(&env);
		if (conf_rc != 0)
			goto out;
		if (conf)
			in->fn_version = fn->version;
	}
	free(in->fn);
	in->fn = xstrdup(fn->name);
	if (write_row || code)
		inst_write_config(st, in, write_row);
	rc = 0;
out:
	/* Half done: the row names the code the sandbox shows now. */
	if (rc != 0 && code)
		inst_write_config(st, in, 0);
	inst_code_unlock(lock);
	return rc;
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
	inst_prune_code(st, fn->name);
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
	/* Code that only those instances, or generations since ended, used. */
	stmt = store_prepare(st, "SELECT name FROM functions");
	while (sqlite3_step(stmt) == SQLITE_ROW)
		inst_prune_code(st, (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
}
