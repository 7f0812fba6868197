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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"

static struct run_env	*shell_env;
static char		**shell_cands;	/* candidates for the word being completed */
static int		  shell_ncands;

/* Work out the candidates for the word at start in rl_line_buffer. */
static void
shell_candidates(const char *text, int start)
{
	char	*before, **argv, *cause = NULL;
	int	 argc;

	util_free_argv(shell_ncands, shell_cands);
	shell_cands = NULL;
	shell_ncands = 0;
	before = xstrndup(rl_line_buffer, start);
	if (util_split(before, &argc, &argv, &cause) != 0) {
		free(cause);
		free(before);
		return;
	}
	free(before);
	if (shell_env->store == NULL) {
		shell_env->store = store_open(store_home_default(), &cause);
		free(cause);
	}
	shell_cands = complete_words(shell_env->store, argc, argv, text,
	    &shell_ncands);
	util_free_argv(argc, argv);
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
	util_free_argv(shell_ncands, shell_cands);
	shell_cands = NULL;
	shell_ncands = 0;
	env->in_shell = 0;
	return tty ? CMD_OK : rc;
}
