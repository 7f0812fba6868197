/*
 * cmd-fn-invoke.c — fn invoke and fn bench: running functions.
 *
 * The payload is checked (one strict JSON text, at most 6 MB, as on Lambda) before
 * anything starts; the manager runs the invocation (invoke_run) and
 * stores its record and logs (logs_store).  A result is handed to out.c
 * as the handler returned it (exact to a pipe or a file, escaped on a
 * terminal, as the output of --log is); a failed invocation still shows
 * the Lambda-shaped error JSON, and the command fails (exit 1) with a
 * one-line summary as its error, which the front end prints.  With -o
 * json the result is read strictly and written again, or becomes a JSON
 * string if it is not JSON.  fn bench forks C workers, each with its own
 * store connection and agent connections (none may cross a fork), and
 * reports latency percentiles and throughput over N invocations.  Logs
 * that could not be stored (a full disk) do not fail an invocation that
 * ran; that they were lost is said once a process, or once a bench run.
 */
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"

/*
 * Read the payload argument: JSON text, @FILE, or - for stdin, refused
 * unless it is exactly one JSON text (esc_json_check, the strict reader
 * -o json writes results through), as Lambda's Invoke refuses what is
 * not: a handler never sees trailing data, 01 or a raw control character.
 */
static int
cmd_fn_payload(struct cmd_ctx *ctx, const char *arg, struct buf *b)
{
	char	*cause = NULL;
	size_t	 at;
	int	 rc;

	if (arg == NULL)
		arg = "{}";
	if (arg[0] == '@' || strcmp(arg, "-") == 0) {
		if (util_read_file(arg[0] == '@' ? arg + 1 : "-", b, FN_PAYLOAD_MAX,
		    &cause) != 0) {
			rc = cmd_error(ctx, CMD_USAGE, "payload %s", cause);
			free(cause);
			buf_free(b);	/* what was read before the error */
			return rc;
		}
	} else {
		if (strlen(arg) > FN_PAYLOAD_MAX)
			return cmd_error(ctx, CMD_USAGE, "payload is larger than 6 MB");
		buf_addstr(b, arg);
	}
	if (b->len == 0)
		buf_addstr(b, "{}");
	if (esc_json_check(b->data, b->len, &at) != 0) {
		/* A shell (ours too) strips unquoted quotes: {"a":1} arrives as {a:1}. */
		rc = cmd_error(ctx, CMD_USAGE, "payload is not valid JSON (near "
		    "byte %zu)%s", at, memchr(b->data, '"', b->len) == NULL &&
		    arg[0] != '@' && strcmp(arg, "-") != 0 ?
		    "; quote JSON payloads: '{\"key\": \"value\"}'" : "");
		buf_free(b);	/* on error, nothing is the caller's to free */
		return rc;
	}
	return 0;
}

static const char *
cmd_fn_status_word(int status)
{
	switch (status) {
	case INVOKE_OK: return "ok";
	case INVOKE_ERROR: return "error";
	case INVOKE_TIMEOUT: return "timeout";
	default: return "crash";
	}
}

/* One line naming what went wrong, from the error JSON. */
static char *
cmd_fn_error_line(const char *name, const struct invoke_result *res)
{
	cJSON	*j = cJSON_Parse(res->body), *type, *msg;
	char	*s;

	type = j != NULL ? cJSON_GetObjectItem(j, "errorType") : NULL;
	msg = j != NULL ? cJSON_GetObjectItem(j, "errorMessage") : NULL;
	s = xasprintf("function '%s' failed: %s%s%s", name,
	    cJSON_IsString(type) ? type->valuestring : cmd_fn_status_word(res->status),
	    cJSON_IsString(msg) ? ": " : "",
	    cJSON_IsString(msg) ? msg->valuestring : "");
	s[strcspn(s, "\n")] = '\0';
	cJSON_Delete(j);
	return s;
}

