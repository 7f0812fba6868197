/*
 * list.c — the manager's read side: the rows every listing shows.
 *
 * A listing is an array of plain rows read from the store in one query,
 * with what only a VM driver knows (liveness, memory, how a machine came
 * up) asked of each instance's own driver.  The `* ls` and `show`
 * commands and the console's views read the same rows here, so a figure
 * means the same wherever it is shown: what a front end would otherwise
 * work out from a row (an instance's owner label, its memory in MiB, how
 * long a function or an instance has been idle) is a field worked out
 * once here.  How a row is drawn (a table cell, an age, a sparkline) is
 * the front end's business.  Every array comes
 * with its free function; strings in rows are never NULL unless the field
 * says so.  A read the store fails returns -1 with a cause and no rows.
 * Nothing here writes to the store.
 *
 * Counts are what happened, not what is kept: a function's invocations
 * and errors are the counters on its row (store.c's triggers), which log
 * retention does not lower.  And an instance is what its driver sees now:
 * a row whose process is gone is listed as "gone" and counted nowhere,
 * whatever state the row still claims (a gc that could not remove it,
 * a kill since), as the console has always drawn it.
 */
#include <cjson/cJSON.h>

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "vm.h"

#define LIST_LAT_MAX	200	/* invocations the latency percentiles cover */

static void	list_events_free_row(struct list_event *r);

/* A column's text, never NULL. */
static char *
list_text(sqlite3_stmt *stmt, int col)
{
	const char	*s = (const char *)sqlite3_column_text(stmt, col);

	return xstrdup(s != NULL ? s : "");
}

/* rows of n entries of size bytes, grown by one zeroed entry. */
static void *
list_grow(void *rows, int n, size_t size)
{
	rows = xrealloc(rows, size * (n + 1));
	memset((char *)rows + size * n, 0, size);
	return rows;
}

/* How a read ended: 0 if it ran to the end, else -1 with *cause. */
static int
list_end(struct store *st, int rc, char **cause)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	*cause = xasprintf("store: %s", store_errmsg(st));
	return -1;
}

/*
 * Whether an instance row (driver, id, pid, state) is dead: its driver
 * is not in this build or sees no process.  A row still starting that
 * has no process yet is not dead; inst.c's start grace decides that.
 */
static int
list_inst_dead(const struct vm_driver *drv, const char *id, int pid,
    const char *state)
{
	if (pid == 0 && strcmp(state, "starting") == 0)
		return 0;
	return drv == NULL || !drv->alive(id, pid);
}

/*
 * The live instances of function fn (every function's, when fn is NULL,
 * added into rows by name).
 */
static int
list_fn_live(struct store *st, const char *fn, struct list_fn *rows, int n)
{
	sqlite3_stmt	*stmt;
	const char	*owner, *id, *state;
	int		 live = 0, i;

	stmt = store_prepare(st, "SELECT fn, id, driver, pid, state FROM "
	    "instances WHERE fn IS NOT NULL AND (?1 IS NULL OR fn = ?1)");
	if (fn != NULL)
		sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		owner = (const char *)sqlite3_column_text(stmt, 0);
		id = (const char *)sqlite3_column_text(stmt, 1);
		state = (const char *)sqlite3_column_text(stmt, 4);
		if (list_inst_dead(vm_driver_find((const char *)
		    sqlite3_column_text(stmt, 2)), id != NULL ? id : "",
		    sqlite3_column_int(stmt, 3), state != NULL ? state : ""))
			continue;
		live++;
		for (i = 0; i < n; i++)
			if (strcmp(rows[i].name, owner) == 0)
				rows[i].instances++;
	}
	sqlite3_finalize(stmt);
	return live;
}

