/*
 * pane-logs.c — the live log pane of one function.
 *
 * It opens with the function's recent history as the manager stored it
 * (logs_since), then follows the log streams of the function's
 * instances' agents (stream.c: every line as the runtime writes it, with
 * the agent's START/END/REPORT lines), so it shows invocations made from
 * anywhere, and output of a long invocation while it runs.  Streams to
 * new instances open as they appear.  The pane keeps the last LOGS_KEEP lines in a ring.  Follow
 * keeps the newest line in view; wrap folds long lines; '/' searches and
 * highlights; 't' shows when each line was written.  Lines are escaped
 * (esc.c) as they arrive, so what a function printed cannot drive the
 * terminal.
 */
#include <cjson/cJSON.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

#define LOGS_KEEP	5000	/* lines kept in the pane */

struct logline {
	char	*text;		/* one line of output */
	double	 ts;		/* when its invocation was logged */
};

struct logs {
	char		*fn;		/* whose logs */
	struct logline	 ring[LOGS_KEEP];	/* the last lines, from first */
	int		 first;		/* oldest line's slot */
	int		 n;		/* lines held */
	long long	 last_id;	/* newest invocation read */
	int		 follow;	/* keep the newest line in view */
	int		 wrap;		/* fold long lines */
	int		 stamps;	/* show times */
	int		 top;		/* first line shown when not following */
	int		 height;	/* rows when last drawn */
	char		*search;	/* highlighted text, or NULL */
	struct stream	**streams;	/* one per instance of fn */
	int		 nstreams;	/* how many streams */
	double		 since;		/* epoch s: older stream lines are history */
};

static struct logline *
logs_at(struct logs *l, int i)
{
	return &l->ring[(l->first + i) % LOGS_KEEP];
}

static void
logs_push(struct logs *l, const char *s, size_t len, double ts)
{
	struct logline	*ll;
	struct buf	 b;

	if (l->n == LOGS_KEEP) {
		free(l->ring[l->first].text);
		l->first = (l->first + 1) % LOGS_KEEP;
		l->n--;
		if (l->top > 0)
			l->top--;
	}
	ll = logs_at(l, l->n++);
	memset(&b, 0, sizeof b);
	esc_term(&b, s, len, ESC_NL | ESC_DETAB);	/* as a function wrote it */
	ll->text = b.data;
	ll->ts = ts;
}

#define LOGS_HISTORY_BACK	20	/* invocations the pane opens with */
#define LOGS_HISTORY_MAX	1000	/* invocations read from the store at once */

