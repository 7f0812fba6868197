/*
 * out.c — where every command's results, notes and errors go.
 *
 * A command builds an out_table: a list of columns (stable JSON key, text
 * header, type) and rows of cells.  The front end decides how it is shown:
 * aligned columns for a person, a JSON array of objects for `-o json`, or a
 * single object (`show` commands, one result) as "Key: value" lines or one
 * JSON object.
 * Cells are filled by column key (out_cell_*), never by position: a key
 * the table lacks, a value of the wrong type, a cell set twice or a row
 * left incomplete is a bug in the command and stops the program at once,
 * so a misordered column cannot go unnoticed.  A number column may name
 * its unit (MiB, ms, s): text shows it after every value (128MiB), JSON
 * keeps the bare number in the unit the field's name says (memory_mb).
 * With -q (ctx->quiet) a list is its first column alone.
 * Field names are an interface for scripts: never rename one.  Every
 * string goes through esc.c: escaped on one line in a table, strictly
 * escaped in JSON, so no cell can drive a terminal and every `-o json`
 * parses.
 *
 * A table is shown with out_show, in the format the front end chose.  A
 * streamed table (out_stream_*) is one whose rows arrive over time (fn
 * logs, fn logs -f): each row is written as it completes, inside one
 * JSON array or, with OUT_STREAM_LINES, one object a line; for a person
 * a streamed table is the bytes its rows came from (out_stream_text).
 *
 * Besides tables a command has message lines (out_line, out_text: text
 * hearth composed from names it checked, written as they are), what a
 * function or machine produced (out_output for results, out_log for its
 * log: exact to a pipe, escaped on a terminal), notes ("hearth: ..." on
 * the error stream, the command goes on) and errors (out_error: one line
 * with the front end's prefix, for commands that report more than one).
 * Notes and errors are always escaped onto one line (a newline in what
 * was typed or returned shows as \n), logs escaped on a terminal; all
 * three flush the results written before them, so a reader of both
 * streams sees them in the order they happened.  Commands never name a stream: every call takes their
 * cmd_ctx, and only this file and the front ends know which FILE is
 * behind it.  The FILE-level calls (out_table_print, out_bytes,
 * out_report) are for the front ends and tests.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hearth.h"

struct out_cell {
	char	*text;		/* as shown in a table */
	char	*json;		/* as written in JSON */
};

struct out_table {
	const struct out_col *cols;	/* column definitions */
	int		 ncols;		/* number of columns */
	struct out_cell	*cells;		/* nrows * ncols, row-major */
	int		 nrows;		/* rows started (not yet written) */
	int		 next;		/* next cell to fill in the last row */
	struct cmd_ctx	*ctx;		/* streamed: whose output, else NULL */
	int		 flags;		/* streamed: OUT_STREAM_* */
	int		 written;	/* streamed: rows written so far */
};

struct out_table *
out_table_new(const struct out_col *cols, int ncols)
{
	struct out_table	*t = xcalloc(1, sizeof *t);

	t->cols = cols;
	t->ncols = ncols;
	return t;
}

static void	out_table_str(struct out_table *t, const char *s);
static void	out_table_str_len(struct out_table *t, const void *s, size_t len);
static void	out_table_int(struct out_table *t, long long v);
static void	out_table_num(struct out_table *t, double v);
static void	out_table_time(struct out_table *t, double when);
static void	out_table_json(struct out_table *t, const char *json);
static void	out_table_json_len(struct out_table *t, const void *json, size_t len);

/* Check that every cell of the last row was given a value. */
static void
out_table_check_row(struct out_table *t)
{
	int	c;

	if (t->nrows == 0)
		return;
	for (c = 0; c < t->ncols; c++)
		if (t->cells[(t->nrows - 1) * t->ncols + c].json == NULL)
			fatal("out_table: column %s left empty", t->cols[c].key);
}

void
out_table_row(struct out_table *t)
{
	out_table_check_row(t);
	t->cells = xrealloc(t->cells, sizeof *t->cells * (t->nrows + 1) * t->ncols);
	memset(t->cells + t->nrows * t->ncols, 0, sizeof *t->cells * t->ncols);
	t->nrows++;
	t->next = 0;
}

