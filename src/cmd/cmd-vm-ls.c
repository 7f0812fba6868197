/*
 * cmd-vm-ls.c — vm ls and vm inspect: instances as the manager lists them
 * (list_insts, list_inst_get: the store's rows with what each instance's
 * own driver says), the same rows the console's Instances view shows,
 * with the owner label, memory in MiB and idle time the manager works
 * out for both.
 */
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

static const struct out_col cmd_vm_ls_cols[] = {
	{ "id", "ID", OUT_STR },
	{ "driver", "DRIVER", OUT_STR },
	{ "accel", "ACCEL", OUT_STR },
	{ "owner", "OWNER", OUT_STR },
	{ "runtime", "RUNTIME", OUT_STR },
	{ "state", "STATE", OUT_STR },
	{ "pid", "PID", OUT_INT },
	{ "memory_mb", "LIMIT", OUT_INT, "MiB" },
	{ "memory_used_mb", "USED", OUT_NUM, "MiB" },
	{ "start", "START", OUT_STR },
	{ "start_ms", "STARTUP", OUT_INT, "ms" },
	{ "version", "VERSION", OUT_INT },
	{ "idle_s", "IDLE", OUT_INT, "s" },
};

static int
cmd_vm_ls_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;
	struct list_inst	*in, *r;
	struct fn		*fn;
	const char		*name = ctx->argc > 0 ? ctx->argv[0] : NULL;
	char			*cause = NULL;
	int			 n, i;

	/* A name that is no function is a mistake, not an empty list. */
	if (name != NULL && strcmp(name, "(pool)") != 0) {
		if ((fn = fn_load(ctx->store, name, &cause)) == NULL)
			return cmd_fail(ctx, CMD_ERROR, cause);
		fn_free(fn);
	}
	inst_gc(ctx->store);
	if (list_insts(ctx->store, &in, &n, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	t = out_table_new(cmd_vm_ls_cols, nitems(cmd_vm_ls_cols));
	for (i = 0; i < n; i++) {
		r = &in[i];
		if (name != NULL && strcmp(r->owner, name) != 0)
			continue;
		out_table_row(t);
		out_cell_str(t, "id", r->id);
		out_cell_str(t, "driver", r->driver);
		out_cell_str(t, "accel", r->accel);
		out_cell_str(t, "owner", r->owner);
		out_cell_str(t, "runtime", r->runtime);
		out_cell_str(t, "state", r->state);
		out_cell_int(t, "pid", r->pid);
		out_cell_int(t, "memory_mb", r->memory_mb);
		out_cell_num(t, "memory_used_mb", r->memory_used_mb);
		out_cell_str(t, "start", r->start);
		if (r->start_ms >= 0)
			out_cell_int(t, "start_ms", r->start_ms);
		else
			out_cell_none(t, "start_ms");	/* not known (yet) */
		out_cell_int(t, "version", r->fn_version);
		out_cell_int(t, "idle_s", (long long)r->idle_s);
	}
	list_insts_free(in, n);
	out_show(ctx, t, 0);
	out_table_free(t);
	return CMD_OK;
}

const struct cmd_entry cmd_vm_ls_entry = {
	.name = "vm ls",
	.alias = "vm list",
	.min_args = 0, .max_args = 1,
	.usage = "[FUNCTION]",
	.help = "list instances (sandboxes and VMs) with their memory use",
	.long_help = "FUNCTION lists only that function's instances; '(pool)' "
	    "the pooled ones.\nLIMIT and USED are MiB (memory_mb, "
	    "memory_used_mb in -o json), STARTUP ms (start_ms; null, '-'\n"
	    "while not known), IDLE s.",
	.example = "hearth vm ls hello -q",
	.flags = CMD_F_STORE | CMD_F_OUTPUT | CMD_F_LIST,
	.complete = COMPLETE_FN,
	.exec = cmd_vm_ls_exec,
};

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
	{ "start_ms", "Start took", OUT_INT, "ms" },
	{ "note", "Note", OUT_STR },
	{ "exit", "Exit", OUT_STR },
	{ "memory_mb", "Memory limit", OUT_INT, "MiB" },
	{ "memory_used_mb", "Memory used", OUT_NUM, "MiB" },
	{ "cpu_s", "CPU", OUT_NUM, "s" },
	{ "fn_version", "Function version", OUT_INT },
	{ "socket", "Agent socket", OUT_STR },
	{ "run_dir", "Run directory", OUT_STR },
	{ "console", "Console log", OUT_STR },
	{ "created", "Created", OUT_TIME },
	{ "last_used", "Last used", OUT_TIME },
};

static int
cmd_vm_inspect_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;
	struct list_inst	 r;
	char			*cause = NULL;

	if (list_inst_get(ctx->store, ctx->argv[0], &r, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	t = out_table_new(cmd_vm_inspect_cols, nitems(cmd_vm_inspect_cols));
	out_table_row(t);
	out_cell_str(t, "id", r.id);
	out_cell_str(t, "driver", r.driver);
	out_cell_str(t, "accel", r.accel);
	out_cell_str(t, "fn", r.owner);
	out_cell_str(t, "runtime", r.runtime);
	out_cell_str(t, "state", r.state);
	out_cell_str(t, "alive", r.alive ? "yes" : "no");
	out_cell_int(t, "pid", r.pid);
	out_cell_int(t, "vmm_pid", r.vmm_pid);
	out_cell_str(t, "start", r.start);
	if (r.start_ms >= 0)
		out_cell_int(t, "start_ms", r.start_ms);
	else
		out_cell_none(t, "start_ms");
	out_cell_str(t, "note", r.note);
	out_cell_str(t, "exit", r.exit);
	out_cell_int(t, "memory_mb", r.memory_mb);
	out_cell_num(t, "memory_used_mb", r.memory_used_mb);
	out_cell_num(t, "cpu_s", r.have_stats ? r.cpu_ns / 1e9 : 0.0 / 0.0);
	out_cell_int(t, "fn_version", r.fn_version);
	out_cell_str(t, "socket", r.sock);
	out_cell_str(t, "run_dir", r.run_dir);
	out_cell_str(t, "console", r.console);
	out_cell_time(t, "created", r.created);
	out_cell_time(t, "last_used", r.last_used);
	out_show(ctx, t, 1);
	out_table_free(t);
	list_inst_free(&r);
	return CMD_OK;
}

const struct cmd_entry cmd_vm_inspect_entry = {
	.name = "vm inspect",
	.alias = "vm show",
	.min_args = 1, .max_args = 1,
	.usage = "ID",
	.help = "show one instance: driver, accelerator, processes, start, memory",
	.example = "hearth vm inspect $(hearth vm ls hello -q | head -1)",
	.flags = CMD_F_STORE | CMD_F_OUTPUT,
	.complete = COMPLETE_VM,
	.exec = cmd_vm_inspect_exec,
};
