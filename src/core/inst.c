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
 * The lifecycle is the table inst_states below: every state, who may
 * move a row out of it, and what the janitor (inst_gc) does with a row in
 * it.  Whoever holds a row 'starting' (its creator, or the invoker that
 * claimed it from the pool) holds an exclusive flock on its owner file,
 * $HEARTH_HOME/run/ID.owner, which the kernel drops when that process
 * dies, at whatever step.  The owner file is made and locked before the
 * row is written, the row before the VM exists, and the VM's cgroup is
 * named by the instance id: so whatever dies when, the next process that
 * looks finds either a live owner (and leaves it alone) or a row or run
 * directory whose lock it can take, and then destroys the VM by its id,
 * pid or no pid.  A row is deleted only once its VM's destroy succeeded;
 * one whose destroy failed becomes 'gone' and the janitor tries again.
 * Agents exit on their own after an idle TTL; inst_gc notices and removes
 * what they leave behind.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inst.h"
#include "proto.h"

#define INST_PIDS_MAX		256	/* processes and threads */
#define INST_IDLE_TTL		300	/* seconds a warm instance lives idle */
#define INST_POOL_TTL		900	/* seconds a pool instance waits */
#define INST_SCALE_WINDOW	30	/* seconds "recent peak" looks back */
#define INST_RETIRE_TTL		1	/* a retired instance's idle TTL, s */
#define INST_STAGE_STALE	3600	/* s: a staging directory left behind */
#define INST_GC_EVERY		10	/* s between janitor runs from invocations */

/*
 * The instance lifecycle, in one place.  A row is born 'starting' (by
 * inst_spawn) and ends deleted (by inst_end, after its VM's destroy
 * succeeded).  The janitor (inst_gc) looks at every row: an owned state
 * is left alone while its owner file is locked, and destroyed once it is
 * not (the owner died: client killed, console crashed); an unowned one is
 * kept while its VM runs (live_keeps) and destroyed once it does not.
 */
/*
 * The memory budget: what the limits of every instance (running,
 * starting, idle, pool) may add up to, the setting instances.memory, by
 * default half the host's RAM (inst_memory_default).  Limits, not use:
 * an instance may grow to its limit, and the budget is there so that
 * every one can without the host swapping or its OOM killer choosing.
 * inst_spawn starts no instance beyond it; the invoker waits a little for
 * a warm one and then fails with inst_throttled's error, as Lambda
 * throttles past its concurrency limit.
 */
long long
inst_memory_budget_mb(void)
{
	return config_get_size("instances.memory") >> 20;
}

/* instances.memory's default: half of MemTotal (4G if unreadable). */
const char *
inst_memory_default(void)
{
	static char	 def[32];
	FILE		*f;
	char		 line[128];
	long long	 kb = 0;

	if (def[0] != '\0')
		return def;
	if ((f = fopen("/proc/meminfo", "re")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL)
			if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
				break;
		fclose(f);
	}
	if (kb >= 2048)
		snprintf(def, sizeof def, "%lldM", kb / 2 / 1024);
	else
		snprintf(def, sizeof def, "4G");
	return def;
}

/* The memory all instances' limits add up to now, in MB. */
static long long
inst_memory_used_mb(struct store *st)
{
	sqlite3_stmt	*stmt = store_prepare(st, "SELECT "
	    "coalesce(sum(memory_mb), 0) FROM instances");
	long long	 mb = 0;

	if (sqlite3_step(stmt) == SQLITE_ROW)
		mb = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return mb;
}

/* Would a new instance of memory_mb go beyond the budget? */
int
inst_over_budget(struct store *st, int memory_mb)
{
	return inst_memory_used_mb(st) + memory_mb > inst_memory_budget_mb();
}

/*
 * Give instance in a limit of memory_mb in the budget, checked by the
 * statement that spends it (as inst_spawn's insert does), before its
 * cgroup grows: a claimed pool instance (INST_POOL_MEMORY) raised to its
 * function's memory, or a warm one after `fn update --memory`.  -1 with
 * the throttling error if the budget has no room; the row is unchanged.
 */
