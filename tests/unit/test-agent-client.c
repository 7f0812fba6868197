/*
 * test-agent-client.c — the host side of the agent protocol against a
 * scripted peer on a unix socket: headers parsed, body split into output
 * and result, a refused connection reported; over a socketpair, a fake
 * agent: a normal reply, a body, headers or a log length over their caps
 * stop the transfer with AGENT_OVER_CAP, the delivery rules (not one
 * byte of an answer: AGENT_NOT_SENT; PROTO_ACCEPTED and then nothing, or
 * no answer in time: AGENT_NO_ANSWER), and /configure as agent_configure
 * sends it; and the stream decoder with its caps.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"
#include "proto.h"
#include "vm.h"
#include "check.h"

/* Serve one canned reply to one request on path, in a child process. */
static pid_t
peer(const char *path, const char *reply, char *seen, size_t seenlen)
{
	struct sockaddr_un	sun;
	int			lfd, fd, p[2];
	pid_t			pid;
	ssize_t			n;
	char			buf[4096];

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(lfd, (struct sockaddr *)&sun, sizeof sun) == -1 || listen(lfd, 1) == -1)
		return -1;
	if (pipe(p) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		fd = accept(lfd, NULL, NULL);
		n = read(fd, buf, sizeof buf - 1);
		if (write(p[1], buf, n > 0 ? n : 0) < 0 ||
		    write(fd, reply, strlen(reply)) < 0)
			_exit(1);
		close(fd);
		_exit(0);
	}
	close(lfd);
	close(p[1]);
	n = read(p[0], seen, seenlen - 1);
	seen[n > 0 ? n : 0] = '\0';
	close(p[0]);
	return pid;
}

/*
 * A peer on the other end of a socketpair: write head, then fill bytes
 * of 'x' (as many as it can, if fill is 0), then close.  Returns the
 * client's end; *pid is the peer.
 */
static int
fd_peer(const char *head, size_t fill, pid_t *pid)
{
	static char	block[65536];
	size_t		n, sent = 0;
	int		sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if ((*pid = fork()) == 0) {
		close(sv[0]);
		signal(SIGPIPE, SIG_DFL);
		memset(block, 'x', sizeof block);
		if (write(sv[1], head, strlen(head)) < 0)
			_exit(1);
		while (fill == 0 || sent < fill) {
			n = fill == 0 || fill - sent > sizeof block ? sizeof block :
			    fill - sent;
			if (write(sv[1], block, n) != (ssize_t)n)
				_exit(1);
			sent += n;
		}
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

/*
 * Ask a peer that answers head (and fill bytes) for /invoke over a
 * connection on a socketpair; returns what agent_request did, with the
 * cause (or NULL) in *cause.
 */
static int
hostile(const char *head, size_t fill, struct agent_reply *r, char **cause)
{
	struct agent_conn	*c;
	pid_t			 pid;
	int			 fd, rc;

	*cause = NULL;
	if ((fd = fd_peer(head, fill, &pid)) == -1)
		return 99;
	c = agent_connect_fd(fd);
	rc = agent_request(c, "POST", PROTO_PATH_INVOKE, "{}", 2, "req-h", 1000,
	    10000, r, cause);
	agent_close(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return rc;
}

/*
 * A fake agent on a socketpair that reads one request, hands what it
 * read to the test through a pipe, then answers reply (NULL: closes
 * without answering).  Returns the client's end; *seen_fd the pipe.
 */
static int
fd_agent(const char *reply, int *seen_fd, pid_t *pid)
{
	char	buf[8192];
	int	sv[2], p[2];
	ssize_t	n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 || pipe(p) == -1)
		return -1;
	if ((*pid = fork()) == 0) {
		close(sv[0]);
		close(p[0]);
		n = read(sv[1], buf, sizeof buf);
		if (n > 0 && write(p[1], buf, n) != n)
			_exit(1);
		close(p[1]);
		if (reply != NULL && write(sv[1], reply, strlen(reply)) < 0)
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	close(p[1]);
	*seen_fd = p[0];
	return sv[0];
}

/* What a fake agent read, NUL-terminated, into seen; reaps it. */
static void
fd_agent_seen(int seen_fd, pid_t pid, char *seen, size_t len)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len - 1 && (n = read(seen_fd, seen + got, len - 1 - got)) > 0)
		got += n;
	seen[got] = '\0';
	close(seen_fd);
	waitpid(pid, NULL, 0);
}

/*
 * A fake agent on a socketpair for the delivery rules: it reads the
 * request (unless unread: then it waits 100 ms, so the request is sent,
 * and closes on it unread, which resets the connection), writes reply
 * (which may be empty, or end mid-line), waits stall_ms and goes away.
 * Returns what agent_request made of it.
 */
static int
delivery(const char *reply, int unread, int stall_ms, long wait_ms,
    struct agent_reply *r, char **cause)
{
	struct agent_conn	*c;
	char			 buf[8192];
	pid_t			 pid;
	int			 sv[2], rc;

	*cause = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return 99;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		if (unread)
			usleep(100000);
		else if (read(sv[1], buf, sizeof buf) <= 0)
			_exit(1);
		if (write(sv[1], reply, strlen(reply)) < 0)
			_exit(1);
		usleep(stall_ms * 1000);
		_exit(0);
	}
	close(sv[1]);
	c = agent_connect_fd(sv[0]);
	rc = agent_request(c, "POST", PROTO_PATH_INVOKE, "{}", 2, "req-d", 1000,
	    wait_ms, r, cause);
	agent_close(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return rc;
}

/* The lines a decoder handed back, each ending in '|'. */
static struct buf stream_seen;

static void
stream_line(const char *line, size_t len, void *arg)
{
	CHECK("stream-cb", strlen(line) == len);
	buf_add(&stream_seen, line, len);
	buf_add(&stream_seen, "|", 1);
}

/* Feed a whole stream in pieces of step bytes; the last feed's result. */
static int
stream_run(const char *data, size_t len, size_t step, char **cause)
{
	struct agent_stream	*s = agent_stream_new(stream_line, NULL);
	size_t			 off, n;
	int			 rc = 0;

	stream_seen.len = 0;
	buf_add(&stream_seen, "", 0);
	*cause = NULL;
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < step ? len - off : step;
		rc = agent_stream_feed(s, data + off, n, cause);
	}
	agent_stream_free(s);
	return rc;
}

