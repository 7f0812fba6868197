/*
 * cmd.c — the command table and argument parsing.
 *
 * Every operation hearth offers is one const cmd_entry, defined in the
 * cmd/cmd-*.c file named for it (`complete` in complete.c) and listed
 * once in cmd_table below.  A command is named by one or more words ("fn
 * create"); its options are a small table of long names, short letters
 * and types.  Every front end (argv, shell, batch files, the console
 * prompt) splits a line into words, finds the entry here and calls
 * cmd_parse, so parsing, help, usage and completion behave the same
 * everywhere.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

extern const struct cmd_entry cmd_fn_create_entry, cmd_fn_update_entry,
    cmd_fn_ls_entry, cmd_fn_show_entry, cmd_fn_rm_entry,
    cmd_fn_invoke_entry, cmd_fn_logs_entry, cmd_fn_bench_entry,
    cmd_vm_ls_entry, cmd_vm_rm_entry, cmd_vm_pool_entry, cmd_image_ls_entry,
    cmd_help_entry, cmd_version_entry, cmd_shell_entry, cmd_complete_entry,
    cmd_console_entry, cmd_vm_inspect_entry, cmd_vm_console_entry,
    cmd_snapshot_ls_entry, cmd_snapshot_rm_entry, cmd_config_ls_entry,
    cmd_config_get_entry, cmd_config_set_entry, cmd_config_unset_entry;

const struct cmd_entry *cmd_table[] = {
	&cmd_fn_create_entry,
	&cmd_fn_update_entry,
	&cmd_fn_ls_entry,
	&cmd_fn_show_entry,
	&cmd_fn_rm_entry,
	&cmd_fn_invoke_entry,
	&cmd_fn_logs_entry,
	&cmd_fn_bench_entry,
	&cmd_vm_ls_entry,
	&cmd_vm_rm_entry,
	&cmd_vm_pool_entry,
	&cmd_vm_inspect_entry,
	&cmd_vm_console_entry,
	&cmd_snapshot_ls_entry,
	&cmd_snapshot_rm_entry,
	&cmd_image_ls_entry,
	&cmd_config_ls_entry,
	&cmd_config_get_entry,
	&cmd_config_set_entry,
	&cmd_config_unset_entry,
	&cmd_help_entry,
	&cmd_version_entry,
	&cmd_shell_entry,
	&cmd_console_entry,
	&cmd_complete_entry,
	NULL
};

/* Count how many of argv's words match the command words in name. */
static int
cmd_match_words(const char *name, int argc, char **argv)
{
	const char	*p = name, *sp;
	size_t		 len;
	int		 i = 0;

	while (*p != '\0') {
		sp = strchr(p, ' ');
		len = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (i >= argc || strlen(argv[i]) != len ||
		    strncmp(argv[i], p, len) != 0)
			return 0;
		i++;
		p += len;
		while (*p == ' ')
			p++;
	}
	return i;
}

/* Find the command that argv starts with; *used is how many words it took. */
const struct cmd_entry *
cmd_find(int argc, char **argv, int *used)
{
	const struct cmd_entry	**e, *best = NULL;
	int			  n, most = 0;

	for (e = cmd_table; *e != NULL; e++) {
		n = cmd_match_words((*e)->name, argc, argv);
		if ((*e)->alias != NULL && n == 0)
			n = cmd_match_words((*e)->alias, argc, argv);
		if (n > most) {
			most = n;
			best = *e;
		}
	}
	*used = most;
	return best;
}

static int
cmd_opt_index(const struct cmd_entry *e, const char *name, char short_name)
{
	int	i;

	for (i = 0; e->opts != NULL && e->opts[i].name != NULL; i++) {
		if (name != NULL && strcmp(e->opts[i].name, name) == 0)
			return i;
		if (name == NULL && short_name != 0 &&
		    e->opts[i].short_name == short_name)
			return i;
	}
	return -1;
}

