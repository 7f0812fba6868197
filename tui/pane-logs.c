/*
 * pane-logs.c — the log pane of one function.
 *
 * It opens with the function's last lines as the manager stored them
 * (logs_tail: all it keeps, or the last N as `fn logs --tail N` asks,
 * less the invocations logged before --since, as the command leaves
 * them out).
 * Following (the `l` key, `:fn logs NAME -f`, or `f` in the pane), it
 * reads the log streams of the function's instances' agents too
 * (stream.c: every line as the runtime writes it, with the agent's
 * START/END/REPORT lines), so it shows invocations made from anywhere,
 * and output of a long invocation while it runs; streams to new
 * instances open as they appear.  Not following, it is what `fn logs`
 * printed, and stays so.  The pane keeps the last LOGS_KEEP lines in a
 * ring.  Follow keeps the newest line in view; wrap folds long lines;
 * '/' searches and highlights; 't' shows when each line was written.  A
 * hot reload is a marked line (in reverse video): the pane's own when it
 * sees the function's version change, and the agent's RELOAD line when
 * an instance was warm to restart.  Lines are escaped (esc.c) as they
 * arrive, so what a function printed cannot drive the terminal.
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
	int	 mark;		/* a hot reload: drawn in reverse video */
};

struct logs {
	char		*fn;		/* whose logs */
	struct logline	 ring[LOGS_KEEP];	/* the last lines, from first */
	int		 first;		/* oldest line's slot */
	int		 n;		/* lines held */
	long long	 last_id;	/* newest invocation read */
	int		 live;		/* reading the agents' streams */
	int		 version;	/* the function's, as last seen */
	double		 next_check;	/* when to look at the version again */
	int		 follow;	/* keep the newest line in view */
	int		 wrap;		/* fold long lines */
	int		 stamps;	/* show times */
	int		 top;		/* first line shown when not following */
	int		 height;	/* rows when last drawn */
	char		*search;	/* highlighted text, or NULL */
	struct stream	**streams;	/* one per instance of fn */
	int		 nstreams;	/* how many streams */
	double		 since;		/* epoch s: older stream lines are history */
	char		*since_s;	/* --since as written, or NULL */
};

static struct logline *
logs_at(struct logs *l, int i)
{
	return &l->ring[(l->first + i) % LOGS_KEEP];
}

static struct logline *
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
	ll->mark = 0;
	return ll;
}

#define LOGS_HISTORY_MAX	1000	/* invocations read from the store at once */

/*
 * Add the stored records' lines, but not those of records logged before
 * from (epoch s; 0 for all), as `fn logs --since` leaves them out;
 * last_id follows every record, shown or not.
 */
static void
logs_add_recs(struct logs *l, struct logs_rec *recs, int n, double from)
{
	const char	*s, *nl;
	int		 i;

	for (i = 0; i < n; i++) {
		if (recs[i].id > l->last_id)
			l->last_id = recs[i].id;
		if (recs[i].ts < from)
			continue;
		s = recs[i].text;
		while (s != NULL && *s != '\0') {
			nl = strchr(s, '\n');
			logs_push(l, s, nl != NULL ? (size_t)(nl - s) : strlen(s),
			    recs[i].ts);
			s = nl != NULL ? nl + 1 : NULL;
		}
	}
}

/* Store history: the log text of invocations after last_id. */
static void
logs_history(struct tui *t, struct logs *l)
{
	struct logs_rec	*recs;
	char		*cause = NULL;
	int		 n;

	if (logs_since(t->st, l->fn, l->last_id, LOGS_HISTORY_MAX, &recs, &n,
	    &cause) != 0) {
		free(cause);
		return;
	}
	logs_add_recs(l, recs, n, 0);	/* after last_id: newer than any --since */
	logs_recs_free(recs, n);
}

/* Start reading the agents' streams from now: what came before is stored. */
static void
logs_go_live(struct tui *t, struct logs *l)
{
	logs_history(t, l);
	l->since = util_now();
	l->live = 1;
}

/* One NDJSON line from an agent: {ts, request_id, source, line}. */
static void
logs_on_line(const char *json, void *arg)
{
	struct logs	*l = arg;
	struct logline	*ll;
	cJSON		*j = cJSON_Parse(json), *line, *ts;
	const char	*source;
	double		 when;

	if (j == NULL)
		return;
	line = cJSON_GetObjectItem(j, "line");
	ts = cJSON_GetObjectItem(j, "ts");
	source = cJSON_GetStringValue(cJSON_GetObjectItem(j, "source"));
	when = cJSON_IsNumber(ts) ? ts->valuedouble / 1000.0 : util_now();
	/* The agent's backlog overlaps the history read from the store. */
	if (cJSON_IsString(line) && when >= l->since) {
		ll = logs_push(l, line->valuestring, strlen(line->valuestring),
		    when);
		if (source != NULL && strcmp(source, "platform") == 0 &&
		    strncmp(line->valuestring, "RELOAD ", 7) == 0)
			ll->mark = 1;
	}
	cJSON_Delete(j);
}

