/*
 * bundle.c — a code directory as one PUT /code body (proto.h).
 *
 * A microVM shares no filesystem with the host, so a function's code
 * travels to the agent as a bundle: directories, regular files and
 * symlinks in a pre-order walk, each a header line, files and link
 * targets followed by their bytes.  Anything else (devices, sockets) is
 * refused by name: code should not hold it.  The tree is read by file
 * descriptor, never through a link (links travel as links), as
 * util_copytree wrote it; its files may total PROTO_CODE_MAX bytes.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "proto.h"
#include "vm.h"

/*
 * Append the entries of directory dfd (rel under root, depth levels
 * down) to b, adding the bytes of files to *size.
 */
static int
bundle_walk(int dfd, const char *root, const char *rel, int depth,
    struct buf *b, uint64_t *size, char **cause)
{
	struct dirent	**names;
	struct stat	  sb, st;
	struct buf	  data = { 0 };
	char		 *sub, *full, target[4096];
	int		  i, n, fd, rc = 0;
	ssize_t		  len;

	if ((n = scandirat(dfd, ".", &names, NULL, alphasort)) == -1) {
		*cause = xasprintf("%s%s%s: %s", root, *rel != '\0' ? "/" : "",
		    rel, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (rc != 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			goto next;
		sub = rel[0] != '\0' ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		full = xasprintf("%s/%s", root, sub);
		fd = -1;
		if (strchr(name, '\n') != NULL) {
			*cause = xasprintf("%s: a newline in a file name", full);
			rc = -1;
		} else if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			*cause = xasprintf("%s: %s", full, strerror(errno));
			rc = -1;
		} else if (S_ISLNK(sb.st_mode)) {
			len = readlinkat(dfd, name, target, sizeof target);
			if (len == -1 || len == sizeof target) {
				*cause = xasprintf("%s: %s", full, len == -1 ?
				    strerror(errno) : "link target too long");
				rc = -1;
			} else {
				buf_printf(b, "l %zd %s\n", len, sub);
				buf_add(b, target, len);
			}
		} else if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
			*cause = xasprintf("%s: not a file, directory or symlink", full);
			rc = -1;
		} else if (S_ISDIR(sb.st_mode) && depth >= UTIL_TREE_DEPTH) {
			*cause = xasprintf("%s: more than %d directories deep", full,
			    UTIL_TREE_DEPTH);
			rc = -1;
		} else if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1 ||
		    st.st_dev != sb.st_dev || st.st_ino != sb.st_ino ||
		    (st.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
			*cause = xasprintf("%s: changed while being read", full);
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			buf_printf(b, "d %o %s\n", (unsigned)(st.st_mode & 0777), sub);
			rc = bundle_walk(fd, root, sub, depth + 1, b, size, cause);
		} else if (*size + (uint64_t)st.st_size > PROTO_CODE_MAX) {
			*cause = xasprintf("%s: code over %d MB", full,
			    PROTO_CODE_MAX >> 20);
			rc = -1;
		} else if (util_read_fd(fd, full, &data, PROTO_CODE_MAX - *size,
		    cause) != 0)
			rc = -1;
		else {
			buf_printf(b, "f %o %zu %s\n", (unsigned)(st.st_mode & 0777),
			    data.len, sub);
			if (data.len > 0)
				buf_add(b, data.data, data.len);
			*size += data.len;
		}
		buf_free(&data);
		if (fd != -1)
			close(fd);
		free(full);
		free(sub);
	next:
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Append the bundle of dir to b.  -1 with *cause. */
int
bundle_build(const char *dir, struct buf *b, char **cause)
{
	uint64_t	size = 0;
	int		fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		return -1;
	}
	rc = bundle_walk(fd, dir, "", 1, b, &size, cause);
	close(fd);
	return rc;
}
