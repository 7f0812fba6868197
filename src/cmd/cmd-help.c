/*
 * cmd-help.c — help, version, shell, console: commands about hearth itself.
 *
 * Help is generated from the command table (cmd.c), so every command's
 * usage, options and paragraph are written once, beside its entry.  shell
 * and console start the other front ends from any of them (not from
 * inside the shell), sharing the caller's run_env and so its store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

/* Append e's help to b: usage, one-line help, alias, options, paragraph. */
static void
cmd_help_one(const struct cmd_entry *e, struct buf *b)
{
	const struct cmd_opt	*o;
	char			*l;

	buf_addstr(b, "usage: ");
	cmd_usage(e, b);
	buf_printf(b, "\n%s\n", e->help);
	if (e->alias != NULL)
		buf_printf(b, "alias: %s\n", e->alias);
	if (e->opts != NULL && e->opts[0].name != NULL) {
		buf_addstr(b, "\noptions:\n");
		for (o = e->opts; o->name != NULL; o++) {
			l = o->type == OPT_FLAG ? xasprintf("--%s", o->name) :
			    xasprintf("--%s %s", o->name, o->arg);
			if (o->short_name != 0)
				buf_printf(b, "  -%c, %-20s %s\n", o->short_name, l,
				    o->help);
			else
				buf_printf(b, "      %-20s %s\n", l, o->help);
			free(l);
		}
	}
	if (e->long_help != NULL)
		buf_printf(b, "\n%s\n", e->long_help);
}

static int
cmd_help_exec(struct cmd_ctx *ctx)
{
	const struct cmd_entry	*e;
	struct buf		 b = { 0 };
	int			 used;

	if (ctx->argc == 0)
		cmd_help_all(&b);
	else {
		e = cmd_find(ctx->argc, ctx->argv, &used);
		if (e == NULL || used != ctx->argc)
			return cmd_error(ctx, CMD_USAGE, "no command '%s'",
			    ctx->argv[0]);
		cmd_help_one(e, &b);
	}
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
	.exec = cmd_help_exec,
};

static int
cmd_version_exec(struct cmd_ctx *ctx)
{
	out_line(ctx, "hearth %s", HEARTH_VERSION);
	return CMD_OK;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.min_args = 0, .max_args = 0,
	.help = "print hearth's version",
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
	.exec = cmd_console_exec,
};