/*
 * Once a second: has the function's version changed (fn update, a hot
 * reload)?  Then a marked line of the pane's own says so — whether or
 * not an instance is warm to write the agent's RELOAD line, which is
 * marked too.
 */
static void
logs_check_version(struct tui *t, struct logs *l)
{
	struct fn	*fn;
	char		*cause = NULL, *s;
	struct logline	*ll;

	if (util_now() < l->next_check)
		return;
	l->next_check = util_now() + 1;
	if ((fn = fn_load(t->st, l->fn, &cause)) == NULL) {
		free(cause);
		return;
	}
	if (l->version != 0 && fn->version != l->version) {
		s = xasprintf("-- %s updated: version %d, code v%d --", fn->name,
		    fn->version, fn->code_version);
		ll = logs_push(l, s, strlen(s), util_now());
		ll->mark = 1;
		free(s);
		t->dirty = 1;
	}
	l->version = fn->version;
	fn_free(fn);
}

static void
logs_tick(struct tui *t, struct tui_pane *p)
{
	struct logs	*l = p->data;
	int		 i, before = l->n, first = l->first;

	if (!l->live)
		return;
	logs_check_version(t, l);
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
			if (ll->mark)
				attron(A_REVERSE | A_BOLD);
			else if (strncmp(ll->text, "REPORT ", 7) == 0 ||
			    strncmp(ll->text, "START ", 6) == 0 ||
			    strncmp(ll->text, "END ", 4) == 0)
				attron(tui_attr_dim(t));
			if (strstr(ll->text, "[ERROR]") != NULL ||
			    strstr(ll->text, "Task timed out") != NULL)
				attron(tui_attr_err(t));
			logs_put(t, l, ll->text + off, len - off < avail ? len - off : avail);
			attroff(tui_attr_dim(t) | tui_attr_err(t) | A_REVERSE |
			    A_BOLD);
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

/* The border's title: whose logs, following or not, since when. */
static void
logs_title(struct tui_pane *p, struct logs *l)
{
	free(p->title);
	p->title = xasprintf("logs: %s%s%s%s", l->fn, l->live ? "  (following)" :
	    "  (stored lines; f follows)", l->since_s != NULL ? "  since " : "",
	    l->since_s != NULL ? l->since_s : "");
}

static int
logs_key(struct tui *t, struct tui_pane *p, int ch)
{
	struct logs	*l = p->data;
	int		 page = l->height > 1 ? l->height - 1 : 1;

	switch (ch) {
	case 'f':
		if (!l->live) {
			logs_go_live(t, l);	/* as `fn logs -f` */
			l->follow = 1;
			logs_title(p, l);
		} else
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
		tui_prompt_open(t, PROMPT_SEARCH, "search (Up recalls): ", NULL,
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
	free(l->since_s);
	free(l->fn);
	free(l);
}

static const struct tui_pane_ops logs_ops = {
	"logs", logs_tick, logs_draw, logs_key, logs_free
};

/*
 * A logs pane for function fn with its last tail stored lines (all the
 * pane keeps when tail < 0), less those of invocations logged before
 * since (epoch s, 0 for no limit; since_s is how it was written, for the
 * title), reading new ones as they come when follow is set, as `fn logs
 * [--tail N] [--since WHEN] [-f]` prints them: the last N lines first,
 * then --since leaves out the older invocations' ones.  NULL with *cause
 * when there is no such function: the same words `fn logs` says.
 */
struct tui_pane *
pane_logs_new(struct tui *t, const char *fn, long long tail, int follow,
    double since, const char *since_s, char **cause)
{
	struct tui_pane	*p;
	struct logs	*l;
	struct logs_rec	*recs;
	struct fn	*f;
	long long	 last;
	int		 n;

	if ((f = fn_load(t->st, fn, cause)) == NULL)
		return NULL;
	if (logs_tail(t->st, f->name, (int)(tail < 0 || tail > LOGS_KEEP ?
	    LOGS_KEEP : tail), &recs, &n, &last, cause) != 0) {
		fn_free(f);
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	l = xcalloc(1, sizeof *l);
	l->fn = xstrdup(f->name);
	l->version = f->version;
	l->follow = 1;
	l->wrap = 1;
	logs_add_recs(l, recs, n, since);
	logs_recs_free(recs, n);
	/* Following from the newest invocation of any: none of fn's after it. */
	l->last_id = last != 0 ? last : logs_start_id(t->st, NULL, 0);
	p->ops = &logs_ops;
	l->since_s = since_s != NULL ? xstrdup(since_s) : NULL;
	p->data = l;
	if (follow) {
		logs_go_live(t, l);
		logs_tick(t, p);
	}
	logs_title(p, l);
	fn_free(f);
	return p;
}
