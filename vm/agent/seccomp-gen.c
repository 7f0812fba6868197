/*
 * seccomp-gen.c — the system-call policy of sandboxes, compiled at build
 * time into the BPF programs hearth-agent loads.
 *
 *	seccomp-gen runtime agent > seccomp-bpf.h
 *	seccomp-gen vmm > seccomp-vmm.h
 *
 * The policy is an allowlist modelled on Docker's default profile: what a
 * language runtime needs (files, sockets, memory, threads, signals, time)
 * is allowed, anything not listed fails with ENOSYS (so a runtime probing
 * a newer call falls back, as glibc does for clone3), and the calls listed
 * in deny[] fail with EPERM, so what a function tries shows up as
 * "Operation not permitted".  On top of Docker's choices the denied set
 * takes io_uring (it reaches the kernel past the filter), other
 * processes' memory and file descriptors (process_vm_*, pidfd_getfd,
 * process_madvise), NUMA placement, and every socket family but unix,
 * inet, inet6 and routing netlink (AF_VSOCK in particular), which fail
 * with EAFNOSUPPORT.  Namespaces are never
 * made: unshare and setns fail, clone with a CLONE_NEW* flag fails.
 *
 * Three programs come out.  The runtime's, which every function runs
 * under, in an ns sandbox and inside a microVM alike.  The agent's, which
 * the agent of an ns sandbox puts itself under: the same, plus what it
 * needs to start each runtime generation in its own pid and mount
 * namespace (clone with CLONE_NEWPID, unshare(CLONE_NEWNS), mount of a
 * proc).  And the VMM's, which hearth-shim puts QEMU under before QEMU's
 * own -sandbox filter: that one lets an unprivileged process make user
 * namespaces, mount inside them and reach the kernel's rarer interfaces,
 * so this one refuses deny[] (io_uring aside: QEMU may use it for its
 * own I/O, and falls back without it) and namespaces, and allows the
 * rest.
 *
 * The programs are built here, with libseccomp, once, so that a sandbox
 * pays nothing to make its filter: the agent is static and links no
 * libseccomp; it hands the prebuilt program to prctl(PR_SET_SECCOMP).
 * Other architectures (x32, i386 entry points) are killed.
 */
#include <sys/stat.h>
#include <sys/socket.h>

#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/sched.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Allowed without conditions. */
static const char *allow[] = {
	/* files and directories */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
	"pwritev", "preadv2", "pwritev2", "open", "openat", "openat2", "creat",
	"close", "close_range", "lseek", "stat", "fstat", "lstat", "newfstatat",
	"statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2",
	"readlink", "readlinkat", "getdents", "getdents64", "getcwd", "chdir",
	"fchdir", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename",
	"renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
	"chmod", "fchmod", "fchmodat", "chown", "fchown", "fchownat", "lchown",
	"truncate", "ftruncate", "fallocate", "fadvise64", "readahead", "fsync",
	"fdatasync", "sync", "syncfs", "sync_file_range", "flock", "fcntl",
	"dup", "dup2", "dup3", "umask", "utime", "utimes", "utimensat",
	"futimesat", "mknod", "mknodat", "copy_file_range", "sendfile", "splice",
	"tee", "vmsplice", "getxattr", "lgetxattr", "fgetxattr", "setxattr",
	"lsetxattr", "fsetxattr", "listxattr", "llistxattr", "flistxattr",
	"removexattr", "lremovexattr", "fremovexattr", "inotify_init",
	"inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"fanotify_mark", "memfd_create", "pipe", "pipe2", "ioctl",
	/* asynchronous I/O (not io_uring) */
	"io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
	"io_pgetevents",
	/* polling and events */
	"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1",
	"epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd",
	"eventfd2", "signalfd", "signalfd4", "timerfd_create",
	"timerfd_settime", "timerfd_gettime",
	/* sockets (socket and socketpair have rules of their own) */
	"bind", "connect", "listen", "accept", "accept4", "getsockname",
	"getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "shutdown", "setsockopt", "getsockopt",
	/* memory */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore",
	"msync", "mlock", "mlock2", "munlock", "mlockall", "munlockall",
	"membarrier", "remap_file_pages", "pkey_alloc", "pkey_free",
	"pkey_mprotect",
	/* processes and threads (clone has a rule of its own) */
	"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4",
	"waitid", "kill", "tkill", "tgkill", "getpid", "getppid", "gettid",
	"getpgid", "setpgid", "getpgrp", "getsid", "setsid", "getuid", "geteuid",
	"getgid", "getegid", "getresuid", "getresgid", "getgroups", "setuid",
	"setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"setfsuid", "setfsgid", "capget", "capset", "prctl", "arch_prctl",
	"set_tid_address", "set_robust_list", "get_robust_list", "rseq",
	"futex", "futex_waitv", "sched_yield", "sched_getaffinity",
	"sched_setaffinity", "sched_getparam", "sched_setparam",
	"sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "sched_rr_get_interval", "sched_getattr",
	"sched_setattr", "getpriority", "setpriority", "ioprio_get",
	"ioprio_set", "getrlimit", "setrlimit", "prlimit64", "getrusage",
	"times", "pidfd_open", "pidfd_send_signal", "seccomp", "getcpu",
	"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
	"restart_syscall", "modify_ldt",
	/* signals */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_sigqueueinfo",
	"rt_tgsigqueueinfo", "sigaltstack", "pause", "alarm",
	/* time */
	"clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday",
	"time", "nanosleep", "getitimer", "setitimer", "timer_create",
	"timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
	/* the system, read-only */
	"uname", "sysinfo", "getrandom",
	/* System V and POSIX IPC, private to the sandbox's ipc namespace */
	"shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop",
	"semctl", "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink",
	"mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
	NULL
};

