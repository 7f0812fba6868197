/*
 * bench-defences.c — what each of a sandbox's defences costs on its own.
 *
 *	bench-defences N [COMMAND ARG...]
 *
 * Times, N times each (p50 and p99, µs), a child process that does
 * nothing but exit, then the same child doing one of the things an ns
 * sandbox now does per instance or per runtime generation: enter a user
 * namespace that its parent maps to two host uids (the per-instance uid,
 * done once per sandbox), start in new pid and mount namespaces with a
 * /proc of its own (spawn.c, once per runtime generation), load the
 * runtime's seccomp program (confine.c, once per generation).  The
 * difference from the bare child is what the defence adds to a cold
 * start; warm invocations pay none of it, except the filter's per-call
 * cost, which `make bench` shows in the warm figures.  With a command,
 * each child then execs it (a runtime's start, say), so what a defence
 * costs the program that runs under it shows too.  Run as root.
 */
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "seccomp-bpf.h"

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char	**cmd;		/* what each child execs, or NULL */

/* The child of each case: 0 when it did its part. */
static int
child(int what, int sync)
{
	struct sock_fprog	prog;
	char			c;

	switch (what) {
	case 1:
		if (unshare(CLONE_NEWUSER) == -1 || write(sync, "u", 1) != 1 ||
		    read(sync, &c, 1) != 1 || setresuid(0, 0, 0) == -1)
			return 1;
		return 0;
	case 2:
		if (unshare(CLONE_NEWNS) == -1 ||
		    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == -1 ||
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
		    MS_NOEXEC, NULL) == -1)
			return 1;
		return 0;
	case 3:
		prog.len = sizeof seccomp_runtime / sizeof seccomp_runtime[0];
		prog.filter = (struct sock_filter *)seccomp_runtime;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1)
			return 1;
		return 0;
	}
	return 0;
}

/* One run of case what; its time in µs, or -1 if it failed. */
static double
run(int what)
{
	char	map[128], path[64], c;
	int	sp[2], st, fd, n, ok = 1;
	double	t0 = now_us();
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		return -1;
	if (what == 2)
		pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
	else
		pid = fork();
	if (pid == 0) {
		if (child(what, sp[1]) != 0)
			_exit(1);
		if (cmd != NULL) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			dup2(null, 2);
			execv(cmd[0], cmd);
		}
		_exit(cmd != NULL ? 1 : 0);
	}
	if (what == 1) {
		/* The parent maps it, as ns.c's middle process does. */
		if (read(sp[0], &c, 1) != 1)
			ok = 0;
		n = snprintf(map, sizeof map, "0 %u 1\n%d %u 1\n",
		    PROTO_HOST_UID_BASE + 2 * (unsigned)pid, PROTO_SANDBOX_UID,
		    PROTO_HOST_UID_BASE + 2 * (unsigned)pid + 1);
		snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
		if ((fd = open(path, O_WRONLY)) == -1 || write(fd, map, n) != n)
			ok = 0;
		close(fd);
		snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
		if ((fd = open(path, O_WRONLY)) == -1 || write(fd, map, n) != n)
			ok = 0;
		close(fd);
		if (write(sp[0], "m", 1) != 1)
			ok = 0;
	}
	waitpid(pid, &st, 0);
	close(sp[0]);
	close(sp[1]);
	if (!ok || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return now_us() - t0;
}

int
main(int argc, char **argv)
{
	static const char *names[] = {
		"bare child (fork, exit)",
		"+ own user namespace, mapped (per sandbox)",
		"+ own pid and mount ns, /proc (per generation)",
		"+ runtime seccomp filter (per generation)",
	};
	double	*t[4], base = 0, v;
	int	 n = argc > 1 ? atoi(argv[1]) : 500, what, i, k[4] = { 0 };

	if (n < 10)
		n = 10;
	if (argc > 2)
		cmd = argv + 2;
	/* Round robin, so that the machine's drift touches every case alike. */
	for (what = 0; what < 4; what++)
		t[what] = calloc(n, sizeof *t[what]);
	for (i = 0; i < n; i++)
		for (what = 0; what < 4; what++)
			if ((v = run(what)) >= 0)
				t[what][k[what]++] = v;
	for (what = 0; what < 4; what++) {
		if (k[what] == 0) {
			printf("%-50s failed (not root?)\n", names[what]);
			continue;
		}
		qsort(t[what], k[what], sizeof *t[what], cmp);
		if (what == 0)
			base = t[0][k[0] / 2];
		printf("%-50s p50 %8.1f µs  p99 %8.1f µs", names[what],
		    t[what][k[what] / 2], t[what][k[what] * 99 / 100]);
		if (what > 0)
			printf("   adds %7.1f µs", t[what][k[what] / 2] - base);
		printf("\n");
		free(t[what]);
	}
	return 0;
}
