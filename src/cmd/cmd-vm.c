/*
 * cmd-vm.c — vm rm and vm pool: ending instances and starting them early.
 *
 * Instances are the manager's: vm rm asks it to destroy the named ones
 * or, with --all, every instance, pooled ones too — one error line for
 * each it could not (its destroy failed, or its row could not be
 * deleted) and a non-zero exit, never a count of what is still there; vm pool asks it to keep N pre-started instances of a
 * runtime under a driver, so a function's first invocation need not wait
 * for a boot.  Listing them is cmd-vm-ls.c's (vm ls, vm inspect); a
 * machine's console and snapshots are cmd-vm-info.c's; images are
 * cmd-image.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

static int
cmd_vm_rm_one(struct cmd_ctx *ctx, const char *id, char **cause)
{
	return inst_destroy(ctx->store, id, cause);
}

/* What vm rm --all could not remove: one error line each. */
struct cmd_vm_rm_all {
	struct cmd_ctx	*ctx;		/* where the errors go */
	int		 failed;	/* how many */
};

static void
cmd_vm_rm_failed(const char *cause, void *arg)
{
	struct cmd_vm_rm_all	*a = arg;

	out_error(a->ctx, "%s", cause);
	a->failed++;
}

static int
cmd_vm_rm_exec(struct cmd_ctx *ctx)
{
	struct cmd_vm_rm_all	 a = { ctx, 0 };
	int			 n;

	if (cmd_flag(ctx, "all")) {
		if (ctx->argc > 0)
			return cmd_error(ctx, CMD_USAGE, "vm rm: give IDs or --all, "
			    "not both");
		n = inst_destroy_every(ctx->store, NULL, cmd_vm_rm_failed, &a);
		/* And whatever a process that died left with no row. */
		inst_gc(ctx->store);
		if (ctx->format != OUT_JSON)
			out_line(ctx, "removed %d instance%s", n, n == 1 ? "" : "s");
		if (a.failed > 0)
			return cmd_error(ctx, CMD_ERROR, "vm rm: %d instance%s "
			    "not removed", a.failed, a.failed == 1 ? "" : "s");
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
	.usage = "[ID...]",
	.help = "destroy instances",
	.example = "hearth vm rm --all",
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
	long long	 n = pool_size();
	int		 rc;

	if (fn_valid_runtime(runtime, &cause) != 0 ||
	    (driver != NULL && fn_valid_driver(driver, &cause) != 0))
		return cmd_fail(ctx, CMD_USAGE, cause);
	driver = fn_driver(driver);
	cmd_int(ctx, "size", &n);
	if (pool_fill(ctx->store, runtime, driver, (int)n, &cause) != 0) {
		rc = cmd_error(ctx, CMD_ERROR, "pool %s: %s", runtime, cause);
		free(cause);
		return rc;
	}
	return CMD_OK;
}

static const struct cmd_opt cmd_vm_pool_opts[] = {
	{ "size", 's', OPT_INT, "N", "instances to keep", .min = 0, .max = 64, .def = "the setting pool.size, 1" },
	{ "driver", 'd', OPT_STRING, "DRIVER", "ns, qemu or auto (default: the setting driver.default)", 0, "ns qemu auto" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_vm_pool_entry = {
	.name = "vm pool",
	.opts = cmd_vm_pool_opts,
	.min_args = 0, .max_args = 1,
	.usage = "[RUNTIME]",
	.help = "pre-start instances (sandboxes or VMs) for a runtime so first invocations are fast",
	.long_help = "RUNTIME is python3 (the default) or node.",
	.example = "hearth vm pool node --size 2 --driver qemu",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.exec = cmd_vm_pool_exec,
};