/* Every function with its counters, by name. */
int
list_fns(struct store *st, struct list_fn **rows, int *n, char **cause)
{
	sqlite3_stmt	*stmt;
	struct list_fn	*r;
	const char	*last;
	double		 now = util_now();
	int		 rc;

	*rows = NULL;
	*n = 0;
	stmt = store_stmt(st, "SELECT f.name, f.runtime, f.handler, "
	    "f.memory_mb, f.timeout_s, f.version, 0, f.invoked, f.errors, "
	    "(SELECT max(ts) FROM invocations v WHERE v.fn = f.name), "
	    "(SELECT status FROM invocations v WHERE v.fn = f.name "
	    "ORDER BY id DESC LIMIT 1), f.driver FROM functions f ORDER BY f.name");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*rows = list_grow(*rows, *n, sizeof **rows);
		r = &(*rows)[(*n)++];
		r->name = list_text(stmt, 0);
		r->runtime = list_text(stmt, 1);
		r->handler = list_text(stmt, 2);
		r->memory_mb = sqlite3_column_int(stmt, 3);
		r->timeout_s = sqlite3_column_int(stmt, 4);
		r->version = sqlite3_column_int(stmt, 5);
		r->invocations = sqlite3_column_int(stmt, 7);
		r->errors = sqlite3_column_int(stmt, 8);
		r->last_ts = sqlite3_column_double(stmt, 9);
		last = (const char *)sqlite3_column_text(stmt, 10);
		r->last_failed = last != NULL && strcmp(last, "ok") != 0;
		r->driver = list_text(stmt, 11);
		r->idle_s = r->last_ts > 0 ? now - r->last_ts : NAN;
	}
	rc = list_end(st, rc, cause);
	store_done(stmt);
	if (rc == 0)
		list_fn_live(st, NULL, *rows, *n);
	if (rc != 0) {
		list_fns_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

void
list_fns_free(struct list_fn *rows, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].runtime);
		free(rows[i].handler);
		free(rows[i].driver);
	}
	free(rows);
}

/* Function name with its code directory and counters; -1 with *cause. */
int
list_fn_show(struct store *st, const char *name, struct list_fn_show *out,
    char **cause)
{
	sqlite3_stmt	*stmt;

	memset(out, 0, sizeof *out);
	if ((out->fn = fn_load(st, name, cause)) == NULL)
		return -1;
	stmt = store_prepare(st, "SELECT invoked, errors FROM functions "
	    "WHERE name = ?");
	sqlite3_bind_text(stmt, 1, out->fn->name, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		out->invocations = sqlite3_column_int(stmt, 0);
		out->errors = sqlite3_column_int(stmt, 1);
	}
	sqlite3_finalize(stmt);
	out->instances = list_fn_live(st, out->fn->name, NULL, 0);
	out->code_dir = fn_code_dir(st, out->fn->name, out->fn->code_version);
	return 0;
}

void
list_fn_show_free(struct list_fn_show *s)
{
	fn_free(s->fn);
	free(s->code_dir);
	memset(s, 0, sizeof *s);
}

/* The newest max invocations of function fn, newest first. */
int
list_invocations(struct store *st, const char *fn, int max,
    struct list_invocation **rows, int *n, char **cause)
{
	sqlite3_stmt		*stmt;
	struct list_invocation	*r;
	int		 rc;

	*rows = NULL;
	*n = 0;
	stmt = store_prepare(st, "SELECT ts, status, duration_ms, max_mem_mb, "
	    "init_ms, request_id FROM invocations WHERE fn = ? ORDER BY id DESC "
	    "LIMIT ?");
	sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*rows = list_grow(*rows, *n, sizeof **rows);
		r = &(*rows)[(*n)++];
		r->ts = sqlite3_column_double(stmt, 0);
		r->status = list_text(stmt, 1);
		r->duration_ms = sqlite3_column_double(stmt, 2);
		r->max_mem_mb = sqlite3_column_int(stmt, 3);
		r->init_ms = sqlite3_column_double(stmt, 4);
		r->request_id = list_text(stmt, 5);
	}
	rc = list_end(st, rc, cause);
	sqlite3_finalize(stmt);
	if (rc != 0) {
		list_invocations_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

void
list_invocations_free(struct list_invocation *rows, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(rows[i].status);
		free(rows[i].request_id);
	}
	free(rows);
}

