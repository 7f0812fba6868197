/*
 * logs.c — invocation records and their logs.
 *
 * Every invocation is one row of the invocations table: its status and
 * figures, and its log — the CloudWatch-shaped lines an operator expects
 * from Lambda, which the agent writes: START, the handler's own output,
 * END, and REPORT with Duration, Billed Duration, Memory Size, Max Memory
 * Used and (on a cold start) Init Duration.  One short transaction per
 * invocation (the insert and what retention drops) keeps logging cheap
 * on the warm path.
 *
 * Retention: each invocation keeps at most LOGS_OUTPUT_MAX bytes of
 * output (the agent cuts to less, vm/agent/invoke.c); each function its last FN_LOG_KEEP invocations and no more
 * than logs.fn_bytes of log; all functions together no more than
 * logs.total_bytes.  Whatever is over goes oldest first (of the function,
 * then of the host), in the transaction that stored the newest, which is
 * always kept.  The store's triggers (store.c) keep each function's
 * counters — invocations ever stored, errors, bytes of log kept — on its
 * row, so dropping rows loses no count and checking a cap reads no log.
 *
 * Reading back is by rowid: the last lines (logs_tail), then whatever
 * came after an id (logs_since), which is how `fn logs -f` and the
 * console's log pane follow invocations made by any process, the store
 * being shared.  Printing is theirs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define LOGS_OUTPUT_MAX	(64 * 1024)	/* output stored per invocation */

static const char *
logs_status_name(int status)
{
	switch (status) {
	case INVOKE_OK: return "ok";
	case INVOKE_ERROR: return "error";
	case INVOKE_TIMEOUT: return "timeout";
	default: return "crash";
	}
}

/*
 * Build the log text of one invocation into b.  The agent writes the
 * START, END and REPORT lines around the output itself (they are in its
 * live stream too) and cuts a huge output in the middle, under
 * LOGS_OUTPUT_MAX, saying how much it cut; hearth writes each of those
 * lines only if the log has none (no agent answered, or one lost them),
 * so START is there once.  A log over LOGS_OUTPUT_MAX (an agent that did
 * not cut) keeps its head and its last lines, with the count of what
 * went between.
 */
static void
logs_format(const struct fn *fn, const struct invoke_result *res, struct buf *b)
{
	const char	*tail;
	size_t		 n = res->logs_len, keep_tail = 4096;
	char		 start[80], end[80], report[80];
	int		 has_start, has_end, has_report;

	if (n > LOGS_OUTPUT_MAX) {
		tail = res->logs + n - keep_tail;
		buf_add(b, res->logs, LOGS_OUTPUT_MAX - keep_tail);
		buf_printf(b, "\n[hearth: %zu bytes of output not kept]\n",
		    n - LOGS_OUTPUT_MAX);
		buf_add(b, tail, keep_tail);
	} else if (n > 0)
		buf_add(b, res->logs, n);
	if (b->len > 0 && b->data[b->len - 1] != '\n')
		buf_addstr(b, "\n");
	snprintf(start, sizeof start, "START RequestId: %s ", res->request_id);
	snprintf(end, sizeof end, "END RequestId: %s", res->request_id);
	snprintf(report, sizeof report, "REPORT RequestId: %s", res->request_id);
	has_start = b->len > 0 && memmem(b->data, b->len, start, strlen(start));
	has_end = b->len > 0 && memmem(b->data, b->len, end, strlen(end));
	has_report = b->len > 0 && memmem(b->data, b->len, report, strlen(report));
	if (!has_start)
		buf_printf(b, "START RequestId: %s Version: $LATEST\n",
		    res->request_id);
	if (!has_end)
		buf_printf(b, "END RequestId: %s\n", res->request_id);
	if (!has_report)
		buf_printf(b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled "
		    "Duration: %.0f ms\tMemory Size: %d MB\tMax Memory Used: %d "
		    "MB\tStatus: %s\n", res->request_id, res->duration_ms,
		    ceil(res->duration_ms < 1 ? 1 : res->duration_ms),
		    fn->memory_mb, res->max_mem_mb, logs_status_name(res->status));
}

/* A statement that yields one integer: that integer, 0 if none. */
static long long
logs_int(sqlite3_stmt *stmt)
{
	long long	v = 0;

	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	store_done(stmt);
	return v;
}

/*
 * Drop the oldest invocations before id newest — of function fn, or of
 * any function when fn is NULL — until at least excess bytes of log are
 * freed.  Only the rows dropped are read, and no log text of them.  Not
 * cached statements (store_stmt): this runs only once a cap is reached.
 */
