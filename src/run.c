/*
 * run.c — run one command for any front end.
 *
 * This is the single place where a command's outcome is routed: the
 * command fills ctx->cause and returns CMD_OK, CMD_ERROR or CMD_USAGE, and
 * run_argv prints the error, escaped, with the front end's prefix
 * ("hearth:" on the command line, "FILE:LINE:" in a batch file).  The
 * store is opened on the first command that needs it and kept for the
 * life of the front end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

/* Print an error with the front end's prefix (escaped: see out_report). */
static void
run_report(struct run_env *env, const char *msg)
{
	out_report(stderr, env->where, msg);
}

/* Whether the words (before any --) ask for help. */
static int
run_wants_help(int argc, char **argv)
{
	int	i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/*
 * argv names no command.  A group's words ("fn", "vm snapshot"), alone
 * or with --help, list the group's commands on the output, status 0, as
 * docker and kubectl do for `docker image`, `kubectl config`.  Anything
 * else is an unknown command, with the nearest one suggested (as git
 * does), a usage error.
 */
static int
run_group(struct run_env *env, int argc, char **argv)
{
	struct buf	 b = { 0 };
	char		*cause;
	int		 g = cmd_group(argc, argv);

	if (g > 0 && (g == argc || run_wants_help(argc - g, argv + g))) {
		cmd_help_group(g, argv, &b);
		fputs(b.data, stdout);
		fflush(stdout);
		buf_free(&b);
		return CMD_OK;
	}
	cause = cmd_unknown(argc, argv);
	run_report(env, cause);
	free(cause);
	return CMD_USAGE;
}

/* Run the command in argv; returns CMD_OK, CMD_ERROR or CMD_USAGE. */
int
run_argv(struct run_env *env, int argc, char **argv)
{
	const struct cmd_entry	*e;
	struct cmd_ctx		 ctx;
	char			*cause = NULL;
	int			 used, rc;

	if (argc == 0)
		return CMD_OK;
	if ((e = cmd_find(argc, argv, &used)) == NULL)
		return run_group(env, argc, argv);
	if (run_wants_help(argc - used, argv + used)) {
		struct buf b = { 0 };

		cmd_help(e, &b);
		fputs(b.data, stdout);
		fflush(stdout);
		buf_free(&b);
		return CMD_OK;
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.format = env->format;
	ctx.quiet = env->quiet && (e->flags & CMD_F_LIST);
	ctx.interactive = env->interactive;
	ctx.out = stdout;
	ctx.err = stderr;
	ctx.run = env;
	if (env->quiet && !(e->flags & CMD_F_LIST)) {
		cause = xasprintf("-q is for listings (fn ls, vm ls, image ls, "
		    "config ls, vm snapshot ls), not '%s'", e->name);
		run_report(env, cause);
		free(cause);
		return CMD_USAGE;
	}
	if (cmd_parse(e, argc - used, argv + used, &ctx, &cause) != 0) {
		run_report(env, cause);
		free(cause);
		cmd_ctx_free(&ctx);
		return CMD_USAGE;
	}
	if ((e->flags & CMD_F_STORE) && env->store == NULL) {
		env->store = store_open(store_home_default(), &cause);
		if (env->store == NULL) {
			run_report(env, cause);
			free(cause);
			cmd_ctx_free(&ctx);
			return CMD_ERROR;
		}
	}
	ctx.store = env->store;
	rc = e->exec(&ctx);
	fflush(stdout);
	if (rc != CMD_OK && ctx.cause != NULL)
		run_report(env, ctx.cause);
	cmd_ctx_free(&ctx);
	return rc;
}

/* Split line into words and run it; blank lines and comments do nothing. */
int
run_line(struct run_env *env, const char *line)
{
	char	**argv, *cause = NULL;
	int	  argc, rc;

	if (util_split(line, &argc, &argv, &cause) != 0) {
		run_report(env, cause);
		free(cause);
		return CMD_USAGE;
	}
	rc = run_argv(env, argc, argv);
	util_free_argv(argc, argv);
	return rc;
}

void
run_env_free(struct run_env *env)
{
	conn_close_all();
	store_close(env->store);
	env->store = NULL;
}
