/*
 * main.c — the one-shot front end and global options.
 *
 *   hearth [-o json] [-q] COMMAND [ARGS]	run one command
 *   hearth -f FILE [-k]		run a batch file (- for stdin)
 *   hearth [--readonly]		the console on a terminal
 *
 * Before anything runs, the umask is set so that every file hearth makes
 * is private unless it asks otherwise (the code a sandbox reads gets its
 * modes explicitly), and the state directory is checked (store_home).
 * The global options -o and -q mean what they mean after a command (as
 * kubectl's and docker's global flags do), for every command a file or
 * the command line runs.  Every message goes out through out_report, one
 * escaped line, as a command's errors do.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"

static void
main_usage(void)
{
	fputs("usage: hearth [-o json] [-q] COMMAND [ARGS...]\n"
	    "       hearth [-o json] [-q] -f FILE [-k]\n"
	    "       hearth [--readonly]      (the console, on a terminal)\n"
	    "       hearth shell\n"
	    "Run 'hearth help' for the list of commands.\n", stderr);
}

/*
 * Check the settings the environment gives and the state directory before
 * anything uses them; say why if they cannot be: CMD_USAGE for a bad
 * variable, CMD_ERROR for a directory that cannot be, else 0.
 */
static int
main_home(void)
{
	char	*cause = NULL;
	int	 rc = CMD_USAGE;

	if (config_check_env(&cause) == 0) {
		if (store_home(&cause) != NULL)
			return 0;
		rc = CMD_ERROR;
	}
	out_report(stderr, NULL, cause);
	free(cause);
	return rc;
}

/* Print a notice from the VM layer, as the manager hands it on. */
static void
main_notice(const char *line)
{
	char	*s = xasprintf("notice: %s", line);

	out_report(stderr, NULL, s);
	free(s);
}

/* Say what is wrong with the command line, as one escaped line; CMD_USAGE. */
static int printflike(1, 2)
main_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	out_report(stderr, NULL, s);
	free(s);
	return CMD_USAGE;
}

int
main(int argc, char **argv)
{
	struct run_env	 env;
	const char	*file = NULL;
	int		 i, keep = 0, rc;

	umask(077);
	signal(SIGPIPE, SIG_IGN);
	inst_set_notify(main_notice);
	memset(&env, 0, sizeof env);
	env.format = OUT_TEXT;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "-f") == 0)
			return main_error("%s", "-f needs a FILE of commands "
			    "(- reads them from standard input)");
		else if (strcmp(argv[i], "-k") == 0)
			keep = 1;
		else if (strcmp(argv[i], "-q") == 0 ||
		    strcmp(argv[i], "--quiet") == 0)
			env.quiet = 1;
		else if (strcmp(argv[i], "--readonly") == 0)
			env.readonly = 1;
		else if (strcmp(argv[i], "-o") == 0 && i + 1 == argc)
			return main_error("%s", "-o needs a FORMAT: text or json");
		else if (strcmp(argv[i], "-o") == 0) {
			i++;
			if (strcmp(argv[i], "json") == 0)
				env.format = OUT_JSON;
			else if (strcmp(argv[i], "text") != 0)
				return main_error("unknown output format '%s' "
				    "(want text or json)", argv[i]);
		} else if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			printf("hearth %s\n", HEARTH_VERSION);
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			struct buf b = { 0 };

			cmd_help_all(&b);
			fputs(b.data, stdout);
			buf_free(&b);
			return 0;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			main_error("unknown option '%s'", argv[i]);
			main_usage();
			return CMD_USAGE;
		}
	}
	/* Ctrl-C: die, but not before ending an instance being started. */
	util_interrupt_catch(1);
	if (file != NULL) {
		if (i < argc)
			return main_error("%s", "-f takes no command arguments");
		if ((rc = main_home()) == 0)
			rc = batch_main(&env, file, keep);
	} else if (i < argc) {
		env.interactive = isatty(STDOUT_FILENO);
		if ((rc = main_home()) == 0)
			rc = run_argv(&env, argc - i, argv + i);
	} else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		env.interactive = 1;
		if ((rc = main_home()) == 0)
			rc = console_main(&env, env.readonly);
	} else {
		main_usage();
		rc = CMD_USAGE;
	}
	run_env_free(&env);
	util_interrupt_end();
	return rc;
}
