/*
 * test-agent-client.c — the host side of the agent protocol against a
 * scripted peer on a unix socket: headers parsed, body split into output
 * and result, a refused connection reported.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <stdlib.h>
#include <unistd.h>

#include "hearth.h"
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
	agent_close(c);
	util_rmtree(dir);
	free(path);
	CHECK_DONE();
}
