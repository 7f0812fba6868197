/*
 * code.c — PUT /code: a function's code arriving in a microVM.
 *
 * In an ns sandbox the host moves a mount of the code over /var/task; a
 * microVM shares no filesystem with the host, so the host sends the code
 * as a bundle (proto.h) and the agent unpacks it into a new tmpfs that no
 * path in the guest shows yet (fsopen/fsmount), makes it read-only and
 * puts it at /var/task in one step.  As in an ns sandbox (vm/ns.c),
 * /var/task then holds two private mounts, a holder (a bind of the
 * image's empty /var/task) and on it the current version; new code slides
 * beneath the current one, which is then detached, so no runtime
 * generation already running sees any of it (spawn.c): an invocation in
 * flight finishes on the files it started with, and a POST /configure
 * that follows restarts the runtime once idle, onto the new ones.  Only
 * the first code goes onto the guest's shared root, with its holder, to
 * reach a runtime prewarmed without code; both are made private at once.
 *
 * A bundle may hold symlinks pointing anywhere (they resolve inside the
 * guest, for the runtime), but unpacking never goes through one: every
 * entry is made in its parent directory opened with RESOLVE_BENEATH and
 * RESOLVE_NO_SYMLINKS, so a link earlier in the bundle cannot carry a
 * later file outside the new tree.  Modes keep only permission bits.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH	0x00000200	/* Linux 6.5: under the top mount */
#endif

/* A relative path with no empty, "." or ".." parts. */
static int
code_path_ok(const char *p)
{
	const char	*s;
	size_t		 n;

	if (*p == '\0' || *p == '/')
		return 0;
	for (s = p; *s != '\0'; s += n + (s[n] == '/')) {
		n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
	}
	return 1;
}

static int
code_write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= w;
	}
	return 0;
}

/*
 * The directory that will hold path (relative to dirfd), opened without
 * following any symlink or leaving dirfd; *base is path's last part.
 */
static int
code_parent(int dirfd, const char *path, const char **base)
{
	struct open_how	 how;
	const char	*slash = strrchr(path, '/');
	char		 dir[4096];

	if (slash == NULL) {
		*base = path;
		return fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	}
	*base = slash + 1;
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	memset(&how, 0, sizeof how);
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	return (int)syscall(SYS_openat2, dirfd, dir, &how, sizeof how);
}

/*
 * A number at *p in base (8 or 10), at most max digits, then one space;
 * advances *p past the space.  -1 if there is none.
 */
static int
code_number(const char **p, const char *end, int base, int max, size_t *out)
{
	const char	*q = *p;
	size_t		 v = 0;
	int		 n = 0;

	for (; q < end && *q >= '0' && *q <= (base == 8 ? '7' : '9'); q++) {
		if (++n > max)
			return -1;
		v = v * base + (size_t)(*q - '0');
	}
	if (n == 0 || q >= end || *q != ' ')
		return -1;
	*out = v;
	*p = q + 1;
	return 0;
}

/*
 * Parse an entry's header line p..nl: "d MODE PATH", "f MODE SIZE PATH"
 * or "l SIZE PATH", one space apart; the path is the rest of the line,
 * exactly.  0 with the fields filled, -1 if the line is not one of them.
 */
static int
code_header(const char *p, const char *nl, char *type, size_t *mode,
    size_t *size, char *path, size_t pathlen)
{
	*mode = 0644;
	*size = 0;
	if (nl - p < 3 || strchr("dfl", p[0]) == NULL || p[1] != ' ')
		return -1;
	*type = p[0];
	p += 2;
	if (*type != 'l' && (code_number(&p, nl, 8, 12, mode) != 0 ||
	    *mode > 07777))
		return -1;
	if (*type != 'd' && code_number(&p, nl, 10, 12, size) != 0)
		return -1;
	if (p == nl || (size_t)(nl - p) >= pathlen || memchr(p, '\0', nl - p))
		return -1;
	memcpy(path, p, nl - p);
	path[nl - p] = '\0';
	return 0;
}

