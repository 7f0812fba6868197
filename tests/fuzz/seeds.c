/*
 * seeds.c — fuzz-seeds: what hearth's host side really sends an agent,
 * written to files for the fuzzers' seed corpora (tests/fuzz/corpus.py).
 *
 *   fuzz-seeds request METHOD PATH [BODY [REQID [TIMEOUT_MS]]]
 *	the request agent_request() writes, as libcurl spells it: asked
 *	over a socketpair whose other end reads it and answers 204.
 *   fuzz-seeds bundle DIR
 *	the PUT /code body bundle_build() makes of DIR.
 *
 * Each writes its seed on standard output.
 *
 * Seeds made this way are the real thing, not what the harness's author
 * thinks the real thing is.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"
#include "proto.h"
#include "vm.h"

#define SEEDS_REPLY	"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"

/* Read a request (head and Content-Length body) from fd into b. */
static void
seeds_read_request(int fd, struct buf *b)
{
	char		 chunk[65536], *end, *cl;
	size_t		 want = 0;
	ssize_t		 n;

	for (;;) {
		end = b->data != NULL ? strstr(b->data, "\r\n\r\n") : NULL;
		if (end != NULL) {
			cl = strcasestr(b->data, "\r\nContent-Length:");
			want = (size_t)(end + 4 - b->data);
			if (cl != NULL && cl < end)
				want += strtoul(cl + 17, NULL, 10);
			if (b->len >= want)
				return;
		}
		if ((n = read(fd, chunk, sizeof chunk)) <= 0)
			return;
		buf_add(b, chunk, n);
	}
}

/* Write out the n bytes at p; -1 if they could not be. */
static int
seeds_write(const void *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : -1;
}

/* Write out the request agent_request makes. */
static int
seeds_request(const char *method, const char *path,
    const char *body, const char *reqid, long timeout_ms)
{
	struct agent_conn	*c;
	struct agent_reply	 r;
	struct buf		 req = { 0 };
	char			*cause = NULL;
	int			 sv[2], rc;
	pid_t			 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		fatal("socketpair: %s", strerror(errno));
	if ((pid = fork()) == 0) {
		close(sv[0]);
		seeds_read_request(sv[1], &req);
		if (write(sv[1], SEEDS_REPLY, strlen(SEEDS_REPLY)) < 0 ||
		    seeds_write(req.data, req.len) != 0)
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	c = agent_connect_fd(sv[0]);
	rc = agent_request(c, method, path, body, body != NULL ?
	    strlen(body) : 0, reqid, timeout_ms, 5000, &r, &cause);
	if (rc == 0)
		agent_reply_free(&r);
	else {
		fprintf(stderr, "fuzz-seeds: %s %s: %s\n", method, path, cause);
		free(cause);
	}
	agent_close(c);
	waitpid(pid, &rc, 0);
	return WIFEXITED(rc) && WEXITSTATUS(rc) == 0 ? 0 : 1;
}

/* Write out the bundle of dir. */
static int
seeds_bundle(const char *dir)
{
	struct buf	 b = { 0 };
	char		*cause = NULL;

	if (bundle_build(dir, &b, &cause) != 0) {
		fprintf(stderr, "fuzz-seeds: %s\n", cause);
		return 1;
	}
	if (seeds_write(b.data, b.len) != 0)
		return 1;
	buf_free(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && argc <= 7 && strcmp(argv[1], "request") == 0)
		return seeds_request(argv[2], argv[3],
		    argc > 4 ? argv[4] : NULL, argc > 5 ? argv[5] : NULL,
		    argc > 6 ? atol(argv[6]) : 0);
	if (argc == 3 && strcmp(argv[1], "bundle") == 0)
		return seeds_bundle(argv[2]);
	fprintf(stderr, "usage: fuzz-seeds request METHOD PATH [BODY [REQID "
	    "[TIMEOUT_MS]]]\n       fuzz-seeds bundle DIR\n");
	return 2;
}
