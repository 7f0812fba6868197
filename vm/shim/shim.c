/*
 * shim.c — hearth-shim, the small supervisor that owns one microVM.
 *
 *	hearth-shim RUN_DIR STATUS_FD BOOT_TIMEOUT_S -- QEMU ARGV...
 *
 * The qemu driver starts one shim per VM, detached from whoever asked (a
 * console, a shell, a one-shot command), so a VM lives on after that
 * process exits and any later hearth finds it again through the store:
 * the shim's pid and RUN_DIR/agent.sock are all it needs.  The shim
 *
 *   - picks a free loopback port, puts it where QEMU's argv says @PORT@
 *     (the user-network forward to the agent) and starts QEMU as its
 *     child, which dies with it (PR_SET_PDEATHSIG);
 *   - waits for the agent to answer GET /health with the first token
 *     (RUN_DIR/env, which QEMU also hands the guest as a fw_cfg file),
 *     then sends POST /rekey: a new token, entropy and the wall clock —
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
 * SIGTERM stops QEMU (SIGKILL) and the shim.  The shim uses nothing but
 * libc: it is small, and one runs for every VM.
 */
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define SHIM_PAIRS	64		/* relayed connections at once */
#define SHIM_BUF	65536		/* bytes in flight each way */
#define SHIM_TAIL	3		/* console lines in a boot error */

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

static const char	*run_dir;
static char		 token[PROTO_TOKEN_LEN + 1];
static int		 port;
static pid_t		 qemu_pid;
static struct pair	*pairs[SHIM_PAIRS];

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	char	 tmp[4200];
	FILE	*f;

	snprintf(tmp, sizeof tmp, "%s.new", path_in(name));
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fchmod(fileno(f), 0600);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) == 0)
		rename(tmp, path_in(name));
}

/*
 * The last SHIM_TAIL non-empty lines of the serial console, " | "-joined;
 * a kernel panic's first line first, since its stack trace follows it.
 */
static void
console_tail(char *out, size_t len)
{
	char	 buf[8192], *lines[SHIM_TAIL], *p, *e, *panic = NULL;
	int	 fd, n = 0, i;
	off_t	 size;
	ssize_t	 got;
	size_t	 used = 0;

	out[0] = '\0';
	if ((fd = open(path_in("console.log"), O_RDONLY | O_CLOEXEC)) == -1)
		return;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0,
	    SEEK_SET);
	got = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[got > 0 ? got : 0] = '\0';
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
	console_tail(tail, sizeof tail);
	dprintf(status_fd, "error %s; serial console ends: %s\n", msg, tail);
	if (qemu_pid > 0) {
		kill(qemu_pid, SIGKILL);
		waitpid(qemu_pid, NULL, 0);
	}
	exit(1);
}

