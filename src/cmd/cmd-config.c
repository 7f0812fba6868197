/*
 * cmd-config.c — config ls, get, set, unset: the settings in config.c.
 *
 * A setting is a known key with a default, overridden by a `set KEY
 * VALUE` line in $HEARTH_HOME/config and, where the key has one, by an
 * environment variable.  The manager (core/config.c) knows the keys,
 * checks values and rewrites the file; these commands only name the key,
 * and a key or value it refuses is a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

static const struct out_col cmd_config_ls_cols[] = {
	{ "key", "KEY", OUT_STR },
	{ "value", "VALUE", OUT_STR },
	{ "source", "SOURCE", OUT_STR },
	{ "help", "DESCRIPTION", OUT_STR },
};

static int
cmd_config_ls_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;
	const char		*key, *help, *from, *v;
	char			*cause = NULL;
	int			 i;

	if (config_load(&cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	t = out_table_new(cmd_config_ls_cols, nitems(cmd_config_ls_cols));
	for (i = 0; (key = config_key(i, &help)) != NULL; i++) {
		v = config_get_from(key, &from);
		out_table_row(t);
		out_cell_str(t, "key", key);
		out_cell_str(t, "value", v);
		out_cell_str(t, "source", from);
		out_cell_str(t, "help", help);
	}
	out_show(ctx, t, 0);
	out_table_free(t);
	return CMD_OK;
}

const struct cmd_entry cmd_config_ls_entry = {
	.name = "config ls",
	.alias = "config list",
	.min_args = 0, .max_args = 0,
	.help = "list settings with their values and where each comes from",
	.long_help = "Settings are 'set KEY VALUE' lines in $HEARTH_HOME/config "
	    "(the console's\n'bind' lines live there too).  An environment "
	    "variable, where a setting has\none, wins over the file.",
	.example = "hearth config ls -q",
	.flags = CMD_F_OUTPUT | CMD_F_LIST,
	.exec = cmd_config_ls_exec,
};

static int
cmd_config_get_exec(struct cmd_ctx *ctx)
{
	char	*cause = NULL;

	if (config_check(ctx->argv[0], NULL, &cause) != 0)
		return cmd_fail(ctx, CMD_USAGE, cause);
	if (config_load(&cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	out_line(ctx, "%s", config_get(ctx->argv[0]));
	return CMD_OK;
}

const struct cmd_entry cmd_config_get_entry = {
	.name = "config get",
	.min_args = 1, .max_args = 1,
	.usage = "KEY",
	.help = "print one setting's value",
	.example = "hearth config get pool.size",
	.complete = COMPLETE_CONFIG,
	.exec = cmd_config_get_exec,
};

static int
cmd_config_set_exec(struct cmd_ctx *ctx)
{
	char	*cause = NULL;

	if (config_check(ctx->argv[0], ctx->argv[1], &cause) != 0)
		return cmd_fail(ctx, CMD_USAGE, cause);
	if (config_write(ctx->argv[0], ctx->argv[1], &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	return CMD_OK;
}

const struct cmd_entry cmd_config_set_entry = {
	.name = "config set",
	.min_args = 2, .max_args = 2,
	.usage = "KEY VALUE",
	.help = "change a setting in the config file",
	.example = "hearth config set pool.size 2",
	.complete = COMPLETE_CONFIG,
	.flags = CMD_F_MUTATES,
	.exec = cmd_config_set_exec,
};

static int
cmd_config_unset_exec(struct cmd_ctx *ctx)
{
	char	*cause = NULL;

	if (config_check(ctx->argv[0], NULL, &cause) != 0)
		return cmd_fail(ctx, CMD_USAGE, cause);
	if (config_write(ctx->argv[0], NULL, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	return CMD_OK;
}

const struct cmd_entry cmd_config_unset_entry = {
	.name = "config unset",
	.min_args = 1, .max_args = 1,
	.usage = "KEY",
	.help = "remove a setting from the config file (back to its default)",
	.example = "hearth config unset pool.size",
	.complete = COMPLETE_CONFIG,
	.flags = CMD_F_MUTATES,
	.exec = cmd_config_unset_exec,
};