static void
out_table_cell(struct out_table *t, char *text, char *json)
{
	struct out_cell	*c;

	if (t->nrows == 0 || t->next >= t->ncols)
		fatal("out_table: cell outside a row");
	c = &t->cells[(t->nrows - 1) * t->ncols + t->next++];
	c->text = text;
	c->json = json;
}

/* Point the next cell of the last row at column key, which must be of type. */
static void
out_table_key(struct out_table *t, const char *key, enum out_type type)
{
	int	c;

	for (c = 0; c < t->ncols; c++)
		if (strcmp(t->cols[c].key, key) == 0)
			break;
	if (c == t->ncols)
		fatal("out_table: no column %s", key);
	if (t->cols[c].type != type)
		fatal("out_table: column %s given a value of another type", key);
	if (t->nrows > 0 && t->cells[(t->nrows - 1) * t->ncols + c].json != NULL)
		fatal("out_table: column %s set twice", key);
	t->next = c;
}

void
out_cell_str(struct out_table *t, const char *key, const char *s)
{
	out_table_key(t, key, OUT_STR);
	out_table_str(t, s);
}

/* A text cell of len bytes (NULs and bad UTF-8 included): escaped, as above. */
void
out_cell_str_len(struct out_table *t, const char *key, const void *s,
    size_t len)
{
	out_table_key(t, key, OUT_STR);
	out_table_str_len(t, s, len);
}

void
out_cell_int(struct out_table *t, const char *key, long long v)
{
	out_table_key(t, key, OUT_INT);
	out_table_int(t, v);
}

void
out_cell_num(struct out_table *t, const char *key, double v)
{
	out_table_key(t, key, OUT_NUM);
	out_table_num(t, v);
}

void
out_cell_json(struct out_table *t, const char *key, const char *json)
{
	out_table_key(t, key, OUT_JSONRAW);
	out_table_json(t, json);
}

void
out_cell_json_len(struct out_table *t, const char *key, const void *json,
    size_t len)
{
	out_table_key(t, key, OUT_JSONRAW);
	out_table_json_len(t, json, len);
}

void
out_cell_time(struct out_table *t, const char *key, double when)
{
	out_table_key(t, key, OUT_TIME);
	out_table_time(t, when);
}

/* A cell of any type whose value is not known: "-" in text, null in JSON. */
void
out_cell_none(struct out_table *t, const char *key)
{
	int	c;

	for (c = 0; c < t->ncols && strcmp(t->cols[c].key, key) != 0; c++)
		;
	if (c == t->ncols)
		fatal("out_table: no column %s", key);
	out_table_key(t, key, t->cols[c].type);
	out_table_cell(t, xstrdup("-"), xstrdup("null"));
}

/* A yes-or-no cell: true or false, in text as in JSON. */
void
out_cell_bool(struct out_table *t, const char *key, int on)
{
	out_table_key(t, key, OUT_BOOL);
	out_table_cell(t, xstrdup(on ? "true" : "false"),
	    xstrdup(on ? "true" : "false"));
}

/* Append s as a JSON string literal, escaped as everything in -o json is. */
void
out_json_string(struct buf *b, const char *s)
{
	esc_json_string(b, s, strlen(s));
}

/*
 * Write len bytes an instance produced to f: as they are to a pipe or a
 * file, so scripts get exact output; escaped (esc_term with flags) to a
 * terminal.
 */
void
out_bytes(FILE *f, const void *p, size_t len, int flags)
{
	struct buf	b = { 0 };
	int		fd = fileno(f);

	if (fd == -1 || !isatty(fd)) {
		fwrite(p, 1, len, f);
		return;
	}
	esc_term(&b, p, len, flags);
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
}

/* A text cell: shown escaped on one line, a JSON string in JSON. */
static void
out_table_str(struct out_table *t, const char *s)
{
	struct buf	b = { 0 };

	if (s == NULL) {
		out_table_cell(t, xstrdup("-"), xstrdup("null"));
		return;
	}
	out_json_string(&b, s);
	out_table_cell(t, esc_term_str(s, ESC_ONELINE), b.data);
}

