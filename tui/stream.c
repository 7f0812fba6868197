/*
 * stream.c — follow an agent's NDJSON stream without blocking.
 *
 * The console's logs and stats panes read the agents' own streams
 * (GET /logs?follow=1, GET /stats?follow=1 over the instance's unix
 * socket).  A stream is a plain nonblocking socket: the pane's tick reads
 * what has arrived and feeds it to the agent-stream decoder (vm/), which
 * undoes the chunked transfer encoding within proto.h's caps and hands
 * each complete JSON line to a callback.  A stream that breaks a cap is
 * dropped.  Nothing here ever waits.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "tui.h"
#include "vm.h"

struct tui_stream {
	int		 fd;		/* socket, -1 once closed */
	char		*id;		/* instance id, for the caller */
	struct agent_stream *dec;	/* the reply, decoded with caps */
	void		(*fn)(const char *, void *);	/* this read's callback */
	void		*arg;		/* and its argument */
};

/* A complete line from the decoder: on to the caller's callback. */
static void
stream_on_line(const char *line, size_t len, void *arg)
{
	struct tui_stream	*s = arg;

	s->fn(line, s->arg);
}

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
	s->dec = agent_stream_new(stream_on_line, s);
	return s;
}

const char *
tui_stream_id(struct tui_stream *s)
{
	return s->id;
}

/* The stream is over: close its socket. */
static void
stream_end(struct tui_stream *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

/*
 * Read what has arrived, at most PROTO_STREAM_BUF_MAX bytes a call (a
 * flood waits in the socket, and the console stays responsive), and call
 * fn for each complete line.  Returns -1 once the stream has ended: the
 * instance went away, or its agent broke the protocol or a cap.
 */
int
tui_stream_read(struct tui_stream *s, void (*fn)(const char *, void *),
    void *arg)
{
	char	 tmp[65536], *cause = NULL;
	size_t	 budget = PROTO_STREAM_BUF_MAX, want;
	ssize_t	 n;

	s->fn = fn;
	s->arg = arg;
	while (s->fd != -1 && budget > 0) {
		if ((want = agent_stream_room(s->dec)) == 0) {
			stream_end(s);	/* it holds all it may: never here */
			break;
		}
		if (want > sizeof tmp)
			want = sizeof tmp;
		if (want > budget)
			want = budget;
		n = read(s->fd, tmp, want);
		if (n > 0) {
			budget -= (size_t)n;
			if (agent_stream_feed(s->dec, tmp, (size_t)n, &cause) != 0) {
				free(cause);	/* ended, or dropped: the same here */
				stream_end(s);
			}
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			stream_end(s);
		break;
	}
	return s->fd == -1 ? -1 : 0;
}

void
tui_stream_close(struct tui_stream *s)
{
	if (s == NULL)
		return;
	stream_end(s);
	agent_stream_free(s->dec);
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
