/*
 * fuzz-code.c — the agent's code-bundle unpacker (vm/agent/code.c) under
 * libFuzzer.
 *
 * PUT /code carries whatever tree the operator pointed --code at, and the
 * agent unpacks it as root: a bundle that could make or change anything
 * outside the new tree (through "..", an absolute path, or a symlink it
 * made itself) would reach the guest's filesystem.  So each input is
 * unpacked into a fresh empty directory, t, inside a private directory
 * that also holds the targets a bundle would aim at: a sentinel directory
 * (empty) and a sentinel file, reachable by relative links ("../outside")
 * and by an absolute magic link ("/proc/self/fd/200/outside": the private
 * directory is kept open as descriptor CODE_DIR_FD).
 *
 * After each unpack: nothing outside t appeared or changed; the walk of t
 * (by descriptor, never through a link) stays on its filesystem and finds
 * only directories, files with one link and no more than permission bits,
 * and symlinks, holding no more bytes than the input; no descriptor is
 * left open; a failure says why, and quotes only the input.  A bundle that
 * unpacked is checked against the tree: every entry of it, read strictly
 * as proto.h spells it, is there as it says; and the tree is a fixed point
 * of the host's side: bundle_build() (vm/bundle.c) of it unpacks again to
 * a tree that builds the same bundle.  Then t is removed.
 *
 * The private directory is made under $TMPDIR (else /dev/shm, a tmpfs, or
 * /tmp) and removed at exit; tests/fuzz/fuzz.sh points TMPDIR at a
 * directory of its own, so a crash leaves nothing elsewhere.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/openat2.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "hearth.h"
#include "vm.h"
#include "fuzz.h"

#define CODE_SENTINEL		"sentinel: nothing may change this\n"
#define CODE_PAINT		0xa5	/* the stack, before an unpack */
#define CODE_DIR_FD		200	/* the private directory, for links */

static char		code_dir[PATH_MAX];	/* the private directory */
static int		code_dirfd = -1;	/* open on it, as CODE_DIR_FD */
static struct stat	code_outside_st;	/* the sentinel directory */
static struct stat	code_file_st;		/* the sentinel file */

/* Stand in for agent.c's reply, which only code_put() (not fuzzed) calls. */
void
conn_reply(struct conn *c, int code, const char *extra, const void *body,
    size_t len)
{
	abort();
}