static void
out_table_str_len(struct out_table *t, const void *s, size_t len)
{
	struct buf	text = { 0 }, b = { 0 };

	esc_term(&text, s, len, ESC_ONELINE);
	if (text.data == NULL)
		text.data = xstrdup("");
	esc_json_string(&b, s, len);
	out_table_cell(t, text.data, b.data);
}

/* The unit the cell being filled is shown in ("" for none). */
static const char *
out_table_unit(struct out_table *t)
{
	const char	*u = t->cols[t->next].unit;

	return u != NULL ? u : "";
}

/* A whole number: with its column's unit in text (128MiB), bare in JSON. */
static void
out_table_int(struct out_table *t, long long v)
{
	out_table_cell(t, util_unit_int(v, out_table_unit(t)),
	    xasprintf("%lld", v));
}

/*
 * A measured number: in text as every figure is shown (util_unit_num:
 * 318.9MiB, 20.41ms), with its column's unit; three decimals in JSON.
 */
static void
out_table_num(struct out_table *t, double v)
{
	if (!isfinite(v))
		out_table_cell(t, xstrdup("-"), xstrdup("null"));
	else
		out_table_cell(t, util_unit_num(v, out_table_unit(t)),
		    xasprintf("%.3f", v));
}

/* A point in time (epoch seconds): local text, ISO 8601 UTC in JSON. */
static void
out_table_time(struct out_table *t, double when)
{
	char		text[32], iso[40];
	time_t		secs = (time_t)when;
	struct tm	tm;

	localtime_r(&secs, &tm);
	strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
	gmtime_r(&secs, &tm);
	strftime(iso, sizeof iso, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
	out_table_cell(t, xstrdup(text), xstrdup(iso));
}

/*
 * A cell holding len bytes of JSON text, shown as-is (escaped) in tables
 * and written again strictly in JSON; text that is not JSON becomes a
 * JSON string.
 */
static void
out_table_json_len(struct out_table *t, const void *json, size_t len)
{
	struct buf	text = { 0 }, b = { 0 };

	esc_term(&text, json, len, ESC_ONELINE);	/* NULL if empty: "-" */
	esc_json_or_string(&b, json, len);
	out_table_cell(t, text.data, b.data);
}

static void
out_table_json(struct out_table *t, const char *json)
{
	out_table_json_len(t, json, strlen(json));
}

/* Append row r of t as one JSON object. */
static void
out_json_object(struct buf *b, struct out_table *t, int r)
{
	int	c;

	buf_addstr(b, "{");
	for (c = 0; c < t->ncols; c++) {
		struct out_cell	*cell = &t->cells[r * t->ncols + c];

		if (c > 0)
			buf_addstr(b, ", ");
		out_json_string(b, t->cols[c].key);
		buf_addstr(b, ": ");
		buf_addstr(b, cell->json != NULL ? cell->json : "null");
	}
	buf_addstr(b, "}");
}

static void
out_print_json(struct out_table *t, FILE *f, int single)
{
	struct buf	b = { 0 };
	int		r;

	if (!single)
		buf_addstr(&b, "[");
	for (r = 0; r < t->nrows; r++) {
		if (r > 0)
			buf_addstr(&b, ",");
		if (!single)
			buf_addstr(&b, "\n  ");
		out_json_object(&b, t, r);
		if (single)
			break;
	}
	if (!single)
		buf_addstr(&b, t->nrows > 0 ? "\n]" : "]");
	if (single && t->nrows == 0)
		buf_addstr(&b, "{}");
	buf_addstr(&b, "\n");
	fputs(b.data, f);
	buf_free(&b);
}

/* Print one cell padded to width w, or ending the line if last. */
static void
out_print_cell(FILE *f, const char *v, size_t w, int last)
{
	if (v == NULL)
		v = "-";
	if (last)
		fprintf(f, "%s\n", v);
	else
		fprintf(f, "%-*s  ", (int)w, v);
}

static void
out_print_text(struct out_table *t, FILE *f, int single)
{
	size_t	*w, len;
	int	 r, c;

	if (single) {
		for (c = 0, len = 0; c < t->ncols; c++)
			if (strlen(t->cols[c].header) > len)
				len = strlen(t->cols[c].header);
		for (r = 0; r < t->nrows && r < 1; r++) {
			for (c = 0; c < t->ncols; c++) {
				const char *v = t->cells[c].text;

				fprintf(f, "%s:%*s %s\n", t->cols[c].header,
				    (int)(len - strlen(t->cols[c].header)), "",
				    v != NULL ? v : "-");
			}
		}
		return;
	}
	w = xcalloc(t->ncols, sizeof *w);
	for (c = 0; c < t->ncols; c++)
		w[c] = strlen(t->cols[c].header);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			const char *v = t->cells[r * t->ncols + c].text;

			if (v != NULL && strlen(v) > w[c])
				w[c] = strlen(v);
		}
	for (c = 0; c < t->ncols; c++)
		out_print_cell(f, t->cols[c].header, w[c], c + 1 == t->ncols);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			out_print_cell(f, t->cells[r * t->ncols + c].text, w[c],
			    c + 1 == t->ncols);
	free(w);
}

