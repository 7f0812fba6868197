/*
 * tui.h — the console's internal interface.
 *
 * The console is one event loop (console.c) over a set of views — tables
 * of functions, instances, images, events, each filled with the rows the
 * manager lists (view.c, over core.h's list.c), cell by keyed cell — and
 * at most one pane under the table (logs, stats, or text: details,
 * command output, help).  Panes are small vtables whose key handlers
 * return flags instead of drawing; console.c draws everything in one pass
 * when something is dirty and lets ncurses send only the difference.  Anything that changes state or may take time runs as a
 * child `hearth` process (job.c), so the screen never blocks and the
 * console runs exactly the commands the shell does.
 */
#ifndef HEARTH_TUI_H
#define HEARTH_TUI_H

#include <sys/types.h>

#include "hearth.h"

#define TUI_PAGE_ROWS	500	/* rows a paged view loads at a time */
#define TUI_HANDLED	0x1	/* the key was used */
#define TUI_REDRAW	0x2	/* something on screen changed */

struct tui;

/*
 * A table view: its columns and what fills its rows (view.c).  A view
 * fills a cell by its column's key, the field name `-o json` gives the
 * same figure (memory_mb, idle_s), never by position.
 */
struct tui_col {
	const char	*key;		/* what fills it, as in -o json */
	const char	*title;		/* header text */
	int		 numeric;	/* right-aligned, sorts as a number */
	int		 prio;		/* 0 always shown; higher drop first
					   when the screen is narrow */
	int		 flags;		/* TUI_COL_* */
};
#define TUI_COL_WIDE	0x1	/* free text: takes the width left, cut
				   with an ellipsis (a detail, a path) */
#define TUI_COL_ORDER	0x2	/* sorts in the manager's order (a time
				   shown as HH:MM:SS sorts by when) */
#define TUI_MAX_COLS 12
struct tui_row {
	char		*cells[TUI_MAX_COLS];	/* text of each column */
	char		*key;			/* name or id the row stands for */
	char		*id;			/* unique: the selection follows it */
	int		 seq;			/* its place in the manager's list */
	int		 bad;			/* shown in the error colour */
};
struct tui_fill;			/* rows being filled (view.c) */
struct tui_view {
	const char		*name;		/* "Functions" */
	const char		*cmd;		/* ":fn" switches to it */
	const char		*aliases;	/* other words for cmd, space-separated */
	const char		*kind;		/* what a row's key names: fn, vm, or NULL */
	const struct tui_col	*cols;		/* columns */
	int			 ncols;		/* how many */
	int			 paged;		/* fill asks the manager for the
						   rows matching t->filter, at
						   most t->limit, and sets
						   t->more: the whole history is
						   searched and paged through */
	void	(*fill)(struct tui *t,
		    struct tui_fill *f);	/* add its rows, unsorted */
};
extern const struct tui_view *tui_views[];

/* A pane under the table: a small vtable over its own state (pane-*.c). */
struct tui_pane;
struct tui_pane_ops {
	const char	*name;		/* for help and the border */
	void	(*tick)(struct tui *t,
		    struct tui_pane *p);	/* read what came (5/s) */
	void	(*draw)(struct tui *t, struct tui_pane *p, int y, int x,
		    int h, int w);	/* paint the area inside its box */
	int	(*key)(struct tui *t, struct tui_pane *p,
		    int ch);		/* a key: TUI_HANDLED | TUI_REDRAW */
	void	(*free)(struct tui_pane *p);	/* release data */
};
struct tui_pane {
	const struct tui_pane_ops *ops;	/* behaviour */
	char			*title;	/* shown on its top border */
	void			*data;	/* ops-specific state */
};

/* A child hearth process, its output read without blocking (job.c). */
struct tui_job {
	pid_t		 pid;		/* the child */
	int		 out;		/* its stdout, nonblocking */
	int		 err;		/* its stderr, nonblocking */
	struct buf	 obuf;		/* what it printed */
	struct buf	 ebuf;		/* what it complained */
	char		*title;		/* what the operator asked for */
	int		 status;	/* exit status once done, else -1 */
	void		(*done)(struct tui *t,
			    struct tui_job *j);	/* once it exited, or NULL */
	char		*arg;		/* for done: e.g. a temp dir to remove */
	unsigned	 pane_gen;	/* t->pane_gen when it started */
	struct tui_job	*next;		/* the next running job */
};

struct tui_prompt;

