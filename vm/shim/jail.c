/*
 * jail.c — the jail QEMU runs in, built in QEMU's child before the exec.
 *
 * QEMU is confined as Firecracker's jailer confines Firecracker.  It runs
 * as uid and gid PROTO_HOST_UID_BASE + 2 * its pid (with the kvm group
 * too under -k), with no capabilities, no_new_privs, its own mount and
 * IPC namespaces, and under two seccomp filters: the one its argv asks
 * for (-sandbox) and hearth's (seccomp-gen.c).  Its root is a fresh
 * tmpfs, read-only once built, holding /usr and the host's /bin, /sbin,
 * /lib, /lib64 (symlinks or read-only binds, as the host has them),
 * /etc/ld.so.cache, each -b PATH (the kernel, initramfs and disk)
 * read-only at its own path, a /dev of null, zero, random and urandom (and
 * kvm, QEMU's alone, under -k), and SHIM_FW_CFG: a copy of RUN_DIR/env
 * that only QEMU's uid can read.  Nothing else of the host, nothing of
 * $HEARTH_HOME.  QEMU cannot open anything of the shim's: what it needs
 * arrives as file descriptors — stdin /dev/null, stdout and stderr the
 * pipes console.c reads, SHIM_QMP_FD the QMP listener, SHIM_STATE_FD the
 * state to restore — named in its argv by placeholders (boot.c).
 *
 * Anything that goes wrong here is said on QEMU's stderr, which the shim
 * quotes in its boot error, and QEMU does not start.
 */
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "seccomp-vmm.h"

#define SHIM_PATH	"PATH=/usr/local/bin:/usr/bin:/bin"	/* QEMU's environment */

/* A setup failure in QEMU's child, before the exec: on QEMU's stderr. */
static void __attribute__((noreturn, format(printf, 1, 2)))
jail_fail(const char *fmt, ...)
{
	va_list	ap;

	dprintf(2, "hearth-shim: jail: ");
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, "\n");
	_exit(127);
}

/* Mount, or fail QEMU's start saying what. */
static void
jail_mount(const char *src, const char *dst, const char *type,
    unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) == -1)
		jail_fail("mount %s on %s: %s", src != NULL ? src : "(remount)",
		    dst, strerror(errno));
}