/* Print t as text or JSON; single prints the first row as one object. */
void
out_table_print(struct out_table *t, enum out_format fmt, FILE *f, int single)
{
	out_table_check_row(t);
	if (fmt == OUT_JSON)
		out_print_json(t, f, single);
	else
		out_print_text(t, f, single);
	fflush(f);
}

/*
 * Show t, filled by a command, on its output in the format asked for;
 * with -q a list is its first column only (names, ids), one a line, in
 * either format, as docker -q and kubectl -o name print it.
 */
void
out_show(struct cmd_ctx *ctx, struct out_table *t, int single)
{
	int	r;

	if (ctx->quiet && !single) {
		out_table_check_row(t);
		for (r = 0; r < t->nrows; r++)
			fprintf(ctx->out, "%s\n", t->cells[r * t->ncols].text);
		fflush(ctx->out);
		return;
	}
	out_table_print(t, ctx->format, ctx->out, single);
}

/* Drop t's rows, written or not wanted, keeping its columns. */
static void
out_table_clear(struct out_table *t)
{
	int	i;

	for (i = 0; i < t->nrows * t->ncols; i++) {
		free(t->cells[i].text);
		free(t->cells[i].json);
	}
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
	t->next = 0;
}

void
out_table_free(struct out_table *t)
{
	if (t == NULL)
		return;
	out_table_clear(t);
	free(t);
}

/*
 * Start a streamed table on ctx's output: fill rows as for out_show
 * (out_table_row, out_cell_*) and write them with out_stream_flush as
 * they complete; out_stream_end closes it.  With -o json the rows are
 * objects in one array, or one object a line with OUT_STREAM_LINES; for a
 * person only what is given to out_stream_text is written.
 */
struct out_table *
out_stream_begin(struct cmd_ctx *ctx, const struct out_col *cols, int ncols,
    int flags)
{
	struct out_table	*t = out_table_new(cols, ncols);

	t->ctx = ctx;
	t->flags = flags;
	if (ctx->format == OUT_JSON && !(flags & OUT_STREAM_LINES))
		fputs("[", ctx->out);
	return t;
}

/* Whether t's rows are written (JSON); else its text is. */
static int
out_stream_rows(struct out_table *t)
{
	if (t->ctx == NULL)
		fatal("out_stream: not a streamed table");
	return t->ctx->format == OUT_JSON;
}

/*
 * Write len bytes the rows to come were made from (what a function
 * wrote), as out_output does, when a person reads the table; nothing
 * with -o json.
 */
void
out_stream_text(struct out_table *t, const void *p, size_t len)
{
	if (!out_stream_rows(t))
		out_output(t->ctx, p, len, 0);
}

