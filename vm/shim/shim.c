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
 *     exists nowhere else: no other process on the host can reach it;
 *   - starts QEMU as its child, which dies with it (PR_SET_PDEATHSIG),
 *     confined as Firecracker's jailer confines Firecracker (below);
 *   - copies what QEMU writes to its stdout (the serial console) and its
 *     stderr into RUN_DIR/console.log and RUN_DIR/qemu.log, reading both
 *     pipes at all times so a chatty guest never stalls; each log is
 *     rotated once to NAME.1 when it reaches its cap, so whatever the
 *     guest prints, the logs stay bounded;
 *   - waits for the agent (the guest says PROTO_VM_READY_LINE on its
 *     console, or after a restore QMP says the VM runs), then sends POST
 *     /rekey with the first token (RUN_DIR/env, which QEMU hands the
 *     guest as a fw_cfg file): a new token, entropy and the wall clock —
 *     after a restore from a snapshot that is what makes this VM unlike
 *     its siblings;
 *   - tells its creator "ready PORT MS" or "error WHY" on STATUS_FD, WHY
 *     ending with the tail of the guest's serial console;
 *   - then relays every connection to RUN_DIR/agent.sock (a unix socket
 *     only its owner can open) to the agent, opening each with the
 *     token line, so everything above vm/ talks to a VM exactly as to an
 *     ns sandbox;
 *   - when QEMU exits, writes why to RUN_DIR/exit, drops every relayed
 *     connection and exits itself: a dead VM leaves no process behind.
 *
 * SIGTERM stops QEMU (SIGKILL) and the shim, during the boot too.
 *
 * The jail.  QEMU runs as uid and gid PROTO_HOST_UID_BASE + 2 * its pid
 * (with the kvm group too under -k), with no capabilities, no_new_privs,
 * its own mount and IPC namespaces, and the seccomp filter its argv asks
 * for (-sandbox).  Its root is a fresh tmpfs, read-only once built,
 * holding /usr and the host's /bin, /sbin, /lib, /lib64 (symlinks or
 * read-only binds, as the host has them), /etc/ld.so.cache, each -b PATH
 * (the kernel, initramfs and disk) read-only at its own path, a /dev of
 * null, zero, random and urandom (and kvm, QEMU's alone, under -k), and
 * SHIM_FW_CFG: a copy of RUN_DIR/env that only QEMU's uid can read.
 * Nothing else of the host, nothing of $HEARTH_HOME.  QEMU cannot open
 * anything of the shim's: what it needs arrives as file descriptors,
 * named in its argv by placeholders the shim fills in:
 *
 *	@QMP_FD@	a socket listening on RUN_DIR/qmp.sock (0600), for
 *			-chardev socket,fd=...,server=on: the host's QMP
 *	@STATE_FD@	the state file given with -i, for -incoming fd:...
 *	@FW_CFG@	the path of the settings file in the jail
 *
 * and QEMU's stdout and stderr are the pipes the logs come from.  Saving
 * a snapshot, the host opens the file and hands it to QEMU over QMP.
 *
 * Once QEMU runs, the shim keeps one capability, CAP_KILL (QEMU runs
 * under another uid and the shim must be able to stop it), sets
 * no_new_privs and is not dumpable.  It uses nothing but libc: it is
 * small, and one runs for every VM.
 */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "seccomp-vmm.h"

#define SHIM_PAIRS	64		/* relayed connections at once */
#define SHIM_BUF	65536		/* bytes in flight each way */
#define SHIM_TAIL	3		/* console lines in a boot error */
#define SHIM_TAIL_BYTES	8192		/* QEMU output kept for errors */
#define SHIM_READ	4096		/* QEMU output read at once */
#define SHIM_CONSOLE_MAX (1024 * 1024)	/* console.log before rotating */
#define SHIM_QEMU_LOG_MAX (64 * 1024)	/* qemu.log before rotating */
#define SHIM_ENV_MAX	8192		/* RUN_DIR/env */
#define SHIM_BINDS	8		/* -b paths */
#define SHIM_QMP_FD	3		/* QEMU's QMP listener, in QEMU */
#define SHIM_STATE_FD	4		/* the state to restore, in QEMU */
#define SHIM_FW_CFG	"/env"		/* the settings, in the jail */
#define SHIM_JAIL	"jail"		/* in RUN_DIR: the jail's mount point */
#define SHIM_PATH	"PATH=/usr/local/bin:/usr/bin:/bin"

struct half {
	char	 buf[SHIM_BUF];		/* bytes read, not yet written on */
	size_t	 len;			/* bytes held */
	size_t	 off;			/* of those, bytes written */
	int	 eof;			/* the reading side closed */
};

struct pair {
	int		 cfd;		/* client, on agent.sock */
	int		 ufd;		/* upstream, the agent */
	struct half	 up;		/* client to agent */
	struct half	 down;		/* agent to client */
};

/* One of QEMU's output streams and the bounded log it goes to. */
struct sink {
	const char	*name;		/* in RUN_DIR: console.log, qemu.log */
	off_t		 max;		/* bytes in it before it becomes NAME.1 */
	int		 in;		/* the pipe from QEMU; -1 once closed */
	int		 fd;		/* the log, appended to; -1 if unwritable */
	off_t		 size;		/* bytes in the log */
	char		 tail[SHIM_TAIL_BYTES + 1]; /* the last bytes read */
	size_t		 tail_len;	/* bytes in tail */
};

/* How QEMU is confined, from the command line. */
struct jail {
	const char	*binds[SHIM_BINDS];	/* files bound read-only */
	int		 nbinds;		/* entries in binds */
	int		 kvm;			/* /dev/kvm and the kvm group */
	gid_t		 kvm_gid;		/* the kvm group, or (gid_t)-1 */
	dev_t		 kvm_dev;		/* the host's /dev/kvm */
	int		 qmp_fd;		/* listening on RUN_DIR/qmp.sock */
	int		 state_fd;		/* -i: the state to restore, or -1 */
	int		 out;			/* QEMU's stdout: the console pipe */
	int		 err;			/* QEMU's stderr */
	pid_t		 shim;			/* the shim, QEMU's parent */
};

static const char	*run_dir;
static char		 token[PROTO_TOKEN_LEN + 1];
static pid_t		 qemu_pid;
static struct pair	*pairs[SHIM_PAIRS];
static int		 console_ready;	/* PROTO_VM_READY_LINE was seen */
static char		 env[SHIM_ENV_MAX];	/* RUN_DIR/env, as read */
static size_t		 env_len;
static struct sink	 sinks[] = {
	{ "console.log", SHIM_CONSOLE_MAX, -1, -1, 0, "", 0 },
	{ "qemu.log", SHIM_QEMU_LOG_MAX, -1, -1, 0, "", 0 },
};
#define SHIM_CONSOLE	(&sinks[0])
#define SHIM_STDERR	(&sinks[1])
#define SHIM_NSINKS	(sizeof sinks / sizeof sinks[0])

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A file of RUN_DIR by its full path, for messages (the shim runs in it). */
static char *
path_in(const char *name)
{
	static char	p[4][4096];
	static int	i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", run_dir, name);
	return p[i];
}

static void
write_file(const char *name, const char *fmt, ...)
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

/* Open s's log: appended to when it exists (a restore's seeded console). */
static void
sink_open(struct sink *s, int append)
{
	struct stat	sb;

	s->fd = open(s->name, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC | (append ? 0 : O_TRUNC), 0600);
	s->size = 0;
	if (s->fd != -1 && fstat(s->fd, &sb) == 0) {
		fchmod(s->fd, 0600);
		s->size = sb.st_size;
	}
}

/* Move s's log to NAME.1 (replacing the one before) and start a new one. */
static void
sink_rotate(struct sink *s)
{
	char	old[256];

	snprintf(old, sizeof old, "%s.1", s->name);
	if (s->fd != -1)
		close(s->fd);
	rename(s->name, old);
	sink_open(s, 0);
}

/* Append n bytes to s's log, rotating it whenever it reaches its cap. */
static void
sink_write(struct sink *s, const char *p, size_t n)
{
	size_t	room;
	ssize_t	w;

	while (n > 0) {
		if (s->size >= s->max)
			sink_rotate(s);
		room = (size_t)(s->max - s->size);
		if (room > n)
			room = n;
		/* A full disk costs log lines, nothing else: counted anyway. */
		w = s->fd != -1 ? write(s->fd, p, room) : -1;
		(void)w;
		s->size += room;
		p += room;
		n -= room;
	}
}

/* Read what QEMU wrote to s, into its log and its tail. */
static void
sink_read(struct sink *s)
{
	char	buf[SHIM_READ];
	ssize_t	n;
	size_t	drop;

	if (s->in == -1)
		return;
	if ((n = read(s->in, buf, sizeof buf)) == 0 ||
	    (n == -1 && errno != EAGAIN && errno != EINTR)) {
		close(s->in);
		s->in = -1;
		return;
	}
	if (n <= 0)
		return;
	sink_write(s, buf, n);
	if (s->tail_len + n > SHIM_TAIL_BYTES) {	/* n < SHIM_TAIL_BYTES */
		drop = s->tail_len + n - SHIM_TAIL_BYTES;
		memmove(s->tail, s->tail + drop, s->tail_len - drop);
		s->tail_len -= drop;
	}
	memcpy(s->tail + s->tail_len, buf, n);
	s->tail_len += n;
	s->tail[s->tail_len] = '\0';
	/* Reads are smaller than the tail, so the line is whole in it. */
	if (s == SHIM_CONSOLE && !console_ready && memmem(s->tail, s->tail_len,
	    PROTO_VM_READY_LINE, strlen(PROTO_VM_READY_LINE)) != NULL)
		console_ready = 1;
}

/*
 * Wait up to ms for events on fd (none if fd is -1), copying QEMU's
 * output to its logs meanwhile: whatever the shim waits for, QEMU never
 * waits on a full pipe.  Returns fd's revents, 0 when the time is up or
 * when one of QEMU's pipes closed (QEMU is going: callers look again).
 */
static int
wait_fd(int fd, short events, int ms)
{
	struct pollfd	 pfd[1 + SHIM_NSINKS];
	struct sink	*s[SHIM_NSINKS];
	uint64_t	 deadline = now_ms() + (ms > 0 ? ms : 0);
	int		 n, k, i, left;

	for (;;) {
		n = k = 0;
		if (fd != -1) {
			pfd[n].fd = fd;
			pfd[n++].events = events;
		}
		for (i = 0; i < (int)SHIM_NSINKS; i++) {
			if (sinks[i].in == -1)
				continue;
			s[k++] = &sinks[i];
			pfd[n].fd = sinks[i].in;
			pfd[n++].events = POLLIN;
		}
		left = (int)(deadline > now_ms() ? deadline - now_ms() : 0);
		if (poll(pfd, n, left) == -1 && errno != EINTR)
			return 0;
		for (i = 0; i < k; i++)
			if (pfd[n - k + i].revents != 0)
				sink_read(s[i]);
		if (fd != -1 && pfd[0].revents != 0)
			return pfd[0].revents;
		for (i = 0; i < k; i++)
			if (s[i]->in == -1)
				return 0;
		if (now_ms() >= deadline)
			return 0;
	}
}

/* QEMU is gone: read what is left in its pipes (for at most ms). */
static void
sinks_drain(int ms)
{
	uint64_t	deadline = now_ms() + ms;
	size_t		i;

	for (;;) {
		for (i = 0; i < SHIM_NSINKS && sinks[i].in == -1; i++)
			;
		if (i == SHIM_NSINKS || now_ms() >= deadline)
			return;
		wait_fd(-1, 0, (int)(deadline - now_ms()));
	}
}

/*
 * The last SHIM_TAIL non-empty lines of the serial console, " | "-joined;
 * a kernel panic's first line first, since its stack trace follows it.
 */
static void
console_tail(char *out, size_t len)
{
	char	 buf[SHIM_TAIL_BYTES + 1], *lines[SHIM_TAIL], *p, *e, *panic = NULL;
	int	 n = 0, i;
	size_t	 used = 0;

	out[0] = '\0';
	memcpy(buf, SHIM_CONSOLE->tail, SHIM_CONSOLE->tail_len + 1);
	for (p = buf; *p != '\0'; p = e) {
		e = p + strcspn(p, "\r\n");
		if (*e != '\0')
			*e++ = '\0';
		e += strspn(e, "\r\n");
		if (*p == '\0')
			continue;
		if (strstr(p, "Kernel panic") != NULL)
			panic = p;
		if (n == SHIM_TAIL) {
			memmove(lines, lines + 1, sizeof lines[0] * (SHIM_TAIL - 1));
			n--;
		}
		lines[n++] = p;
	}
	if (panic != NULL && n > 0 && panic < lines[0])
		used = snprintf(out, len, "%s | ... | ", panic);
	for (i = 0; i < n && used + 4 < len; i++)
		used += snprintf(out + used, len - used, "%s%s", i ? " | " : "",
		    lines[i]);
	if (n == 0)
		snprintf(out, len, "(nothing on the serial console)");
}

static void
fail(int status_fd, const char *fmt, ...)
{
	va_list	ap;
	char	msg[1024], tail[2048];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (qemu_pid > 0) {
		kill(qemu_pid, SIGKILL);
		waitpid(qemu_pid, NULL, 0);
		sinks_drain(200);
	}
	console_tail(tail, sizeof tail);
	dprintf(status_fd, "error %s; serial console ends: %s\n", msg, tail);
	exit(1);
}

/*
 * A network namespace of the shim's own, loopback only: QEMU's forward
 * to the agent listens there, where nothing but the shim can connect.
 */
static int
net_private(void)
{
	struct ifreq	ifr;
	int		fd;

	if (unshare(CLONE_NEWNET) == -1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static int
agent_dial(void)
{
	struct sockaddr_in	sin;
	int			fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PROTO_VM_PORT);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One request to the agent with tok, on a fresh connection, answered
 * within timeout_ms.  Returns the HTTP status, 0 for no answer.
 */
static int
agent_call(const char *tok, const char *method, const char *path,
    const char *body, int timeout_ms)
{
	char		req[1024], reply[512];
	size_t		got = 0;
	ssize_t		n;
	int		fd, code = 0, len;
	uint64_t	deadline = now_ms() + timeout_ms;

	if ((fd = agent_dial()) == -1)
		return 0;
	len = snprintf(req, sizeof req, PROTO_TOKEN_PREFIX "%s\n%s %s HTTP/1.1\r\n"
	    "Host: agent\r\nContent-Length: %zu\r\n\r\n%s", tok, method, path,
	    strlen(body), body);
	if (write(fd, req, len) != len)
		goto out;
	while (got < sizeof reply - 1 && now_ms() < deadline) {
		if (wait_fd(fd, POLLIN, (int)(deadline - now_ms())) == 0)
			break;
		if ((n = read(fd, reply + got, sizeof reply - 1 - got)) <= 0)
			break;
		got += n;
		reply[got] = '\0';
		if (strstr(reply, "\r\n") != NULL) {
			sscanf(reply, "HTTP/1.1 %d", &code);
			break;
		}
	}
out:
	close(fd);
	return code;
}

static void
random_hex(char *out, size_t nbytes)
{
	unsigned char	b[64];
	size_t		i;

	if (getrandom(b, nbytes, 0) != (ssize_t)nbytes)
		abort();
	for (i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/*
 * RUN_DIR/env: the first token (HEARTH_TOKEN), and the other settings,
 * which /rekey repeats for a VM restored from another VM's snapshot.  The
 * whole file is kept too: it is what QEMU hands the guest (SHIM_FW_CFG).
 */
static char	settings[2048];

static int
read_env(void)
{
	char	 line[512];
	FILE	*f;
	size_t	 n = strlen(PROTO_ENV_TOKEN "="), used = 0;
	int	 found = 0;

	if ((f = fopen("env", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (env_len + strlen(line) < sizeof env) {
			memcpy(env + env_len, line, strlen(line));
			env_len += strlen(line);
		}
		if (strncmp(line, PROTO_ENV_TOKEN "=", n) == 0) {
			if (strcspn(line + n, "\n") == PROTO_TOKEN_LEN) {
				memcpy(token, line + n, PROTO_TOKEN_LEN);
				found = 1;
			}
		} else if (used + strlen(line) < sizeof settings - 1) {
			memcpy(settings + used, line, strlen(line) + 1);
			used += strlen(line);
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

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
jail_fw_cfg(const char *root, uid_t uid)
{
	char	p[PATH_MAX + 64];
	int	fd;

	snprintf(p, sizeof p, "%s%s", root, SHIM_FW_CFG);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0400)) == -1 || write(fd, env, env_len) != (ssize_t)env_len ||
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
static void __attribute__((noreturn))
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
		jail_fail("%s: %s", run_dir, strerror(errno));
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
	jail_fw_cfg(root, uid);
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

/* arg with every placeholder filled in; a new string. */
static char *
fill_in(const char *arg)
{
	static const char	*names[] = { "@QMP_FD@", "@STATE_FD@", "@FW_CFG@" };
	char			 qmp[16], state[16], *out, *p;
	const char		*values[3];
	size_t			 i;

	snprintf(qmp, sizeof qmp, "%d", SHIM_QMP_FD);
	snprintf(state, sizeof state, "%d", SHIM_STATE_FD);
	values[0] = qmp;
	values[1] = state;
	values[2] = SHIM_FW_CFG;
	if ((out = strdup(arg)) == NULL)
		abort();
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		while ((p = strstr(out, names[i])) != NULL) {
			char *n;

			if (asprintf(&n, "%.*s%s%s", (int)(p - out), out, values[i],
			    p + strlen(names[i])) == -1)
				abort();
			free(out);
			out = n;
		}
	}
	return out;
}

/* Keep only CAP_KILL (QEMU is another uid); no new privileges, no dumps. */
static int
shim_drop(void)
{
	struct __user_cap_header_struct	hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	data[2];
	int				cap;

	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 && errno != EINVAL)
			return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		return -1;
	memset(data, 0, sizeof data);
	data[0].effective = data[0].permitted = 1u << CAP_KILL;
	if (syscall(SYS_capset, &hdr, data) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return -1;
	return 0;
}

/*
 * Start QEMU (orig, placeholders filled in) in its jail, its output on
 * pipes the shim reads; then give up what the shim no longer needs.
 */
static void
start_qemu(int status_fd, struct jail *j, char **orig)
{
	char	**argv;
	int	  i, n, out[2], err[2];

	for (n = 0; orig[n] != NULL; n++)
		;
	if ((argv = calloc(n + 1, sizeof *argv)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		argv[i] = fill_in(orig[i]);
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1)
		fail(status_fd, "pipe: %s", strerror(errno));
	j->out = out[1];
	j->err = err[1];
	j->shim = getpid();
	if ((qemu_pid = fork()) == -1)
		fail(status_fd, "fork: %s", strerror(errno));
	if (qemu_pid == 0)
		jail_exec(j, argv);
	close(out[1]);
	close(err[1]);
	close(j->qmp_fd);
	if (j->state_fd != -1)
		close(j->state_fd);
	SHIM_CONSOLE->in = out[0];
	SHIM_STDERR->in = err[0];
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	write_file("qemu.pid", "%d\n", (int)qemu_pid);
	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	if (shim_drop() == -1)
		fail(status_fd, "drop privileges: %s", strerror(errno));
}

/* The last line QEMU wrote to its stderr, e.g. why it would not start. */
static void
qemu_last_line(char *out, size_t len)
{
	char	*p, *e;

	out[0] = '\0';
	for (p = SHIM_STDERR->tail; *p != '\0'; p = e) {
		e = p + strcspn(p, "\n");
		if (e > p)
			snprintf(out, len, "%.*s", (int)(e - p), p);
		if (*e == '\n')
			e++;
	}
}

static void
describe_exit(int st, char *out, size_t len)
{
	if (WIFEXITED(st))
		snprintf(out, len, "qemu exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, len, "qemu was killed by signal %d", WTERMSIG(st));
	else
		snprintf(out, len, "qemu stopped");
}

/*
 * After a restore, wait until QEMU runs the guest: a connection made while
 * the state is still loading would have QEMU's network stack send its SYN
 * to a paused guest and wait out TCP's one-second retransmission timer.
 * QMP is asked (query-status) until it says "running".  0 when running,
 * -1 if QEMU is gone or the deadline passed.
 */
static int
qmp_wait_running(uint64_t deadline)
{
	struct sockaddr_un	 sun;
	char			 buf[8192];
	size_t			 got = 0;
	ssize_t			 n;
	int			 fd, rc = -1, sent_caps = 0;
	const char		*caps = "{\"execute\": \"qmp_capabilities\"}\n";
	const char		*query = "{\"execute\": \"query-status\"}\n";

	/* The shim made the listener: this connects at once, QEMU or not. */
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "qmp.sock");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	buf[0] = '\0';
	while (now_ms() < deadline) {
		if (wait_fd(fd, POLLIN, 50) != 0) {
			if ((n = read(fd, buf + got, sizeof buf - 1 - got)) <= 0)
				break;
			got += n;
			buf[got] = '\0';
		}
		if (strstr(buf, "\"status\": \"running\"") != NULL) {
			rc = 0;
			break;
		}
		if (memchr(buf, '\n', got) == NULL)
			continue;		/* the greeting, not yet whole */
		got = 0;			/* seen: ask (again) */
		buf[0] = '\0';
		if (!sent_caps) {
			sent_caps = write(fd, caps, strlen(caps)) > 0;
			continue;
		}
		wait_fd(-1, 0, 2);
		if (write(fd, query, strlen(query)) <= 0)
			break;
	}
	close(fd);
	return rc;
}

/* Has SIGTERM come (on the signalfd sfd)?  Other signals are dropped. */
static int
term_pending(int sfd)
{
	struct signalfd_siginfo	si;
	int			term = 0;

	while (read(sfd, &si, sizeof si) == sizeof si)
		if (si.ssi_signo == SIGTERM)
			term = 1;
	return term;
}

/*
 * Wait for the agent and rekey it: the rekey is the readiness probe, one
 * round trip instead of a health check and then a rekey.  Once the guest
 * has said on its console that the agent listens (at once after a
 * restore), POST /rekey is tried until it lands; if its answer was lost
 * after it landed, the new token already works, and that is checked.
 * QEMU exiting first is an error, and so is SIGTERM.
 */
static void
boot_wait(int status_fd, int sfd, int timeout_s, int restoring)
{
	char		 body[3072], seed[2 * PROTO_SEED_LEN + 1], fresh[PROTO_TOKEN_LEN + 1];
	char		 last[512], why[64];
	uint64_t	 start = now_ms(), deadline = start + (uint64_t)timeout_s * 1000;
	uint64_t	 seen = 0;
	struct timespec	 ts;
	int		 st;

	random_hex(fresh, PROTO_TOKEN_LEN / 2);
	for (;;) {
		if (waitpid(qemu_pid, &st, WNOHANG) == qemu_pid) {
			qemu_pid = 0;
			sinks_drain(200);
			qemu_last_line(last, sizeof last);
			describe_exit(st, why, sizeof why);
			fail(status_fd, "%s%s%s", why, last[0] ? ": " : "", last);
		}
		if (seen == 0 && (restoring ? qmp_wait_running(deadline) == 0 :
		    console_ready))
			seen = now_ms();
		if (seen != 0) {
			random_hex(seed, PROTO_SEED_LEN);
			clock_gettime(CLOCK_REALTIME, &ts);
			snprintf(body, sizeof body, "token=%s\nseed=%s\ntime_ms=%lld\n%s",
			    fresh, seed, (long long)ts.tv_sec * 1000 +
			    ts.tv_nsec / 1000000, settings);
			if (agent_call(token, "POST", PROTO_PATH_REKEY, body, 2000) == 204 ||
			    agent_call(fresh, "GET", PROTO_PATH_HEALTH, "", 1000) == 200)
				break;
		}
		if (now_ms() > deadline)
			fail(status_fd, "the agent did not answer within %d s",
			    timeout_s);
		if (wait_fd(sfd, POLLIN, 5) != 0 && term_pending(sfd))
			fail(status_fd, "stopped (SIGTERM) while booting");
	}
	write_file("phases", "console_ms %llu agent_ms %llu\n",
	    (unsigned long long)(seen - start), (unsigned long long)(now_ms() - start));
	memcpy(token, fresh, sizeof token);
	write_file("token", "%s\n", token);
}

/* A unix socket only its owner can connect to, listening at name. */
static int
listen_unix(const char *name, int flags)
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

static void
pair_close(int i)
{
	close(pairs[i]->cfd);
	close(pairs[i]->ufd);
	free(pairs[i]);
	pairs[i] = NULL;
}

static void
relay_accept(int lfd)
{
	struct pair	*p;
	int		 fd, i;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		for (i = 0; i < SHIM_PAIRS && pairs[i] != NULL; i++)
			;
		if (i == SHIM_PAIRS || (p = calloc(1, sizeof *p)) == NULL) {
			close(fd);
			continue;
		}
		p->cfd = fd;
		/*
		 * A blocking connect: QEMU's port is on loopback, where the
		 * kernel completes it at once, and a socket still connecting
		 * could refuse the first write.
		 */
		if ((p->ufd = agent_dial()) == -1) {
			close(fd);
			free(p);
			continue;
		}
		fcntl(p->ufd, F_SETFL, O_NONBLOCK);
		p->up.len = snprintf(p->up.buf, sizeof p->up.buf,
		    PROTO_TOKEN_PREFIX "%s\n", token);
		pairs[i] = p;
	}
}

/* Move bytes from fd into h; returns -1 on a hard error. */
static int
half_fill(int fd, struct half *h)
{
	ssize_t	n;

	if (h->eof || h->len == sizeof h->buf)
		return 0;
	n = read(fd, h->buf + h->len, sizeof h->buf - h->len);
	if (n > 0)
		h->len += n;
	else if (n == 0)
		h->eof = 1;
	else if (errno != EAGAIN && errno != EINTR)
		return -1;
	return 0;
}

/* Write what h holds to fd; half-close fd once h is drained at EOF. */
static int
half_drain(int fd, struct half *h)
{
	ssize_t	n;

	while (h->off < h->len) {
		n = write(fd, h->buf + h->off, h->len - h->off);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		h->off += n;
	}
	h->len = h->off = 0;
	if (h->eof)
		shutdown(fd, SHUT_WR);
	return 0;
}

static void
qemu_gone(int st)
{
	char	why[64];
	int	i;

	sinks_drain(200);
	describe_exit(st, why, sizeof why);
	write_file("exit", "%s\n", why);
	for (i = 0; i < SHIM_PAIRS; i++)
		if (pairs[i] != NULL)
			pair_close(i);
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
static void
qemu_check_dying(void)
{
	int	i, st;

	for (i = 0; i < 20; i++) {
		if (waitpid(qemu_pid, &st, WNOHANG) == qemu_pid)
			qemu_gone(st);
		wait_fd(-1, 0, 5);
	}
}

static void
relay(int lfd, int sfd)
{
	struct pollfd	 pfd[2 + SHIM_NSINKS + 2 * SHIM_PAIRS];
	int		 n, i, j, st, base;

	for (;;) {
		n = 0;
		pfd[n].fd = lfd; pfd[n++].events = POLLIN;
		pfd[n].fd = sfd; pfd[n++].events = POLLIN;
		for (i = 0; i < (int)SHIM_NSINKS; i++) {
			pfd[n].fd = sinks[i].in;	/* -1 is skipped by poll */
			pfd[n++].events = POLLIN;
		}
		base = n;
		for (i = 0; i < SHIM_PAIRS; i++) {
			struct pair *p = pairs[i];

			if (p == NULL)
				continue;
			pfd[n].fd = p->cfd;
			pfd[n].events = (!p->up.eof && p->up.len < sizeof p->up.buf ?
			    POLLIN : 0) | (p->down.len > p->down.off ? POLLOUT : 0);
			pfd[n + 1].fd = p->ufd;
			pfd[n + 1].events = (!p->down.eof && p->down.len <
			    sizeof p->down.buf ? POLLIN : 0) |
			    (p->up.len > p->up.off ? POLLOUT : 0);
			n += 2;
		}
		if (poll(pfd, n, -1) == -1 && errno != EINTR)
			exit(1);
		for (i = 0; i < (int)SHIM_NSINKS; i++)
			if (pfd[2 + i].revents != 0)
				sink_read(&sinks[i]);
		if (pfd[1].revents) {
			if (term_pending(sfd)) {
				kill(qemu_pid, SIGKILL);
				waitpid(qemu_pid, &st, 0);
				qemu_gone(st);
			}
			if (waitpid(qemu_pid, &st, WNOHANG) == qemu_pid)
				qemu_gone(st);
		}
		for (i = 0, j = base; i < SHIM_PAIRS; i++) {
			struct pair *p = pairs[i];
			int bad;

			if (p == NULL)
				continue;
			bad = (pfd[j].revents & POLLERR) != 0;
			if (!bad && (pfd[j].revents & (POLLIN | POLLHUP)))
				bad = half_fill(p->cfd, &p->up);
			if (!bad && (pfd[j + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
				bad = half_fill(p->ufd, &p->down);
				if (bad || p->down.eof)
					qemu_check_dying();
			}
			if (!bad)
				bad = half_drain(p->ufd, &p->up);
			if (!bad)
				bad = half_drain(p->cfd, &p->down);
			j += 2;
			if (bad || (p->up.eof && p->down.eof && p->up.len == 0 &&
			    p->down.len == 0))
				pair_close(i);
		}
		if (pfd[0].revents)
			relay_accept(lfd);
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
	uint64_t	 start = now_ms();
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
	run_dir = argv[0];
	status_fd = atoi(argv[1]);
	timeout_s = atoi(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fail(status_fd, "signalfd: %s", strerror(errno));
	/* From here on, RUN_DIR's files are named relative to it. */
	if (chdir(run_dir) == -1)
		fail(status_fd, "%s: %s", run_dir, strerror(errno));
	if (read_env() != 0)
		fail(status_fd, "no %s in %s", PROTO_ENV_TOKEN, path_in("env"));
	if (net_private() == -1)
		fail(status_fd, "a network namespace: %s", strerror(errno));
	if ((lfd = listen_unix("agent.sock", SOCK_NONBLOCK)) == -1)
		fail(status_fd, "%s: %s", path_in("agent.sock"), strerror(errno));
	if ((j.qmp_fd = listen_unix("qmp.sock", 0)) == -1)
		fail(status_fd, "%s: %s", path_in("qmp.sock"), strerror(errno));
	if (state != NULL && (j.state_fd = open(state, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		fail(status_fd, "%s: %s", state, strerror(errno));
	if (j.kvm) {
		if (stat("/dev/kvm", &sb) == -1 || !S_ISCHR(sb.st_mode))
			fail(status_fd, "/dev/kvm: %s", strerror(errno));
		j.kvm_dev = sb.st_rdev;
		if ((gr = getgrnam("kvm")) != NULL)
			j.kvm_gid = gr->gr_gid;
	}
	if (mkdir(SHIM_JAIL, 0700) == -1 && errno != EEXIST)
		fail(status_fd, "%s: %s", path_in(SHIM_JAIL), strerror(errno));
	sink_open(SHIM_CONSOLE, 1);
	sink_open(SHIM_STDERR, 0);
	start_qemu(status_fd, &j, argv + 4);
	boot_wait(status_fd, sfd, timeout_s, state != NULL);
	dprintf(status_fd, "ready %d %llu\n", PROTO_VM_PORT,
	    (unsigned long long)(now_ms() - start));
	close(status_fd);
	relay(lfd, sfd);
	return 0;
}
