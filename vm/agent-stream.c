/*
 * agent-stream.c — an agent's streamed reply (GET /logs?follow=1, GET
 * /stats?follow=1), decoded with caps.
 *
 * The reply is HTTP/1.1 200 with chunked transfer encoding, and its body
 * is NDJSON: one JSON object a line.  A decoder is a push parser: the
 * caller feeds whatever bytes arrived, in pieces of any size, and gets
 * each complete line through a callback.  It never does I/O, so it can be
 * fed from a socket, a test or a fuzzer alike.
 *
 * What an agent sends is hostile, so the decoder holds little and trusts
 * nothing: headers up to PROTO_HEADERS_MAX, a line up to
 * PROTO_STREAM_LINE_MAX (a longer one ends the stream), and never more
 * than PROTO_STREAM_BUF_MAX unread — the caller feeds at most
 * agent_stream_room() bytes at a time.  A status other than 200, a body
 * that is not chunked, a chunk size that is not a short hex number within
 * the buffer cap, or a chunk not followed by CRLF ends the stream too.
 *
 * agent_stream_connect and agent_stream_read are the I/O around it: they
 * ask an agent's socket for a stream and feed what arrives without ever
 * waiting, at most PROTO_STREAM_BUF_MAX bytes a read, so a flood waits in
 * the socket and whoever follows many streams stays responsive.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"
#include "proto.h"
#include "vm.h"

#define STREAM_SIZE_LINE_MAX	64	/* a chunk-size line, extensions included */

enum agent_stream_state {
	STREAM_HEAD,		/* status line and headers */
	STREAM_SIZE,		/* a chunk-size line */
	STREAM_DATA,		/* chunk data */
	STREAM_DATA_CR,		/* the CR after chunk data */
	STREAM_DATA_LF,		/* the LF after it */
	STREAM_TRAILER,		/* trailer lines after the last chunk */
	STREAM_DONE,		/* the agent ended the stream */
	STREAM_BAD		/* it broke the protocol or a cap */
};

struct agent_stream {
	enum agent_stream_state	 state;		/* where in the reply */
	struct buf		 head;		/* headers, a size or trailer line */
	struct buf		 line;		/* NDJSON line not yet ended */
	size_t			 left;		/* bytes of the chunk still to come */
	size_t			 trailer;	/* bytes of trailers so far */
	char			*why;		/* why the stream went bad */
	void			(*cb)(const char *, size_t, void *);
	void			*arg;		/* for cb */
};

/*
 * A decoder that calls cb(line, len, arg) for each complete line: len
 * bytes without the newline (a hostile line may hold NULs), followed by
 * a NUL.  Empty lines are skipped.
 */
struct agent_stream *
agent_stream_new(void (*cb)(const char *, size_t, void *), void *arg)
{
	struct agent_stream	*s = xcalloc(1, sizeof *s);

	s->cb = cb;
	s->arg = arg;
	return s;
}

/* Free a decoder and all it holds. */
void
agent_stream_free(struct agent_stream *s)
{
	if (s == NULL)
		return;
	buf_free(&s->head);
	buf_free(&s->line);
	free(s->why);
	free(s);
}

/* How many bytes the caller may feed now without passing the buffer cap. */
size_t
agent_stream_room(struct agent_stream *s)
{
	size_t	held = s->head.len + s->line.len;

	return held >= PROTO_STREAM_BUF_MAX ? 0 : PROTO_STREAM_BUF_MAX - held;
}

/* The agent broke the protocol or a cap: the stream is dropped, saying why. */
static int
agent_stream_bad(struct agent_stream *s, const char *why)
{
	if (s->state != STREAM_BAD) {
		s->state = STREAM_BAD;
		s->why = xstrdup(why);
	}
	return -1;
}