/* Make the directories above path (in the jail), as mkdir -p would. */
static void
jail_mkdirs(char *path, size_t skip)
{
	char	*p;

	for (p = strchr(path + skip + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			jail_fail("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
}

/* Bind the host's path read-only at the same path under root. */
static void
jail_bind(const char *root, const char *path)
{
	struct stat	sb;
	char		dst[PATH_MAX + 64];
	int		fd;

	if (path[0] != '/')
		jail_fail("%s: not an absolute path", path);
	if (stat(path, &sb) == -1)
		jail_fail("%s: %s", path, strerror(errno));
	if ((size_t)snprintf(dst, sizeof dst, "%s%s", root, path) >= sizeof dst)
		jail_fail("%s: path too long", path);
	jail_mkdirs(dst, strlen(root));
	if (S_ISDIR(sb.st_mode)) {
		if (mkdir(dst, 0755) == -1 && errno != EEXIST)
			jail_fail("mkdir %s: %s", dst, strerror(errno));
	} else if ((fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) != -1)
		close(fd);
	else if (errno != EEXIST)
		jail_fail("%s: %s", dst, strerror(errno));
	jail_mount(path, dst, NULL, MS_BIND | MS_REC, NULL);
	jail_mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID |
	    MS_NODEV, NULL);
}

/*
 * Is path (a real path, no symlinks) inside what the jail always shows?
 * Then it needs no bind of its own.
 */
static int
jail_shows(const char *path)
{
	static const char	*tops[] = { "/usr/", "/bin/", "/sbin/", "/lib/",
				    "/lib64/" };
	size_t			 i;

	for (i = 0; i < sizeof tops / sizeof tops[0]; i++)
		if (strncmp(path, tops[i], strlen(tops[i])) == 0)
			return 1;
	return 0;
}

/* Show the host's file path in the jail at that path, if it is not yet. */
static void
jail_add(const char *root, const char *path)
{
	char	real[PATH_MAX];

	if (realpath(path, real) == NULL)
		jail_fail("%s: %s", path, strerror(errno));
	if (!jail_shows(real))
		jail_bind(root, path);
}

/* /usr, and /bin, /sbin, /lib, /lib64 as the host has them; ld.so's cache. */
static void
jail_system(const char *root)
{
	static const char	*tops[] = { "/usr", "/bin", "/sbin", "/lib", "/lib64" };
	struct stat		 sb;
	char			 dst[PATH_MAX + 64], target[PATH_MAX];
	ssize_t			 n;
	size_t			 i;

	for (i = 0; i < sizeof tops / sizeof tops[0]; i++) {
		if (lstat(tops[i], &sb) == -1)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			jail_bind(root, tops[i]);
			continue;
		}
		if (!S_ISLNK(sb.st_mode) ||
		    (n = readlink(tops[i], target, sizeof target - 1)) <= 0)
			continue;
		target[n] = '\0';
		snprintf(dst, sizeof dst, "%s%s", root, tops[i]);
		if (symlink(target, dst) == -1)
			jail_fail("symlink %s: %s", dst, strerror(errno));
	}
	if (access("/etc/ld.so.cache", R_OK) == 0)
		jail_bind(root, "/etc/ld.so.cache");
}

/* A /dev of a few nodes; /dev/kvm under -k, openable by QEMU's uid only. */
static void
jail_dev(const char *root, const struct jail *j, uid_t uid)
{
	static const struct { const char *name; int minor; } nodes[] = {
		{ "null", 3 }, { "zero", 5 }, { "random", 8 }, { "urandom", 9 },
	};
	char	dev[PATH_MAX + 64], p[PATH_MAX + 128];
	size_t	i;

	snprintf(dev, sizeof dev, "%s/dev", root);
	if (mkdir(dev, 0755) == -1)
		jail_fail("mkdir %s: %s", dev, strerror(errno));
	jail_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755");
	for (i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dev, nodes[i].name);
		if (mknod(p, S_IFCHR | 0666, makedev(1, nodes[i].minor)) == -1)
			jail_fail("mknod %s: %s", p, strerror(errno));
		chmod(p, 0666);
	}
	if (j->kvm) {
		snprintf(p, sizeof p, "%s/kvm", dev);
		if (mknod(p, S_IFCHR | 0600, j->kvm_dev) == -1 ||
		    chown(p, uid, j->kvm_gid != (gid_t)-1 ? j->kvm_gid : uid) == -1 ||
		    chmod(p, j->kvm_gid != (gid_t)-1 ? 0660 : 0600) == -1)
			jail_fail("%s: %s", p, strerror(errno));
	}
	jail_mount(NULL, dev, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
	    "size=64k,mode=755");
}

/* The settings QEMU gives the guest (the first token): QEMU's uid only. */
static void
jail_fw_cfg(const char *root, const struct jail *j, uid_t uid)
{
	char	p[PATH_MAX + 64];
	int	fd;

	snprintf(p, sizeof p, "%s%s", root, SHIM_FW_CFG);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0400)) == -1 || write(fd, j->env, j->env_len) != (ssize_t)j->env_len ||
	    fchown(fd, uid, uid) == -1)
		jail_fail("%s: %s", p, strerror(errno));
	close(fd);
}