/* Refused with EPERM: what a function must never do. */
static const char *deny[] = {
	/* mounts and the root */
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"name_to_handle_at", "open_by_handle_at", "quotactl", "quotactl_fd",
	/* namespaces */
	"unshare", "setns",
	/* the kernel itself */
	"init_module", "finit_module", "delete_module", "kexec_load",
	"kexec_file_load", "reboot", "swapon", "swapoff", "acct", "syslog",
	"bpf", "perf_event_open", "userfaultfd", "fanotify_init",
	"lookup_dcookie", "iopl", "ioperm", "personality", "uselib", "ustat",
	"sysfs", "_sysctl", "vhangup", "nfsservctl", "create_module",
	"get_kernel_syms", "query_module",
	/* keyrings */
	"add_key", "request_key", "keyctl",
	/* other processes */
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"pidfd_getfd", "process_madvise", "process_mrelease",
	/* io_uring reaches the kernel past this filter */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* NUMA placement of memory */
	"mbind", "set_mempolicy", "get_mempolicy", "migrate_pages",
	"move_pages", "set_mempolicy_home_node",
	/* clocks and names that belong to the host */
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname",
	NULL
};

/* Socket families a function may open; anything else fails. */
static const int families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | \
	CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_NEWTIME)

static void
gen_fail(const char *what, int rc)
{
	fprintf(stderr, "seccomp-gen: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	exit(1);
}

static int
gen_nr(const char *name)
{
	int	nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR) {
		fprintf(stderr, "seccomp-gen: libseccomp does not know '%s'\n", name);
		exit(1);
	}
	return nr;
}

static void
gen_add(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned int n, const struct scmp_arg_cmp *args)
{
	int	rc;

	if ((rc = seccomp_rule_add_array(ctx, action, gen_nr(name), n, args)) < 0)
		gen_fail(name, rc);
}

/* Build the policy; agent adds what the agent of an ns sandbox needs. */
static scmp_filter_ctx
gen_policy(int agent)
{
	scmp_filter_ctx		ctx;
	struct scmp_arg_cmp	arg, nl[2];
	uint64_t		ns = NS_FLAGS;
	size_t			i;
	int			rc, f;

	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS))) == NULL)
		gen_fail("seccomp_init", ENOMEM);
	/* A smaller, faster program: a binary tree over syscall numbers. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		gen_fail("optimize", rc);
	for (i = 0; allow[i] != NULL; i++)
		gen_add(ctx, SCMP_ACT_ALLOW, allow[i], 0, NULL);
	for (i = 0; deny[i] != NULL; i++) {
		if (agent && (strcmp(deny[i], "unshare") == 0 ||
		    strcmp(deny[i], "mount") == 0))
			continue;
		gen_add(ctx, SCMP_ACT_ERRNO(EPERM), deny[i], 0, NULL);
	}
	/*
	 * Other families fail as an unsupported family would, so a runtime
	 * that probes (for AF_VSOCK, say) takes the answer it knows.
	 */
	/* One rule a family below the last allowed one, one for all above. */
	for (f = 0; f <= AF_NETLINK + 1; f++) {
		for (i = 0; i < sizeof families / sizeof families[0]; i++)
			if (families[i] == f)
				break;
		if (f == AF_NETLINK)
			continue;
		arg = SCMP_A0(f > AF_NETLINK ? SCMP_CMP_GE : SCMP_CMP_EQ, (uint64_t)f);
		gen_add(ctx, i < sizeof families / sizeof families[0] ?
		    SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EAFNOSUPPORT), "socket", 1, &arg);
	}
	/*
	 * Netlink for routing only (interfaces and addresses, what libc's
	 * getifaddrs asks): the sandbox's network namespace belongs to the
	 * host, so a uevent socket would hear the host's devices.
	 */
	nl[0] = SCMP_A0(SCMP_CMP_EQ, AF_NETLINK);
	nl[1] = SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE);
	gen_add(ctx, SCMP_ACT_ALLOW, "socket", 2, nl);
	nl[1] = SCMP_A2(SCMP_CMP_NE, NETLINK_ROUTE);
	gen_add(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT), "socket", 2, nl);
	arg = SCMP_A0(SCMP_CMP_EQ, AF_UNIX);
	gen_add(ctx, SCMP_ACT_ALLOW, "socketpair", 1, &arg);
	/*
	 * clone3 hides its flags in memory where a filter cannot look: it
	 * stays unlisted (ENOSYS), and libc falls back to clone.
	 */
	/*
	 * The agent starts each runtime generation in new pid and mount
	 * namespaces and mounts its /proc (spawn.c).
	 */
	if (agent) {
		ns &= ~(uint64_t)CLONE_NEWPID;
		arg = SCMP_A0(SCMP_CMP_EQ, CLONE_NEWNS);
		gen_add(ctx, SCMP_ACT_ALLOW, "unshare", 1, &arg);
		gen_add(ctx, SCMP_ACT_ALLOW, "mount", 0, NULL);
	}
	arg = SCMP_A0(SCMP_CMP_MASKED_EQ, ns, 0);
	gen_add(ctx, SCMP_ACT_ALLOW, "clone", 1, &arg);
	return ctx;
}

