/*
 * view.c — the console's table views and the manager's rows that fill them.
 *
 * A view is a table of the rows the manager lists (list.c: the same rows
 * the `* ls` commands print; for instances, with what each one's driver
 * says).  The console reloads the current view about once a second;
 * sorting and filtering happen in console.c on the rows returned here,
 * so a view only knows how to turn a row into cells.  Every cell is
 * escaped on one line: an event's detail may quote what an instance said.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

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
	struct list_fn	*fns, *f;
	struct tui_row	*r;
	char		 age[16], *cause = NULL;
	int		 nfns, i;

	if (list_fns(t->st, &fns, &nfns, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < nfns; i++) {
		f = &fns[i];
		view_add(rows, n, f->name, f->last_failed);
		r = &(*rows)[*n - 1];
		view_cell(r, 0, "%s", f->name);
		view_cell(r, 1, "%s", f->runtime);
		view_cell(r, 2, "%s", f->handler);
		view_cell(r, 3, "%d", f->memory_mb);
		view_cell(r, 4, "%d", f->timeout_s);
		view_cell(r, 5, "%d", f->version);
		view_cell(r, 6, "%d", f->instances);
		view_cell(r, 7, "%d", f->invocations);
		view_cell(r, 8, "%d", f->errors);
		view_age(age, sizeof age, f->last_ts);
		view_cell(r, 9, "%s", age);
	}
	list_fns_free(fns, nfns);
}

static const struct tui_col view_vm_cols[] = {
	{ "ID", 0 }, { "DRIVER", 0 }, { "OWNER", 0 }, { "RUNTIME", 0 },
	{ "STATE", 0 }, { "PID", 1 }, { "LIMIT", 1 }, { "USED", 1 },
	{ "IDLE", 1 }, { "START", 0 },
};

static void
view_vm_fill(struct tui *t, struct tui_row **rows, int *n)
{
	struct list_inst	*in, *v;
	struct tui_row		*r;
	char			 age[16], *cause = NULL;
	int			 nin, i;

	if (list_insts(t->st, &in, &nin, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < nin; i++) {
		v = &in[i];
		view_add(rows, n, v->id, !v->alive);
		r = &(*rows)[*n - 1];
		view_cell(r, 0, "%s", v->id);
		view_cell(r, 1, "%s", v->driver);
		view_cell(r, 2, "%s", v->fn != NULL ? v->fn : "(pool)");
		view_cell(r, 3, "%s", v->runtime);
		view_cell(r, 4, "%s", v->alive ? v->state : "gone");
		view_cell(r, 5, "%d", v->pid);
		view_cell(r, 6, "%dM", v->memory_mb);
		if (v->alive && v->have_stats)
			view_cell(r, 7, "%.1fM", v->mem_bytes / 1048576.0);
		else
			view_cell(r, 7, "-");
		view_age(age, sizeof age, v->last_used);
		view_cell(r, 8, "%s", age);
		/* How it came up: "restore 1.1s tcg", "boot 3.9s tcg", "spawn". */
		if (!v->known)
			view_cell(r, 9, "-");
		else if (v->start_ms >= 0)
			view_cell(r, 9, "%s %.1fs %s", v->start, v->start_ms / 1000.0,
			    v->accel);
		else
			view_cell(r, 9, "%s", v->start);
	}
	list_insts_free(in, nin);
}

static const struct tui_col view_img_cols[] = {
	{ "NAME", 0 }, { "RUNTIME", 0 }, { "SIZE", 1 }, { "BUILT", 1 },
	{ "PATH", 0 },
};

static void
view_img_fill(struct tui *t, struct tui_row **rows, int *n)
{
	struct list_image	*img;
	struct tui_row		*r;
	char			 age[16], *cause = NULL;
	int			 nimg, i;

	if (list_images(t->st, &img, &nimg, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < nimg; i++) {
		view_add(rows, n, img[i].name, 0);
		r = &(*rows)[*n - 1];
		view_cell(r, 0, "%s", img[i].name);
		view_cell(r, 1, "%s", img[i].runtime);
		view_cell(r, 2, "%.1fM", img[i].size / 1048576.0);
		view_age(age, sizeof age, img[i].built);
		view_cell(r, 3, "%s", age);
		view_cell(r, 4, "%s", img[i].path);
	}
	list_images_free(img, nimg);
}

static const struct tui_col view_ev_cols[] = {
	{ "TIME", 0 }, { "EVENT", 0 }, { "SUBJECT", 0 }, { "DETAIL", 0 },
};

#define VIEW_EVENTS	500	/* events the Events view holds */

static void
view_ev_fill(struct tui *t, struct tui_row **rows, int *n)
{
	struct list_event	*ev;
	struct tui_row		*r;
	struct tm		 tm;
	time_t			 secs;
	char			 when[32], *cause = NULL;
	int			 nev, i;

	if (list_events(t->st, VIEW_EVENTS, &ev, &nev, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < nev; i++) {
		secs = (time_t)ev[i].ts;
		localtime_r(&secs, &tm);
		strftime(when, sizeof when, "%H:%M:%S", &tm);
		view_add(rows, n, ev[i].subject, strcmp(ev[i].kind, "errored") == 0);
		r = &(*rows)[*n - 1];
		view_cell(r, 0, "%s", when);
		view_cell(r, 1, "%s", ev[i].kind);
		view_cell(r, 2, "%s", ev[i].subject);
		view_cell(r, 3, "%s", ev[i].detail);
	}
	list_events_free(ev, nev);
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
