/*
 * cmd-fn-logs.c — fn logs: a function's stored logs, and following them.
 *
 * The stored lines come from the manager (logs_tail).  Following (-f),
 * the lines come live from the agents of the function's instances, as
 * the console's log pane gets them (stream.c): each line as the runtime
 * writes it, then END and REPORT, from whichever process invoked; a
 * stream to an instance opens as it appears.  Lines an agent sent before
 * following began (its backlog) were stored or are of an invocation
 * already under way: they are skipped by their time.  A follower that
 * falls behind a flood is told by the agent how many bytes it missed, a
 * line of its own.  Once a second the store is read too, for records no
 * stream showed (an instance that died before its stream opened, or no
 * agent that answered), which are printed whole, and for the END and
 * REPORT of those whose stream broke off before them.
 *
 * Everything goes out as a streamed table: for a person, what the
 * function wrote (exact to a pipe or a file, escaped on a terminal); with
 * -o json, one {ts, request_id, line} row per line, in one array, or with
 * -f one object a line.
 */
#include <cjson/cJSON.h>
#include <poll.h>
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
	/* Lines end with a newline, a record's last too (one stored unended). */
	if (len > 0 && p[len - 1] != '\n')
		out_stream_text(t, "\n", 1);
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

#define LOGS_SEEN	512	/* request ids remembered as shown live */
#define LOGS_INSTS	64	/* instances whose last line time is kept */
#define LOGS_GRACE	2.0	/* s: a stored record's lines may still come */
#define LOGS_SLOW	60.0	/* s: an open stream's lines no longer awaited */

/* A follower: the table it writes to and what it has shown. */
struct cmd_fn_logs_follow {
	struct out_table *t;			/* where lines go */
	char		  seen[LOGS_SEEN][40];	/* request ids shown live, a ring */
	char		  reported[LOGS_SEEN];	/* and whether their REPORT was */
	int		  seen_inst[LOGS_SEEN];	/* inst[] slot of the stream showing it */
	int		  nseen;		/* next slot */
	struct {
		char	id[64];			/* instance id */
		double	last_ms;		/* newest line from it */
		double	floor_ms;		/* its stream's lines before: skipped */
		struct stream *s;		/* that stream, NULL once closed */
	}		  inst[LOGS_INSTS];	/* a ring: a stream reopened */
	int		  ninst;		/* next slot */
	int		  cur;			/* inst[] slot of the stream read */
};

/* One row: time (epoch s), request id, the line's len bytes. */
static void
cmd_fn_logs_row(struct out_table *t, double ts, const char *reqid,
    const char *line, size_t len)
{
	char		 iso[40];
	time_t		 secs = (time_t)ts;
	struct tm	 tm;
	size_t		 n;

	out_stream_text(t, line, len);
	out_stream_text(t, "\n", 1);
	gmtime_r(&secs, &tm);
	n = strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(iso + n, sizeof iso - n, ".%03dZ",
	    (int)((ts - secs) * 1000) % 1000);
	out_table_row(t);
	out_cell_str(t, "ts", iso);
	out_cell_str(t, "request_id", reqid);
	out_cell_str_len(t, "line", line, len);
}

/* The seen[] slot of request id reqid, -1 if no stream showed it. */
static int
cmd_fn_logs_seen(struct cmd_fn_logs_follow *f, const char *reqid)
{
	int	i;

	for (i = 0; i < LOGS_SEEN; i++)
		if (strcmp(f->seen[i], reqid) == 0)
			return i;
	return -1;
}

/*
 * A stored record: whole if no stream showed it; if one did but not its
 * end, its END and REPORT lines as hearth wrote them once that stream is
 * gone (the agent died, or the stream did).  0 while the stream that
 * showed it is still open: it is only slow (a follower draining a flood),
 * and its own lines, the count of what it dropped included, will come —
 * unless the record is late (LOGS_SLOW old), when it is shown anyway.
 */
