/*
 * core.h — the manager: functions, instances, the pool, invocation, logs,
 * events and settings, kept in SQLite (store.c) and run through vm/.  It
 * never prints and knows nothing of commands or terminals; a failure an
 * operator must see comes back as a cause string.  Sectioned by source
 * file; store.h and inst.h are the manager's private headers.
 */
#ifndef HEARTH_CORE_H
#define HEARTH_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct store;

/* store.c: opening the state under $HEARTH_HOME. */
struct store *store_open(const char *home, char **cause);
void	 store_close(struct store *st);
const char *store_home_default(void);
const char *store_home(char **cause);
const char *store_dir(struct store *st);

/* config.c: `set KEY VALUE` settings in the config file. */
char	*config_path(void);
int	 config_load(char **cause);
int	 config_check_env(char **cause);
const char *config_get(const char *key);
const char *config_get_from(const char *key, const char **from);
long long config_get_size(const char *key);
const char *config_key(int i, const char **help);
int	 config_check(const char *key, const char *value, char **cause);
int	 config_write(const char *key, const char *value, char **cause);
void	 config_reset(void);

/* fn.c: the function model, and creating, changing, deleting functions. */
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
#define FN_MEMORY_DEFAULT 128
#define FN_TIMEOUT_MAX	900
#define FN_TIMEOUT_DEFAULT 3
#define FN_ENV_MAX	4096	/* bytes of names and values, as on Lambda */
#define FN_PAYLOAD_MAX	(6 * 1024 * 1024)	/* = PROTO_PAYLOAD_MAX */
#define FN_LOG_KEEP	2000	/* invocations (with logs) kept per function */

/*
 * What fn_create makes or fn_update changes, as the operator asked.  A
 * field left 0 or NULL takes the default in fn_create and keeps what the
 * function has in fn_update.
 */
struct fn_spec {
	const char	*name;		/* the function (required) */
	const char	*runtime;	/* python3 | node; fn_create only (required) */
	const char	*handler;	/* module.function (python3), file.export (node) */
	const char	*code;		/* directory or file to copy, "-" for one
					   file from stdin; required in fn_create,
					   NULL keeps the code in fn_update */
	int		 memory_mb;	/* FN_MEMORY_MIN..FN_MEMORY_MAX, default 128 */
	int		 timeout_s;	/* 1..FN_TIMEOUT_MAX, default 3 */
	const char	*driver;	/* ns | qemu | auto, default auto */
	char *const	*env_set;	/* "KEY=VALUE" to set, NULL-terminated, or NULL */
	char *const	*env_unset;	/* KEYs to remove, NULL-terminated, or NULL */
};
int	 fn_valid_name(const char *name, char **cause);
int	 fn_valid_runtime(const char *rt, char **cause);
int	 fn_valid_driver(const char *d, char **cause);
const char *fn_driver(const char *d);
int	 fn_valid_handler(const char *runtime, const char *h, char **cause);
int	 fn_valid_env_name(const char *key, char **cause);
int	 fn_valid_env_value(const char *value, char **cause);
int	 fn_env_merge(const char *env, char *const *set, char *const *unset,
	     char **merged, char **cause);
struct fn *fn_load(struct store *st, const char *name, char **cause);
void	 fn_free(struct fn *fn);
char	*fn_code_dir(struct store *st, const char *name, int code_version);
char	*fn_handler_file(const char *dir, const char *runtime, const char *h,
	     char **cause);
int	 fn_check_handler_file(const char *dir, const char *runtime,
	     const char *h, char **cause);
int	 fn_create(struct store *st, const struct fn_spec *spec, struct fn **fnp,
	     char **cause);
int	 fn_update(struct store *st, const struct fn_spec *spec, struct fn **fnp,
	     char **cause);
int	 fn_delete(struct store *st, const char *name, char **cause);

/* inst.c: instances, the warm sandboxes or microVMs that run functions. */
int	 inst_reload(struct store *st, struct fn *fn, char **cause);
int	 inst_destroy(struct store *st, const char *id, char **cause);
int	 inst_destroy_fn(struct store *st, const char *name);
int	 inst_destroy_every(struct store *st, const char *name,
	    void (*failed)(const char *cause, void *arg), void *arg);
void	 inst_gc(struct store *st);
void	 inst_set_notify(void (*fn)(const char *line));
const char *inst_memory_default(void);

/* conn.c: the agent connections this process keeps open. */
void	 conn_close_all(void);

/* pool.c: instances started before any function needs them. */
int	 pool_fill(struct store *st, const char *runtime,
	    const char *driver, int n, char **cause);
int	 pool_size(void);
void	 pool_set_size(int n);
int	 pool_wait(struct store *st, const char *runtime,
	    const char *driver, long wait_ms, char **cause);
void	 pool_set_refill(int on);