/*
 * Write the rows completed since the last call and send them on; -1 if
 * the reader has gone.  Rows are not kept: a streamed table holds only
 * what has not been written yet.
 */
int
out_stream_flush(struct out_table *t)
{
	struct buf	b = { 0 };
	int		r, lines = t->flags & OUT_STREAM_LINES;

	if (!out_stream_rows(t)) {
		out_table_clear(t);
		return out_flush(t->ctx);
	}
	out_table_check_row(t);
	for (r = 0; r < t->nrows; r++) {
		if (!lines)
			buf_addstr(&b, t->written > 0 ? ",\n  " : "\n  ");
		out_json_object(&b, t, r);
		if (lines)
			buf_addstr(&b, "\n");
		t->written++;
	}
	if (b.len > 0)
		fputs(b.data, t->ctx->out);
	buf_free(&b);
	out_table_clear(t);
	return out_flush(t->ctx);
}

/* Write what is left of t, close its array and free it; -1 as above. */
int
out_stream_end(struct out_table *t)
{
	int	rc;

	if (t == NULL)
		return 0;
	rc = out_stream_flush(t);
	if (out_stream_rows(t) && !(t->flags & OUT_STREAM_LINES)) {
		fputs(t->written > 0 ? "\n]\n" : "]\n", t->ctx->out);
		if (out_flush(t->ctx) != 0)
			rc = -1;
	}
	out_table_free(t);
	return rc;
}

/*
 * Write len bytes a function or a machine produced as the command's
 * result: exact to a pipe or a file, escaped (esc_term with flags) on a
 * terminal.
 */
void
out_output(struct cmd_ctx *ctx, const void *p, size_t len, int flags)
{
	out_bytes(ctx->out, p, len, flags);
}

/*
 * Write len bytes of a function's log (its START/END lines and what it
 * printed) where notes go, after the results written so far; escaped on
 * a terminal as out_output.
 */
void
out_log(struct cmd_ctx *ctx, const void *p, size_t len)
{
	fflush(ctx->out);
	out_bytes(ctx->err, p, len, 0);
}

/* Write one message line (a newline is added) to the command's output. */
void
out_line(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	fputs(s, ctx->out);
	fputc('\n', ctx->out);
	free(s);
}

/*
 * Send on what the command wrote so far, results and notes (before a
 * fork, so no child writes it again, or while following); -1 if the
 * reader of its results has gone.
 */
int
out_flush(struct cmd_ctx *ctx)
{
	int	rc = fflush(ctx->out) != 0 || ferror(ctx->out) ? -1 : 0;

	fflush(ctx->err);
	return rc;
}

/* Write text (lines with their newlines, e.g. help) to the command's output. */
void
out_text(struct cmd_ctx *ctx, const char *text)
{
	fputs(text, ctx->out);
}

/*
 * Write msg to f as one error line: "where: msg", or "hearth: msg" when
 * where is NULL.  Errors and notes quote what functions, agents and the
 * person said (error types and messages, a console's last lines, a name
 * or a value typed with a newline in it), so they are always escaped as a
 * table cell is, newlines and tabs too, whatever f is: one error, one
 * line, which a script reading stderr line by line can count on.
 */
void
out_report(FILE *f, const char *where, const char *msg)
{
	char	*safe = esc_term_str(msg, ESC_ONELINE);
	char	*at = esc_term_str(where != NULL ? where : "hearth", ESC_ONELINE);

	fprintf(f, "%s: %s\n", at != NULL ? at : "", safe != NULL ? safe : "");
	free(at);
	free(safe);
}

/* Say something on the error stream that does not stop the command. */
void
out_note(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	fflush(ctx->out);
	out_report(ctx->err, NULL, s);
	free(s);
}

/*
 * Report one error now, with the front end's prefix, as run.c reports a
 * command's last one: for commands that go on after a failure and say
 * what failed one line at a time.  The exit status is still the one the
 * command returns.
 */
void
out_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	fflush(ctx->out);
	out_report(ctx->err, ctx->run != NULL ? ctx->run->where : NULL, s);
	free(s);
}
