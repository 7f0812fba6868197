/*
 * hearth.h — the program's one internal header, sectioned by source file.
 *
 * hearth is a command table (cmd.c, cmd-*.c) driven by four front ends
 * (main.c one-shot, shell.c, batch.c, later the console) over a manager
 * (fn.c, inst.c, image.c) that keeps its state in SQLite (store.c) and runs
 * instances through the VM layer (vm/).  Commands never print: they hand
 * tables, objects and errors to out.c, which routes them.
 */
#ifndef HEARTH_H
#define HEARTH_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#define HEARTH_VERSION "0.1.0"

#define printflike(a, b) __attribute__((format(printf, a, b)))
#define nonreturn __attribute__((noreturn))

/* xmalloc.c: allocation never fails; fatal() restores the terminal first. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) printflike(1, 2);
char	*xvasprintf(const char *, va_list);
void	 fatal(const char *, ...) printflike(1, 2) nonreturn;
extern void (*fatal_hook)(void);

/* util.c: small helpers shared by the manager. */
struct buf {
	char	*data;		/* bytes, always NUL-terminated */
	size_t	 len;		/* bytes used, excluding the NUL */
	size_t	 cap;		/* bytes allocated */
};
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addstr(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...) printflike(2, 3);
void	 buf_free(struct buf *);
double	 util_now(void);
uint64_t util_mono_us(void);
void	 util_random_hex(char *, size_t);
int	 util_read_fd(int, const char *, struct buf *, size_t, char **);
int	 util_read_file(const char *, struct buf *, size_t, char **);
int	 util_write_file(const char *, const void *, size_t, char **);
int	 util_mkdirs(const char *, int);
int	 util_rmtree(const char *);
#define UTIL_TREE_DEPTH	64	/* directories deep a copied code tree may go */
int	 util_copytree(const char *, const char *, uint64_t *, char **);
int	 util_copyfd(int, const char *, const char *, uint64_t *, char **);
int	 util_parse_int(const char *, long long, long long, long long *);
const char *util_lib_dir(void);

/* config.c: `set KEY VALUE` settings in the config file. */
char	*config_path(void);
int	 config_load(char **);
const char *config_get(const char *);
const char *config_get_from(const char *, const char **);
const char *config_key(int, const char **);
int	 config_check(const char *, const char *, char **);
int	 config_write(const char *, const char *, char **);
void	 config_reset(void);

/* store.c: SQLite state under $HEARTH_HOME. */
#define STORE_CACHE 16
struct store {
	sqlite3	*db;		/* open connection, WAL mode */
	char	*home;		/* $HEARTH_HOME */
	struct {
		const char	*sql;	/* statement text (a literal) */
		sqlite3_stmt	*stmt;	/* prepared once */
	} cache[STORE_CACHE];	/* statements of hot paths */
	int	 ncached;	/* entries used in cache */
};
struct store *store_open(const char *, char **);
void	 store_close(struct store *);
int	 store_exec(struct store *, const char *, char **);
sqlite3_stmt *store_prepare(struct store *, const char *);
sqlite3_stmt *store_stmt(struct store *, const char *);
void	 store_done(sqlite3_stmt *);
int	 store_begin(struct store *, char **);
int	 store_commit(struct store *, char **);
void	 store_rollback(struct store *);
int	 store_schema_version(struct store *);
void	 store_event(struct store *, const char *, const char *, const char *,
	     ...) printflike(4, 5);
const char *store_home_default(void);
char	*store_home_check(const char *, char **);
const char *store_home(char **);

