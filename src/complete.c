/*
 * complete.c — completion candidates from the command table.
 *
 * Given the words typed before the cursor and the partial word under it,
 * list what could come next, reading the line as cmd_parse would: the
 * command words first (a group's commands after "fn"), then, once a
 * command is named, its options (when the word starts with -), the
 * values of the option just typed (--runtime: python3 node, --driver: ns
 * qemu auto, a function's name where one is expected), or its positional
 * arguments (function names, instance ids, setting keys) while it takes
 * more.  The readline shell, the console's ':' prompt and the `complete`
 * command (which the bash, zsh and fish scripts call, and which
 * `completion SHELL` prints, both defined here) share this, so every
 * front end completes the same way and a new command or option completes
 * without new code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

struct complete_set {
	char	**v;		/* candidates, unique, NULL-terminated */
	char	**d;		/* each one's description ("" for none) */
	int	  n;		/* how many */
};

/* Add s (described by desc, or NULL) if it starts with prefix. */
static void
complete_add(struct complete_set *set, const char *s, const char *desc,
    const char *prefix)
{
	int	i;

	if (strncmp(s, prefix, strlen(prefix)) != 0)
		return;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i], s) == 0)
			return;
	set->v = xrealloc(set->v, sizeof *set->v * (set->n + 2));
	set->d = xrealloc(set->d, sizeof *set->d * (set->n + 2));
	set->d[set->n] = xstrdup(desc != NULL ? desc : "");
	set->v[set->n++] = xstrdup(s);
	set->v[set->n] = NULL;
	set->d[set->n] = NULL;
}

/* Add names of kind from the store (function names, instance ids, keys). */
static void
complete_names(struct complete_set *set, struct store *st,
    enum cmd_complete kind, const char *prefix, const char *desc)
{
	const char	*key, *help;
	char		**names;
	int		  i;

	if (kind == COMPLETE_CONFIG) {
		for (i = 0; (key = config_key(i, &help)) != NULL; i++)
			complete_add(set, key, help, prefix);
		return;
	}
	if (st == NULL || (kind != COMPLETE_FN && kind != COMPLETE_VM))
		return;
	names = list_names(st, kind == COMPLETE_FN ? LIST_FN_NAMES :
	    LIST_INST_IDS);
	for (i = 0; names[i] != NULL; i++) {
		complete_add(set, names[i], desc, prefix);
		free(names[i]);
	}
	free(names);
}

/* Add the next word of every command whose first argc words match argv. */
static void
complete_command_words(struct complete_set *set, int argc, char **argv,
    const char *text)
{
	const struct cmd_entry	**e;
	char			**w, *cause = NULL;
	int			  i, nw, k;

	for (e = cmd_table; *e != NULL; e++) {
		const char *names[2] = { (*e)->name, (*e)->alias };

		for (i = 0; i < 2; i++) {
			if (names[i] == NULL || util_split(names[i], &nw, &w, &cause) != 0)
				continue;
			for (k = 0; k < argc && k < nw && strcmp(w[k], argv[k]) == 0; k++)
				;
			/* The last word describes the command; a group word, its group. */
			if (k == argc && nw > argc)
				complete_add(set, w[argc], nw == argc + 1 ?
				    (*e)->help : "(group)", text);
			util_free_argv(nw, w);
		}
	}
}

/* The option of e that word (--name, -x) names, or NULL. */
static const struct cmd_opt *
complete_opt(const struct cmd_entry *e, const char *word)
{
	const struct cmd_opt	*o;

	for (o = e->opts; o != NULL && o->name != NULL; o++) {
		if (word[1] == '-' && strcmp(word + 2, o->name) == 0)
			return o;
		if (word[1] != '-' && word[2] == '\0' && o->short_name == word[1])
			return o;
	}
	return NULL;
}

