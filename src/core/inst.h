/*
 * inst.h — the instance manager's inside, private to src/core/: instance
 * rows and their lifecycle (inst.c), the agent connections this process
 * keeps (conn.c), the shapes Lambda gives a runtime's environment and its
 * errors (lambda.c), the pool (pool.c) and one invocation (invoke.c).
 * Front ends see none of it: they call the inst_* functions in core.h.
 */
#ifndef HEARTH_INST_H
#define HEARTH_INST_H

#include <sys/types.h>

#include "store.h"
#include "vm.h"

struct buf;

/* inst.c: an instance is one row of the instances table and its VM. */
struct inst {
	char	 id[VM_ID_LEN];	/* hex id */
	char	*fn;		/* owner, NULL in the pool */
	char	*runtime;	/* image runtime */
	char	*driver;	/* vm driver name */
	char	 state[16];	/* a state of inst.c's inst_states table */
	pid_t	 pid;		/* VM's main process, 0 before it has one */
	char	*sock;		/* agent channel */
	int	 memory_mb;	/* current limit */
	int	 fn_version;	/* configuration it runs */
	int	 code_version;	/* code it shows at /var/task */
	double	 created;	/* epoch seconds */
	double	 last_used;	/* as read from the store */
	int	 owner_fd;	/* its owner file, locked, while this process
				   holds it 'starting'; else -1 */
};
/* What inst_from_row reads, in its order: SELECT or RETURNING these. */
#define INST_COLUMNS "id, fn, runtime, driver, state, pid, sock, " \
	"memory_mb, fn_version, code_version, created, last_used"
#define INST_POOL_MEMORY	128	/* a pool instance's limit until claimed */
struct inst *inst_from_row(sqlite3_stmt *stmt);
int	 inst_idle_ttl(void);
long long inst_memory_budget_mb(void);
int	 inst_over_budget(struct store *st, int memory_mb);
char	*inst_throttled(struct store *st, int memory_mb);
void	 inst_scale_down(struct store *st, const char *name);
int	 inst_rows(sqlite3_stmt *stmt, struct inst ***listp);
void	 inst_free(struct inst *in);
void	 inst_free_rows(struct inst **list, int n);
char	*inst_run_dir(struct store *st, const char *id);
struct inst *inst_spawn(struct store *st, const char *runtime,
	    const char *driver, struct fn *fn, char **cause);
int	 inst_bring_current(struct store *st, struct inst *in, struct fn *fn,
	    int write_row, char **cause);
void	 inst_update_row(struct store *st, struct inst *in);
void	 inst_mark_ready(struct store *st, struct inst *in);
int	 inst_kill(struct store *st, struct inst *in);
int	 inst_kill_why(struct store *st, struct inst *in, const char *why);
int	 inst_owner_take(struct store *st, const char *id);
void	 inst_owner_set(struct inst *in, int fd);
void	 inst_owner_drop(struct inst *in);
void	 inst_gc_due(struct store *st, int cold);

/*
 * conn.c: agent connections kept for this process.
 */
struct agent_conn *conn_get(const char *sock);
void	 conn_drop(const char *sock);

/* lambda.c: what a runtime sees, and what a failure looks like, on Lambda. */
#define LAMBDA_TMP_MB		512	/* size of /tmp */
#define LAMBDA_INIT_BUDGET_MS	10000	/* runtime init */
void	 lambda_env(const struct fn *fn, const char *id, struct buf *b);
int	 lambda_cpu_milli(int memory_mb);
void	 lambda_request_id(char *out);
char	*lambda_error(const char *type, const char *message, size_t *lenp);
char	*lambda_oom_error(const char *request_id, int memory_mb, size_t *lenp);

/* pool.c: pre-started instances that belong to no function yet. */
struct inst *pool_claim(struct store *st, const struct fn *fn,
	    const char *driver);
void	 pool_refill_async(const char *runtime, const char *driver);

#endif
