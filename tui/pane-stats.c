/*
 * pane-stats.c — live figures for one function's instances.
 *
 * Once a second it samples each instance's cgroup (CPU time, memory)
 * through the VM driver and the function's recent invocations from the
 * store (rate, latency percentiles), and keeps the last STATS_HISTORY
 * samples of each for sparklines.
 */
#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "vm.h"

#define STATS_HISTORY	60	/* samples kept: a minute at one a second */
#define STATS_INST	16	/* instances shown */

struct series {
	double	 v[STATS_HISTORY];	/* oldest first */
	int	 n;			/* samples held */
};

struct inst_stats {
	char		 id[VM_ID_LEN];	/* instance */
	uint64_t	 cpu_ns;	/* last CPU reading */
	double		 at;		/* when */
	double		 cpu;		/* % of a core */
	double		 mem;		/* MiB */
	struct series	 cpu_hist;
	struct series	 mem_hist;
	int		 seen;		/* present in the last sample */
};

struct stats {
	char		*fn;			/* whose */
	struct inst_stats inst[STATS_INST];
	int		 ninst;
	long long	 invocations;		/* all time */
	double		 rate;			/* per second, last 10 s */
	double		 p50, p99;		/* ms, last 200 invocations */
	struct series	 rate_hist;
	double		 next;			/* next sample time */
};

static void
series_add(struct series *s, double v)
{
	if (s->n == STATS_HISTORY) {
		memmove(s->v, s->v + 1, sizeof s->v[0] * (STATS_HISTORY - 1));
		s->n--;
	}
	s->v[s->n++] = v;
}

static int
stats_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
stats_sample(struct tui *t, struct stats *s)
{
	const struct vm_driver	*drv;
	struct vm_stats		 vs;
	struct inst_stats	*is;
	sqlite3_stmt		*stmt;
	double			 now = util_now(), lat[200];
	int			 i, n = 0;

	for (i = 0; i < s->ninst; i++)
		s->inst[i].seen = 0;
	stmt = store_stmt(t->st, "SELECT id, driver FROM instances WHERE fn = ? "
	    "ORDER BY created");
	sqlite3_bind_text(stmt, 1, s->fn, -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(stmt, 0);

		drv = vm_driver_find((const char *)sqlite3_column_text(stmt, 1));
		for (i = 0; i < s->ninst && strcmp(s->inst[i].id, id) != 0; i++)
			;
		if (i == s->ninst) {
			if (s->ninst == STATS_INST)
				continue;
			memset(&s->inst[i], 0, sizeof s->inst[i]);
			snprintf(s->inst[i].id, sizeof s->inst[i].id, "%s", id);
			s->ninst++;
		}
		is = &s->inst[i];
		is->seen = 1;
		if (drv == NULL || drv->stats(id, &vs) != 0)
			continue;
		if (is->at > 0 && vs.cpu_ns >= is->cpu_ns)
			is->cpu = (vs.cpu_ns - is->cpu_ns) / 1e9 / (now - is->at) * 100;
		is->cpu_ns = vs.cpu_ns;
		is->at = now;
		is->mem = vs.mem_bytes / 1048576.0;
		series_add(&is->cpu_hist, is->cpu);
		series_add(&is->mem_hist, is->mem);
	}
	store_done(stmt);
	/* Forget instances that are gone. */
	for (i = 0; i < s->ninst;) {
		if (!s->inst[i].seen)
			s->inst[i] = s->inst[--s->ninst];
		else
			i++;
	}

	stmt = store_stmt(t->st, "SELECT count(*), (SELECT count(*) FROM "
	    "invocations WHERE fn = ?1 AND ts > ?2) FROM invocations WHERE fn = ?1");
	sqlite3_bind_text(stmt, 1, s->fn, -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 2, now - 10);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		s->invocations = sqlite3_column_int64(stmt, 0);
		s->rate = sqlite3_column_int(stmt, 1) / 10.0;
	}
	store_done(stmt);
	series_add(&s->rate_hist, s->rate);
	stmt = store_stmt(t->st, "SELECT duration_ms FROM invocations WHERE fn = ? "
	    "ORDER BY id DESC LIMIT 200");
	sqlite3_bind_text(stmt, 1, s->fn, -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW)
		lat[n++] = sqlite3_column_double(stmt, 0);
	store_done(stmt);
	qsort(lat, n, sizeof lat[0], stats_cmp);
	s->p50 = n > 0 ? lat[n / 2] : 0;
	s->p99 = n > 0 ? lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0;
}