/* Add the values option o (or -o, when o is NULL) takes, each prefixed. */
static void
complete_values(struct complete_set *set, struct store *st,
    const struct cmd_opt *o, const char *before, const char *text)
{
	struct complete_set	 vals = { NULL, NULL, 0 };
	char			**w, *cause = NULL, *s;
	int			  nw, i;

	if (o == NULL) {
		complete_add(&vals, "text", NULL, text);
		complete_add(&vals, "json", NULL, text);
	} else if (o->values != NULL && util_split(o->values, &nw, &w,
	    &cause) == 0) {
		for (i = 0; i < nw; i++)
			complete_add(&vals, w[i], NULL, text);
		util_free_argv(nw, w);
	} else if (o->complete != COMPLETE_NONE)
		complete_names(&vals, st, o->complete, text, NULL);
	free(cause);
	for (i = 0; i < vals.n; i++) {
		s = xasprintf("%s%s", before, vals.v[i]);
		complete_add(set, s, NULL, "");
		free(s);
	}
	util_free_argv(vals.n, vals.v);
	util_free_argv(vals.n, vals.d);
}

/*
 * Complete text, a word of command e's arguments after the words args
 * (argc of them): what cmd_parse would take there.
 */
static void
complete_args(struct complete_set *set, struct store *st,
    const struct cmd_entry *e, int argc, char **args, const char *text)
{
	const struct cmd_opt	*o, *want = NULL;
	const char		*eq;
	char			*s;
	int			 i, npos = 0, dashdash = 0, out_value = 0;

	/* Walk the words as cmd_parse does: options, their values, the rest. */
	for (i = 0; i < argc; i++) {
		want = NULL;
		out_value = 0;
		if (dashdash || args[i][0] != '-' || args[i][1] == '\0') {
			npos++;
			continue;
		}
		if (strcmp(args[i], "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (strchr(args[i], '=') != NULL || (args[i][1] != '-' &&
		    args[i][2] != '\0'))
			continue;	/* the value is in the word */
		if ((o = complete_opt(e, args[i])) != NULL && o->type != OPT_FLAG) {
			want = o;
			i++;
			if (i == argc)
				break;
			want = NULL;
			continue;
		}
		if (o == NULL && (e->flags & CMD_F_OUTPUT) &&
		    (strcmp(args[i], "-o") == 0 || strcmp(args[i], "--output") == 0)) {
			if (++i == argc) {
				out_value = 1;
				break;
			}
		}
	}
	if (want != NULL || out_value) {
		complete_values(set, st, want, "", text);
		return;
	}
	if (!dashdash && text[0] == '-') {
		if (text[1] == '-' && (eq = strchr(text, '=')) != NULL) {
			s = xstrndup(text, eq + 1 - text);
			s[eq - text] = '\0';
			o = complete_opt(e, s);
			s[eq - text] = '=';
			if (o != NULL && o->type != OPT_FLAG)
				complete_values(set, st, o, s, eq + 1);
			else if (o == NULL && strcmp(s, "--output=") == 0 &&
			    (e->flags & CMD_F_OUTPUT))
				complete_values(set, st, NULL, s, eq + 1);
			free(s);
			return;
		}
		for (o = e->opts; o != NULL && o->name != NULL; o++) {
			s = xasprintf("--%s", o->name);
			complete_add(set, s, o->help, text);
			free(s);
		}
		if (e->flags & CMD_F_OUTPUT)
			complete_add(set, "--output", "text or json", text);
		if (e->flags & CMD_F_LIST)
			complete_add(set, "--quiet", "names or ids only", text);
		complete_add(set, "--help", "print this command's help", text);
		return;
	}
	if (e->max_args >= 0 && npos >= e->max_args)
		return;
	if (e->complete == COMPLETE_CMD)
		complete_command_words(set, npos, args, text);
	else if (npos == 0 || e->max_args == -1) {
		struct complete_set	names = { NULL, NULL, 0 };
		int			k;

		/* fn rm a b: a name already given is not offered again. */
		complete_names(&names, st, e->complete, text, NULL);
		for (i = 0; i < names.n; i++) {
			for (k = 0; k < argc && strcmp(args[k], names.v[i]) != 0; k++)
				;
			if (k == argc)
				complete_add(set, names.v[i], NULL, "");
		}
		util_free_argv(names.n, names.v);
		util_free_argv(names.n, names.d);
	}
}

/* Fill set with the candidates for text after the words argv. */
static void
complete_set_fill(struct complete_set *set, struct store *st, int argc,
    char **argv, const char *text)
{
	const struct cmd_entry	*found;
	int			 used;

	found = cmd_find(argc, argv, &used);
	if (found == NULL || argc == 0)
		complete_command_words(set, argc, argv, text);
	else
		complete_args(set, st, found, argc - used, argv + used, text);
}