/* out.c: every command's output goes through here. */
enum out_format { OUT_TEXT, OUT_JSON };
enum out_type { OUT_STR, OUT_INT, OUT_NUM, OUT_JSONRAW, OUT_TIME };
struct out_col {
	const char	*key;		/* stable JSON field name */
	const char	*header;	/* text column header */
	enum out_type	 type;		/* how the value is formatted */
};
struct out_table;
struct out_table *out_table_new(const struct out_col *, int);
void	 out_table_row(struct out_table *);
void	 out_table_str(struct out_table *, const char *);
void	 out_table_int(struct out_table *, long long);
void	 out_table_num(struct out_table *, double);
void	 out_table_json(struct out_table *, const char *);
void	 out_table_time(struct out_table *, double);
void	 out_table_print(struct out_table *, enum out_format, FILE *, int);
void	 out_table_free(struct out_table *);
void	 out_json_string(struct buf *, const char *);
void	 out_bytes(FILE *, const void *, size_t, int);

/* esc.c: what came out of an instance, made safe for terminals and JSON. */
#define ESC_NL		0x1	/* newline shown as \n (one-line fields) */
#define ESC_TAB		0x2	/* tab shown as \t */
#define ESC_DETAB	0x4	/* tab expanded to spaces */
#define ESC_CRLF	0x8	/* CR passes before a newline (serial consoles) */
#define ESC_ONELINE	(ESC_NL | ESC_TAB)
void	 esc_term(struct buf *, const void *, size_t, int);
char	*esc_term_str(const char *, int);
void	 esc_json_string(struct buf *, const void *, size_t);
int	 esc_json(struct buf *, const void *, size_t);
void	 esc_json_or_string(struct buf *, const void *, size_t);

/* cmd.c: the command table and argument parsing. */
#define CMD_OK		0
#define CMD_ERROR	1
#define CMD_USAGE	2

enum cmd_opt_type { OPT_FLAG, OPT_STRING, OPT_LIST };
struct cmd_opt {
	const char	*name;		/* long name without dashes */
	char		 short_name;	/* single letter or 0 */
	enum cmd_opt_type type;		/* flag, value, or repeatable value */
	const char	*arg;		/* value placeholder in usage */
	const char	*help;		/* one line */
};
enum cmd_complete { COMPLETE_NONE, COMPLETE_FN, COMPLETE_VM, COMPLETE_CMD };

struct cmd_ctx;
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
	int		 flags;		/* CMD_F_* */
	enum cmd_complete complete;	/* what positional arguments complete to */
	int		(*exec)(struct cmd_ctx *);
};
#define CMD_F_OUTPUT	0x1	/* accepts -o json */
#define CMD_F_STORE	0x2	/* needs the store open */
#define CMD_F_MUTATES	0x4	/* changes state or runs code: not in --readonly */

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
	int	  interactive;		/* a person is at a terminal */
	char	 *cause;		/* error text set by the command */
	struct run_env *run;		/* the front end running this command */
};
extern const struct cmd_entry *cmd_table[];
const struct cmd_entry *cmd_find(int, char **, int *);
int	 cmd_parse(const struct cmd_entry *, int, char **, struct cmd_ctx *, char **);
void	 cmd_ctx_free(struct cmd_ctx *);
const char *cmd_opt(struct cmd_ctx *, const char *);
int	 cmd_flag(struct cmd_ctx *, const char *);
char	**cmd_optlist(struct cmd_ctx *, const char *, int *);
int	 cmd_error(struct cmd_ctx *, int, const char *, ...) printflike(3, 4);
int	 cmd_fail(struct cmd_ctx *, int, char *);
void	 cmd_usage(const struct cmd_entry *, struct buf *);
int	 cmd_remove_each(struct cmd_ctx *, int (*)(struct cmd_ctx *,
	     const char *, char **));
void	 cmd_help_all(struct buf *);
int	 cmd_split(const char *, int *, char ***, char **);
void	 cmd_free_argv(int, char **);

/* complete.c: completion candidates from the command table. */
char	**complete_words(struct store *, int, char **, const char *, int *);

