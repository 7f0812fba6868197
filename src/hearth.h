/*
 * hearth.h — the command layer and the front ends, sectioned by file.
 *
 * hearth is a command table (cmd.c, cmd/cmd-*.c) driven by the front ends
 * (main.c one-shot, shell.c, batch.c, the console in tui/) over the
 * manager (core/, core.h) that keeps its state in SQLite and runs
 * instances through the VM layer (vm/).  Commands never print: they hand
 * tables, objects and errors to out.c, which routes them.
 */
#ifndef HEARTH_H
#define HEARTH_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"
#include "esc.h"
#include "core.h"

#define HEARTH_VERSION "0.1.0"

/*
 * out.c: every command's output goes through here.  A command hands over
 * a table (out_table_*, cells by key with out_cell_*, shown with out_show
 * or streamed with out_stream_*), a message line, what a function
 * produced (out_output, out_log), a note or an error, always with its
 * cmd_ctx; out.c formats it for ctx->format and writes it where the front
 * end said (ctx->out, ctx->err).  Commands never name a FILE: the
 * FILE-level calls are for the front ends and tests.
 */
enum out_format { OUT_TEXT, OUT_JSON };
enum out_type { OUT_STR, OUT_INT, OUT_NUM, OUT_JSONRAW, OUT_TIME, OUT_BOOL };
struct out_col {
	const char	*key;		/* stable JSON field name */
	const char	*header;	/* text column header */
	enum out_type	 type;		/* how the value is formatted */
	const char	*unit;		/* text suffix ("MiB", "ms", "s") of an
					   INT or NUM; JSON keeps the bare
					   number, the unit the key names */
};
struct out_table;
struct cmd_ctx;
struct out_table *out_table_new(const struct out_col *cols, int ncols);
void	 out_table_row(struct out_table *t);
void	 out_cell_str(struct out_table *t, const char *key, const char *s);
void	 out_cell_str_len(struct out_table *t, const char *key,
	     const void *s, size_t len);
void	 out_cell_int(struct out_table *t, const char *key, long long v);
void	 out_cell_num(struct out_table *t, const char *key, double v);
void	 out_cell_json(struct out_table *t, const char *key, const char *json);
void	 out_cell_json_len(struct out_table *t, const char *key,
	     const void *json, size_t len);
void	 out_cell_time(struct out_table *t, const char *key, double when);
void	 out_cell_bool(struct out_table *t, const char *key, int on);
void	 out_cell_none(struct out_table *t, const char *key);
void	 out_table_free(struct out_table *t);
void	 out_json_string(struct buf *b, const char *s);
void	 out_show(struct cmd_ctx *ctx, struct out_table *t, int single);
#define OUT_STREAM_LINES 0x1	/* JSON: one object a line, not one array */
struct out_table *out_stream_begin(struct cmd_ctx *ctx,
	     const struct out_col *cols, int ncols, int flags);
void	 out_stream_text(struct out_table *t, const void *p, size_t len);
int	 out_stream_flush(struct out_table *t);
int	 out_stream_end(struct out_table *t);
void	 out_output(struct cmd_ctx *ctx, const void *p, size_t len, int flags);
void	 out_log(struct cmd_ctx *ctx, const void *p, size_t len);
int	 out_flush(struct cmd_ctx *ctx);
void	 out_line(struct cmd_ctx *ctx, const char *fmt, ...) printflike(2, 3);
void	 out_text(struct cmd_ctx *ctx, const char *text);
void	 out_note(struct cmd_ctx *ctx, const char *fmt, ...) printflike(2, 3);
void	 out_error(struct cmd_ctx *ctx, const char *fmt, ...) printflike(2, 3);
/* FILE-level: for the front ends and tests, never for commands. */
void	 out_table_print(struct out_table *t, enum out_format fmt, FILE *f,
	     int single);
void	 out_bytes(FILE *f, const void *p, size_t len, int flags);
void	 out_report(FILE *f, const char *where, const char *msg);

/* cmd.c: the command table and argument parsing. */
#define CMD_OK		0
#define CMD_ERROR	1
#define CMD_USAGE	2

enum cmd_opt_type { OPT_FLAG, OPT_STRING, OPT_INT, OPT_LIST };
enum cmd_complete { COMPLETE_NONE, COMPLETE_FN, COMPLETE_VM, COMPLETE_CMD,
    COMPLETE_CONFIG };
struct cmd_opt {
	const char	*name;		/* long name without dashes */
	char		 short_name;	/* single letter or 0 */
	enum cmd_opt_type type;		/* flag, value, or repeatable value */
	const char	*arg;		/* value placeholder in usage */
	const char	*help;		/* one line: bounds and default included */
	int		 required;	/* the command refuses to run without it */
	const char	*values;	/* what the value completes to, words
					   separated by spaces, or NULL */
	enum cmd_complete complete;	/* or names from the store it completes to */
	long long	 min, max;	/* OPT_INT: the bounds, which cmd_parse
					   checks and help shows */
	const char	*def;		/* the default, as help shows it, or NULL */
};

