/*
 * cmd-vm.c — vm ls, vm rm, vm pool, image ls: instances and images.
 * (vm inspect, console and snapshot are in cmd-vm-info.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"
#include "vm.h"

static const struct out_col cmd_vm_ls_cols[] = {
	{ "id", "ID", OUT_STR },
	{ "driver", "DRIVER", OUT_STR },
	{ "accel", "ACCEL", OUT_STR },
	{ "owner", "OWNER", OUT_STR },
	{ "runtime", "RUNTIME", OUT_STR },
	{ "state", "STATE", OUT_STR },
	{ "pid", "PID", OUT_INT },
	{ "memory_mb", "LIMIT", OUT_INT },
	{ "memory_used_mb", "USED", OUT_NUM },
	{ "start", "START", OUT_STR },
	{ "start_ms", "START MS", OUT_INT },
	{ "version", "VERSION", OUT_INT },
	{ "idle_s", "IDLE", OUT_INT },
};

static int
cmd_vm_ls_exec(struct cmd_ctx *ctx)
{
	const struct vm_driver	*drv;
	struct out_table	*t;
	struct vm_stats		 vs;
	struct vm_info		 vi;
	sqlite3_stmt		*stmt;
	const char		*id, *owner;
	char			*dir;

	inst_gc(ctx->store);
	t = out_table_new(cmd_vm_ls_cols, 13);
	stmt = store_prepare(ctx->store, "SELECT id, driver, fn, runtime, state, "
	    "pid, memory_mb, fn_version, last_used FROM instances "
	    "ORDER BY fn NULLS LAST, created");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(stmt, 0);
		owner = (const char *)sqlite3_column_text(stmt, 2);
		drv = vm_driver_find((const char *)sqlite3_column_text(stmt, 1));
		dir = xasprintf("%s/run/%s", ctx->store->home, id);
		memset(&vi, 0, sizeof vi);
		vi.start_ms = -1;
		if (drv != NULL)
			drv->info(id, dir, &vi);
		free(dir);
		out_table_row(t);
		out_table_str(t, id);
		out_table_str(t, (const char *)sqlite3_column_text(stmt, 1));
		out_table_str(t, vi.accel);
		out_table_str(t, owner != NULL ? owner : "(pool)");
		out_table_str(t, (const char *)sqlite3_column_text(stmt, 3));
		out_table_str(t, (const char *)sqlite3_column_text(stmt, 4));
		out_table_int(t, sqlite3_column_int(stmt, 5));
		out_table_int(t, sqlite3_column_int(stmt, 6));
		if (drv != NULL && drv->stats(id, &vs) == 0)
			out_table_num(t, vs.mem_bytes / 1048576.0);
		else
			out_table_num(t, 0.0 / 0.0);
		out_table_str(t, vi.start);
		out_table_int(t, vi.start_ms);
		out_table_int(t, sqlite3_column_int(stmt, 7));
		out_table_int(t, (long long)(util_now() - sqlite3_column_double(stmt, 8)));
	}
	sqlite3_finalize(stmt);
	out_table_print(t, ctx->format, ctx->out, 0);
	out_table_free(t);
	return CMD_OK;
}

const struct cmd_entry cmd_vm_ls_entry = {
	.name = "vm ls",
	.alias = "vm list",
	.min_args = 0, .max_args = 0,
	.help = "list instances (sandboxes and VMs) with their memory use",
	.flags = CMD_F_STORE | CMD_F_OUTPUT,
	.exec = cmd_vm_ls_exec,
};

static int
cmd_vm_rm_one(struct cmd_ctx *ctx, const char *id, char **cause)
{
	return inst_destroy(ctx->store, id, cause);
}

static int
cmd_vm_rm_exec(struct cmd_ctx *ctx)
{
	int	n;

	if (cmd_flag(ctx, "all")) {
		if (ctx->argc > 0)
			return cmd_error(ctx, CMD_USAGE, "vm rm: give IDs or --all, "
			    "not both");
		n = inst_destroy_fn(ctx->store, NULL);
		if (ctx->format != OUT_JSON)
			out_line(ctx, "removed %d instance%s", n, n == 1 ? "" : "s");
		return CMD_OK;
	}
	if (ctx->argc == 0)
		return cmd_error(ctx, CMD_USAGE, "vm rm: give an instance ID or --all");
	return cmd_remove_each(ctx, cmd_vm_rm_one);
}

static const struct cmd_opt cmd_vm_rm_opts[] = {
	{ "all", 'a', OPT_FLAG, NULL, "remove every instance, pooled ones too" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_vm_rm_entry = {
	.name = "vm rm",
	.opts = cmd_vm_rm_opts,
	.min_args = 0, .max_args = -1,
	.usage = "ID...",
	.help = "destroy instances",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.complete = COMPLETE_VM,
	.exec = cmd_vm_rm_exec,
};

static int
cmd_vm_pool_exec(struct cmd_ctx *ctx)
{
	const char	*runtime = ctx->argc > 0 ? ctx->argv[0] : "python3";
	const char	*driver = cmd_opt(ctx, "driver");
	char		*cause = NULL;
	long long	 n = inst_pool_size();
	int		 rc;

	if (fn_valid_runtime(runtime, &cause) != 0 ||
	    (driver != NULL && fn_valid_driver(driver, &cause) != 0))
		return cmd_fail(ctx, CMD_USAGE, cause);
	driver = fn_driver(driver);
	if (cmd_opt(ctx, "size") != NULL &&
	    util_parse_int(cmd_opt(ctx, "size"), 0, 64, &n) != 0)
		return cmd_error(ctx, CMD_USAGE, "--size must be from 0 to 64");
	if (inst_pool_fill(ctx->store, runtime, driver, (int)n, &cause) != 0) {
		rc = cmd_error(ctx, CMD_ERROR, "pool %s: %s", runtime, cause);
		free(cause);
		return rc;
	}
	return CMD_OK;
}

static const struct cmd_opt cmd_vm_pool_opts[] = {
	{ "size", 's', OPT_STRING, "N", "instances to keep (default: the setting pool.size, 1)" },
	{ "driver", 'd', OPT_STRING, "DRIVER", "ns, qemu or auto (default: the setting driver.default)" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_vm_pool_entry = {
	.name = "vm pool",
	.opts = cmd_vm_pool_opts,
	.min_args = 0, .max_args = 1,
	.usage = "[RUNTIME]",
	.help = "pre-start instances (sandboxes or VMs) for a runtime so first invocations are fast",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.exec = cmd_vm_pool_exec,
};

static const struct out_col cmd_image_ls_cols[] = {
	{ "name", "NAME", OUT_STR },
	{ "runtime", "RUNTIME", OUT_STR },
	{ "size_mb", "SIZE (MB)", OUT_NUM },
	{ "path", "PATH", OUT_STR },
};

static int
cmd_image_ls_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;
	sqlite3_stmt		*stmt;
	char			*cause = NULL;

	if (image_sync(ctx->store, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	t = out_table_new(cmd_image_ls_cols, 4);
	stmt = store_prepare(ctx->store, "SELECT name, runtime, size, path "
	    "FROM images ORDER BY name");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		out_table_row(t);
		out_table_str(t, (const char *)sqlite3_column_text(stmt, 0));
		out_table_str(t, (const char *)sqlite3_column_text(stmt, 1));
		out_table_num(t, sqlite3_column_int64(stmt, 2) / 1048576.0);
		out_table_str(t, (const char *)sqlite3_column_text(stmt, 3));
	}
	sqlite3_finalize(stmt);
	out_table_print(t, ctx->format, ctx->out, 0);
	out_table_free(t);
	return CMD_OK;
}

const struct cmd_entry cmd_image_ls_entry = {
	.name = "image ls",
	.alias = "img ls",
	.min_args = 0, .max_args = 0,
	.help = "list runtime images",
	.flags = CMD_F_STORE | CMD_F_OUTPUT,
	.exec = cmd_image_ls_exec,
};
