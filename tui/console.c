/*
 * console.c — the full-screen console: one event loop, one draw pass.
 *
 * The loop waits in poll() on the terminal and on the pipes of running
 * jobs, with a timeout that brings the next refresh: the table is reread
 * from the store once a second and an open pane ticks five times a
 * second.  Nothing draws directly: handlers set `dirty`, and one pass
 * redraws the whole screen into curses' off-screen model, which sends the
 * terminal only what changed — one update per batch of keys or ticks, not
 * per key or per log line.
 *
 * The screen is a header (the view's name first, then the figures that
 * fit), the table (its columns dropped whole, least wanted first, when
 * narrow), the pane if one is open (its title reversed when it has the
 * keys), and one or two rows of hints for the keys that work there, the
 * last giving way to a prompt or a message.
 *
 * The terminal is restored on every way out: q, :quit, Ctrl-C, SIGTERM
 * and SIGHUP (a dropped SSH link) end the loop normally; a crash signal or
 * fatal() runs endwin() first.  Instances never belong to the console, so
 * they keep serving when it goes.
 */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tui.h"

#define PAIR_ERR	1
#define PAIR_TITLE	2
#define PAIR_SEL	3
#define PAIR_DIM	4
#define PAIR_HEAD	5

static volatile sig_atomic_t console_stop;	/* a signal asked us to quit */
static struct tui *console_cur;			/* for tui_attr_* */

/*
 * Leave curses.  A terminal with no alternate screen (TERM=linux, the
 * Linux console) would keep the console's last frame under the shell
 * prompt: it is cleared first, as less and vim leave such a terminal.
 */
static void
console_restore(void)
{
	char	*rmcup;

	if (isendwin())
		return;
	rmcup = tigetstr("rmcup");
	if (rmcup == NULL || rmcup == (char *)-1) {
		clear();
		refresh();
	}
	endwin();
}

static void
console_on_stop(int sig)
{
	console_stop = sig;
}