/* Check the status line and headers held in s->head (NULs and all). */
static int
agent_stream_headers(struct agent_stream *s)
{
	const char	*p = s->head.data, *end = p + s->head.len, *eol, *colon, *v;
	size_t		 klen;
	int		 chunked = 0;

	if (s->head.len < 13 || (memcmp(p, "HTTP/1.1 200 ", 13) != 0 &&
	    memcmp(p, "HTTP/1.1 200\r", 13) != 0))
		return agent_stream_bad(s, "the agent did not answer 200");
	for (; (eol = memmem(p, end - p, "\r\n", 2)) != NULL; p = eol + 2) {
		if ((colon = memchr(p, ':', eol - p)) == NULL)
			continue;
		klen = colon - p;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		if (klen == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0 &&
		    eol - v == 7 && strncasecmp(v, "chunked", 7) == 0)
			chunked = 1;
	}
	if (!chunked)
		return agent_stream_bad(s, "the stream is not chunked");
	return 0;
}

/* Parse the chunk-size line held in s->head: hex digits, maybe ";ext". */
static int
agent_stream_size(struct agent_stream *s)
{
	const char	*p = s->head.data, *end = p + s->head.len;
	size_t		 size = 0;
	int		 c;

	for (; p < end; p++) {
		if ((c = *p) >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			break;
		size = size * 16 + c;
		if (size > PROTO_STREAM_BUF_MAX)
			return agent_stream_bad(s, "a chunk over the buffer cap");
	}
	if (p == s->head.data || (p < end && *p != ';'))
		return agent_stream_bad(s, "a bad chunk size");
	s->left = size;
	s->state = size == 0 ? STREAM_TRAILER : STREAM_DATA;
	return 0;
}

/* Chunk data: split into lines, each passed on when it ends. */
static int
agent_stream_data(struct agent_stream *s, const char *p, size_t n)
{
	const char	*nl;
	size_t		 part;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		part = nl != NULL ? (size_t)(nl - p) : n;
		if (s->line.len + part > PROTO_STREAM_LINE_MAX)
			return agent_stream_bad(s, "a line over the line cap");
		buf_add(&s->line, p, part);
		if (nl == NULL)
			break;
		if (s->line.len > 0)
			s->cb(s->line.data, s->line.len, s->arg);
		s->line.len = 0;
		s->line.data[0] = '\0';
		p += part + 1;
		n -= part + 1;
	}
	return 0;
}

/*
 * Take a line ending in CRLF from p into s->head, at most max bytes of it.
 * Returns how many bytes were used; *done once the line is whole (its
 * CRLF dropped), -1 if it grows past max.
 */
static ssize_t
agent_stream_take_line(struct agent_stream *s, const char *p, size_t n,
    size_t max, int *done)
{
	const char	*nl = memchr(p, '\n', n);
	size_t		 used = nl != NULL ? (size_t)(nl + 1 - p) : n;

	*done = 0;
	if (s->head.len + used > max)
		return -1;
	buf_add(&s->head, p, used);
	if (nl != NULL) {
		if (s->head.len < 2 || s->head.data[s->head.len - 2] != '\r')
			return -1;
		s->head.len -= 2;
		s->head.data[s->head.len] = '\0';
		*done = 1;
	}
	return (ssize_t)used;
}

/* Forget the line held in s->head. */
static void
agent_stream_head_reset(struct agent_stream *s)
{
	s->head.len = 0;
	s->head.data[0] = '\0';
}

/*
 * Feed n bytes that arrived (at most agent_stream_room()).  Returns 0
 * while the stream goes on, 1 once the agent has ended it cleanly, -1
 * with *cause when it broke the protocol or a cap (the caller drops it).
 */
