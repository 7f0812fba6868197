/*
 * stream.c — following the agents' own streams of a function's instances.
 *
 * Each instance's agent serves NDJSON streams (GET /logs?follow=1, GET
 * /stats?follow=1) on its socket.  A stream here is one such reply being
 * read: a nonblocking socket that the caller polls (stream_fd) or simply
 * reads now and then (stream_read), each complete line passed to a
 * callback.  The decoding and its caps are the agent client's
 * (vm/agent-stream.c); a stream that breaks one is dropped.  stream_sync
 * keeps one stream open to each ready instance of a function, so a
 * follower sees instances that start after it did.  Nothing here waits.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "proto.h"
#include "vm.h"

struct stream {
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
	struct stream	*s = arg;

	s->fn(line, s->arg);
}

/* Follow the stream kind of the agent at sock; NULL if it is not there. */
struct stream *
stream_open(const char *sock, enum stream_kind kind, const char *id)
{
	struct stream	*s;
	const char	*path;
	char		*cause = NULL;
	int		 fd;

	path = kind == STREAM_KIND_LOGS ? PROTO_PATH_LOGS "?follow=1" :
	    PROTO_PATH_STATS "?follow=1";
	if ((fd = agent_stream_connect(sock, path, &cause)) == -1) {
		free(cause);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->fd = fd;
	s->id = xstrdup(id);
	s->dec = agent_stream_new(stream_on_line, s);
	return s;
}

/* The instance the stream comes from. */
const char *
stream_id(struct stream *s)
{
	return s->id;
}

/* The socket to poll for input, or -1 once the stream has ended. */
int
stream_fd(struct stream *s)
{
	return s->fd;
}

/*
 * Read what has arrived and call fn(line, arg) for each complete line.
 * Returns -1 once the stream has ended: the instance went away, or its
 * agent broke the protocol or a cap.
 */
int
stream_read(struct stream *s, void (*fn)(const char *, void *), void *arg)
{
	char	*cause = NULL;

	s->fn = fn;
	s->arg = arg;
	if (s->fd != -1 && agent_stream_read(s->dec, s->fd, &cause) != 0) {
		free(cause);	/* ended, or dropped: the same here */
		close(s->fd);
		s->fd = -1;
	}
	return s->fd == -1 ? -1 : 0;
}

void
stream_close(struct stream *s)
{
	if (s == NULL)
		return;
	if (s->fd != -1)
		close(s->fd);
	agent_stream_free(s->dec);
	free(s->id);
	free(s);
}

/* Close every stream in the array and free it. */
void
stream_close_all(struct stream **streams, int n)
{
	while (n > 0)
		stream_close(streams[--n]);
	free(streams);
}

/*
 * Keep one stream of kind open to each instance of function fn that has
 * an agent to ask (ready, or starting with its socket made):
 * open streams to instances that appeared since.  streams is an array of
 * *n entries; the caller drops those whose stream_read says they ended.
 */
void
stream_sync(struct store *st, const char *fn, enum stream_kind kind,
    struct stream ***streams, int *n)
{
	struct list_sock	*socks;
	struct stream		*s;
	int			 nsocks, i, j, have;

	list_fn_socks(st, fn, &socks, &nsocks);
	for (j = 0; j < nsocks; j++) {
		for (i = 0, have = 0; i < *n && !have; i++)
			have = strcmp((*streams)[i]->id, socks[j].id) == 0;
		if (have)
			continue;
		if ((s = stream_open(socks[j].sock, kind, socks[j].id)) == NULL)
			continue;
		*streams = xrealloc(*streams, sizeof **streams * (*n + 1));
		(*streams)[(*n)++] = s;
	}
	list_socks_free(socks, nsocks);
}