/* Unpack a bundle under dirfd; on failure say why in err. */
int
code_unpack(int dirfd, const char *p, size_t len, char *err, size_t errlen)
{
	const char	*end = p + len, *nl, *at;
	char		 type, path[4096], near[41];
	size_t		 mode, size, i;
	struct stat	 sb;
	const char	*base;
	int		 fd, pfd = -1;

	while (p < end) {
		at = p;
		if ((nl = memchr(p, '\n', end - p)) == NULL ||
		    code_header(p, nl, &type, &mode, &size, path, sizeof path) != 0)
			goto bad;
		p = nl + 1;
		if ((type == 'l' && size >= 4096) || !code_path_ok(path) ||
		    size > (size_t)(end - p))
			goto bad;
		mode &= 0777;
		if ((pfd = code_parent(dirfd, path, &base)) == -1)
			goto sys;
		switch (type) {
		case 'd':
			if (mkdirat(pfd, base, mode | 0700) == -1 &&
			    (errno != EEXIST || fstatat(pfd, base, &sb,
			    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(sb.st_mode)))
				goto sys;
			break;
		case 'f':
			fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_CLOEXEC, mode);
			if (fd == -1)
				goto sys;
			if (code_write_all(fd, p, size) == -1) {
				close(fd);
				goto sys;
			}
			close(fd);
			break;
		case 'l': {
			char target[4096];

			memcpy(target, p, size);
			target[size] = '\0';
			if (strlen(target) != size) {
				errno = EINVAL;		/* a NUL in the target */
				goto sys;
			}
			if (symlinkat(target, pfd, base) == -1)
				goto sys;
			break;
		}
		}
		close(pfd);
		pfd = -1;
		p += size;
	}
	return 0;
bad:
	/* Quote what was there, printable, at most 40 bytes of it. */
	for (i = 0; i < sizeof near - 1 && at + i < end && at[i] != '\n'; i++)
		near[i] = at[i] >= ' ' && at[i] < 0x7f ? at[i] : '?';
	near[i] = '\0';
	snprintf(err, errlen, "malformed code bundle near \"%s\"", near);
	return -1;
sys:
	snprintf(err, errlen, "%.300s: %s", path, strerror(errno));
	if (pfd != -1)
		close(pfd);
	return -1;
}

/*
 * Make the detached tree mfd the code at /var/task (see the top of this
 * file); 0, or -1 with err saying why.
 */
static int
code_show(int mfd, char *err, size_t errlen)
{
	struct mount_attr	attr;
	struct statx		stx;
	int			holder;

	if (statx(AT_FDCWD, "/var/task", AT_SYMLINK_NOFOLLOW, 0, &stx) == -1) {
		snprintf(err, errlen, "/var/task: %s", strerror(errno));
		return -1;
	}
	if ((stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) == 0) {
		/* The first code: the holder and the code, then both private. */
		memset(&attr, 0, sizeof attr);
		attr.propagation = MS_PRIVATE;
		holder = open_tree(AT_FDCWD, "/var/task", OPEN_TREE_CLONE |
		    OPEN_TREE_CLOEXEC);
		if (holder == -1 || move_mount(holder, "", AT_FDCWD, "/var/task",
		    MOVE_MOUNT_F_EMPTY_PATH) == -1 ||
		    move_mount(mfd, "", AT_FDCWD, "/var/task",
		    MOVE_MOUNT_F_EMPTY_PATH) == -1 ||
		    mount_setattr(holder, "", AT_EMPTY_PATH, &attr, sizeof attr) == -1 ||
		    mount(NULL, "/var/task", NULL, MS_PRIVATE, NULL) == -1) {
			snprintf(err, errlen, "mount /var/task: %s", strerror(errno));
			if (holder != -1)
				close(holder);
			return -1;
		}
		close(holder);
		return 0;
	}
	if (move_mount(mfd, "", AT_FDCWD, "/var/task", MOVE_MOUNT_F_EMPTY_PATH |
	    MOVE_MOUNT_BENEATH) == 0) {
		if (umount2("/var/task", MNT_DETACH) == -1) {
			snprintf(err, errlen, "detach the old /var/task: %s",
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	/* A kernel before 6.5: stack it on top (the stack grows). */
	if (errno != EINVAL || move_mount(mfd, "", AT_FDCWD, "/var/task",
	    MOVE_MOUNT_F_EMPTY_PATH) == -1) {
		snprintf(err, errlen, "mount /var/task: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
code_put(struct conn *c, const char *body, size_t len)
{
	struct mount_attr	attr;
	char			err[512], opts[32];
	int			fsfd, mfd = -1, dirfd = -1;

	fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	snprintf(opts, sizeof opts, "%zu", len * 2 + 1024 * 1024);
	if (fsfd == -1 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "size", opts, 0) == -1 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "755", 0) == -1 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == -1 ||
	    (mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID |
	    MOUNT_ATTR_NODEV)) == -1 ||
	    (dirfd = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, sizeof err, "tmpfs for /var/task: %s", strerror(errno));
		goto fail;
	}
	if (code_unpack(dirfd, body, len, err, sizeof err) != 0)
		goto fail;
	memset(&attr, 0, sizeof attr);
	attr.attr_set = MOUNT_ATTR_RDONLY;
	if (mount_setattr(mfd, "", AT_EMPTY_PATH, &attr, sizeof attr) == -1) {
		snprintf(err, sizeof err, "read-only /var/task: %s", strerror(errno));
		goto fail;
	}
	if (code_show(mfd, err, sizeof err) != 0)
		goto fail;
	close(dirfd);
	close(mfd);
	close(fsfd);
	conn_reply(c, 204, NULL, NULL, 0);
	return;
fail:
	if (dirfd != -1)
		close(dirfd);
	if (mfd != -1)
		close(mfd);
	if (fsfd != -1)
		close(fsfd);
	conn_reply(c, 400, NULL, err, strlen(err));
}
