/*
 * test-copytree.c — copying code: exact modes whatever the umask, links
 * kept as links, a followed top-level link, special files and deep or
 * self-holding trees refused, the size limit from a stream, and a full
 * disk (a file size limit stands in for one) reported as itself.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "proto.h"
#include "check.h"

static int
mode_of(const char *dir, const char *name)
{
	struct stat	 st;
	char		*p = xasprintf("%s/%s", dir, name);
	int		 rc;

	rc = lstat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
	free(p);
	return rc;
}

int
main(void)
{
	char		 tmpl[] = "/tmp/hearth-copy.XXXXXX", *dir, *src, *dst, *p, *q;
	char		*cause = NULL, target[PATH_MAX];
	uint64_t	 size = 0;
	ssize_t		 n;
	int		 i, fds[2];

	umask(0);
	dir = mkdtemp(tmpl);
	CHECK("copy-1.0", dir != NULL);
	src = xasprintf("%s/src", dir);
	mkdir(src, 0700);
	p = xasprintf("%s/app.py", src);
	util_write_file(p, "print(1)\n", 9, &cause);
	free(p);
	p = xasprintf("%s/sub", src);
	mkdir(p, 0700);
	free(p);
	p = xasprintf("%s/sub/run", src);
	util_write_file(p, "#!/bin/sh\n", 10, &cause);
	chmod(p, 0700);
	free(p);
	p = xasprintf("%s/passwd", src);
	symlink("/etc/passwd", p);
	free(p);

	/* Modes are exact under umask 0; links stay links. */
	dst = xasprintf("%s/dst", dir);
	CHECK("copy-1.1", util_copytree(src, dst, &size, &cause) == 0);
	CHECK("copy-1.2", size == 19);
	CHECK("copy-1.3", mode_of(dst, "") == 0755);
	CHECK("copy-1.4", mode_of(dst, "app.py") == 0644);
	CHECK("copy-1.5", mode_of(dst, "sub") == 0755);
	CHECK("copy-1.6", mode_of(dst, "sub/run") == 0755);
	p = xasprintf("%s/passwd", dst);
	n = readlink(p, target, sizeof target - 1);
	CHECK("copy-1.7", n == 11 && memcmp(target, "/etc/passwd", 11) == 0);
	free(p);
	util_rmtree(dst);

	/* A top-level link is followed: its target is copied. */
	p = xasprintf("%s/link", dir);
	symlink(src, p);
	CHECK("copy-2.1", util_copytree(p, dst, &size, &cause) == 0);
	CHECK("copy-2.2", mode_of(dst, "") == 0755 && mode_of(dst, "app.py") == 0644);
	free(p);
	util_rmtree(dst);

	/* A tree that holds the destination would copy itself. */
	p = xasprintf("%s/dst", src);
	CHECK("copy-3.1", util_copytree(src, p, &size, &cause) == -1);
	CHECK("copy-3.2", cause != NULL && strstr(cause, "where it would be copied") != NULL);
	free(cause);
	cause = NULL;
	util_rmtree(p);
	free(p);

	/* A FIFO is refused by name, without being opened. */
	p = xasprintf("%s/sub/pipe", src);
	mkfifo(p, 0600);
	CHECK("copy-4.1", util_copytree(src, dst, &size, &cause) == -1);
	CHECK("copy-4.2", cause != NULL && strstr(cause, "sub/pipe: a named pipe") != NULL);
	free(cause);
	cause = NULL;
	unlink(p);
	free(p);
	util_rmtree(dst);

	/* UTIL_TREE_DEPTH directories fit, one more does not. */
	p = xstrdup(src);
	for (i = 1; i <= UTIL_TREE_DEPTH; i++) {
		q = xasprintf("%s/d", p);
		free(p);
		p = q;
		if (i == UTIL_TREE_DEPTH) {
			CHECK("copy-5.1", util_copytree(src, dst, &size,
			    &cause) == 0);
			util_rmtree(dst);
		}
		mkdir(p, 0755);
	}
	CHECK("copy-5.2", util_copytree(src, dst, &size, &cause) == -1);
	CHECK("copy-5.3", cause != NULL && strstr(cause, "more than 64 directories deep") != NULL);
	free(cause);
	cause = NULL;
	free(p);
	util_rmtree(dst);

	/* A stream past the limit is refused as it comes. */
	p = xasprintf("%s/stdin.py", dir);
	CHECK("copy-6.1", pipe(fds) == 0);
	CHECK("copy-6.2", write(fds[1], "0123456789", 10) == 10);
	close(fds[1]);
	size = PROTO_CODE_MAX - 5;
	CHECK("copy-6.3", util_copyfd(fds[0], "code from stdin", p, &size, &cause) == -1);
	CHECK("copy-6.4", cause != NULL && strstr(cause, "code from stdin: over the 250 MB") != NULL);
	close(fds[0]);
	free(cause);
	cause = NULL;
	free(p);

	/*
	 * A disk that fills mid-write: the first write is short and leaves
	 * errno as it was (EEXIST here, as after util_mkdirs of a directory
	 * that exists), the next fails.  The message is the real cause, and
	 * no temporary file is left.
	 */
	{
		struct rlimit	 old, small = { 4096, 4096 };
		char		 big[10000];

		memset(big, 'x', sizeof big);
		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &old);
		small.rlim_max = old.rlim_max;
		CHECK("copy-7.0", setrlimit(RLIMIT_FSIZE, &small) == 0);
		p = xasprintf("%s/full", dir);
		errno = EEXIST;
		CHECK("copy-7.1", util_write_file(p, big, sizeof big, &cause) == -1);
		CHECK("copy-7.2", cause != NULL && strstr(cause, strerror(EFBIG)) != NULL);
		CHECK("copy-7.3", cause != NULL && strstr(cause, strerror(EEXIST)) == NULL);
		free(cause);
		cause = NULL;
		CHECK("copy-7.4", access(p, F_OK) == -1);
		q = xasprintf("%s.tmp.%d", p, (int)getpid());
		CHECK("copy-7.5", access(q, F_OK) == -1);
		free(q);
		free(p);

		/* The same for code copied from a stream. */
		p = xasprintf("%s/full.py", dir);
		CHECK("copy-7.6", pipe(fds) == 0);
		CHECK("copy-7.7", write(fds[1], big, sizeof big) == sizeof big);
		close(fds[1]);
		size = 0;
		errno = EEXIST;
		CHECK("copy-7.8", util_copyfd(fds[0], "code from stdin", p, &size, &cause) == -1);
		CHECK("copy-7.9", cause != NULL && strstr(cause, strerror(EFBIG)) != NULL);
		close(fds[0]);
		free(cause);
		cause = NULL;
		free(p);
		setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, SIG_DFL);
	}

	util_rmtree(dir);
	free(src);
	free(dst);
	CHECK_DONE();
}
