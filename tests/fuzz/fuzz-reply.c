/*
 * fuzz-reply.c — the host's reader of agent replies (vm/agent-client.c)
 * under libFuzzer.
 *
 * Every request hearth makes of an agent (invoke, configure, health,
 * stats) reads its reply through agent_request(), over libcurl, and a
 * subverted agent may answer anything.  The input is that answer: it is
 * written into one end of a socketpair, which is then shut down for
 * writing, and POST /invoke is asked over the other end through
 * agent_connect_fd(), as hearth asks a real agent.  So curl reads exactly
 * the input and then end of file: every exchange finishes at once, and
 * the inputs are kept small enough (-max_len) for the socket to hold.
 *
 * What comes back must be one of the four outcomes agent_request()
 * documents, and consistent: on success a NUL-terminated body no longer
 * than PROTO_REPLY_MAX, a log length within PROTO_LOG_MAX and the body,
 * headers (as many as curl read) within PROTO_HEADERS_MAX and, with the
 * body, within what the input held, and X-Hearth-Status and -Detail
 * values that the input really holds; on failure a cause and no body.
 * The HTTP status is not checked: curl 7.88 reads a status line it
 * cannot parse leniently (any line starting "HTTP/" as 200, "HTTP/2 1" as
 * 1), and hearth takes every code but the one it expects as a failure.
 * Nor does the harness guess where curl's headers end (leniently: at a
 * line that starts with CR, at end of file, and by rules of its own): it
 * asks curl, and includes agent-client.c to reach the connection's handle.
 */
#include "../../vm/agent-client.c"

#include <signal.h>

#include "fuzz.h"

#define REPLY_SNDBUF	(4 * 1024 * 1024)	/* asked of the socket */

/* Check a successful reply r to the len bytes at p, read over c. */
static void
reply_check_ok(struct agent_conn *c, const char *p, size_t len,
    const struct agent_reply *r)
{
	long	head = -1;

	curl_easy_getinfo(c->curl, CURLINFO_HEADER_SIZE, &head);
	FUZZ_CHECK(head >= 0 && head <= PROTO_HEADERS_MAX);
	FUZZ_CHECK(r->body != NULL && r->body[r->body_len] == '\0');
	FUZZ_CHECK(r->body_len <= PROTO_REPLY_MAX);
	FUZZ_CHECK(r->body_len + (size_t)head <= len);
	FUZZ_CHECK(r->log_len <= PROTO_LOG_MAX && r->log_len <= r->body_len);
	FUZZ_CHECK(memchr(r->status, '\0', sizeof r->status) != NULL);
	FUZZ_CHECK(memchr(r->detail, '\0', sizeof r->detail) != NULL);
	FUZZ_CHECK(r->status[0] == '\0' ||
	    memmem(p, len, r->status, strlen(r->status)) != NULL);
	FUZZ_CHECK(r->detail[0] == '\0' ||
	    memmem(p, len, r->detail, strlen(r->detail)) != NULL);
}

/* Check a failed reply: a cause, no body, nothing half-filled. */
static void
reply_check_failed(int rc, const struct agent_reply *r, const char *cause)
{
	FUZZ_CHECK(rc == AGENT_NOT_SENT || rc == AGENT_NO_ANSWER ||
	    rc == AGENT_OVER_CAP);
	FUZZ_CHECK(cause != NULL && strncmp(cause, "agent: ", 7) == 0);
	FUZZ_CHECK(r->body == NULL && r->body_len == 0);
	if (rc == AGENT_OVER_CAP)
		FUZZ_CHECK(r->http == 0 && r->log_len == 0 &&
		    r->status[0] == '\0');
}

/*
 * Write what fits of the len bytes at p into fd without blocking; the
 * rest is never sent.  Returns what was written.
 */
static size_t
reply_write(int fd, const char *p, size_t len)
{
	size_t	done = 0;
	ssize_t	n;

	while (done < len) {
		if ((n = write(fd, p + done, len - done)) <= 0)
			break;
		done += (size_t)n;
	}
	return done;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_conn	*c;
	struct agent_reply	 r;
	char			*cause = NULL;
	const char		*p = (const char *)data;
	int			 sv[2], rc, sndbuf = REPLY_SNDBUF;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		FUZZ_FAIL("socketpair failed");
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	size = reply_write(sv[1], p, size);
	shutdown(sv[1], SHUT_WR);

	c = agent_connect_fd(sv[0]);
	rc = agent_request(c, "POST", PROTO_PATH_INVOKE, "{}", 2, "req-fuzz",
	    1000, 10000, &r, &cause);
	if (rc == 0) {
		FUZZ_CHECK(cause == NULL);
		reply_check_ok(c, p, size, &r);
	} else
		reply_check_failed(rc, &r, cause);
	agent_reply_free(&r);
	free(cause);
	agent_close(c);
	close(sv[1]);
	return 0;
}