#define LIST_INST_COLS "id, driver, fn, runtime, state, pid, memory_mb, " \
	"fn_version, sock, created, last_used"

/* Fill r from a row of LIST_INST_COLS, asking the instance's own driver. */
static void
list_inst_row(struct store *st, sqlite3_stmt *stmt, struct list_inst *r)
{
	const struct vm_driver	*drv;
	struct vm_stats		 vs;
	struct vm_info		 vi;

	r->id = list_text(stmt, 0);
	r->driver = list_text(stmt, 1);
	r->fn = sqlite3_column_type(stmt, 2) == SQLITE_NULL ? NULL :
	    list_text(stmt, 2);
	r->runtime = list_text(stmt, 3);
	r->state = list_text(stmt, 4);
	r->pid = sqlite3_column_int(stmt, 5);
	r->memory_mb = sqlite3_column_int(stmt, 6);
	r->fn_version = sqlite3_column_int(stmt, 7);
	r->sock = list_text(stmt, 8);
	r->created = sqlite3_column_double(stmt, 9);
	r->last_used = sqlite3_column_double(stmt, 10);
	r->run_dir = machine_run_dir(st, r->id);

	memset(&vi, 0, sizeof vi);
	vi.start_ms = -1;
	drv = vm_driver_find(r->driver);
	r->known = drv != NULL;
	if (list_inst_dead(drv, r->id, r->pid, r->state)) {
		free(r->state);
		r->state = xstrdup("gone");
	}
	if (drv != NULL) {
		r->alive = drv->alive(r->id, r->pid);
		drv->info(r->id, r->run_dir, &vi);
		if (drv->stats(r->id, &vs) == 0) {
			r->have_stats = 1;
			r->mem_bytes = vs.mem_bytes;
			r->cpu_ns = vs.cpu_ns;
		}
	}
	r->accel = xstrdup(vi.accel);
	r->start = xstrdup(vi.start);
	r->start_ms = vi.start_ms;
	r->vmm_pid = vi.vmm_pid;
	r->console = xstrdup(vi.console);
	r->note = xstrdup(vi.note);
	r->exit = xstrdup(vi.exit);

	r->owner = xstrdup(r->fn != NULL ? r->fn : "(pool)");
	r->memory_used_mb = r->have_stats ? r->mem_bytes / 1048576.0 : NAN;
	r->idle_s = util_now() - r->last_used;	/* last_used is always set */
}

/* Every instance, a function's first (by function, then age), pooled last. */
int
list_insts(struct store *st, struct list_inst **rows, int *n, char **cause)
{
	sqlite3_stmt	*stmt;
	struct list_inst *r;
	int		 rc;

	*rows = NULL;
	*n = 0;
	stmt = store_stmt(st, "SELECT " LIST_INST_COLS " FROM instances "
	    "ORDER BY fn NULLS LAST, created");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*rows = list_grow(*rows, *n, sizeof **rows);
		r = &(*rows)[(*n)++];
		list_inst_row(st, stmt, r);
	}
	rc = list_end(st, rc, cause);
	store_done(stmt);
	if (rc != 0) {
		list_insts_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

/* The instance id; -1 with *cause when there is none. */
int
list_inst_get(struct store *st, const char *id, struct list_inst *out,
    char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc = -1;

	memset(out, 0, sizeof *out);
	stmt = store_prepare(st, "SELECT " LIST_INST_COLS " FROM instances "
	    "WHERE id = ?");
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		list_inst_row(st, stmt, out);
		rc = 0;
	} else
		*cause = xasprintf("no instance '%s' (see 'hearth vm ls')", id);
	sqlite3_finalize(stmt);
	return rc;
}

static void
list_inst_clear(struct list_inst *r)
{
	free(r->id);
	free(r->driver);
	free(r->fn);
	free(r->runtime);
	free(r->state);
	free(r->sock);
	free(r->run_dir);
	free(r->accel);
	free(r->start);
	free(r->console);
	free(r->note);
	free(r->exit);
	free(r->owner);
}

void
list_inst_free(struct list_inst *r)
{
	list_inst_clear(r);
	memset(r, 0, sizeof *r);
}

