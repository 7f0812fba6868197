/*
 * view.c — the console's table views and the queries that fill them.
 *
 * A view is a table of rows read from the store (and, for instances, the
 * VM driver's live figures).  The console reloads the current view about
 * once a second; sorting and filtering happen in console.c on the rows
 * returned here, so a view only knows how to read.  Every cell is
 * escaped on one line: an event's detail may quote what an instance said.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"
#include "vm.h"

static void
view_add(struct tui_row **rows, int *n, const char *key, int bad)
{
	*rows = xrealloc(*rows, sizeof **rows * (*n + 1));
	memset(&(*rows)[*n], 0, sizeof **rows);
	(*rows)[*n].key = xstrdup(key != NULL ? key : "");
	(*rows)[*n].bad = bad;
	(*n)++;
}

static void
view_cell(struct tui_row *row, int col, const char *fmt, ...)
	printflike(3, 4);

static void
view_cell(struct tui_row *row, int col, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	row->cells[col] = esc_term_str(s, ESC_ONELINE);
	free(s);
}

static const char *
view_text(sqlite3_stmt *stmt, int col)
{
	const char	*s = (const char *)sqlite3_column_text(stmt, col);

	return s != NULL ? s : "-";
}

/* "12s", "5m", "3h", "2d" ago. */
static void
view_age(char *out, size_t len, double when)
{
	double	d = util_now() - when;

	if (when <= 0)
		snprintf(out, len, "-");
	else if (d < 60)
		snprintf(out, len, "%.0fs", d < 0 ? 0 : d);
	else if (d < 3600)
		snprintf(out, len, "%.0fm", d / 60);
	else if (d < 86400)
		snprintf(out, len, "%.0fh", d / 3600);
	else
		snprintf(out, len, "%.0fd", d / 86400);
}

static const struct tui_col view_fn_cols[] = {
	{ "NAME", 0 }, { "RUNTIME", 0 }, { "HANDLER", 0 }, { "MEMORY", 1 },
	{ "TIMEOUT", 1 }, { "VERSION", 1 }, { "INSTANCES", 1 },
	{ "INVOCATIONS", 1 }, { "ERRORS", 1 }, { "LAST", 1 },
};

static void
view_fn_fill(struct tui *t, struct tui_row **rows, int *n)
{
	sqlite3_stmt	*stmt;
	char		 age[16];
	struct tui_row	*r;

	stmt = store_stmt(t->st, "SELECT f.name, f.runtime, f.handler, "
	    "f.memory_mb, f.timeout_s, f.version, "
	    "(SELECT count(*) FROM instances i WHERE i.fn = f.name), "
	    "(SELECT count(*) FROM invocations v WHERE v.fn = f.name), "
	    "(SELECT count(*) FROM invocations v WHERE v.fn = f.name AND "
	    "v.status != 'ok'), "
	    "(SELECT max(ts) FROM invocations v WHERE v.fn = f.name), "
	    "(SELECT status FROM invocations v WHERE v.fn = f.name "
	    "ORDER BY id DESC LIMIT 1) FROM functions f");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *last = (const char *)sqlite3_column_text(stmt, 10);

		view_add(rows, n, view_text(stmt, 0), last != NULL &&
		    strcmp(last, "ok") != 0);
		r = &(*rows)[*n - 1];
		view_cell(r, 0, "%s", view_text(stmt, 0));
		view_cell(r, 1, "%s", view_text(stmt, 1));
		view_cell(r, 2, "%s", view_text(stmt, 2));
		view_cell(r, 3, "%d", sqlite3_column_int(stmt, 3));
		view_cell(r, 4, "%d", sqlite3_column_int(stmt, 4));
		view_cell(r, 5, "%d", sqlite3_column_int(stmt, 5));
		view_cell(r, 6, "%d", sqlite3_column_int(stmt, 6));
		view_cell(r, 7, "%d", sqlite3_column_int(stmt, 7));
		view_cell(r, 8, "%d", sqlite3_column_int(stmt, 8));
		view_age(age, sizeof age, sqlite3_column_double(stmt, 9));
		view_cell(r, 9, "%s", age);
	}
	store_done(stmt);
}

static const struct tui_col view_vm_cols[] = {
	{ "ID", 0 }, { "DRIVER", 0 }, { "OWNER", 0 }, { "RUNTIME", 0 },
	{ "STATE", 0 }, { "PID", 1 }, { "LIMIT", 1 }, { "USED", 1 },
	{ "IDLE", 1 }, { "START", 0 },
};