/* Is name "." or ".."? */
static int
code_dots(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* Remove the entries of directory fd (which stays open), recursively. */
static void
code_rm_under(int fd)
{
	struct dirent	*de;
	DIR		*d;
	int		 sub;

	if ((sub = dup(fd)) == -1 || (d = fdopendir(sub)) == NULL)
		FUZZ_FAIL("fdopendir: %s", strerror(errno));
	rewinddir(d);	/* the dup shares fd's offset */
	while ((de = readdir(d)) != NULL) {
		if (code_dots(de->d_name))
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			continue;
		if ((sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			FUZZ_FAIL("%s: %s", de->d_name, strerror(errno));
		code_rm_under(sub);
		close(sub);
		if (unlinkat(fd, de->d_name, AT_REMOVEDIR) == -1)
			FUZZ_FAIL("rmdir %s: %s", de->d_name, strerror(errno));
	}
	closedir(d);
}

/* Remove the private directory, at exit. */
static void
code_cleanup(void)
{
	if (code_dirfd == -1)
		return;
	code_rm_under(code_dirfd);
	close(code_dirfd);
	code_dirfd = -1;
	rmdir(code_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp = getenv("TMPDIR");
	int		 fd;

	if (tmp == NULL || *tmp == '\0')
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(code_dir, sizeof code_dir, "%s/hearth-fuzz-code.XXXXXX", tmp);
	if (mkdtemp(code_dir) == NULL || (fd = open(code_dir, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (code_dirfd = dup3(fd, CODE_DIR_FD, O_CLOEXEC)) == -1 ||
	    close(fd) == -1)
		FUZZ_FAIL("%s: %s", code_dir, strerror(errno));
	atexit(code_cleanup);
	if (mkdirat(code_dirfd, "outside", 0755) == -1 ||
	    (fd = openat(code_dirfd, "outside.txt", O_WRONLY | O_CREAT |
	    O_EXCL | O_CLOEXEC, 0644)) == -1 ||
	    write(fd, CODE_SENTINEL, strlen(CODE_SENTINEL)) == -1 ||
	    close(fd) == -1 ||
	    fstatat(code_dirfd, "outside", &code_outside_st, 0) == -1 ||
	    fstatat(code_dirfd, "outside.txt", &code_file_st, 0) == -1)
		FUZZ_FAIL("sentinels: %s", strerror(errno));
	return 0;
}

/* Did anything about st change since was? */
static int
code_changed(const struct stat *st, const struct stat *was)
{
	return st->st_ino != was->st_ino || st->st_mode != was->st_mode ||
	    st->st_nlink != was->st_nlink || st->st_size != was->st_size ||
	    st->st_mtim.tv_sec != was->st_mtim.tv_sec ||
	    st->st_mtim.tv_nsec != was->st_mtim.tv_nsec ||
	    st->st_ctim.tv_sec != was->st_ctim.tv_sec ||
	    st->st_ctim.tv_nsec != was->st_ctim.tv_nsec;
}

/* Check the private directory: the sentinels as they were, and the trees. */
static void
code_check_outside(void)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 buf[128];
	ssize_t		 n;
	int		 fd;

	if ((fd = openat(code_dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL)
		FUZZ_FAIL("private dir: %s", strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (!code_dots(de->d_name) &&
		    strcmp(de->d_name, "outside") != 0 &&
		    strcmp(de->d_name, "outside.txt") != 0 &&
		    strcmp(de->d_name, "t") != 0 &&
		    strcmp(de->d_name, "u") != 0)
			FUZZ_FAIL("%s appeared beside the tree", de->d_name);
	closedir(d);

	if (fstatat(code_dirfd, "outside", &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    code_changed(&st, &code_outside_st))
		FUZZ_FAIL("the sentinel directory changed");
	if (fstatat(code_dirfd, "outside.txt", &st, AT_SYMLINK_NOFOLLOW) ==
	    -1 || code_changed(&st, &code_file_st))
		FUZZ_FAIL("the sentinel file changed");
	if ((fd = openat(code_dirfd, "outside.txt", O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		FUZZ_FAIL("sentinel file: %s", strerror(errno));
	n = read(fd, buf, sizeof buf);
	close(fd);
	FUZZ_CHECK(n == (ssize_t)strlen(CODE_SENTINEL) &&
	    memcmp(buf, CODE_SENTINEL, n) == 0);
}

/*
 * Walk the tree under directory fd (depth levels down), by descriptor and
 * never through a link, checking each entry; count entries and bytes.
 */
static void
code_walk(int fd, dev_t dev, int depth, size_t *entries, size_t *bytes)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 sub;

	FUZZ_CHECK(depth < 4096);
	if ((sub = dup(fd)) == -1 || (d = fdopendir(sub)) == NULL)
		FUZZ_FAIL("fdopendir: %s", strerror(errno));
	rewinddir(d);	/* the dup shares fd's offset */
	while ((de = readdir(d)) != NULL) {
		if (code_dots(de->d_name))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			FUZZ_FAIL("%s: %s", de->d_name, strerror(errno));
		FUZZ_CHECK(st.st_dev == dev);
		FUZZ_CHECK((st.st_mode & 07000) == 0 || S_ISLNK(st.st_mode));
		(*entries)++;
		if (S_ISREG(st.st_mode)) {
			FUZZ_CHECK(st.st_nlink == 1);
			*bytes += (size_t)st.st_size;
		} else if (S_ISLNK(st.st_mode))
			*bytes += (size_t)st.st_size;
		else if (S_ISDIR(st.st_mode)) {
			FUZZ_CHECK((st.st_mode & 0700) == 0700);
			if ((sub = openat(fd, de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
				FUZZ_FAIL("%s: %s", de->d_name,
				    strerror(errno));
			code_walk(sub, dev, depth + 1, entries, bytes);
			close(sub);
		} else
			FUZZ_FAIL("%s: mode %o", de->d_name,
			    (unsigned)st.st_mode);
	}
	closedir(d);
}

/* Check that fd holds exactly the n bytes at p. */
static void
code_check_bytes(int fd, const char *p, size_t n)
{
	char	buf[65536];
	ssize_t	got;

	while ((got = read(fd, buf, sizeof buf)) > 0) {
		FUZZ_CHECK((size_t)got <= n && memcmp(buf, p, got) == 0);
		p += got;
		n -= (size_t)got;
	}
	FUZZ_CHECK(got == 0 && n == 0);
}

/* The lowest free descriptor: the same before and after, or one leaked. */
static int
code_next_fd(void)
{
	int	fd = dup(0);

	close(fd);
	return fd;
}

/*
 * Fill the stack below this frame with CODE_PAINT, so that code_unpack's
 * locals start as that rather than as whatever the last input left there:
 * a read of one it never set then shows, every time.
 */
static void __attribute__((noinline))
code_paint_stack(void)
{
	char	junk[32768];

	memset(junk, CODE_PAINT, sizeof junk);
	__asm__ volatile("" : : "r"(junk) : "memory");
}

/*
 * Does the quoted text q (n bytes) stand in the input, as code.c quotes
 * an entry: printable bytes as they are, others as '?', up to a newline?
 */
static int
code_quoted(const char *q, size_t n, const char *p, size_t len)
{
	size_t	i, j;

	for (i = 0; i + n <= len; i++) {
		for (j = 0; j < n; j++) {
			char c = p[i + j];

			if (c == '\n' || q[j] != (c >= ' ' && c < 0x7f ? c : '?'))
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

/* Check the error of a refused bundle (the len bytes at p). */
static void
code_check_err(const char *err, size_t errlen, const char *p, size_t len)
{
	static const char	 pfx[] = "malformed code bundle near \"";
	const char		*q, *e;

	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL && err[0] != '\0');
	q = err + sizeof pfx - 1;
	e = err + strlen(err) - 1;
	if (strncmp(err, pfx, sizeof pfx - 1) != 0 || e < q || *e != '"')
		return;		/* "PATH: strerror", PATH from the input */
	if (e == q || code_quoted(q, e - q, p, len))
		return;
	FUZZ_FAIL("the error quotes what the bundle does not hold: %s", err);
}

/* Make directory name in the private directory, empty; return it open. */
static int
code_fresh(const char *name)
{
	int	fd;

	if (mkdirat(code_dirfd, name, 0700) == -1 || (fd = openat(code_dirfd,
	    name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		FUZZ_FAIL("%s: %s", name, strerror(errno));
	return fd;
}

/* Remove directory name (open as fd) from the private directory. */
static void
code_remove(const char *name, int fd)
{
	code_rm_under(fd);
	close(fd);
	if (unlinkat(code_dirfd, name, AT_REMOVEDIR) == -1)
		FUZZ_FAIL("rmdir %s: %s", name, strerror(errno));
}

/*
 * The host builds the bundle of tree name: NULL (with nothing to check)
 * if bundle_build refuses it for a reason the agent does not share.
 */
static struct buf *
code_build(const char *name, struct buf *b)
{
	char	path[PATH_MAX + 8], *cause = NULL;

	snprintf(path, sizeof path, "%s/%s", code_dir, name);
	memset(b, 0, sizeof *b);
	if (bundle_build(path, b, &cause) == 0) {
		if (b->data == NULL)
			buf_add(b, "", 0);
		return b;
	}
	if (strstr(cause, "directories deep") == NULL &&
	    strstr(cause, strerror(EACCES)) == NULL)
		FUZZ_FAIL("bundle_build: %s", cause);
	free(cause);
	buf_free(b);
	return NULL;
}

/* A tree that unpacked, t, rebuilt and unpacked again as u: the same. */
static void
code_round_trip(void)
{
	struct buf	 b, again;
	char		 err[512];
	int		 fd;

	if (code_build("t", &b) == NULL)
		return;
	fd = code_fresh("u");
	if (code_unpack(fd, b.data, b.len, err, sizeof err) != 0)
		FUZZ_FAIL("a built bundle is refused: %s", err);
	code_check_outside();
	if (code_build("u", &again) == NULL)
		FUZZ_FAIL("a rebuilt tree is refused");
	if (again.len != b.len || memcmp(again.data, b.data, b.len) != 0)
		FUZZ_FAIL("the tree unpacked from a built bundle builds "
		    "another (%zu bytes, then %zu)", b.len, again.len);
	buf_free(&b);
	buf_free(&again);
	code_remove("u", fd);
}

/* One entry of a bundle, read strictly as proto.h spells it. */
struct code_entry {
	char		 type;		/* 'd', 'f' or 'l' */
	char		 path[4200];	/* relative path, as long as a line */
	size_t		 size;		/* bytes of a file or a link's target */
	const char	*data;		/* those bytes, in the input */
};

/* Read the number (base 8 or 10) at *p and the one space after it. */
static int
code_strict_number(const char **p, const char *end, int base, size_t *v)
{
	const char	*s = *p;

	for (*v = 0; s < end && *s >= '0' && *s < '0' + base; s++) {
		if (s - *p >= 12)
			return -1;
		*v = *v * base + (size_t)(*s - '0');
	}
	if (s == *p || s == end || *s != ' ')
		return -1;
	*p = s + 1;
	return 0;
}

/* Read the entry at *p strictly; -1 if there is none or it is malformed. */
static int
code_strict_entry(const char **p, const char *end, struct code_entry *e)
{
	const char	*s = *p, *nl, *path;
	size_t		 mode, n;

	if (end - s < 2 || (s[0] != 'd' && s[0] != 'f' && s[0] != 'l') ||
	    s[1] != ' ')
		return -1;
	e->type = s[0];
	e->size = 0;
	s += 2;
	if (e->type != 'l' && (code_strict_number(&s, end, 8, &mode) != 0 ||
	    mode > 07777))
		return -1;
	if (e->type != 'd' && code_strict_number(&s, end, 10, &e->size) != 0)
		return -1;
	if ((nl = memchr(s, '\n', end - s)) == NULL || nl - *p >= 4200)
		return -1;
	path = s;
	n = nl - s;
	if (n == 0 || n >= sizeof e->path || memchr(path, '\0', n) != NULL)
		return -1;
	memcpy(e->path, path, n);
	e->path[n] = '\0';
	s = nl + 1;
	if (e->size > (size_t)(end - s))
		return -1;
	e->data = s;
	*p = s + e->size;
	return 0;
}

/* Check that entry e of a bundle that unpacked is in the tree under fd
 * as the bundle says. */
static void
code_check_entry(int fd, const struct code_entry *e)
{
	struct open_how	 how;
	struct stat	 st;
	const char	*slash = strrchr(e->path, '/'), *base = e->path;
	char		 dir[4096], target[4096];
	ssize_t		 n;
	int		 pfd, ffd;

	if (slash != NULL) {
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - e->path),
		    e->path);
		base = slash + 1;
		memset(&how, 0, sizeof how);
		how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
		pfd = (int)syscall(SYS_openat2, fd, dir, &how, sizeof how);
	} else
		pfd = dup(fd);
	if (pfd == -1 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		FUZZ_FAIL("\"%s\" unpacked but is not there", e->path);
	switch (e->type) {
	case 'd':
		FUZZ_CHECK(S_ISDIR(st.st_mode));
		break;
	case 'f':
		FUZZ_CHECK(S_ISREG(st.st_mode));
		FUZZ_CHECK((size_t)st.st_size == e->size);
		if ((ffd = openat(pfd, base, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1)
			FUZZ_FAIL("%s: %s", e->path, strerror(errno));
		code_check_bytes(ffd, e->data, e->size);
		close(ffd);
		break;
	case 'l':
		FUZZ_CHECK(S_ISLNK(st.st_mode));
		n = readlinkat(pfd, base, target, sizeof target);
		FUZZ_CHECK(n >= 0 && (size_t)n == strnlen(e->data, e->size) &&
		    memcmp(target, e->data, n) == 0);
		break;
	}
	close(pfd);
}

/*
 * If the len bytes at p are a bundle as proto.h spells it, check that
 * the tree under fd holds every entry.
 */
static void
code_check_tree(int fd, const char *p, size_t len)
{
	struct code_entry	 e;
	const char		*s = p, *end = p + len;

	while (s < end)
		if (code_strict_entry(&s, end, &e) != 0)
			return;
	for (s = p; s < end;) {
		code_strict_entry(&s, end, &e);
		code_check_entry(fd, &e);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data;
	struct stat	 st;
	size_t		 entries = 0, bytes = 0;
	char		 err[512];
	int		 fd, rc, next;

	fd = code_fresh("t");
	if (fstat(fd, &st) == -1)
		FUZZ_FAIL("t: %s", strerror(errno));
	next = code_next_fd();
	code_paint_stack();
	rc = code_unpack(fd, p, size, err, sizeof err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(code_next_fd() == next);
	if (rc != 0)
		code_check_err(err, sizeof err, p, size);
	code_check_outside();
	code_walk(fd, st.st_dev, 0, &entries, &bytes);
	FUZZ_CHECK(bytes <= size);
	FUZZ_CHECK(entries <= size / 4);	/* "d0a\n" is one */
	if (rc == 0) {
		code_check_tree(fd, p, size);
		code_round_trip();
	}
	code_remove("t", fd);
	return 0;
}
