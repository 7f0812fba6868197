/*
 * stream.c — follow an agent's NDJSON stream without blocking.
 *
 * The console's logs and stats panes read the agents' own streams
 * (GET /logs?follow=1, GET /stats?follow=1 over the instance's unix
 * socket).  A stream is a plain nonblocking socket: the pane's tick reads
 * whatever has arrived, undoes the chunked transfer encoding, and hands
 * each complete JSON line to a callback.  Nothing here ever waits.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui.h"

struct tui_stream {
	int		 fd;		/* socket, -1 once closed */
	char		*id;		/* instance id, for the caller */
	struct buf	 raw;		/* bytes not yet decoded */
	struct buf	 lines;		/* decoded bytes not yet a full line */
	int		 body;		/* past the response headers */
};

/* Connect to sock and ask for path; NULL if the agent is not there. */
struct tui_stream *
tui_stream_open(const char *sock, const char *path, const char *id)
{
	struct sockaddr_un	 sun;
	struct tui_stream	*s;
	char			*req;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sun.sun_path)
		return NULL;
	strcpy(sun.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return NULL;
	req = xasprintf("GET %s HTTP/1.1\r\nHost: agent\r\n\r\n", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		free(req);
		close(fd);
		return NULL;
	}
	free(req);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	s = xcalloc(1, sizeof *s);
	s->fd = fd;
	s->id = xstrdup(id);
	return s;
}

const char *
tui_stream_id(struct tui_stream *s)
{
	return s->id;
}

/*
 * Move the complete chunks in raw to lines.  Consumed bytes are dropped
 * with one move at the end: a busy stream brings thousands of chunks at a
 * time.
 */
static void
stream_dechunk(struct tui_stream *s)
{
	char	*p = s->raw.data, *end = s->raw.data + s->raw.len, *crlf;
	size_t	 size;

	while (p < end && (crlf = memmem(p, end - p, "\r\n", 2)) != NULL) {
		size = strtoul(p, NULL, 16);
		if ((size_t)(end - (crlf + 2)) < size + 2)
			break;
		if (size == 0) {	/* the last chunk: the agent ended it */
			close(s->fd);
			s->fd = -1;
			p = end;
			break;
		}
		buf_add(&s->lines, crlf + 2, size);
		p = crlf + 2 + size + 2;
	}
	s->raw.len = end - p;
	memmove(s->raw.data, p, s->raw.len);
}

/*
 * Read what has arrived and call fn for each complete line.  Returns -1
 * once the stream has ended (the instance went away), else 0.
 */
int
tui_stream_read(struct tui_stream *s, void (*fn)(const char *, void *),
    void *arg)
{
	char	 tmp[65536], *p, *nl, *hdr;
	ssize_t	 n;

	while (s->fd != -1) {
		n = read(s->fd, tmp, sizeof tmp);
		if (n > 0) {
			buf_add(&s->raw, tmp, n);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(s->fd);
			s->fd = -1;
		}
		break;
	}
	if (!s->body && s->raw.len > 0) {
		if ((hdr = memmem(s->raw.data, s->raw.len, "\r\n\r\n", 4)) != NULL) {
			if (strncmp(s->raw.data, "HTTP/1.1 200", 12) != 0) {
				close(s->fd);
				s->fd = -1;
				return -1;
			}
			s->body = 1;
			s->raw.len -= hdr + 4 - s->raw.data;
			memmove(s->raw.data, hdr + 4, s->raw.len);
		}
	}
	if (s->body && s->raw.len > 0)
		stream_dechunk(s);
	if (s->lines.len > 0) {
		buf_add(&s->lines, "", 0);
		for (p = s->lines.data; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			*nl = '\0';
			fn(p, arg);
		}
		s->lines.len -= p - s->lines.data;
		memmove(s->lines.data, p, s->lines.len + 1);
	}
	return s->fd == -1 ? -1 : 0;
}

void
tui_stream_close(struct tui_stream *s)
{
	if (s == NULL)
		return;
	if (s->fd != -1)
		close(s->fd);
	buf_free(&s->raw);
	buf_free(&s->lines);
	free(s->id);
	free(s);
}

/*
 * Keep one stream open to each instance of function fn: open streams to
 * instances that appeared, drop those whose agent has gone.  streams is
 * an array of *n entries.
 */
void
tui_stream_sync(struct tui *t, const char *fn, const char *path,
    struct tui_stream ***streams, int *n)
{
	sqlite3_stmt		*stmt;
	struct tui_stream	*s;
	const char		*id;
	int			 i, have;

	stmt = store_stmt(t->st, "SELECT id, sock FROM instances WHERE fn = ? "
	    "AND state = 'ready'");
	sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(stmt, 0);
		for (i = 0, have = 0; i < *n && !have; i++)
			have = strcmp((*streams)[i]->id, id) == 0;
		if (have)
			continue;
		s = tui_stream_open((const char *)sqlite3_column_text(stmt, 1),
		    path, id);
		if (s == NULL)
			continue;
		*streams = xrealloc(*streams, sizeof **streams * (*n + 1));
		(*streams)[(*n)++] = s;
	}
	store_done(stmt);
}

/* Close every stream in the array and free it. */
void
tui_stream_close_all(struct tui_stream **streams, int n)
{
	while (n > 0)
		tui_stream_close(streams[--n]);
	free(streams);
}