/*
 * Return a NULL-terminated list of candidates for text, the word being
 * typed after the words in argv.  st may be NULL (no names completed).
 * The caller frees the list with util_free_argv.
 */
char **
complete_words(struct store *st, int argc, char **argv, const char *text,
    int *count)
{
	struct complete_set	set = { NULL, NULL, 0 };

	complete_set_fill(&set, st, argc, argv, text);
	util_free_argv(set.n, set.d);
	if (set.v == NULL)
		set.v = xcalloc(1, sizeof *set.v);
	*count = set.n;
	return set.v;
}

/*
 * As complete_words, each candidate followed by a tab and what it is
 * (a command's or an option's one-line help), for zsh and fish.
 */
char **
complete_describe(struct store *st, int argc, char **argv, const char *text,
    int *count)
{
	struct complete_set	set = { NULL, NULL, 0 };
	char			*s;
	int			 i;

	complete_set_fill(&set, st, argc, argv, text);
	for (i = 0; i < set.n; i++) {
		s = set.d[i][0] != '\0' ? xasprintf("%s\t%s", set.v[i], set.d[i]) :
		    xstrdup(set.v[i]);
		free(set.v[i]);
		set.v[i] = s;
	}
	util_free_argv(set.n, set.d);
	if (set.v == NULL)
		set.v = xcalloc(1, sizeof *set.v);
	*count = set.n;
	return set.v;
}

static int
cmd_complete_exec(struct cmd_ctx *ctx)
{
	char	**v;
	int	  n, i;

	/* The last word is the one being completed (maybe empty). */
	v = (cmd_flag(ctx, "describe") ? complete_describe : complete_words)(
	    ctx->store, ctx->argc > 0 ? ctx->argc - 1 : 0, ctx->argv,
	    ctx->argc > 0 ? ctx->argv[ctx->argc - 1] : "", &n);
	for (i = 0; i < n; i++)
		out_line(ctx, "%s", v[i]);
	util_free_argv(n, v);
	return CMD_OK;
}