static int
logs_drop(struct store *st, const char *fn, long long excess,
    sqlite3_int64 newest)
{
	sqlite3_stmt	*stmt;
	sqlite3_int64	 cut = 0;
	long long	 freed = 0;
	int		 rc;

	if (fn != NULL) {
		stmt = store_prepare(st, "SELECT id, bytes FROM invocations "
		    "WHERE fn = ? AND id < ? ORDER BY id");
		sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, newest);
	} else {
		stmt = store_prepare(st, "SELECT id, bytes FROM invocations "
		    "WHERE id < ? ORDER BY id");
		sqlite3_bind_int64(stmt, 1, newest);
	}
	while (freed < excess && sqlite3_step(stmt) == SQLITE_ROW) {
		cut = sqlite3_column_int64(stmt, 0);
		freed += sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	if (cut == 0)
		return SQLITE_DONE;
	if (fn != NULL) {
		stmt = store_prepare(st, "DELETE FROM invocations WHERE fn = ? AND "
		    "id <= ?");
		sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, cut);
	} else {
		stmt = store_prepare(st, "DELETE FROM invocations WHERE id <= ?");
		sqlite3_bind_int64(stmt, 1, cut);
	}
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Apply retention after invocation newest of function fn was stored:
 * its FN_LOG_KEEP rows, then its byte cap, then the host's.
 */
static int
logs_retain(struct store *st, const char *fn, sqlite3_int64 newest)
{
	sqlite3_stmt	*stmt;
	long long	 have, cap;
	int		 rc = SQLITE_DONE;

	/*
	 * Keep the newest FN_LOG_KEEP invocations of this function.  Finding
	 * the cut-off walks that many index entries, so do it once every 64
	 * rowids rather than on every insert.
	 */
	if (newest % 64 == 0) {
		stmt = store_prepare(st, "DELETE FROM invocations WHERE fn = ?1 AND "
		    "id < (SELECT id FROM invocations WHERE fn = ?1 ORDER BY id DESC "
		    "LIMIT 1 OFFSET ?2)");
		sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
		sqlite3_bind_int(stmt, 2, FN_LOG_KEEP - 1);
		rc = sqlite3_step(stmt);
		sqlite3_finalize(stmt);
		if (rc != SQLITE_DONE)
			return rc;
	}
	/* The byte counters are on the functions' rows: no log is read. */
	stmt = store_stmt(st, "SELECT log_bytes FROM functions WHERE name = ?");
	sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
	have = logs_int(stmt);
	cap = config_get_size("logs.fn_bytes");
	if (have > cap && (rc = logs_drop(st, fn, have - cap, newest)) !=
	    SQLITE_DONE)
		return rc;
	have = logs_int(store_stmt(st, "SELECT coalesce(sum(log_bytes), 0) "
	    "FROM functions"));
	cap = config_get_size("logs.total_bytes");
	if (have > cap)
		rc = logs_drop(st, NULL, have - cap, newest);
	return rc;
}

/*
 * Store one invocation's record and log, and apply retention, in one
 * transaction; -1 with *cause on error.  Only while fn is the function
 * that ran it: one deleted while it ran (and maybe made again under its
 * name since) gets no record, so a new function never inherits an old
 * one's logs.
 */
int
logs_store(struct store *st, const struct fn *fn, const struct invoke_result *res,
    char **cause)
{
	sqlite3_stmt	*stmt;
	struct buf	 b = { 0 };
	int		 rc;

	logs_format(fn, res, &b);
	if (store_begin(st, cause) != 0) {
		buf_free(&b);
		return -1;
	}
	stmt = store_stmt(st, "INSERT INTO invocations (request_id, fn, ts, "
	    "status, duration_ms, init_ms, max_mem_mb, log, bytes) "
	    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE EXISTS (SELECT 1 "
	    "FROM functions WHERE name = ?2 AND created = ?10)");
	sqlite3_bind_text(stmt, 1, res->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 3, util_now());
	sqlite3_bind_text(stmt, 4, logs_status_name(res->status), -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 5, res->duration_ms);
	sqlite3_bind_double(stmt, 6, res->init_ms);
	sqlite3_bind_int(stmt, 7, res->max_mem_mb);
	sqlite3_bind_text(stmt, 8, b.data != NULL ? b.data : "", (int)b.len,
	    SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 9, (sqlite3_int64)b.len);
	sqlite3_bind_double(stmt, 10, fn->created);
	rc = sqlite3_step(stmt);
	store_done(stmt);
	buf_free(&b);
	if (rc == SQLITE_DONE && sqlite3_changes(st->db) == 0) {
		*cause = xasprintf("function '%s' was deleted while it ran",
		    fn->name);
		store_rollback(st);
		return -1;
	}
	if (rc == SQLITE_DONE)
		rc = logs_retain(st, fn->name, sqlite3_last_insert_rowid(st->db));
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("store: %s", store_errmsg(st));
		store_rollback(st);
		return -1;
	}
	return store_commit(st, cause);
}

/* Whether function name still exists (a follower stops when it is gone). */
int
logs_fn_exists(struct store *st, const char *name)
{
	sqlite3_stmt	*stmt = store_stmt(st, "SELECT 1 FROM functions WHERE name = ?");
	int		 yes;

	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	yes = sqlite3_step(stmt) == SQLITE_ROW;
	store_done(stmt);
	return yes;
}

