/*
 * util.c — growable buffers, clocks, ids, file-tree helpers and the
 * shell-like word splitter every line reader shares.
 *
 * Everything here is small and has no policy: callers decide what a
 * failure means and receive a cause string to route.
 *
 * Code trees are copied by file descriptor.  Each directory is opened
 * (never through a link) and its entries are looked at, opened and
 * checked relative to it, so a source changed under the copy (a
 * directory swapped for a link, a file for a FIFO) can neither send it
 * elsewhere nor make it block.  Only the top of the source is followed
 * if it is a link: that is what the operator named.  Links inside are
 * copied as links, to resolve inside the sandbox, where the host's
 * paths do not exist.  Whatever is created gets its mode by fchmod on
 * the descriptor that created it, so neither the umask nor a link
 * changes it, and nothing outside the copy is ever chmod'ed.
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

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

/* Read what fd gives (at most max bytes) into b; what names it in *cause. */
int
util_read_fd(int fd, const char *what, struct buf *b, size_t max, char **cause)
{
	char	chunk[65536];
	ssize_t	n;

	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("%s: %s", what, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		if (b->len + (size_t)n > max) {
			*cause = xasprintf("%s: larger than %zu bytes", what, max);
			return -1;
		}
		buf_add(b, chunk, n);
	}
	if (b->data == NULL)
		buf_add(b, "", 0);
	return 0;
}

/* Read a whole file (at most max bytes) into b; -1 with *cause on error. */
int
util_read_file(const char *path, struct buf *b, size_t max, char **cause)
{
	int	fd, rc;

	if (strcmp(path, "-") == 0)
		return util_read_fd(STDIN_FILENO, path, b, max, cause);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = util_read_fd(fd, path, b, max, cause);
	close(fd);
	return rc;
}

/*
 * Write all len bytes of data to fd, going on after short writes and
 * EINTR; -1 with errno set on error (ENOSPC if a write took nothing).
 */
static int
util_write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Write a file atomically: temporary name, fsync, rename.  The file is
 * private (0600): what hearth writes this way is its own state.
 */
int
util_write_file(const char *path, const void *data, size_t len, char **cause)
{
	char	*tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int	 fd, error;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	/*
	 * A short write is not an error by itself, and leaves errno as it
	 * was (often EEXIST from making the directory): write the rest, so
	 * that a full disk is reported as the next write's ENOSPC.
	 */
	if (util_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		error = errno;
		close(fd);
		unlink(tmp);
		errno = error;
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		error = errno;
		unlink(tmp);
		errno = error;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	*cause = xasprintf("%s: %s", path, strerror(errno));
	free(tmp);
	return -1;
}

/* Make one directory with exactly mode, whatever the umask; 0 if it exists. */
static int
util_mkdir(const char *path, int mode)
{
	struct stat	st;
	int		fd;

	if (mkdir(path, mode) == -1)
		return errno == EEXIST ? 0 : -1;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 07777) != (mode_t)mode)
		fchmod(fd, mode);
	close(fd);
	return 0;
}