struct tui {
	struct store		*st;		/* shared store connection */
	int			 readonly;	/* refuse mutating actions */
	int			 color;		/* colours allowed (no NO_COLOR) */
	int			 utf8;		/* locale can show UTF-8 */
	const struct tui_view	*view;		/* current view */
	struct tui_row		*rows;		/* its rows, sorted, unfiltered */
	int			 nrows;		/* how many rows */
	int			*shown;		/* indexes of rows passing the filter */
	int			 nshown;	/* how many pass the filter */
	int			 sel;		/* selected index into shown */
	int			 top;		/* first shown row on screen */
	int			 sort;		/* sort column */
	int			 sort_desc;	/* descending */
	char			*filter;	/* / filter, or NULL */
	void			*filter_re;	/* compiled regex, or NULL */
	int			 limit;		/* rows a paged view loads */
	int			 more;		/* a paged view has older rows */
	struct tui_pane		*pane;		/* pane under the table, or NULL */
	unsigned		 pane_gen;	/* bumped whenever the pane changes */
	char			*last_title;	/* the last command's title */
	char			*last_output;	/* and its output, for 'o' */
	int			 pane_focus;	/* keys go to the pane */
	int			 pane_max;	/* pane fills the screen */
	struct tui_prompt	*prompt;	/* line being edited, or NULL */
	char			*status;	/* status line text */
	int			 status_err;	/* shown as an error */
	double			 status_until;	/* clear after */
	struct tui_job		*jobs;		/* running children */
	int			 dirty;		/* redraw needed */
	int			 quit;		/* leave the loop */
	double			 next_refresh;	/* when the table reloads */
	/* Header figures. */
	double			 host_cpu;	/* % busy */
	double			 host_mem_used;	/* GiB */
	double			 host_mem_total;	/* GiB */
	unsigned long long	 cpu_prev[2];	/* busy, total jiffies */
	int			 nfn, ninst;	/* counts */
	double			 inv_rate;	/* invocations/s, last 10 s */
};

/* console.c: the event loop, the draw pass and the state the others share. */
void	 tui_status(struct tui *t, int err, const char *fmt, ...)
	     printflike(3, 4);
void	 tui_status_clear(struct tui *t);
const char *tui_selected(struct tui *t);
void	 tui_set_pane(struct tui *t, struct tui_pane *p);
void	 tui_show_output(struct tui *t, struct tui_job *j, const char *title,
	     const char *text);
void	 tui_set_view(struct tui *t, const struct tui_view *v);
void	 tui_reload(struct tui *t);
int	 tui_attr_err(struct tui *t);
int	 tui_attr_title(struct tui *t);
int	 tui_attr_dim(struct tui *t);

/* view.c: the views and the rows they are filled with. */
const struct tui_view *tui_view_find(const char *word);
void	 tui_view_rows(struct tui *t, const struct tui_view *v,
	     struct tui_row **rows, int *n);
void	 tui_rows_free(struct tui_row *rows, int n);

/* job.c: child hearth processes. */
struct tui_job *tui_job_start(struct tui *t, const char *title, char **argv,
	     void (*done)(struct tui *, struct tui_job *), const char *arg);
int	 tui_job_fds(struct tui *t, int *fds, int max);
void	 tui_job_poll(struct tui *t);

/* prompt.c: a one-line editor at the bottom. */
enum tui_prompt_kind {
	PROMPT_COMMAND,		/* a ':' line: history, Tab completion */
	PROMPT_FILTER,		/* a '/' filter, applied as it is typed */
	PROMPT_SEARCH,		/* a search, on Enter: history */
	PROMPT_PAYLOAD,		/* an invocation's payload: history */
	PROMPT_ASK,		/* a question answered with a line */
	PROMPT_KEY		/* a yes/no question answered with one key */
};
void	 tui_prompt_open(struct tui *t, enum tui_prompt_kind kind,
	     const char *label, const char *initial,
	     void (*done)(struct tui *, const char *, void *), void *arg);
int	 tui_prompt_key(struct tui *t, int ch);
void	 tui_prompt_draw(struct tui *t, int y, int w);

/* actions.c: what keys do. */
struct tui_action {
	const char	*name;		/* used in bind lines */
	int		 mutates;	/* refused in --readonly */
	const char	*help;		/* for ? */
	void		(*fn)(struct tui *t);	/* do it */
};
extern const struct tui_action tui_actions[];
const struct tui_action *tui_action_find(const char *name);
void	 tui_job_report(struct tui *t, struct tui_job *j);

/* keys.c: the binding table. */
int	 tui_keys_load(char **cause);
int	 tui_keys_hint(const char *action, char *out, size_t len);
int	 tui_key_dispatch(struct tui *t, int ch);
void	 tui_keys_help(struct buf *b);
int	 tui_run_command(struct tui *t, const char *line);

/* pane-text.c: a scrollable pane of text. */
struct tui_pane *pane_text_new(const char *title, const char *s);

/* pane-logs.c: the log pane of one function, live when following. */
struct tui_pane *pane_logs_new(struct tui *t, const char *fn, long long tail,
	     int follow, double since, const char *since_s, char **cause);

/* pane-stats.c: live figures for one function's instances. */
struct tui_pane *pane_stats_new(struct tui *t, const char *fn);

#endif