static void
stats_tick(struct tui *t, struct tui_pane *p)
{
	struct stats	*s = p->data;

	if (util_now() < s->next)
		return;
	s->next = util_now() + 1;
	stats_sample(t, s);
	t->dirty = 1;
}

/* Draw a sparkline of the last w samples, scaled to their maximum. */
static void
stats_spark(struct tui *t, const struct series *s, int w)
{
	static const char *blocks[] = { " ", "\u2581", "\u2582", "\u2583",
	    "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#@";
	double	max = 0;
	int	i, lvl, from = s->n > w ? s->n - w : 0;

	for (i = from; i < s->n; i++)
		if (s->v[i] > max)
			max = s->v[i];
	for (i = from; i < s->n; i++) {
		lvl = max > 0 ? (int)ceil(s->v[i] / max * 8) : 0;
		if (lvl < 0)
			lvl = 0;
		if (lvl > 8)
			lvl = 8;
		if (t->utf8)
			addstr(blocks[lvl]);
		else
			addch((chtype)ascii[lvl]);
	}
}

static void
stats_draw(struct tui *t, struct tui_pane *p, int y, int x, int h, int w)
{
	struct stats	*s = p->data;
	int		 i, row = 0, spark = (w - 44) / 2;

	if (spark > STATS_HISTORY)
		spark = STATS_HISTORY;
	move(y + row, x);
	printw("invocations %lld   rate %.1f/s   latency p50 %.2f ms  p99 %.2f ms   ",
	    s->invocations, s->rate, s->p50, s->p99);
	if (spark > 0)
		stats_spark(t, &s->rate_hist, spark);
	if (++row >= h)
		return;
	move(y + row, x);
	attron(tui_attr_title(t));
	printw("%-13s %7s %9s", "INSTANCE", "CPU", "MEMORY");
	if (spark > 0)
		printw("  %-*s  %-*s", spark, "cpu", spark, "memory");
	attroff(tui_attr_title(t));
	row++;
	if (s->ninst == 0 && row < h)
		mvaddnstr(y + row, x, "(no instances: invoke the function to start one)", w);
	for (i = 0; i < s->ninst && row < h; i++, row++) {
		move(y + row, x);
		printw("%-13s %6.1f%% %8.1fM", s->inst[i].id, s->inst[i].cpu,
		    s->inst[i].mem);
		if (spark > 0) {
			addstr("  ");
			stats_spark(t, &s->inst[i].cpu_hist, spark);
			move(y + row, x + 33 + spark + 2);
			stats_spark(t, &s->inst[i].mem_hist, spark);
		}
	}
}

static void
stats_free(struct tui_pane *p)
{
	struct stats	*s = p->data;

	free(s->fn);
	free(s);
}

static const struct tui_pane_ops stats_ops = {
	"stats", stats_tick, stats_draw, NULL, stats_free
};

struct tui_pane *
pane_stats_new(struct tui *t, const char *fn)
{
	struct tui_pane	*p = xcalloc(1, sizeof *p);
	struct stats	*s = xcalloc(1, sizeof *s);

	s->fn = xstrdup(fn);
	p->ops = &stats_ops;
	p->title = xasprintf("stats: %s", fn);
	p->data = s;
	stats_tick(t, p);
	return p;
}
