/*
 * cmd-vm-info.c — vm inspect, vm console, vm snapshot ls/rm: looking into
 * one machine, and the saved microVMs that new ones restore from.  A
 * console is what a guest (or an agent) wrote: it is printed as it is to
 * a pipe or a file and escaped on a terminal.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hearth.h"
#include "store.h"
#include "vm.h"

/* Load id's row; NULL with an error reported when there is none. */
static sqlite3_stmt *
cmd_vm_row(struct cmd_ctx *ctx, const char *id)
{
	sqlite3_stmt	*stmt;

	stmt = store_prepare(ctx->store, "SELECT id, driver, fn, runtime, state, "
	    "pid, memory_mb, fn_version, sock, created, last_used "
	    "FROM instances WHERE id = ?");
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		cmd_error(ctx, CMD_ERROR, "no instance '%s' (see 'hearth vm ls')", id);
		return NULL;
	}
	return stmt;
}

/* The last n lines of b (all of it when n is 0). */
static const char *
cmd_vm_tail(const struct buf *b, long n)
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

/*
 * Print what is appended to path after offset, as it comes, until the
 * machine stops (then what it wrote last is printed too).  Whole lines go
 * out while it writes, so that escaping for a terminal never splits a
 * character or a line's CRLF; a partial line waits for a quiet moment.  A
 * log that is rotated (renamed away, a new one started) is followed into
 * the new one.
 */
static void
cmd_vm_follow(struct cmd_ctx *ctx, const struct vm_driver *drv, const char *id,
    pid_t pid, const char *path, size_t offset)
{
	struct timespec	 ts = { 0, 200 * 1000 * 1000 };
	struct buf	 pend = { 0 };
	struct stat	 was, now;
	char		 chunk[8192], *nl;
	size_t		 got, n, before;
	FILE		*f, *nf;
	int		 alive = 1, rotated;

	if ((f = fopen(path, "r")) == NULL)
		return;
	fseek(f, (long)offset, SEEK_SET);
	fflush(ctx->out);
	while (alive) {
		alive = drv != NULL && drv->alive(id, pid);
		before = pend.len;
		while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_add(&pend, chunk, got);
		clearerr(f);
		rotated = stat(path, &now) == 0 && fstat(fileno(f), &was) == 0 &&
		    now.st_ino != was.st_ino;
		n = pend.len;
		if (alive && !rotated && pend.len > before) {
			if ((nl = memrchr(pend.data, '\n', pend.len)) != NULL)
				n = nl + 1 - pend.data;
			else if (pend.len < sizeof chunk)
				n = 0;
		}
		if (n > 0) {
			out_bytes(ctx->out, pend.data, n, ESC_CRLF);
			pend.len -= n;
			memmove(pend.data, pend.data + n, pend.len + 1);
		}
		if (rotated && (nf = fopen(path, "r")) != NULL) {
			fclose(f);
			f = nf;
			alive = 1;
			continue;
		}
		fflush(ctx->out);
		if (alive)
			nanosleep(&ts, NULL);
	}
	buf_free(&pend);
	fclose(f);
}

static int
cmd_vm_console_exec(struct cmd_ctx *ctx)
{
	const struct vm_driver	*drv;
	struct vm_info		 vi;
	struct buf		 b = { 0 };
	sqlite3_stmt		*stmt;
	const char		*id = ctx->argv[0], *tail = cmd_opt(ctx, "tail");
	char			*dir, *cause = NULL;
	long long		 n = 0;
	int			 rc = CMD_OK;
	pid_t			 pid;

	if (tail != NULL && util_parse_int(tail, 1, 1000000, &n) != 0)
		return cmd_error(ctx, CMD_USAGE, "--tail '%s' must be a number of "
		    "lines from 1", tail);
	if ((stmt = cmd_vm_row(ctx, id)) == NULL)
		return CMD_ERROR;
	drv = vm_driver_find((const char *)sqlite3_column_text(stmt, 1));
	pid = sqlite3_column_int(stmt, 5);
	sqlite3_finalize(stmt);
	dir = xasprintf("%s/run/%s", ctx->store->home, id);
	memset(&vi, 0, sizeof vi);
	if (drv != NULL)
		drv->info(id, dir, &vi);
	if (util_read_file(vi.console, &b, 16 << 20, &cause) != 0) {
		rc = cmd_error(ctx, CMD_ERROR, "%s", cause);
		free(cause);
	} else {
		if (b.len > 0) {
			const char *from = cmd_vm_tail(&b, (long)n);

			out_bytes(ctx->out, from, b.data + b.len - from, ESC_CRLF);
		}
		if (cmd_flag(ctx, "follow"))
			cmd_vm_follow(ctx, drv, id, pid, vi.console, b.len);
	}
	buf_free(&b);
	free(dir);
	return rc;
}

