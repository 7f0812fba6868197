/*
 * complete.c — completion candidates from the command table.
 *
 * Given the words typed before the cursor and the partial word under it,
 * list what could come next: command words, then the matched command's
 * options, then its positional arguments (function names, instance ids)
 * from the store.  The readline shell and the `complete` command (which
 * completions/hearth.bash calls, defined here) share this, so every front
 * end completes the same way and a new command completes without new code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

struct complete_set {
	char	**v;		/* candidates, unique */
	int	  n;		/* how many */
};

static void
complete_add(struct complete_set *set, const char *s, const char *prefix)
{
	int	i;

	if (strncmp(s, prefix, strlen(prefix)) != 0)
		return;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i], s) == 0)
			return;
	set->v = xrealloc(set->v, sizeof *set->v * (set->n + 2));
	set->v[set->n++] = xstrdup(s);
	set->v[set->n] = NULL;
}

/* Add names from the store for positional completion of kind. */
static void
complete_store(struct complete_set *set, struct store *st,
    enum cmd_complete kind, const char *prefix)
{
	char	**names;
	int	  i;

	if (st == NULL || (kind != COMPLETE_FN && kind != COMPLETE_VM))
		return;
	names = list_names(st, kind == COMPLETE_FN ? LIST_FN_NAMES :
	    LIST_INST_IDS);
	for (i = 0; names[i] != NULL; i++) {
		complete_add(set, names[i], prefix);
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
			if (k == argc && nw > argc)
				complete_add(set, w[argc], text);
			util_free_argv(nw, w);
		}
	}
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
	struct complete_set	  set = { NULL, 0 };
	const struct cmd_entry	 *found, **e;
	const struct cmd_opt	 *o;
	char			 *s;
	int			  used;

	found = cmd_find(argc, argv, &used);
	if (found == NULL || used < argc || argc == 0)
		complete_command_words(&set, argc, argv, text);
	if (found == NULL || used < argc || argc == 0)
		goto out;
	if (text[0] == '-') {
		for (o = found->opts; o != NULL && o->name != NULL; o++) {
			s = xasprintf("--%s", o->name);
			complete_add(&set, s, text);
			free(s);
		}
		if (found->flags & CMD_F_OUTPUT)
			complete_add(&set, "--output", text);
		complete_add(&set, "--help", text);
	} else if (found->complete == COMPLETE_CMD) {
		for (e = cmd_table; *e != NULL; e++) {
			s = xstrndup((*e)->name, strcspn((*e)->name, " "));
			complete_add(&set, s, text);
			free(s);
		}
	} else
		complete_store(&set, st, found->complete, text);
out:
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
	v = complete_words(ctx->store, ctx->argc > 0 ? ctx->argc - 1 : 0,
	    ctx->argv, ctx->argc > 0 ? ctx->argv[ctx->argc - 1] : "", &n);
	for (i = 0; i < n; i++)
		out_line(ctx, "%s", v[i]);
	util_free_argv(n, v);
	return CMD_OK;
}

const struct cmd_entry cmd_complete_entry = {
	.name = "complete",
	.min_args = 0, .max_args = -1,
	.usage = "-- WORD... PARTIAL",
	.help = "print completions for a partial command line (for shells)",
	.flags = CMD_F_STORE,
	.exec = cmd_complete_exec,
};
