/*
 * ns.c — the ns driver: a sandbox made of Linux namespaces and cgroups.
 *
 * Creating a sandbox takes three processes.  The caller forks a short-lived
 * middle process that joins the instance's cgroups and unshares the mount,
 * uts, ipc, net and pid namespaces, then forks the sandbox's PID 1 and
 * exits, so the sandbox is reparented away from the caller: it outlives
 * the hearth process that started it and never becomes its zombie.  PID 1
 * mounts the image read-only as its root (proc, a size-limited /tmp, a
 * minimal /dev, the code read-only at /var/task), pivots into it, brings up
 * loopback and execs hearth-agent — from an fd opened before the pivot, so
 * the agent binary never appears inside.
 *
 * No two sandboxes share a host uid.  PID 1 ends its setup by entering a
 * user namespace of its own, which the middle process maps: uid 0 inside
 * (the agent) to PROTO_HOST_UID_BASE + 2P and uid 1051 (the runtime) to
 * the next, P being PID 1's host pid (proto.h says why that is unique).
 * Every other namespace was made before it and belongs to the host's user
 * namespace, so the agent's capabilities — only setuid, setgid, and
 * CAP_SYS_ADMIN, which it needs to give each runtime generation pid and
 * mount namespaces of its own, and CAP_SETPCAP to empty the runtime's
 * bounding set — reach nothing the host made: not the mounts, the
 * network, the hostname.  Its cgroup namespace hides where in the host's
 * hierarchy it lives.  The runtime itself runs with none
 * (vm/agent/confine.c).
 *
 * The agent's host socket is bound and listening before the fork and
 * passed as fd 3, so the host can connect at once and the socket file only
 * exists on the host side; its configuration at birth comes on fd 4, not
 * in its environment.  Its stdout and stderr are RUN_DIR/agent.log, which
 * only the agent writes to, and boundedly: no process of the function can
 * reach the agent's descriptors.  A setup failure in PID 1 is written to a
 * close-on-exec pipe; EOF on that pipe means the exec succeeded.
 *
 * New code reaches a running sandbox through the new mount API: the host
 * clones a read-only mount of the code directory (never recursively, never
 * through a symlink) and enters the sandbox's mount namespace with it.
 * What a runtime generation sees at /var/task is a copy of what the
 * agent's namespace showed when the generation started (vm/agent/spawn.c),
 * and no later change may reach it: an invocation in flight keeps its
 * version's files to the end, and the next generation gets the new ones.
 * So /var/task holds two mounts, both private: a holder, a bind of the
 * image's own empty /var/task, and on it the current version.  New code
 * slides beneath the current one, onto the holder, and the current one is
 * then detached: no moment shows none, and a mount made on a private one
 * propagates nowhere.  (The holder, not a code version, is what the code
 * sits on because removing a directory detaches whatever is mounted on
 * it, in every namespace.)  The one exception is a pool sandbox's first
 * code: its holder and code go onto the (shared) root, so that they reach
 * a runtime prewarmed before there was any, and are made private at once.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "proto.h"
#include "vm.h"

#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH	0x00000200	/* Linux 6.5: under the top mount */
#endif

#define NS_UID		PROTO_SANDBOX_UID
#define NS_GID		PROTO_SANDBOX_UID

/* Report a setup failure from the sandbox's PID 1 and exit. */
static void nonreturn printflike(2, 3)
ns_fail(int fd, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (write(fd, msg, strlen(msg)) == -1)
		_exit(2);
	_exit(1);
}

static void
ns_mount(int errfd, const char *src, const char *dst, const char *type,
    unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) == -1)
		ns_fail(errfd, "mount %s on %s: %s", src != NULL ? src : type,
		    dst, strerror(errno));
}

/* Bind src onto dst read-only (two steps: bind, then remount). */
static void
ns_bind_ro(int errfd, const char *src, const char *dst)
{
	ns_mount(errfd, src, dst, NULL, MS_BIND, NULL);
	ns_mount(errfd, NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY |
	    MS_NOSUID | MS_NODEV, NULL);
}

