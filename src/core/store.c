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
 *
 * $HEARTH_HOME holds everything hearth trusts (the database, code, run
 * directories with their sockets, snapshots), so it must be private: a
 * directory of this user that nobody else can write, in a path nobody
 * else can change.  hearth checks that before using it, creates a missing
 * one 0700, and from then on uses its real path, so no link in the name
 * given can be swapped later.  The database and its -wal and -shm files
 * are 0600 whatever the umask (SQLite gives the last two the database's
 * mode).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "vm.h"

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

	/*
	 * 4: counters that outlive the rows they count.  Log retention
	 * (logs.c) drops old invocation rows, so what `fn show` and `fn ls`
	 * count lives on the function: every invocation ever stored and
	 * the ones not ok, and the bytes of log it keeps now, which the
	 * byte caps are checked against without reading any log.  Triggers
	 * keep them, in the very statement that inserts or deletes a row,
	 * whoever writes it; a store made before this version is seeded
	 * from the rows it has (all it can know).
	 */
	"ALTER TABLE functions ADD COLUMN invoked INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE functions ADD COLUMN errors INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE functions ADD COLUMN log_bytes INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE invocations ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;"
	"UPDATE invocations SET bytes = length(CAST(log AS BLOB));"
	"UPDATE functions SET"
	"  invoked = (SELECT count(*) FROM invocations v WHERE v.fn = name),"
	"  errors = (SELECT count(*) FROM invocations v WHERE v.fn = name AND"
	"    v.status != 'ok'),"
	"  log_bytes = (SELECT coalesce(sum(bytes), 0) FROM invocations v"
	"    WHERE v.fn = name);"
	"CREATE TRIGGER invocations_counted AFTER INSERT ON invocations BEGIN"
	"  UPDATE functions SET invoked = invoked + 1,"
	"    errors = errors + (NEW.status != 'ok'),"
	"    log_bytes = log_bytes + NEW.bytes WHERE name = NEW.fn;"
	"END;"
	"CREATE TRIGGER invocations_dropped AFTER DELETE ON invocations BEGIN"
	"  UPDATE functions SET log_bytes = log_bytes - OLD.bytes"
	"    WHERE name = OLD.fn;"
	"END;",
};
#define STORE_VERSION ((int)(sizeof store_migrations / sizeof store_migrations[0]))

static char	*store_home_real;	/* the checked home, once store_home ran */

/* Return the home as configured: $HEARTH_HOME, $XDG_DATA_HOME/hearth, ... */
static const char *
store_home_named(void)
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

/*
 * Return the state directory: its checked real path once store_home has
 * succeeded, else $HEARTH_HOME, or $XDG_DATA_HOME/hearth, or
 * ~/.local/share/hearth.
 */
const char *
store_home_default(void)
{
	return store_home_real != NULL ? store_home_real : store_home_named();
}

/*
 * Check that path can be hearth's state directory, creating it (0700) if
 * it is missing: it must be a directory owned by this user that neither
 * group nor others can write, and each directory above it must belong to
 * root or this user and, if others can write it, have the sticky bit.
 * Returns its real path (the caller frees it); NULL with *cause naming
 * what is wrong.
 */