static void
console_on_crash(int sig)
{
	console_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int
tui_attr_err(struct tui *t)
{
	return t->color ? COLOR_PAIR(PAIR_ERR) | A_BOLD : A_BOLD;
}

int
tui_attr_title(struct tui *t)
{
	return t->color ? COLOR_PAIR(PAIR_TITLE) | A_BOLD : A_BOLD;
}

static int
tui_attr_sel(struct tui *t)
{
	return t->color ? COLOR_PAIR(PAIR_SEL) : A_REVERSE;
}

int
tui_attr_dim(struct tui *t)
{
	return t->color ? COLOR_PAIR(PAIR_DIM) : A_DIM;
}

/* Show a message on the status line for a few seconds. */
void
tui_status(struct tui *t, int err, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	free(t->status);
	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	line[strcspn(line, "\n")] = '\0';
	t->status = esc_term_str(line, ESC_ONELINE);	/* may quote a function */
	free(line);
	t->status_err = err;
	t->status_until = util_now() + (err ? 8 : 4);
	t->dirty = 1;
}

/*
 * Take the message off the status line: a new command's outcome replaces
 * the last one's, so an error does not outlive the line that caused it.
 */
void
tui_status_clear(struct tui *t)
{
	free(t->status);
	t->status = NULL;
	t->status_err = 0;
	t->status_until = 0;
	t->dirty = 1;
}

/* The key (name or id) of the selected row, or NULL. */
const char *
tui_selected(struct tui *t)
{
	if (t->nshown == 0 || t->sel < 0 || t->sel >= t->nshown)
		return NULL;
	return t->rows[t->shown[t->sel]].key;
}

void
tui_set_pane(struct tui *t, struct tui_pane *p)
{
	if (t->pane != NULL) {
		t->pane->ops->free(t->pane);
		free(t->pane->title);
		free(t->pane);
	}
	t->pane = p;
	t->pane_focus = p != NULL && p->ops->key != NULL;
	t->pane_max = 0;
	t->pane_gen++;
	t->dirty = 1;
}

/*
 * Show a finished job's output.  It opens in a pane unless the operator
 * has opened another pane since the job started: then it waits for 'o'.
 */
void
tui_show_output(struct tui *t, struct tui_job *j, const char *title,
    const char *text)
{
	free(t->last_title);
	free(t->last_output);
	t->last_title = xstrdup(title);
	t->last_output = xstrdup(text);
	if (t->pane == NULL || j->pane_gen == t->pane_gen)
		tui_set_pane(t, pane_text_new(title, text));
	else
		tui_status(t, 0, "%s finished: o shows its output", title);
}

void
tui_set_view(struct tui *t, const struct tui_view *v)
{
	if (v == NULL)
		return;
	t->view = v;
	t->sort = 0;
	t->sort_desc = strcmp(v->cmd, "ev") == 0;	/* newest events first */
	t->sel = 0;
	t->top = 0;
	t->limit = TUI_PAGE_ROWS;
	t->more = 0;
	free(t->filter);
	t->filter = NULL;
	tui_set_pane(t, NULL);
	tui_reload(t);
}

static struct tui *sort_tui;	/* qsort has no context argument */

static int
console_cmp(const void *a, const void *b)
{
	const struct tui_row	*x = a, *y = b;
	const char		*p = x->cells[sort_tui->sort];
	const char		*q = y->cells[sort_tui->sort];
	int			 r;

	/* The manager lists newest first: ascending is oldest first. */
	if (sort_tui->view->cols[sort_tui->sort].flags & TUI_COL_ORDER)
		r = (y->seq > x->seq) - (y->seq < x->seq);
	else if (p == NULL || q == NULL)
		r = (p == NULL) - (q == NULL);
	else if (sort_tui->view->cols[sort_tui->sort].numeric) {
		double dp = strtod(p, NULL), dq = strtod(q, NULL);

		r = dp < dq ? -1 : dp > dq;
	} else
		r = strcasecmp(p, q);
	if (r == 0)
		r = strcmp(x->key, y->key);
	if (r == 0)
		r = (x->seq > y->seq) - (x->seq < y->seq);
	return sort_tui->sort_desc ? -r : r;
}

/*
 * Whether row r passes the '/' filter: a cell holds it, case-
 * insensitively, as an extended regular expression when it is one, else
 * as text — the rule list_events_find applies to the Events view, whose
 * rows the manager filters itself.
 */
static int
console_match(struct tui *t, struct tui_row *r)
{
	int	c;

	if (t->filter == NULL)
		return 1;
	for (c = 0; c < t->view->ncols; c++) {
		if (r->cells[c] == NULL)
			continue;
		if (t->filter_re != NULL ?
		    regexec(t->filter_re, r->cells[c], 0, NULL, 0) == 0 :
		    strcasestr(r->cells[c], t->filter) != NULL)
			return 1;
	}
	return 0;
}

/* Reread the current view, keeping the selection on the same row. */
void
tui_reload(struct tui *t)
{
	char	*keep = tui_selected(t) != NULL ?
	    xstrdup(t->rows[t->shown[t->sel]].id) : NULL;
	int	 i;

	tui_rows_free(t->rows, t->nrows);
	t->rows = NULL;
	t->nrows = 0;
	tui_view_rows(t, t->view, &t->rows, &t->nrows);
	sort_tui = t;
	qsort(t->rows, t->nrows, sizeof *t->rows, console_cmp);
	if (t->filter_re != NULL) {
		regfree(t->filter_re);
		free(t->filter_re);
		t->filter_re = NULL;
	}
	if (t->filter != NULL) {
		t->filter_re = xmalloc(sizeof(regex_t));
		if (regcomp(t->filter_re, t->filter, REG_EXTENDED | REG_ICASE |
		    REG_NOSUB) != 0) {
			free(t->filter_re);	/* not a regex: a substring */
			t->filter_re = NULL;
		}
	}
	free(t->shown);
	t->shown = xcalloc(t->nrows + 1, sizeof *t->shown);
	t->nshown = 0;
	/* A paged view's rows are the manager's matches already. */
	for (i = 0; i < t->nrows; i++)
		if (t->view->paged || console_match(t, &t->rows[i]))
			t->shown[t->nshown++] = i;
	if (keep != NULL)
		for (i = 0; i < t->nshown; i++)
			if (strcmp(t->rows[t->shown[i]].id, keep) == 0) {
				t->sel = i;
				break;
			}
	if (t->sel >= t->nshown)
		t->sel = t->nshown > 0 ? t->nshown - 1 : 0;
	free(keep);
	t->dirty = 1;
}

/* Host CPU and memory, instance and invocation counts for the header. */
static void
console_figures(struct tui *t)
{
	unsigned long long	 v[10] = { 0 }, busy, total;
	struct buf		 b = { 0 };
	struct list_summary	 sum;
	char			*cause = NULL, *p;
	double			 avail = 0;

	if (util_read_file("/proc/stat", &b, 1 << 20, &cause) == 0 &&
	    sscanf(b.data, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		total = busy + v[3] + v[4];
		if (total > t->cpu_prev[1])
			t->host_cpu = 100.0 * (busy - t->cpu_prev[0]) /
			    (total - t->cpu_prev[1]);
		t->cpu_prev[0] = busy;
		t->cpu_prev[1] = total;
	}
	free(cause);
	cause = NULL;
	b.len = 0;
	if (util_read_file("/proc/meminfo", &b, 1 << 20, &cause) == 0) {
		if ((p = strstr(b.data, "MemTotal:")) != NULL)
			t->host_mem_total = strtod(p + 9, NULL) / 1048576.0;
		if ((p = strstr(b.data, "MemAvailable:")) != NULL)
			avail = strtod(p + 13, NULL) / 1048576.0;
		t->host_mem_used = t->host_mem_total - avail;
	}
	free(cause);
	cause = NULL;
	buf_free(&b);
	if (list_summary(t->st, &sum, &cause) == 0) {
		t->nfn = sum.functions;
		t->ninst = sum.instances;
		t->inv_rate = sum.rate;
	}
	free(cause);
}

/*
 * Draw a box with a title on its top border.  The focused box's title is
 * in reverse video, so which one takes the keys shows without colour.
 */
static void
tui_draw_box(struct tui *t, int y, int x, int h, int w, const char *title,
    int focus)
{
	int	attr = focus ? tui_attr_title(t) : tui_attr_dim(t);

	if (h < 2 || w < 4)
		return;
	attron(attr);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y, x, ACS_ULCORNER);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	attroff(attr);
	if (title != NULL && w > 6) {
		attron(focus ? (int)(A_REVERSE | A_BOLD) : tui_attr_dim(t));
		mvaddch(y, x + 2, ' ');
		addnstr(title, w - 6);
		addch(' ');
		attroff(A_REVERSE | A_BOLD | tui_attr_dim(t));
	}
}

/*
 * The top row: the view's name first, so it is never cut, then as many
 * of the host's figures as fit, most wanted first.
 */
static void
console_draw_header(struct tui *t, int w)
{
	char	*figs[6], *name;
	int	 i, left;

	move(0, 0);
	clrtoeol();
	attron(tui_attr_title(t));
	addnstr(" hearth ", w);
	attroff(tui_attr_title(t));
	name = xasprintf(" %s%s ", t->view->name, t->view->paged && t->more ?
	    " (newest first; PgDn loads older)" : "");
	attron(A_REVERSE | A_BOLD);
	addnstr(name, w - getcurx(stdscr) > 0 ? w - getcurx(stdscr) : 0);
	attroff(A_REVERSE | A_BOLD);
	free(name);
	if (t->filter != NULL) {
		name = xasprintf("  filter: %s", t->filter);
		addnstr(name, w - getcurx(stdscr) > 0 ? w - getcurx(stdscr) : 0);
		free(name);
	}
	if (t->readonly)
		addnstr("  [read-only]", w - getcurx(stdscr) > 0 ?
		    w - getcurx(stdscr) : 0);
	figs[0] = xasprintf("  %.1f inv/s (10s)", t->inv_rate);
	figs[1] = xasprintf("  fn %d  inst %d", t->nfn, t->ninst);
	figs[2] = xasprintf("  cpu %.0f%%", t->host_cpu);
	figs[3] = xasprintf("  mem %.1f/%.1fGiB", t->host_mem_used,
	    t->host_mem_total);
	figs[4] = xasprintf("  driver %s", fn_driver(NULL));
	figs[5] = NULL;
	for (i = 0; figs[i] != NULL; i++) {
		left = w - getcurx(stdscr);
		if ((int)strlen(figs[i]) <= left)
			addstr(figs[i]);
		free(figs[i]);
	}
}

/* Put s in width columns at the cursor, cut with an ellipsis if longer. */
static void
console_put_cell(struct tui *t, const char *s, int width)
{
	int	len = (int)strlen(s);

	if (width <= 0)
		return;
	if (len <= width) {
		addnstr(s, len);
		return;
	}
	addnstr(s, width - 1);
	if (t->utf8)
		addstr("\u2026");
	else
		addch('~');
}

/*
 * Which columns of the view fit in w: each at its widest cell (capped,
 * but a TUI_COL_WIDE one counts only its title, taking what is left),
 * dropping the least wanted (highest prio, the rightmost of equals)
 * until the rest fit, rather than cutting a word at the screen's edge.
 */
static void
console_fit_cols(const struct tui_view *v, int *width, int *show, int w)
{
	int	c, need, drop, min[TUI_MAX_COLS], spare, nwide = 0;

	for (c = 0; c < v->ncols; c++) {
		show[c] = 1;
		min[c] = (v->cols[c].flags & TUI_COL_WIDE) ?
		    (int)strlen(v->cols[c].title) + 1 : width[c];
		if (min[c] > width[c])
			min[c] = width[c];
	}
	for (;;) {
		for (c = 0, need = 1; c < v->ncols; c++)
			if (show[c])
				need += min[c] + 2;
		if (need <= w)
			break;
		for (c = 0, drop = -1; c < v->ncols; c++)
			if (show[c] && v->cols[c].prio > 0 && (drop == -1 ||
			    v->cols[c].prio >= v->cols[drop].prio))
				drop = c;
		if (drop == -1)
			break;		/* only what names a row is left */
		show[drop] = 0;
	}
	/* The wide columns share what is left, up to their widest cell. */
	for (c = 0, need = 1; c < v->ncols; c++)
		if (show[c]) {
			need += min[c] + 2;
			nwide += (v->cols[c].flags & TUI_COL_WIDE) != 0;
		}
	spare = w - need;
	for (c = 0; c < v->ncols; c++) {
		if (!show[c] || !(v->cols[c].flags & TUI_COL_WIDE))
			continue;
		if (spare > 0 && nwide > 0) {
			int more = spare / nwide;

			if (more > width[c] - min[c])
				more = width[c] - min[c];
			min[c] += more;
			spare -= more;
		}
		nwide--;
		width[c] = min[c];
	}
}

#define CELL_MAX	40	/* widest a column grows, but a wide one */

/* Draw the table in rows y..y+h-1. */
static void
console_draw_table(struct tui *t, int y, int h, int w)
{
	const struct tui_view	*v = t->view;
	int			 width[TUI_MAX_COLS], show[TUI_MAX_COLS];
	int			 c, i, x, len, row, cw;
	struct tui_row		*r;

	if (h < 2)
		return;
	for (c = 0; c < v->ncols; c++)
		width[c] = (int)strlen(v->cols[c].title) + (c == t->sort ? 1 : 0);
	for (i = 0; i < t->nshown; i++)
		for (c = 0; c < v->ncols; c++) {
			const char *cell = t->rows[t->shown[i]].cells[c];

			len = cell != NULL ? (int)strlen(cell) : 1;
			if (len > CELL_MAX && !(v->cols[c].flags & TUI_COL_WIDE))
				len = CELL_MAX;
			if (len > width[c])
				width[c] = len;
		}
	console_fit_cols(v, width, show, w);
	/* Header row. */
	move(y, 0);
	attron(tui_attr_title(t));
	for (c = 0, x = 1; c < v->ncols && x < w; c++) {
		if (!show[c])
			continue;
		move(y, x);
		console_put_cell(t, v->cols[c].title, w - x);
		if (c == t->sort && getcurx(stdscr) < w - 1)
			addstr(t->sort_desc ? "v" : "^");
		x += width[c] + 2;
	}
	attroff(tui_attr_title(t));
	h--;
	/*
	 * Keep the selection on screen, and the screen full: after a
	 * resize from a smaller terminal every row that fits shows again.
	 */
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + h)
		t->top = t->sel - h + 1;
	if (t->top > t->nshown - h)
		t->top = t->nshown - h;
	if (t->top < 0)
		t->top = 0;
	for (row = 0; row < h && t->top + row < t->nshown; row++) {
		int sel = t->top + row == t->sel;

		r = &t->rows[t->shown[t->top + row]];
		move(y + 1 + row, 0);
		if (sel)
			attron(tui_attr_sel(t));
		else if (r->bad)
			attron(tui_attr_err(t));
		if (sel)
			hline(' ', w);
		for (c = 0, x = 1; c < v->ncols && x < w; c++) {
			const char *cell = r->cells[c] != NULL ? r->cells[c] : "-";

			if (!show[c])
				continue;
			cw = width[c] < w - x ? width[c] : w - x;
			len = (int)strlen(cell);
			move(y + 1 + row, v->cols[c].numeric && len < cw ?
			    x + cw - len : x);
			console_put_cell(t, cell, cw);
			x += width[c] + 2;
		}
		attroff(tui_attr_sel(t) | tui_attr_err(t));
	}
	if (t->nshown == 0) {
		attron(tui_attr_dim(t));
		mvaddnstr(y + 1, 1, t->filter != NULL ? "(nothing matches the filter; "
		    "Esc clears it)" : strcmp(v->cmd, "fn") == 0 ?
		    "(no functions yet: press n, or :fn create ...)" : "(empty)", w - 2);
		attroff(tui_attr_dim(t));
	}
}

