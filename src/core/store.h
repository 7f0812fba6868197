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
#define STORE_CACHE 16
struct store {
	sqlite3	*db;		/* open connection, WAL mode */
	char	*home;		/* $HEARTH_HOME */
	struct {
		const char	*sql;	/* statement text (a literal) */
		sqlite3_stmt	*stmt;	/* prepared once */
	} cache[STORE_CACHE];	/* statements of hot paths */
	int	 ncached;	/* entries used in cache */
};
int	 store_exec(struct store *, const char *, char **);
sqlite3_stmt *store_prepare(struct store *, const char *);
sqlite3_stmt *store_stmt(struct store *, const char *);
void	 store_done(sqlite3_stmt *);
int	 store_begin(struct store *, char **);
int	 store_commit(struct store *, char **);
void	 store_rollback(struct store *);
int	 store_schema_version(struct store *);
void	 store_event(struct store *, const char *, const char *, const char *,
	     ...) printflike(4, 5);

#endif
