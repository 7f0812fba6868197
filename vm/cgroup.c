/*
 * cgroup.c — resource limits for a machine's processes.
 *
 * Each instance gets a cgroup named hearth/<id>.  With a cgroup v2 tree
 * whose root offers the memory, pids and cpu controllers, that is one
 * directory; on hybrid hosts (this project's machines) the v2 mount has no
 * controllers, so the v1 hierarchies memory/, pids/, cpu/ and cpuacct/ each
 * get a hearth/<id> directory.  Processes join by writing "0" (themselves)
 * to cgroup.procs before they create the sandbox, so everything the
 * sandbox ever runs is inside from the start.  The CPU quota uses a 10 ms
 * period rather than the default 100 ms, so a throttled burst waits at
 * most 10 ms, not 100.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"

#define CG_ROOT "/sys/fs/cgroup"

static const char *cg_v1[] = { "memory", "pids", "cpu", "cpuacct", NULL };
static int cg_version;	/* 1 or 2, once probed */

static int
cg_probe(void)
{
	struct buf	 b = { 0 };
	char		*cause = NULL;

	if (cg_version != 0)
		return cg_version;
	cg_version = 1;
	if (util_read_file(CG_ROOT "/cgroup.controllers", &b, 4096, &cause) == 0) {
		if (strstr(b.data, "memory") != NULL && strstr(b.data, "pids") != NULL)
			cg_version = 2;
	} else
		free(cause);
	buf_free(&b);
	return cg_version;
}

const char *
cgroup_mode(void)
{
	return cg_probe() == 2 ? "v2" : "v1";
}

static int
cg_write(const char *dir, const char *file, const char *val)
{
	char	*path = xasprintf("%s/%s", dir, file);
	int	 fd, rc = -1, saved;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) != -1) {
		if (write(fd, val, strlen(val)) == (ssize_t)strlen(val))
			rc = 0;
		saved = errno;
		close(fd);
		errno = saved;
	}
	free(path);
	return rc;
}

static long long
cg_read_ll(const char *dir, const char *file)
{
	struct buf	 b = { 0 };
	char		*path = xasprintf("%s/%s", dir, file), *cause = NULL;
	long long	 v = -1;

	if (util_read_file(path, &b, 65536, &cause) == 0)
		v = strtoll(b.data, NULL, 10);
	else
		free(cause);
	buf_free(&b);
	free(path);
	return v;
}