static const struct cmd_opt cmd_vm_console_opts[] = {
	{ "tail", 'n', OPT_STRING, "LINES", "only the last LINES lines" },
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
	.flags = CMD_F_STORE,
	.complete = COMPLETE_VM,
	.exec = cmd_vm_console_exec,
};

static const struct out_col cmd_snapshot_ls_cols[] = {
	{ "name", "NAME", OUT_STR },
	{ "runtime", "RUNTIME", OUT_STR },
	{ "memory_mb", "MEMORY", OUT_INT },
	{ "vcpus", "VCPUS", OUT_INT },
	{ "size_mb", "SIZE (MB)", OUT_NUM },
	{ "save_ms", "SAVE MS", OUT_INT },
	{ "created", "CREATED", OUT_TIME },
};

static int
cmd_snapshot_ls_exec(struct cmd_ctx *ctx)
{
	struct vm_snapshot	*list;
	struct out_table	*t;
	int			 n, i;

	qemu_snap_list(&list, &n);
	t = out_table_new(cmd_snapshot_ls_cols, 7);
	for (i = 0; i < n; i++) {
		out_table_row(t);
		out_table_str(t, list[i].name);
		out_table_str(t, list[i].runtime);
		out_table_int(t, list[i].guest_mb);
		out_table_int(t, list[i].vcpus);
		out_table_num(t, list[i].size / 1048576.0);
		out_table_int(t, list[i].save_ms);
		out_table_time(t, list[i].created);
	}
	out_table_print(t, ctx->format, ctx->out, 0);
	out_table_free(t);
	free(list);
	return CMD_OK;
}

const struct cmd_entry cmd_snapshot_ls_entry = {
	.name = "vm snapshot ls",
	.alias = "vm snapshot list",
	.min_args = 0, .max_args = 0,
	.help = "list saved microVMs that new VMs restore from",
	.flags = CMD_F_STORE | CMD_F_OUTPUT,
	.exec = cmd_snapshot_ls_exec,
};

static int
cmd_snapshot_rm_one(struct cmd_ctx *ctx, const char *name, char **cause)
{
	return qemu_snap_delete(name, cause);
}

static int
cmd_snapshot_rm_exec(struct cmd_ctx *ctx)
{
	struct vm_snapshot	*list;
	char			*cause = NULL;
	int			 i, n;

	if (cmd_flag(ctx, "all")) {
		if (ctx->argc > 0)
			return cmd_error(ctx, CMD_USAGE, "vm snapshot rm: give names "
			    "or --all, not both");
		qemu_snap_list(&list, &n);
		for (i = 0; i < n; i++)
			if (qemu_snap_delete(list[i].name, &cause) != 0)
				free(cause);
		free(list);
		fprintf(ctx->out, "removed %d snapshot%s\n", n, n == 1 ? "" : "s");
		return CMD_OK;
	}
	if (ctx->argc == 0)
		return cmd_error(ctx, CMD_USAGE, "vm snapshot rm: give a snapshot "
		    "name or --all");
	return cmd_remove_each(ctx, cmd_snapshot_rm_one);
}

static const struct cmd_opt cmd_snapshot_rm_opts[] = {
	{ "all", 'a', OPT_FLAG, NULL, "remove every snapshot" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_snapshot_rm_entry = {
	.name = "vm snapshot rm",
	.opts = cmd_snapshot_rm_opts,
	.min_args = 0, .max_args = -1,
	.usage = "NAME...",
	.help = "remove saved microVMs (the next VM boots and saves anew)",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.exec = cmd_snapshot_rm_exec,
};
