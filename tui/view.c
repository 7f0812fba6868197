/*
 * view.c — the console's table views and the manager's rows that fill them.
 *
 * A view is a table of the rows the manager lists (list.c: the same rows
 * the `* ls` commands print; for instances, with what each one's driver
 * says).  The console reloads the current view about once a second;
 * sorting and filtering happen in console.c on the rows returned here,
 * so a view only knows how to turn a row into cells — except Events,
 * whose history is too long to hold: it asks the manager for the newest
 * rows matching the filter, as many as the operator has paged through.  Each column has a
 * key, the JSON field name `* ls -o json` gives the same figure under
 * (or the manager's field name, for a figure no command lists), and a
 * view fills a row's cells by key: a key no column has, a cell filled
 * twice or a row left with an empty cell is a bug, and fatal.  What a
 * figure is (an owner label, memory in MiB, seconds idle) the manager
 * works out; a view only formats it.  Every cell is escaped on one line:
 * an event's detail may quote what an instance said.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

/* The rows a view's fill adds, cell by keyed cell. */
struct tui_fill {
	const struct tui_view	*view;	/* whose columns the cells are */
	struct tui_row		*rows;	/* rows added so far */
	int			 n;	/* how many */
};

/* Check that the last row added has every cell. */
static void
view_check_row(struct tui_fill *f)
{
	const struct tui_view	*v = f->view;
	int			 c;

	if (f->n == 0)
		return;
	for (c = 0; c < v->ncols; c++)
		if (f->rows[f->n - 1].cells[c] == NULL)
			fatal("view %s: column %s left empty", v->cmd,
			    v->cols[c].key);
}

/* Start a row standing for key; bad shows it in the error colour. */
static void
view_add(struct tui_fill *f, const char *key, int bad)
{
	struct tui_row	*r;

	view_check_row(f);
	f->rows = xrealloc(f->rows, sizeof *f->rows * (f->n + 1));
	r = &f->rows[f->n];
	memset(r, 0, sizeof *r);
	r->key = xstrdup(key != NULL ? key : "");
	r->id = xstrdup(r->key);
	r->seq = f->n++;
	r->bad = bad;
}

/* Give the row being added its own identity, when its key is shared. */
static void
view_id(struct tui_fill *f, const char *id)
{
	free(f->rows[f->n - 1].id);
	f->rows[f->n - 1].id = xstrdup(id);
}

static void
view_cell(struct tui_fill *f, const char *key, const char *fmt, ...)
	printflike(3, 4);

/* Fill the cell of column key in the row being added. */
static void
view_cell(struct tui_fill *f, const char *key, const char *fmt, ...)
{
	const struct tui_view	*v = f->view;
	struct tui_row		*r;
	va_list			 ap;
	char			*s;
	int			 c;

	for (c = 0; c < v->ncols; c++)
		if (strcmp(v->cols[c].key, key) == 0)
			break;
	if (c == v->ncols)
		fatal("view %s: no column %s", v->cmd, key);
	if (f->n == 0)
		fatal("view %s: column %s filled before a row", v->cmd, key);
	r = &f->rows[f->n - 1];
	if (r->cells[c] != NULL)
		fatal("view %s: column %s filled twice", v->cmd, key);
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	r->cells[c] = esc_term_str(s, ESC_ONELINE);
	free(s);
}

/*
 * Fill a figure's cell as the commands' text shows it, with its unit
 * (util_unit_*: 128MiB, 318.9MiB, 3s, 20ms): one way to write a figure
 * in the console and the CLI.
 */
static void
view_cell_int(struct tui_fill *f, const char *key, long long v,
    const char *unit)
{
	char	*s = util_unit_int(v, unit);

	view_cell(f, key, "%s", s);
	free(s);
}

static void
view_cell_num(struct tui_fill *f, const char *key, double v, const char *unit)
{
	char	*s = util_unit_num(v, unit);

	view_cell(f, key, "%s", s);
	free(s);
}