static int
cmd_fn_logs_stored(struct cmd_fn_logs_follow *f, const struct logs_rec *r,
    int late)
{
	const char	*p = r->text, *end = r->text + r->len, *nl;
	int		 i = cmd_fn_logs_seen(f, r->request_id);

	if (i == -1) {
		cmd_fn_logs_put(f->t, r);
		return 1;
	}
	if (f->reported[i])
		return 1;
	if (f->inst[f->seen_inst[i]].s != NULL && !late)
		return 0;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		if ((nl - p > 15 && strncmp(p, "END RequestId: ", 15) == 0) ||
		    (nl - p > 18 && strncmp(p, "REPORT RequestId: ", 18) == 0))
			cmd_fn_logs_row(f->t, r->ts, r->request_id, p, nl - p);
	}
	return 1;
}

/* One NDJSON line from an agent: {ts, request_id, source, line}. */
static void
cmd_fn_logs_on_line(const char *json, void *arg)
{
	struct cmd_fn_logs_follow *f = arg;
	cJSON		*j = cJSON_Parse(json), *line, *ts, *reqid;
	double		 when;
	const char	*id;
	int		 i = 0;

	if (j == NULL)
		return;
	line = cJSON_GetObjectItem(j, "line");
	ts = cJSON_GetObjectItem(j, "ts");
	reqid = cJSON_GetObjectItem(j, "request_id");
	when = cJSON_IsNumber(ts) ? ts->valuedouble : util_now() * 1000;
	id = cJSON_IsString(reqid) ? reqid->valuestring : "";
	if (cJSON_IsString(line) && when >= f->inst[f->cur].floor_ms) {
		if (f->inst[f->cur].last_ms < when)
			f->inst[f->cur].last_ms = when;
		if (*id != '\0' && (i = cmd_fn_logs_seen(f, id)) == -1) {
			i = f->nseen;
			snprintf(f->seen[i], sizeof f->seen[0], "%s", id);
			f->reported[i] = 0;
			f->seen_inst[i] = f->cur;
			f->nseen = (f->nseen + 1) % LOGS_SEEN;
		}
		if (*id != '\0' && strncmp(line->valuestring, "REPORT ", 7) == 0)
			f->reported[i] = 1;
		cmd_fn_logs_row(f->t, when / 1000, id, line->valuestring,
		    strlen(line->valuestring));
	}
	cJSON_Delete(j);
}

/*
 * The inst[] slot of stream s's instance, made if new.  Its lines from
 * before following began are skipped, and a stream reopened to an
 * instance skips what the last one showed (its backlog again).
 */
static int
cmd_fn_logs_inst(struct cmd_fn_logs_follow *f, struct stream *s,
    double start_ms)
{
	const char	*id = stream_id(s);
	int		 i;

	for (i = 0; i < LOGS_INSTS; i++)
		if (strcmp(f->inst[i].id, id) == 0)
			break;
	if (i == LOGS_INSTS) {
		i = f->ninst;
		f->ninst = (f->ninst + 1) % LOGS_INSTS;
		snprintf(f->inst[i].id, sizeof f->inst[i].id, "%s", id);
		f->inst[i].last_ms = start_ms - 1;
		f->inst[i].s = NULL;
	}
	if (f->inst[i].s != s) {
		f->inst[i].s = s;
		f->inst[i].floor_ms = f->inst[i].last_ms + 1;
	}
	return i;
}

/* Forget the streams stream_sync closed (their instances went). */
static void
cmd_fn_logs_forget(struct cmd_fn_logs_follow *f, struct stream **streams,
    int ns)
{
	int	i, k;

	for (i = 0; i < LOGS_INSTS; i++) {
		for (k = 0; k < ns && streams[k] != f->inst[i].s; k++)
			;
		if (k == ns)
			f->inst[i].s = NULL;
	}
}

