/*
 * cmd-help.c — help, version, shell, console: commands about hearth itself.
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

	if (ctx->argc == 0) {
		cmd_help_all(&b);
		fputs(b.data, ctx->out);
		buf_free(&b);
		return CMD_OK;
	}
	e = cmd_find(ctx->argc, ctx->argv, &used);
	if (e == NULL || used != ctx->argc) {
		return cmd_error(ctx, CMD_USAGE, "no command '%s'",
		    ctx->argv[0]);
	}
	cmd_usage(e, &b);
	fprintf(ctx->out, "usage: %s\n%s\n", b.data, e->help);
	if (e->alias != NULL)
		fprintf(ctx->out, "alias: %s\n", e->alias);
	if (e->opts != NULL && e->opts[0].name != NULL) {
		const struct cmd_opt *o;

		fputs("\noptions:\n", ctx->out);
		for (o = e->opts; o->name != NULL; o++) {
			char *l = o->type == OPT_FLAG ? xasprintf("--%s", o->name) :
			    xasprintf("--%s %s", o->name, o->arg);

			if (o->short_name != 0)
				fprintf(ctx->out, "  -%c, %-20s %s\n", o->short_name, l, o->help);
			else
				fprintf(ctx->out, "      %-20s %s\n", l, o->help);
			free(l);
		}
	}
	if (e->long_help != NULL)
		fprintf(ctx->out, "\n%s\n", e->long_help);
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
	fprintf(ctx->out, "hearth %s\n", HEARTH_VERSION);
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
