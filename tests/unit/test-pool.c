/*
 * test-pool.c — the pool on a temp store with real ns sandboxes: filling
 * it, waiting for its runtimes, a claim that makes an instance a
 * function's (and takes nothing of another runtime or driver) and holds
 * it against the janitor until its claimer dies, an invoke served from it, the notices spawning passes to the front end's hook,
 * and a destroy that leaves no process, row or directory behind.
 */
#include <dirent.h>

#include "fixture.h"
#include "check.h"

static char	pool_seen[256];	/* the notices the hook was given */

static void
pool_hook(const char *line)
{
	size_t	len = strlen(pool_seen);

	snprintf(pool_seen + len, sizeof pool_seen - len, "%s|", line);
}

/* The number of entries in directory path (-1 if it cannot be read). */
static int
pool_entries(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Count the pool's instances of runtime under ns. */
static long long
pool_count(struct store *st, const char *runtime)
{
	char		*sql;
	long long	 n;

	sql = xasprintf("SELECT count(*) FROM instances WHERE fn IS NULL AND "
	    "runtime = '%s' AND driver = 'ns' AND state = 'ready'", runtime);
	n = fixture_int(st, sql);
	free(sql);
	return n;
}

int
main(void)
{
	char			 dir[] = "/tmp/hearth-unit.XXXXXX", *cause = NULL;
	char			*sql, *oldest = NULL, *run;
	struct store		*st;
	struct fn		*p, *q, *js;
	struct inst		*in, *other;
	struct invoke_result	 res;
	const struct vm_driver	*ns = vm_driver_find("ns");
	sqlite3_stmt		*stmt;
	pid_t			 pid;
	int			 rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	fixture_env(dir, "2");
	pool_set_refill(0);	/* a refill would exec this test as hearth */
	if ((st = store_open(store_home_default(), &cause)) == NULL) {
		fprintf(stderr, "store_open: %s\n", cause);
		return 1;
	}
	p = fixture_fn(st, "p", "python3", "return 'from ' + os.environ['AWS_LAMBDA_FUNCTION_NAME']");
	q = fixture_fn(st, "q", "python3", "return 'q'");
	js = fixture_fn(st, "js", "node", "pass");

	/*
	 * pool-1: fill the pool for python3; the VM layer's notices go to the
	 * hook and to the event feed.
	 */
	inst_set_notify(pool_hook);
	vm_notice("a test notice");
	CHECK("pool-1.1", pool_size() == 2);
	rc = pool_fill(st, "python3", "ns", 2, &cause);
	CHECK("pool-1.2", rc == 0);
	if (rc != 0)
		fprintf(stderr, "pool_fill: %s\n", cause);
	CHECK_STR("pool-1.3", pool_seen, "a test notice|");
	CHECK("pool-1.4", fixture_int(st, "SELECT count(*) FROM events WHERE "
	    "kind = 'notice' AND detail = 'a test notice'") == 1);
	inst_set_notify(NULL);
	vm_notice("dropped");
	CHECK("pool-1.5", pool_fill(st, "python3", "ns", 3, &cause) == 0);
	CHECK_STR("pool-1.6", pool_seen, "a test notice|");
	CHECK("pool-1.7", pool_count(st, "python3") == 3);
	/* Full already: nothing more starts. */
	CHECK("pool-1.8", pool_fill(st, "python3", "ns", 3, &cause) == 0);
	CHECK("pool-1.9", fixture_int(st, "SELECT count(*) FROM instances") == 3);
	stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		in = inst_from_row(stmt);
		fixture_note_pid(in->pid);
		CHECK("pool-1.10", in->fn == NULL && in->pid > 0 &&
		    in->memory_mb == INST_POOL_MEMORY && ns->alive(in->id, in->pid));
		inst_free(in);
	}
	sqlite3_finalize(stmt);
	CHECK("pool-1.11", pool_wait(st, "python3", "ns", 30000, &cause) == 0);

	/* pool-2: no claim across runtimes or drivers. */
	CHECK("pool-2.1", pool_claim(st, js, "ns") == NULL);
	CHECK("pool-2.2", pool_claim(st, p, "qemu") == NULL);
	CHECK("pool-2.3", pool_count(st, "python3") == 3);

	/* pool-3: a claim makes the oldest pool instance p's, still starting. */
	stmt = store_prepare(st, "SELECT id FROM instances ORDER BY created LIMIT 1");
	if (sqlite3_step(stmt) == SQLITE_ROW)
		oldest = xstrdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	in = pool_claim(st, p, "ns");
	CHECK("pool-3.1", in != NULL);
	if (in == NULL)
		goto out;
	CHECK_STR("pool-3.2", in->fn, "p");
	CHECK_STR("pool-3.3", in->state, "starting");
	CHECK_STR("pool-3.4", in->id, oldest != NULL ? oldest : "");
	sql = xasprintf("SELECT count(*) FROM instances WHERE id = '%s' AND "
	    "fn = 'p' AND state = 'starting'", in->id);
	CHECK("pool-3.5", fixture_int(st, sql) == 1);
	free(sql);
	CHECK("pool-3.6", pool_count(st, "python3") == 2);
	/* Its claimer holds its owner lock: the janitor leaves it alone. */
	inst_gc(st);
	CHECK("pool-3.7", fixture_int(st, "SELECT count(*) FROM instances") == 3);

	/*
	 * pool-4: the claimer configures it for p; then it serves p, as a
	 * ready instance — the first invocation p's handler runs in it, so
	 * a cold start, with the handler's init (issue 11).
	 */
	CHECK("pool-4.1", inst_bring_current(st, in, p, 0, &cause) == 0);
	inst_mark_ready(st, in);
	rc = invoke_run(st, p, "{}", 2, &res, &cause);
	CHECK("pool-4.2", rc == 0 && res.status == INVOKE_OK && res.cold == 1 &&
	    res.init_ms > 0);
	CHECK_STR("pool-4.3", res.body, "\"from p\"");
	invoke_result_free(&res);
	other = fixture_only(st, "p");
	CHECK("pool-4.4", other != NULL && strcmp(other->id, in->id) == 0 &&
	    other->memory_mb == 128 && other->fn_version == 1);
	inst_free(other);

	/* pool-5: q's first invoke is served from the pool, cold, not spawned. */
	rc = invoke_run(st, q, "{}", 2, &res, &cause);
	CHECK("pool-5.1", rc == 0 && res.status == INVOKE_OK && res.cold == 1);
	CHECK_STR("pool-5.2", res.body, "\"q\"");
	invoke_result_free(&res);
	CHECK("pool-5.3", pool_count(st, "python3") == 1);
	CHECK("pool-5.4", fixture_int(st, "SELECT count(*) FROM instances") == 3);
	CHECK("pool-5.5", fixture_int(st, "SELECT count(*) FROM instances "
	    "WHERE fn = 'q' AND state = 'ready'") == 1);
	CHECK("pool-5.6", fixture_int(st, "SELECT count(*) FROM events "
	    "WHERE kind = 'started'") == 3);

	/*
	 * pool-5b: a claimer that dies before the instance served (here:
	 * lets go of it, as the kernel would) leaves a row 'starting' that
	 * the janitor ends, sandbox and all.
	 */
	other = pool_claim(st, p, "ns");
	CHECK("pool-5b.1", other != NULL);
	if (other != NULL) {
		pid = other->pid;
		inst_free(other);
		inst_gc(st);
		CHECK("pool-5b.2", fixture_int(st, "SELECT count(*) FROM "
		    "instances") == 2);
		CHECK("pool-5b.3", fixture_gone(pid));
		CHECK("pool-5b.4", fixture_int(st, "SELECT count(*) FROM events "
		    "WHERE kind = 'reaped' AND detail = 'p: its owner died while "
		    "starting it'") == 1);
	}

	/* pool-6: destroy leaves no process, row, run directory or cgroup. */
	CHECK("pool-6.1", inst_destroy_fn(st, NULL) == 2);
	CHECK("pool-6.2", fixture_int(st, "SELECT count(*) FROM instances") == 0);
	CHECK("pool-6.3", fixture_npids == 3);
	CHECK("pool-6.4", !ns->alive(in->id, in->pid));
	run = xasprintf("%s/run", st->home);
	CHECK("pool-6.5", pool_entries(run) == 0);
	free(run);
	inst_free(in);
out:
	CHECK("pool-6.6", fixture_sweep(st) == 0);
	free(oldest);
	fn_free(p);
	fn_free(q);
	fn_free(js);
	conn_close_all();
	store_close(st);
	util_rmtree(dir);
	CHECK_DONE();
}
