/*
 * shim.c — hearth-shim, the small supervisor that owns one microVM.
 *
 *	hearth-shim [-k] [-b PATH]... [-i STATE] RUN_DIR STATUS_FD
 *	    BOOT_TIMEOUT_S -- QEMU ARGV...
 *
 * The qemu driver starts one shim per VM, detached from whoever asked (a
 * console, a shell, a one-shot command), so a VM lives on after that
 * process exits and any later hearth finds it again through the store:
 * the shim's pid and RUN_DIR/agent.sock are all it needs.  The shim
 *
 *   - takes a network namespace of its own with only loopback in it, so
 *     the port QEMU's user network forwards to the agent (PROTO_VM_PORT)
 *     exists nowhere else (relay.c);
 *   - starts QEMU as its child, which dies with it (PR_SET_PDEATHSIG),
 *     confined as Firecracker's jailer confines Firecracker (jail.c);
 *   - copies what QEMU writes to its stdout (the serial console) and its
 *     stderr into RUN_DIR/console.log and RUN_DIR/qemu.log, bounded
 *     (console.c);
 *   - waits for the agent, after a boot or a restore from a snapshot, and
 *     rekeys it (boot.c);
 *   - tells its creator "ready PORT MS" or "error WHY" on STATUS_FD, WHY
 *     ending with the tail of the guest's serial console;
 *   - then relays every connection to RUN_DIR/agent.sock to the agent
 *     (relay.c);
 *   - when QEMU exits, writes why to RUN_DIR/exit, drops every relayed
 *     connection and exits itself: a dead VM leaves no process behind.
 *
 * SIGTERM stops QEMU (SIGKILL) and the shim, during the boot too.  This
 * file holds main and the supervision loop, which waits on all of it at
 * once.  The shim uses nothing but libc: it is small, and one runs for
 * every VM.
 */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

const char		*shim_run_dir;	/* RUN_DIR, as given */
pid_t			 shim_qemu_pid;	/* QEMU, 0 once reaped */

/* Milliseconds on the monotonic clock. */
uint64_t
shim_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A file of RUN_DIR by its full path, for messages (the shim runs in it). */
static char *
shim_path(const char *name)
{
	static char	p[4][4096];
	static int	i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", shim_run_dir, name);
	return p[i];
}

/* Write RUN_DIR/name (0600) in one step: a new file renamed over it. */
void
shim_write_file(const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	 tmp[256];
	FILE	*f;

	snprintf(tmp, sizeof tmp, "%s.new", name);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fchmod(fileno(f), 0600);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) == 0)
		rename(tmp, name);
}

/*
 * Tell the shim's creator why the VM did not start, with the tail of its
 * serial console, on status_fd; stop QEMU and exit.
 */
void
shim_fail(int status_fd, const char *fmt, ...)
{
	va_list	ap;
	char	msg[1024], tail[2048];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (shim_qemu_pid > 0) {
		kill(shim_qemu_pid, SIGKILL);
		waitpid(shim_qemu_pid, NULL, 0);
		console_drain(200);
	}
	console_tail(tail, sizeof tail);
	dprintf(status_fd, "error %s; serial console ends: %s\n", msg, tail);
	exit(1);
}

