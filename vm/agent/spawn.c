/*
 * spawn.c — each runtime generation in pid and mount namespaces of its own.
 *
 * The runtime is never the agent's child.  The agent clones a small init
 * (a copy of itself) into a new pid namespace.  The init gives the
 * namespace a mount namespace of its own with a /proc that lists only the
 * generation's processes, then forks the runtime, which becomes the
 * sandbox user under the runtime's filter (confine.c) and execs.  The
 * init reaps whatever the runtime leaves behind, and when the runtime
 * exits it writes the runtime's wait status on a pipe and exits too: the
 * kernel then kills every process left in the namespace.
 *
 * The generation's /var/task is the copy its namespace took of the
 * agent's: one code version, from its start to its end.  New code
 * replaces the agent's /var/task in a way that reaches no generation
 * already running (vm/ns.c, code.c), so a hot reload shows at the next
 * generation, which runtime.c starts once the invocation in flight is
 * done.  The namespace is a slave of the agent's only so that a pool
 * sandbox's first code reaches a runtime prewarmed before it had any.
 * A generation also holds a shared flock on the directory at its
 * /var/task for as long as it lives: in an ns sandbox that is the host's
 * version directory, which the host removes only once it can lock it
 * exclusively (src/core/inst.c), so nothing removes code that runs.
 *
 * The runtime's stdout and stderr are one pipe, as a terminal is one
 * device: the kernel keeps the order in which the runtime wrote to
 * either, which two pipes read in turns cannot (Lambda, too, keeps one
 * stream of both, in write order): struct spawn's out_fd.
 *
 * So ending a generation is killing its init — at a deadline, on a hot
 * reload, at shutdown — and that ends every process its code started,
 * setsid daemons included: nothing of old code outlives a reload to take
 * the next event or the new secrets.
 */
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