static void
cmd_ctx_addopt(struct cmd_ctx *ctx, int i, const char *v)
{
	int	n = ctx->optc[i];

	ctx->optv[i] = xrealloc(ctx->optv[i], sizeof *ctx->optv[i] * (n + 2));
	ctx->optv[i][n] = xstrdup(v);
	ctx->optv[i][n + 1] = NULL;
	ctx->optc[i] = n + 1;
}

/*
 * Parse argv (the words after the command name) into ctx.  Options are
 * --name VALUE, --name=VALUE, -x VALUE, flags --name or -x; -o/--output
 * for commands that print tables; -- ends options.  Returns -1 with
 * *cause set for a usage error.
 */
int
cmd_parse(const struct cmd_entry *e, int argc, char **argv,
    struct cmd_ctx *ctx, char **cause)
{
	const char	*arg, *val, *eq;
	char		*name;
	int		 i, o, dashdash = 0;

	ctx->entry = e;
	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (dashdash || arg[0] != '-' || arg[1] == '\0') {
			ctx->argv = xrealloc(ctx->argv, sizeof *ctx->argv * (ctx->argc + 2));
			ctx->argv[ctx->argc++] = xstrdup(arg);
			ctx->argv[ctx->argc] = NULL;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			dashdash = 1;
			continue;
		}
		val = NULL;
		if (arg[1] == '-') {
			eq = strchr(arg + 2, '=');
			name = eq != NULL ? xstrndup(arg + 2, eq - arg - 2) : xstrdup(arg + 2);
			if (eq != NULL)
				val = eq + 1;
			o = cmd_opt_index(e, name, 0);
		} else {
			name = xasprintf("%c", arg[1]);
			o = cmd_opt_index(e, NULL, arg[1]);
			if (arg[2] != '\0')
				val = arg + 2;
		}
		if (o == -1 && (e->flags & CMD_F_OUTPUT) &&
		    (strcmp(name, "o") == 0 || strcmp(name, "output") == 0)) {
			free(name);
			if (val == NULL && ++i >= argc) {
				*cause = xstrdup("option -o needs a value: text or json");
				return -1;
			}
			if (val == NULL)
				val = argv[i];
			if (strcmp(val, "json") == 0)
				ctx->format = OUT_JSON;
			else if (strcmp(val, "text") == 0 || strcmp(val, "table") == 0)
				ctx->format = OUT_TEXT;
			else {
				*cause = xasprintf("unknown output format '%s' "
				    "(want text or json)", val);
				return -1;
			}
			continue;
		}
		if (o == -1) {
			*cause = xasprintf("unknown option '%s' for '%s'", arg, e->name);
			free(name);
			return -1;
		}
		free(name);
		if (e->opts[o].type == OPT_FLAG) {
			if (val != NULL) {
				*cause = xasprintf("option --%s takes no value",
				    e->opts[o].name);
				return -1;
			}
			ctx->optc[o]++;
			continue;
		}
		if (val == NULL) {
			if (++i >= argc) {
				*cause = xasprintf("option --%s needs a value (%s)",
				    e->opts[o].name, e->opts[o].arg);
				return -1;
			}
			val = argv[i];
		}
		if (e->opts[o].type == OPT_STRING && ctx->optc[o] > 0) {
			*cause = xasprintf("option --%s given twice", e->opts[o].name);
			return -1;
		}
		cmd_ctx_addopt(ctx, o, val);
	}
	if (ctx->argc < e->min_args || (e->max_args >= 0 && ctx->argc > e->max_args)) {
		struct buf b = { 0 };

		cmd_usage(e, &b);
		if (ctx->argc < e->min_args)
			*cause = xasprintf("missing argument; usage: %s", b.data);
		else
			*cause = xasprintf("too many arguments; usage: %s", b.data);
		buf_free(&b);
		return -1;
	}
	return 0;
}

void
cmd_ctx_free(struct cmd_ctx *ctx)
{
	int	i, j;

	for (i = 0; i < ctx->argc; i++)
		free(ctx->argv[i]);
	free(ctx->argv);
	for (i = 0; i < CMD_MAX_OPTS; i++) {
		for (j = 0; j < ctx->optc[i] && ctx->optv[i] != NULL; j++)
			free(ctx->optv[i][j]);
		free(ctx->optv[i]);
	}
	free(ctx->cause);
	memset(ctx, 0, sizeof *ctx);
}