#define STREAM_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n" \
	"Transfer-Encoding: chunked\r\n\r\n"

int
main(void)
{
	char			 dir[] = "/tmp/hearth-unit.XXXXXX", *path, *cause = NULL;
	char			 seen[4096];
	struct agent_conn	*c;
	struct agent_reply	 r;
	pid_t			 pid;
	int			 rc;
	static const char	 reply[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 14\r\n"
	    PROTO_H_STATUS ": " PROTO_STATUS_ERROR "\r\n"
	    PROTO_H_LOG_LENGTH ": 4\r\n"
	    PROTO_H_DURATION_US ": 1500\r\n"
	    PROTO_H_INIT_US ": 20000\r\n"
	    PROTO_H_MAX_RSS_KB ": 2048\r\n"
	    PROTO_H_DETAIL ": signal: killed\r\n"
	    "\r\nlog\n{\"e\": true}";

	if (mkdtemp(dir) == NULL)
		return 1;
	path = xasprintf("%s/agent.sock", dir);
	c = agent_connect(path);

	/* 1: nothing listening yet: a clear failure, no reply. */
	rc = agent_request(c, "GET", PROTO_PATH_HEALTH, NULL, 0, NULL, 0, 1000, &r, &cause);
	CHECK("client-1.1", rc == -1 && cause != NULL);
	free(cause);
	cause = NULL;

	/* 2: the request and reply shapes of /invoke (client in a child). */
	pid = fork();
	if (pid == 0) {
		struct agent_conn *c2;

		usleep(50000);	/* the peer below is listening by then */
		c2 = agent_connect(path);
		rc = agent_request(c2, "POST", PROTO_PATH_INVOKE, "{\"k\": 1}", 8,
		    "req-1", 3000, 2000, &r, &cause);
		if (rc != 0)
			_exit(2);
		if (r.http != 200 || strcmp(r.status, "error") != 0 ||
		    r.log_len != 4 || r.duration_us != 1500 || r.init_us != 20000 ||
		    r.max_rss_kb != 2048 || strcmp(r.detail, "signal: killed") != 0 ||
		    r.body_len != 14 || memcmp(r.body, "log\n{\"e\": true}", 14) != 0)
			_exit(3);
		_exit(0);
	}
	if (peer(path, reply, seen, sizeof seen) == -1)
		return 1;
	waitpid(pid, &rc, 0);
	CHECK("client-2.1", WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	CHECK("client-2.2", strncmp(seen, "POST /invoke HTTP/1.1\r\n", 23) == 0);
	CHECK("client-2.3", strstr(seen, PROTO_H_REQUEST_ID ": req-1\r\n") != NULL);
	CHECK("client-2.4", strstr(seen, PROTO_H_TIMEOUT_MS ": 3000\r\n") != NULL);
	CHECK("client-2.5", strstr(seen, "Content-Length: 8\r\n") != NULL);
	CHECK("client-2.6", strstr(seen, "Expect:") == NULL);
	CHECK("client-2.7", strstr(seen, "\r\n\r\n{\"k\": 1}") != NULL);
	while (wait(NULL) > 0)
		;

	/* 3: a connection over a given socket (as a fuzzer makes one). */
	rc = hostile("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    PROTO_H_STATUS ": ok\r\n" PROTO_H_LOG_LENGTH ": 2\r\n\r\nl\nok", 0 + 0,
	    &r, &cause);
	CHECK("fd-3.1", rc == 0 && r.http == 200 && r.body_len == 5 &&
	    r.log_len == 2 && strcmp(r.status, "ok") == 0);
	if (rc == 0)
		agent_reply_free(&r);

	/* 4: a body over PROTO_REPLY_MAX, with no length or a huge one. */
	rc = hostile("HTTP/1.1 200 OK\r\nConnection: close\r\n"
	    PROTO_H_STATUS ": ok\r\n\r\n", 0, &r, &cause);
	CHECK("cap-4.1", rc == AGENT_OVER_CAP && r.body == NULL);
	CHECK("cap-4.2", cause != NULL && strstr(cause, "reply body over") != NULL);
	free(cause);
	rc = hostile("HTTP/1.1 200 OK\r\nContent-Length: 3000000000\r\n"
	    PROTO_H_STATUS ": ok\r\n\r\n", 0, &r, &cause);
	CHECK("cap-4.3", rc == AGENT_OVER_CAP && cause != NULL &&
	    strstr(cause, "Content-Length 3000000000") != NULL);
	free(cause);
	/* Exactly at the cap is still a reply. */
	{
		char *head = xasprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
		    PROTO_H_STATUS ": ok\r\n\r\n", PROTO_REPLY_MAX);

		rc = hostile(head, PROTO_REPLY_MAX, &r, &cause);
		CHECK("cap-4.4", rc == 0 && r.body_len == PROTO_REPLY_MAX);
		if (rc == 0)
			agent_reply_free(&r);
		free(cause);
		free(head);
	}

	/* 5: headers over PROTO_HEADERS_MAX. */
	{
		struct buf h = { 0 };
		int i;

		buf_addstr(&h, "HTTP/1.1 200 OK\r\n");
		for (i = 0; i < 2000; i++)
			buf_printf(&h, "X-Padding-%04d: %060d\r\n", i, i);
		buf_addstr(&h, "Content-Length: 2\r\n\r\nok");
		rc = hostile(h.data, 0 + 0, &r, &cause);
		CHECK("cap-5.1", rc == AGENT_OVER_CAP && cause != NULL &&
		    strstr(cause, "reply headers over") != NULL);
		free(cause);
		buf_free(&h);
	}

	/* 6: log lengths over the log cap, beyond the body, not a number. */
	rc = hostile("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
	    PROTO_H_LOG_LENGTH ": 2000000\r\n\r\n0123456789", 0, &r, &cause);
	CHECK("cap-6.1", rc == AGENT_OVER_CAP && cause != NULL &&
	    strstr(cause, "log cap") != NULL);
	free(cause);
	rc = hostile("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
	    PROTO_H_LOG_LENGTH ": 100\r\n\r\n0123456789", 0, &r, &cause);
	CHECK("cap-6.2", rc == AGENT_OVER_CAP && cause != NULL &&
	    strstr(cause, "100 beyond the 10-byte body") != NULL);
	free(cause);
	rc = hostile("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
	    PROTO_H_LOG_LENGTH ": -1\r\n\r\n0123456789", 0, &r, &cause);
	CHECK("cap-6.3", rc == AGENT_OVER_CAP);
	free(cause);

	/* 7: a given socket lasts as long as its connection. */
	{
		struct agent_conn *c2;
		pid_t p2;
		int fd = fd_peer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
		    PROTO_H_LOG_LENGTH ": 100\r\n\r\n0123456789", 0 + 1, &p2);

		c2 = agent_connect_fd(fd);
		rc = agent_request(c2, "GET", PROTO_PATH_HEALTH, NULL, 0, NULL, 0,
		    2000, &r, &cause);
		free(cause);
		cause = NULL;
		rc = agent_request(c2, "GET", PROTO_PATH_HEALTH, NULL, 0, NULL, 0,
		    2000, &r, &cause);
		CHECK("fd-7.1", rc == AGENT_NOT_SENT || rc == AGENT_NO_ANSWER);
		free(cause);
		cause = NULL;
		agent_close(c2);
		kill(p2, SIGKILL);
		waitpid(p2, NULL, 0);
	}

	/* 8: the stream decoder, fed whole and a byte at a time. */
	{
		static const char ok[] = STREAM_HEAD "9\r\n{\"a\": 1}\n\r\n"
		    "4\r\n{\"b\"\r\n5\r\n: 2}\n\r\n1;ext=1\r\n\n\r\n0\r\n\r\n";
		size_t step;

		for (step = 1; step <= sizeof ok; step += sizeof ok - 1) {
			rc = stream_run(ok, sizeof ok - 1, step, &cause);
			CHECK("stream-8.1", rc == 1);
			CHECK_STR("stream-8.2", stream_seen.data, "{\"a\": 1}|{\"b\": 2}|");
			free(cause);
		}
		rc = stream_run(STREAM_HEAD "9\r\n{\"a\": 1}\n\r\n",
		    sizeof STREAM_HEAD + 13, 7, &cause);
		CHECK("stream-8.3", rc == 0 && strcmp(stream_seen.data, "{\"a\": 1}|") == 0);
	}

	/* 9: a line over PROTO_STREAM_LINE_MAX drops the stream. */
	{
		struct buf b = { 0 };
		char *line = xmalloc(PROTO_STREAM_LINE_MAX + 2);

		memset(line, 'a', PROTO_STREAM_LINE_MAX + 1);
		line[PROTO_STREAM_LINE_MAX + 1] = '\0';
		buf_addstr(&b, STREAM_HEAD);
		buf_printf(&b, "%x\r\n%s\r\n", PROTO_STREAM_LINE_MAX + 1, line);
		rc = stream_run(b.data, b.len, 65536, &cause);
		CHECK("stream-9.1", rc == -1 && cause != NULL &&
		    strstr(cause, "line cap") != NULL && stream_seen.len == 0);
		free(cause);
		/* One at the cap passes. */
		b.len = 0;
		line[PROTO_STREAM_LINE_MAX] = '\0';
		buf_addstr(&b, STREAM_HEAD);
		buf_printf(&b, "%x\r\n%s\n\r\n", PROTO_STREAM_LINE_MAX + 1, line);
		rc = stream_run(b.data, b.len, 65536, &cause);
		CHECK("stream-9.2", rc == 0 && stream_seen.len == PROTO_STREAM_LINE_MAX + 1);
		free(line);
		buf_free(&b);
	}

	/* 10: bad chunk sizes, and chunks not ended by CRLF, end the stream. */
	{
		static const char *bad[] = {
		    STREAM_HEAD "zz\r\n",
		    STREAM_HEAD "\r\n",
		    STREAM_HEAD "-1\r\n",
		    STREAM_HEAD "4 \r\n",
		    STREAM_HEAD "4\n",
		    STREAM_HEAD "ffffffffffffffffffff\r\n",
		    STREAM_HEAD "000000000000000000000000000000000000000000000000000"
		    "0000000000004\r\n",
		    STREAM_HEAD "100001\r\n",
		    STREAM_HEAD "2\r\nabXY",
		    STREAM_HEAD "2\r\nab\r\r",
		    NULL
		};
		int i;

		for (i = 0; bad[i] != NULL; i++) {
			rc = stream_run(bad[i], strlen(bad[i]), 3, &cause);
			CHECK("stream-10.1", rc == -1 && cause != NULL);
			free(cause);
		}
	}

	/* 11: more than the buffer cap at once, or answers that are no stream. */
	{
		struct agent_stream *st = agent_stream_new(stream_line, NULL);
		char *big = xcalloc(1, PROTO_STREAM_BUF_MAX + 1);

		CHECK("stream-11.1", agent_stream_room(st) == PROTO_STREAM_BUF_MAX);
		rc = agent_stream_feed(st, big, PROTO_STREAM_BUF_MAX + 1, &cause);
		CHECK("stream-11.2", rc == -1 && cause != NULL &&
		    strstr(cause, "buffer cap") != NULL);
		free(cause);
		rc = agent_stream_feed(st, "x", 1, &cause);
		CHECK("stream-11.3", rc == -1);	/* and it stays dropped */
		free(cause);
		agent_stream_free(st);
		free(big);
		rc = stream_run("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
		    45, 5, &cause);
		CHECK("stream-11.4", rc == -1);
		free(cause);
		rc = stream_run("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{}\n\n",
		    44, 5, &cause);
		CHECK("stream-11.5", rc == -1);
		free(cause);
		big = xmalloc(PROTO_HEADERS_MAX + 64);
		memset(big, 'h', PROTO_HEADERS_MAX + 64);
		memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
		rc = stream_run(big, PROTO_HEADERS_MAX + 64, 4096, &cause);
		CHECK("stream-11.6", rc == -1 && cause != NULL &&
		    strstr(cause, "header cap") != NULL);
		free(cause);
		free(big);
	}
	/*
	 * 12: the agent read the request and went away without a byte of
	 * an answer (an agent exiting idle): it never took it.
	 */
	{
		struct agent_conn *c2;
		int sfd, fd = fd_agent(NULL, &sfd, &pid);

		c2 = agent_connect_fd(fd);
		rc = agent_request(c2, "POST", PROTO_PATH_INVOKE, "{}", 2, "req-n",
		    1000, 5000, &r, &cause);
		CHECK("none-12.1", rc == AGENT_NOT_SENT && cause != NULL);
		free(cause);
		cause = NULL;
		agent_close(c2);
		fd_agent_seen(sfd, pid, seen, sizeof seen);
		CHECK("none-12.2", strncmp(seen, "POST /invoke HTTP/1.1\r\n", 23) == 0);
	}

	/* 13: /configure: taken (204), refused (naming who), not answered. */
	{
		static const char env[] = "AWS_LAMBDA_FUNCTION_NAME=f\nK=v\n";
		struct agent_conn *c2;
		int sfd, fd;

		fd = fd_agent("HTTP/1.1 204 No Content\r\n\r\n", &sfd, &pid);
		c2 = agent_connect_fd(fd);
		rc = agent_configure(c2, "instance 0123456789ab", env,
		    sizeof env - 1, &cause);
		CHECK("configure-13.1", rc == 0 && cause == NULL);
		agent_close(c2);
		fd_agent_seen(sfd, pid, seen, sizeof seen);
		CHECK("configure-13.2", strncmp(seen, "POST " PROTO_PATH_CONFIGURE
		    " HTTP/1.1\r\n", 5 + strlen(PROTO_PATH_CONFIGURE) + 11) == 0);
		CHECK("configure-13.3", strstr(seen, "\r\n\r\n"
		    "AWS_LAMBDA_FUNCTION_NAME=f\nK=v\n") != NULL);

		fd = fd_agent("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
		    &sfd, &pid);
		c2 = agent_connect_fd(fd);
		rc = agent_configure(c2, "VM 0123456789ab", env, sizeof env - 1,
		    &cause);
		CHECK("configure-13.4", rc == -1);
		CHECK_STR("configure-13.5", cause, "VM 0123456789ab: configure answered 400");
		free(cause);
		cause = NULL;
		agent_close(c2);
		fd_agent_seen(sfd, pid, seen, sizeof seen);

		fd = fd_agent(NULL, &sfd, &pid);
		c2 = agent_connect_fd(fd);
		rc = agent_configure(c2, "VM 0123456789ab", env, sizeof env - 1,
		    &cause);
		CHECK("configure-13.6", rc == -1 && cause != NULL &&
		    strstr(cause, "configure answered") == NULL);
		free(cause);
		cause = NULL;
		agent_close(c2);
		fd_agent_seen(sfd, pid, seen, sizeof seen);
	}
	/* 14: the delivery rules, one way of ending at a time. */
	{
		static const char done[] = "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 6\r\n" PROTO_H_STATUS ": ok\r\n"
		    PROTO_H_LOG_LENGTH ": 0\r\n\r\n\"done\"";

		/* Closed on the request unread: a reset, nothing taken. */
		rc = delivery("", 1, 0, 5000, &r, &cause);
		CHECK("deliver-14.1", rc == AGENT_NOT_SENT && cause != NULL);
		free(cause);
		/* Read, then gone mid-way through a status line: not taken. */
		rc = delivery("HTTP/1.1 102 Proc", 0, 0, 5000, &r, &cause);
		CHECK("deliver-14.2", rc == AGENT_NOT_SENT && cause != NULL);
		free(cause);
		/* Taken (PROTO_ACCEPTED), then gone: it may have run. */
		rc = delivery(PROTO_ACCEPTED, 0, 0, 5000, &r, &cause);
		CHECK("deliver-14.3", rc == AGENT_NO_ANSWER && cause != NULL);
		free(cause);
		/* Taken, then answered: the interim line is no part of it. */
		rc = delivery(PROTO_ACCEPTED "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 6\r\n" PROTO_H_STATUS ": ok\r\n"
		    PROTO_H_LOG_LENGTH ": 0\r\n\r\n\"done\"", 0, 0, 5000, &r,
		    &cause);
		CHECK("deliver-14.4", rc == 0 && cause == NULL && r.http == 200 &&
		    strcmp(r.status, "ok") == 0 && r.body_len == 6 &&
		    memcmp(r.body, "\"done\"", 6) == 0);
		agent_reply_free(&r);
		/* Answered without the interim line (as before it): the same. */
		rc = delivery(done, 0, 0, 5000, &r, &cause);
		CHECK("deliver-14.5", rc == 0 && r.http == 200 && r.body_len == 6);
		agent_reply_free(&r);
		/* Busy: a final answer, no interim line; the caller decides. */
		rc = delivery("HTTP/1.1 409 Conflict\r\nContent-Length: 4\r\n"
		    "\r\nbusy", 0, 0, 5000, &r, &cause);
		CHECK("deliver-14.6", rc == 0 && r.http == 409);
		agent_reply_free(&r);
		/* Taken, then silent past wait_ms: may have run. */
		rc = delivery(PROTO_ACCEPTED, 0, 3000, 300, &r, &cause);
		CHECK("deliver-14.7", rc == AGENT_NO_ANSWER && cause != NULL);
		free(cause);
		/* Silent past wait_ms: the event's time is spent, not resent. */
		rc = delivery("", 0, 3000, 300, &r, &cause);
		CHECK("deliver-14.8", rc == AGENT_NO_ANSWER && cause != NULL);
		free(cause);
		cause = NULL;
	}
	/*
	 * 15: a hostile agent plays with the interim line.  Whatever it
	 * sends after one, the event counts as taken (never AGENT_NOT_SENT:
	 * it is not run elsewhere), and the host's wait stays bounded.
	 */
	{
		struct buf	 flood = { 0 };
		int		 i;

		/* 102s past the header cap: a broken cap, read no further. */
		for (i = 0; i < PROTO_HEADERS_MAX / 27 + 10; i++)
			buf_addstr(&flood, PROTO_ACCEPTED);
		buf_addstr(&flood, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
		rc = delivery(flood.data, 0, 0, 5000, &r, &cause);
		CHECK("hostile-15.1", rc == AGENT_OVER_CAP && cause != NULL);
		free(cause);
		buf_free(&flood);
		/* 102s and then nothing until wait_ms: may have run, bounded. */
		rc = delivery(PROTO_ACCEPTED PROTO_ACCEPTED PROTO_ACCEPTED, 0, 3000,
		    300, &r, &cause);
		CHECK("hostile-15.2", rc == AGENT_NO_ANSWER && cause != NULL);
		free(cause);
		/* A 102, then garbage where the answer should be. */
		rc = delivery(PROTO_ACCEPTED "\x1b]0;pwned\x07 not http\r\n\r\n", 0,
		    0, 5000, &r, &cause);
		CHECK("hostile-15.3", rc != AGENT_NOT_SENT && rc != 0 &&
		    cause != NULL);
		free(cause);
		/* A forged 102 that claims a body: taken, never resent. */
		rc = delivery("HTTP/1.1 102 Processing\r\nContent-Length: 5\r\n"
		    "\r\nhello", 0, 0, 5000, &r, &cause);
		CHECK("hostile-15.4", rc != AGENT_NOT_SENT);
		if (rc == 0)
			agent_reply_free(&r);
		else
			free(cause);
		cause = NULL;
	}
	buf_free(&stream_seen);
	agent_close(c);
	util_rmtree(dir);
	free(path);
	CHECK_DONE();
}
