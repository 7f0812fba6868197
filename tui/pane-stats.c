/*
 * pane-stats.c — live figures for one function's instances.
 *
 * Each instance's agent streams a stats object a second (invocations,
 * CPU time, latency percentiles of its recent invocations); the pane
 * follows those streams, turns counters into rates, adds the memory the
 * instance holds (as its own VM driver reports it, through the manager),
 * and keeps the last
 * STATS_HISTORY samples of each for sparklines.  The totals line comes
 * from the store, so it counts invocations of instances long gone too.
 *
 * An invocation rate means one thing everywhere in the console (header,
 * this pane's total, each instance): invocations finished in the last
 * LIST_RATE_S (10) seconds, divided by 10, labelled "(10s)".  The total
 * and the header count the store's rows (list.c); an instance counts its
 * agent's counter against its sample from 10 s before (or the first one
 * the pane saw, for its first 10 s).  The CPU sparkline is scaled to the
 * host's cores (a full bar: every core busy), memory to the function's
 * limit, so a quiet instance draws low bars, not full ones.
 */
#include <cjson/cJSON.h>
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui.h"

#define STATS_HISTORY	60	/* samples kept: a minute at one a second */
#define STATS_INST	16	/* instances shown */
#define STATS_ID_LEN	13	/* an instance id: 12 hex digits and a NUL */
#define STATS_RATE_N	16	/* counter samples kept for it */

struct series {
	double	 v[STATS_HISTORY];	/* oldest first */
	int	 n;			/* samples held */
};

struct inst_stats {
	char		 id[STATS_ID_LEN];	/* instance */
	double		 at;		/* time of the last agent sample, s */
	double		 cpu_ms;	/* its CPU counter */
	double		 count;		/* its invocation counter */
	double		 seen_at[STATS_RATE_N];	/* sample times, a ring */
	double		 seen_count[STATS_RATE_N];	/* the counter then */
	int		 nseen;		/* samples in the ring, ever */
	double		 cpu;		/* % of a core */
	double		 rate;		/* invocations/s, last 10 s */
	double		 p50, p99;	/* ms */
	double		 mem;		/* MiB, from the cgroup */
	struct series	 cpu_hist;	/* recent cpu, for a sparkline */
	struct series	 mem_hist;	/* recent mem, for a sparkline */
};

struct stats {
	char		*fn;			/* whose */
	struct inst_stats inst[STATS_INST];	/* instances seen, in order */
	int		 ninst;			/* how many of inst are used */
	long long	 invocations;		/* all time */
	double		 rate;			/* per second, last 10 s */
	double		 p50, p99;		/* ms, last 200 invocations */
	struct series	 rate_hist;		/* recent rate, for a sparkline */
	double		 cores;			/* the host's, for the cpu scale */
	double		 mem_limit;		/* MiB: the function's limit */
	double		 next;			/* next sample time */
	struct stream	**streams;		/* one per instance */
	int		 nstreams;		/* how many streams */
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

static struct inst_stats *
stats_inst(struct stats *s, const char *id)
{
	int	i;

	for (i = 0; i < s->ninst; i++)
		if (strcmp(s->inst[i].id, id) == 0)
			return &s->inst[i];
	if (s->ninst == STATS_INST)
		return NULL;
	memset(&s->inst[s->ninst], 0, sizeof s->inst[0]);
	snprintf(s->inst[s->ninst].id, sizeof s->inst[0].id, "%s", id);
	return &s->inst[s->ninst++];
}

/*
 * Record the counter sample (at, count) and work out the instance's
 * rate: what it finished since its sample of LIST_RATE_S ago (the
 * oldest held, until there is one that old), over LIST_RATE_S.
 */
static void
stats_rate(struct inst_stats *is, double at, double count)
{
	int	i, k, held, base = -1;

	k = is->nseen % STATS_RATE_N;
	is->seen_at[k] = at;
	is->seen_count[k] = count;
	is->nseen++;
	held = is->nseen < STATS_RATE_N ? is->nseen : STATS_RATE_N;
	for (i = 0; i < held; i++) {
		k = (is->nseen - 1 - i) % STATS_RATE_N;	/* newest first */
		base = k;
		if (is->seen_at[k] <= at - LIST_RATE_S)
			break;
	}
	is->rate = (count - is->seen_count[base]) / LIST_RATE_S;
}

/* What stats_on_line is handed: the pane and the stream's instance. */
struct stats_line {
	struct stats	*s;		/* the pane's state */
	const char	*id;		/* the instance whose agent sent it */
};

/* One stats object from an agent. */
static void
stats_on_line(const char *json, void *arg)
{
	struct stats_line	*sl = arg;
	struct inst_stats	*is = stats_inst(sl->s, sl->id);
	cJSON			*j = cJSON_Parse(json);
	double			 at, cpu, count;

	if (j == NULL || is == NULL) {
		cJSON_Delete(j);
		return;
	}
	at = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "ts")) / 1000.0;
	cpu = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "cpu_ms"));
	count = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "invocations"));
	if (is->at > 0 && at > is->at) {
		is->cpu = (cpu - is->cpu_ms) / 10.0 / (at - is->at);
		series_add(&is->cpu_hist, is->cpu);
	}
	stats_rate(is, at, count);
	is->at = at;
	is->cpu_ms = cpu;
	is->count = count;
	is->p50 = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "p50_us")) / 1000.0;
	is->p99 = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "p99_us")) / 1000.0;
	cJSON_Delete(j);
}

