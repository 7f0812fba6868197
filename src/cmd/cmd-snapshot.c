/*
 * cmd-snapshot.c — vm snapshot ls/rm: the saved machines new ones
 * restore from, kept by the drivers that can save one (the manager asks
 * each through its ops).
 */
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

static const struct out_col cmd_snapshot_ls_cols[] = {
	{ "name", "NAME", OUT_STR },
	{ "runtime", "RUNTIME", OUT_STR },
	{ "memory_mb", "MEMORY", OUT_INT, "MiB" },
	{ "vcpus", "VCPUS", OUT_INT },
	{ "size_mb", "SIZE", OUT_NUM, "MiB" },
	{ "save_ms", "SAVE", OUT_INT, "ms" },
	{ "created", "CREATED", OUT_TIME },
};

static int
cmd_snapshot_ls_exec(struct cmd_ctx *ctx)
{
	struct machine_snapshot	*list;
	struct out_table	*t;
	int			 n, i;

	machine_snapshot_list(&list, &n);
	t = out_table_new(cmd_snapshot_ls_cols, nitems(cmd_snapshot_ls_cols));
	for (i = 0; i < n; i++) {
		out_table_row(t);
		out_cell_str(t, "name", list[i].name);
		out_cell_str(t, "runtime", list[i].runtime);
		out_cell_int(t, "memory_mb", list[i].guest_mb);
		out_cell_int(t, "vcpus", list[i].vcpus);
		out_cell_num(t, "size_mb", list[i].size / 1048576.0);
		out_cell_int(t, "save_ms", list[i].save_ms);
		out_cell_time(t, "created", list[i].created);
	}
	out_show(ctx, t, 0);
	out_table_free(t);
	free(list);
	return CMD_OK;
}

const struct cmd_entry cmd_snapshot_ls_entry = {
	.name = "vm snapshot ls",
	.alias = "vm snapshot list",
	.min_args = 0, .max_args = 0,
	.help = "list saved microVMs that new VMs restore from",
	.example = "hearth vm snapshot ls -q",
	.flags = CMD_F_STORE | CMD_F_OUTPUT | CMD_F_LIST,
	.exec = cmd_snapshot_ls_exec,
};

static int
cmd_snapshot_rm_one(struct cmd_ctx *ctx, const char *name, char **cause)
{
	return machine_snapshot_delete(name, cause);
}

static int
cmd_snapshot_rm_exec(struct cmd_ctx *ctx)
{
	struct machine_snapshot	*list;
	char			*cause = NULL;
	int			 i, n;

	if (cmd_flag(ctx, "all")) {
		if (ctx->argc > 0)
			return cmd_error(ctx, CMD_USAGE, "vm snapshot rm: give names "
			    "or --all, not both");
		machine_snapshot_list(&list, &n);
		for (i = 0; i < n; i++)
			if (machine_snapshot_delete(list[i].name, &cause) != 0)
				free(cause);
		free(list);
		out_line(ctx, "removed %d snapshot%s", n, n == 1 ? "" : "s");
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
	.usage = "[NAME...]",
	.help = "remove saved microVMs (the next VM boots and saves anew)",
	.example = "hearth vm snapshot rm --all",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.exec = cmd_snapshot_rm_exec,
};