/* Give up for good every capability and become uid (with kvm's group). */
static void
jail_drop(const struct jail *j, uid_t uid)
{
	struct __user_cap_header_struct	hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	data[2];
	gid_t				kvm = j->kvm_gid;
	int				cap;

	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 && errno != EINVAL)
			jail_fail("drop capability %d: %s", cap, strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		jail_fail("clear ambient capabilities: %s", strerror(errno));
	if (setgroups(j->kvm && kvm != (gid_t)-1 ? 1 : 0, &kvm) == -1 ||
	    setresgid(uid, uid, uid) == -1 || setresuid(uid, uid, uid) == -1)
		jail_fail("become uid %u: %s", (unsigned)uid, strerror(errno));
	memset(data, 0, sizeof data);
	if (syscall(SYS_capset, &hdr, data) == -1)
		jail_fail("capset: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		jail_fail("no_new_privs: %s", strerror(errno));
}

/*
 * Put QEMU's descriptors where its argv expects them — stdin /dev/null,
 * stdout the console pipe, stderr its log pipe, then the QMP listener
 * and the state — and close everything else.
 */
static void
jail_fds(const struct jail *j)
{
	int	want[5], n = 0, i, tmp[5];

	want[n++] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	want[n++] = j->out;
	want[n++] = j->err;
	want[n++] = j->qmp_fd;
	if (j->state_fd != -1)
		want[n++] = j->state_fd;
	for (i = 0; i < n; i++)
		if (want[i] == -1 || (tmp[i] = fcntl(want[i], F_DUPFD_CLOEXEC,
		    16)) == -1)
			_exit(127);
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], i) == -1)
			_exit(127);
	if (close_range(n, ~0U, 0) == -1)
		jail_fail("close_range: %s", strerror(errno));
}

/*
 * QEMU's child: build the jail, enter it, drop everything, exec QEMU.
 * Runs as root still, in the shim's network namespace.
 */
void
jail_exec(const struct jail *j, char **argv)
{
	char		 root[PATH_MAX], real[PATH_MAX];
	char		*envp[] = { (char *)SHIM_PATH, NULL };
	sigset_t	 none;
	uid_t		 uid = PROTO_HOST_UID_BASE + 2 * (uid_t)getpid();
	struct sock_fprog vmm;
	int		 i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* The jail's directories must be searchable by QEMU's uid, whatever
	 * umask hearth runs with (077, for its own files). */
	umask(022);
	jail_fds(j);
	if (getppid() != j->shim)
		_exit(127);
	if (getcwd(root, sizeof root - sizeof SHIM_JAIL - 1) == NULL)
		jail_fail("%s: %s", shim_run_dir, strerror(errno));
	strcat(root, "/" SHIM_JAIL);
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC) == -1)
		jail_fail("unshare: %s", strerror(errno));
	jail_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	jail_mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "size=1m,mode=755");
	jail_system(root);
	for (i = 0; i < j->nbinds; i++)
		jail_add(root, j->binds[i]);
	if (realpath(argv[0], real) == NULL)
		jail_fail("%s: %s", argv[0], strerror(errno));
	jail_add(root, real);			/* QEMU, exec'd by its real path */
	jail_dev(root, j, uid);
	jail_fw_cfg(root, j, uid);
	if (chdir(root) == -1 || mkdir(".old", 0700) == -1)
		jail_fail("%s: %s", root, strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".old") == -1)
		jail_fail("pivot_root: %s", strerror(errno));
	if (chdir("/") == -1 || umount2("/.old", MNT_DETACH) == -1 ||
	    rmdir("/.old") == -1)
		jail_fail("leave the old root: %s", strerror(errno));
	jail_mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, "size=1m,mode=755");
	jail_drop(j, uid);
	/* Changing uid cleared the parent-death signal: set it again. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != j->shim)
		_exit(127);
	/*
	 * Under QEMU's own -sandbox filter, hearth's: no namespaces, no
	 * mounts, none of the kernel's rarer interfaces (seccomp-gen.c).
	 */
	vmm.len = sizeof seccomp_vmm / sizeof seccomp_vmm[0];
	vmm.filter = (struct sock_filter *)seccomp_vmm;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &vmm) == -1)
		jail_fail("seccomp: %s", strerror(errno));
	execve(real, argv, envp);
	jail_fail("exec %s: %s", argv[0], strerror(errno));
}