/* invoke.c: one invocation, an event in and a result and its logs out. */
struct invoke_result {
	int	 status;		/* INVOKE_* */
	char	*body;			/* result or error JSON */
	size_t	 body_len;		/* bytes of body */
	char	*logs;			/* the invocation's stdout/stderr */
	size_t	 logs_len;		/* bytes of logs */
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
int	 invoke_run(struct store *st, struct fn *fn, const char *payload,
	    size_t len, struct invoke_result *res, char **cause);
void	 invoke_result_free(struct invoke_result *res);

/* image.c: runtime images found on disk and registered in the store. */
int	 image_sync(struct store *st, char **cause);
char	*image_rootfs(struct store *st, const char *runtime, char **cause);
char	**image_cmd(const char *dir, char **cause);
int	 image_prewarm(const char *dir);

/* logs.c: invocation records and their logs, stored and read back. */
int	 logs_store(struct store *st, const struct fn *fn,
	     const struct invoke_result *res, char **cause);
struct logs_rec {
	long long id;		/* invocation row id: follow from the newest */
	double	 ts;		/* when it was logged, epoch s */
	char	*request_id;	/* uuid */
	char	*text;		/* its log lines, NUL-terminated */
	size_t	 len;		/* bytes of text (it may hold NULs) */
};
int	 logs_tail(struct store *st, const char *name, int tail,
	     struct logs_rec **recs, int *n, long long *last, char **cause);
int	 logs_since(struct store *st, const char *name, long long since, int max,
	     struct logs_rec **recs, int *n, char **cause);
long long logs_start_id(struct store *st, const char *name, int back);
int	 logs_fn_exists(struct store *st, const char *name);
void	 logs_recs_free(struct logs_rec *recs, int n);

/* list.c: the read side, the rows every listing shows (commands, console). */
struct list_fn {
	char	*name;		/* function name */
	char	*runtime;	/* python3 | node */
	char	*handler;	/* module.function */
	char	*driver;	/* as configured: ns | qemu | auto */
	int	 memory_mb;	/* cgroup memory limit */
	int	 timeout_s;	/* per-invocation deadline */
	int	 version;	/* configuration version */
	int	 instances;	/* its instances still alive */
	int	 invocations;	/* every invocation stored, kept rows or not */
	int	 errors;	/* of those, the ones not ok */
	double	 last_ts;	/* newest invocation, epoch s; 0 if none */
	int	 last_failed;	/* the newest invocation was not ok */
	double	 idle_s;	/* seconds since last_ts when listed; NAN if none */
};
int	 list_fns(struct store *st, struct list_fn **rows, int *n, char **cause);
void	 list_fns_free(struct list_fn *rows, int n);

struct list_fn_show {
	struct fn *fn;		/* the function's row */
	char	*code_dir;	/* its current code directory */
	int	 instances;	/* its instances still alive */
	int	 invocations;	/* every invocation stored, kept rows or not */
	int	 errors;	/* of those, the ones not ok */
};
int	 list_fn_show(struct store *st, const char *name,
	     struct list_fn_show *out, char **cause);
void	 list_fn_show_free(struct list_fn_show *s);

struct list_invocation {
	double	 ts;		/* when it was logged, epoch s */
	char	*status;	/* ok | error | timeout | crash */
	double	 duration_ms;	/* handler time */
	int	 max_mem_mb;	/* peak RSS of the runtime */
	double	 init_ms;	/* runtime init; 0 when warm */
	char	*request_id;	/* uuid */
};
int	 list_invocations(struct store *st, const char *fn, int max,
	     struct list_invocation **rows, int *n, char **cause);
void	 list_invocations_free(struct list_invocation *rows, int n);

struct list_inst {
	char	*id;		/* hex id */
	char	*driver;	/* the driver it runs under */
	char	*fn;		/* owner, NULL while in the pool */
	char	*runtime;	/* image runtime */
	char	*state;		/* the row's (starting | ready), or gone: its
				   driver sees no process, whatever the row says */
	int	 pid;		/* the machine's main process */
	int	 memory_mb;	/* current limit */
	int	 fn_version;	/* function version it is configured with */
	char	*sock;		/* agent socket */
	double	 created;	/* epoch s */
	double	 last_used;	/* epoch s */
	char	*run_dir;	/* its run directory */
	int	 known;		/* its driver is in this build */
	int	 alive;		/* its driver sees its process running */
	int	 have_stats;	/* its driver gave mem_bytes and cpu_ns */
	uint64_t mem_bytes;	/* memory in use */
	uint64_t cpu_ns;	/* CPU time used */
	char	*accel;		/* kvm, tcg; "-" for a sandbox; "" unknown */
	char	*start;		/* boot, restore, spawn; "" unknown */
	long	 start_ms;	/* how long starting took, -1 unknown */
	int	 vmm_pid;	/* QEMU's pid, 0 for a sandbox */
	char	*console;	/* console or agent log path; "" unknown */
	char	*note;		/* e.g. why a restore fell back to boot */
	char	*exit;		/* why it stopped, if it did */
	char	*owner;		/* fn, or "(pool)" while in the pool */
	double	 memory_used_mb; /* mem_bytes in MiB; NAN without have_stats */
	double	 idle_s;	/* seconds since last_used when listed */
};
int	 list_insts(struct store *st, struct list_inst **rows, int *n,
	     char **cause);
int	 list_inst_get(struct store *st, const char *id, struct list_inst *out,
	     char **cause);
void	 list_inst_free(struct list_inst *r);
void	 list_insts_free(struct list_inst *rows, int n);
char	*list_inst_fn(struct store *st, const char *id);
int	 list_inst_mem(struct store *st, const char *id, uint64_t *mem_bytes);

struct list_sock {
	char	*id;		/* instance id */
	char	*sock;		/* its agent's socket */
};
int	 list_fn_socks(struct store *st, const char *fn, struct list_sock **rows,
	     int *n);
void	 list_socks_free(struct list_sock *rows, int n);

struct list_image {
	char	*name;		/* image name */
	char	*runtime;	/* the runtime it holds */
	long long size;		/* bytes */
	double	 size_mb;	/* size in MiB */
	double	 built;		/* epoch s */
	char	*path;		/* its file */
};
int	 list_images(struct store *st, struct list_image **rows, int *n,
	     char **cause);
void	 list_images_free(struct list_image *rows, int n);

struct list_event {
	char	*id;		/* unique: "e12" an event, "i34" an invocation */
	double	 ts;		/* epoch s */
	char	*kind;		/* created, reloaded, invoked, errored, ... */
	char	*subject;	/* function name or instance id */
	char	*detail;	/* free text; may quote an instance */
};
int	 list_events(struct store *st, int max, struct list_event **rows,
	     int *n, char **cause);
int	 list_events_find(struct store *st, const char *match, int max,
	     struct list_event **rows, int *n, int *more, char **cause);
void	 list_events_free(struct list_event *rows, int n);

#define LIST_RATE_S	10	/* seconds every invocation rate is taken over */
struct list_summary {
	int	 functions;	/* functions defined */
	int	 instances;	/* live instances (no dead or gone row) */
	double	 rate;		/* invocations a second, last LIST_RATE_S */
};
int	 list_summary(struct store *st, struct list_summary *out, char **cause);

struct list_fn_stats {
	long long invocations;	/* stored, all instances, gone ones too */
	double	 rate;		/* invocations a second, last 10 s */
	double	 p50;		/* ms, of the last 200 invocations */
	double	 p99;		/* ms, of the last 200 invocations */
};
int	 list_fn_stats(struct store *st, const char *fn,
	     struct list_fn_stats *out, char **cause);
enum list_names { LIST_FN_NAMES, LIST_INST_IDS };
int	 list_env_secret(const char *key);
char	*list_env_masked(const char *env);
char	**list_names(struct store *st, enum list_names kind);

/* stream.c: a function's instances' agent streams, read without waiting. */
enum stream_kind {
	STREAM_KIND_LOGS,	/* the runtime's lines as it writes them */
	STREAM_KIND_STATS	/* a stats object a second */
};
struct stream;
struct stream *stream_open(const char *sock, enum stream_kind kind,
	     const char *id);
const char *stream_id(struct stream *s);
int	 stream_fd(struct stream *s);
int	 stream_read(struct stream *s, void (*fn)(const char *line, void *arg),
	     void *arg);
void	 stream_close(struct stream *s);
void	 stream_close_all(struct stream **streams, int n);
void	 stream_sync(struct store *st, const char *fn, enum stream_kind kind,
	     struct stream ***streams, int *n);

/*
 * machine.c: the manager's view of the machines under instances, for the
 * commands and the console that must not see vm/: where a machine keeps
 * its files, its console, and the saved machines (snapshots) of drivers
 * that can save one, all through the driver ops.
 */
/* One instance's machine, as its row and its driver know it. */
struct machine;

char	*machine_run_dir(struct store *st, const char *id);
struct machine *machine_open(struct store *st, const char *id, char **cause);
const char *machine_console(const struct machine *m);
const char *machine_console_note(const struct machine *m, int i,
	    const char **line);
int	 machine_alive(const struct machine *m);
void	 machine_close(struct machine *m);

/* A saved machine new ones restore from (`vm snapshot ls`). */
struct machine_snapshot {
	char		 name[64];	/* RUNTIME-MEMm-CPUSc */
	char		 driver[16];	/* the driver that saved it */
	char		 runtime[32];	/* the image it was booted from */
	int		 guest_mb;	/* machine memory */
	int		 vcpus;		/* virtual CPUs */
	uint64_t	 size;		/* bytes of state */
	double		 created;	/* epoch seconds */
	long		 save_ms;	/* time to save */
};
int	 machine_snapshot_list(struct machine_snapshot **list, int *count);
int	 machine_snapshot_delete(const char *name, char **cause);

#endif
