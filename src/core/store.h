/*
 * store.h — the manager's SQLite state, private to src/core/.  Nothing
 * above the manager sees a statement or a column: front ends call the
 * functions in core.h.
 */
#ifndef HEARTH_STORE_H
#define HEARTH_STORE_H

#include <sqlite3.h>

#include "core.h"

/* store.c: SQLite state under $HEARTH_HOME. */
#define STORE_CACHE 16	/* prepared statements kept */
struct store {
	sqlite3	*db;		/* open connection, WAL mode */
	char	*home;		/* $HEARTH_HOME */
	struct {
		const char	*sql;	/* statement text (a literal) */
		sqlite3_stmt	*stmt;	/* prepared once */
	} cache[STORE_CACHE];	/* statements of hot paths */
	int	 ncached;	/* entries used in cache */
};
int	 store_exec(struct store *st, const char *sql, char **cause);
/* Why the last call failed; a full disk is strerror(ENOSPC). */
const char *store_errmsg(struct store *st);
sqlite3_stmt *store_prepare(struct store *st, const char *sql);
sqlite3_stmt *store_stmt(struct store *st, const char *sql);
void	 store_done(sqlite3_stmt *stmt);
int	 store_begin(struct store *st, char **cause);
int	 store_commit(struct store *st, char **cause);
void	 store_rollback(struct store *st);
int	 store_schema_version(struct store *st);
void	 store_event(struct store *st, const char *kind, const char *subject,
	    const char *fmt, ...) printflike(4, 5);

#endif