/* Create a directory and its parents, each made with mode; 0 if it exists. */
int
util_mkdirs(const char *path, int mode)
{
	char	*p = xstrdup(path), *s;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (util_mkdir(p, mode) == -1) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	return util_mkdir(path, mode);
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

/* Remove a tree, never following a link; missing is not an error. */
int
util_rmtree(const char *path)
{
	struct stat	st;

	if (lstat(path, &st) == -1)
		return 0;
	return nftw(path, util_rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

/* One copy of a code tree in progress. */
struct util_copy {
	char		*into;		/* the directory dst is made in, for messages */
	uint64_t	*size;		/* bytes of files so far, the caller's too */
	struct util_copy_dir {
		dev_t	 dev;		/* device of the directory */
		ino_t	 ino;		/* its inode */
	}		*above;		/* dst's parent and every directory up to / */
	int		 nabove;	/* entries in above */
};

/* Say what kind of thing a mode that is no file, directory or link is. */
static const char *
util_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a named pipe";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a file";
}

/* Refuse what has kind mode, naming it. */
static int
util_copy_special(const char *what, mode_t mode, char **cause)
{
	*cause = xasprintf("%s: %s; code holds only files, directories and "
	    "symlinks", what, util_kind(mode));
	return -1;
}

/* Refuse what because it is no longer what it was when first looked at. */
static int
util_copy_changed(const char *what, char **cause)
{
	*cause = xasprintf("%s: changed while it was being copied", what);
	return -1;
}

/* Refuse what for taking the code past its limit. */
static int
util_copy_toobig(const char *what, char **cause)
{
	*cause = xasprintf("%s: over the %d MB limit for a function's code",
	    what, UTIL_CODE_MAX >> 20);
	return -1;
}

/*
 * Copy what in reads until EOF to out, adding to *size and failing as
 * soon as that passes UTIL_CODE_MAX.
 */
static int
util_copy_data(int in, int out, const char *what, uint64_t *size,
    char **cause)
{
	char	buf[65536];
	ssize_t	n;

	for (;;) {
		if ((n = read(in, buf, sizeof buf)) == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("%s: %s", what, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if (*size + n > UTIL_CODE_MAX)
			return util_copy_toobig(what, cause);
		if (util_write_all(out, buf, n) == -1) {
			*cause = xasprintf("%s: copying it: %s", what,
			    strerror(errno));
			return -1;
		}
		*size += n;
	}
}

/*
 * Copy the open file in (mode mode) to a new file name in directory dfd,
 * 0644, or 0755 if mode has an execute bit.
 */
static int
util_copy_file(int in, mode_t mode, int dfd, const char *name,
    const char *what, uint64_t *size, char **cause)
{
	int	out, rc;

	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out == -1) {
		*cause = xasprintf("%s: making its copy: %s", what, strerror(errno));
		return -1;
	}
	rc = util_copy_data(in, out, what, size, cause);
	if (rc == 0 && fchmod(out, (mode & 0111) ? 0755 : 0644) == -1) {
		*cause = xasprintf("%s: making its copy: %s", what, strerror(errno));
		rc = -1;
	}
	/* Some filesystems (NFS, FUSE) report a full disk only here. */
	if (close(out) == -1 && rc == 0) {
		*cause = xasprintf("%s: copying it: %s", what, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* Note dst's parent and each directory above it, up to /. */
static int
util_copy_above(struct util_copy *c, const char *dst, char **cause)
{
	struct stat	 st;
	char		*parent = xstrdup(dst), *slash;
	int		 fd, up;

	if ((slash = strrchr(parent, '/')) == NULL)
		strcpy(parent, ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", parent, strerror(errno));
		free(parent);
		return -1;
	}
	c->into = parent;
	while (fd != -1 && fstat(fd, &st) == 0 && c->nabove < PATH_MAX) {
		if (c->nabove > 0 && c->above[c->nabove - 1].dev == st.st_dev &&
		    c->above[c->nabove - 1].ino == st.st_ino)
			break;		/* ".." of / is / */
		c->above = xrealloc(c->above, (c->nabove + 1) * sizeof *c->above);
		c->above[c->nabove].dev = st.st_dev;
		c->above[c->nabove++].ino = st.st_ino;
		up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = up;
	}
	if (fd != -1)
		close(fd);
	return 0;
}

/* Is st one of the directories the copy goes into? */
static int
util_copy_is_above(struct util_copy *c, const struct stat *st)
{
	int	i;

	for (i = 0; i < c->nabove; i++)
		if (c->above[i].dev == st->st_dev && c->above[i].ino == st->st_ino)
			return 1;
	return 0;
}

static int	util_copy_dir(struct util_copy *, int, int, const char *, int,
		    char **);

/*
 * Copy entry name of the source directory sfd (named what) into the new
 * directory dfd, depth directories down.  Looks first without following
 * anything, then opens what it saw and checks it is still that.
 */
static int
util_copy_entry(struct util_copy *c, int sfd, int dfd, const char *name,
    const char *what, int depth, char **cause)
{
	struct stat	 sb, st;
	char		 target[PATH_MAX];
	ssize_t		 n;
	int		 in, out, rc, flags;

	if (fstatat(sfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		*cause = xasprintf("%s: %s", what, strerror(errno));
		return -1;
	}
	if (S_ISLNK(sb.st_mode)) {
		if ((n = readlinkat(sfd, name, target, sizeof target)) == -1) {
			*cause = xasprintf("%s: %s", what, strerror(errno));
			return -1;
		}
		if (n == sizeof target) {
			*cause = xasprintf("%s: link target too long", what);
			return -1;
		}
		target[n] = '\0';
		if (symlinkat(target, dfd, name) == -1) {
			*cause = xasprintf("%s: making its copy: %s", what,
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
		return util_copy_special(what, sb.st_mode, cause);
	if (S_ISDIR(sb.st_mode) && depth >= UTIL_TREE_DEPTH) {
		*cause = xasprintf("%s: more than %d directories deep", what,
		    UTIL_TREE_DEPTH);
		return -1;
	}
	flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	if (S_ISDIR(sb.st_mode))
		flags |= O_DIRECTORY;
	if ((in = openat(sfd, name, flags)) == -1) {
		if (errno == ELOOP || errno == ENOTDIR)
			return util_copy_changed(what, cause);
		*cause = xasprintf("%s: %s", what, strerror(errno));
		return -1;
	}
	if (fstat(in, &st) == -1 || st.st_dev != sb.st_dev ||
	    st.st_ino != sb.st_ino || (st.st_mode & S_IFMT) !=
	    (sb.st_mode & S_IFMT)) {
		close(in);
		return util_copy_changed(what, cause);
	}
	if (S_ISREG(st.st_mode)) {
		if (*c->size + (uint64_t)st.st_size > UTIL_CODE_MAX)
			rc = util_copy_toobig(what, cause);
		else
			rc = util_copy_file(in, st.st_mode, dfd, name, what,
			    c->size, cause);
		close(in);
		return rc;
	}
	if (mkdirat(dfd, name, 0700) == -1 || (out = openat(dfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: making its copy: %s", what, strerror(errno));
		close(in);
		return -1;
	}
	rc = util_copy_dir(c, in, out, what, depth + 1, cause);
	if (rc == 0 && fchmod(out, 0755) == -1) {
		*cause = xasprintf("%s: making its copy: %s", what, strerror(errno));
		rc = -1;
	}
	close(out);
	return rc;
}

/* Copy the entries of the open source directory in to directory out; closes in. */
static int
util_copy_dir(struct util_copy *c, int in, int out, const char *what,
    int depth, char **cause)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*sub;
	int		 rc = 0;

	if (fstat(in, &st) == 0 && util_copy_is_above(c, &st)) {
		close(in);
		*cause = xasprintf("%s: holds %s, where it would be copied",
		    what, c->into);
		return -1;
	}
	if ((d = fdopendir(in)) == NULL) {
		*cause = xasprintf("%s: %s", what, strerror(errno));
		close(in);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				*cause = xasprintf("%s: %s", what, strerror(errno));
				rc = -1;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", what, de->d_name);
		rc = util_copy_entry(c, dirfd(d), out, de->d_name, sub, depth,
		    cause);
		free(sub);
		if (rc != 0)
			break;
	}
	closedir(d);
	return rc;
}

/*
 * Copy a regular file or a directory tree from src to dst (which must not
 * exist), as described at the top of this file.  Files become 0644, or
 * 0755 if any execute bit was set, and directories 0755, because the
 * sandbox reads them as an unprivileged user.  Anything but files,
 * directories and symlinks is refused by name, as is a tree more than
 * UTIL_TREE_DEPTH deep, one that holds dst, and one whose files with
 * *size (bytes copied are added to it) pass UTIL_CODE_MAX.  On error
 * dst may be left half-made: the caller removes it.
 */
int
util_copytree(const char *src, const char *dst, uint64_t *size, char **cause)
{
	struct util_copy	 c;
	struct stat		 sb, st;
	int			 in, out, rc;

	memset(&c, 0, sizeof c);
	c.size = size;
	if (stat(src, &sb) == -1) {
		*cause = xasprintf("%s: %s", src, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
		return util_copy_special(src, sb.st_mode, cause);
	in = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    (S_ISDIR(sb.st_mode) ? O_DIRECTORY : 0));
	if (in == -1) {
		*cause = xasprintf("%s: %s", src, strerror(errno));
		return -1;
	}
	if (fstat(in, &st) == -1 || st.st_dev != sb.st_dev ||
	    st.st_ino != sb.st_ino) {
		close(in);
		return util_copy_changed(src, cause);
	}
	if (S_ISREG(st.st_mode)) {
		if (*size + (uint64_t)st.st_size > UTIL_CODE_MAX)
			rc = util_copy_toobig(src, cause);
		else
			rc = util_copy_file(in, st.st_mode, AT_FDCWD, dst, src,
			    size, cause);
		close(in);
		return rc;
	}
	if (util_copy_above(&c, dst, cause) != 0) {
		close(in);
		return -1;
	}
	if (mkdir(dst, 0700) == -1 || (out = open(dst, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", dst, strerror(errno));
		close(in);
		rc = -1;
		goto out;
	}
	rc = util_copy_dir(&c, in, out, src, 1, cause);
	if (rc == 0 && fchmod(out, 0755) == -1) {
		*cause = xasprintf("%s: %s", dst, strerror(errno));
		rc = -1;
	}
	close(out);
out:
	free(c.into);
	free(c.above);
	return rc;
}

/*
 * Copy what fd in reads (named what) into a new file dst, 0644, with the
 * same limit as util_copytree; a regular file over it is refused before
 * anything is read.
 */
int
util_copyfd(int in, const char *what, const char *dst, uint64_t *size,
    char **cause)
{
	struct stat	st;

	if (fstat(in, &st) == 0 && S_ISREG(st.st_mode) &&
	    *size + (uint64_t)st.st_size > UTIL_CODE_MAX)
		return util_copy_toobig(what, cause);
	return util_copy_file(in, 0644, AT_FDCWD, dst, what, size, cause);
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

/*
 * Split a command line into words with shell-like quoting ('...', "...",
 * backslash).  Returns -1 with *cause for an unterminated quote.
 */
int
util_split(const char *line, int *argc, char ***argv, char **cause)
{
	struct buf	 w = { 0 };
	const char	*p = line;
	char		 q;
	int		 n = 0, inword;
	char		**v = NULL;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		inword = 1;
		w.len = 0;
		buf_add(&w, "", 0);
		while (inword && *p != '\0') {
			switch (*p) {
			case ' ': case '\t': case '\n': case '\r':
				inword = 0;
				break;
			case '\'': case '"':
				q = *p++;
				while (*p != '\0' && *p != q) {
					if (q == '"' && *p == '\\' && p[1] != '\0')
						p++;
					buf_add(&w, p++, 1);
				}
				if (*p != q) {
					*cause = xasprintf("unterminated %c quote", q);
					buf_free(&w);
					util_free_argv(n, v);
					return -1;
				}
				p++;
				break;
			case '\\':
				if (p[1] != '\0')
					p++;
				/* FALLTHROUGH */
			default:
				buf_add(&w, p++, 1);
			}
		}
		v = xrealloc(v, sizeof *v * (n + 2));
		v[n++] = xstrdup(w.data);
		v[n] = NULL;
	}
	buf_free(&w);
	if (v == NULL)
		v = xcalloc(1, sizeof *v);
	*argc = n;
	*argv = v;
	return 0;
}

/* Free what util_split made. */
void
util_free_argv(int argc, char **argv)
{
	int	i;

	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}
