/*
 * fuzz-stream.c — the host's decoder of an agent's log and stats streams
 * (vm/agent-stream.c) under libFuzzer.
 *
 * The console follows GET /logs?follow=1 and GET /stats?follow=1 on an
 * agent's socket, and a subverted agent may send anything there, for as
 * long as it likes.  The input is that reply, status line to trailers.
 * It is fed twice: in pieces of the sizes reads would return (drawn from
 * the input's hash), never more than agent_stream_room() at a time, as
 * agent_stream_read feeds it; and in as few pieces as the room allows.  After
 * every feed the decoder holds at most PROTO_STREAM_BUF_MAX, a line at
 * most PROTO_STREAM_LINE_MAX and headers at most PROTO_HEADERS_MAX; every
 * line it hands out is non-empty, NUL-terminated, newline-free and within
 * the line cap; and the two runs agree on every line, on how the stream
 * ended and why, since where reads happen to split a stream must not
 * change what it says.
 *
 * The harness includes agent-stream.c to see the decoder's buffers: the
 * caps are on what it holds, which its interface does not show.
 */
#include "../../vm/agent-stream.c"

#include "fuzz.h"

/* What one run of the decoder handed out and how the stream ended. */
struct stream_run {
	uint64_t	 hash;		/* of every line, in order */
	size_t		 lines;		/* how many */
	size_t		 bytes;		/* their total length */
	int		 rc;		/* the last feed's answer */
	char		*cause;		/* why it went bad, or NULL */
};

/* Check a line the decoder hands out and fold it into the run's hash. */
static void
stream_line(const char *line, size_t len, void *arg)
{
	struct stream_run	*run = arg;
	const uint8_t		*p = (const uint8_t *)line;
	size_t			 i;

	FUZZ_CHECK(len > 0 && len <= PROTO_STREAM_LINE_MAX);
	FUZZ_CHECK(line[len] == '\0');
	FUZZ_CHECK(memchr(line, '\n', len) == NULL);
	for (i = 0; i < len; i++)
		run->hash = (run->hash ^ p[i]) * 0x100000001b3ULL;
	run->hash = (run->hash ^ 0x100) * 0x100000001b3ULL;
	run->lines++;
	run->bytes += len;
}

/* Check what the decoder holds between feeds. */
static void
stream_check_held(struct agent_stream *s)
{
	size_t	room = agent_stream_room(s);

	FUZZ_CHECK(s->head.len + s->line.len <= PROTO_STREAM_BUF_MAX);
	FUZZ_CHECK(room == PROTO_STREAM_BUF_MAX - s->head.len - s->line.len);
	if (s->state == STREAM_BAD || s->state == STREAM_DONE)
		return;
	FUZZ_CHECK(room > 0);
	FUZZ_CHECK(s->line.len <= PROTO_STREAM_LINE_MAX);
	FUZZ_CHECK(s->head.len <= PROTO_HEADERS_MAX);
	FUZZ_CHECK(s->state != STREAM_SIZE ||
	    s->head.len <= STREAM_SIZE_LINE_MAX);
	FUZZ_CHECK(s->state != STREAM_DATA || s->left <= PROTO_STREAM_BUF_MAX);
	FUZZ_CHECK(s->trailer <= PROTO_HEADERS_MAX);
}

/*
 * Feed the n bytes at p in pieces: from rnd if it is not NULL, else as
 * large as the room allows.  Stops at the first answer that is not 0.
 */
static void
stream_feed(const char *p, size_t n, uint64_t *rnd, struct stream_run *run)
{
	struct agent_stream	*s = agent_stream_new(stream_line, run);
	size_t			 piece, room;

	memset(run, 0, sizeof *run);
	run->hash = 0xcbf29ce484222325ULL;
	while (n > 0 && run->rc == 0) {
		room = agent_stream_room(s);
		piece = rnd != NULL ? fuzz_piece(rnd, n) : n;
		if (piece > room)
			piece = room;
		run->rc = agent_stream_feed(s, p, piece, &run->cause);
		FUZZ_CHECK(run->rc >= -1 && run->rc <= 1);
		FUZZ_CHECK((run->rc == -1) == (run->cause != NULL));
		FUZZ_CHECK((run->rc == 1) == (s->state == STREAM_DONE));
		stream_check_held(s);
		p += piece;
		n -= piece;
	}
	agent_stream_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_run	split, whole;
	uint64_t		rnd = fuzz_seed(data, size);

	stream_feed((const char *)data, size, &rnd, &split);
	stream_feed((const char *)data, size, NULL, &whole);
	FUZZ_CHECK(split.bytes <= size && split.lines <= size);
	if (split.rc != whole.rc || split.lines != whole.lines ||
	    split.hash != whole.hash || (split.cause != NULL &&
	    strcmp(split.cause, whole.cause) != 0))
		FUZZ_FAIL("split and whole differ: rc %d/%d, "
		    "%zu/%zu lines, \"%s\"/\"%s\"", split.rc, whole.rc,
		    split.lines, whole.lines, split.cause ? split.cause : "",
		    whole.cause ? whole.cause : "");
	free(split.cause);
	free(whole.cause);
	return 0;
}
