/*
 * pool.c — the pool: instances started before any function needs them.
 *
 * A pool instance belongs to no function (its row's fn is NULL): it runs
 * an image's runtime under one driver, with a small memory limit, and for
 * images that can, the runtime is already loaded and waits for its
 * configuration.  An invoker with no warm instance claims the oldest one
 * for its runtime and driver with a single UPDATE of the owner, so two
 * hearth processes can never claim the same one; the claimer then brings
 * it up to date with its function (inst_bring_current).  After a claim the
 * pool refills in a detached hearth, so the invoker does not wait for it.
 * The setting pool.size says how many to keep per runtime and driver.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inst.h"
#include "proto.h"

static int pool_refill = 1;	/* refill the pool after a claim */

/* Let a caller that manages the pool itself (fn bench) stop refills. */
void
pool_set_refill(int on)
{
	pool_refill = on;
}

static int pool_pinned = -1;	/* set by pool_set_size, or -1 */

/*
 * Pin the pool size for this process to n, whatever the setting says (fn
 * bench: 0 times cold starts, 1 starts from the pool); -1 unpins it.
 */
void
pool_set_size(int n)
{
	pool_pinned = n;
}

/*
 * How many pre-started instances to keep per runtime and driver: the size
 * pinned by pool_set_size, else the setting pool.size
 * ($HEARTH_POOL_SIZE wins).
 */
int
pool_size(void)
{
	long long	v;

	if (pool_pinned >= 0)
		return pool_pinned;
	if (util_parse_int(config_get("pool.size"), 0, 64, &v) == 0)
		return (int)v;
	return 1;
}

/* Start pool instances for runtime under driver until there are n. */
int
pool_fill(struct store *st, const char *runtime, const char *driver, int n,
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
 * Claim a pool instance for fn's runtime under driver, or NULL if the
 * pool is empty.  The instance is fn's, still 'starting' (no other
 * invoker sees it) and not yet configured for fn.  Its owner file is
 * locked before the single UPDATE that makes it fn's, so a claimer that
 * dies at any step leaves a row the janitor can tell is nobody's (inst.c).
 */
struct inst *
pool_claim(struct store *st, const struct fn *fn, const char *driver)
{
	sqlite3_stmt	*list, *stmt;
	struct inst	*in = NULL;
	int		 fd;

	list = store_prepare(st, "SELECT id FROM instances WHERE fn IS NULL "
	    "AND runtime = ? AND driver = ? AND state = 'ready' ORDER BY created");
	sqlite3_bind_text(list, 1, fn->runtime, -1, SQLITE_STATIC);
	sqlite3_bind_text(list, 2, driver, -1, SQLITE_STATIC);
	while (in == NULL && sqlite3_step(list) == SQLITE_ROW) {
		/* Locked by another claimer, or the janitor: the next one. */
		if ((fd = inst_owner_take(st, (const char *)
		    sqlite3_column_text(list, 0))) == -1)
			continue;
		stmt = store_stmt(st, "UPDATE instances SET fn = ?1, "
		    "last_used = ?3, state = 'starting' WHERE id = ?2 AND "
		    "fn IS NULL AND state = 'ready' RETURNING " INST_COLUMNS);
		sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, (const char *)sqlite3_column_text(list,
		    0), -1, SQLITE_STATIC);
		sqlite3_bind_double(stmt, 3, util_now());
		if (sqlite3_step(stmt) == SQLITE_ROW) {
			in = inst_from_row(stmt);
			inst_owner_set(in, fd);
		} else
			close(fd);
		store_done(stmt);
	}
	sqlite3_finalize(list);
	return in;
}

/*
 * Start filling the pool in a detached `hearth vm pool RUNTIME` so the
 * caller returns now.  It is a fresh exec, not just a fork: an SQLite
 * connection (even a new one) must never be used in a forked copy of a
 * process that has one open.
 */
void
pool_refill_async(const char *runtime, const char *driver)
{
	pid_t	pid;
	int	st, fd;

	if (pool_size() == 0 || !pool_refill)
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
 * Wait up to wait_ms until every pool instance of runtime has its runtime
 * parked (loaded and waiting for a function).  -1 with *cause on timeout.
 */
int
pool_wait(struct store *st, const char *runtime, const char *driver,
    long wait_ms, char **cause)
{
	struct timespec	 ts = { 0, 2 * 1000 * 1000 };
	struct agent_reply r;
	sqlite3_stmt	*stmt;
	struct inst	**list;
	uint64_t	 end = util_mono_us() + (uint64_t)wait_ms * 1000;
	char		*err = NULL;
	int		 n, i, ready;

	stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances "
	    "WHERE fn IS NULL AND runtime = ? AND driver = ? AND state = 'ready'");
	sqlite3_bind_text(stmt, 1, runtime, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, driver, -1, SQLITE_STATIC);
	n = inst_rows(stmt, &list);
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		for (ready = 0; !ready;) {
			if (agent_request(conn_get(list[i]->sock), "GET",
			    PROTO_PATH_HEALTH, NULL, 0, NULL, 0, wait_ms, &r,
			    &err) == 0) {
				ready = r.http == 200 && strstr(r.body, "\"ready\": true");
				agent_reply_free(&r);
			} else {
				free(err);
				err = NULL;
			}
			if (!ready && util_mono_us() > end) {
				*cause = xasprintf("pool instance at %s not ready",
				    list[i]->sock);
				break;
			}
			if (!ready)
				nanosleep(&ts, NULL);
		}
		if (!ready)
			break;
	}
	inst_free_rows(list, n);
	return *cause != NULL ? -1 : 0;
}
