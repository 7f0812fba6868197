/*
 * cmd-help.c — help, version, shell, console: commands about hearth itself.
 *
 * Help is generated from the command table (cmd.c's cmd_help), so every
 * command's usage, options, paragraph and example are written once,
 * beside its entry; a group ("fn") lists its commands.  shell
 * and console start the other front ends from any of them (not from
 * inside the shell), sharing the caller's run_env and so its store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

static int
cmd_help_exec(struct cmd_ctx *ctx)
{
	const struct cmd_entry	*e;
	struct buf		 b = { 0 };
	int			 used;

	if (ctx->argc == 0)
		cmd_help_all(&b);
	else if ((e = cmd_find(ctx->argc, ctx->argv, &used)) != NULL &&
	    used == ctx->argc)
		cmd_help(e, &b);
	else if (cmd_group(ctx->argc, ctx->argv) == ctx->argc)
		cmd_help_group(ctx->argc, ctx->argv, &b);
	else
		return cmd_fail(ctx, CMD_USAGE, cmd_unknown(ctx->argc, ctx->argv));
	out_text(ctx, b.data);
	buf_free(&b);
	return CMD_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.alias = "?",
	.min_args = 0, .max_args = -1,
	.usage = "[COMMAND]",
	.help = "list commands, or show one command's usage and options",
	.complete = COMPLETE_CMD,
	.example = "hearth help fn\nhearth help fn create",
	.exec = cmd_help_exec,
};

static const struct out_col cmd_version_cols[] = {
	{ "version", "Version", OUT_STR },
};

static int
cmd_version_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;

	if (ctx->format != OUT_JSON) {
		out_line(ctx, "hearth %s", HEARTH_VERSION);
		return CMD_OK;
	}
	t = out_table_new(cmd_version_cols, nitems(cmd_version_cols));
	out_table_row(t);
	out_cell_str(t, "version", HEARTH_VERSION);
	out_show(ctx, t, 1);
	out_table_free(t);
	return CMD_OK;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.min_args = 0, .max_args = 0,
	.help = "print hearth's version",
	.flags = CMD_F_OUTPUT,
	.example = "hearth version -o json",
	.exec = cmd_version_exec,
};

static int
cmd_shell_exec(struct cmd_ctx *ctx)
{
	if (ctx->run->in_shell)
		return cmd_error(ctx, CMD_ERROR, "already in the shell");
	return shell_main(ctx->run);
}

const struct cmd_entry cmd_shell_entry = {
	.name = "shell",
	.min_args = 0, .max_args = 0,
	.help = "start the interactive shell (history, tab completion)",
	.long_help = "Lines are split as a POSIX shell splits them: quote JSON "
	    "payloads ('{\"a\":1}').",
	.example = "hearth shell",
	.exec = cmd_shell_exec,
};

static int
cmd_console_exec(struct cmd_ctx *ctx)
{
	if (ctx->run->in_shell)
		return cmd_error(ctx, CMD_ERROR, "leave the shell to open the console");
	return console_main(ctx->run, cmd_flag(ctx, "readonly") ||
	    ctx->run->readonly);
}

static const struct cmd_opt cmd_console_opts[] = {
	{ "readonly", 'r', OPT_FLAG, NULL, "disable every key and command that changes state" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_console_entry = {
	.name = "console",
	.opts = cmd_console_opts,
	.min_args = 0, .max_args = 0,
	.help = "open the full-screen console (plain 'hearth' on a terminal)",
	.example = "hearth console --readonly",
	.exec = cmd_console_exec,
};
