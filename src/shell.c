/*
 * shell.c — the readline shell.
 *
 * Each line is run through the same command table as every other front
 * end.  History is kept in $HEARTH_HOME/history.  Tab completes command
 * words, then the matched command's options, then its positional
 * arguments (function names, instance ids) read from the store.
 */
#include <readline/history.h>
#include <readline/readline.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"

static struct run_env	*shell_env;
static char		**shell_cands;	/* candidates for the word being completed */
static int		  shell_ncands;

static void
shell_cand_add(const char *s, const char *prefix)
{
	int	i;

	if (strncmp(s, prefix, strlen(prefix)) != 0)
		return;
	for (i = 0; i < shell_ncands; i++)
		if (strcmp(shell_cands[i], s) == 0)
			return;
	shell_cands = xrealloc(shell_cands, sizeof *shell_cands * (shell_ncands + 1));
	shell_cands[shell_ncands++] = xstrdup(s);
}

static void
shell_cand_clear(void)
{
	int	i;

	for (i = 0; i < shell_ncands; i++)
		free(shell_cands[i]);
	free(shell_cands);
	shell_cands = NULL;
	shell_ncands = 0;
}

/* Add names from the store for positional completion of kind. */
static void
shell_cand_store(enum cmd_complete kind, const char *prefix)
{
	sqlite3_stmt	*stmt;
	char		*cause = NULL;
	const char	*sql;

	if (kind == COMPLETE_FN)
		sql = "SELECT name FROM functions ORDER BY name";
	else if (kind == COMPLETE_VM)
		sql = "SELECT id FROM instances ORDER BY id";
	else
		return;
	if (shell_env->store == NULL) {
		shell_env->store = store_open(store_home_default(), &cause);
		free(cause);
		if (shell_env->store == NULL)
			return;
	}
	stmt = store_prepare(shell_env->store, sql);
	while (sqlite3_step(stmt) == SQLITE_ROW)
		shell_cand_add((const char *)sqlite3_column_text(stmt, 0), prefix);
	sqlite3_finalize(stmt);
}

/* Work out the candidates for the word at start in rl_line_buffer. */
static void
shell_candidates(const char *text, int start)
{
	const struct cmd_entry	**e, *found;
	char			 *before, **argv, *cause = NULL;
	int			  argc, used, i, nwords;

	shell_cand_clear();
	before = xstrndup(rl_line_buffer, start);
	if (cmd_split(before, &argc, &argv, &cause) != 0) {
		free(cause);
		free(before);
		return;
	}
	free(before);
	found = cmd_find(argc, argv, &used);
	if (found == NULL || used < argc || argc == 0) {
		/* Still naming the command: complete the next word of any entry. */
		for (e = cmd_table; *e != NULL; e++) {
			const char *names[2] = { (*e)->name, (*e)->alias };

			for (i = 0; i < 2; i++) {
				char **w;
				int nw;

				if (names[i] == NULL ||
				    cmd_split(names[i], &nw, &w, &cause) != 0)
					continue;
				nwords = 0;
				while (nwords < argc && nwords < nw &&
				    strcmp(w[nwords], argv[nwords]) == 0)
					nwords++;
				if (nwords == argc && nw > argc)
					shell_cand_add(w[argc], text);
				cmd_free_argv(nw, w);
			}
		}
		if (found == NULL || used < argc || argc == 0)
			goto out;
	}
	if (text[0] == '-') {
		const struct cmd_opt *o;

		for (o = found->opts; o != NULL && o->name != NULL; o++) {
			char *s = xasprintf("--%s", o->name);

			shell_cand_add(s, text);
			free(s);
		}
		if (found->flags & CMD_F_OUTPUT)
			shell_cand_add("--output", text);
		shell_cand_add("--help", text);
	} else if (found->complete == COMPLETE_CMD) {
		for (e = cmd_table; *e != NULL; e++) {
			char *first = xstrndup((*e)->name, strcspn((*e)->name, " "));

			shell_cand_add(first, text);
			free(first);
		}
	} else
		shell_cand_store(found->complete, text);
out:
	cmd_free_argv(argc, argv);
}

static char *
shell_generator(const char *text, int state)
{
	static int	next;

	if (state == 0)
		next = 0;
	if (next < shell_ncands)
		return xstrdup(shell_cands[next++]);
	return NULL;
}

static char **
shell_complete(const char *text, int start, int end)
{
	rl_attempted_completion_over = 1;
	shell_candidates(text, start);
	return rl_completion_matches(text, shell_generator);
}

/* Read a line: readline on a terminal, plain getline otherwise (no echo). */
static char *
shell_read(int tty)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if (tty)
		return readline("hearth> ");
	if ((n = getline(&line, &cap, stdin)) == -1) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

/* Run the interactive shell until EOF, `exit` or `quit`. */
int
shell_main(struct run_env *env)
{
	char	*line, *hist;
	int	 rc = CMD_OK, tty = isatty(STDIN_FILENO);

	shell_env = env;
	env->in_shell = 1;
	env->interactive = tty;
	hist = xasprintf("%s/history", store_home_default());
	util_mkdirs(store_home_default(), 0700);
	rl_readline_name = "hearth";
	rl_attempted_completion_function = shell_complete;
	using_history();
	read_history(hist);
	stifle_history(1000);
	if (tty)
		printf("hearth %s shell — 'help' lists commands, Ctrl-D quits\n",
		    HEARTH_VERSION);
	while ((line = shell_read(tty)) != NULL) {
		char *s = line + strspn(line, " \t");

		if (*s != '\0' && *s != '#') {
			add_history(s);
			if (strcmp(s, "exit") == 0 || strcmp(s, "quit") == 0) {
				free(line);
				break;
			}
			rc = run_line(env, s);
		}
		free(line);
	}
	if (tty && line == NULL)
		putchar('\n');
	write_history(hist);
	free(hist);
	shell_cand_clear();
	env->in_shell = 0;
	return tty ? CMD_OK : rc;
}