static const struct out_col cmd_fn_invoke_cols[] = {
	{ "request_id", "Request", OUT_STR },
	{ "status", "Status", OUT_STR },
	{ "duration_ms", "Duration", OUT_NUM, "ms" },
	{ "init_ms", "Init", OUT_NUM, "ms" },
	{ "max_memory_mb", "Max memory", OUT_INT, "MiB" },
	{ "cold", "Cold", OUT_BOOL },
	{ "result", "Result", OUT_JSONRAW },
};

/* An invocation as one JSON object, its result read strictly and written again. */
static void
cmd_fn_invoke_json(struct cmd_ctx *ctx, const struct invoke_result *res)
{
	struct out_table	*t = out_table_new(cmd_fn_invoke_cols,
	    nitems(cmd_fn_invoke_cols));

	out_table_row(t);
	out_cell_str(t, "request_id", res->request_id);
	out_cell_str(t, "status", cmd_fn_status_word(res->status));
	out_cell_num(t, "duration_ms", res->duration_ms);
	out_cell_num(t, "init_ms", res->init_ms);
	out_cell_int(t, "max_memory_mb", res->max_mem_mb);
	out_cell_bool(t, "cold", res->cold);
	out_cell_json_len(t, "result", res->body, res->body_len);
	out_show(ctx, t, 1);
	out_table_free(t);
}

/* Has this process said that an invocation's logs were not stored? */
static int	cmd_fn_invoke_lost;

static int
cmd_fn_invoke_exec(struct cmd_ctx *ctx)
{
	struct invoke_result	 res;
	struct buf		 payload = { 0 };
	struct fn		*fn;
	char			*cause = NULL, *line;
	int			 rc;

	if ((fn = fn_load(ctx->store, ctx->argv[0], &cause)) == NULL)
		return cmd_fail(ctx, CMD_ERROR, cause);
	if ((rc = cmd_fn_payload(ctx, ctx->argc > 1 ? ctx->argv[1] : NULL,
	    &payload)) != 0)
		goto out;
	if (invoke_run(ctx->store, fn, payload.data, payload.len, &res,
	    &cause) != 0) {
		rc = cmd_error(ctx, CMD_ERROR, "invoke %s: %s", fn->name, cause);
		goto out;
	}
	if (logs_store(ctx->store, fn, &res, &cause) != 0) {
		/*
		 * The invocation happened: report it, but say logs were lost,
		 * once a process: a shell or batch on a full disk would say
		 * the same thing after every result otherwise.
		 */
		if (!cmd_fn_invoke_lost) {
			out_note(ctx, "%s: logs not stored: %s (said once; later "
			    "invocations' logs may be lost too)", fn->name, cause);
			cmd_fn_invoke_lost = 1;
		}
		free(cause);
		cause = NULL;
	}
	if (cmd_flag(ctx, "log") && res.logs_len > 0)
		out_log(ctx, res.logs, res.logs_len);
	if (ctx->format == OUT_JSON)
		cmd_fn_invoke_json(ctx, &res);
	else {
		out_output(ctx, res.body, res.body_len, 0);
		out_output(ctx, "\n", 1, 0);
	}
	if (res.status != INVOKE_OK) {
		line = cmd_fn_error_line(fn->name, &res);
		rc = cmd_error(ctx, CMD_ERROR, "%s", line);
		free(line);
	} else
		rc = CMD_OK;
	invoke_result_free(&res);
out:
	free(cause);
	buf_free(&payload);
	fn_free(fn);
	return rc;
}