/* How QEMU ended, from its wait status st. */
void
shim_describe_exit(int st, char *out, size_t len)
{
	if (WIFEXITED(st))
		snprintf(out, len, "qemu exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, len, "qemu was killed by signal %d", WTERMSIG(st));
	else
		snprintf(out, len, "qemu stopped");
}

/* Has SIGTERM come (on the signalfd sfd)?  Other signals are dropped. */
int
shim_term_pending(int sfd)
{
	struct signalfd_siginfo	si;
	int			term = 0;

	while (read(sfd, &si, sizeof si) == sizeof si)
		if (si.ssi_signo == SIGTERM)
			term = 1;
	return term;
}

/* A unix socket only its owner can connect to, listening at name. */
static int
shim_listen_unix(const char *name, int flags)
{
	struct sockaddr_un	sun;
	int			fd;

	if (strlen(name) >= sizeof sun.sun_path)
		return -1;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, name);
	unlink(name);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0)) == -1)
		return -1;
	if (fchmod(fd, 0600) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    chmod(name, 0600) == -1 || listen(fd, 64) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* QEMU ended with wait status st: say why, drop every client, exit. */
static void
shim_qemu_gone(int st)
{
	char	why[64];

	console_drain(200);
	shim_describe_exit(st, why, sizeof why);
	shim_write_file("exit", "%s\n", why);
	relay_close_all();
	unlink("agent.sock");
	unlink("qmp.sock");
	exit(0);
}

/*
 * The agent closed a connection, which it does on its own only when it
 * stops.  A dying QEMU closes its sockets before it becomes a zombie, so
 * give it a moment: if it is exiting, the clients should learn why (the
 * exit file) before they see their connection close.
 */
void
shim_check_dying(void)
{
	int	i, st;

	for (i = 0; i < 20; i++) {
		if (waitpid(shim_qemu_pid, &st, WNOHANG) == shim_qemu_pid)
			shim_qemu_gone(st);
		console_wait(-1, 0, 5);
	}
}

/*
 * The VM runs: copy QEMU's output, relay the host's connections on lfd,
 * and end with QEMU or on SIGTERM (on the signalfd sfd).  Never returns.
 */
static void __attribute__((noreturn))
shim_supervise(int lfd, int sfd)
{
	struct pollfd	 pfd[2 + CONSOLE_STREAMS + 2 * RELAY_PAIRS];
	int		 n, st, base;

	for (;;) {
		n = 0;
		pfd[n].fd = lfd; pfd[n++].events = POLLIN;
		pfd[n].fd = sfd; pfd[n++].events = POLLIN;
		n += console_pollfds(pfd + n);
		base = n;
		n += relay_pollfds(pfd + n);
		if (poll(pfd, n, -1) == -1 && errno != EINTR)
			exit(1);
		console_events(pfd + 2);
		if (pfd[1].revents) {
			if (shim_term_pending(sfd)) {
				kill(shim_qemu_pid, SIGKILL);
				waitpid(shim_qemu_pid, &st, 0);
				shim_qemu_gone(st);
			}
			if (waitpid(shim_qemu_pid, &st, WNOHANG) == shim_qemu_pid)
				shim_qemu_gone(st);
		}
		relay_events(pfd + base);
		if (pfd[0].revents)
			relay_accept(lfd, boot_token());
	}
}

/* Say how the shim is run (hearth does it: a person should not). */
static void
usage(void)
{
	fprintf(stderr, "usage: hearth-shim [-k] [-b PATH]... [-i STATE] RUN_DIR "
	    "STATUS_FD BOOT_TIMEOUT_S -- QEMU ARGV...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct jail	 j;
	struct stat	 sb;
	struct group	*gr;
	sigset_t	 mask;
	const char	*state = NULL;
	uint64_t	 start = shim_now_ms();
	int		 status_fd, timeout_s, lfd, sfd, c;

	memset(&j, 0, sizeof j);
	j.kvm_gid = (gid_t)-1;
	j.state_fd = -1;
	while ((c = getopt(argc, argv, "+b:i:k")) != -1) {
		switch (c) {
		case 'b':
			if (j.nbinds == SHIM_BINDS)
				usage();
			j.binds[j.nbinds++] = optarg;
			break;
		case 'i':
			state = optarg;
			break;
		case 'k':
			j.kvm = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 5 || strcmp(argv[3], "--") != 0)
		usage();
	shim_run_dir = argv[0];
	status_fd = atoi(argv[1]);
	timeout_s = atoi(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		shim_fail(status_fd, "signalfd: %s", strerror(errno));
	/* From here on, RUN_DIR's files are named relative to it. */
	if (chdir(shim_run_dir) == -1)
		shim_fail(status_fd, "%s: %s", shim_run_dir, strerror(errno));
	if (boot_read_env() != 0)
		shim_fail(status_fd, "no %s in %s", PROTO_ENV_TOKEN, shim_path("env"));
	if (relay_private_net() == -1)
		shim_fail(status_fd, "a network namespace: %s", strerror(errno));
	if ((lfd = shim_listen_unix("agent.sock", SOCK_NONBLOCK)) == -1)
		shim_fail(status_fd, "%s: %s", shim_path("agent.sock"), strerror(errno));
	if ((j.qmp_fd = shim_listen_unix("qmp.sock", 0)) == -1)
		shim_fail(status_fd, "%s: %s", shim_path("qmp.sock"), strerror(errno));
	if (state != NULL && (j.state_fd = open(state, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		shim_fail(status_fd, "%s: %s", state, strerror(errno));
	if (j.kvm) {
		if (stat("/dev/kvm", &sb) == -1 || !S_ISCHR(sb.st_mode))
			shim_fail(status_fd, "/dev/kvm: %s", strerror(errno));
		j.kvm_dev = sb.st_rdev;
		if ((gr = getgrnam("kvm")) != NULL)
			j.kvm_gid = gr->gr_gid;
	}
	if (mkdir(SHIM_JAIL, 0700) == -1 && errno != EEXIST)
		shim_fail(status_fd, "%s: %s", shim_path(SHIM_JAIL), strerror(errno));
	console_open();
	boot_start_qemu(status_fd, &j, argv + 4);
	boot_wait(status_fd, sfd, timeout_s, state != NULL);
	dprintf(status_fd, "ready %d %llu\n", PROTO_VM_PORT,
	    (unsigned long long)(shim_now_ms() - start));
	close(status_fd);
	shim_supervise(lfd, sfd);
}
