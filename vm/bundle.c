/*
 * bundle.c — a code directory as one PUT /code body (proto.h).
 *
 * A microVM shares no filesystem with the host, so a function's code
 * travels to the agent as a bundle: directories, regular files and
 * symlinks in a pre-order walk, each a header line, files and link
 * targets followed by their bytes.  Anything else (devices, sockets) is
 * refused by name: code should not hold it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"
#include "proto.h"
#include "vm.h"

static int
bundle_walk(const char *root, const char *rel, struct buf *b, char **cause)
{
	struct dirent	**names;
	struct stat	  sb;
	struct buf	  data = { 0 };
	char		 *path, *sub, target[4096];
	int		  i, n, rc = 0;
	ssize_t		  len;

	path = rel[0] != '\0' ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	if ((n = scandir(path, &names, NULL, alphasort)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *full;

		if (rc != 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			goto next;
		sub = rel[0] != '\0' ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		full = xasprintf("%s/%s", root, sub);
		if (strchr(name, '\n') != NULL) {
			*cause = xasprintf("%s: a newline in a file name", full);
			rc = -1;
		} else if (lstat(full, &sb) == -1) {
			*cause = xasprintf("%s: %s", full, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(sb.st_mode)) {
			buf_printf(b, "d %o %s\n", (unsigned)(sb.st_mode & 0777), sub);
			rc = bundle_walk(root, sub, b, cause);
		} else if (S_ISREG(sb.st_mode)) {
			if (util_read_file(full, &data, PROTO_CODE_MAX, cause) != 0)
				rc = -1;
			else {
				buf_printf(b, "f %o %zu %s\n",
				    (unsigned)(sb.st_mode & 0777), data.len, sub);
				if (data.len > 0)
					buf_add(b, data.data, data.len);
			}
			buf_free(&data);
		} else if (S_ISLNK(sb.st_mode)) {
			if ((len = readlink(full, target, sizeof target - 1)) == -1) {
				*cause = xasprintf("%s: %s", full, strerror(errno));
				rc = -1;
			} else {
				buf_printf(b, "l %zd %s\n", len, sub);
				buf_add(b, target, len);
			}
		} else {
			*cause = xasprintf("%s: not a file, directory or symlink", full);
			rc = -1;
		}
		if (rc == 0 && b->len > PROTO_CODE_MAX) {
			*cause = xasprintf("%s: code over %d MB", root,
			    PROTO_CODE_MAX >> 20);
			rc = -1;
		}
		free(full);
		free(sub);
	next:
		free(names[i]);
	}
	free(names);
	free(path);
	return rc;
}

/* Append the bundle of dir to b.  -1 with *cause. */
int
bundle_build(const char *dir, struct buf *b, char **cause)
{
	return bundle_walk(dir, "", b, cause);
}