static void
view_vm_fill(struct tui *t, struct tui_row **rows, int *n)
{
	const struct vm_driver	*drv;
	struct vm_stats		 vs;
	sqlite3_stmt		*stmt;
	char			 age[16];
	struct tui_row		*r;
	int			 alive;

	stmt = store_stmt(t->st, "SELECT id, driver, fn, runtime, state, pid, "
	    "memory_mb, last_used FROM instances");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *id = view_text(stmt, 0);

		drv = vm_driver_find(view_text(stmt, 1));
		alive = drv != NULL && drv->alive(id, sqlite3_column_int(stmt, 5));
		view_add(rows, n, id, !alive);
		r = &(*rows)[*n - 1];
		view_cell(r, 0, "%s", id);
		view_cell(r, 1, "%s", view_text(stmt, 1));
		view_cell(r, 2, "%s", sqlite3_column_type(stmt, 2) == SQLITE_NULL ?
		    "(pool)" : view_text(stmt, 2));
		view_cell(r, 3, "%s", view_text(stmt, 3));
		view_cell(r, 4, "%s", alive ? view_text(stmt, 4) : "gone");
		view_cell(r, 5, "%d", sqlite3_column_int(stmt, 5));
		view_cell(r, 6, "%dM", sqlite3_column_int(stmt, 6));
		if (alive && drv->stats(id, &vs) == 0)
			view_cell(r, 7, "%.1fM", vs.mem_bytes / 1048576.0);
		else
			view_cell(r, 7, "-");
		view_age(age, sizeof age, sqlite3_column_double(stmt, 7));
		view_cell(r, 8, "%s", age);
		/* How it came up: "restore 1.1s tcg", "boot 3.9s tcg", "spawn". */
		if (drv != NULL) {
			struct vm_info	 vi;
			char		*dir = xasprintf("%s/run/%s", t->st->home, id);

			drv->info(id, dir, &vi);
			free(dir);
			if (vi.start_ms >= 0)
				view_cell(r, 9, "%s %.1fs %s", vi.start,
				    vi.start_ms / 1000.0, vi.accel);
			else
				view_cell(r, 9, "%s", vi.start);
		} else
			view_cell(r, 9, "-");
	}
	store_done(stmt);
}

static const struct tui_col view_img_cols[] = {
	{ "NAME", 0 }, { "RUNTIME", 0 }, { "SIZE", 1 }, { "BUILT", 1 },
	{ "PATH", 0 },
};

static void
view_img_fill(struct tui *t, struct tui_row **rows, int *n)
{
	sqlite3_stmt	*stmt;
	struct tui_row	*r;
	char		 age[16];

	stmt = store_stmt(t->st, "SELECT name, runtime, size, built, path "
	    "FROM images");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		view_add(rows, n, view_text(stmt, 0), 0);
		r = &(*rows)[*n - 1];
		view_cell(r, 0, "%s", view_text(stmt, 0));
		view_cell(r, 1, "%s", view_text(stmt, 1));
		view_cell(r, 2, "%.1fM", sqlite3_column_int64(stmt, 2) / 1048576.0);
		view_age(age, sizeof age, sqlite3_column_double(stmt, 3));
		view_cell(r, 3, "%s", age);
		view_cell(r, 4, "%s", view_text(stmt, 4));
	}
	store_done(stmt);
}

static const struct tui_col view_ev_cols[] = {
	{ "TIME", 0 }, { "EVENT", 0 }, { "SUBJECT", 0 }, { "DETAIL", 0 },
};

static void
view_ev_fill(struct tui *t, struct tui_row **rows, int *n)
{
	sqlite3_stmt	*stmt;
	struct tui_row	*r;
	struct tm	 tm;
	time_t		 secs;
	char		 when[32];

	/* Invocations are events too; they are read from their own table. */
	stmt = store_stmt(t->st, "SELECT ts, kind, subject, detail FROM ("
	    "SELECT ts, kind, subject, detail FROM events "
	    "UNION ALL SELECT ts, CASE status WHEN 'ok' THEN 'invoked' "
	    "ELSE 'errored' END, fn, printf('%s %.2f ms%s', request_id, "
	    "duration_ms, CASE status WHEN 'ok' THEN '' ELSE ' (' || status || "
	    "')' END) FROM invocations) ORDER BY ts DESC LIMIT 500");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *kind = view_text(stmt, 1);

		secs = (time_t)sqlite3_column_double(stmt, 0);
		localtime_r(&secs, &tm);
		strftime(when, sizeof when, "%H:%M:%S", &tm);
		view_add(rows, n, view_text(stmt, 2), strcmp(kind, "errored") == 0);
		r = &(*rows)[*n - 1];
		view_cell(r, 0, "%s", when);
		view_cell(r, 1, "%s", kind);
		view_cell(r, 2, "%s", view_text(stmt, 2));
		view_cell(r, 3, "%s", view_text(stmt, 3));
	}
	store_done(stmt);
}

static const struct tui_view view_fn = {
	"Functions", "fn", "functions function f", "fn", view_fn_cols, 10,
	view_fn_fill,
};
static const struct tui_view view_vm = {
	"Instances", "vm", "vms instances instance inst", "vm", view_vm_cols, 10,
	view_vm_fill,
};
static const struct tui_view view_img = {
	"Images", "img", "images image", NULL, view_img_cols, 5, view_img_fill,
};
static const struct tui_view view_ev = {
	"Events", "ev", "events event", "fn", view_ev_cols, 4, view_ev_fill,
};

const struct tui_view *tui_views[] = {
	&view_fn, &view_vm, &view_img, &view_ev, NULL
};

/* Find a view by its command word or an alias. */
const struct tui_view *
tui_view_find(const char *word)
{
	const struct tui_view	**v;
	const char		 *a;
	size_t			  n = strlen(word);

	for (v = tui_views; *v != NULL; v++) {
		if (strcmp((*v)->cmd, word) == 0)
			return *v;
		for (a = (*v)->aliases; a != NULL && *a != '\0';) {
			if (strncmp(a, word, n) == 0 && (a[n] == ' ' || a[n] == '\0'))
				return *v;
			a = strchr(a, ' ');
			a = a != NULL ? a + 1 : NULL;
		}
	}
	return NULL;
}

void
tui_rows_free(struct tui_row *rows, int n)
{
	int	i, c;

	for (i = 0; i < n; i++) {
		for (c = 0; c < TUI_MAX_COLS; c++)
			free(rows[i].cells[c]);
		free(rows[i].key);
	}
	free(rows);
}