/* A hint: an action's key as bound, or a pane's own key, and a word. */
struct console_hint {
	const char	*action;	/* bound action, or NULL */
	const char	*key;		/* else the key itself */
	const char	*label;		/* what it does, in a word */
};

/* The hints for where the keys go now, most wanted first. */
static const struct console_hint *
console_hints(struct tui *t)
{
	static const struct console_hint fn[] = {
		{ "help", NULL, "help" }, { "command", NULL, "cmd" },
		{ "filter", NULL, "filter" }, { "invoke", NULL, "invoke" },
		{ "logs", NULL, "logs" }, { "details", NULL, "details" },
		{ "stats", NULL, "stats" }, { "edit", NULL, "edit" },
		{ "new", NULL, "new" }, { "delete", NULL, "delete" },
		{ "quit", NULL, "quit" }, { NULL, NULL, NULL }
	}, vm[] = {
		{ "help", NULL, "help" }, { "command", NULL, "cmd" },
		{ "filter", NULL, "filter" }, { "details", NULL, "inspect" },
		{ "logs", NULL, "logs" }, { "stats", NULL, "stats" },
		{ "console", NULL, "console" }, { "delete", NULL, "delete" },
		{ "quit", NULL, "quit" }, { NULL, NULL, NULL }
	}, ev[] = {
		{ "help", NULL, "help" }, { "command", NULL, "cmd" },
		{ "filter", NULL, "search all" }, { "page-down", NULL, "older" },
		{ "details", NULL, "details" }, { "logs", NULL, "logs" },
		{ "quit", NULL, "quit" }, { NULL, NULL, NULL }
	}, other[] = {
		{ "help", NULL, "help" }, { "command", NULL, "cmd" },
		{ "filter", NULL, "filter" }, { "details", NULL, "details" },
		{ "quit", NULL, "quit" }, { NULL, NULL, NULL }
	}, logs[] = {
		{ NULL, "f", "follow" }, { NULL, "/", "search" },
		{ NULL, "n/N", "next/prev" }, { NULL, "w", "wrap" },
		{ NULL, "t", "times" }, { "focus", NULL, "table" },
		{ "maximize", NULL, "zoom" }, { "back", NULL, "close" },
		{ NULL, NULL, NULL }
	}, text[] = {
		{ NULL, "j/k", "scroll" }, { NULL, "g/G", "top/end" },
		{ "focus", NULL, "table" }, { "maximize", NULL, "zoom" },
		{ "back", NULL, "close" }, { NULL, NULL, NULL }
	};

	if (t->pane != NULL && t->pane_focus)
		return strcmp(t->pane->ops->name, "logs") == 0 ? logs : text;
	if (strcmp(t->view->cmd, "fn") == 0)
		return fn;
	if (strcmp(t->view->cmd, "vm") == 0)
		return vm;
	if (strcmp(t->view->cmd, "ev") == 0)
		return ev;
	return other;
}