static int
inst_budget_take(struct store *st, struct inst *in, int memory_mb,
    char **cause)
{
	sqlite3_stmt	*stmt = store_prepare(st, "UPDATE instances SET "
	    "memory_mb = ?1 WHERE id = ?2 AND (?1 <= memory_mb OR ?1 <= "
	    "memory_mb + ?3 - (SELECT coalesce(sum(memory_mb), 0) FROM "
	    "instances))");
	int		 rc;

	sqlite3_bind_int(stmt, 1, memory_mb);
	sqlite3_bind_text(stmt, 2, in->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, inst_memory_budget_mb());
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("store: %s", store_errmsg(st));
		return -1;
	}
	if (sqlite3_changes(st->db) == 0) {
		*cause = inst_throttled(st, memory_mb);
		return -1;
	}
	return 0;
}

/* The error of an instance of memory_mb the budget has no room for. */
char *
inst_throttled(struct store *st, int memory_mb)
{
	return xasprintf("TooManyRequestsException: Rate Exceeded: a new "
	    "instance (%d MB) would take the instances' memory past their "
	    "budget, instances.memory = %lld MB (%lld MB in use); no warm "
	    "instance came free", memory_mb, inst_memory_budget_mb(),
	    inst_memory_used_mb(st));
}

/* The idle TTL of a function's instance: $HEARTH_IDLE_TTL, else 300 s. */
int
inst_idle_ttl(void)
{
	const char	*v = getenv("HEARTH_IDLE_TTL");

	return v != NULL ? atoi(v) : INST_IDLE_TTL;
}

/* How far back "recent peak" looks (inst_scale_down), in seconds. */
static int
inst_scale_window(void)
{
	const char	*w = getenv("HEARTH_SCALE_WINDOW");	/* a test knob */

	return w != NULL && atoi(w) > 0 ? atoi(w) : INST_SCALE_WINDOW;
}

/*
 * The idle TTL instance id of function name gets (at birth, on a claim,
 * on a reconfiguration): the full one if it is the function's only
 * instance, else the scale-down window — one beyond the first was made
 * for a burst, and stays only while a burst needs it (inst_scale_down).
 */
static int
inst_fn_ttl(struct store *st, const char *name, const char *id)
{
	sqlite3_stmt	*stmt = store_prepare(st, "SELECT count(*) FROM "
	    "instances WHERE fn = ? AND id != ? AND state != 'gone'");
	int		 others = 0, ttl = inst_idle_ttl();

	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		others = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (others > 0 && (ttl <= 0 || ttl > inst_scale_window()))
		ttl = inst_scale_window();
	return ttl;
}

static const struct inst_state {
	const char	*name;		/* the row's state */
	const char	*to;		/* states it may move to ("-": deleted) */
	const char	*who;		/* who may move it */
	int		 owned;		/* its owner file's lock says who has it */
	int		 live_keeps;	/* the janitor keeps it while its VM runs */
} inst_states[] = {
	/* (A row with no owner file at all counts as owned for a start's
	 * longest time, vm_start_max_s: an older hearth may be making it.) */
	{ "starting", "ready gone -", "its owner alone (inst_spawn, "
	  "pool_claim): inst_spawn (a pool row), inst_mark_ready, inst_end; "
	  "the janitor once the owner died", 1, 0 },
	{ "ready", "starting gone -", "anyone: pool_claim (pool rows), "
	  "inst_end", 0, 1 },
	{ "gone", "-", "the janitor, or vm rm: its destroy failed, retried", 0, 0 },
	{ NULL, NULL, NULL, 0, 0 }
};