/* Read "key N" from a flat keyed file such as memory.events. */
static long long
cg_read_key(const char *dir, const char *file, const char *key)
{
	struct buf	 b = { 0 };
	char		*path = xasprintf("%s/%s", dir, file), *cause = NULL, *p;
	long long	 v = 0;
	size_t		 n = strlen(key);

	if (util_read_file(path, &b, 65536, &cause) == 0) {
		for (p = b.data; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (strncmp(p, key, n) == 0 && p[n] == ' ')
				v = strtoll(p + n + 1, NULL, 10);
	} else
		free(cause);
	buf_free(&b);
	free(path);
	return v;
}

static char *
cg_dir(const char *ctl, const char *id)
{
	if (ctl == NULL)
		ctl = "memory";
	if (cg_probe() == 2)
		return id != NULL ? xasprintf(CG_ROOT "/hearth/%s", id) :
		    xstrdup(CG_ROOT "/hearth");
	return id != NULL ? xasprintf(CG_ROOT "/%s/hearth/%s", ctl, id) :
	    xasprintf(CG_ROOT "/%s/hearth", ctl);
}

static int
cg_memory(const char *dir, int mb, int v2)
{
	char	val[32];

	snprintf(val, sizeof val, "%lld", (long long)mb * 1024 * 1024);
	if (v2) {
		if (cg_write(dir, "memory.max", val) != 0)
			return -1;
		cg_write(dir, "memory.swap.max", "0");	/* absent without swap */
		return 0;
	}
	/*
	 * v1 charges socket buffers to a memory cgroup only once it has a
	 * TCP limit: without one a sandbox could pin the host's TCP memory
	 * unseen (v2 charges them with the rest).  UDP buffers v1 never
	 * charges; the sandbox's descriptor limit bounds them (ns.c).
	 */
	cg_write(dir, "memory.kmem.tcp.limit_in_bytes", val);
	/* memsw must stay >= the limit: order the two writes by direction. */
	if (cg_write(dir, "memory.limit_in_bytes", val) == 0) {
		cg_write(dir, "memory.memsw.limit_in_bytes", val);
		return 0;
	}
	if (cg_write(dir, "memory.memsw.limit_in_bytes", val) == 0 &&
	    cg_write(dir, "memory.limit_in_bytes", val) == 0)
		return 0;
	return -1;
}

/* Create hearth/<id> with the given limits; -1 with *cause on failure. */
int
cgroup_create(const char *id, int memory_mb, int cpu_milli, int pids_max,
    char **cause)
{
	char	*dir, val[64];
	int	 i;

	if (cg_probe() == 2) {
		cg_write(CG_ROOT, "cgroup.subtree_control", "+memory +pids +cpu");
		dir = cg_dir(NULL, NULL);
		mkdir(dir, 0755);
		cg_write(dir, "cgroup.subtree_control", "+memory +pids +cpu");
		free(dir);
		dir = cg_dir(NULL, id);
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			goto fail;
		if (cg_memory(dir, memory_mb, 1) != 0)
			goto fail;
		snprintf(val, sizeof val, "%d", pids_max);
		if (cg_write(dir, "pids.max", val) != 0)
			goto fail;
		snprintf(val, sizeof val, "%d 10000", cpu_milli * 10);
		cg_write(dir, "cpu.max", val);
		free(dir);
		return 0;
	}
	for (i = 0; cg_v1[i] != NULL; i++) {
		char *parent = cg_dir(cg_v1[i], NULL);

		mkdir(parent, 0755);
		free(parent);
		dir = cg_dir(cg_v1[i], id);
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			goto fail;
		if (strcmp(cg_v1[i], "memory") == 0 &&
		    cg_memory(dir, memory_mb, 0) != 0)
			goto fail;
		if (strcmp(cg_v1[i], "pids") == 0) {
			snprintf(val, sizeof val, "%d", pids_max);
			if (cg_write(dir, "pids.max", val) != 0)
				goto fail;
		}
		if (strcmp(cg_v1[i], "cpu") == 0) {
			cg_write(dir, "cpu.cfs_period_us", "10000");
			snprintf(val, sizeof val, "%d", cpu_milli * 10);
			cg_write(dir, "cpu.cfs_quota_us", val);
		}
		free(dir);
	}
	return 0;
fail:
	*cause = xasprintf("cgroup %s: %s", dir, strerror(errno));
	free(dir);
	cgroup_destroy(id);
	return -1;
}

/* Move the calling process into hearth/<id>. */
int
cgroup_join(const char *id)
{
	char	*dir;
	int	 i, rc = 0;

	if (cg_probe() == 2) {
		dir = cg_dir(NULL, id);
		rc = cg_write(dir, "cgroup.procs", "0");
		free(dir);
		return rc;
	}
	for (i = 0; cg_v1[i] != NULL; i++) {
		dir = cg_dir(cg_v1[i], id);
		if (cg_write(dir, "cgroup.procs", "0") != 0)
			rc = -1;
		free(dir);
	}
	return rc;
}

int
cgroup_set_memory(const char *id, int memory_mb, char **cause)
{
	char	*dir = cg_dir("memory", id);
	int	 rc = cg_memory(dir, memory_mb, cg_probe() == 2);

	if (rc != 0)
		*cause = xasprintf("cgroup %s: %s", dir, strerror(errno));
	free(dir);
	return rc;
}

int
cgroup_stats(const char *id, struct vm_stats *st)
{
	char		*dir;
	long long	 v;

	memset(st, 0, sizeof *st);
	if (cg_probe() == 2) {
		dir = cg_dir(NULL, id);
		if ((v = cg_read_ll(dir, "memory.current")) < 0) {
			free(dir);
			return -1;
		}
		st->mem_bytes = v;
		v = cg_read_ll(dir, "memory.peak");
		st->mem_peak = v > 0 ? (uint64_t)v : st->mem_bytes;
		st->oom_kills = cg_read_key(dir, "memory.events", "oom_kill");
		st->pids = (int)cg_read_ll(dir, "pids.current");
		st->cpu_ns = cg_read_key(dir, "cpu.stat", "usage_usec") * 1000;
		free(dir);
		return 0;
	}
	dir = cg_dir("memory", id);
	if ((v = cg_read_ll(dir, "memory.usage_in_bytes")) < 0) {
		free(dir);
		return -1;
	}
	st->mem_bytes = v;
	st->mem_peak = cg_read_ll(dir, "memory.max_usage_in_bytes");
	st->oom_kills = cg_read_key(dir, "memory.oom_control", "oom_kill");
	free(dir);
	dir = cg_dir("pids", id);
	st->pids = (int)cg_read_ll(dir, "pids.current");
	free(dir);
	dir = cg_dir("cpuacct", id);
	v = cg_read_ll(dir, "cpuacct.usage");
	st->cpu_ns = v > 0 ? (uint64_t)v : 0;
	free(dir);
	return 0;
}

/* Is pid a member of hearth/<id>?  Guards against a recycled pid. */
int
cgroup_contains(const char *id, pid_t pid)
{
	struct buf	 b = { 0 };
	char		*path = xasprintf("/proc/%d/cgroup", (int)pid), *cause = NULL;
	char		*needle = xasprintf("/hearth/%s\n", id);
	int		 found = 0;

	if (util_read_file(path, &b, 65536, &cause) == 0)
		found = strstr(b.data, needle) != NULL;
	else
		free(cause);
	buf_free(&b);
	free(path);
	free(needle);
	return found;
}

/* Remove hearth/<id>, waiting briefly for exiting processes to leave. */
/*
 * Is pid alive and still in id's cgroup?  A pid alone could have been
 * reused by the time a later hearth looks; an exited process has left
 * its cgroup even while it waits to be reaped.
 */
int
cgroup_runs(const char *id, pid_t pid)
{
	return pid > 0 && kill(pid, 0) == 0 && cgroup_contains(id, pid);
}

/* The pids in id's cgroup (*out malloc'd); their number. */
int
cgroup_pids(const char *id, pid_t **out)
{
	struct buf	 b = { 0 };
	char		*dir, *path, *cause = NULL, *p;
	long		 pid;
	int		 n = 0;

	*out = NULL;
	dir = cg_dir(cg_probe() == 2 ? NULL : "pids", id);
	path = xasprintf("%s/cgroup.procs", dir);
	if (util_read_file(path, &b, 1 << 20, &cause) == 0) {
		for (p = b.data; *p != '\0'; p += strcspn(p, "\n") +
		    (p[strcspn(p, "\n")] != '\0')) {
			if ((pid = strtol(p, NULL, 10)) <= 1)
				continue;
			*out = xrealloc(*out, sizeof **out * (n + 1));
			(*out)[n++] = (pid_t)pid;
		}
	} else
		free(cause);
	buf_free(&b);
	free(path);
	free(dir);
	return n;
}

/*
 * A pidfd for pid, if pid is a process in id's cgroup; -1 otherwise.  The
 * check comes after the pidfd is taken, so a pid that was reused since a
 * row or a listing named it cannot pass (a process found in the cgroup
 * under that pid is this instance's), and the pidfd keeps meaning that
 * process: what is done through it never reaches another.
 */
int
cgroup_pidfd(const char *id, pid_t pid)
{
	int	fd;

	if (pid <= 0 || (fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		return -1;
	if (!cgroup_contains(id, pid)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send sig to pid if it is a process of id's cgroup; 0 if it was sent. */
int
cgroup_signal(const char *id, pid_t pid, int sig)
{
	int	fd, rc;

	if ((fd = cgroup_pidfd(id, pid)) == -1)
		return -1;
	rc = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
	close(fd);
	return rc == 0 ? 0 : -1;
}

/*
 * SIGKILL every process in id's cgroup (QEMU and its shim, say) until it
 * is empty: a process caught forking (a sandbox's middle process, say)
 * may add one after the list was read.  Waits up to about two seconds.
 */
void
cgroup_kill(const char *id)
{
	struct timespec	 ts = { 0, 2 * 1000 * 1000 };
	pid_t		*pids;
	int		 i, n, try;

	for (try = 0; try < 1000; try++) {
		if ((n = cgroup_pids(id, &pids)) == 0)
			break;
		for (i = 0; i < n; i++)
			cgroup_signal(id, pids[i], SIGKILL);
		free(pids);
		nanosleep(&ts, NULL);
	}
}

/*
 * Remove hearth/<id> (every controller's), waiting briefly for exiting
 * processes to leave.  -1 with errno if one is still there.
 */
int
cgroup_destroy(const char *id)
{
	struct timespec	 ts = { 0, 2 * 1000 * 1000 };
	char		*dir;
	int		 i, try, rc = 0, err = 0;

	for (i = 0; cg_probe() == 2 ? i < 1 : cg_v1[i] != NULL; i++) {
		dir = cg_dir(cg_probe() == 2 ? NULL : cg_v1[i], id);
		for (try = 0; try < 250; try++) {
			if (rmdir(dir) == 0 || errno == ENOENT)
				break;
			err = errno;
			nanosleep(&ts, NULL);
		}
		if (try == 250)
			rc = -1;
		free(dir);
	}
	errno = err;
	return rc;
}