/* Return the last value of option name, or NULL if not given. */
const char *
cmd_opt(struct cmd_ctx *ctx, const char *name)
{
	int	o = cmd_opt_index(ctx->entry, name, 0);

	if (o == -1)
		fatal("command %s has no option %s", ctx->entry->name, name);
	if (ctx->optc[o] == 0 || ctx->optv[o] == NULL)
		return NULL;
	return ctx->optv[o][ctx->optc[o] - 1];
}

int
cmd_flag(struct cmd_ctx *ctx, const char *name)
{
	int	o = cmd_opt_index(ctx->entry, name, 0);

	if (o == -1)
		fatal("command %s has no option %s", ctx->entry->name, name);
	return ctx->optc[o];
}

char **
cmd_optlist(struct cmd_ctx *ctx, const char *name, int *n)
{
	int	o = cmd_opt_index(ctx->entry, name, 0);

	if (o == -1)
		fatal("command %s has no option %s", ctx->entry->name, name);
	*n = ctx->optc[o];
	return ctx->optv[o];
}

/* Set the command's error text and return rc, for `return cmd_error(...)`. */
int
cmd_error(struct cmd_ctx *ctx, int rc, const char *fmt, ...)
{
	va_list	ap;

	free(ctx->cause);
	va_start(ap, fmt);
	ctx->cause = xvasprintf(fmt, ap);
	va_end(ap);
	return rc;
}

/* Set the command's error to cause, taking ownership of it; return rc. */
int
cmd_fail(struct cmd_ctx *ctx, int rc, char *cause)
{
	free(ctx->cause);
	ctx->cause = cause != NULL ? cause : xstrdup("failed");
	return rc;
}

/* Append e's usage line to b. */
void
cmd_usage(const struct cmd_entry *e, struct buf *b)
{
	const struct cmd_opt	*o;

	buf_printf(b, "hearth %s", e->name);
	if (e->usage != NULL && *e->usage != '\0')
		buf_printf(b, " %s", e->usage);
	for (o = e->opts; o != NULL && o->name != NULL; o++) {
		if (o->type == OPT_FLAG)
			buf_printf(b, " [--%s]", o->name);
		else
			buf_printf(b, " [--%s %s]%s", o->name, o->arg,
			    o->type == OPT_LIST ? "..." : "");
	}
	if (e->flags & CMD_F_OUTPUT)
		buf_addstr(b, " [-o json]");
}

/* Append the list of all commands with their one-line help to b. */
void
cmd_help_all(struct buf *b)
{
	const struct cmd_entry	**e;

	buf_addstr(b, "hearth — functions and containers in sandboxes and microVMs\n\n"
	    "Commands:\n");
	for (e = cmd_table; *e != NULL; e++)
		buf_printf(b, "  %-14s %s\n", (*e)->name, (*e)->help);
	buf_addstr(b, "\nRun 'hearth help COMMAND' or 'hearth COMMAND --help' "
	    "for details.\nGlobal: -f FILE runs a batch file (-k keeps going), "
	    "-o json for lists.\n");
}

/*
 * For rm-style commands: rm each positional argument, printing "removed
 * X" for each that went and one error line for each that did not, as it
 * happens.  The errors are reported here, so the command returns
 * CMD_ERROR with no cause left for run.c to print again.
 */
int
cmd_remove_each(struct cmd_ctx *ctx, int (*rm)(struct cmd_ctx *, const char *,
    char **))
{
	char	*cause;
	int	 i, rc = CMD_OK;

	for (i = 0; i < ctx->argc; i++) {
		cause = NULL;
		if (rm(ctx, ctx->argv[i], &cause) != 0) {
			out_error(ctx, "%s", cause != NULL ? cause : "failed");
			free(cause);
			rc = CMD_ERROR;
		} else
			out_line(ctx, "removed %s", ctx->argv[i]);
	}
	return rc;
}