static const struct inst_state *
inst_state_find(const char *name)
{
	const struct inst_state	*s;

	for (s = inst_states; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static void	(*inst_notify)(const char *line);	/* the front end's, or NULL */

static int	inst_owner_try(struct store *, const char *, int *);
static int	inst_take(struct store *, struct inst *, char **);

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
	in->owner_fd = -1;
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
	inst_owner_drop(in);
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

/* The file that says instance id was retired (inst_scale_down). */
static char *
inst_retired_path(struct store *st, const char *id)
{
	return xasprintf("%s/run/%s/retired", st->home, id);
}

/* Instance id's owner file (see the top of this file). */
static char *
inst_owner_path(struct store *st, const char *id)
{
	return xasprintf("%s/run/%s.owner", st->home, id);
}

/*
 * Lock instance id's existing owner file without waiting: its descriptor,
 * or -1 if another process holds it or there is none.
 */
int
inst_owner_take(struct store *st, const char *id)
{
	char	*path = inst_owner_path(st, id);
	int	 fd;

	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Make instance id's owner file, saying its driver, and lock it: its
 * descriptor, or -1 with *cause.
 *
 * The file appears already locked and written: it is made unnamed
 * (O_TMPFILE), locked, written, and only then linked at its name.  Made
 * at its name first, a janitor in another process could find it between
 * the open and the lock — an owner file with no row and no lock, which is
 * what a dead starter leaves — and take it away.  Where O_TMPFILE is not
 * supported, a dot-named file (the janitor looks at none) stands in.
 */
static int
inst_owner_make(struct store *st, const char *id, const char *driver,
    char **cause)
{
	char	*dir = xasprintf("%s/run", st->home), *path, *tmp = NULL;
	char	 self[64];
	int	 fd, rc;

	if (util_mkdirs(dir, 0700) == -1) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	path = inst_owner_path(st, id);
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1 &&
	    (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		tmp = xasprintf("%s/.%s.owner", dir, id);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	}
	free(dir);
	if (fd == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1 ||
	    write(fd, driver, strlen(driver)) != (ssize_t)strlen(driver))
		goto fail;
	if (tmp != NULL)
		rc = link(tmp, path);
	else {
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		rc = linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
	}
	if (rc == -1)
		goto fail;
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(path);
	return fd;
fail:
	*cause = xasprintf("%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(path);
	return -1;
}

/*
 * Hold in by its owner file's locked descriptor fd (-1: none).  While
 * this process holds an instance, Ctrl-C does not kill it at once
 * (util_hold): whoever holds it ends it, or makes it ready, first.
 */
void
inst_owner_set(struct inst *in, int fd)
{
	in->owner_fd = fd;
	if (fd != -1)
		util_hold(1);
}

/* Let go of in: nobody holds it 'starting' from this process any more. */
void
inst_owner_drop(struct inst *in)
{
	if (in->owner_fd != -1) {
		close(in->owner_fd);
		util_hold(-1);
	}
	in->owner_fd = -1;
}

static int
inst_delete_row(struct store *st, const char *id, char **cause)
{
	sqlite3_stmt	*stmt = store_prepare(st, "DELETE FROM instances WHERE id = ?");
	int		 rc = 0;

	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		*cause = xasprintf("instance %s: its row stays: %s", id,
		    store_errmsg(st));
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* Mark id 'gone': its destroy failed, so nobody may use it but the janitor. */
static void
inst_mark_gone(struct store *st, const char *id)
{
	sqlite3_stmt	*stmt = store_prepare(st, "UPDATE instances SET "
	    "state = 'gone' WHERE id = ?");

	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
}

/*
 * Destroy instance id's VM under driver (pid 0 if none was recorded: the
 * driver finds it by id), its cgroups and run directory; then its owner
 * file.  -1 with *cause naming the instance if anything stays.
 */
static int
inst_destroy_vm(struct store *st, const char *id, const char *driver,
    pid_t pid, char **cause)
{
	const struct vm_driver	*drv = vm_driver_find(driver);
	char			*dir, *path, *err = NULL;
	int			 rc = 0;

	if (drv == NULL) {
		*cause = xasprintf("instance %s: unknown driver '%s'", id, driver);
		return -1;
	}
	dir = inst_run_dir(st, id);
	if (drv->destroy(id, pid, dir, &err) != 0) {
		*cause = xasprintf("instance %s: %s", id, err != NULL ? err :
		    "destroy failed");
		free(err);
		rc = -1;
	} else {
		path = inst_owner_path(st, id);
		unlink(path);
		free(path);
	}
	free(dir);
	return rc;
}

/*
 * Stop in's VM and forget it; why goes to the event feed.  The row is
 * deleted only once the VM is gone; -1 with *cause (naming in) if the
 * destroy failed (the row stays, 'gone', for the janitor to retry) or the
 * row could not be deleted.
 */
static int
inst_end(struct store *st, struct inst *in, const char *why, char **cause)
{
	conn_drop(in->sock);
	if (inst_destroy_vm(st, in->id, in->driver, in->pid, cause) != 0) {
		inst_mark_gone(st, in->id);
		inst_owner_drop(in);
		store_event(st, "reap-failed", in->id, "%s", *cause);
		return -1;
	}
	inst_owner_drop(in);
	if (inst_delete_row(st, in->id, cause) != 0)
		return -1;
	store_event(st, "reaped", in->id, "%s%s%s", in->fn != NULL ? in->fn : "pool",
	    why != NULL ? ": " : "", why != NULL ? why : "");
	return 0;
}

/*
 * Stop an instance's VM and forget it; why goes to the event feed, and so
 * does a failure (the janitor retries it).  -1 if it failed.
 */
int
inst_kill_why(struct store *st, struct inst *in, const char *why)
{
	char	*cause = NULL;

	if (inst_end(st, in, why, &cause) != 0) {
		free(cause);
		return -1;
	}
	return 0;
}

int
inst_kill(struct store *st, struct inst *in)
{
	return inst_kill_why(st, in, NULL);
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
	/*
	 * After the row says 'ready': a janitor that takes the lock then
	 * sees it ready.  Had the update failed, the row stays 'starting'
	 * with no owner and the janitor ends it.
	 */
	inst_owner_drop(in);
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
 * Remove a staging directory (fn.c's .stage-*) left by an fn create or
 * update that died while copying the code in.  One still being written
 * has no lock to tell it by, so its age does: staging copies at most
 * PROTO_CODE_MAX bytes, which takes seconds, not INST_STAGE_STALE.
 */
static void
inst_prune_stage(const char *root, const char *name)
{
	struct stat	 sb;
	char		*dir = xasprintf("%s/%s", root, name);

	if (lstat(dir, &sb) == 0 && util_now() - (double)sb.st_mtime >
	    INST_STAGE_STALE)
		util_rmtree(dir);
	free(dir);
}

/*
 * Remove function name's code versions that nothing uses: older than the
 * current one, named by no instance row, run by no runtime generation
 * (their directory locks exclusively).  A version still running stays
 * until a later look: the next update, `vm ls` or `fn ls`.  So do the
 * staging directories fn create or update left when they died.
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
		if (strncmp(de->d_name, ".stage-", 7) == 0) {
			inst_prune_stage(root, de->d_name);
			continue;
		}
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
	char			**cmd = NULL, sock[512], *err, *path;
	struct buf		 env = { 0 };
	pid_t			 pid;
	int			 i, fd;

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
	/* Owned before the row exists: a row never lacks its owner file. */
	if ((fd = inst_owner_make(st, in->id, drv->name, cause)) == -1)
		goto fail;
	inst_owner_set(in, fd);

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
	    "?6, ?7 WHERE (SELECT coalesce(sum(memory_mb), 0) FROM instances) "
	    "+ ?5 <= ?8 RETURNING code_version");
	sqlite3_bind_text(stmt, 1, in->id, -1, SQLITE_STATIC);
	if (fn != NULL)
		sqlite3_bind_text(stmt, 2, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, runtime, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, drv->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, in->memory_mb);
	sqlite3_bind_double(stmt, 6, util_now());
	sqlite3_bind_double(stmt, 7, util_now());
	/* The budget is checked by the statement that spends it: atomic. */
	sqlite3_bind_int64(stmt, 8, inst_memory_budget_mb());
	if ((i = sqlite3_step(stmt)) != SQLITE_ROW) {
		*cause = i == SQLITE_DONE ? inst_throttled(st, in->memory_mb) :
		    xasprintf("store: %s", store_errmsg(st));
		sqlite3_finalize(stmt);
		goto fail_owner;
	}
	in->code_version = sqlite3_column_int(stmt, 0);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (fn != NULL && in->code_version == 0) {
		*cause = xasprintf("function '%s' was deleted", fn->name);
		goto fail_vm;
	}
	vm_test_pause("row");
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
	spec.idle_ttl_s = fn != NULL ? inst_fn_ttl(st, fn->name, in->id) :
	    INST_POOL_TTL;
	spec.prewarm_able = image_prewarm(image);
	spec.prewarm = fn == NULL && spec.prewarm_able;
	if (fn != NULL) {
		/* Configured at birth: the runtime starts with the agent. */
		lambda_env(fn, in->id, &env);
		spec.config = env.data;
	}
	if (fn == NULL && getenv("HEARTH_IDLE_TTL") != NULL)
		spec.idle_ttl_s = atoi(getenv("HEARTH_IDLE_TTL"));
	if (drv->create(&spec, &pid, sock, sizeof sock, cause) != 0) {
		inst_notices(st, in->id);
		goto fail_vm;
	}
	inst_notices(st, in->id);
	vm_test_pause("create");
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
	/* Its configuration came with it: the row says which version. */
	stmt = store_prepare(st, "UPDATE instances SET pid = ?, sock = ?, "
	    "state = ?, fn_version = ? WHERE id = ?");
	sqlite3_bind_int(stmt, 1, pid);
	sqlite3_bind_text(stmt, 2, sock, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, fn == NULL ? "ready" : "starting", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(stmt, 4, in->fn_version);
	sqlite3_bind_text(stmt, 5, in->id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		*cause = xasprintf("store: %s", store_errmsg(st));
		sqlite3_finalize(stmt);
		goto fail_vm;
	}
	sqlite3_finalize(stmt);
	snprintf(in->state, sizeof in->state, "%s", fn == NULL ? "ready" :
	    "starting");
	if (fn == NULL)
		inst_owner_drop(in);	/* a pool instance is anyone's */
	store_event(st, "started", in->id, "%s %s %s, pid %d",
	    fn != NULL ? fn->name : "pool", runtime, drv->noun, (int)pid);
	vm_test_pause("pid");
	goto out;
fail_vm:
	/*
	 * Whatever create left (a sandbox whose pid never came back, its
	 * cgroups) goes by its id; if it cannot, the row stays for the
	 * janitor, which takes the owner lock once this process lets go.
	 */
	err = NULL;
	if (inst_destroy_vm(st, in->id, drv->name, 0, &err) != 0) {
		inst_mark_gone(st, in->id);
		store_event(st, "reap-failed", in->id, "%s", err);
		free(err);
		goto fail;
	}
	if (inst_delete_row(st, in->id, &err) != 0)
		free(err);
	goto fail;
fail_owner:
	path = inst_owner_path(st, in->id);
	unlink(path);
	free(path);
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
		if (inst_budget_take(st, in, fn->memory_mb, cause) != 0 ||
		    drv->set_memory(in->id, fn->memory_mb, cause) != 0)
			goto out;
		in->memory_mb = fn->memory_mb;
	}
	/*
	 * New code always comes with a configuration: it restarts the
	 * runtime.  The configuration carries the function's idle TTL, so a
	 * claimed pool instance stops waiting the pool's.
	 */
	if (conf || code) {
		lambda_env(fn, in->id, &env);
		buf_printf(&env, PROTO_ENV_IDLE_TTL "=%d\n",
		    inst_fn_ttl(st, fn->name, in->id));
		who = xasprintf("instance %s", in->id);
		conf_rc = agent_configure(conn_get(in->sock), who, env.data,
		    env.len, cause);
		free(who);
		buf_free(&env);
		if (conf_rc != 0)
			goto out;
		if (conf)
			in->fn_version = fn->version;
		dir = inst_retired_path(st, in->id);	/* its TTL is whole */
		unlink(dir);
		free(dir);
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

/*
 * Scale down what a burst scaled up: keep warm about as many of function
 * name's instances as its recent peak concurrency needs, and retire the
 * rest long before their idle TTL.  Mostly the agents do it themselves:
 * an instance started (or claimed) while its function has another gets
 * the window as its idle TTL (inst_fn_ttl), so once a burst is over the
 * instances it added exit a window after their last use, whether or not
 * any hearth runs then.  This pass catches the rest (an instance that
 * got the full TTL as the only one, then was outlived by others).
 *
 * "Recent peak" is measured by last_used: invokers try instances most
 * recently used first (invoke.c), so an instance serves only when every
 * one used more recently was busy, and the number used within the last
 * window (INST_SCALE_WINDOW, or $HEARTH_SCALE_WINDOW seconds, a test
 * knob) is the peak number busy at once within it.  Those are kept, and
 * the most recently used one always (it waits its full idle TTL, as
 * Lambda keeps an environment); every other, idle longer than the window,
 * is retired, oldest-idle first.
 *
 * Retiring does not destroy the sandbox here: that would race with an
 * invoker that just picked it.  It sets the agent's idle TTL to
 * INST_RETIRE_TTL by a /configure that carries only the TTL (which
 * leaves the runtime alone), so the agent exits by its own idle
 * handshake — after an invocation it took, never under one — and the
 * janitor removes the row once the VM is gone.  A file in the run
 * directory marks it retired, so a later pass does not reset the
 * agent's idle clock again; a reconfiguration (inst_bring_current) gives
 * the full TTL back and clears it.
 */
void
inst_scale_down(struct store *st, const char *name)
{
	sqlite3_stmt	*stmt;
	struct inst	**list;
	char		*path, *who, *err = NULL, body[64];
	double		 window = inst_scale_window();
	int		 n, i, fd;

	stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances "
	    "WHERE fn = ? AND state = 'ready' ORDER BY last_used DESC");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	n = inst_rows(stmt, &list);
	sqlite3_finalize(stmt);
	snprintf(body, sizeof body, PROTO_ENV_IDLE_TTL "=%d\n", INST_RETIRE_TTL);
	for (i = n - 1; i >= 1; i--) {
		if (util_now() - list[i]->last_used <= window)
			break;		/* it and every later one: recent */
		path = inst_retired_path(st, list[i]->id);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		free(path);
		if (fd == -1)
			continue;	/* retired already (or its VM gone) */
		close(fd);
		who = xasprintf("instance %s", list[i]->id);
		if (agent_configure(conn_get(list[i]->sock), who, body,
		    strlen(body), &err) == 0)
			store_event(st, "retired", list[i]->id, "idle %.0fs, "
			    "beyond %s's recent peak", util_now() -
			    list[i]->last_used, name);
		free(err);
		err = NULL;
		free(who);
	}
	inst_free_rows(list, n);
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
	int		 rc;

	if ((in = inst_load(st, id)) == NULL) {
		*cause = xasprintf("no instance '%s'", id);
		return -1;
	}
	if ((rc = inst_take(st, in, cause)) == 1) {
		*cause = xasprintf("no instance '%s' (its start failed)", id);
		rc = -1;
	} else if (rc == 0)
		rc = inst_end(st, in, "removed", cause);
	inst_free(in);
	return rc;
}

/*
 * Before vm rm ends in: a row another process is starting (an owned
 * state, inst_states) is that process's alone until it lets go, so wait
 * for its owner lock — a start takes at most vm_start_max_s — and read
 * the row again under it.  0 with in held and current; 1 if the row went
 * meanwhile (the start failed, and its creator cleaned up); -1 with
 * *cause if the owner held on past the longest start.
 */
static int
inst_take(struct store *st, struct inst *in, char **cause)
{
	const struct inst_state	*s = inst_state_find(in->state);
	struct timespec		 ts = { 0, 20 * 1000 * 1000 };
	struct inst		*now;
	double			 until = util_now() + vm_start_max_s();
	int			 fd, absent;

	if (s == NULL || !s->owned || in->owner_fd != -1)
		return 0;
	while ((fd = inst_owner_try(st, in->id, &absent)) == -1 && !absent) {
		if (util_now() > until) {
			*cause = xasprintf("instance %s: still being started by "
			    "another process; not removed", in->id);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	inst_owner_set(in, fd);
	if ((now = inst_load(st, in->id)) == NULL)
		return 1;
	snprintf(in->state, sizeof in->state, "%s", now->state);
	in->pid = now->pid;
	free(in->sock);
	in->sock = now->sock;
	now->sock = NULL;
	inst_free(now);
	return 0;
}

/*
 * Destroy every instance of function name (or every one, if NULL); each
 * failure's cause, naming its instance, goes to failed (if not NULL).
 * Returns how many were removed.
 */
int
inst_destroy_every(struct store *st, const char *name,
    void (*failed)(const char *cause, void *arg), void *arg)
{
	sqlite3_stmt	*stmt;
	struct inst	**list;
	char		*cause;
	int		 n, i, rc, done = 0;

	if (name != NULL) {
		stmt = store_prepare(st, "SELECT " INST_COLUMNS
		    " FROM instances WHERE fn = ?");
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	} else
		stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances");
	n = inst_rows(stmt, &list);
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		cause = NULL;
		if ((rc = inst_take(st, list[i], &cause)) == 1)
			continue;	/* its start failed: its creator ended it */
		if (rc == 0 && inst_end(st, list[i], "removed", &cause) == 0)
			done++;
		else if (failed != NULL)
			failed(cause, arg);
		free(cause);
	}
	inst_free_rows(list, n);
	return done;
}

/* Destroy every instance of function name (or every one, if NULL). */
int
inst_destroy_fn(struct store *st, const char *name)
{
	return inst_destroy_every(st, name, NULL, NULL);
}

/*
 * Lock instance id's owner file without waiting, as inst_owner_take;
 * *absent says whether there was none.
 */
static int
inst_owner_try(struct store *st, const char *id, int *absent)
{
	char	*path = inst_owner_path(st, id);
	int	 fd;

	*absent = 0;
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) == -1)
		*absent = errno == ENOENT;
	else if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

/*
 * Apply inst_states to in: 1 if the janitor should end it.  An owned row
 * whose owner file it can lock (or that has none) was left by a process
 * that died; the lock, taken, stays in in until it is ended, and the row
 * is read again under it (its owner may have let go on making it ready).
 */
static int
inst_gc_dead(struct store *st, struct inst *in)
{
	const struct inst_state	*s = inst_state_find(in->state);
	const struct vm_driver	*drv = vm_driver_find(in->driver);
	struct inst		*now;
	int			 absent, fd;

	/* A driver this hearth lacks: its destroy would fail; leave it. */
	if (drv == NULL)
		return 0;
	/* A state this table lacks (a newer hearth's): only liveness counts. */
	if (s == NULL)
		return in->pid == 0 || !drv->alive(in->id, in->pid);
	if (s->owned) {
		if ((fd = inst_owner_try(st, in->id, &absent)) == -1 && !absent)
			return 0;	/* its owner is alive */
		/*
		 * No owner file: a hearth from before owner files may be
		 * starting it; past the slowest start, nobody is.
		 */
		if (absent && util_now() - in->created <= vm_start_max_s())
			return 0;
		inst_owner_set(in, fd);
		if ((now = inst_load(st, in->id)) == NULL)
			return 0;	/* ended meanwhile */
		snprintf(in->state, sizeof in->state, "%s", now->state);
		in->pid = now->pid;
		inst_free(now);
		if ((s = inst_state_find(in->state)) != NULL && s->owned)
			return 1;
		inst_owner_drop(in);
		if (s == NULL)
			return in->pid == 0 || !drv->alive(in->id, in->pid);
	}
	return !s->live_keeps || in->pid == 0 || !drv->alive(in->id, in->pid);
}

/* Does instance id have a row? */
static int
inst_has_row(struct store *st, const char *id)
{
	sqlite3_stmt	*stmt = store_prepare(st, "SELECT 1 FROM instances "
	    "WHERE id = ?");
	int		 found;

	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	found = sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_finalize(stmt);
	return found;
}

/*
 * Destroy orphan id under the driver its owner file names; with none
 * (a run directory an older hearth left), under every driver: each
 * finds a machine by its id.
 */
static int
inst_gc_orphan(struct store *st, const char *id, const char *driver,
    char **cause)
{
	const struct vm_driver	*drv;
	int			 i, rc = 0;

	if (vm_driver_find(driver) != NULL)
		return inst_destroy_vm(st, id, driver, 0, cause);
	for (i = 0; (drv = vm_driver_at(i)) != NULL; i++) {
		if (rc == 0 && inst_destroy_vm(st, id, drv->name, 0, cause) != 0)
			rc = -1;
	}
	return rc;
}

/*
 * Destroy what no row names under $HEARTH_HOME/run: an owner file or run
 * directory left by a process that died before writing its row or after
 * deleting part of it.  One whose owner file is locked is being made.
 */
static void
inst_gc_orphans(struct store *st)
{
	struct dirent	*de;
	struct buf	 b = { 0 };
	DIR		*d;
	char		*root = xasprintf("%s/run", st->home), *path, *err = NULL;
	char		 id[VM_ID_LEN];
	size_t		 len;
	int		 fd, absent;

	if ((d = opendir(root)) == NULL) {
		free(root);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strspn(de->d_name, "0123456789abcdef");
		if (len != VM_ID_LEN - 1 || (de->d_name[len] != '\0' &&
		    strcmp(de->d_name + len, ".owner") != 0))
			continue;
		memcpy(id, de->d_name, len);
		id[len] = '\0';
		if (inst_has_row(st, id))
			continue;
		if ((fd = inst_owner_try(st, id, &absent)) == -1 && !absent)
			continue;
		/* Locked: a row written since means its owner finished. */
		if (!inst_has_row(st, id)) {
			path = inst_owner_path(st, id);
			buf_free(&b);
			if (util_read_file(path, &b, 64, &err) != 0) {
				free(err);
				err = NULL;
			}
			free(path);
			if (inst_gc_orphan(st, id, b.len > 0 ? b.data : "",
			    &err) != 0) {
				store_event(st, "reap-failed", id, "%s", err);
				free(err);
				err = NULL;
			} else
				store_event(st, "reaped", id, "left behind");
		}
		if (fd != -1)
			close(fd);
	}
	buf_free(&b);
	closedir(d);
	free(root);
}

/*
 * The janitor: apply inst_states to every row (end instances whose VM is
 * gone — idle TTL, killed from outside, host reboot — and those whose
 * owner died while starting them), then destroy what no row names, and
 * retire instances beyond each function's recent peak (inst_scale_down).
 */
void
inst_gc(struct store *st)
{
	sqlite3_stmt		*stmt;
	struct inst		**list;
	int			 n, i;

	stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances");
	n = inst_rows(stmt, &list);
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++)
		if (inst_gc_dead(st, list[i]))
			inst_kill_why(st, list[i], strcmp(list[i]->state,
			    "starting") == 0 ? "its owner died while starting it" :
			    "gone (idle TTL or killed)");
	inst_free_rows(list, n);
	inst_gc_orphans(st);
	stmt = store_prepare(st, "SELECT DISTINCT fn FROM instances "
	    "WHERE fn IS NOT NULL");
	while (sqlite3_step(stmt) == SQLITE_ROW)
		inst_scale_down(st, (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	/* Code that only those instances, or generations since ended, used. */
	stmt = store_prepare(st, "SELECT name FROM functions");
	while (sqlite3_step(stmt) == SQLITE_ROW)
		inst_prune_code(st, (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
}

/*
 * The janitor from an invocation: every cold start runs it (a start costs
 * far more), and a warm invocation when it last ran more than
 * INST_GC_EVERY seconds ago, by the mtime of $HEARTH_HOME/janitor
 * (one stat on the warm path).  So what a dead client, an idle exit or a
 * crash left goes within seconds of any use, not only at the next
 * listing.  Two processes that both find it due both run it: harmless.
 */
void
inst_gc_due(struct store *st, int cold)
{
	struct stat	 sb;
	char		*path = xasprintf("%s/janitor", st->home);
	int		 fd;

	if (!cold && stat(path, &sb) == 0 &&
	    util_now() - (double)sb.st_mtime < INST_GC_EVERY) {
		free(path);
		return;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) != -1) {
		futimens(fd, NULL);
		close(fd);
	}
	free(path);
	inst_gc(st);
}
