/*
 * cmd-fn-logs.c — fn logs: a function's stored logs, and following them.
 *
 * The lines come from the manager (logs_tail, then logs_since polled ten
 * times a second, which sees invocations made by any process).  What a
 * function wrote is printed as it is to a pipe or a file and escaped on a
 * terminal (out_bytes); with -o json each line is a {ts, request_id,
 * line} object, strictly escaped: one array, or with -f one object a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hearth.h"

/* Where the lines go, and how. */
struct cmd_fn_logs_out {
	FILE		*f;		/* the output */
	enum out_format	 fmt;		/* text or JSON */
	int		 array;		/* JSON: one array (else a line each) */
	int		 n;		/* JSON objects written */
};

/*
 * Write one invocation's log: as text (exact to a pipe, escaped on a
 * terminal), or as one JSON object per line.
 */
static void
cmd_fn_logs_put(struct cmd_fn_logs_out *lo, const struct logs_rec *r)
{
	struct buf	 b = { 0 };
	const char	*p = r->text, *nl;
	char		 iso[40];
	time_t		 secs = (time_t)r->ts;
	struct tm	 tm;
	size_t		 n, len = r->len;

	if (lo->fmt != OUT_JSON) {
		out_bytes(lo->f, p, len, 0);
		return;
	}
	gmtime_r(&secs, &tm);
	n = strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(iso + n, sizeof iso - n, ".%03dZ",
	    (int)((r->ts - secs) * 1000) % 1000);
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		if (lo->array)
			buf_addstr(&b, lo->n > 0 ? ",\n  " : "\n  ");
		buf_printf(&b, "{\"ts\": \"%s\", \"request_id\": ", iso);
		out_json_string(&b, r->request_id);
		buf_addstr(&b, ", \"line\": ");
		esc_json_string(&b, p, n);
		buf_addstr(&b, lo->array ? "}" : "}\n");
		lo->n++;
		n += nl != NULL;
		p += n;
		len -= n;
	}
	if (b.len > 0)
		out_raw(lo->f, b.data, b.len);
	buf_free(&b);
}

/* Print what came after last until the function goes or the output closes. */
static int
cmd_fn_logs_follow(struct cmd_ctx *ctx, struct cmd_fn_logs_out *lo,
    const char *name, long long last)
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
			cmd_fn_logs_put(lo, &recs[i]);
		}
		logs_recs_free(recs, n);
		if (out_flush(lo->f) != 0)
			return cmd_error(ctx, CMD_ERROR, "output closed");
		nanosleep(&ts, NULL);
	}
}

static int
cmd_fn_logs_exec(struct cmd_ctx *ctx)
{
	struct cmd_fn_logs_out	 lo = { ctx->out, ctx->format, 0, 0 };
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
	lo.array = ctx->format == OUT_JSON && !follow;
	if (logs_tail(ctx->store, fn->name, (int)tail, &recs, &n, &last,
	    &cause) != 0) {
		fn_free(fn);
		return cmd_fail(ctx, CMD_ERROR, cause);
	}
	if (lo.array)
		out_raw(lo.f, "[", 1);
	for (i = 0; i < n; i++)
		cmd_fn_logs_put(&lo, &recs[i]);
	logs_recs_free(recs, n);
	if (lo.array) {
		if (lo.n > 0)
			out_raw(lo.f, "\n]\n", 3);
		else
			out_raw(lo.f, "]\n", 2);
	}
	out_flush(lo.f);
	if (follow)
		rc = cmd_fn_logs_follow(ctx, &lo, fn->name, last);
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