#define HINT_ROWS	2	/* rows the hints may wrap to */

/*
 * Lay the hints for where the keys go now into rows of width w, whole
 * ones only, wrapping to a second row rather than cutting one (items
 * that fit in neither are left to ?); returns the rows used.
 */
static int
console_hint_rows(struct tui *t, int w, struct buf *rows)
{
	const struct console_hint	*h;
	char				 key[16], *s;
	int				 n = 0;

	for (h = console_hints(t); h->label != NULL; h++) {
		if (h->action != NULL && tui_keys_hint(h->action, key,
		    sizeof key) != 0)
			continue;	/* unbound */
		if (h->action != NULL && strcmp(h->action, "page-down") == 0 &&
		    !t->more)
			continue;	/* Events: no older rows to load */
		s = xasprintf("<%s>%s", h->action != NULL ? key : h->key, h->label);
		if (n > 0 && (int)(rows[n - 1].len + 1 + strlen(s)) <= w)
			buf_printf(&rows[n - 1], " %s", s);
		else if (n < HINT_ROWS && (int)strlen(s) <= w)
			buf_addstr(&rows[n++], s);
		free(s);
	}
	return n > 0 ? n : 1;
}

/* How many rows the hints take at width w. */
static int
console_foot_rows(struct tui *t, int w)
{
	struct buf	rows[HINT_ROWS];
	int		i, n;

	memset(rows, 0, sizeof rows);
	n = console_hint_rows(t, w, rows);
	for (i = 0; i < HINT_ROWS; i++)
		buf_free(&rows[i]);
	return n;
}

