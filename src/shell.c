/*
 * shell.c — the readline shell.
 *
 * Each line is run through the same command table as every other front
 * end.  History is kept in $HEARTH_HOME/history, each line appended as it
 * runs (a shell that is killed loses none; a full disk loses the line, not
 * the file).  Tab completes command words, then the matched command's
 * options (--driver=q too: a word breaks at blanks only), the values of
 * the option just typed, then its positional arguments (function names,
 * instance ids) read from the store.
 *
 * Ctrl-C is bash's: at the prompt it drops the line being typed; while a
 * command runs it ends that command (util_interrupted: an invocation
 * stops waiting, a follower stops following) and the shell goes on.
 */
#include <readline/history.h>
#include <readline/readline.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"

#define SHELL_HISTORY	1000	/* lines of history kept */

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

/*
 * Readline calls this when a signal interrupted its read, and then reads
 * on.  Ctrl-C drops the line being typed: it is echoed as ^C and the
 * prompt comes again, empty, on a line of its own.
 */
static int
shell_on_signal(void)
{
	if (!util_interrupted)
		return 0;
	util_interrupted = 0;
	rl_echo_signal_char(SIGINT);
	rl_crlf();
	rl_replace_line("", 0);
	rl_on_new_line();
	rl_redisplay();
	return 0;
}

/*
 * Read a line: readline on a terminal, plain getline otherwise (no echo,
 * and a Ctrl-C drops what was read of the line).
 */
static char *
shell_read(int tty)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if (tty)
		return readline("hearth> ");
	while ((n = getline(&line, &cap, stdin)) == -1) {
		if (errno != EINTR || !util_interrupted) {
			free(line);
			return NULL;
		}
		util_interrupted = 0;
		clearerr(stdin);
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

/* Append line to the history file; the file is made if there is none. */
static void
shell_remember(const char *hist, const char *line)
{
	int	fd;

	add_history(line);
	if ((fd = open(hist, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	append_history(1, hist);
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
	/*
	 * Words are what util_split makes of the line, split at blanks only:
	 * readline's default breaks (= among them) would hand us "q" of
	 * --driver=q, which completes to nothing.
	 */
	rl_completer_word_break_characters = (char *)" \t\n";
	/* Readline leaves SIGINT to us, and tells us when it interrupts it. */
	rl_catch_signals = 0;
	rl_signal_event_hook = shell_on_signal;
	util_interrupt_catch(0);
	using_history();
	read_history(hist);
	stifle_history(SHELL_HISTORY);
	if (tty)
		printf("hearth %s shell — 'help' lists commands, Ctrl-D quits\n",
		    HEARTH_VERSION);
	while ((line = shell_read(tty)) != NULL) {
		char *s = line + strspn(line, " \t");

		if (*s != '\0' && *s != '#') {
			shell_remember(hist, s);
			if (strcmp(s, "exit") == 0 || strcmp(s, "quit") == 0) {
				free(line);
				break;
			}
			util_interrupted = 0;
			rc = run_line(env, s);
			if (util_interrupted && tty)
				putchar('\n');	/* after the ^C the terminal echoed */
			util_interrupted = 0;
		}
		free(line);
	}
	if (tty && line == NULL)
		putchar('\n');
	/* Rewritten through a new file: a full disk leaves the old one. */
	history_truncate_file(hist, SHELL_HISTORY);
	free(hist);
	util_interrupt_catch(1);
	util_free_argv(shell_ncands, shell_cands);
	shell_cands = NULL;
	shell_ncands = 0;
	env->in_shell = 0;
	return tty ? CMD_OK : rc;
}