/*
 * A detached read-only copy of the mount at dir: dir itself, not what is
 * mounted below it, and only if dir is a directory and not a symlink.
 * Returns a mount fd for move_mount, or -1 with errno set.
 */
static int
ns_code_tree(const char *dir)
{
	struct mount_attr	attr;
	int			dfd, fd, saved;

	if ((dfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	fd = open_tree(dfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_EMPTY_PATH);
	saved = errno;
	close(dfd);
	if (fd == -1) {
		errno = saved;
		return -1;
	}
	memset(&attr, 0, sizeof attr);
	attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void
ns_dev(int errfd, const char *root)
{
	static const struct { const char *name; int minor; } nodes[] = {
		{ "null", 3 }, { "zero", 5 }, { "full", 7 }, { "random", 8 },
		{ "urandom", 9 },
	};
	char	*dev = xasprintf("%s/dev", root), *p;
	size_t	 i;

	ns_mount(errfd, "tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC,
	    "size=64k,mode=755");
	for (i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		p = xasprintf("%s/%s", dev, nodes[i].name);
		if (mknod(p, S_IFCHR | 0666, makedev(1, nodes[i].minor)) == -1)
			ns_fail(errfd, "mknod %s: %s", p, strerror(errno));
		chmod(p, 0666);
		free(p);
	}
	p = xasprintf("%s/shm", dev);
	mkdir(p, 01777);
	ns_mount(errfd, "tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "size=16m,mode=1777");
	free(p);
	p = xasprintf("%s/fd", dev);
	symlink("/proc/self/fd", p);
	free(p);
	p = xasprintf("%s/stdout", dev);
	symlink("/proc/self/fd/1", p);
	free(p);
	p = xasprintf("%s/stderr", dev);
	symlink("/proc/self/fd/2", p);
	free(p);
	ns_mount(errfd, NULL, dev, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID |
	    MS_NOEXEC, "size=64k,mode=755");
	free(dev);
}

static void
ns_loopback_up(int errfd)
{
	struct ifreq	ifr;
	int		fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		ns_fail(errfd, "socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		ns_fail(errfd, "lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		ns_fail(errfd, "lo up: %s", strerror(errno));
	close(fd);
}

/* The agent keeps these; the runtime gets none (confine.c). */
static const int ns_agent_caps[] = { CAP_SETUID, CAP_SETGID, CAP_SYS_ADMIN,
    CAP_SETPCAP };

/*
 * Enter a user namespace of our own and have the middle process (on
 * syncfd) map it; then become its root with only ns_agent_caps, for good.
 */
static void
ns_enter_userns(int errfd, int syncfd)
{
	struct rlimit	nofile = { 1024, 1024 };
	char		c = 'u';
	int		cap, keep;
	size_t		i;

	if (unshare(CLONE_NEWUSER) == -1)
		ns_fail(errfd, "user namespace: %s", strerror(errno));
	if (write(syncfd, &c, 1) != 1 || read(syncfd, &c, 1) != 1 || c != 'm')
		ns_fail(errfd, "user namespace: no uid map");
	/* The host's groups mean nothing here (and are unmapped). */
	if (setgroups(0, NULL) == -1 || setresgid(0, 0, 0) == -1 ||
	    setresuid(0, 0, 0) == -1)
		ns_fail(errfd, "become the sandbox's root: %s", strerror(errno));
	for (cap = 0; cap <= 63; cap++) {
		for (i = keep = 0; i < sizeof ns_agent_caps / sizeof ns_agent_caps[0]; i++)
			keep |= ns_agent_caps[i] == cap;
		if (!keep && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL)
			ns_fail(errfd, "drop capability %d: %s", cap, strerror(errno));
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		ns_fail(errfd, "no_new_privs: %s", strerror(errno));
	/* Lambda's descriptor limit; it also bounds what v1 cannot charge. */
	if (setrlimit(RLIMIT_NOFILE, &nofile) == -1)
		ns_fail(errfd, "descriptor limit: %s", strerror(errno));
}

/*
 * In the middle process: map PID 1's user namespace — root to the
 * agent's host uid, 1051 to the runtime's — once it asks on syncfd.
 * procfd is the host's /proc, opened before PID 1 pivoted away from the
 * root the middle process shares with it.
 */
static int
ns_map_userns(int procfd, pid_t pid, int syncfd)
{
	char		 c, *path, map[128];
	const char	*files[] = { "uid_map", "gid_map" };
	unsigned int	 base = PROTO_HOST_UID_BASE + 2 * (unsigned int)pid;
	size_t		 i;
	int		 fd, len;

	if (read(syncfd, &c, 1) != 1 || c != 'u')
		return -1;
	len = snprintf(map, sizeof map, "0 %u 1\n%d %u 1\n", base,
	    PROTO_SANDBOX_UID, base + 1);
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		path = xasprintf("%d/%s", (int)pid, files[i]);
		fd = openat(procfd, path, O_WRONLY | O_CLOEXEC);
		free(path);
		if (fd == -1 || write(fd, map, len) != len) {
			if (fd != -1)
				close(fd);
			return -1;
		}
		close(fd);
	}
	c = 'm';
	return write(syncfd, &c, 1) == 1 ? 0 : -1;
}

/* PID 1 of the new namespaces: build the root, lock down, exec the agent. */
static void nonreturn
ns_child(const struct vm_spec *spec, int errfd, int lfd, int cfgfd, int syncfd)
{
	char		*root, *p, ttl[32];
	char		**argv, *envp[6];
	const char	*agent_path;
	int		 agentfd, logfd, codefd = -1, n, i;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		ns_fail(errfd, "make / private: %s", strerror(errno));
	agent_path = xasprintf("%s/hearth-agent", vm_lib_dir());
	if ((agentfd = open(agent_path, O_RDONLY | O_CLOEXEC)) == -1)
		ns_fail(errfd, "%s: %s", agent_path, strerror(errno));
	p = xasprintf("%s/agent.log", spec->run_dir);
	if ((logfd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		ns_fail(errfd, "%s: %s", p, strerror(errno));
	free(p);
	if (spec->code_dir != NULL && (codefd = ns_code_tree(spec->code_dir)) == -1)
		ns_fail(errfd, "code %s: %s", spec->code_dir, strerror(errno));

	root = xasprintf("%s/root", spec->run_dir);
	ns_bind_ro(errfd, spec->rootfs, root);
	p = xasprintf("%s/proc", root);
	ns_mount(errfd, "proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	free(p);
	p = xasprintf("%s/tmp", root);
	{
		char opts[64];

		snprintf(opts, sizeof opts, "size=%dm,mode=1777", spec->tmp_mb);
		ns_mount(errfd, "tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, opts);
	}
	free(p);
	ns_dev(errfd, root);
	if (codefd != -1) {
		/* The holder, then the code on it; under a private root both are. */
		p = xasprintf("%s/var/task", root);
		ns_bind_ro(errfd, p, p);
		if (move_mount(codefd, "", AT_FDCWD, p, MOVE_MOUNT_F_EMPTY_PATH) == -1)
			ns_fail(errfd, "mount code on %s: %s", p, strerror(errno));
		close(codefd);
		free(p);
	}
	if (chdir(root) == -1)
		ns_fail(errfd, "chdir %s: %s", root, strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		ns_fail(errfd, "pivot_root: %s", strerror(errno));
	if (umount2(".", MNT_DETACH) == -1)
		ns_fail(errfd, "detach old root: %s", strerror(errno));
	if (chdir("/") == -1)
		ns_fail(errfd, "chdir /: %s", strerror(errno));
	/*
	 * A pool sandbox's first code must reach a runtime prewarmed before
	 * it (see the top of this file); nothing else is mounted on the root.
	 */
	if (mount(NULL, "/", NULL, MS_SHARED, NULL) == -1)
		ns_fail(errfd, "shared root: %s", strerror(errno));
	sethostname(spec->hostname, strlen(spec->hostname));
	ns_loopback_up(errfd);
	setsid();

	if (dup2(lfd, PROTO_LISTEN_FD) == -1)
		ns_fail(errfd, "dup2: %s", strerror(errno));
	if (cfgfd != -1 && dup2(cfgfd, PROTO_CONFIG_FD) == -1)
		ns_fail(errfd, "dup2: %s", strerror(errno));
	if ((n = open("/dev/null", O_RDONLY)) != -1) {
		dup2(n, 0);
		if (n != 0)
			close(n);
	}
	dup2(logfd, 1);
	dup2(logfd, 2);
	for (i = PROTO_LISTEN_FD + 1; i < 1024; i++)
		if (i != errfd && i != agentfd && i != syncfd &&
		    (i != PROTO_CONFIG_FD || cfgfd == -1))
			close(i);

	ns_enter_userns(errfd, syncfd);
	close(syncfd);

	for (n = 0; spec->cmd[n] != NULL; n++)
		;
	argv = xcalloc(n + 2, sizeof *argv);
	argv[0] = xstrdup("hearth-agent");
	for (i = 0; i < n; i++)
		argv[i + 1] = spec->cmd[i];
	snprintf(ttl, sizeof ttl, PROTO_ENV_IDLE_TTL "=%d", spec->idle_ttl_s);
	envp[0] = (char *)"PATH=/usr/local/bin:/usr/bin:/bin";
	envp[1] = (char *)"LANG=C.UTF-8";
	envp[2] = (char *)"HOME=/tmp";
	envp[3] = ttl;
	n = 4;
	if (spec->prewarm)
		envp[n++] = (char *)PROTO_ENV_PREWARM "=1";
	envp[n] = NULL;
	fexecve(agentfd, argv, envp);
	ns_fail(errfd, "exec hearth-agent: %s", strerror(errno));
}

/* A sealed-off copy of config for the agent to read on fd 4; -1 if none. */
static int
ns_config_fd(const char *config, char **cause)
{
	size_t	len;
	int	fd;

	if (config == NULL)
		return -1;
	len = strlen(config);
	if ((fd = memfd_create("hearth-config", MFD_CLOEXEC)) == -1 ||
	    write(fd, config, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) == -1) {
		*cause = xasprintf("configuration: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -2;
	}
	return fd;
}

static int
ns_listen(const char *path, char **cause)
{
	struct sockaddr_un	sun;
	int			fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		*cause = xasprintf("%s: socket path too long", path);
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    chmod(path, 0600) == -1 || listen(fd, 64) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* RUN_DIR/start: "spawn MS", what `vm ls` shows as the start time. */
static void
ns_note_start(const char *run_dir, uint64_t start)
{
	char	*path = xasprintf("%s/start", run_dir), text[64];
	int	 fd, len;

	len = snprintf(text, sizeof text, "spawn %.0f\n",
	    (util_mono_us() - start) / 1000.0);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) != -1) {
		if (write(fd, text, len) != len)
			unlink(path);
		close(fd);
	}
	free(path);
}

static int
ns_create(const struct vm_spec *spec, pid_t *pidp, char *sock, size_t socklen,
    char **cause)
{
	char	*root = NULL, *path = NULL, msg[1024];
	int	 errp[2] = { -1, -1 }, pidp2[2] = { -1, -1 }, sync[2] = { -1, -1 };
	int	 lfd = -1, cfgfd = -1, procfd, st;
	pid_t	 middle, pid = 0;
	ssize_t	 n;
	uint64_t start;

	start = util_mono_us();
	root = xasprintf("%s/root", spec->run_dir);
	if (util_mkdirs(root, 0700) == -1) {
		*cause = xasprintf("%s: %s", root, strerror(errno));
		goto fail;
	}
	chmod(spec->run_dir, 0700);
	if (cgroup_create(spec->id, spec->memory_mb, spec->cpu_milli,
	    spec->pids_max, cause) != 0)
		goto fail;
	path = xasprintf("%s/agent.sock", spec->run_dir);
	if ((lfd = ns_listen(path, cause)) == -1)
		goto fail_cg;
	if ((cfgfd = ns_config_fd(spec->config, cause)) == -2) {
		cfgfd = -1;
		goto fail_cg;
	}
	if (pipe2(errp, O_CLOEXEC) == -1 || pipe2(pidp2, O_CLOEXEC) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) == -1) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		goto fail_cg;
	}
	fflush(NULL);
	if ((middle = fork()) == -1) {
		*cause = xasprintf("fork: %s", strerror(errno));
		goto fail_cg;
	}
	if (middle == 0) {
		close(errp[0]);
		close(pidp2[0]);
		signal(SIGPIPE, SIG_DFL);
		if (cgroup_join(spec->id) != 0)
			ns_fail(errp[1], "join cgroup hearth/%s: %s", spec->id,
			    strerror(errno));
		if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
		    CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP) == -1)
			ns_fail(errp[1], "unshare: %s", strerror(errno));
		if ((procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
			ns_fail(errp[1], "/proc: %s", strerror(errno));
		if ((pid = fork()) == -1)
			ns_fail(errp[1], "fork: %s", strerror(errno));
		if (pid == 0) {
			close(pidp2[1]);
			close(sync[0]);
			ns_child(spec, errp[1], lfd, cfgfd, sync[1]);
		}
		close(sync[1]);
		vm_test_pause("middle");
		if (ns_map_userns(procfd, pid, sync[0]) != 0) {
			kill(pid, SIGKILL);
			_exit(1);
		}
		if (write(pidp2[1], &pid, sizeof pid) != sizeof pid)
			_exit(1);
		_exit(0);
	}
	close(errp[1]);
	close(pidp2[1]);
	close(sync[0]);
	close(sync[1]);
	errp[1] = pidp2[1] = sync[0] = sync[1] = -1;
	while (waitpid(middle, &st, 0) == -1 && errno == EINTR)
		;
	if (read(pidp2[0], &pid, sizeof pid) != sizeof pid)
		pid = 0;
	/* EOF on errp means PID 1 reached exec; text means it did not. */
	n = read(errp[0], msg, sizeof msg - 1);
	if (n > 0 || pid <= 0) {
		msg[n > 0 ? n : 0] = '\0';
		*cause = xasprintf("sandbox %s: %s", spec->id,
		    n > 0 ? msg : "setup failed");
		if (pid > 0)
			kill(pid, SIGKILL);
		goto fail_cg;
	}
	close(errp[0]);
	close(pidp2[0]);
	close(lfd);
	if (cfgfd != -1)
		close(cfgfd);
	ns_note_start(spec->run_dir, start);
	snprintf(sock, socklen, "%s", path);
	*pidp = pid;
	free(root);
	free(path);
	return 0;
fail_cg:
	cgroup_destroy(spec->id);
fail:
	if (lfd != -1)
		close(lfd);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	if (pidp2[0] != -1)
		close(pidp2[0]);
	if (pidp2[1] != -1)
		close(pidp2[1]);
	if (sync[0] != -1)
		close(sync[0]);
	if (sync[1] != -1)
		close(sync[1]);
	if (cfgfd != -1)
		close(cfgfd);
	util_rmtree(spec->run_dir);
	free(root);
	free(path);
	return -1;
}

/*
 * The code swap runs in a child that shares our memory (CLONE_VM |
 * CLONE_VFORK): no page tables to copy, which makes it several times
 * cheaper than fork on the path that claims a pool sandbox.  Sharing
 * memory, the child may only make system calls and write to this struct.
 */
struct ns_swap {
	const char	*code_dir;	/* host directory to show */
	int		 pidfd;		/* the sandbox's PID 1 */
	const char	*failed;	/* step that failed, or NULL */
	int		 err;		/* its errno */
};

/*
 * A pool sandbox's first code, fd, at /var/task: the code goes onto the
 * shared root, reaching a runtime prewarmed without code, and a holder
 * (the image's empty /var/task) slides beneath it; then both turn
 * private, so that nothing mounted there later reaches anyone, and later
 * code slides beneath the code onto the holder (ns_swap_child).
 *
 * The order matters.  Mounted the other way — the holder first, the code
 * on top of it while the holder is still shared — propagation also puts
 * a copy of the code beneath the holder, on the root.  That copy is the
 * first version's directory mounted for as long as the sandbox lives;
 * once that version is removed from the host, the kernel detaches every
 * mount stacked on it, the holder and the current code with it, and
 * /var/task shows the deleted first version.
 */
static int
ns_first_code(int fd)
{
	struct mount_attr	attr;
	int			holder, saved;

	if ((holder = open_tree(AT_FDCWD, "/var/task", OPEN_TREE_CLONE |
	    OPEN_TREE_CLOEXEC)) == -1)
		return -1;
	memset(&attr, 0, sizeof attr);
	attr.propagation = MS_PRIVATE;
	if (move_mount(fd, "", AT_FDCWD, "/var/task", MOVE_MOUNT_F_EMPTY_PATH) == -1)
		goto fail;
	if (move_mount(holder, "", AT_FDCWD, "/var/task", MOVE_MOUNT_F_EMPTY_PATH |
	    MOVE_MOUNT_BENEATH) == -1) {
		/* A kernel before 6.5 has no beneath: no holder, code stacks. */
		if (errno != EINVAL)
			goto fail;
		close(holder);
		return mount(NULL, "/var/task", NULL, MS_PRIVATE, NULL);
	}
	if (mount_setattr(holder, "", AT_EMPTY_PATH, &attr, sizeof attr) == -1 ||
	    mount(NULL, "/var/task", NULL, MS_PRIVATE, NULL) == -1)
		goto fail;
	close(holder);
	return 0;
fail:
	saved = errno;
	close(holder);
	errno = saved;
	return -1;
}

static int
ns_swap_child(void *arg)
{
	struct ns_swap		*sw = arg;
	struct statx		 stx;
	int			 fd;

	if ((fd = ns_code_tree(sw->code_dir)) == -1) {
		sw->failed = "code";
		goto fail;
	}
	/* Through the pidfd: the sandbox itself, or nothing (ESRCH). */
	if (setns(sw->pidfd, CLONE_NEWNS) == -1) {
		sw->failed = "enter sandbox";
		goto fail;
	}
	if (statx(AT_FDCWD, "/var/task", AT_SYMLINK_NOFOLLOW, 0, &stx) == -1) {
		sw->failed = "stat /var/task";
		goto fail;
	}
	if ((stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) == 0) {
		if (ns_first_code(fd) == -1) {
			sw->failed = "mount /var/task";
			goto fail;
		}
		return 0;
	}
	/*
	 * The new version slides beneath the current one, onto the private
	 * holder, and the old one is detached: /var/task is never empty, and
	 * a runtime generation that copied the old one keeps it.
	 */
	if (move_mount(fd, "", AT_FDCWD, "/var/task", MOVE_MOUNT_F_EMPTY_PATH |
	    MOVE_MOUNT_BENEATH) == -1) {
		if (errno != EINVAL) {
			sw->failed = "move_mount /var/task";
			goto fail;
		}
		/* A kernel before 6.5: stack it on top (the stack grows). */
		if (move_mount(fd, "", AT_FDCWD, "/var/task",
		    MOVE_MOUNT_F_EMPTY_PATH) == -1) {
			sw->failed = "move_mount /var/task";
			goto fail;
		}
		return 0;
	}
	if (umount2("/var/task", MNT_DETACH) == -1) {
		sw->failed = "detach the old /var/task";
		goto fail;
	}
	return 0;
fail:
	sw->err = errno;
	return 1;
}

static int
ns_set_code(const char *id, pid_t pid, const char *sock, const char *code_dir,
    char **cause)
{
	static char	 stack[64 * 1024] __attribute__((aligned(16)));
	struct ns_swap	 sw;
	pid_t		 child;
	int		 st;

	memset(&sw, 0, sizeof sw);
	sw.code_dir = code_dir;
	/*
	 * The row's pid may name another process by now (an agent past its
	 * idle TTL, its pid reused): only a process of this sandbox's cgroup
	 * is entered, through a pidfd taken before the check.
	 */
	if ((sw.pidfd = cgroup_pidfd(id, pid)) == -1) {
		*cause = xasprintf("sandbox %s: it is gone", id);
		return -1;
	}
	child = clone(ns_swap_child, stack + sizeof stack,
	    CLONE_VM | CLONE_VFORK | SIGCHLD, &sw);
	if (child == -1) {
		*cause = xasprintf("clone: %s", strerror(errno));
		close(sw.pidfd);
		return -1;
	}
	while (waitpid(child, &st, 0) == -1 && errno == EINTR)
		;
	close(sw.pidfd);
	if (sw.failed != NULL || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		*cause = xasprintf("sandbox %s: %s: %s", id, sw.failed != NULL ?
		    sw.failed : "code swap", strerror(sw.err));
		return -1;
	}
	return 0;
}

static int
ns_set_memory(const char *id, int memory_mb, char **cause)
{
	return cgroup_set_memory(id, memory_mb, cause);
}

static int
ns_alive(const char *id, pid_t pid)
{
	return cgroup_runs(id, pid);
}

static int
ns_stats(const char *id, struct vm_stats *st)
{
	return cgroup_stats(id, st);
}

static void
ns_info(const char *id, const char *run_dir, struct vm_info *vi)
{
	struct buf	 b = { 0 };
	char		*path = xasprintf("%s/start", run_dir), *cause = NULL;

	memset(vi, 0, sizeof *vi);
	snprintf(vi->accel, sizeof vi->accel, "-");
	snprintf(vi->start, sizeof vi->start, "spawn");
	vi->start_ms = -1;
	if (util_read_file(path, &b, 64, &cause) == 0)
		sscanf(b.data, "%*s %ld", &vi->start_ms);
	else
		free(cause);
	buf_free(&b);
	free(path);
	snprintf(vi->console, sizeof vi->console, "%s/agent.log", run_dir);
}

/*
 * Kill PID 1 (the kernel then kills the whole pid namespace), then every
 * process of the sandbox's cgroup, found by its id alone (a sandbox whose
 * PID 1 was never recorded, its middle process), and clean up.  -1 with
 * *cause if its cgroups or run directory stay.
 */
static int
ns_destroy(const char *id, pid_t pid, const char *run_dir, char **cause)
{
	cgroup_signal(id, pid, SIGKILL);
	cgroup_kill(id);
	if (cgroup_destroy(id) != 0) {
		*cause = xasprintf("sandbox %s: its cgroup stays: %s", id,
		    strerror(errno));
		return -1;
	}
	if (util_rmtree(run_dir) != 0) {
		*cause = xasprintf("sandbox %s: %s: %s", id, run_dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* A sandbox starts in well under a second; a minute means it never will. */
static int
ns_start_max_s(void)
{
	return 60;
}

const struct vm_driver vm_ns_driver = {
	.name = "ns",
	.noun = "sandbox",
	.strength = 1,
	.start_max_s = ns_start_max_s,
	.create = ns_create,
	.set_code = ns_set_code,
	.set_memory = ns_set_memory,
	.alive = ns_alive,
	.stats = ns_stats,
	.info = ns_info,
	.destroy = ns_destroy,
};
