/*
 * console.c — what QEMU writes: the guest's serial console (QEMU's
 * stdout) and QEMU's own stderr.
 *
 * Each stream is a sink: a pipe from QEMU, copied into RUN_DIR/console.log
 * or RUN_DIR/qemu.log and into the last SHIM_TAIL_BYTES of it kept in
 * memory.  Both pipes are read at all times — whatever else the shim waits
 * for, it waits through console_wait — so a chatty guest never stalls on
 * a full pipe.  Each log is rotated once to NAME.1 when it reaches its
 * cap, so whatever the guest prints, the logs stay bounded; a full disk
 * costs log lines, nothing else.  The tails are what a boot error quotes,
 * and the console's is where PROTO_VM_READY_LINE is looked for.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define SHIM_TAIL	3		/* console lines in a boot error */
#define SHIM_TAIL_BYTES	8192		/* QEMU output kept for errors */
#define SHIM_READ	4096		/* QEMU output read at once */
#define SHIM_CONSOLE_MAX (1024 * 1024)	/* console.log before rotating */
#define SHIM_QEMU_LOG_MAX (64 * 1024)	/* qemu.log before rotating */

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

static int		 ready;		/* the agent's protocol, once it said so */
static struct sink	 sinks[CONSOLE_STREAMS] = {
	{ "console.log", SHIM_CONSOLE_MAX, -1, -1, 0, "", 0 },
	{ "qemu.log", SHIM_QEMU_LOG_MAX, -1, -1, 0, "", 0 },
};
#define SHIM_CONSOLE	(&sinks[0])
#define SHIM_STDERR	(&sinks[1])
#define SHIM_NSINKS	(sizeof sinks / sizeof sinks[0])

/* Open s's log: appended to when it exists (a restore's seeded console). */
static void
console_sink_open(struct sink *s, int append)
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
console_rotate(struct sink *s)
{
	char	old[256];

	snprintf(old, sizeof old, "%s.1", s->name);
	if (s->fd != -1)
		close(s->fd);
	rename(s->name, old);
	console_sink_open(s, 0);
}

/* Append n bytes to s's log, rotating it whenever it reaches its cap. */
static void
console_write(struct sink *s, const char *p, size_t n)
{
	size_t	room;
	ssize_t	w;

	while (n > 0) {
		if (s->size >= s->max)
			console_rotate(s);
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

/*
 * Look for the agent's ready line in the console's tail: the version it
 * speaks, or -1 for a line without one (an agent from before versions).
 * Reads are smaller than the tail, so a line is whole in it once its
 * newline came; until then, look again after the next read.
 */
static void
console_find_ready(struct sink *s)
{
	const char	*p, *nl;
	char		 rest[32];
	size_t		 len;
	int		 v, end = 0;

	if ((p = memmem(s->tail, s->tail_len, PROTO_VM_READY_LINE,
	    strlen(PROTO_VM_READY_LINE))) == NULL)
		return;
	p += strlen(PROTO_VM_READY_LINE);
	if ((nl = memchr(p, '\n', s->tail + s->tail_len - p)) == NULL)
		return;
	/* What follows it on its line, without a serial console's \r. */
	len = nl - p;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len >= sizeof rest) {
		ready = -1;
		return;
	}
	memcpy(rest, p, len);
	rest[len] = '\0';
	if (sscanf(rest, ", protocol %d%n", &v, &end) == 1 && v > 0 &&
	    (size_t)end == len)
		ready = v;
	else
		ready = -1;
}

/* Read what QEMU wrote to s, into its log and its tail. */
static void
console_read(struct sink *s)
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
	console_write(s, buf, n);
	if (s->tail_len + n > SHIM_TAIL_BYTES) {	/* n < SHIM_TAIL_BYTES */
		drop = s->tail_len + n - SHIM_TAIL_BYTES;
		memmove(s->tail, s->tail + drop, s->tail_len - drop);
		s->tail_len -= drop;
	}
	memcpy(s->tail + s->tail_len, buf, n);
	s->tail_len += n;
	s->tail[s->tail_len] = '\0';
	if (s == SHIM_CONSOLE && ready == 0)
		console_find_ready(s);
}

/* Open both logs (in RUN_DIR, the shim's directory): the console's appended to. */
void
console_open(void)
{
	console_sink_open(SHIM_CONSOLE, 1);
	console_sink_open(SHIM_STDERR, 0);
}

/* Read QEMU's stdout (out) and stderr (err) from now on. */
void
console_attach(int out, int err)
{
	SHIM_CONSOLE->in = out;
	SHIM_STDERR->in = err;
	fcntl(out, F_SETFL, O_NONBLOCK);
	fcntl(err, F_SETFL, O_NONBLOCK);
}

/*
 * Has the guest said on its console that the agent listens?  The
 * protocol version it said (-1: an agent too old to say), 0 if not yet.
 */
int
console_ready(void)
{
	return ready;
}

/*
 * Wait up to ms for events on fd (none if fd is -1), copying QEMU's
 * output to its logs meanwhile: whatever the shim waits for, QEMU never
 * waits on a full pipe.  Returns fd's revents, 0 when the time is up or
 * when one of QEMU's pipes closed (QEMU is going: callers look again).
 */
int
console_wait(int fd, short events, int ms)
{
	struct pollfd	 pfd[1 + SHIM_NSINKS];
	struct sink	*s[SHIM_NSINKS];
	uint64_t	 deadline = shim_now_ms() + (ms > 0 ? ms : 0);
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
		left = (int)(deadline > shim_now_ms() ? deadline - shim_now_ms() : 0);
		if (poll(pfd, n, left) == -1 && errno != EINTR)
			return 0;
		for (i = 0; i < k; i++)
			if (pfd[n - k + i].revents != 0)
				console_read(s[i]);
		if (fd != -1 && pfd[0].revents != 0)
			return pfd[0].revents;
		for (i = 0; i < k; i++)
			if (s[i]->in == -1)
				return 0;
		if (shim_now_ms() >= deadline)
			return 0;
	}
}

/* QEMU is gone: read what is left in its pipes (for at most ms). */
void
console_drain(int ms)
{
	uint64_t	deadline = shim_now_ms() + ms;
	size_t		i;

	for (;;) {
		for (i = 0; i < SHIM_NSINKS && sinks[i].in == -1; i++)
			;
		if (i == SHIM_NSINKS || shim_now_ms() >= deadline)
			return;
		console_wait(-1, 0, (int)(deadline - shim_now_ms()));
	}
}

/*
 * Fill pfd[0 .. CONSOLE_STREAMS - 1] with QEMU's pipes (fd -1, which poll
 * skips, for a closed one); returns CONSOLE_STREAMS.
 */
int
console_pollfds(struct pollfd *pfd)
{
	int	i;

	for (i = 0; i < (int)SHIM_NSINKS; i++) {
		pfd[i].fd = sinks[i].in;	/* -1 is skipped by poll */
		pfd[i].events = POLLIN;
	}
	return (int)SHIM_NSINKS;
}

/* Read the pipes console_pollfds put in pfd that poll found ready. */
void
console_events(const struct pollfd *pfd)
{
	int	i;

	for (i = 0; i < (int)SHIM_NSINKS; i++)
		if (pfd[i].revents != 0)
			console_read(&sinks[i]);
}

/*
 * The last SHIM_TAIL non-empty lines of the serial console, " | "-joined;
 * a kernel panic's first line first, since its stack trace follows it.
 */
void
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

/* The last line QEMU wrote to its stderr, e.g. why it would not start. */
void
console_qemu_line(char *out, size_t len)
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