/* Follow the agents' streams until the function goes or the output closes. */
static int
cmd_fn_logs_follow(struct cmd_ctx *ctx, struct out_table *t, const char *name,
    long long last)
{
	struct cmd_fn_logs_follow *f = xcalloc(1, sizeof *f);
	struct stream	**streams = NULL;
	struct pollfd	 *pfd = NULL;
	struct logs_rec	 *recs;
	char		 *cause = NULL;
	double		  start_ms = util_now() * 1000, next_check = 0;
	int		  n, i, ns = 0, rc = CMD_OK;

	f->t = t;
	if (last == 0)
		last = logs_start_id(ctx->store, NULL, 0);
	for (;;) {
		stream_sync(ctx->store, name, STREAM_KIND_LOGS, &streams, &ns);
		cmd_fn_logs_forget(f, streams, ns);
		for (i = 0; i < ns;) {
			f->cur = cmd_fn_logs_inst(f, streams[i], start_ms);
			if (stream_read(streams[i], cmd_fn_logs_on_line, f) == -1) {
				f->inst[f->cur].s = NULL;
				stream_close(streams[i]);
				streams[i] = streams[--ns];
			} else
				i++;
		}
		if (util_now() >= next_check) {
			/* Once a second: is it there, and what no stream showed. */
			next_check = util_now() + 1;
			if (!logs_fn_exists(ctx->store, name)) {
				rc = cmd_error(ctx, CMD_ERROR, "function '%s' was "
				    "deleted", name);
				break;
			}
			if (logs_since(ctx->store, name, last, 0, &recs, &n,
			    &cause) != 0) {
				rc = cmd_fail(ctx, CMD_ERROR, cause);
				break;
			}
			for (i = 0; i < n; i++) {
				if (util_now() - recs[i].ts < LOGS_GRACE ||
				    (!cmd_fn_logs_stored(f, &recs[i],
				    util_now() - recs[i].ts > LOGS_SLOW)))
					break;	/* its lines may still be coming */
				last = recs[i].id;
			}
			logs_recs_free(recs, n);
		}
		if (out_stream_flush(t) != 0) {
			rc = cmd_error(ctx, CMD_ERROR, "output closed");
			break;
		}
		pfd = xrealloc(pfd, sizeof *pfd * (ns + 1));
		for (i = 0; i < ns; i++) {
			pfd[i].fd = stream_fd(streams[i]);
			pfd[i].events = POLLIN;
		}
		poll(pfd, ns, 100);
	}
	free(pfd);
	stream_close_all(streams, ns);
	free(f);
	return rc;
}

static int
cmd_fn_logs_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;
	struct logs_rec		*recs;
	struct fn		*fn;
	char			*cause = NULL;
	long long		 tail = -1, last;
	double			 since = 0;
	int			 n, i, rc = CMD_OK, follow = cmd_flag(ctx, "follow");

	cmd_int(ctx, "tail", &tail);
	if (cmd_opt(ctx, "since") != NULL &&
	    cmd_since(cmd_opt(ctx, "since"), util_now(), &since, &cause) != 0)
		return cmd_fail(ctx, CMD_USAGE, cause);
	if ((fn = fn_load(ctx->store, ctx->argv[0], &cause)) == NULL)
		return cmd_fail(ctx, CMD_ERROR, cause);
	if (logs_tail(ctx->store, fn->name, (int)tail, &recs, &n, &last,
	    &cause) != 0) {
		fn_free(fn);
		return cmd_fail(ctx, CMD_ERROR, cause);
	}
	/* One object a line, followed or not, as docker logs and kubectl write. */
	t = out_stream_begin(ctx, cmd_fn_logs_cols, nitems(cmd_fn_logs_cols),
	    OUT_STREAM_LINES);
	for (i = 0; i < n; i++)
		if (recs[i].ts >= since)	/* --since: invocations logged since */
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
	{ "tail", 'n', OPT_INT, "N", "print only the last N lines first", .min = 0, .max = 100000000, .def = "all" },
	{ "since", 0, OPT_STRING, "WHEN", "only invocations logged since WHEN: a duration back (30s, 10m, 2h, 1d) or an RFC 3339 time" },
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
	    "a file, escaped on a terminal.\n-o json prints one {ts, request_id, "
	    "line} object a line, with -f too.",
	.example = "hearth fn logs hello --since 10m -f",
	.flags = CMD_F_STORE | CMD_F_OUTPUT,
	.complete = COMPLETE_FN,
	.exec = cmd_fn_logs_exec,
};