/*
 * The bottom rows y..y+n-1: the hints, the last of them giving way to
 * the prompt or a message.
 */
static void
console_draw_status(struct tui *t, int y, int n, int w)
{
	struct buf	rows[HINT_ROWS];
	int		i, last = y + n - 1;

	memset(rows, 0, sizeof rows);
	console_hint_rows(t, w, rows);
	attron(tui_attr_dim(t));
	for (i = 0; i < n; i++) {
		move(y + i, 0);
		clrtoeol();
		if (rows[i].data != NULL)
			addnstr(rows[i].data, w);
	}
	attroff(tui_attr_dim(t));
	for (i = 0; i < HINT_ROWS; i++)
		buf_free(&rows[i]);
	if (t->prompt != NULL) {
		tui_prompt_draw(t, last, w);
		return;
	}
	if ((t->status != NULL && util_now() < t->status_until) ||
	    t->jobs != NULL) {
		move(last, 0);
		clrtoeol();
	}
	if (t->status != NULL && util_now() < t->status_until) {
		if (t->status_err)
			attron(tui_attr_err(t));
		addnstr(t->status, w);
		attroff(tui_attr_err(t));
	} else if (t->jobs != NULL) {
		attron(tui_attr_dim(t));
		addnstr("(working...)", w);
		attroff(tui_attr_dim(t));
	}
}