static char *
store_home_check(const char *path, char **cause)
{
	struct stat	 st;
	char		*real, *up, *slash;
	uid_t		 uid = geteuid();

	if (util_mkdirs(path, 0700) == -1 || (real = realpath(path, NULL)) == NULL) {
		*cause = xasprintf("state directory %s: %s", path, strerror(errno));
		return NULL;
	}
	if (lstat(real, &st) == -1) {
		*cause = xasprintf("state directory %s: %s", real, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		*cause = xasprintf("state directory %s: not a directory", real);
		goto fail;
	}
	if (st.st_uid != uid) {
		*cause = xasprintf("state directory %s: owned by uid %u, not by "
		    "this user (uid %u)", real, (unsigned)st.st_uid, (unsigned)uid);
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*cause = xasprintf("state directory %s: writable by %s (mode %04o); "
		    "chmod 700 it", real, (st.st_mode & S_IWOTH) ? "others" :
		    "its group", (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	up = xstrdup(real);
	while ((slash = strrchr(up, '/')) != NULL && up[1] != '\0') {
		if (slash == up)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (lstat(up, &st) == -1) {
			*cause = xasprintf("state directory %s: %s: %s", real, up,
			    strerror(errno));
			free(up);
			goto fail;
		}
		if (st.st_uid != 0 && st.st_uid != uid) {
			*cause = xasprintf("state directory %s: %s above it is owned "
			    "by uid %u, who could replace it", real, up,
			    (unsigned)st.st_uid);
			free(up);
			goto fail;
		}
		if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
			*cause = xasprintf("state directory %s: %s above it is "
			    "writable by others without the sticky bit (mode %04o)",
			    real, up, (unsigned)(st.st_mode & 07777));
			free(up);
			goto fail;
		}
	}
	free(up);
	return real;
fail:
	free(real);
	return NULL;
}

/*
 * Check the state directory (store_home_check) once; from then on it and
 * store_home_default return its real path.  NULL with *cause if it cannot
 * be used.
 */
const char *
store_home(char **cause)
{
	if (store_home_real == NULL)
		store_home_real = store_home_check(store_home_named(), cause);
	return store_home_real;
}

/*
 * Make a file of the store private (0600), creating it if create is set,
 * without following a link; a missing file that need not be created is
 * no error.  These files are never opened and closed with a plain
 * descriptor here: closing one would drop every POSIX lock this process
 * holds on the file, SQLite's included.  A file just created is nobody
 * else's yet; an old one is reached through an O_PATH descriptor, which
 * locks ignore, and changed through its /proc/self/fd entry, which is
 * that very file, not a name someone could swap.
 */
static int
store_private(const char *path, int create, char **cause)
{
	struct stat	 st;
	char		*proc;
	int		 fd, rc = 0;

	if (create) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1) {
			if (fchmod(fd, 0600) == -1) {
				*cause = xasprintf("%s: %s", path, strerror(errno));
				rc = -1;
			}
			close(fd);
			return rc;
		}
		if (errno != EEXIST) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			return -1;
		}
	}
	if ((fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (!create && errno == ENOENT)
			return 0;
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 07777) != 0600) {
		proc = xasprintf("/proc/self/fd/%d", fd);
		if (chmod(proc, 0600) == -1) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			rc = -1;
		}
		free(proc);
	}
	close(fd);
	return rc;
}

/*
 * Why the last call on st failed, for a message.  A full disk reaches
 * SQLite as SQLITE_FULL ("database or disk is full") or, when the -wal or
 * -shm file cannot grow, as an I/O error whose system errno is ENOSPC
 * ("disk I/O error"): both are said the way every other full-disk
 * failure in hearth is, so the operator sees one cause, not three.
 */
const char *
store_errmsg(struct store *st)
{
	if (st->db == NULL)
		return "out of memory";
	if ((sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_FULL ||
	    ((sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_IOERR &&
	    sqlite3_system_errno(st->db) == ENOSPC))
		return strerror(ENOSPC);
	return sqlite3_errmsg(st->db);
}

int
store_exec(struct store *st, const char *sql, char **cause)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		*cause = xasprintf("store: %s", store_errmsg(st));
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

/*
 * Lend vm/ what its drivers need of the manager: the state directory,
 * where hearth is installed, and the settings (config.c holds theirs).
 */
static void
store_lend_vm(void)
{
	static struct vm_host	host;

	if (host.home != NULL)
		return;
	host.home = store_home_default;
	host.lib_dir = util_lib_dir();
	host.setting = config_get;
	vm_setup(&host);
}

/*
 * Open (creating if needed) the store under home, which must pass
 * store_home_check; NULL with *cause on error.
 */
struct store *
store_open(const char *home, char **cause)
{
	static const char	*sides[] = { "-wal", "-shm" };
	struct store		*st;
	char			*path, *side, *real;
	size_t			 i;

	if ((real = store_home_check(home, cause)) == NULL)
		return NULL;
	store_lend_vm();
	st = xcalloc(1, sizeof *st);
	st->home = real;
	path = xasprintf("%s/state.db", st->home);
	if (store_private(path, 1, cause) != 0)
		goto fail;
	/* Left by an older hearth, these may not be private yet. */
	for (i = 0; i < sizeof sides / sizeof sides[0]; i++) {
		side = xasprintf("%s%s", path, sides[i]);
		if (store_private(side, 0, cause) != 0) {
			free(side);
			goto fail;
		}
		free(side);
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path, store_errmsg(st));
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	if (store_exec(st, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON;", cause) != 0)
		goto fail;
	free(path);
	path = NULL;
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

/* Return the state directory st was opened in, its real path. */
const char *
store_dir(struct store *st)
{
	return st->home;
}