static const struct cmd_opt cmd_fn_invoke_opts[] = {
	{ "log", 'l', OPT_FLAG, NULL, "also print the invocation's output to standard error" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_fn_invoke_entry = {
	.name = "fn invoke",
	.alias = "invoke",
	.opts = cmd_fn_invoke_opts,
	.min_args = 1, .max_args = 2,
	.usage = "NAME [PAYLOAD | @FILE | -]",
	.help = "invoke a function and print its result",
	.long_help = "PAYLOAD is JSON (default {}); @FILE reads it from a file, "
	    "- from stdin.\nExit status 1 if the handler raised, timed out or "
	    "crashed.",
	.example = "hearth fn invoke hello '{\"name\": \"you\"}' --log",
	.flags = CMD_F_STORE | CMD_F_OUTPUT | CMD_F_MUTATES,
	.complete = COMPLETE_FN,
	.exec = cmd_fn_invoke_exec,
};

static int
cmd_fn_bench_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum bench_mode { BENCH_WARM, BENCH_COLD, BENCH_POOL };

/*
 * What a bench worker sends for each invocation.  Smaller than PIPE_BUF,
 * so the workers' writes to the one pipe never interleave.
 */
struct bench_rec {
	double	us;		/* latency, -1 if it did not run */
	int	kind;		/* 0 warm, 1 failed, 2 cold */
	int	lost;		/* its logs were not stored */
	char	why[200];	/* why its logs were lost, or why it failed */
};

/*
 * Make the next invocation start the way mode asks, outside the timed
 * part: cold destroys the function's instances (and uses no pool); pool
 * destroys them and waits for a pool instance whose runtime is loaded.
 */
static void
cmd_fn_bench_prepare(struct cmd_ctx *ctx, struct store *st, struct fn *fn,
    enum bench_mode mode)
{
	char	*cause = NULL;

	if (mode == BENCH_WARM)
		return;
	inst_destroy_fn(st, fn->name);
	if (mode == BENCH_POOL &&
	    (pool_fill(st, fn->runtime, fn_driver(fn->driver), 1, &cause) != 0 ||
	    pool_wait(st, fn->runtime, fn_driver(fn->driver), 60000,
	    &cause) != 0)) {
		out_note(ctx, "bench: %s", cause);
		free(cause);
	}
}

/*
 * One bench worker: run n invocations, write each latency (µs) to fd.
 * Notes go where ctx's do; ctx's store is closed (see cmd_fn_bench_exec).
 */
static void nonreturn
cmd_fn_bench_worker(struct cmd_ctx *ctx, const char *home, const char *name,
    const char *payload, size_t len, int n, enum bench_mode mode, int fd)
{
	struct invoke_result	 res;
	struct store		*st;
	struct fn		*fn;
	char			*cause = NULL;
	struct bench_rec	 rec;
	uint64_t		 t0;
	int			 i;

	if ((st = store_open(home, &cause)) == NULL ||
	    (fn = fn_load(st, name, &cause)) == NULL)
		_exit(1);
	if (mode != BENCH_WARM) {
		/* Each start claims the one pool instance prepared, or none. */
		pool_set_size(mode == BENCH_POOL ? 1 : 0);
		pool_set_refill(0);
	}
	for (i = 0; i < n; i++) {
		cmd_fn_bench_prepare(ctx, st, fn, mode);
		memset(&rec, 0, sizeof rec);
		t0 = util_mono_us();
		if (invoke_run(st, fn, payload, len, &res, &cause) != 0) {
			snprintf(rec.why, sizeof rec.why, "%s", cause);
			free(cause);
			cause = NULL;
			rec.us = -1;
			rec.kind = 1;
		} else {
			/* Timed: storing the logs is part of an invocation. */
			if (logs_store(st, fn, &res, &cause) != 0) {
				rec.lost = 1;
				snprintf(rec.why, sizeof rec.why, "%s", cause);
			}
			free(cause);
			cause = NULL;
			rec.us = (double)(util_mono_us() - t0);
			rec.kind = res.status != INVOKE_OK ? 1 : res.cold ? 2 : 0;
			if (rec.kind == 1 && !rec.lost)
				snprintf(rec.why, sizeof rec.why, "%.*s",
				    (int)res.body_len, res.body);
			invoke_result_free(&res);
		}
		if (write(fd, &rec, sizeof rec) != sizeof rec)
			_exit(1);
	}
	if (mode != BENCH_WARM)
		inst_destroy_fn(st, NULL);
	conn_close_all();
	fn_free(fn);
	store_close(st);
	_exit(0);
}

static double
cmd_fn_pct(const double *v, int n, double p)
{
	int	i = (int)ceil(p / 100.0 * n) - 1;

	return n == 0 ? 0 : v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static const struct out_col cmd_fn_bench_cols[] = {
	{ "function", "Function", OUT_STR },
	{ "requests", "Requests", OUT_INT },
	{ "concurrency", "Concurrency", OUT_INT },
	{ "ok", "OK", OUT_INT },
	{ "errors", "Errors", OUT_INT },
	{ "cold", "Cold", OUT_INT },
	{ "p50_us", "p50", OUT_INT, "µs" },
	{ "p95_us", "p95", OUT_INT, "µs" },
	{ "p99_us", "p99", OUT_INT, "µs" },
	{ "max_us", "Max", OUT_INT, "µs" },
	{ "rps", "Requests/s", OUT_JSONRAW },
};

static int
cmd_fn_bench_exec(struct cmd_ctx *ctx)
{
	struct buf	 payload = { 0 };
	struct fn	*fn;
	char		*cause = NULL;
	struct bench_rec rec;
	double		*lat, p50, p95, p99, max, rps;
	long long	 n = 200, c = 1;
	uint64_t	 t0, wall;
	int		 fds[2], i, rc, got = 0, errors = 0, cold = 0, lost = 0;
	char		 why[sizeof rec.why] = "", first[sizeof rec.why] = "";
	enum bench_mode	 mode;
	pid_t		*pids;

	cmd_int(ctx, "requests", &n);
	cmd_int(ctx, "concurrency", &c);
	if (c > n)
		c = n;
	if (cmd_flag(ctx, "cold") && cmd_flag(ctx, "pool"))
		return cmd_error(ctx, CMD_USAGE, "give --cold or --pool, not both");
	mode = cmd_flag(ctx, "cold") ? BENCH_COLD : cmd_flag(ctx, "pool") ?
	    BENCH_POOL : BENCH_WARM;
	if (mode != BENCH_WARM)
		c = 1;	/* each start is measured alone */
	if ((fn = fn_load(ctx->store, ctx->argv[0], &cause)) == NULL)
		return cmd_fail(ctx, CMD_ERROR, cause);
	if ((rc = cmd_fn_payload(ctx, ctx->argc > 1 ? ctx->argv[1] : NULL,
	    &payload)) != 0) {
		fn_free(fn);
		return rc;
	}
	if (pipe(fds) == -1) {
		fn_free(fn);
		buf_free(&payload);
		return cmd_error(ctx, CMD_ERROR, "pipe: %s", strerror(errno));
	}
	/*
	 * No SQLite connection may be open across fork: close ours (the front
	 * end reopens it for its next command); each worker opens its own.
	 */
	store_close(ctx->run->store);
	ctx->run->store = ctx->store = NULL;
	conn_close_all();
	out_flush(ctx);
	pids = xcalloc(c, sizeof *pids);
	lat = xcalloc(n, sizeof *lat);
	t0 = util_mono_us();
	for (i = 0; i < c; i++) {
		int share = (int)(n / c + (i < n % c ? 1 : 0));

		if ((pids[i] = fork()) == 0) {
			close(fds[0]);
			cmd_fn_bench_worker(ctx, store_home_default(), fn->name,
			    payload.data, payload.len, share, mode, fds[1]);
		}
	}
	close(fds[1]);
	while (read(fds[0], &rec, sizeof rec) == sizeof rec) {
		if (rec.lost && lost++ == 0)
			memcpy(why, rec.why, sizeof why);
		if (rec.kind == 1 && errors++ == 0)
			memcpy(first, rec.why, sizeof first);
		else {
			if (rec.kind == 2)
				cold++;
			lat[got++] = rec.us;
		}
	}
	wall = util_mono_us() - t0;
	close(fds[0]);
	for (i = 0; i < c; i++)
		waitpid(pids[i], NULL, 0);
	/* Said once for the run, not once a worker or an invocation. */
	if (lost > 0)
		out_note(ctx, "%s: logs of %d of %lld invocations not stored: %s",
		    fn->name, lost, n, why);
	qsort(lat, got, sizeof *lat, cmd_fn_bench_cmp);
	p50 = cmd_fn_pct(lat, got, 50);
	p95 = cmd_fn_pct(lat, got, 95);
	p99 = cmd_fn_pct(lat, got, 99);
	max = got ? lat[got - 1] : 0;
	rps = (got + errors) / (wall / 1e6);
	if (ctx->format == OUT_JSON) {
		struct out_table	*t = out_table_new(cmd_fn_bench_cols,
		    nitems(cmd_fn_bench_cols));
		char			*s = xasprintf("%.1f", rps);

		out_table_row(t);
		out_cell_str(t, "function", fn->name);
		out_cell_int(t, "requests", n);
		out_cell_int(t, "concurrency", c);
		out_cell_int(t, "ok", got);
		out_cell_int(t, "errors", errors);
		out_cell_int(t, "cold", cold);
		/* Latencies are whole microseconds. */
		out_cell_int(t, "p50_us", (long long)p50);
		out_cell_int(t, "p95_us", (long long)p95);
		out_cell_int(t, "p99_us", (long long)p99);
		out_cell_int(t, "max_us", (long long)max);
		out_cell_json(t, "rps", s);	/* one decimal, as in text */
		out_show(ctx, t, 1);
		out_table_free(t);
		free(s);
	} else {
		out_line(ctx, "%s: %lld requests, concurrency %lld: %d ok, "
		    "%d errors, %d cold", fn->name, n, c, got, errors, cold);
		out_line(ctx, "latency  p50 %.0f µs  p95 %.0f µs  p99 %.0f µs  "
		    "max %.0f µs", p50, p95, p99, max);
		out_line(ctx, "throughput %.1f req/s over %.2f s", rps, wall / 1e6);
	}
	free(lat);
	free(pids);
	buf_free(&payload);
	fn_free(fn);
	if (errors > 0)
		return cmd_error(ctx, CMD_ERROR, "%d of %lld invocations failed; "
		    "the first: %s", errors, n, first);
	return CMD_OK;
}

static const struct cmd_opt cmd_fn_bench_opts[] = {
	{ "requests", 'n', OPT_INT, "N", "invocations in all", .min = 1, .max = 10000000, .def = "200" },
	{ "concurrency", 'c', OPT_INT, "C", "invocations in flight", .min = 1, .max = 64, .def = "1" },
	{ "cold", 0, OPT_FLAG, NULL, "time cold starts: a new sandbox for each invocation" },
	{ "pool", 0, OPT_FLAG, NULL, "time starts from a pre-started pool sandbox" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_fn_bench_entry = {
	.name = "fn bench",
	.opts = cmd_fn_bench_opts,
	.min_args = 1, .max_args = 2,
	.usage = "NAME [PAYLOAD]",
	.help = "invoke a function N times, C at once; print latency and throughput",
	.long_help = "Latency is measured around each invocation in the "
	    "caller, as an operator's client\nwould see it, store writes "
	    "included.  --cold and --pool prepare each start outside\nthe "
	    "timed part and run one at a time.",
	.example = "hearth fn bench hello -n 1000 -c 4",
	.flags = CMD_F_STORE | CMD_F_OUTPUT | CMD_F_MUTATES,
	.complete = COMPLETE_FN,
	.exec = cmd_fn_bench_exec,
};
