/*
 * vm.h — the VM manager's interface: one ops table per driver.
 *
 * A driver knows how to create an isolated machine running hearth-agent
 * over a root filesystem, give it code, resize it, observe it and destroy
 * it.  It hands back a channel to the agent (for ns: a unix socket path).
 * Everything above vm/ is the same whichever driver runs an instance:
 * what differs (settings, whether it is fast here, how long a start may
 * take, snapshots) is asked of the ops table, never of a driver's name.
 *
 * vm/ depends on util.h and proto.h alone.  What it needs of the manager
 * (the state directory, the installed files, setting values) is lent
 * once through vm_setup.
 */
#ifndef HEARTH_VM_H
#define HEARTH_VM_H

#include <sys/types.h>

#include <stdint.h>

#define VM_ID_LEN	13		/* 12 hex digits and a NUL */

struct vm_spec {
	const char	*id;		/* instance id, VM_ID_LEN-1 hex digits */
	const char	*run_dir;	/* per-instance host directory */
	const char	*image;		/* image name (runtime) */
	const char	*rootfs;	/* image root, mounted read-only */
	const char	*code_dir;	/* host code for /var/task, or NULL */
	const char	*hostname;	/* uts name */
	char *const	*cmd;		/* runtime command inside the image */
	int		 memory_mb;	/* memory limit */
	int		 cpu_milli;	/* CPU quota in thousandths of a core */
	int		 pids_max;	/* process/thread limit */
	int		 tmp_mb;	/* size of /tmp */
	int		 idle_ttl_s;	/* agent exits after this idle; 0 never */
	int		 prewarm;	/* start the runtime before its config */
	int		 prewarm_able;	/* the image's runtime can prewarm */
	const char	*config;	/* runtime environment at birth, or NULL */
};

struct vm_stats {
	uint64_t	 mem_bytes;	/* current usage */
	uint64_t	 mem_peak;	/* peak usage */
	uint64_t	 oom_kills;	/* times the OOM killer fired */
	uint64_t	 cpu_ns;	/* CPU time used */
	int		 pids;		/* processes now */
};

/* What `vm ls` and `vm inspect` show of a machine beyond its row. */
struct vm_info {
	char		 accel[8];	/* kvm, tcg; "-" for a sandbox */
	char		 start[16];	/* boot, restore, spawn */
	long		 start_ms;	/* how long that took, -1 unknown */
	pid_t		 vmm_pid;	/* QEMU's pid, 0 for a sandbox */
	char		 console[512];	/* the machine's console or agent log */
	char		 note[256];	/* e.g. why a restore fell back to boot */
	char		 exit[128];	/* why it stopped, if it did */
};

/*
 * What the manager hands vm/ once (vm_setup), so that no driver reads the
 * store or the config file: where the state lives, where hearth's files
 * are installed, and the value of a setting.
 */
struct vm_host {
	const char	*(*home)(void);	/* the state directory ($HEARTH_HOME) */
	const char	*lib_dir;	/* hearth-agent, hearth-shim, images/ */
	const char	*(*setting)(const char *key);	/* a setting's value */
};

/*
 * A setting a driver reads (e.g. qemu.binary).  The manager lists it in
 * its settings table: `config ls` shows it, `config set` checks it, and
 * vm_setting reads it back through the host.
 */
struct vm_setting {
	const char	*key;		/* "DRIVER.NAME" */
	const char	*env;		/* environment variable that wins, or NULL */
	const char	*def;		/* default; NULL: default_fn computes it */
	const char	*(*default_fn)(void);	/* a default that depends on the host */
	const char	*help;		/* one line for `config ls` */
	int		(*check)(const char *value, char **cause);	/* -1 if bad */
};

/* What `vm snapshot ls` shows of one saved machine. */
struct vm_snapshot {
	char		 name[64];	/* RUNTIME-MEMm-CPUSc */
	char		 runtime[32];	/* the image it was booted from */
	int		 guest_mb;	/* VM memory */
	int		 vcpus;		/* virtual CPUs */
	uint64_t	 size;		/* bytes of state */
	double		 created;	/* epoch seconds */
	long		 save_ms;	/* time to save */
};