static void
stats_sample(struct tui *t, struct stats *s)
{
	struct list_fn_stats	 fs;
	struct inst_stats	*is;
	struct fn		*fn;
	struct stats_line	 sl;
	uint64_t		 mem;
	char			*cause = NULL;
	int			 i, n;

	stream_sync(t->st, s->fn, STREAM_KIND_STATS, &s->streams, &s->nstreams);
	for (i = 0; i < s->nstreams;) {
		sl.s = s;
		sl.id = stream_id(s->streams[i]);
		if (stream_read(s->streams[i], stats_on_line, &sl) == -1) {
			/* The instance went away: forget it. */
			for (n = 0; n < s->ninst; n++)
				if (strcmp(s->inst[n].id, sl.id) == 0)
					s->inst[n] = s->inst[--s->ninst];
			stream_close(s->streams[i]);
			s->streams[i] = s->streams[--s->nstreams];
		} else
			i++;
	}
	for (i = 0; i < s->ninst; i++) {
		is = &s->inst[i];
		if (list_inst_mem(t->st, is->id, &mem) == 0)
			is->mem = mem / 1048576.0;
		series_add(&is->mem_hist, is->mem);
	}

	if ((fn = fn_load(t->st, s->fn, &cause)) != NULL) {
		s->mem_limit = fn->memory_mb;
		fn_free(fn);
	}
	free(cause);
	cause = NULL;
	if (list_fn_stats(t->st, s->fn, &fs, &cause) != 0) {
		free(cause);
		return;
	}
	s->invocations = fs.invocations;
	s->rate = fs.rate;
	series_add(&s->rate_hist, s->rate);
	s->p50 = fs.p50;
	s->p99 = fs.p99;
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

/*
 * Draw a sparkline of the last w samples, scaled to full (a full bar),
 * or to their maximum when full is 0 (a rate has no natural top).
 */
static void
stats_spark(struct tui *t, const struct series *s, int w, double full)
{
	static const char *blocks[] = { " ", "\u2581", "\u2582", "\u2583",
	    "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#@";
	double	max = 0;
	int	i, lvl, from = s->n > w ? s->n - w : 0;

	for (i = from; i < s->n; i++)
		if (s->v[i] > max)
			max = s->v[i];
	if (full > 0)
		max = full;
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
	char		*p50, *p99, *mem;
	int		 i, row = 0, spark = (w - 66) / 2;

	if (spark > STATS_HISTORY)
		spark = STATS_HISTORY;
	move(y + row, x);
	p50 = util_unit_num(s->p50, "ms");
	p99 = util_unit_num(s->p99, "ms");
	printw("invocations %lld   %.1f inv/s (10s)   p50 %s  p99 %s  ",
	    s->invocations, s->rate, p50, p99);
	free(p50);
	free(p99);
	if (spark > 0)
		stats_spark(t, &s->rate_hist, spark, 0);
	if (++row >= h)
		return;
	move(y + row, x);
	attron(tui_attr_title(t));
	printw("%-13s %6s %8s %11s %8s %8s", "INSTANCE", "CPU", "MEMORY",
	    "INV/S(10s)", "P50", "P99");
	if (spark > 0)
		printw("  %-*s  %-*s", spark, "cpu", spark, "memory");
	attroff(tui_attr_title(t));
	row++;
	if (s->ninst == 0 && row < h)
		mvaddnstr(y + row, x, "(no instances: invoke the function to start one)", w);
	for (i = 0; i < s->ninst && row < h; i++, row++) {
		move(y + row, x);
		mem = util_unit_num(s->inst[i].mem, "MiB");
		p50 = util_unit_num(s->inst[i].p50, "ms");
		p99 = util_unit_num(s->inst[i].p99, "ms");
		printw("%-13s %5.1f%% %8s %11.1f %8s %8s", s->inst[i].id,
		    s->inst[i].cpu, mem, s->inst[i].rate, p50, p99);
		free(mem);
		free(p50);
		free(p99);
		if (spark > 0) {
			int cx;

			addstr("  ");
			cx = getcurx(stdscr);
			stats_spark(t, &s->inst[i].cpu_hist, spark,
			    100.0 * s->cores);
			move(y + row, cx + spark + 2);
			stats_spark(t, &s->inst[i].mem_hist, spark, s->mem_limit);
		}
	}
}

static void
stats_free(struct tui_pane *p)
{
	struct stats	*s = p->data;

	stream_close_all(s->streams, s->nstreams);
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
	s->cores = sysconf(_SC_NPROCESSORS_ONLN) > 0 ?
	    (double)sysconf(_SC_NPROCESSORS_ONLN) : 1;
	p->ops = &stats_ops;
	p->title = xasprintf("stats: %s", fn);
	p->data = s;
	stats_tick(t, p);
	return p;
}
