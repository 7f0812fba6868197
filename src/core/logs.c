/*
 * logs.c — invocation records and their logs.
 *
 * Every invocation is one row of the invocations table, written in one
 * short transaction: its status and figures, and its log — the
 * CloudWatch-shaped lines an operator expects from Lambda, which the
 * agent writes: START, the handler's own output, END, and REPORT with
 * Duration, Billed Duration, Memory Size, Max Memory Used and (on a cold
 * start) Init Duration.  One
 * insert per invocation keeps logging cheap on the warm path.  Each
 * function keeps its last FN_LOG_KEEP invocations, and at most
 * LOGS_OUTPUT_MAX bytes of output each.  Following is polling by rowid,
 * which works across processes because the store is shared: `fn logs -f`
 * in one terminal sees invocations made anywhere.  What a function wrote
 * is printed as it is to a pipe or a file and escaped on a terminal.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hearth.h"

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
 * live stream too); only when no agent answered does hearth write them.
 * Output beyond LOGS_OUTPUT_MAX keeps its head and its last lines.
 */
static void
logs_format(const struct fn *fn, const struct invoke_result *res, struct buf *b)
{
	const char	*tail;
	size_t		 n = res->logs_len, keep_tail = 4096;

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
	if (strstr(b->data != NULL ? b->data : "", "REPORT RequestId: ") != NULL)
		return;
	buf_printf(b, "START RequestId: %s Version: $LATEST\n", res->request_id);
	buf_printf(b, "END RequestId: %s\n", res->request_id);
	buf_printf(b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: "
	    "%.0f ms\tMemory Size: %d MB\tMax Memory Used: %d MB\tStatus: %s\n",
	    res->request_id, res->duration_ms,
	    ceil(res->duration_ms < 1 ? 1 : res->duration_ms), fn->memory_mb,
	    res->max_mem_mb, logs_status_name(res->status));
}