struct vm_driver {
	const char	*name;		/* "ns", "qemu": what functions choose */
	const char	*noun;		/* one machine, in events: "sandbox" */
	int		 strength;	/* isolation rank: auto takes the strongest fast one */
	const struct vm_setting *settings;	/* NULL-key terminated, or NULL */
	/* Does it run fast on this host (auto considers only those)? */
	int	(*fast)(void);
	/* Seconds a start may take, saving included, before it is given up. */
	int	(*start_max_s)(void);
	/* Start a machine; fills *pid and sock (agent channel). */
	int	(*create)(const struct vm_spec *spec, pid_t *pid, char *sock,
		    size_t socklen, char **cause);
	/* Replace what /var/task shows with code_dir (read-only). */
	int	(*set_code)(const char *id, pid_t pid, const char *sock,
		    const char *code_dir, char **cause);
	/* Change the memory limit of a running machine. */
	int	(*set_memory)(const char *id, int memory_mb, char **cause);
	/* Is this machine still running as pid? */
	int	(*alive)(const char *id, pid_t pid);
	/* Its memory, CPU and process use now. */
	int	(*stats)(const char *id, struct vm_stats *st);
	/* Describe the machine with this id and run directory. */
	void	(*info)(const char *id, const char *run_dir, struct vm_info *vi);
	/* Stop it and release everything it holds on the host. */
	int	(*destroy)(const char *id, pid_t pid, const char *run_dir,
		    char **cause);
	/* Saved machines new ones start from; NULL when it cannot snapshot. */
	int	(*snapshot_list)(struct vm_snapshot **list, int *count);
	/* Remove one saved machine by name; NULL as snapshot_list. */
	int	(*snapshot_delete)(const char *name, char **cause);
	/*
	 * Lines its machines' consoles show that look alarming and are
	 * not, each followed by why (NULL-terminated pairs; NULL if none):
	 * `vm console` explains each once.
	 */
	const char *const *console_notes;
};

/* vm.c: the registry, the host, notices. */
void	 vm_setup(const struct vm_host *host);
const struct vm_driver *vm_driver_find(const char *name);
const struct vm_driver *vm_driver_at(int i);
const char *vm_driver_auto(void);
int	 vm_driver_valid(const char *name);
char	*vm_driver_choices(void);
int	 vm_start_max_s(void);
const char *vm_home(void);
const char *vm_lib_dir(void);
const char *vm_setting(const char *key);
int	 vm_check_path(const char *value, char **cause);
int	 vm_check_seconds(const char *value, char **cause);
void	 vm_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 vm_test_pause(const char *step);
char	*vm_notice_take(void);

/* accel.c: "kvm" when hardware virtualization is here and fast, else "tcg". */
const char *accel_choose(const char **why);

/* bundle.c: a code directory as a PUT /code body. */
struct buf;
int	 bundle_build(const char *dir, struct buf *b, char **cause);

/* cgroup.c: limits for a machine's processes (v2, or v1 controllers). */
int	 cgroup_create(const char *id, int memory_mb, int cpu_milli,
	    int pids_max, char **cause);
int	 cgroup_join(const char *id);
int	 cgroup_set_memory(const char *id, int memory_mb, char **cause);
int	 cgroup_stats(const char *id, struct vm_stats *st);
int	 cgroup_contains(const char *id, pid_t pid);
int	 cgroup_pidfd(const char *id, pid_t pid);
int	 cgroup_signal(const char *id, pid_t pid, int sig);
void	 cgroup_kill(const char *id);
int	 cgroup_runs(const char *id, pid_t pid);
int	 cgroup_pids(const char *id, pid_t **out);
int	 cgroup_destroy(const char *id);
const char *cgroup_mode(void);

/* agent-client.c: the host side of proto.h, over libcurl. */
struct agent_reply {
	int	 http;		/* HTTP status, 0 if no answer */
	char	 status[16];	/* X-Hearth-Status */
	char	 detail[128];	/* X-Hearth-Detail */
	size_t	 log_len;	/* X-Hearth-Log-Length */
	uint64_t duration_us;	/* X-Hearth-Duration-Us */
	uint64_t init_us;	/* X-Hearth-Init-Us */
	long	 max_rss_kb;	/* X-Hearth-Max-Rss-Kb */
	char	*body;		/* reply body, NUL-terminated */
	size_t	 body_len;	/* bytes of body */
};
/* agent_request's failures; its comment gives the delivery rules. */
#define AGENT_NOT_SENT	(-1)	/* not one byte answered: not taken */
#define AGENT_NO_ANSWER	(-2)	/* taken (maybe run), not answered */
#define AGENT_OVER_CAP	(-3)	/* the reply broke a cap: the agent is hostile */
#define AGENT_INTERRUPTED (-4)	/* Ctrl-C (util_interrupted): maybe taken */
struct agent_conn;
struct agent_conn *agent_connect(const char *sock);
struct agent_conn *agent_connect_fd(int fd);
void	 agent_close(struct agent_conn *c);
int	 agent_request(struct agent_conn *c, const char *method,
	    const char *path, const void *body, size_t len, const char *reqid,
	    long timeout_ms, long wait_ms, struct agent_reply *r, char **cause);
void	 agent_reply_free(struct agent_reply *r);
int	 agent_wait_ready(struct agent_conn *c, long wait_ms, char **cause);
int	 agent_configure(struct agent_conn *c, const char *who,
	     const char *config, size_t len, char **cause);

/* agent-stream.c: a chunked NDJSON stream from an agent, decoded with caps. */
struct agent_stream;
struct agent_stream *agent_stream_new(void (*cb)(const char *, size_t, void *),
	    void *arg);
size_t	 agent_stream_room(struct agent_stream *s);
int	 agent_stream_feed(struct agent_stream *s, const void *data, size_t n,
	    char **cause);
void	 agent_stream_free(struct agent_stream *s);
int	 agent_stream_connect(const char *sock, const char *path, char **cause);
int	 agent_stream_read(struct agent_stream *s, int fd, char **cause);

#endif