/* The VMM's: everything but deny[] and new namespaces (see above). */
static scmp_filter_ctx
gen_vmm(void)
{
	scmp_filter_ctx		ctx;
	struct scmp_arg_cmp	arg;
	size_t			i;
	int			rc;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		gen_fail("seccomp_init", ENOMEM);
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		gen_fail("optimize", rc);
	for (i = 0; deny[i] != NULL; i++)
		if (strncmp(deny[i], "io_uring_", 9) != 0)
			gen_add(ctx, SCMP_ACT_ERRNO(EPERM), deny[i], 0, NULL);
	for (i = 0; i < 64; i++) {
		/* clone with any CLONE_NEW* flag: one rule per flag bit set. */
		uint64_t bit = 1ULL << i;

		if ((NS_FLAGS & bit) == 0)
			continue;
		arg = SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit);
		gen_add(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &arg);
	}
	/* Its flags out of sight: ENOSYS, and libc creates threads with clone. */
	gen_add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
	return ctx;
}

/* Print ctx's program as a C array called name. */
static void
gen_print(scmp_filter_ctx ctx, const char *name)
{
	struct sock_filter	*prog;
	struct stat		 sb;
	size_t			 i, n;
	int			 fd, rc;

	if ((fd = memfd_create("bpf", 0)) == -1)
		gen_fail("memfd_create", errno);
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0)
		gen_fail("export", rc);
	if (fstat(fd, &sb) == -1 || sb.st_size == 0 ||
	    sb.st_size % sizeof *prog != 0)
		gen_fail("exported program", EINVAL);
	if ((prog = malloc(sb.st_size)) == NULL)
		gen_fail("malloc", ENOMEM);
	if (pread(fd, prog, sb.st_size, 0) != sb.st_size)
		gen_fail("read back", errno);
	close(fd);
	n = sb.st_size / sizeof *prog;
	printf("static const struct sock_filter seccomp_%s[%zu] = {\n", name, n);
	for (i = 0; i < n; i++)
		printf("\t{ 0x%04x, %u, %u, 0x%08x },\n", prog[i].code,
		    prog[i].jt, prog[i].jf, prog[i].k);
	printf("};\n\n");
	free(prog);
}

int
main(int argc, char **argv)
{
	scmp_filter_ctx	ctx;
	int		i;

	if (argc < 2) {
		fprintf(stderr, "usage: seccomp-gen runtime|agent|vmm...\n");
		return 2;
	}
	printf("/* Generated by seccomp-gen from vm/agent/seccomp-gen.c: do not "
	    "edit. */\n\n");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "runtime") == 0)
			ctx = gen_policy(0);
		else if (strcmp(argv[i], "agent") == 0)
			ctx = gen_policy(1);
		else if (strcmp(argv[i], "vmm") == 0)
			ctx = gen_vmm();
		else {
			fprintf(stderr, "seccomp-gen: no program '%s'\n", argv[i]);
			return 2;
		}
		printf("/* %s */\n", argv[i]);
		gen_print(ctx, argv[i]);
		seccomp_release(ctx);
	}
	return 0;
}
