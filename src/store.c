/*
 * store.c — hearth's state in SQLite.
 *
 * One database, $HEARTH_HOME/state.db, in WAL mode so that the console, a
 * serve process and scripts can use it at once: readers never block the
 * writer, writers wait (busy timeout) rather than fail, and every
 * transaction is short.  The schema is versioned with PRAGMA user_version;
 * migrations[] only ever grows, and opening a database runs the ones it has
 * not seen, each in its own transaction.  A command acknowledges nothing
 * before its transaction has committed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"

static const char *store_migrations[] = {
	/* 1: functions, instances, images, invocations with their logs. */
	"CREATE TABLE functions ("
	"  name TEXT PRIMARY KEY,"
	"  runtime TEXT NOT NULL,"
	"  handler TEXT NOT NULL,"
	"  memory_mb INTEGER NOT NULL,"
	"  timeout_s INTEGER NOT NULL,"
	"  env TEXT NOT NULL DEFAULT '{}',"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  code_version INTEGER NOT NULL DEFAULT 1,"
	"  code_size INTEGER NOT NULL DEFAULT 0,"
	"  created REAL NOT NULL,"
	"  updated REAL NOT NULL);"
	"CREATE TABLE instances ("
	"  id TEXT PRIMARY KEY,"
	"  fn TEXT,"				/* NULL while in the pool */
	"  runtime TEXT NOT NULL,"
	"  driver TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  sock TEXT NOT NULL,"
	"  memory_mb INTEGER NOT NULL,"
	"  fn_version INTEGER NOT NULL DEFAULT 0,"
	"  code_version INTEGER NOT NULL DEFAULT 0,"
	"  created REAL NOT NULL,"
	"  last_used REAL NOT NULL);"
	"CREATE INDEX instances_fn ON instances(fn);"
	"CREATE TABLE images ("
	"  name TEXT PRIMARY KEY,"
	"  runtime TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  built REAL NOT NULL);"
	"CREATE TABLE invocations ("
	"  id INTEGER PRIMARY KEY,"
	"  request_id TEXT NOT NULL,"
	"  fn TEXT NOT NULL,"
	"  ts REAL NOT NULL,"
	"  status TEXT NOT NULL,"
	"  duration_ms REAL NOT NULL,"
	"  init_ms REAL NOT NULL,"
	"  max_mem_mb INTEGER NOT NULL,"
	"  log TEXT NOT NULL);"			/* START..REPORT lines */
	"CREATE INDEX invocations_fn ON invocations(fn, id);",

	/* 2: events — what happened to functions and instances, for the
	 * console's feed (invocations are events too, read from their table). */
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  ts REAL NOT NULL,"
	"  kind TEXT NOT NULL,"			/* created, reloaded, ... */
	"  subject TEXT NOT NULL,"		/* function name or instance id */
	"  detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX events_ts ON events(ts);",

	/* 3: the VM driver a function runs under: ns, qemu, or auto (the
	 * setting driver.default decides when it runs). */
	"ALTER TABLE functions ADD COLUMN driver TEXT NOT NULL DEFAULT 'auto';",
};
#define STORE_VERSION ((int)(sizeof store_migrations / sizeof store_migrations[0]))

/* Return $HEARTH_HOME, or $XDG_DATA_HOME/hearth, or ~/.local/share/hearth. */
const char *
store_home_default(void)
{
	static char	*home;
	const char	*e;

	if (home != NULL)
		return home;
	if ((e = getenv("HEARTH_HOME")) != NULL && *e != '\0')
		home = xstrdup(e);
	else if ((e = getenv("XDG_DATA_HOME")) != NULL && *e != '\0')
		home = xasprintf("%s/hearth", e);
	else if ((e = getenv("HOME")) != NULL && *e != '\0')
		home = xasprintf("%s/.local/share/hearth", e);
	else
		home = xstrdup("/var/lib/hearth");
	return home;
}

int
store_exec(struct store *st, const char *sql, char **cause)
{
	char	*err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		*cause = xasprintf("store: %s", err != NULL ? err : "error");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Prepare a statement; SQL errors here are programming errors. */
sqlite3_stmt *
store_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt	*stmt;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fatal("store: %s: %s", sql, sqlite3_errmsg(st->db));
	return stmt;
}