void
list_insts_free(struct list_inst *rows, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		list_inst_clear(&rows[i]);
	free(rows);
}

/* The function instance id runs, or NULL (no such instance, or pooled). */
char *
list_inst_fn(struct store *st, const char *id)
{
	sqlite3_stmt	*stmt;
	char		*fn = NULL;

	stmt = store_prepare(st, "SELECT fn FROM instances WHERE id = ?");
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_type(stmt, 0) != SQLITE_NULL)
		fn = list_text(stmt, 0);
	sqlite3_finalize(stmt);
	return fn;
}

/* Memory instance id uses, asked of its own driver; -1 if unknown. */
int
list_inst_mem(struct store *st, const char *id, uint64_t *mem_bytes)
{
	const struct vm_driver	*drv = NULL;
	struct vm_stats		 vs;
	sqlite3_stmt		*stmt;

	stmt = store_stmt(st, "SELECT driver FROM instances WHERE id = ?");
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		drv = vm_driver_find((const char *)sqlite3_column_text(stmt, 0));
	store_done(stmt);
	if (drv == NULL || drv->stats(id, &vs) != 0)
		return -1;
	*mem_bytes = vs.mem_bytes;
	return 0;
}

/* The agent sockets of function fn's instances (ready or starting). */
int
list_fn_socks(struct store *st, const char *fn, struct list_sock **rows,
    int *n)
{
	sqlite3_stmt	*stmt;
	struct list_sock *r;

	*rows = NULL;
	*n = 0;
	/*
	 * Starting ones too, once they have a socket: a new instance is
	 * 'starting' through its first invocation, whose lines a follower
	 * wants as they come (the agent's backlog covers the moments before
	 * its stream opened).
	 */
	stmt = store_stmt(st, "SELECT id, sock FROM instances WHERE fn = ? "
	    "AND state IN ('ready', 'starting') AND sock != ''");
	sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		*rows = list_grow(*rows, *n, sizeof **rows);
		r = &(*rows)[(*n)++];
		r->id = list_text(stmt, 0);
		r->sock = list_text(stmt, 1);
	}
	store_done(stmt);
	return 0;
}

void
list_socks_free(struct list_sock *rows, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(rows[i].id);
		free(rows[i].sock);
	}
	free(rows);
}

/* The images registered in the store, by name. */
int
list_images(struct store *st, struct list_image **rows, int *n, char **cause)
{
	sqlite3_stmt		*stmt;
	struct list_image	*r;
	int		 rc;

	*rows = NULL;
	*n = 0;
	stmt = store_stmt(st, "SELECT name, runtime, size, built, path "
	    "FROM images ORDER BY name");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*rows = list_grow(*rows, *n, sizeof **rows);
		r = &(*rows)[(*n)++];
		r->name = list_text(stmt, 0);
		r->runtime = list_text(stmt, 1);
		r->size = sqlite3_column_int64(stmt, 2);
		r->size_mb = r->size / 1048576.0;
		r->built = sqlite3_column_double(stmt, 3);
		r->path = list_text(stmt, 4);
	}
	rc = list_end(st, rc, cause);
	store_done(stmt);
	if (rc != 0) {
		list_images_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

void
list_images_free(struct list_image *rows, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].runtime);
		free(rows[i].path);
	}
	free(rows);
}

/*
 * The newest max events, newest first.  Invocations are events too
 * ("invoked", or "errored" with its status), read from their own table.
 */
int
list_events(struct store *st, int max, struct list_event **rows, int *n,
    char **cause)
{
	return list_events_find(st, NULL, max, rows, n, NULL, cause);
}

/*
 * Whether event r matches: its kind, subject or detail holds match,
 * case-insensitively — as an extended regular expression when it is one
 * (re compiled), else as text — the rule the console's '/' filter has.
 */
static int
list_events_match(const struct list_event *r, const char *match, regex_t *re)
{
	const char	*f[3] = { r->kind, r->subject, r->detail };
	int		 i;

	for (i = 0; i < 3; i++)
		if (re != NULL ? regexec(re, f[i], 0, NULL, 0) == 0 :
		    strcasestr(f[i], match) != NULL)
			return 1;
	return 0;
}