/* run.c: run one command line for any front end and route its result. */
struct run_env {
	struct store	*store;		/* opened lazily and kept */
	enum out_format	 format;	/* default output format */
	int		 interactive;	/* a person is watching */
	const char	*where;		/* "FILE:LINE" prefix for errors, or NULL */
	int		 in_shell;	/* inside `hearth shell` already */
	int		 readonly;	/* --readonly: console refuses mutations */
};
int	 run_argv(struct run_env *, int, char **);
int	 run_line(struct run_env *, const char *);
void	 run_env_free(struct run_env *);

/* shell.c, batch.c: the interactive and file front ends; tui/: the console. */
int	 shell_main(struct run_env *);
int	 console_main(struct run_env *, int);
int	 batch_main(struct run_env *, const char *, int);

/* Function model (fn.c). */
struct fn {
	char	*name;		/* unique, [A-Za-z0-9_-]{1,64} */
	char	*runtime;	/* python3 | node */
	char	*handler;	/* module.function */
	int	 memory_mb;	/* cgroup memory limit */
	int	 timeout_s;	/* per-invocation deadline */
	char	*env;		/* JSON object of user variables */
	int	 version;	/* bumped on every change: instances compare */
	int	 code_version;	/* directory code/<name>/v<N> */
	long long code_size;	/* bytes of code */
	double	 created;	/* epoch seconds */
	double	 updated;	/* epoch seconds */
	char	*driver;	/* ns | qemu | auto */
};
#define FN_MEMORY_MIN	64
#define FN_MEMORY_MAX	10240
#define FN_TIMEOUT_MAX	900
#define FN_PAYLOAD_MAX	(6 * 1024 * 1024)	/* = PROTO_PAYLOAD_MAX */
#define FN_LOG_KEEP	2000	/* invocations (with logs) kept per function */
int	 fn_valid_name(const char *, char **);
int	 fn_valid_runtime(const char *, char **);
int	 fn_valid_driver(const char *, char **);
const char *fn_driver(const char *);
int	 fn_valid_handler(const char *, const char *, char **);
struct fn *fn_load(struct store *, const char *, char **);
void	 fn_free(struct fn *);
char	*fn_code_dir(struct store *, const char *, int);
int	 fn_check_handler_file(const char *, const char *, const char *, char **);

/* inst.c: warm instances, the pool, and one invocation. */
struct invoke_result {
	int	 status;		/* INVOKE_* */
	char	*body;			/* result or error JSON */
	size_t	 body_len;
	char	*logs;			/* the invocation's stdout/stderr */
	size_t	 logs_len;
	char	 request_id[40];	/* uuid */
	double	 duration_ms;		/* handler time */
	double	 init_ms;		/* 0 when warm */
	int	 max_mem_mb;		/* peak RSS of the runtime */
	int	 cold;			/* a new or pooled instance served it */
};
#define INVOKE_OK	0
#define INVOKE_ERROR	1	/* the handler raised or init failed */
#define INVOKE_TIMEOUT	2
#define INVOKE_CRASH	3	/* runtime died: OOM, signal, exit */
int	 inst_invoke(struct store *, struct fn *, const char *, size_t, struct invoke_result *, char **);
void	 invoke_result_free(struct invoke_result *);
int	 inst_reload(struct store *, struct fn *, char **);
int	 inst_destroy(struct store *, const char *, char **);
int	 inst_destroy_fn(struct store *, const char *);
void	 inst_gc(struct store *);
int	 inst_pool_fill(struct store *, const char *, const char *, int, char **);
int	 inst_pool_size(void);
int	 inst_pool_wait(struct store *, const char *, const char *, long, char **);
void	 inst_set_refill(int);
void	 inst_cache_close(void);

/* image.c: runtime images found on disk and registered in the store. */
int	 image_sync(struct store *, char **);
char	*image_rootfs(struct store *, const char *, char **);
char	**image_cmd(const char *, char **);
int	 image_prewarm(const char *);

/* logs.c: stored invocation logs. */
int	 logs_store(struct store *, const struct fn *, const struct invoke_result *, char **);
int	 logs_print(struct store *, const char *, int, int, enum out_format,
	     FILE *, char **);

#endif