int
agent_stream_feed(struct agent_stream *s, const void *data, size_t n,
    char **cause)
{
	const char	*p = data, *end;
	ssize_t		 used;
	size_t		 back;
	int		 done;

	if (s->state != STREAM_BAD && s->state != STREAM_DONE &&
	    n > agent_stream_room(s))
		agent_stream_bad(s, "the stream over the buffer cap");
	while (n > 0 && s->state != STREAM_BAD && s->state != STREAM_DONE) {
		used = -1;
		switch (s->state) {
		case STREAM_HEAD:
			/* The headers end at an empty line: look 3 bytes back too. */
			back = s->head.len < 3 ? s->head.len : 3;
			buf_add(&s->head, p, n);
			end = memmem(s->head.data + s->head.len - n - back, n + back,
			    "\r\n\r\n", 4);
			used = end == NULL ? (ssize_t)n :
			    end + 4 - (s->head.data + s->head.len - n);
			s->head.len -= n - (size_t)used;
			s->head.data[s->head.len] = '\0';
			if (s->head.len > PROTO_HEADERS_MAX)
				agent_stream_bad(s, "headers over the header cap");
			else if (end != NULL && agent_stream_headers(s) == 0) {
				s->state = STREAM_SIZE;
				agent_stream_head_reset(s);
			}
			break;
		case STREAM_SIZE:
			used = agent_stream_take_line(s, p, n, STREAM_SIZE_LINE_MAX,
			    &done);
			if (used == -1)
				agent_stream_bad(s, "a bad chunk size");
			else if (done && agent_stream_size(s) == 0)
				agent_stream_head_reset(s);
			break;
		case STREAM_DATA:
			used = (ssize_t)(n < s->left ? n : s->left);
			s->left -= (size_t)used;
			if (agent_stream_data(s, p, (size_t)used) == 0 && s->left == 0)
				s->state = STREAM_DATA_CR;
			break;
		case STREAM_DATA_CR:
		case STREAM_DATA_LF:
			used = 1;
			if (*p != (s->state == STREAM_DATA_CR ? '\r' : '\n'))
				agent_stream_bad(s, "a chunk not ended by CRLF");
			else
				s->state = s->state == STREAM_DATA_CR ?
				    STREAM_DATA_LF : STREAM_SIZE;
			break;
		case STREAM_TRAILER:
			used = agent_stream_take_line(s, p, n, PROTO_HEADERS_MAX, &done);
			if (used == -1 || (s->trailer += (size_t)used) > PROTO_HEADERS_MAX)
				agent_stream_bad(s, "trailers over the header cap");
			else if (done) {
				if (s->head.len == 0)
					s->state = STREAM_DONE;
				agent_stream_head_reset(s);
			}
			break;
		default:
			break;
		}
		if (used == -1)
			break;
		p += used;
		n -= (size_t)used;
	}
	if (s->state == STREAM_BAD) {
		*cause = xstrdup(s->why);
		return -1;
	}
	return s->state == STREAM_DONE;
}

/*
 * Connect to the agent listening on sock and ask for path (GET, HTTP/1.1).
 * Returns the socket, nonblocking, for agent_stream_read; -1 with *cause
 * if the agent is not there.
 */
int
agent_stream_connect(const char *sock, const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	char			*req;
	size_t			 len;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sun.sun_path) {
		*cause = xasprintf("%s: socket path too long", sock);
		return -1;
	}
	strcpy(sun.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	req = xasprintf("GET %s HTTP/1.1\r\nHost: agent\r\n\r\n", path);
	len = strlen(req);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    write(fd, req, len) != (ssize_t)len) {
		*cause = xasprintf("%s: %s", sock, strerror(errno));
		free(req);
		close(fd);
		return -1;
	}
	free(req);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/*
 * Read what has arrived on fd, at most PROTO_STREAM_BUF_MAX bytes, and
 * feed it to s, which calls back for each complete line.  Returns 0 while
 * the stream goes on, -1 once it is over: the agent closed it or ended
 * it, or broke the protocol or a cap (then *cause says how; otherwise it
 * is left NULL).  The caller closes fd.
 */
int
agent_stream_read(struct agent_stream *s, int fd, char **cause)
{
	char	 tmp[65536];
	size_t	 budget = PROTO_STREAM_BUF_MAX, want;
	ssize_t	 n;

	*cause = NULL;
	while (budget > 0) {
		if ((want = agent_stream_room(s)) == 0)
			return -1;	/* it holds all it may: never here */
		if (want > sizeof tmp)
			want = sizeof tmp;
		if (want > budget)
			want = budget;
		n = read(fd, tmp, want);
		if (n > 0) {
			budget -= (size_t)n;
			if (agent_stream_feed(s, tmp, (size_t)n, cause) != 0)
				return -1;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return -1;
		break;
	}
	return 0;
}