/*
 * The newest max events matching match (all when it is NULL or empty;
 * see list_events_match), newest first, searched through the whole
 * history the store keeps — events, and invocations as list_events
 * shows them — not through the newest rows only, so a bench run of one
 * function hides nothing of the others.  max < 0 means every one.
 * *more (if not NULL) says whether older matching events are left.
 */
int
list_events_find(struct store *st, const char *match, int max,
    struct list_event **rows, int *n, int *more, char **cause)
{
	sqlite3_stmt		*stmt;
	struct list_event	 r;
	regex_t			 re;
	int			 rc, have_re = 0;

	*rows = NULL;
	*n = 0;
	if (more != NULL)
		*more = 0;
	if (match != NULL && *match == '\0')
		match = NULL;
	if (match != NULL && regcomp(&re, match, REG_EXTENDED | REG_ICASE |
	    REG_NOSUB) == 0)
		have_re = 1;
	stmt = store_prepare(st, "SELECT id, ts, kind, subject, detail FROM ("
	    "SELECT 'e' || id AS id, ts, kind, subject, detail FROM events "
	    "UNION ALL SELECT 'i' || id, ts, CASE status WHEN 'ok' THEN "
	    "'invoked' ELSE 'errored' END, fn, printf('%s %.2fms%s', "
	    "request_id, duration_ms, CASE status WHEN 'ok' THEN '' ELSE "
	    "' (' || status || ')' END) FROM invocations) ORDER BY ts DESC, "
	    "id DESC LIMIT ?");
	/* Unfiltered, the store stops at one past max; filtered, we do. */
	sqlite3_bind_int(stmt, 1, match == NULL && max >= 0 ? max + 1 : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r.id = list_text(stmt, 0);
		r.ts = sqlite3_column_double(stmt, 1);
		r.kind = list_text(stmt, 2);
		r.subject = list_text(stmt, 3);
		r.detail = list_text(stmt, 4);
		if (match != NULL && !list_events_match(&r, match,
		    have_re ? &re : NULL)) {
			list_events_free_row(&r);
			continue;
		}
		if (max >= 0 && *n == max) {
			if (more != NULL)
				*more = 1;
			list_events_free_row(&r);
			break;
		}
		*rows = list_grow(*rows, *n, sizeof **rows);
		(*rows)[(*n)++] = r;
	}
	rc = list_end(st, rc, cause);
	sqlite3_finalize(stmt);
	if (have_re)
		regfree(&re);
	if (rc != 0) {
		list_events_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

/* Free the strings of one event row. */
static void
list_events_free_row(struct list_event *r)
{
	free(r->id);
	free(r->kind);
	free(r->subject);
	free(r->detail);
}

void
list_events_free(struct list_event *rows, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		list_events_free_row(&rows[i]);
	free(rows);
}

/* Counts for a summary line: functions, instances, the invocation rate. */
int
list_summary(struct store *st, struct list_summary *out, char **cause)
{
	sqlite3_stmt	*stmt;

	memset(out, 0, sizeof *out);
	stmt = store_stmt(st, "SELECT (SELECT count(*) FROM functions), "
	    "(SELECT count(*) FROM invocations WHERE ts > ?)");
	sqlite3_bind_double(stmt, 1, util_now() - LIST_RATE_S);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		out->functions = sqlite3_column_int(stmt, 0);
		out->rate = sqlite3_column_int(stmt, 1) / (double)LIST_RATE_S;
	}
	store_done(stmt);
	/* Live ones only, as every listing counts them. */
	stmt = store_stmt(st, "SELECT driver, id, pid, state FROM instances "
	    "WHERE state != 'gone'");
	while (sqlite3_step(stmt) == SQLITE_ROW)
		if (!list_inst_dead(vm_driver_find((const char *)
		    sqlite3_column_text(stmt, 0)), (const char *)
		    sqlite3_column_text(stmt, 1), sqlite3_column_int(stmt, 2),
		    (const char *)sqlite3_column_text(stmt, 3)))
			out->instances++;
	store_done(stmt);
	return 0;
}

static int
list_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Function fn's invocation count, recent rate and latency percentiles. */
int
list_fn_stats(struct store *st, const char *fn, struct list_fn_stats *out,
    char **cause)
{
	sqlite3_stmt	*stmt;
	double		 lat[LIST_LAT_MAX];
	int		 n = 0;

	memset(out, 0, sizeof *out);
	stmt = store_stmt(st, "SELECT coalesce((SELECT invoked FROM functions "
	    "WHERE name = ?1), 0), (SELECT count(*) FROM invocations "
	    "WHERE fn = ?1 AND ts > ?2)");
	sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 2, util_now() - LIST_RATE_S);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		out->invocations = sqlite3_column_int64(stmt, 0);
		out->rate = sqlite3_column_int(stmt, 1) / (double)LIST_RATE_S;
	}
	store_done(stmt);
	stmt = store_stmt(st, "SELECT duration_ms FROM invocations WHERE fn = ? "
	    "ORDER BY id DESC LIMIT ?");
	sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, LIST_LAT_MAX);
	while (n < LIST_LAT_MAX && sqlite3_step(stmt) == SQLITE_ROW)
		lat[n++] = sqlite3_column_double(stmt, 0);
	store_done(stmt);
	qsort(lat, n, sizeof lat[0], list_cmp_double);
	out->p50 = n > 0 ? lat[n / 2] : 0;
	out->p99 = n > 0 ? lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0;
	return 0;
}

