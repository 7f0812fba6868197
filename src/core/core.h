/*
 * core.h — the manager: functions, instances, the pool, invocation, logs,
 * events and settings, kept in SQLite (store.c) and run through vm/.  It
 * never prints and knows nothing of commands or terminals; a failure an
 * operator must see comes back as a cause string.
 */
#ifndef HEARTH_CORE_H
#define HEARTH_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct store;

/* store.c: opening the state under $HEARTH_HOME. */
struct store *store_open(const char *, char **);
void	 store_close(struct store *);
const char *store_home_default(void);
char	*store_home_check(const char *, char **);
const char *store_home(char **);

/* config.c: `set KEY VALUE` settings in the config file. */
char	*config_path(void);
int	 config_load(char **);
const char *config_get(const char *);
const char *config_get_from(const char *, const char **);
const char *config_key(int, const char **);
int	 config_check(const char *, const char *, char **);
int	 config_write(const char *, const char *, char **);
void	 config_reset(void);

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
int	 fn_valid_runtime(const char *runtime, char **cause);
int	 fn_valid_driver(const char *, char **);
const char *fn_driver(const char *);
int	 fn_valid_handler(const char *runtime, const char *handler, char **cause);
int	 fn_valid_env_name(const char *key, char **cause);
int	 fn_valid_env_value(const char *value, char **cause);
int	 fn_env_merge(const char *env, char *const *set, char *const *unset,
	     char **merged, char **cause);
struct fn *fn_load(struct store *st, const char *name, char **cause);
void	 fn_free(struct fn *fn);
char	*fn_code_dir(struct store *st, const char *name, int code_version);
int	 fn_check_handler_file(const char *, const char *, const char *, char **);
int	 fn_create(struct store *st, const struct fn_spec *spec, struct fn **fnp,
	     char **cause);
int	 fn_update(struct store *st, const struct fn_spec *spec, struct fn **fnp,
	     char **cause);
int	 fn_delete(struct store *st, const char *name, char **cause);

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
void	 inst_set_pool_size(int n);
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

#endif
