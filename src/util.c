/*
 * util.c — growable buffers, clocks, ids and file-tree helpers.
 *
 * Everything here is small and has no policy: callers decide what a
 * failure means and receive a cause string to route.
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hearth.h"

void
buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = b->cap == 0 ? 256 : b->cap;
		while (b->len + len + 1 > b->cap)
			b->cap *= 2;
		b->data = xrealloc(b->data, b->cap);
	}
	if (len != 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_addstr(b, s);
	free(s);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Return wall-clock time in seconds since the epoch. */
double
util_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Return monotonic time in microseconds. */
uint64_t
util_mono_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Fill out with len-1 random lowercase hex digits and a NUL. */
void
util_random_hex(char *out, size_t len)
{
	unsigned char	raw[64];
	size_t		i, n = (len - 1 + 1) / 2;

	if (n > sizeof raw)
		fatal("util_random_hex: %zu too long", len);
	if (getrandom(raw, n, 0) != (ssize_t)n)
		fatal("getrandom failed");
	for (i = 0; i + 1 < len; i++)
		out[i] = "0123456789abcdef"[(raw[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	out[len - 1] = '\0';
}

/* Read a whole file (at most max bytes) into b; -1 with *cause on error. */
int
util_read_file(const char *path, struct buf *b, size_t max, char **cause)
{
	char	chunk[65536];
	ssize_t	n;
	int	fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (b->len + (size_t)n > max) {
			*cause = xasprintf("%s: larger than %zu bytes", path, max);
			goto fail;
		}
		buf_add(b, chunk, n);
	}
	if (b->data == NULL)
		buf_add(b, "", 0);
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
fail:
	if (fd != STDIN_FILENO)
		close(fd);
	return -1;
}

/* Write a file atomically: temporary name, fsync, rename. */
int
util_write_file(const char *path, const void *data, size_t len, char **cause)
{
	char	*tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int	 fd;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		goto fail;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	*cause = xasprintf("%s: %s", path, strerror(errno));
	free(tmp);
	return -1;
}

/* Create a directory and its parents; 0 if it exists already. */
int
util_mkdirs(const char *path, int mode)
{
	char	*p = xstrdup(path), *s;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	if (mkdir(path, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
util_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Remove a tree; missing is not an error. */
int
util_rmtree(const char *path)
{
	if (access(path, F_OK) == -1)
		return 0;
	return nftw(path, util_rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

/*
 * Copy a regular file or a directory tree from src to dst (dst must not
 * exist).  Only regular files, directories and symlinks are copied; file
 * modes keep their execute bits but become world-readable, because the
 * sandbox reads them as an unprivileged user.  Adds bytes copied to *size.
 */
int
util_copytree(const char *src, const char *dst, uint64_t *size, char **cause)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 buf[65536], lnk[PATH_MAX];
	ssize_t		 n;
	int		 in, out, rc = 0;

	if (lstat(src, &st) == -1) {
		*cause = xasprintf("%s: %s", src, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(dst, 0755) == -1) {
			*cause = xasprintf("%s: %s", dst, strerror(errno));
			return -1;
		}
		if ((d = opendir(src)) == NULL) {
			*cause = xasprintf("%s: %s", src, strerror(errno));
			return -1;
		}
		while (rc == 0 && (de = readdir(d)) != NULL) {
			char *s, *t;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			s = xasprintf("%s/%s", src, de->d_name);
			t = xasprintf("%s/%s", dst, de->d_name);
			rc = util_copytree(s, t, size, cause);
			free(s);
			free(t);
		}
		closedir(d);
		return rc;
	}
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlink(src, lnk, sizeof lnk - 1)) == -1) {
			*cause = xasprintf("%s: %s", src, strerror(errno));
			return -1;
		}
		lnk[n] = '\0';
		if (symlink(lnk, dst) == -1) {
			*cause = xasprintf("%s: %s", dst, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", src, strerror(errno));
		return -1;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    (st.st_mode & 0111) ? 0755 : 0644);
	if (out == -1) {
		*cause = xasprintf("%s: %s", dst, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof buf)) > 0) {
		if (write(out, buf, n) != n) {
			*cause = xasprintf("%s: %s", dst, strerror(errno));
			rc = -1;
			break;
		}
		*size += n;
	}
	if (n == -1) {
		*cause = xasprintf("%s: %s", src, strerror(errno));
		rc = -1;
	}
	close(in);
	close(out);
	return rc;
}

/* Parse a decimal integer within [min, max]; -1 if it is not one. */
int
util_parse_int(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Return the directory holding hearth-agent and images/: $HEARTH_LIBDIR,
 * else the directory of the running binary (a build tree), else
 * ../lib/hearth beside it (an installed tree).
 */
const char *
util_lib_dir(void)
{
	static char	*dir;
	char		 exe[PATH_MAX], *slash, *probe, *agent;
	ssize_t		 n;
	const char	*env;

	if (dir != NULL)
		return dir;
	if ((env = getenv("HEARTH_LIBDIR")) != NULL && *env != '\0') {
		dir = xstrdup(env);
		return dir;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) == -1)
		fatal("readlink /proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	agent = xasprintf("%s/hearth-agent", exe);
	probe = access(agent, X_OK) == 0 ? xstrdup(exe) :
	    xasprintf("%s/../lib/hearth", exe);
	free(agent);
	/* Canonical, so paths stored and shown never carry "..". */
	if ((dir = realpath(probe, NULL)) == NULL)
		dir = xstrdup(probe);
	free(probe);
	return dir;
}
