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
 * everywhere.  The leading words of commands make groups ("fn", "vm
 * snapshot"): a group alone lists its commands (cmd_help_group), and
 * words that name nothing get the nearest command (cmd_unknown).  Help
 * (cmd_help) is the table printed in one format: a number option
 * (OPT_INT) has its bounds in the table, which cmd_parse enforces and
 * help shows, `def` is the default help shows, `required` puts an option
 * in the usage line, `values` and `complete` say what its value
 * completes to.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hearth.h"

extern const struct cmd_entry cmd_fn_create_entry, cmd_fn_update_entry,
    cmd_fn_ls_entry, cmd_fn_show_entry, cmd_fn_rm_entry,
    cmd_fn_invoke_entry, cmd_fn_logs_entry, cmd_fn_bench_entry,
    cmd_vm_ls_entry, cmd_vm_rm_entry, cmd_vm_pool_entry, cmd_image_ls_entry,
    cmd_help_entry, cmd_version_entry, cmd_shell_entry, cmd_complete_entry,
    cmd_console_entry, cmd_vm_inspect_entry, cmd_vm_console_entry,
    cmd_snapshot_ls_entry, cmd_snapshot_rm_entry, cmd_config_ls_entry,
    cmd_config_get_entry, cmd_config_set_entry, cmd_config_unset_entry,
    cmd_completion_entry;

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
	&cmd_completion_entry,
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
	long long	 n;
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
		if (o == -1 && (e->flags & CMD_F_LIST) &&
		    (strcmp(name, "q") == 0 || strcmp(name, "quiet") == 0) &&
		    val == NULL) {
			free(name);
			ctx->quiet = 1;
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
		if (e->opts[o].type != OPT_LIST && ctx->optc[o] > 0) {
			*cause = xasprintf("option --%s given twice", e->opts[o].name);
			return -1;
		}
		if (e->opts[o].type == OPT_INT && util_parse_int(val,
		    e->opts[o].min, e->opts[o].max, &n) != 0) {
			*cause = xasprintf("--%s '%s' must be a whole number from "
			    "%lld to %lld", e->opts[o].name, val, e->opts[o].min,
			    e->opts[o].max);
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

/*
 * The value of OPT_INT option name in *v, already checked against its
 * bounds by cmd_parse; returns 1, or 0 (and *v as it was) if not given.
 */
int
cmd_int(struct cmd_ctx *ctx, const char *name, long long *v)
{
	const char	*s = cmd_opt(ctx, name);

	if (s == NULL)
		return 0;
	if (util_parse_int(s, LLONG_MIN, LLONG_MAX, v) != 0)
		fatal("option --%s: '%s' passed cmd_parse", name, s);
	return 1;
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

/* Whether e takes options that are not required (shown as [options]). */
static int
cmd_has_optional(const struct cmd_entry *e)
{
	const struct cmd_opt	*o;

	for (o = e->opts; o != NULL && o->name != NULL; o++)
		if (!o->required)
			return 1;
	return (e->flags & (CMD_F_OUTPUT | CMD_F_LIST)) != 0;
}

/*
 * Append e's usage line to b: its words, its positional arguments, its
 * required options by long name, then [options] for the rest (as kubectl
 * writes it), so what must be given is what the line spells out.
 */
void
cmd_usage(const struct cmd_entry *e, struct buf *b)
{
	const struct cmd_opt	*o;

	buf_printf(b, "hearth %s", e->name);
	if (e->usage != NULL && *e->usage != '\0')
		buf_printf(b, " %s", e->usage);
	for (o = e->opts; o != NULL && o->name != NULL; o++)
		if (o->required)
			buf_printf(b, " --%s %s", o->name, o->arg);
	if (cmd_has_optional(e))
		buf_addstr(b, " [options]");
}

/*
 * Append one option line of help: short form, long form, text, then from
 * the table its bounds, its default and whether it is required or
 * repeatable, so the help says what cmd_parse enforces.
 */
static void
cmd_help_opt(struct buf *b, const struct cmd_opt *o)
{
	char	*l, *s;

	l = o->arg != NULL ? xasprintf("--%s %s", o->name, o->arg) :
	    xasprintf("--%s", o->name);
	s = o->short_name != 0 ? xasprintf("-%c,", o->short_name) : xstrdup("");
	buf_printf(b, "  %-3s %-22s %s", s, l, o->help);
	if (o->type == OPT_INT)
		buf_printf(b, ", %lld to %lld", o->min, o->max);
	if (o->def != NULL)
		buf_printf(b, " (default %s)", o->def);
	buf_printf(b, "%s%s\n", o->required ? " (required)" : "",
	    o->type == OPT_LIST ? " (repeatable)" : "");
	free(s);
	free(l);
}

/* The options every command (or every list, every printer) takes. */
static const struct cmd_opt cmd_opt_output = { "output", 'o', OPT_STRING,
    "FORMAT", "text or json", 0, "text json", .def = "text" };
static const struct cmd_opt cmd_opt_quiet = { "quiet", 'q', OPT_FLAG, NULL,
    "print only the first column (names or ids), one a line" };
static const struct cmd_opt cmd_opt_help = { "help", 'h', OPT_FLAG, NULL,
    "print this help" };

/* Append each line of text to b, indented by two spaces. */
static void
cmd_help_indent(struct buf *b, const char *text)
{
	const char	*p = text, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		buf_printf(b, "  %.*s\n", nl != NULL ? (int)(nl - p) : (int)strlen(p), p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/*
 * Append e's help to b, every command's in one format: usage line, the
 * one-line help, alias, every option with its short form (bounds and
 * default in its text), the paragraph, an example.
 */
void
cmd_help(const struct cmd_entry *e, struct buf *b)
{
	const struct cmd_opt	*o;

	buf_addstr(b, "usage: ");
	cmd_usage(e, b);
	buf_printf(b, "\n%s\n", e->help);
	if (e->alias != NULL)
		buf_printf(b, "alias: %s\n", e->alias);
	buf_addstr(b, "\nOptions:\n");
	for (o = e->opts; o != NULL && o->name != NULL; o++)
		cmd_help_opt(b, o);
	if (e->flags & CMD_F_OUTPUT)
		cmd_help_opt(b, &cmd_opt_output);
	if (e->flags & CMD_F_LIST)
		cmd_help_opt(b, &cmd_opt_quiet);
	cmd_help_opt(b, &cmd_opt_help);
	if (e->long_help != NULL)
		buf_printf(b, "\n%s\n", e->long_help);
	if (e->example != NULL) {
		buf_addstr(b, "\nExample:\n");
		cmd_help_indent(b, e->example);
	}
}

/* Split a command's name or alias into words; NULL-terminated, or NULL. */
static char **
cmd_words(const char *name, int *n)
{
	char	**w, *cause = NULL;

	if (name == NULL || util_split(name, n, &w, &cause) != 0) {
		free(cause);
		return NULL;
	}
	return w;
}

/* Whether the first n words of argv are the first n of name (and name has more). */
static int
cmd_prefix_of(const char *name, int n, char **argv)
{
	char	**w;
	int	  nw, i, ok;

	if ((w = cmd_words(name, &nw)) == NULL)
		return 0;
	ok = nw > n;
	for (i = 0; ok && i < n; i++)
		ok = strcmp(w[i], argv[i]) == 0;
	util_free_argv(nw, w);
	return ok;
}

/*
 * How many leading words of argv name a group (words that begin commands
 * but are not one: "fn", "vm snapshot"), the longest; 0 for none.
 */
int
cmd_group(int argc, char **argv)
{
	const struct cmd_entry	**e;
	int			  n, best = 0;

	for (n = 1; n <= argc; n++)
		for (e = cmd_table; *e != NULL; e++)
			if (cmd_prefix_of((*e)->name, n, argv) ||
			    cmd_prefix_of((*e)->alias, n, argv)) {
				best = n;
				break;
			}
	return best;
}

/* Append the commands of the group argv names (its argc words) to b. */
void
cmd_help_group(int argc, char **argv, struct buf *b)
{
	const struct cmd_entry	**e;
	struct buf		  g = { 0 };
	int			  i;

	for (i = 0; i < argc; i++)
		buf_printf(&g, "%s%s", i > 0 ? " " : "", argv[i]);
	buf_printf(b, "usage: hearth %s COMMAND [ARGS]\n\nCommands:\n", g.data);
	for (e = cmd_table; *e != NULL; e++)
		if (cmd_prefix_of((*e)->name, argc, argv) ||
		    cmd_prefix_of((*e)->alias, argc, argv))
			buf_printf(b, "  %-18s %s\n", (*e)->name, (*e)->help);
	buf_printf(b, "\nRun 'hearth %s COMMAND --help' for a command's "
	    "options.\n", g.data);
	buf_free(&g);
}

/* The edit distance of a and b (adjacent swaps count one), at most 99. */
static int
cmd_distance(const char *a, const char *b)
{
	int	d[32][32], la = strlen(a), lb = strlen(b), i, j, c;

	if (la > 30 || lb > 30)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			c = a[i - 1] != b[j - 1];
			d[i][j] = d[i - 1][j - 1] + c;
			if (d[i - 1][j] + 1 < d[i][j])
				d[i][j] = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < d[i][j])
				d[i][j] = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	return d[la][lb];
}

/*
 * The error for argv, which names no command: "unknown command 'fn lss'"
 * with the nearest command of its group when one is close (as git
 * does: at most two edits, fewer than the word has letters, or a prefix
 * of one), else where to look.  The caller frees it.
 */
char *
cmd_unknown(int argc, char **argv)
{
	const struct cmd_entry	**e;
	struct buf		  typed = { 0 }, near = { 0 };
	char			**w, *s;
	int			  g, i, k, nw, d, best = 99;

	g = cmd_group(argc, argv);
	for (i = 0; i <= g && i < argc; i++)
		buf_printf(&typed, "%s%s", i > 0 ? " " : "", argv[i]);
	for (e = cmd_table; g < argc && *e != NULL; e++) {
		const char *names[2] = { (*e)->name, (*e)->alias };

		for (k = 0; k < 2; k++) {
			if ((w = cmd_words(names[k], &nw)) == NULL)
				continue;
			if (nw > g && (g == 0 || cmd_prefix_of(names[k], g, argv))) {
				d = cmd_distance(argv[g], w[g]);
				if (strncmp(w[g], argv[g], strlen(argv[g])) == 0)
					d = 1;
				if (d < best && d <= 2 && d < (int)strlen(argv[g])) {
					best = d;
					near.len = 0;
					for (i = 0; i <= g; i++)
						buf_printf(&near, "%s%s", i > 0 ? " " : "",
						    w[i]);
				}
			}
			util_free_argv(nw, w);
		}
	}
	if (best < 99)
		s = xasprintf("unknown command '%s' (did you mean '%s'?)",
		    typed.data, near.data);
	else if (g > 0) {
		typed.len = 0;
		for (i = 0; i < g; i++)
			buf_printf(&typed, "%s%s", i > 0 ? " " : "", argv[i]);
		s = xasprintf("unknown command '%s %s' (try 'help %s')",
		    typed.data, argv[g], typed.data);
	} else
		s = xasprintf("unknown command '%s' (try 'help')", typed.data);
	buf_free(&typed);
	buf_free(&near);
	return s;
}

/*
 * Parse a --since value into *when (epoch s): a duration back from now
 * (30s, 10m, 2h, 1d, or a sum such as 1h30m, as docker and kubectl take
 * it) or an RFC 3339 time (2026-12-01T07:12:16Z, fractions and offsets
 * allowed).  Returns -1 with *cause for anything else.
 */
int
cmd_since(const char *s, double now, double *when, char **cause)
{
	const char	*p = s;
	char		*end;
	double		 n, total = 0, frac = 0;
	struct tm	 tm;
	int		 off = 0, oh, om, parts = 0;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (end != NULL) {
		if (*end == '.') {
			frac = strtod(end, &end);
		}
		if (*end == 'Z' || *end == 'z')
			end++;
		else if ((*end == '+' || *end == '-') && isdigit((unsigned char)end[1]) &&
		    sscanf(end + 1, "%2d:%2d", &oh, &om) == 2 && strlen(end) == 6) {
			off = (oh * 3600 + om * 60) * (*end == '+' ? 1 : -1);
			end += 6;
		} else
			goto bad;
		if (*end != '\0')
			goto bad;
		*when = (double)timegm(&tm) + frac - off;
		return 0;
	}
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p) && *p != '.')
			goto bad;
		n = strtod(p, &end);
		if (end == p)
			goto bad;
		switch (*end) {
		case 's': total += n; break;
		case 'm': total += n * 60; break;
		case 'h': total += n * 3600; break;
		case 'd': total += n * 86400; break;
		default: goto bad;
		}
		p = end + 1;
		parts++;
	}
	if (parts == 0)
		goto bad;
	*when = now - total;
	return 0;
bad:
	*cause = xasprintf("--since '%s': give a duration (30s, 10m, 2h, 1d) "
	    "or an RFC 3339 time (2026-12-01T07:12:16Z)", s);
	return -1;
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
	    "for details ('hearth fn' lists a group).\nGlobal: -f FILE runs a "
	    "batch file (-k keeps going), -o json for lists.\n");
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
		} else if (ctx->format != OUT_JSON)
			out_line(ctx, "removed %s", ctx->argv[i]);
	}
	return rc;
}