static const struct cmd_opt cmd_complete_opts[] = {
	{ "describe", 0, OPT_FLAG, NULL, "follow each candidate with a tab and what it is" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_complete_entry = {
	.name = "complete",
	.opts = cmd_complete_opts,
	.min_args = 0, .max_args = -1,
	.usage = "-- WORD... PARTIAL",
	.help = "print completions for a partial command line (for shells)",
	.example = "hearth complete -- fn create hello --r",
	.flags = CMD_F_STORE,
	.exec = cmd_complete_exec,
};

/*
 * The completion scripts.  Each asks `hearth complete` for the words, so
 * every candidate comes from the command table and the store at the
 * moment Tab is pressed; completions/ holds what `completion SHELL`
 * prints (tests/integration/21-cli.sh checks they agree).
 */
static const char complete_bash[] =
"# bash completion for hearth, printed by `hearth completion bash`.\n"
"# Candidates come from `hearth complete`, which walks hearth's own\n"
"# command table (and its store for names), so this file never needs to\n"
"# change when commands do.\n"
"_hearth()\n"
"{\n"
"\t# bash splits words at COMP_WORDBREAKS too, so --driver=q arrives as\n"
"\t# --driver, =, q: glue back the pieces no blank separates in the line,\n"
"\t# as bash-completion's _get_comp_words_by_ref does (words as they\n"
"\t# are without a COMP_LINE, as when a test calls this).\n"
"\tlocal line=${COMP_LINE:0:COMP_POINT} w pre i\n"
"\tlocal -a words=()\n"
"\tfor ((i = 0; i <= COMP_CWORD; i++)); do\n"
"\t\tw=${COMP_WORDS[i]}\n"
"\t\tif ((i == 0)) || [[ -z ${COMP_LINE+set} || $line == [[:blank:]]* ]]; then\n"
"\t\t\twords+=(\"$w\")\n"
"\t\telse\n"
"\t\t\twords[${#words[@]}-1]+=$w\n"
"\t\tfi\n"
"\t\tline=${line#\"${line%%[![:blank:]]*}\"}\n"
"\t\tline=${line#\"$w\"}\n"
"\tdone\n"
"\tlocal cur=${words[${#words[@]}-1]}\n"
"\t# Readline replaces only what follows the last break character.\n"
"\tpre=\n"
"\tfor ((i = ${#cur}; i > 0; i--)); do\n"
"\t\tif [[ $COMP_WORDBREAKS == *\"${cur:i-1:1}\"* ]]; then\n"
"\t\t\tpre=${cur:0:i}\n"
"\t\t\tbreak\n"
"\t\tfi\n"
"\tdone\n"
"\tlocal IFS=$'\\n'\n"
"\tCOMPREPLY=($(compgen -W \"$(\"${words[0]}\" complete -- \"${words[@]:1:${#words[@]}-2}\" \"$cur\" 2>/dev/null)\" -- \"$cur\"))\n"
"\tCOMPREPLY=(\"${COMPREPLY[@]#\"$pre\"}\")\n"
"}\n"
"complete -F _hearth hearth\n";

static const char complete_zsh[] =
"#compdef hearth\n"
"# zsh completion for hearth, printed by `hearth completion zsh`.\n"
"# Candidates and their descriptions come from `hearth complete\n"
"# --describe`, which walks hearth's own command table (and its store\n"
"# for names), so this file never needs to change when commands do.\n"
"_hearth()\n"
"{\n"
"\tlocal -a lines described\n"
"\tlocal line\n"
"\tlines=(${(f)\"$(\"${words[1]}\" complete --describe -- \"${(@)words[2,CURRENT-1]}\" \"${words[CURRENT]}\" 2>/dev/null)\"})\n"
"\tfor line in $lines; do\n"
"\t\tif [[ $line == *$'\\t'* ]]; then\n"
"\t\t\tdescribed+=(\"${${line%%$'\\t'*}//:/\\\\:}:${line#*$'\\t'}\")\n"
"\t\telse\n"
"\t\t\tdescribed+=(\"${line//:/\\\\:}\")\n"
"\t\tfi\n"
"\tdone\n"
"\t_describe -t hearth hearth described\n"
"}\n"
"if [[ $funcstack[1] == _hearth ]]; then\n"
"\t_hearth \"$@\"\n"
"else\n"
"\tcompdef _hearth hearth\n"
"fi\n";

static const char complete_fish[] =
"# fish completion for hearth, printed by `hearth completion fish`.\n"
"# Candidates and their descriptions come from `hearth complete\n"
"# --describe`, which walks hearth's own command table (and its store\n"
"# for names), so this file never needs to change when commands do.\n"
"function __hearth_complete\n"
"\tset -l words (commandline -opc)\n"
"\t$words[1] complete --describe -- $words[2..-1] (commandline -ct) 2>/dev/null\n"
"end\n"
"complete -c hearth -f -a '(__hearth_complete)'\n";

/* Append the completion script for shell to b; -1 for a shell we have none for. */
int
complete_script(const char *shell, struct buf *b)
{
	if (strcmp(shell, "bash") == 0)
		buf_addstr(b, complete_bash);
	else if (strcmp(shell, "zsh") == 0)
		buf_addstr(b, complete_zsh);
	else if (strcmp(shell, "fish") == 0)
		buf_addstr(b, complete_fish);
	else
		return -1;
	return 0;
}

static int
cmd_completion_exec(struct cmd_ctx *ctx)
{
	struct buf	b = { 0 };

	if (complete_script(ctx->argv[0], &b) != 0)
		return cmd_error(ctx, CMD_USAGE, "completion: no script for '%s' "
		    "(bash, zsh or fish)", ctx->argv[0]);
	out_text(ctx, b.data);
	buf_free(&b);
	return CMD_OK;
}

static const struct cmd_opt cmd_completion_opts[] = {
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_completion_entry = {
	.name = "completion",
	.opts = cmd_completion_opts,
	.min_args = 1, .max_args = 1,
	.usage = "SHELL",
	.help = "print the bash, zsh or fish script that completes hearth's commands",
	.long_help = "make install puts them where each shell looks; or load one "
	    "by hand:\n  source <(hearth completion bash)",
	.example = "hearth completion zsh > ~/.zfunc/_hearth",
	.exec = cmd_completion_exec,
};