static void
console_draw(struct tui *t)
{
	int	h = LINES, w = COLS, table_h, pane_h = 0, foot;

	curs_set(0);
	erase();
	if (h < 5 || w < 20) {
		mvaddnstr(0, 0, "terminal too small", w);
		refresh();
		return;
	}
	console_draw_header(t, w);
	foot = console_foot_rows(t, w);
	table_h = h - 1 - foot;
	if (t->pane != NULL) {
		pane_h = t->pane_max ? table_h : table_h / 2;
		if (pane_h < 4)
			pane_h = table_h < 4 ? table_h : 4;
		table_h -= pane_h;
	}
	console_draw_table(t, 1, table_h, w);
	if (t->pane != NULL) {
		tui_draw_box(t, 1 + table_h, 0, pane_h, w, t->pane->title,
		    t->pane_focus);
		t->pane->ops->draw(t, t->pane, 2 + table_h, 1, pane_h - 2, w - 2);
	}
	console_draw_status(t, h - foot, foot, w);
	refresh();
	t->dirty = 0;
}

static void
console_key(struct tui *t, int ch)
{
	int	flags = 0;

	if (ch == KEY_RESIZE) {
		t->dirty = 1;
		return;
	}
	if (t->prompt != NULL)
		flags = tui_prompt_key(t, ch);
	else if (t->pane != NULL && t->pane_focus && t->pane->ops->key != NULL)
		flags = t->pane->ops->key(t, t->pane, ch);
	if (!(flags & TUI_HANDLED))
		flags = tui_key_dispatch(t, ch);
	if (flags & TUI_REDRAW)
		t->dirty = 1;
}

