/*
 * logs.c — invocation logs, stored in the logs table.
 *
 * Every invocation writes, in one transaction with its invocations row,
 * the CloudWatch-shaped lines an operator expects from Lambda: START, the
 * handler's own output line by line, END, and REPORT with Duration, Billed
 * Duration, Memory Size, Max Memory Used and (on a cold start) Init
 * Duration.  Each function keeps its last FN_LOG_KEEP lines.  Following is
 * polling by rowid, which works across processes because the store is
 * shared: `fn logs -f` in one terminal sees invocations made anywhere.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hearth.h"

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

static void
logs_line(sqlite3_stmt *stmt, const struct fn *fn, double ts,
    const char *reqid, const char *line, size_t len)
{
	sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 2, ts);
	sqlite3_bind_text(stmt, 3, reqid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, line, (int)len, SQLITE_TRANSIENT);
	sqlite3_step(stmt);
	sqlite3_reset(stmt);
}

/* Store one invocation's record and log lines; -1 with *cause on error. */
int
logs_store(struct store *st, const struct fn *fn, const struct invoke_result *res,
    char **cause)
{
	sqlite3_stmt	*stmt;
	const char	*p, *nl, *end;
	char		*line, init[64] = "";
	double		 ts = util_now();

	if (store_begin(st, cause) != 0)
		return -1;
	stmt = store_prepare(st, "INSERT INTO invocations (request_id, fn, ts, "
	    "status, duration_ms, init_ms, max_mem_mb) VALUES (?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_text(stmt, 1, res->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 3, ts);
	sqlite3_bind_text(stmt, 4, logs_status_name(res->status), -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 5, res->duration_ms);
	sqlite3_bind_double(stmt, 6, res->init_ms);
	sqlite3_bind_int(stmt, 7, res->max_mem_mb);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);

	stmt = store_prepare(st, "INSERT INTO logs (fn, ts, request_id, line) "
	    "VALUES (?, ?, ?, ?)");
	line = xasprintf("START RequestId: %s Version: $LATEST", res->request_id);
	logs_line(stmt, fn, ts, res->request_id, line, strlen(line));
	free(line);
	p = res->logs != NULL ? res->logs : "";
	end = p + res->logs_len;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			nl = end;
		logs_line(stmt, fn, ts, res->request_id, p, nl - p);
		p = nl + 1;
	}
	if (res->status == INVOKE_TIMEOUT) {
		line = xasprintf("%s Task timed out after %d.00 seconds",
		    res->request_id, fn->timeout_s);
		logs_line(stmt, fn, ts, res->request_id, line, strlen(line));
		free(line);
	}
	line = xasprintf("END RequestId: %s", res->request_id);
	logs_line(stmt, fn, ts, res->request_id, line, strlen(line));
	free(line);
	if (res->init_ms > 0)
		snprintf(init, sizeof init, "\tInit Duration: %.2f ms", res->init_ms);
	line = xasprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled "
	    "Duration: %.0f ms\tMemory Size: %d MB\tMax Memory Used: %d MB%s%s%s",
	    res->request_id, res->duration_ms, ceil(res->duration_ms < 1 ? 1 :
	    res->duration_ms), fn->memory_mb, res->max_mem_mb, init,
	    res->status != INVOKE_OK ? "\tStatus: " : "",
	    res->status != INVOKE_OK ? logs_status_name(res->status) : "");
	logs_line(stmt, fn, ts, res->request_id, line, strlen(line));
	free(line);
	sqlite3_finalize(stmt);

	/* Keep the newest FN_LOG_KEEP lines of this function. */
	stmt = store_prepare(st, "DELETE FROM logs WHERE fn = ?1 AND id < "
	    "(SELECT id FROM logs WHERE fn = ?1 ORDER BY id DESC LIMIT 1 "
	    "OFFSET ?2)");
	sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, FN_LOG_KEEP - 1);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	stmt = store_prepare(st, "DELETE FROM invocations WHERE fn = ?1 AND ts < "
	    "(SELECT ts FROM invocations WHERE fn = ?1 ORDER BY ts DESC LIMIT 1 "
	    "OFFSET ?2)");
	sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, FN_LOG_KEEP - 1);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return store_commit(st, cause);
}

/* Print rows of stmt (id, line) to out; return the last id seen. */
static long long
logs_emit(sqlite3_stmt *stmt, FILE *out, long long last)
{
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		last = sqlite3_column_int64(stmt, 0);
		fprintf(out, "%s\n", (const char *)sqlite3_column_text(stmt, 1));
	}
	fflush(out);
	return last;
}

/*
 * Print the last tail lines of function name (all if tail < 0) and, with
 * follow, keep printing new ones until interrupted.
 */
int
logs_print(struct store *st, const char *name, int tail, int follow, FILE *out,
    char **cause)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	sqlite3_stmt	*stmt;
	long long	 last = 0;

	stmt = store_prepare(st, "SELECT id, line FROM (SELECT id, line FROM logs "
	    "WHERE fn = ? ORDER BY id DESC LIMIT ?) ORDER BY id");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, tail < 0 ? -1 : tail);
	last = logs_emit(stmt, out, last);
	sqlite3_finalize(stmt);
	if (!follow)
		return 0;
	if (last == 0) {
		stmt = store_prepare(st, "SELECT coalesce(max(id), 0) FROM logs");
		if (sqlite3_step(stmt) == SQLITE_ROW)
			last = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
	}
	stmt = store_prepare(st, "SELECT id, line FROM logs WHERE fn = ? AND "
	    "id > ? ORDER BY id");
	for (;;) {
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, last);
		last = logs_emit(stmt, out, last);
		sqlite3_reset(stmt);
		if (ferror(out)) {
			*cause = xstrdup("output closed");
			sqlite3_finalize(stmt);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
}