/* A loopback port nobody listens on now (QEMU binds it a moment later). */
static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, p = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		p = ntohs(sin.sin_port);
	close(fd);
	return p;
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
	sin.sin_port = htons(port);
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
	struct pollfd	pfd;
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
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < sizeof reply - 1 && now_ms() < deadline) {
		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
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
 * which /rekey repeats for a VM restored from another VM's snapshot.
 */
static char	settings[2048];

static int
read_env(void)
{
	char	 line[512];
	FILE	*f;
	size_t	 n = strlen(PROTO_ENV_TOKEN "="), used = 0;
	int	 found = 0;

	if ((f = fopen(path_in("env"), "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
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

static void
start_qemu(int status_fd, char **orig)
{
	char	 portstr[16], *p, **argv;
	int	 i, n, fd;

	for (n = 0; orig[n] != NULL; n++)
		;
	if ((argv = calloc(n + 1, sizeof *argv)) == NULL)
		abort();
	snprintf(portstr, sizeof portstr, "%d", port);
	for (i = 0; i < n; i++) {
		argv[i] = orig[i];
		if ((p = strstr(orig[i], "@PORT@")) != NULL) {
			argv[i] = malloc(strlen(orig[i]) + 16);
			if (argv[i] == NULL)
				abort();
			sprintf(argv[i], "%.*s%s%s", (int)(p - orig[i]), orig[i],
			    portstr, p + 6);
		}
	}
	if ((qemu_pid = fork()) == -1)
		fail(status_fd, "fork: %s", strerror(errno));
	if (qemu_pid == 0) {
		sigset_t	none;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if ((fd = open(path_in("qemu.log"), O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1)
			dup2(fd, 0);
		execvp(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	write_file("qemu.pid", "%d\n", (int)qemu_pid);
	for (i = 0; i < n; i++)
		if (argv[i] != orig[i])
			free(argv[i]);
	free(argv);
}

/*
 * Has the guest said on its serial console that the agent listens?  Until
 * then a connection would only reach QEMU, whose SYN to the guest then
 * waits out TCP's retransmission timer: watching the console is faster.
 */
static int
console_says_ready(void)
{
	char	buf[65536];
	int	fd;
	ssize_t	n;

	if ((fd = open(path_in("console.log"), O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, PROTO_VM_READY_LINE) != NULL;
}

/* The last line QEMU wrote to its log, e.g. why it would not start. */
static void
qemu_last_line(char *out, size_t len)
{
	char	 line[512];
	FILE	*f;

	out[0] = '\0';
	if ((f = fopen(path_in("qemu.log"), "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		if (line[0] != '\n')
			snprintf(out, len, "%.*s", (int)strcspn(line, "\n"), line);
	fclose(f);
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
 * Wait for the agent and rekey it: the rekey is the readiness probe, one
 * round trip instead of a health check and then a rekey.  Once the guest
 * has said on its console that the agent listens (at once after a
 * restore), POST /rekey is tried until it lands; if its answer was lost
 * after it landed, the new token already works, and that is checked.
 * QEMU exiting first is an error, unless it could not bind the port
 * (another process took it): then the caller tries another.  Returns 0
 * when ready, 1 to retry on a new port.
 */
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
	struct pollfd		 pfd;
	struct timespec		 pause = { 0, 2 * 1000 * 1000 };
	char			 buf[8192];
	size_t			 got = 0;
	ssize_t			 n;
	int			 fd = -1, rc = -1, sent_caps = 0;
	const char		*caps = "{\"execute\": \"qmp_capabilities\"}\n";
	const char		*query = "{\"execute\": \"query-status\"}\n";

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path_in("qmp.sock"));
	while (now_ms() < deadline) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
			break;
		close(fd);
		fd = -1;
		if (waitpid(qemu_pid, NULL, WNOHANG) != 0)
			return -1;
		nanosleep(&pause, NULL);
	}
	if (fd == -1)
		return -1;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (now_ms() < deadline) {
		if (poll(&pfd, 1, 50) > 0) {
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
		nanosleep(&pause, NULL);
		if (write(fd, query, strlen(query)) <= 0)
			break;
	}
	close(fd);
	return rc;
}

static int
boot_wait(int status_fd, int timeout_s, int restoring)
{
	char		 body[3072], seed[2 * PROTO_SEED_LEN + 1], fresh[PROTO_TOKEN_LEN + 1];
	char		 last[512], why[64];
	uint64_t	 start = now_ms(), deadline = start + (uint64_t)timeout_s * 1000;
	uint64_t	 seen = 0;
	struct timespec	 ts, pause = { 0, 5 * 1000 * 1000 };
	int		 st;

	random_hex(fresh, PROTO_TOKEN_LEN / 2);
	for (;;) {
		if (waitpid(qemu_pid, &st, WNOHANG) == qemu_pid) {
			qemu_last_line(last, sizeof last);
			qemu_pid = 0;
			if (strstr(last, "host forwarding") != NULL)
				return 1;
			describe_exit(st, why, sizeof why);
			fail(status_fd, "%s%s%s", why, last[0] ? ": " : "", last);
		}
		if (seen == 0 && (restoring ? qmp_wait_running(deadline) == 0 :
		    console_says_ready()))
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
		nanosleep(&pause, NULL);
	}
	write_file("phases", "console_ms %llu agent_ms %llu\n",
	    (unsigned long long)(seen - start), (unsigned long long)(now_ms() - start));
	memcpy(token, fresh, sizeof token);
	write_file("token", "%s\n", token);
	return 0;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	if (strlen(path) >= sizeof sun.sun_path)
		return -1;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    chmod(path, 0600) == -1 || listen(fd, 64) == -1) {
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

	describe_exit(st, why, sizeof why);
	write_file("exit", "%s\n", why);
	for (i = 0; i < SHIM_PAIRS; i++)
		if (pairs[i] != NULL)
			pair_close(i);
	unlink(path_in("agent.sock"));
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
	struct timespec	ts = { 0, 5 * 1000 * 1000 };
	int		i, st;

	for (i = 0; i < 20; i++) {
		if (waitpid(qemu_pid, &st, WNOHANG) == qemu_pid)
			qemu_gone(st);
		nanosleep(&ts, NULL);
	}
}

static void
relay(int lfd, int sfd)
{
	struct pollfd	 pfd[2 + 2 * SHIM_PAIRS];
	struct signalfd_siginfo si;
	int		 n, i, j, st;

	for (;;) {
		n = 0;
		pfd[n].fd = lfd; pfd[n++].events = POLLIN;
		pfd[n].fd = sfd; pfd[n++].events = POLLIN;
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
		if (pfd[1].revents) {
			while (read(sfd, &si, sizeof si) == sizeof si)
				if (si.ssi_signo == SIGTERM) {
					kill(qemu_pid, SIGKILL);
					waitpid(qemu_pid, &st, 0);
					qemu_gone(st);
				}
			if (waitpid(qemu_pid, &st, WNOHANG) == qemu_pid)
				qemu_gone(st);
		}
		for (i = 0, j = 2; i < SHIM_PAIRS; i++) {
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

int
main(int argc, char **argv)
{
	sigset_t	 mask;
	uint64_t	 start = now_ms();
	int		 status_fd, timeout_s, lfd, sfd, try, i, restoring = 0;

	if (argc < 6 || strcmp(argv[4], "--") != 0) {
		fprintf(stderr, "usage: hearth-shim RUN_DIR STATUS_FD "
		    "BOOT_TIMEOUT_S -- QEMU ARGV...\n");
		return 2;
	}
	run_dir = argv[1];
	status_fd = atoi(argv[2]);
	timeout_s = atoi(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fail(status_fd, "signalfd: %s", strerror(errno));
	if (read_env() != 0)
		fail(status_fd, "no %s in %s", PROTO_ENV_TOKEN, path_in("env"));
	if ((lfd = listen_unix(path_in("agent.sock"))) == -1)
		fail(status_fd, "%s: %s", path_in("agent.sock"), strerror(errno));
	for (i = 5; i < argc; i++)
		if (strcmp(argv[i], "-incoming") == 0)
			restoring = 1;
	for (try = 0;; try++) {
		if ((port = free_port()) == 0)
			fail(status_fd, "no free loopback port");
		start_qemu(status_fd, argv + 5);
		if (boot_wait(status_fd, timeout_s, restoring) == 0)
			break;
		if (try == 4)
			fail(status_fd, "could not forward a loopback port");
	}
	dprintf(status_fd, "ready %d %llu\n", port,
	    (unsigned long long)(now_ms() - start));
	close(status_fd);
	relay(lfd, sfd);
	return 0;
}