/* "12s", "5m", "3h", "2d" for secs seconds ago; "-" for NAN (never). */
static void
view_ago(char *out, size_t len, double secs)
{
	double	d = secs;

	if (isnan(d))
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

/*
 * Columns in the order shown; prio says which go first when the screen
 * is narrow (the highest), so a row keeps what names it and its state.
 */
static const struct tui_col view_fn_cols[] = {
	{ "name", "NAME", 0, 0, 0 },
	{ "runtime", "RUNTIME", 0, 1, 0 },
	{ "handler", "HANDLER", 0, 6, 0 },
	{ "memory_mb", "MEMORY", 1, 5, 0 },
	{ "timeout_s", "TIMEOUT", 1, 7, 0 },
	{ "version", "VERSION", 1, 8, 0 },
	{ "instances", "INSTANCES", 1, 2, 0 },
	{ "invocations", "INVOCATIONS", 1, 3, 0 },
	{ "errors", "ERRORS", 1, 3, 0 },
	{ "idle_s", "LAST", 1, 4, 0 },
	{ "driver", "DRIVER", 0, 9, 0 },
};
_Static_assert(nitems(view_fn_cols) <= TUI_MAX_COLS, "too many columns");

static void
view_fn_fill(struct tui *t, struct tui_fill *fl)
{
	struct list_fn	*fns, *f;
	char		 age[16], *cause = NULL;
	int		 nfns, i;

	if (list_fns(t->st, &fns, &nfns, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < nfns; i++) {
		f = &fns[i];
		view_add(fl, f->name, f->last_failed);
		view_cell(fl, "name", "%s", f->name);
		view_cell(fl, "runtime", "%s", f->runtime);
		view_cell(fl, "handler", "%s", f->handler);
		view_cell_int(fl, "memory_mb", f->memory_mb, "MiB");
		view_cell_int(fl, "timeout_s", f->timeout_s, "s");
		view_cell(fl, "version", "%d", f->version);
		view_cell(fl, "instances", "%d", f->instances);
		view_cell(fl, "invocations", "%d", f->invocations);
		view_cell(fl, "errors", "%d", f->errors);
		view_ago(age, sizeof age, f->idle_s);
		view_cell(fl, "idle_s", "%s", age);
		/* What it runs under now, as `fn ls` says (auto resolved). */
		view_cell(fl, "driver", "%s", fn_driver(f->driver));
	}
	list_fns_free(fns, nfns);
}

static const struct tui_col view_vm_cols[] = {
	{ "id", "ID", 0, 0, 0 },
	{ "driver", "DRIVER", 0, 3, 0 },
	{ "owner", "OWNER", 0, 0, 0 },
	{ "runtime", "RUNTIME", 0, 5, 0 },
	{ "state", "STATE", 0, 0, 0 },
	{ "pid", "PID", 1, 6, 0 },
	{ "memory_mb", "LIMIT", 1, 4, 0 },
	{ "memory_used_mb", "USED", 1, 1, 0 },
	{ "idle_s", "IDLE", 1, 2, 0 },
	{ "start", "START", 0, 7, 0 },
};
_Static_assert(nitems(view_vm_cols) <= TUI_MAX_COLS, "too many columns");

static void
view_vm_fill(struct tui *t, struct tui_fill *f)
{
	struct list_inst	*in, *v;
	char			 age[16], *cause = NULL;
	int			 nin, i;

	if (list_insts(t->st, &in, &nin, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < nin; i++) {
		v = &in[i];
		view_add(f, v->id, !v->alive);
		view_cell(f, "id", "%s", v->id);
		view_cell(f, "driver", "%s", v->driver);
		view_cell(f, "owner", "%s", v->owner);
		view_cell(f, "runtime", "%s", v->runtime);
		/* What is there now: a dead process is gone whatever its row says. */
		view_cell(f, "state", "%s", v->alive ? v->state : "gone");
		view_cell(f, "pid", "%d", v->pid);
		view_cell_int(f, "memory_mb", v->memory_mb, "MiB");
		if (v->alive && v->have_stats)
			view_cell_num(f, "memory_used_mb", v->memory_used_mb, "MiB");
		else
			view_cell(f, "memory_used_mb", "-");
		view_ago(age, sizeof age, v->idle_s);
		view_cell(f, "idle_s", "%s", age);
		/*
		 * How it came up: "restore 1100ms tcg", "boot 3900ms kvm",
		 * "spawn 20ms" — START, STARTUP and ACCEL of `vm ls` in one.
		 */
		if (!v->known)
			view_cell(f, "start", "-");
		else if (v->start_ms >= 0) {
			char *ms = util_unit_int(v->start_ms, "ms");

			int accel = *v->accel != '\0' && strcmp(v->accel, "-") != 0;

			view_cell(f, "start", "%s %s%s%s", v->start, ms,
			    accel ? " " : "", accel ? v->accel : "");
			free(ms);
		} else
			view_cell(f, "start", "%s", v->start);
	}
	list_insts_free(in, nin);
}

static const struct tui_col view_img_cols[] = {
	{ "name", "NAME", 0, 0, 0 },
	{ "runtime", "RUNTIME", 0, 1, 0 },
	{ "size_mb", "SIZE", 1, 2, 0 },
	{ "built", "BUILT", 1, 2, 0 },
	{ "path", "PATH", 0, 3, TUI_COL_WIDE },
};
_Static_assert(nitems(view_img_cols) <= TUI_MAX_COLS, "too many columns");

static void
view_img_fill(struct tui *t, struct tui_fill *f)
{
	struct list_image	*img;
	char			 age[16], *cause = NULL;
	int			 nimg, i;

	if (list_images(t->st, &img, &nimg, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < nimg; i++) {
		view_add(f, img[i].name, 0);
		view_cell(f, "name", "%s", img[i].name);
		view_cell(f, "runtime", "%s", img[i].runtime);
		view_cell_num(f, "size_mb", img[i].size_mb, "MiB");
		view_ago(age, sizeof age, img[i].built > 0 ?
		    util_now() - img[i].built : NAN);
		view_cell(f, "built", "%s", age);
		view_cell(f, "path", "%s", img[i].path);
	}
	list_images_free(img, nimg);
}

static const struct tui_col view_ev_cols[] = {
	{ "ts", "TIME", 0, 0, TUI_COL_ORDER },
	{ "kind", "EVENT", 0, 0, 0 },
	{ "subject", "SUBJECT", 0, 0, 0 },
	{ "detail", "DETAIL", 0, 1, TUI_COL_WIDE },
};
_Static_assert(nitems(view_ev_cols) <= TUI_MAX_COLS, "too many columns");

/*
 * The newest t->limit events matching the filter, searched by the
 * manager through all it keeps (list_events_find); t->more says whether
 * older ones are left, for paging down to them.
 */
static void
view_ev_fill(struct tui *t, struct tui_fill *f)
{
	struct list_event	*ev;
	struct tm		 tm, today;
	time_t			 secs, now;
	char			 when[32], *cause = NULL;
	int			 nev, i;

	if (list_events_find(t->st, t->filter, t->limit, &ev, &nev, &t->more,
	    &cause) != 0) {
		free(cause);
		return;
	}
	now = time(NULL);
	localtime_r(&now, &today);
	for (i = 0; i < nev; i++) {
		secs = (time_t)ev[i].ts;
		localtime_r(&secs, &tm);
		/* Paging back reaches other days: those say which. */
		strftime(when, sizeof when, tm.tm_yday == today.tm_yday &&
		    tm.tm_year == today.tm_year ? "%H:%M:%S" : "%m-%d %H:%M", &tm);
		view_add(f, ev[i].subject, strcmp(ev[i].kind, "errored") == 0);
		view_id(f, ev[i].id);
		view_cell(f, "ts", "%s", when);
		view_cell(f, "kind", "%s", ev[i].kind);
		view_cell(f, "subject", "%s", ev[i].subject);
		view_cell(f, "detail", "%s", ev[i].detail);
	}
	list_events_free(ev, nev);
}

static const struct tui_view view_fn = {
	"Functions", "fn", "functions function f", "fn", view_fn_cols,
	nitems(view_fn_cols), 0, view_fn_fill,
};
static const struct tui_view view_vm = {
	"Instances", "vm", "vms instances instance inst", "vm", view_vm_cols,
	nitems(view_vm_cols), 0, view_vm_fill,
};
static const struct tui_view view_img = {
	"Images", "img", "images image", NULL, view_img_cols,
	nitems(view_img_cols), 0, view_img_fill,
};
static const struct tui_view view_ev = {
	"Events", "ev", "events event", "fn", view_ev_cols,
	nitems(view_ev_cols), 1, view_ev_fill,
};

const struct tui_view *tui_views[] = {
	&view_fn, &view_vm, &view_img, &view_ev, NULL
};

/* Read view v's rows into *rows and *n (unsorted); the caller frees them. */
void
tui_view_rows(struct tui *t, const struct tui_view *v, struct tui_row **rows,
    int *n)
{
	struct tui_fill	f = { v, NULL, 0 };

	v->fill(t, &f);
	view_check_row(&f);
	*rows = f.rows;
	*n = f.n;
}

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
		free(rows[i].id);
	}
	free(rows);
}
