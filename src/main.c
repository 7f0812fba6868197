/*
 * main.c — the one-shot front end and global options.
 *
 *   hearth [-o json] COMMAND [ARGS]	run one command
 *   hearth -f FILE [-k]		run a batch file (- for stdin)
 *   hearth [--readonly]		the console on a terminal
 *
 * Before anything runs, the umask is set so that every file hearth makes
 * is private unless it asks otherwise (the code a sandbox reads gets its
 * modes explicitly), and the state directory is checked (store_home).
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"

static void
main_usage(void)
{
	fputs("usage: hearth [-o json] COMMAND [ARGS...]\n"
	    "       hearth -f FILE [-k]\n"
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
	fprintf(stderr, "hearth: %s\n", cause);
	free(cause);
	return rc;
}

/* Print a notice from the VM layer, as the manager hands it on. */
static void
main_notice(const char *line)
{
	fprintf(stderr, "hearth: notice: %s\n", line);
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
		else if (strcmp(argv[i], "-f") == 0) {
			fprintf(stderr, "hearth: -f needs a FILE of commands "
			    "(- reads them from standard input)\n");
			return CMD_USAGE;
		} else if (strcmp(argv[i], "-k") == 0)
			keep = 1;
		else if (strcmp(argv[i], "--readonly") == 0)
			env.readonly = 1;
		else if (strcmp(argv[i], "-o") == 0 && i + 1 == argc) {
			fprintf(stderr, "hearth: -o needs a FORMAT: text or json\n");
			return CMD_USAGE;
		} else if (strcmp(argv[i], "-o") == 0) {
			i++;
			if (strcmp(argv[i], "json") == 0)
				env.format = OUT_JSON;
			else if (strcmp(argv[i], "text") != 0) {
				fprintf(stderr, "hearth: unknown output format '%s' "
				    "(want text or json)\n", argv[i]);
				return CMD_USAGE;
			}
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
			fprintf(stderr, "hearth: unknown option '%s'\n", argv[i]);
			main_usage();
			return CMD_USAGE;
		}
	}
	/* Ctrl-C: die, but not before ending an instance being started. */
	util_interrupt_catch(1);
	if (file != NULL) {
		if (i < argc) {
			fprintf(stderr, "hearth: -f takes no command arguments\n");
			return CMD_USAGE;
		}
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
