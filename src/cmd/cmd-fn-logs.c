/*
 * cmd-fn-logs.c — fn logs: a function's stored logs, and following them.
 *
 * The lines come from the manager (logs_tail, then logs_since polled ten
 * times a second, which sees invocations made by any process) and go out
 * as a streamed table: for a person, what the function wrote (exact to a
 * pipe or a file, escaped on a terminal); with -o json, one {ts,
 * request_id, line} row per line, in one array, or with -f one object a
 * line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hearth.h"

static const struct out_col cmd_fn_logs_cols[] = {
	{ "ts", "Time", OUT_STR },
	{ "request_id", "Request", OUT_STR },
	{ "line", "Line", OUT_STR },
};

/* Add one invocation's log to t: its text, and a row per line. */
static void
cmd_fn_logs_put(struct out_table *t, const struct logs_rec *r)
{
	const char	*p = r->text, *nl;
	char		 iso[40];
	time_t		 secs = (time_t)r->ts;
	struct tm	 tm;
	size_t		 n, len = r->len;

	out_stream_text(t, p, len);
	gmtime_r(&secs, &tm);
	n = strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(iso + n, sizeof iso - n, ".%03dZ",
	    (int)((r->ts - secs) * 1000) % 1000);	/* milliseconds */
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		out_table_row(t);
		out_cell_str(t, "ts", iso);
		out_cell_str(t, "request_id", r->request_id);
		out_cell_str_len(t, "line", p, n);
		n += nl != NULL;
		p += n;
		len -= n;
	}
}

/* Print what came after last until the function goes or the output closes. */
static int
cmd_fn_logs_follow(struct cmd_ctx *ctx, struct out_table *t, const char *name,
    long long last)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	struct logs_rec	*recs;
	char		*cause = NULL;
	int		 n, i, tick;

	if (last == 0)
		last = logs_start_id(ctx->store, NULL, 0);
	for (tick = 0;; tick++) {
		/* Once a second: stop following a function that is gone. */
		if (tick % 10 == 9 && !logs_fn_exists(ctx->store, name))
			return cmd_error(ctx, CMD_ERROR, "function '%s' was deleted",
			    name);
		if (logs_since(ctx->store, name, last, 0, &recs, &n, &cause) != 0)
			return cmd_fail(ctx, CMD_ERROR, cause);
		for (i = 0; i < n; i++) {
			last = recs[i].id;
			cmd_fn_logs_put(t, &recs[i]);
		}
		logs_recs_free(recs, n);
		if (out_stream_flush(t) != 0)
			return cmd_error(ctx, CMD_ERROR, "output closed");
		nanosleep(&ts, NULL);
	}
}

static int
cmd_fn_logs_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;
	struct logs_rec		*recs;
	struct fn		*fn;
	char			*cause = NULL;
	long long		 tail = -1, last;
	int			 n, i, rc = CMD_OK, follow = cmd_flag(ctx, "follow");

	if (cmd_opt(ctx, "tail") != NULL &&
	    util_parse_int(cmd_opt(ctx, "tail"), 0, 100000000, &tail) != 0)
		return cmd_error(ctx, CMD_USAGE, "--tail '%s' must be a whole "
		    "number", cmd_opt(ctx, "tail"));
	if ((fn = fn_load(ctx->store, ctx->argv[0], &cause)) == NULL)
		return cmd_fail(ctx, CMD_ERROR, cause);
	if (logs_tail(ctx->store, fn->name, (int)tail, &recs, &n, &last,
	    &cause) != 0) {
		fn_free(fn);
		return cmd_fail(ctx, CMD_ERROR, cause);
	}
	t = out_stream_begin(ctx, cmd_fn_logs_cols, nitems(cmd_fn_logs_cols),
	    follow ? OUT_STREAM_LINES : 0);
	for (i = 0; i < n; i++)
		cmd_fn_logs_put(t, &recs[i]);
	logs_recs_free(recs, n);
	out_stream_flush(t);
	if (follow)
		rc = cmd_fn_logs_follow(ctx, t, fn->name, last);
	out_stream_end(t);
	fn_free(fn);
	return rc;
}

static const struct cmd_opt cmd_fn_logs_opts[] = {
	{ "follow", 'f', OPT_FLAG, NULL, "keep printing new lines as they come" },
	{ "tail", 'n', OPT_STRING, "N", "print only the last N lines first" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_fn_logs_entry = {
	.name = "fn logs",
	.alias = "logs",
	.opts = cmd_fn_logs_opts,
	.min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "print a function's logs (START/END/REPORT and its output)",
	.long_help = "Output is printed as the function wrote it to a pipe or "
	    "a file, escaped on a terminal.\n-o json prints an array of "
	    "{ts, request_id, line}; with -f, one such object a line.",
	.flags = CMD_F_STORE | CMD_F_OUTPUT,
	.complete = COMPLETE_FN,
	.exec = cmd_fn_logs_exec,
};