/* In the runtime's process: stdio, a fresh signal state, confine, exec. */
static void __attribute__((noreturn))
spawn_exec(char **argv, char **env, int out)
{
	sigset_t	none;
	int		fd;

	setpgid(0, 0);
	/* The OOM killer should take the runtime, never the agent. */
	if ((fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)) != -1) {
		ssize_t w = write(fd, "1000", 4);

		(void)w;
		close(fd);
	}
	if ((fd = open("/dev/null", O_RDONLY)) != -1 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	if (dup2(out, 1) == -1 || dup2(out, 2) == -1)
		_exit(127);
	syscall(SYS_close_range, 3, ~0U, 0);
	/* exec resets handlers, not what is ignored: the agent ignores SIGPIPE. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	umask(022);		/* whatever the host's was, a runtime's usual one */
	confine_runtime();
	if (chdir("/var/task") == -1 && chdir("/") == -1)
		_exit(127);
	execve(argv[0], argv, env);
	dprintf(2, "hearth-agent: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Close every descriptor but the n in keep. */
static void
spawn_close_except(int *keep, int n)
{
	int	i, j, t, from = 0;

	for (i = 0; i < n; i++)		/* a handful: insertion sort */
		for (j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		if (keep[i] > from)
			syscall(SYS_close_range, from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}

/*
 * A shared flock on the code at /var/task, or -1 if none is mounted there
 * (a pool sandbox's, before it has any).  Never waits: the host locks a
 * version exclusively only once nothing can start on it.  The descriptor
 * is close-on-exec and the lock lasts until it is closed.
 */
static int
spawn_lock_code(void)
{
	struct statx	stx;
	int		fd;

	if (statx(AT_FDCWD, "/var/task", AT_SYMLINK_NOFOLLOW, 0, &stx) == -1 ||
	    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) == 0)
		return -1;
	if ((fd = open("/var/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The generation's init: PID 1 of its namespace.  Makes the mount
 * namespace and /proc, starts the runtime, reaps until it exits, reports
 * its status on status and exits.
 */
static void __attribute__((noreturn))
spawn_init(char **argv, char **env, const int out[2], int status)
{
	pid_t	rt, pid;
	int	st, keep[] = { 0, 1, 2, out[1], status };

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Hold nothing of the agent's: its sockets, its pipes to other runs. */
	spawn_close_except(keep, sizeof keep / sizeof keep[0]);
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == -1 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL) == -1) {
		dprintf(out[1], "hearth-agent: runtime namespaces: %s\n",
		    strerror(errno));
		_exit(127);
	}
	/* Held until this init exits: the generation's claim on its code. */
	(void)spawn_lock_code();
	if ((rt = fork()) == -1) {
		dprintf(out[1], "hearth-agent: fork: %s\n", strerror(errno));
		_exit(127);
	}
	if (rt == 0) {
		close(status);
		spawn_exec(argv, env, out[1]);
	}
	close(out[1]);
	for (;;) {
		if ((pid = waitpid(-1, &st, 0)) == -1) {
			if (errno == EINTR)
				continue;
			_exit(127);
		}
		if (pid == rt) {
			if (write(status, &st, sizeof st) != sizeof st)
				_exit(127);
			_exit(0);
		}
	}
}

/*
 * Start a runtime generation running argv with environment env.  Fills
 * *sp (the init's pid and the runtime's output pipe, stdout and stderr
 * both); 0, or -1 with errno set.
 */
int
spawn_runtime(struct spawn *sp, char **argv, char **env)
{
	int	out[2] = { -1, -1 }, status[2] = { -1, -1 };
	int	saved;
	pid_t	pid;

	memset(sp, 0, sizeof *sp);
	sp->out_fd = sp->status_fd = sp->code_fd = -1;
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(status, O_CLOEXEC) == -1)
		goto fail;
	/* A fork whose child is PID 1 of a new pid namespace. */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL,
	    NULL);
	if (pid == -1)
		goto fail;
	if (pid == 0) {
		close(out[0]);
		close(status[0]);
		spawn_init(argv, env, out, status[1]);
	}
	close(out[1]);
	close(status[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	sp->init = pid;
	sp->out_fd = out[0];	/* stderr too */
	sp->status_fd = status[0];
	return 0;
fail:
	saved = errno;
	close(out[0]);
	close(out[1]);
	close(status[0]);
	close(status[1]);
	errno = saved;
	return -1;
}

/*
 * The runtime's pid as the agent sees it (for its memory and CPU): the
 * init's only child, once it has one; 0 until then.
 */
pid_t
spawn_runtime_pid(struct spawn *sp)
{
	char	path[64], buf[64];
	ssize_t	n;
	int	fd;

	if (sp->runtime != 0 || sp->init <= 0)
		return sp->runtime;
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)sp->init,
	    (int)sp->init);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	sp->runtime = (pid_t)strtol(buf, NULL, 10);
	return sp->runtime;
}

/*
 * The generation's init exited with init_status: return the runtime's
 * wait status (the init's own when it was killed before reporting), and
 * release the generation's descriptors except the output pipes, which
 * the caller drains and closes.
 */
int
spawn_reaped(struct spawn *sp, int init_status)
{
	int	st = init_status;

	if (sp->status_fd != -1) {
		if (read(sp->status_fd, &st, sizeof st) != sizeof st)
			st = init_status;
		close(sp->status_fd);
		sp->status_fd = -1;
	}
	if (sp->code_fd != -1) {
		close(sp->code_fd);
		sp->code_fd = -1;
	}
	sp->init = 0;
	sp->runtime = 0;
	return st;
}

/*
 * A prewarmed generation started before there was code; its first code
 * reached it just now, before the configuration that comes with it.
 * Hold that code for it, from the agent, as its init holds a normal
 * generation's: the agent's /var/task shows the same version until the
 * host sends new code, which it does only after this configuration.
 */
void
spawn_hold_code(struct spawn *sp)
{
	if (sp->init > 0 && sp->code_fd == -1)
		sp->code_fd = spawn_lock_code();
}
