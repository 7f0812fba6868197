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
#include "vm.h"

static const struct out_col cmd_vm_inspect_cols[] = {
	{ "id", "ID", OUT_STR },
	{ "driver", "Driver", OUT_STR },
	{ "accel", "Accelerator", OUT_STR },
	{ "fn", "Function", OUT_STR },
	{ "runtime", "Runtime", OUT_STR },
	{ "state", "State", OUT_STR },
	{ "alive", "Alive", OUT_STR },
	{ "pid", "PID", OUT_INT },
	{ "vmm_pid", "QEMU PID", OUT_INT },
	{ "start", "Started by", OUT_STR },
	{ "start_ms", "Start (ms)", OUT_INT },
	{ "note", "Note", OUT_STR },
	{ "exit", "Exit", OUT_STR },
	{ "memory_mb", "Memory limit (MB)", OUT_INT },
	{ "memory_used_mb", "Memory used (MB)", OUT_NUM },
	{ "cpu_s", "CPU (s)", OUT_NUM },
	{ "fn_version", "Function version", OUT_INT },
	{ "socket", "Agent socket", OUT_STR },
	{ "run_dir", "Run directory", OUT_STR },
	{ "console", "Console log", OUT_STR },
	{ "created", "Created", OUT_TIME },
	{ "last_used", "Last used", OUT_TIME },
};

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

static int
cmd_vm_inspect_exec(struct cmd_ctx *ctx)
{
	const struct vm_driver	*drv;
	struct out_table	*t;
	struct vm_stats		 vs;
	struct vm_info		 vi;
	sqlite3_stmt		*stmt;
	const char		*id = ctx->argv[0], *fn;
	char			*dir;
	int			 alive, have_stats;

	if ((stmt = cmd_vm_row(ctx, id)) == NULL)
		return CMD_ERROR;
	drv = vm_driver_find((const char *)sqlite3_column_text(stmt, 1));
	dir = xasprintf("%s/run/%s", ctx->store->home, id);
	memset(&vi, 0, sizeof vi);
	vi.start_ms = -1;
	alive = drv != NULL && drv->alive(id, sqlite3_column_int(stmt, 5));
	if (drv != NULL)
		drv->info(id, dir, &vi);
	have_stats = drv != NULL && drv->stats(id, &vs) == 0;
	fn = (const char *)sqlite3_column_text(stmt, 2);
	t = out_table_new(cmd_vm_inspect_cols, 22);
	out_table_row(t);
	out_table_str(t, id);
	out_table_str(t, (const char *)sqlite3_column_text(stmt, 1));
	out_table_str(t, vi.accel);
	out_table_str(t, fn != NULL ? fn : "(pool)");
	out_table_str(t, (const char *)sqlite3_column_text(stmt, 3));
	out_table_str(t, (const char *)sqlite3_column_text(stmt, 4));
	out_table_str(t, alive ? "yes" : "no");
	out_table_int(t, sqlite3_column_int(stmt, 5));
	out_table_int(t, vi.vmm_pid);
	out_table_str(t, vi.start);
	out_table_int(t, vi.start_ms);
	out_table_str(t, vi.note);
	out_table_str(t, vi.exit);
	out_table_int(t, sqlite3_column_int(stmt, 6));
	out_table_num(t, have_stats ? vs.mem_bytes / 1048576.0 : 0.0 / 0.0);
	out_table_num(t, have_stats ? vs.cpu_ns / 1e9 : 0.0 / 0.0);
	out_table_int(t, sqlite3_column_int(stmt, 7));
	out_table_str(t, (const char *)sqlite3_column_text(stmt, 8));
	out_table_str(t, dir);
	out_table_str(t, vi.console);
	out_table_time(t, sqlite3_column_double(stmt, 9));
	out_table_time(t, sqlite3_column_double(stmt, 10));
	sqlite3_finalize(stmt);
	out_table_print(t, ctx->format, ctx->out, 1);
	out_table_free(t);
	free(dir);
	return CMD_OK;
}

const struct cmd_entry cmd_vm_inspect_entry = {
	.name = "vm inspect",
	.alias = "vm show",
	.min_args = 1, .max_args = 1,
	.usage = "ID",
	.help = "show one instance: driver, accelerator, processes, start, memory",
	.flags = CMD_F_STORE | CMD_F_OUTPUT,
	.complete = COMPLETE_VM,
	.exec = cmd_vm_inspect_exec,
};