/*
 * Return the names of every function (LIST_FN_NAMES) or the ids of every
 * instance (LIST_INST_IDS), sorted and NULL-terminated, for completion;
 * the caller frees each and the array.
 */
char **
list_names(struct store *st, enum list_names kind)
{
	sqlite3_stmt	*stmt;
	char		**v = xcalloc(1, sizeof *v);
	int		  n = 0;

	stmt = store_prepare(st, kind == LIST_FN_NAMES ?
	    "SELECT name FROM functions ORDER BY name" :
	    "SELECT id FROM instances ORDER BY id");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		v = xrealloc(v, sizeof *v * (n + 2));
		v[n++] = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		v[n] = NULL;
	}
	sqlite3_finalize(stmt);
	return v;
}

/*
 * Whether an environment variable named key looks like it holds a
 * secret: its name holds SECRET, TOKEN, PASSWORD, PASSWD, KEY,
 * CREDENTIAL or AUTH, in any case.  The one rule by which `fn show` and
 * the console's details mask a value.
 */
int
list_env_secret(const char *key)
{
	static const char *words[] = { "SECRET", "TOKEN", "PASSWORD", "PASSWD",
	    "KEY", "CREDENTIAL", "AUTH", NULL };
	char	up[128];
	int	i;

	for (i = 0; key[i] != '\0' && i < (int)sizeof up - 1; i++)
		up[i] = (char)toupper((unsigned char)key[i]);
	up[i] = '\0';
	for (i = 0; words[i] != NULL; i++)
		if (strstr(up, words[i]) != NULL)
			return 1;
	return 0;
}

/*
 * A function's environment (its JSON object, env) as it is shown: each
 * secret-looking value (list_env_secret) replaced by "********".  Text
 * that is not an object is returned as it is.  The caller frees it.
 */
char *
list_env_masked(const char *env)
{
	cJSON	*j, *it, *next;
	char	*s, *copy;

	if ((j = cJSON_Parse(env)) == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return xstrdup(env);
	}
	for (it = j->child; it != NULL; it = next) {
		next = it->next;	/* it is freed when replaced */
		if (it->string != NULL && list_env_secret(it->string))
			cJSON_ReplaceItemInObjectCaseSensitive(j, it->string,
			    cJSON_CreateString("********"));
	}
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (s == NULL)
		return xstrdup(env);
	copy = xstrdup(s);	/* ours to free with free(), not cJSON's */
	cJSON_free(s);
	return copy;
}
