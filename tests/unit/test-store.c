/*
 * test-store.c — the store: creation, migrations, WAL, two connections.
 */
#include <stdlib.h>
#include <unistd.h>

#include "hearth.h"
#include "store.h"
#include "check.h"

int
main(void)
{
	char		 dir[] = "/tmp/hearth-unit.XXXXXX", *cause = NULL, *home;
	struct store	*a, *b;
	sqlite3_stmt	*stmt;
	int		 n = -1;

	if (mkdtemp(dir) == NULL)
		return 1;
	home = xasprintf("%s/home/nested", dir);
	a = store_open(home, &cause);
	CHECK("store-1.1", a != NULL);
	CHECK("store-1.2", store_schema_version(a) == 4);
	stmt = store_prepare(a, "PRAGMA journal_mode");
	CHECK("store-1.3", sqlite3_step(stmt) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(stmt, 0), "wal") == 0);
	sqlite3_finalize(stmt);

	/* A second connection (another process, in life) sees committed rows. */
	b = store_open(home, &cause);
	CHECK("store-2.1", b != NULL);
	CHECK("store-2.2", store_begin(a, &cause) == 0);
	CHECK("store-2.3", store_exec(a, "INSERT INTO images VALUES "
	    "('x', 'python3', '/x', 1, 0)", &cause) == 0);
	stmt = store_prepare(b, "SELECT count(*) FROM images");
	CHECK("store-2.4", sqlite3_step(stmt) == SQLITE_ROW);
	n = sqlite3_column_int(stmt, 0);
	CHECK("store-2.5", n == 0);	/* not yet committed */
	sqlite3_finalize(stmt);
	CHECK("store-2.6", store_commit(a, &cause) == 0);
	stmt = store_prepare(b, "SELECT count(*) FROM images");
	CHECK("store-2.7", sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_int(stmt, 0) == 1);
	sqlite3_finalize(stmt);

	/* Reopening runs no migration twice. */
	store_close(a);
	a = store_open(home, &cause);
	CHECK("store-3.1", a != NULL && store_schema_version(a) == 4);

	/*
	 * A database at version 1 (before events, drivers, counters) migrates
	 * forward, keeping rows; its functions run under "auto".
	 */
	CHECK("store-3.2", store_exec(a, "DROP TABLE events; "
	    "DROP TRIGGER invocations_counted; "
	    "DROP TRIGGER invocations_dropped; "
	    "ALTER TABLE functions DROP COLUMN invoked; "
	    "ALTER TABLE functions DROP COLUMN errors; "
	    "ALTER TABLE functions DROP COLUMN log_bytes; "
	    "ALTER TABLE invocations DROP COLUMN bytes; "
	    "ALTER TABLE functions DROP COLUMN driver; "
	    "INSERT INTO functions (name, runtime, handler, memory_mb, timeout_s, "
	    "env, version, code_version, code_size, created, updated) VALUES "
	    "('old', 'python3', 'a.b', 128, 3, '{}', 1, 1, 0, 0, 0); "
	    "PRAGMA user_version = 1", &cause) == 0);
	store_close(a);
	a = store_open(home, &cause);
	CHECK("store-3.3", a != NULL && store_schema_version(a) == 4);
	stmt = store_prepare(a, "SELECT driver FROM functions WHERE name = 'old'");
	CHECK("store-3.6", sqlite3_step(stmt) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(stmt, 0), "auto") == 0);
	sqlite3_finalize(stmt);
	stmt = store_prepare(a, "SELECT (SELECT count(*) FROM images), "
	    "(SELECT count(*) FROM events)");
	CHECK("store-3.4", sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_int(stmt, 0) == 1 && sqlite3_column_int(stmt, 1) == 0);
	sqlite3_finalize(stmt);
	store_event(a, "created", "fn1", "%s", "detail");
	stmt = store_prepare(a, "SELECT kind, subject, detail FROM events");
	CHECK("store-3.5", sqlite3_step(stmt) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(stmt, 2), "detail") == 0);
	sqlite3_finalize(stmt);

	/*
	 * A database at version 3 (before counters and retention): its
	 * functions get their counters from the rows it has, its rows their
	 * sizes, and from then on every insert counts, even once rows go.
	 */
	CHECK("store-5.1", store_exec(a, "DROP TRIGGER invocations_counted; "
	    "DROP TRIGGER invocations_dropped; "
	    "ALTER TABLE functions DROP COLUMN invoked; "
	    "ALTER TABLE functions DROP COLUMN errors; "
	    "ALTER TABLE functions DROP COLUMN log_bytes; "
	    "ALTER TABLE invocations DROP COLUMN bytes; "
	    "INSERT INTO invocations (request_id, fn, ts, status, duration_ms, "
	    "init_ms, max_mem_mb, log) VALUES "
	    "('r1', 'old', 1, 'ok', 1, 0, 1, 'abc\n'), "
	    "('r2', 'old', 2, 'error', 1, 0, 1, 'de\n'), "
	    "('r3', 'gone', 3, 'ok', 1, 0, 1, 'f\n'); "
	    "PRAGMA user_version = 3", &cause) == 0);
	store_close(a);
	a = store_open(home, &cause);
	CHECK("store-5.2", a != NULL && store_schema_version(a) == 4);
	stmt = store_prepare(a, "SELECT invoked, errors, log_bytes FROM functions "
	    "WHERE name = 'old'");
	CHECK("store-5.3", sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_int(stmt, 0) == 2 && sqlite3_column_int(stmt, 1) == 1 &&
	    sqlite3_column_int(stmt, 2) == 7);
	sqlite3_finalize(stmt);
	stmt = store_prepare(a, "SELECT group_concat(bytes) FROM "
	    "(SELECT bytes FROM invocations ORDER BY id)");
	CHECK("store-5.4", sqlite3_step(stmt) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(stmt, 0), "4,3,2") == 0);
	sqlite3_finalize(stmt);
	CHECK("store-5.5", store_exec(a, "INSERT INTO invocations (request_id, "
	    "fn, ts, status, duration_ms, init_ms, max_mem_mb, log, bytes) VALUES "
	    "('r4', 'old', 4, 'timeout', 1, 0, 1, 'g\n', 2); "
	    "DELETE FROM invocations WHERE request_id IN ('r1', 'r2')",
	    &cause) == 0);
	stmt = store_prepare(a, "SELECT invoked, errors, log_bytes FROM functions "
	    "WHERE name = 'old'");
	CHECK("store-5.6", sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_int(stmt, 0) == 3 && sqlite3_column_int(stmt, 1) == 2 &&
	    sqlite3_column_int(stmt, 2) == 2);
	sqlite3_finalize(stmt);

	/* A database from a newer hearth is refused, not damaged. */
	CHECK("store-4.1", store_exec(a, "PRAGMA user_version = 99", &cause) == 0);
	store_close(a);
	a = store_open(home, &cause);
	CHECK("store-4.2", a == NULL);
	CHECK_STR("store-4.3", cause, "store: schema version 99 is newer than this hearth (4)");
	free(cause);
	store_close(b);
	util_rmtree(dir);
	free(home);
	CHECK_DONE();
}