/* Store one invocation's record and log; -1 with *cause on error. */
int
logs_store(struct store *st, const struct fn *fn, const struct invoke_result *res,
    char **cause)
{
	sqlite3_stmt	*stmt;
	struct buf	 b = { 0 };
	sqlite3_int64	 id;
	int		 rc;

	logs_format(fn, res, &b);
	stmt = store_stmt(st, "INSERT INTO invocations (request_id, fn, ts, "
	    "status, duration_ms, init_ms, max_mem_mb, log) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_text(stmt, 1, res->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 3, util_now());
	sqlite3_bind_text(stmt, 4, logs_status_name(res->status), -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 5, res->duration_ms);
	sqlite3_bind_double(stmt, 6, res->init_ms);
	sqlite3_bind_int(stmt, 7, res->max_mem_mb);
	sqlite3_bind_text(stmt, 8, b.data, (int)b.len, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	store_done(stmt);
	buf_free(&b);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("store: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	/*
	 * Keep the newest FN_LOG_KEEP invocations of this function.  Finding
	 * the cut-off walks that many index entries, so do it once every 64
	 * rowids rather than on every insert.
	 */
	id = sqlite3_last_insert_rowid(st->db);
	if (id % 64 == 0) {
		stmt = store_prepare(st, "DELETE FROM invocations WHERE fn = ?1 AND "
		    "id < (SELECT id FROM invocations WHERE fn = ?1 ORDER BY id DESC "
		    "LIMIT 1 OFFSET ?2)");
		sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(stmt, 2, FN_LOG_KEEP - 1);
		sqlite3_step(stmt);
		sqlite3_finalize(stmt);
	}
	return 0;
}

static int
logs_fn_exists(struct store *st, const char *name)
{
	sqlite3_stmt	*stmt = store_stmt(st, "SELECT 1 FROM functions WHERE name = ?");
	int		 yes;

	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	yes = sqlite3_step(stmt) == SQLITE_ROW;
	store_done(stmt);
	return yes;
}

/* Where logs_print writes, and how. */
struct logs_out {
	FILE		*f;		/* the output */
	enum out_format	 fmt;		/* text or JSON */
	int		 array;		/* JSON: one array (else a line each) */
	int		 n;		/* JSON objects written */
};

/*
 * Write len bytes of one invocation's log: as text (exact to a pipe,
 * escaped on a terminal), or as one JSON object per line.
 */
static void
logs_put(struct logs_out *lo, double ts, const char *reqid, const char *p,
    size_t len)
{
	struct buf	 b = { 0 };
	const char	*nl;
	char		 iso[40];
	time_t		 secs = (time_t)ts;
	struct tm	 tm;
	size_t		 n;

	if (lo->fmt != OUT_JSON) {
		out_bytes(lo->f, p, len, 0);
		return;
	}
	gmtime_r(&secs, &tm);
	n = strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(iso + n, sizeof iso - n, ".%03dZ", (int)((ts - secs) * 1000) % 1000);
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		if (lo->array)
			buf_addstr(&b, lo->n > 0 ? ",\n  " : "\n  ");
		buf_printf(&b, "{\"ts\": \"%s\", \"request_id\": ", iso);
		out_json_string(&b, reqid);
		buf_addstr(&b, ", \"line\": ");
		esc_json_string(&b, p, n);
		buf_addstr(&b, lo->array ? "}" : "}\n");
		lo->n++;
		n += nl != NULL;
		p += n;
		len -= n;
	}
	if (b.len > 0)
		fwrite(b.data, 1, b.len, lo->f);
	buf_free(&b);
}

/* One invocation's log, as read back for printing. */
struct logs_rec {
	double	 ts;		/* when it was logged */
	char	*reqid;		/* its request id */
	char	*text;		/* its log */
	size_t	 len;		/* bytes of it */
};

/*
 * Print the last tail lines of function name (all if tail < 0) and, with
 * follow, keep printing new ones until interrupted.  fmt OUT_JSON prints
 * an array of {ts, request_id, line} objects, or with follow one object
 * a line.
 */
int
logs_print(struct store *st, const char *name, int tail, int follow,
    enum out_format fmt, FILE *out, char **cause)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	struct logs_out	 lo = { out, fmt, fmt == OUT_JSON && !follow, 0 };
	struct logs_rec	*recs = NULL, *r;
	sqlite3_stmt	*stmt;
	long long	 last = 0, lines = 0;
	const char	*p, *end, *nl, *reqid;
	int		 nrecs = 0, i, tick;

	/* Walk back from the newest invocation until tail lines are in hand. */
	stmt = store_prepare(st, "SELECT id, ts, request_id, log FROM invocations "
	    "WHERE fn = ? ORDER BY id DESC");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	while ((tail < 0 || lines < tail) && sqlite3_step(stmt) == SQLITE_ROW) {
		if (last == 0)
			last = sqlite3_column_int64(stmt, 0);
		recs = xrealloc(recs, sizeof *recs * (nrecs + 1));
		r = &recs[nrecs++];
		r->ts = sqlite3_column_double(stmt, 1);
		reqid = (const char *)sqlite3_column_text(stmt, 2);
		r->reqid = xstrdup(reqid != NULL ? reqid : "");
		if ((p = (const char *)sqlite3_column_text(stmt, 3)) == NULL)
			p = "";
		r->len = sqlite3_column_bytes(stmt, 3);
		r->text = xmalloc(r->len + 1);
		memcpy(r->text, p, r->len);
		r->text[r->len] = '\0';
		for (end = p + r->len; (nl = memchr(p, '\n', end - p)) != NULL; p = nl + 1)
			lines++;
	}
	sqlite3_finalize(stmt);
	/* Print oldest first, skipping lines beyond tail in the oldest. */
	if (lo.array)
		fputs("[", out);
	for (i = nrecs - 1; i >= 0; i--) {
		r = &recs[i];
		p = r->text;
		end = r->text + r->len;
		for (; tail >= 0 && lines > tail && p < end; lines--) {
			nl = memchr(p, '\n', end - p);
			p = nl != NULL ? nl + 1 : end;
		}
		logs_put(&lo, r->ts, r->reqid, p, end - p);
		free(r->reqid);
		free(r->text);
	}
	free(recs);
	if (lo.array)
		fputs(lo.n > 0 ? "\n]\n" : "]\n", out);
	fflush(out);
	if (!follow)
		return 0;
	if (last == 0) {
		stmt = store_prepare(st, "SELECT coalesce(max(id), 0) FROM invocations");
		if (sqlite3_step(stmt) == SQLITE_ROW)
			last = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
	}
	stmt = store_prepare(st, "SELECT id, ts, request_id, log FROM invocations "
	    "WHERE fn = ? AND id > ? ORDER BY id");
	for (tick = 0;; tick++) {
		/* Once a second: stop following a function that is gone. */
		if (tick % 10 == 9 && !logs_fn_exists(st, name)) {
			*cause = xasprintf("function '%s' was deleted", name);
			sqlite3_finalize(stmt);
			return -1;
		}
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, last);
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			last = sqlite3_column_int64(stmt, 0);
			reqid = (const char *)sqlite3_column_text(stmt, 2);
			if ((p = (const char *)sqlite3_column_text(stmt, 3)) == NULL)
				p = "";
			logs_put(&lo, sqlite3_column_double(stmt, 1),
			    reqid != NULL ? reqid : "", p, sqlite3_column_bytes(stmt, 3));
		}
		sqlite3_reset(stmt);
		if (fflush(out) != 0 || ferror(out)) {
			*cause = xstrdup("output closed");
			sqlite3_finalize(stmt);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
}