/* Fill r from a row of (id, ts, request_id, log). */
static void
logs_rec_read(sqlite3_stmt *stmt, struct logs_rec *r)
{
	const char	*p;

	r->id = sqlite3_column_int64(stmt, 0);
	r->ts = sqlite3_column_double(stmt, 1);
	p = (const char *)sqlite3_column_text(stmt, 2);
	r->request_id = xstrdup(p != NULL ? p : "");
	if ((p = (const char *)sqlite3_column_text(stmt, 3)) == NULL)
		p = "";
	r->len = (size_t)sqlite3_column_bytes(stmt, 3);
	r->text = xmalloc(r->len + 1);
	memcpy(r->text, p, r->len);
	r->text[r->len] = '\0';
}

static struct logs_rec *
logs_rec_add(struct logs_rec **recs, int *n)
{
	*recs = xrealloc(*recs, sizeof **recs * (*n + 1));
	memset(&(*recs)[*n], 0, sizeof **recs);
	return &(*recs)[(*n)++];
}

/*
 * The invocations of function name that hold its last tail lines (all
 * when tail < 0), oldest first; the oldest one's text is cut so that
 * exactly tail lines remain when there are more.  *last is the newest
 * invocation's id, 0 when there is none.  The caller frees *recs with
 * logs_recs_free.
 */
int
logs_tail(struct store *st, const char *name, int tail, struct logs_rec **recs,
    int *n, long long *last, char **cause)
{
	struct logs_rec	*r, tmp;
	sqlite3_stmt	*stmt;
	long long	 lines = 0;
	const char	*p, *end, *nl;
	int		 i, rc = SQLITE_DONE;

	*recs = NULL;
	*n = 0;
	*last = 0;
	/* Walk back from the newest invocation until tail lines are in hand. */
	stmt = store_prepare(st, "SELECT id, ts, request_id, log FROM invocations "
	    "WHERE fn = ? ORDER BY id DESC");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	while ((tail < 0 || lines < tail) &&
	    (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = logs_rec_add(recs, n);
		logs_rec_read(stmt, r);
		if (*last == 0)
			*last = r->id;
		p = r->text;
		for (end = p + r->len; (nl = memchr(p, '\n', end - p)) != NULL; p = nl + 1)
			lines++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*cause = xasprintf("store: %s", store_errmsg(st));
		sqlite3_finalize(stmt);
		logs_recs_free(*recs, *n);
		*recs = NULL;
		*n = 0;
		return -1;
	}
	sqlite3_finalize(stmt);
	/* Oldest first. */
	for (i = 0; i < *n / 2; i++) {
		tmp = (*recs)[i];
		(*recs)[i] = (*recs)[*n - 1 - i];
		(*recs)[*n - 1 - i] = tmp;
	}
	/* Drop the lines beyond tail from the oldest. */
	for (i = 0; i < *n && tail >= 0 && lines > tail; i++) {
		r = &(*recs)[i];
		p = r->text;
		end = r->text + r->len;
		for (; lines > tail && p < end; lines--) {
			nl = memchr(p, '\n', end - p);
			p = nl != NULL ? nl + 1 : end;
		}
		r->len = (size_t)(end - p);
		memmove(r->text, p, r->len);
		r->text[r->len] = '\0';
	}
	return 0;
}

/*
 * Invocations of function name after id since, oldest first, at most max
 * of them (all when max <= 0).  The caller frees *recs with logs_recs_free.
 */
int
logs_since(struct store *st, const char *name, long long since, int max,
    struct logs_rec **recs, int *n, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	*recs = NULL;
	*n = 0;
	stmt = store_stmt(st, "SELECT id, ts, request_id, log FROM invocations "
	    "WHERE fn = ? AND id > ? ORDER BY id LIMIT ?");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, since);
	sqlite3_bind_int(stmt, 3, max > 0 ? max : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		logs_rec_read(stmt, logs_rec_add(recs, n));
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("store: %s", store_errmsg(st));
		store_done(stmt);
		logs_recs_free(*recs, *n);
		*recs = NULL;
		*n = 0;
		return -1;
	}
	store_done(stmt);
	return 0;
}

/*
 * The id to follow from so that the last back invocations of function
 * name come first: 0 when it has no more than that.  With name NULL, the
 * newest id of any function (following from there shows only new ones).
 */
long long
logs_start_id(struct store *st, const char *name, int back)
{
	sqlite3_stmt	*stmt;
	long long	 id = 0;

	if (name == NULL)
		stmt = store_prepare(st, "SELECT coalesce(max(id), 0) FROM "
		    "invocations");
	else {
		stmt = store_prepare(st, "SELECT coalesce(min(id) - 1, 0) FROM "
		    "(SELECT id FROM invocations WHERE fn = ? ORDER BY id DESC "
		    "LIMIT ?)");
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int(stmt, 2, back);
	}
	if (sqlite3_step(stmt) == SQLITE_ROW)
		id = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return id;
}

void
logs_recs_free(struct logs_rec *recs, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(recs[i].request_id);
		free(recs[i].text);
	}
	free(recs);
}
