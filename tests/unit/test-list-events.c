/*
 * test-list-events.c — the Events history as the console searches and
 * pages it (list_events_find): a match is looked for through every row
 * the store keeps, not through the newest page, however many
 * invocations of another function came since; pages say whether older
 * rows are left; each row has an identity of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "check.h"

static void
exec_sql(struct store *st, const char *id, const char *sql)
{
	char	*cause = NULL;
	int	 rc = store_exec(st, sql, &cause);

	CHECK(id, rc == 0);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", id, cause);
	free(cause);
}

int
main(void)
{
	char			 dir[] = "/tmp/hearth-unit.XXXXXX", *cause = NULL;
	char			*home, *sql, *cmd;
	struct store		*st;
	struct list_event	*ev;
	double			 now = util_now();
	int			 n, more, i, all;

	if (mkdtemp(dir) == NULL)
		return 1;
	home = xasprintf("%s/home", dir);
	setenv("HEARTH_HOME", home, 1);
	st = store_open(home, &cause);
	CHECK("ev-0.1", st != NULL);
	if (st == NULL)
		return 1;

	/* Oldest: an event and three errors of boom (one a timeout)... */
	sql = xasprintf("INSERT INTO events (ts, kind, subject, detail) VALUES "
	    "(%f, 'created', 'boom', 'python3 app.handler')", now - 100);
	exec_sql(st, "ev-1.0", sql);
	free(sql);
	sql = xasprintf("INSERT INTO invocations (request_id, fn, ts, status, "
	    "duration_ms, init_ms, max_mem_mb, log) VALUES "
	    "('e1', 'boom', %f, 'error', 1, 0, 10, ''), "
	    "('e2', 'boom', %f, 'timeout', 1000, 0, 10, ''), "
	    "('e3', 'boom', %f, 'error', 1, 0, 10, '')", now - 90, now - 80,
	    now - 70);
	exec_sql(st, "ev-1.1", sql);
	free(sql);
	/* ... then a bench run: 1000 invocations of another function. */
	sql = xasprintf("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	    "FROM k WHERE i < 1000) INSERT INTO invocations (request_id, fn, ts, "
	    "status, duration_ms, init_ms, max_mem_mb, log) SELECT 'b' || i, "
	    "'bench', %f + i / 100.0, 'ok', 1, 0, 10, '' FROM k", now - 50);
	exec_sql(st, "ev-1.2", sql);
	free(sql);
	all = 1000 + 3 + 1;

	/* The newest page is all bench, and says there is more. */
	CHECK("ev-2.1", list_events_find(st, NULL, 500, &ev, &n, &more,
	    &cause) == 0 && n == 500 && more == 1);
	if (n == 500) {
		CHECK_STR("ev-2.2", ev[0].subject, "bench");
		CHECK_STR("ev-2.3", ev[0].detail, "b1000 1.00ms");
		CHECK("ev-2.4", strcmp(ev[0].id, ev[1].id) != 0);
	}
	list_events_free(ev, n);

	/* A search finds boom's rows behind the bench run. */
	CHECK("ev-3.1", list_events_find(st, "boom", 500, &ev, &n, &more,
	    &cause) == 0 && n == 4 && more == 0);
	if (n == 4) {
		CHECK_STR("ev-3.2", ev[0].detail, "e3 1.00ms (error)");
		CHECK_STR("ev-3.3", ev[1].detail, "e2 1000.00ms (timeout)");
		CHECK_STR("ev-3.4", ev[3].kind, "created");
	}
	list_events_free(ev, n);
	/* Every error, by kind; by what the detail says; case-insensitively. */
	CHECK("ev-3.5", list_events_find(st, "errored", 500, &ev, &n, &more,
	    &cause) == 0 && n == 3);
	list_events_free(ev, n);
	CHECK("ev-3.6", list_events_find(st, "TIMEOUT", 500, &ev, &n, &more,
	    &cause) == 0 && n == 1);
	list_events_free(ev, n);
	/* An extended regex; and text that is not one is text. */
	CHECK("ev-3.7", list_events_find(st, "^e[13] .*error\\)$", 500, &ev, &n,
	    &more, &cause) == 0 && n == 2);
	list_events_free(ev, n);
	CHECK("ev-3.8", list_events_find(st, "(error", 500, &ev, &n, &more,
	    &cause) == 0 && n == 2);
	list_events_free(ev, n);
	/* A page of matches says whether more are left. */
	CHECK("ev-3.9", list_events_find(st, "errored", 2, &ev, &n, &more,
	    &cause) == 0 && n == 2 && more == 1);
	list_events_free(ev, n);

	/* Paging: every row, the oldest last, none left. */
	CHECK("ev-4.1", list_events_find(st, NULL, -1, &ev, &n, &more,
	    &cause) == 0 && n == all && more == 0);
	if (n == all)
		CHECK_STR("ev-4.2", ev[n - 1].kind, "created");
	for (i = 1; i < n; i++)
		if (ev[i].ts > ev[i - 1].ts)
			break;
	CHECK("ev-4.3", i == n);
	list_events_free(ev, n);
	CHECK("ev-4.4", list_events_find(st, NULL, all, &ev, &n, &more,
	    &cause) == 0 && n == all && more == 0);
	list_events_free(ev, n);
	/* list_events is the unfiltered page. */
	CHECK("ev-4.5", list_events(st, 10, &ev, &n, &cause) == 0 && n == 10);
	list_events_free(ev, n);

	store_close(st);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	free(home);
	CHECK_DONE();
}