/* Store history: the log text of invocations after last_id. */
static void
logs_history(struct tui *t, struct logs *l)
{
	struct logs_rec	*recs;
	const char	*s, *nl;
	char		*cause = NULL;
	int		 n, i;

	if (logs_since(t->st, l->fn, l->last_id, LOGS_HISTORY_MAX, &recs, &n,
	    &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < n; i++) {
		l->last_id = recs[i].id;
		s = recs[i].text;
		while (s != NULL && *s != '\0') {
			nl = strchr(s, '\n');
			logs_push(l, s, nl != NULL ? (size_t)(nl - s) : strlen(s),
			    recs[i].ts);
			s = nl != NULL ? nl + 1 : NULL;
		}
	}
	logs_recs_free(recs, n);
}

/* One NDJSON line from an agent: {ts, request_id, source, line}. */
static void
logs_on_line(const char *json, void *arg)
{
	struct logs	*l = arg;
	cJSON		*j = cJSON_Parse(json), *line, *ts;
	double		 when;

	if (j == NULL)
		return;
	line = cJSON_GetObjectItem(j, "line");
	ts = cJSON_GetObjectItem(j, "ts");
	when = cJSON_IsNumber(ts) ? ts->valuedouble / 1000.0 : util_now();
	/* The agent's backlog overlaps the history read from the store. */
	if (cJSON_IsString(line) && when >= l->since)
		logs_push(l, line->valuestring, strlen(line->valuestring), when);
	cJSON_Delete(j);
}

static void
logs_tick(struct tui *t, struct tui_pane *p)
{
	struct logs	*l = p->data;
	int		 i, before = l->n, first = l->first;

	stream_sync(t->st, l->fn, STREAM_KIND_LOGS, &l->streams, &l->nstreams);
	for (i = 0; i < l->nstreams;) {
		if (stream_read(l->streams[i], logs_on_line, l) == -1) {
			stream_close(l->streams[i]);
			l->streams[i] = l->streams[--l->nstreams];
		} else
			i++;
	}
	if (l->n != before || l->first != first)
		t->dirty = 1;
}

/* Draw text at the cursor, highlighting occurrences of the search. */
static void
logs_put(struct tui *t, struct logs *l, const char *s, int len)
{
	const char	*m;
	int		 k = l->search != NULL ? (int)strlen(l->search) : 0;

	while (len > 0) {
		m = k > 0 ? strstr(s, l->search) : NULL;
		if (m == NULL || m - s >= len) {
			addnstr(s, len);
			return;
		}
		addnstr(s, (int)(m - s));
		len -= (int)(m - s);
		attron(A_REVERSE);
		addnstr(m, k < len ? k : len);
		attroff(A_REVERSE);
		len -= k;
		s = m + k;
	}
}

/* How many screen rows line i takes at width w. */
static int
logs_rows(struct logs *l, int i, int w)
{
	int	len = (int)strlen(logs_at(l, i)->text) + (l->stamps ? 9 : 0);

	if (!l->wrap || w <= 0 || len <= w)
		return 1;
	return (len + w - 1) / w;
}

static void
logs_draw(struct tui *t, struct tui_pane *p, int y, int x, int h, int w)
{
	struct logs	*l = p->data;
	struct logline	*ll;
	struct tm	 tm;
	time_t		 secs;
	char		 stamp[16];
	int		 i, row, used, r, len, off;

	l->height = h;
	if (l->follow) {
		/* Walk back from the newest line until the pane is full. */
		for (i = l->n, used = 0; i > 0 && used + logs_rows(l, i - 1, w) <= h; i--)
			used += logs_rows(l, i - 1, w);
		l->top = i;
	}
	for (i = l->top, row = 0; i < l->n && row < h; i++) {
		ll = logs_at(l, i);
		off = 0;
		len = (int)strlen(ll->text);
		for (r = 0; r < logs_rows(l, i, w) && row < h; r++) {
			int avail = w;

			move(y + row, x);
			if (r == 0 && l->stamps) {
				secs = (time_t)ll->ts;
				localtime_r(&secs, &tm);
				strftime(stamp, sizeof stamp, "%H:%M:%S ", &tm);
				attron(tui_attr_dim(t));
				addnstr(stamp, w);
				attroff(tui_attr_dim(t));
				avail -= 9;
			}
			if (avail <= 0) {
				row++;
				continue;
			}
			if (strncmp(ll->text, "REPORT ", 7) == 0 ||
			    strncmp(ll->text, "START ", 6) == 0 ||
			    strncmp(ll->text, "END ", 4) == 0)
				attron(tui_attr_dim(t));
			if (strstr(ll->text, "[ERROR]") != NULL ||
			    strstr(ll->text, "Task timed out") != NULL)
				attron(tui_attr_err(t));
			logs_put(t, l, ll->text + off, len - off < avail ? len - off : avail);
			attroff(tui_attr_dim(t) | tui_attr_err(t));
			off += avail;
			row++;
			if (off >= len)
				break;
		}
	}
}

static void
logs_search_done(struct tui *t, const char *text, void *arg)
{
	struct logs	*l = arg;
	int		 i;

	free(l->search);
	l->search = *text != '\0' ? xstrdup(text) : NULL;
	if (l->search == NULL)
		return;
	for (i = l->n - 1; i >= 0; i--) {
		if (strstr(logs_at(l, i)->text, l->search) != NULL) {
			l->follow = 0;
			l->top = i;
			return;
		}
	}
	tui_status(t, 1, "not found: %s", text);
}

/* Jump to the next (dir 1) or previous (-1) line matching the search. */
static void
logs_next(struct tui *t, struct logs *l, int dir)
{
	int	i;

	if (l->search == NULL)
		return;
	for (i = l->top + dir; i >= 0 && i < l->n; i += dir) {
		if (strstr(logs_at(l, i)->text, l->search) != NULL) {
			l->follow = 0;
			l->top = i;
			return;
		}
	}
	tui_status(t, 0, "no more matches for '%s'", l->search);
}

static int
logs_key(struct tui *t, struct tui_pane *p, int ch)
{
	struct logs	*l = p->data;
	int		 page = l->height > 1 ? l->height - 1 : 1;

	switch (ch) {
	case 'f':
		l->follow = !l->follow;
		tui_status(t, 0, "follow %s", l->follow ? "on" : "off");
		break;
	case 'w':
		l->wrap = !l->wrap;
		tui_status(t, 0, "wrap %s", l->wrap ? "on" : "off");
		break;
	case 't':
		l->stamps = !l->stamps;
		break;
	case '/':
		tui_prompt_open(t, PROMPT_ASK, "search: ", l->search,
		    logs_search_done, l);
		break;
	case 'n': logs_next(t, l, 1); break;
	case 'N': logs_next(t, l, -1); break;
	case 'j': case KEY_DOWN: l->follow = 0; l->top++; break;
	case 'k': case KEY_UP: l->follow = 0; l->top--; break;
	case KEY_NPAGE: case ' ': l->follow = 0; l->top += page; break;
	case KEY_PPAGE: l->follow = 0; l->top -= page; break;
	case 'g': case KEY_HOME: l->follow = 0; l->top = 0; break;
	case 'G': case KEY_END: l->follow = 1; break;
	default:
		return 0;
	}
	if (l->top > l->n - 1)
		l->top = l->n > 0 ? l->n - 1 : 0;
	if (l->top < 0)
		l->top = 0;
	return TUI_HANDLED | TUI_REDRAW;
}

static void
logs_free(struct tui_pane *p)
{
	struct logs	*l = p->data;

	while (l->n > 0) {
		free(l->ring[l->first].text);
		l->first = (l->first + 1) % LOGS_KEEP;
		l->n--;
	}
	stream_close_all(l->streams, l->nstreams);
	free(l->search);
	free(l->fn);
	free(l);
}

static const struct tui_pane_ops logs_ops = {
	"logs", logs_tick, logs_draw, logs_key, logs_free
};

/* A logs pane for function fn, starting with its last screenful. */
struct tui_pane *
pane_logs_new(struct tui *t, const char *fn)
{
	struct tui_pane	*p = xcalloc(1, sizeof *p);
	struct logs	*l = xcalloc(1, sizeof *l);

	l->fn = xstrdup(fn);
	l->follow = 1;
	l->wrap = 1;
	/* Start a few invocations back, not at the beginning of history. */
	l->last_id = logs_start_id(t->st, fn, LOGS_HISTORY_BACK);
	p->ops = &logs_ops;
	p->title = xasprintf("logs: %s  [f]ollow [w]rap [t]imes [/]search", fn);
	p->data = l;
	logs_history(t, l);
	l->since = util_now();
	logs_tick(t, p);
	return p;
}
