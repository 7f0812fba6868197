/*
 * cmd-vm-console.c — vm console: what one machine wrote to its serial
 * console (a sandbox: its agent log).  A console is the guest's output:
 * it is printed as it is to a pipe or a file and escaped on a terminal;
 * with --follow it is printed as it grows, until the machine stops.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hearth.h"

/* The last n lines of b (all of it when n is 0). */
static const char *
cmd_vm_console_tail(const struct buf *b, long n)
{
	const char	*p;

	if (n <= 0 || b->len == 0)
		return b->data;
	p = b->data + b->len - 1;
	if (*p == '\n')
		p--;
	for (; p > b->data; p--)
		if (*p == '\n' && --n == 0)
			return p + 1;
	return b->data;
}

#define CMD_VM_CONSOLE_NOTES	8	/* harmless lines a driver explains */

/*
 * Explain, once each, the harmless-looking-alarming lines (the driver's
 * console notes) in the len bytes of text just printed; seen keeps which
 * were explained already.
 */
static void
cmd_vm_console_notes(struct cmd_ctx *ctx, const struct machine *m,
    const char *text, size_t len, int *seen)
{
	const char	*line, *note;
	int		 i;

	for (i = 0; i < CMD_VM_CONSOLE_NOTES &&
	    (note = machine_console_note(m, i, &line)) != NULL; i++) {
		if (seen[i] || memmem(text, len, line, strlen(line)) == NULL)
			continue;
		seen[i] = 1;
		out_note(ctx, "'%s' is %s", line, note);
	}
}

/*
 * Print what is appended to path, read on from fd (which it closes), as
 * it comes, until the machine stops (then what it wrote last is printed
 * too).  Whole lines go out while it writes, so that escaping for a
 * terminal never splits a character or a line's CRLF; a partial line
 * waits for a quiet moment.  A log that is rotated (renamed away, a new
 * one started) is followed into the new one.
 */
static void
cmd_vm_console_follow(struct cmd_ctx *ctx, const struct machine *m,
    const char *path, int fd, int *seen)
{
	struct timespec	 ts = { 0, 200 * 1000 * 1000 };
	struct buf	 pend = { 0 };
	struct stat	 was, now;
	char		 chunk[8192], *nl;
	size_t		 n, before;
	ssize_t		 got;
	int		 nfd, alive = 1, rotated;

	out_flush(ctx);
	while (alive) {
		alive = machine_alive(m);
		before = pend.len;
		while ((got = read(fd, chunk, sizeof chunk)) > 0)
			buf_add(&pend, chunk, (size_t)got);
		rotated = stat(path, &now) == 0 && fstat(fd, &was) == 0 &&
		    now.st_ino != was.st_ino;
		/* What the old log got between the read and its rename. */
		while (rotated && (got = read(fd, chunk, sizeof chunk)) > 0)
			buf_add(&pend, chunk, (size_t)got);
		n = pend.len;
		if (alive && !rotated && pend.len > before) {
			if ((nl = memrchr(pend.data, '\n', pend.len)) != NULL)
				n = nl + 1 - pend.data;
			else if (pend.len < sizeof chunk)
				n = 0;
		}
		if (n > 0) {
			out_output(ctx, pend.data, n, ESC_CRLF);
			cmd_vm_console_notes(ctx, m, pend.data, n, seen);
			pend.len -= n;
			memmove(pend.data, pend.data + n, pend.len + 1);
		}
		if (rotated && (nfd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
			close(fd);
			fd = nfd;
			alive = 1;
			continue;
		}
		out_flush(ctx);
		if (alive)
			nanosleep(&ts, NULL);
	}
	buf_free(&pend);
	close(fd);
}

static int
cmd_vm_console_exec(struct cmd_ctx *ctx)
{
	struct machine	*m;
	struct buf	 b = { 0 };
	const char	*path;
	char		*cause = NULL;
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	long long	 n = 0;
	int		 rc = CMD_OK, fd, tries, seen[CMD_VM_CONSOLE_NOTES] = { 0 };

	cmd_int(ctx, "tail", &n);
	if ((m = machine_open(ctx->store, ctx->argv[0], &cause)) == NULL) {
		rc = cmd_error(ctx, CMD_ERROR, "%s", cause);
		free(cause);
		return rc;
	}
	path = machine_console(m);
	/*
	 * What is printed and what is followed are one file, read through
	 * one descriptor: opened by name twice, a rotation between the two
	 * (a flooded console rotates often) would end the follower.  The
	 * name is missing only for a moment of a rotation: look again.
	 */
	for (tries = 0; (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 &&
	    errno == ENOENT && tries < 100; tries++)
		nanosleep(&ts, NULL);
	if (fd == -1)
		rc = cmd_error(ctx, CMD_ERROR, "%s: %s", path, strerror(errno));
	else if (util_read_fd(fd, path, &b, 16 << 20, &cause) != 0) {
		rc = cmd_error(ctx, CMD_ERROR, "%s", cause);
		free(cause);
	} else {
		if (b.len > 0) {
			const char *from = cmd_vm_console_tail(&b, (long)n);

			out_output(ctx, from, b.data + b.len - from, ESC_CRLF);
			cmd_vm_console_notes(ctx, m, from, b.data + b.len - from,
			    seen);
		}
		if (cmd_flag(ctx, "follow")) {
			cmd_vm_console_follow(ctx, m, path, fd, seen);
			fd = -1;	/* the follower closed it */
		}
	}
	if (fd != -1)
		close(fd);
	buf_free(&b);
	machine_close(m);
	return rc;
}

static const struct cmd_opt cmd_vm_console_opts[] = {
	{ "tail", 'n', OPT_INT, "LINES", "only the last LINES lines", .min = 1, .max = 1000000, .def = "all" },
	{ "follow", 'f', OPT_FLAG, NULL, "keep printing what the machine writes, until it stops" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_vm_console_entry = {
	.name = "vm console",
	.opts = cmd_vm_console_opts,
	.min_args = 1, .max_args = 1,
	.usage = "ID",
	.help = "print a microVM's serial console (a sandbox's agent log)",
	.long_help = "The console is printed as the machine wrote it to a pipe "
	    "or a file, escaped on a terminal.",
	.example = "hearth vm console ID --tail 20 -f",
	.flags = CMD_F_STORE,
	.complete = COMPLETE_VM,
	.exec = cmd_vm_console_exec,
};