struct run_env;
struct cmd_entry {
	const char	*name;		/* words, e.g. "fn create" */
	const char	*alias;		/* alternative words or NULL */
	const struct cmd_opt *opts;	/* options, terminated by a NULL name */
	int		 min_args;	/* positional arguments, at least */
	int		 max_args;	/* at most; -1 for any */
	const char	*usage;		/* positional part of the usage line */
	const char	*help;		/* one-line description */
	const char	*long_help;	/* paragraph for `help CMD`, or NULL */
	const char	*example;	/* example lines for `help CMD`, or NULL */
	int		 flags;		/* CMD_F_* */
	enum cmd_complete complete;	/* what positional arguments complete to */
	int		(*exec)(struct cmd_ctx *ctx);	/* run; returns CMD_* */
};
#define CMD_F_OUTPUT	0x1	/* accepts -o json */
#define CMD_F_STORE	0x2	/* needs the store open */
#define CMD_F_MUTATES	0x4	/* changes state or runs code: not in --readonly */
#define CMD_F_LIST	0x8	/* a listing: accepts -q (first column only) */

#define CMD_MAX_OPTS 16
struct cmd_ctx {
	const struct cmd_entry *entry;	/* the command being run */
	char	**argv;			/* positional arguments */
	int	  argc;			/* number of positional arguments */
	char	**optv[CMD_MAX_OPTS];	/* values per option, NULL-terminated */
	int	  optc[CMD_MAX_OPTS];	/* how many times each option was given */
	enum out_format format;		/* text or json */
	struct store *store;		/* state, when CMD_F_STORE */
	FILE	 *out;			/* where results go */
	FILE	 *err;			/* where notes and errors go */
	int	  interactive;		/* a person is at a terminal */
	int	  quiet;		/* -q: a list prints its first column only */
	char	 *cause;		/* error text set by the command */
	struct run_env *run;		/* the front end running this command */
};
extern const struct cmd_entry *cmd_table[];
const struct cmd_entry *cmd_find(int argc, char **argv, int *used);
int	 cmd_parse(const struct cmd_entry *e, int argc, char **argv,
	     struct cmd_ctx *ctx, char **cause);
void	 cmd_ctx_free(struct cmd_ctx *ctx);
const char *cmd_opt(struct cmd_ctx *ctx, const char *name);
int	 cmd_flag(struct cmd_ctx *ctx, const char *name);
int	 cmd_int(struct cmd_ctx *ctx, const char *name, long long *v);
char	**cmd_optlist(struct cmd_ctx *ctx, const char *name, int *n);
int	 cmd_error(struct cmd_ctx *ctx, int rc, const char *fmt, ...)
	     printflike(3, 4);
int	 cmd_fail(struct cmd_ctx *ctx, int rc, char *cause);
void	 cmd_usage(const struct cmd_entry *e, struct buf *b);
void	 cmd_help(const struct cmd_entry *e, struct buf *b);
int	 cmd_group(int argc, char **argv);
void	 cmd_help_group(int argc, char **argv, struct buf *b);
char	*cmd_unknown(int argc, char **argv);
int	 cmd_since(const char *s, double now, double *when, char **cause);
int	 cmd_remove_each(struct cmd_ctx *ctx, int (*rm)(struct cmd_ctx *ctx,
	     const char *name, char **cause));
void	 cmd_help_all(struct buf *b);

/* complete.c: completion candidates from the command table. */
char	**complete_words(struct store *st, int argc, char **argv,
	     const char *text, int *count);
char	**complete_describe(struct store *st, int argc, char **argv,
	     const char *text, int *count);
int	 complete_script(const char *shell, struct buf *b);

/* run.c: run one command line for any front end and route its result. */
struct run_env {
	struct store	*store;		/* opened lazily and kept */
	enum out_format	 format;	/* default output format */
	int		 quiet;		/* -q before the command: lists print
					   their first column only */
	int		 interactive;	/* a person is watching */
	const char	*where;		/* "FILE:LINE" prefix for errors, or NULL */
	int		 in_shell;	/* inside `hearth shell` already */
	int		 readonly;	/* --readonly: console refuses mutations */
};
int	 run_argv(struct run_env *env, int argc, char **argv);
int	 run_line(struct run_env *env, const char *line);
void	 run_env_free(struct run_env *env);

/* shell.c: the readline front end. */
int	 shell_main(struct run_env *env);

/* batch.c: the front end that runs a file of commands. */
int	 batch_main(struct run_env *env, const char *path, int keep);

/* tui/console.c: the full-screen console front end (tui/tui.h inside). */
int	 console_main(struct run_env *env, int readonly);

#endif