static void
console_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = console_on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = console_on_crash;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
}

/* Run the console until the operator leaves; returns the exit status. */
int
console_main(struct run_env *env, int readonly)
{
	struct tui	 t;
	struct pollfd	 pfd[34];
	int		 fds[32], n, i, ch, timeout;
	double		 now, next_tick = 0;
	char		*cause = NULL;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "hearth: the console needs a terminal (try "
		    "'hearth shell' or 'hearth help')\n");
		return CMD_USAGE;
	}
	if (env->store == NULL &&
	    (env->store = store_open(store_home_default(), &cause)) == NULL) {
		fprintf(stderr, "hearth: %s\n", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (tui_keys_load(&cause) != 0) {
		fprintf(stderr, "hearth: %s\n", cause);
		free(cause);
		return CMD_USAGE;
	}
	image_sync(env->store, &cause);
	free(cause);
	cause = NULL;

	memset(&t, 0, sizeof t);
	t.st = env->store;
	t.readonly = readonly;
	t.view = tui_views[0];
	console_cur = &t;
	setlocale(LC_ALL, "");
	t.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if (t.utf8)	/* box lines as Unicode: right under screen, tmux, SSH */
		setenv("NCURSES_NO_UTF8_ACS", "1", 0);
	fatal_hook = console_restore;
	if (initscr() == NULL) {
		fprintf(stderr, "hearth: cannot initialise the terminal\n");
		return CMD_ERROR;
	}
	console_signals();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors() && getenv("NO_COLOR") == NULL) {
		t.color = 1;
		start_color();
		use_default_colors();
		init_pair(PAIR_ERR, COLOR_RED, -1);
		init_pair(PAIR_TITLE, COLOR_CYAN, -1);
		init_pair(PAIR_SEL, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_DIM, COLOR_BLUE, -1);
		init_pair(PAIR_HEAD, COLOR_BLACK, COLOR_CYAN);
	}
	t.limit = TUI_PAGE_ROWS;
	console_figures(&t);
	tui_reload(&t);
	t.next_refresh = util_now() + 1;

	while (!t.quit && !console_stop) {
		now = util_now();
		if (now >= t.next_refresh) {
			console_figures(&t);
			tui_reload(&t);
			t.next_refresh = now + 1;
		}
		if (t.pane != NULL && t.pane->ops->tick != NULL && now >= next_tick) {
			t.pane->ops->tick(&t, t.pane);
			next_tick = now + 0.2;
		}
		if (t.status != NULL && t.status_until > 0 && now >= t.status_until) {
			t.status_until = 0;
			t.dirty = 1;
		}
		if (t.dirty)
			console_draw(&t);

		n = 0;
		pfd[n].fd = STDIN_FILENO;
		pfd[n++].events = POLLIN;
		for (i = 0; i < tui_job_fds(&t, fds, 32); i++) {
			pfd[n].fd = fds[i];
			pfd[n++].events = POLLIN;
		}
		timeout = (int)((t.next_refresh - util_now()) * 1000) + 1;
		if (t.pane != NULL && t.pane->ops->tick != NULL)
			timeout = timeout > 200 ? 200 : timeout;
		if (timeout < 0)
			timeout = 0;
		if (poll(pfd, n, timeout) == -1 && errno != EINTR)
			break;
		while ((ch = getch()) != ERR)
			console_key(&t, ch);
		if (t.jobs != NULL)
			tui_job_poll(&t);
	}

	console_restore();
	fatal_hook = NULL;
	tui_set_pane(&t, NULL);
	while (t.prompt != NULL)
		tui_prompt_key(&t, 27);
	while (t.jobs != NULL) {		/* let running commands finish */
		tui_job_poll(&t);
		if (t.jobs != NULL)
			poll(NULL, 0, 10);
	}
	tui_rows_free(t.rows, t.nrows);
	free(t.shown);
	free(t.filter);
	if (t.filter_re != NULL) {
		regfree(t.filter_re);
		free(t.filter_re);
	}
	free(t.status);
	free(t.last_title);
	free(t.last_output);
	console_cur = NULL;
	return CMD_OK;
}