/*
 * Return a prepared statement for sql from this connection's cache,
 * preparing it the first time.  For hot paths (every invocation): parsing
 * SQL costs more than running these statements.  Hand it back with
 * store_done, never sqlite3_finalize.
 */
sqlite3_stmt *
store_stmt(struct store *st, const char *sql)
{
	int	i;

	for (i = 0; i < st->ncached; i++)
		if (st->cache[i].sql == sql || strcmp(st->cache[i].sql, sql) == 0)
			return st->cache[i].stmt;
	if (st->ncached == STORE_CACHE)
		fatal("store: statement cache full");
	st->cache[st->ncached].sql = sql;
	st->cache[st->ncached].stmt = store_prepare(st, sql);
	return st->cache[st->ncached++].stmt;
}

/* Reset a cached statement for its next use. */
void
store_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/* Begin a write transaction now (IMMEDIATE) so a busy database waits here. */
int
store_begin(struct store *st, char **cause)
{
	return store_exec(st, "BEGIN IMMEDIATE", cause);
}

int
store_commit(struct store *st, char **cause)
{
	return store_exec(st, "COMMIT", cause);
}

void
store_rollback(struct store *st)
{
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt	*stmt = store_prepare(st, "PRAGMA user_version");
	int		 v = 0;

	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/*
 * Record an event (best effort: an event that cannot be written must not
 * fail the operation it describes).  Keeps the newest STORE_EVENTS_KEEP.
 */
void
store_event(struct store *st, const char *kind, const char *subject,
    const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	char		*detail;

	va_start(ap, fmt);
	detail = xvasprintf(fmt, ap);
	va_end(ap);
	stmt = store_stmt(st, "INSERT INTO events (ts, kind, subject, detail) "
	    "VALUES (?, ?, ?, ?)");
	sqlite3_bind_double(stmt, 1, util_now());
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, detail, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	store_done(stmt);
	if (sqlite3_last_insert_rowid(st->db) % 256 == 0)
		sqlite3_exec(st->db, "DELETE FROM events WHERE id <= "
		    "(SELECT max(id) FROM events) - 5000", NULL, NULL, NULL);
	free(detail);
}

/* Run the migrations this database has not seen, one transaction each. */
static int
store_migrate(struct store *st, char **cause)
{
	char	*sql;
	int	 v;

	for (;;) {
		if (store_begin(st, cause) != 0)
			return -1;
		v = store_schema_version(st);
		if (v > STORE_VERSION) {
			store_rollback(st);
			*cause = xasprintf("store: schema version %d is newer than "
			    "this hearth (%d)", v, STORE_VERSION);
			return -1;
		}
		if (v == STORE_VERSION) {
			store_rollback(st);
			return 0;
		}
		if (store_exec(st, store_migrations[v], cause) != 0) {
			store_rollback(st);
			return -1;
		}
		sql = xasprintf("PRAGMA user_version = %d", v + 1);
		if (store_exec(st, sql, cause) != 0 ||
		    store_commit(st, cause) != 0) {
			free(sql);
			store_rollback(st);
			return -1;
		}
		free(sql);
	}
}

/* Open (creating if needed) the store under home; NULL with *cause on error. */
struct store *
store_open(const char *home, char **cause)
{
	struct store	*st;
	char		*path;

	if (util_mkdirs(home, 0700) == -1) {
		*cause = xasprintf("%s: %s", home, strerror(errno));
		return NULL;
	}
	st = xcalloc(1, sizeof *st);
	st->home = xstrdup(home);
	path = xasprintf("%s/state.db", home);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	free(path);
	path = NULL;
	sqlite3_busy_timeout(st->db, 10000);
	if (store_exec(st, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON;", cause) != 0)
		goto fail;
	if (store_migrate(st, cause) != 0)
		goto fail;
	return st;
fail:
	free(path);
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	int	i;

	if (st == NULL)
		return;
	for (i = 0; i < st->ncached; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st->home);
	free(st);
}
