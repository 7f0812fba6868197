/*
 * test-cmd.c — the command table: splitting lines, finding commands,
 * parsing options, usage errors, rm-style commands' reports.
 */
#include <stdlib.h>

#include "hearth.h"
#include "check.h"

/* Argument vectors below are string literals, as a front end would pass. */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static void
test_find(void)
{
	char	*a1[] = { "fn", "create", "x" }, *a2[] = { "fn", "list" };
	char	*a3[] = { "fn" }, *a4[] = { "nope" };
	const struct cmd_entry *e;
	int	 used;

	e = cmd_find(3, a1, &used);
	CHECK("find-1.1", e != NULL && strcmp(e->name, "fn create") == 0);
	CHECK("find-1.2", used == 2);
	e = cmd_find(2, a2, &used);
	CHECK("find-2.1", e != NULL && strcmp(e->name, "fn ls") == 0);
	CHECK("find-3.1", cmd_find(1, a3, &used) == NULL);
	CHECK("find-4.1", cmd_find(1, a4, &used) == NULL);
}

static void
test_parse(void)
{
	struct cmd_ctx	 ctx;
	const struct cmd_entry *e;
	char		*cause = NULL, **list;
	char		*a1[] = { "x", "--runtime", "python3", "-Happ.h", "--env=A=1",
	    "-e", "B=2", "--", "--not-an-option" };
	char		*a2[] = { "x", "--runtime" };
	char		*a3[] = { "x", "--timeout", "1", "--timeout", "2" };
	char		*a4[] = { "--all", "id" };
	char		*f1[] = { "fn", "create" }, *f2[] = { "vm", "rm" };
	char		*f3[] = { "fn", "ls" }, *a5[] = { "-o", "json" };
	int		 used, n;

	e = cmd_find(2, f1, &used);
	memset(&ctx, 0, sizeof ctx);
	CHECK("parse-1.1", cmd_parse(e, 9, a1, &ctx, &cause) == -1);
	CHECK_STR("parse-1.2", cause, "too many arguments; usage: hearth fn create NAME "
	    "[--runtime RUNTIME] [--handler MOD.FUNC] [--code PATH] [--memory MB] "
	    "[--timeout SECONDS] [--env KEY=VALUE]... [--driver DRIVER]");
	free(cause);
	cause = NULL;
	cmd_ctx_free(&ctx);
	CHECK("parse-2.1", cmd_parse(e, 7, a1, &ctx, &cause) == 0);
	CHECK_STR("parse-2.2", cmd_opt(&ctx, "runtime"), "python3");
	CHECK_STR("parse-2.3", cmd_opt(&ctx, "handler"), "app.h");
	list = cmd_optlist(&ctx, "env", &n);
	CHECK("parse-2.4", n == 2);
	CHECK_STR("parse-2.5", list[0], "A=1");
	CHECK_STR("parse-2.6", list[1], "B=2");
	CHECK("parse-2.7", cmd_opt(&ctx, "memory") == NULL);
	cmd_ctx_free(&ctx);
	CHECK("parse-3.1", cmd_parse(e, 2, a2, &ctx, &cause) == -1);
	CHECK_STR("parse-3.2", cause, "option --runtime needs a value (RUNTIME)");
	free(cause);
	cause = NULL;
	cmd_ctx_free(&ctx);
	CHECK("parse-4.1", cmd_parse(e, 5, a3, &ctx, &cause) == -1);
	CHECK_STR("parse-4.2", cause, "option --timeout given twice");
	free(cause);
	cause = NULL;
	cmd_ctx_free(&ctx);
	e = cmd_find(2, f2, &used);
	CHECK("parse-5.1", cmd_parse(e, 2, a4, &ctx, &cause) == 0);
	CHECK("parse-5.2", cmd_flag(&ctx, "all") == 1 && ctx.argc == 1);
	cmd_ctx_free(&ctx);
	e = cmd_find(2, f3, &used);
	CHECK("parse-6.1", cmd_parse(e, 2, a5, &ctx, &cause) == 0);
	CHECK("parse-6.2", ctx.format == OUT_JSON);
	cmd_ctx_free(&ctx);
}

static void
test_validate(void)
{
	char	*cause = NULL;

	CHECK("valid-1.1", fn_valid_name("hello-World_1", &cause) == 0);
	CHECK("valid-1.2", fn_valid_name("a/b", &cause) == -1);
	free(cause);
	CHECK("valid-1.3", fn_valid_name("", &cause) == -1);
	free(cause);
	CHECK("valid-2.1", fn_valid_handler("python3", "pkg.mod.handler", &cause) == 0);
	CHECK("valid-2.2", fn_valid_handler("node", "src/index.handler", &cause) == 0);
	CHECK("valid-2.3", fn_valid_handler("python3", "handler", &cause) == -1);
	free(cause);
	CHECK("valid-2.4", fn_valid_handler("python3", "app.1x", &cause) == -1);
	free(cause);
	CHECK("valid-2.5", fn_valid_handler("python3", "/etc/x.y", &cause) == -1);
	free(cause);
	CHECK("valid-3.1", fn_valid_runtime("node", &cause) == 0);
	CHECK("valid-3.2", fn_valid_runtime("ruby", &cause) == -1);
	free(cause);
}

/* A remover that fails for names starting with "bad". */
static int
fake_rm(struct cmd_ctx *ctx, const char *name, char **cause)
{
	if (strncmp(name, "bad", 3) != 0)
		return 0;
	*cause = xasprintf("no instance '%s'", name);
	return -1;
}

/* Each failed name gets its own error line; the status says one failed. */
static void
test_remove_each(void)
{
	struct cmd_ctx	 ctx;
	struct run_env	 env;
	char		*a1[] = { "bad1", "ok1", "bad2", "ok2", NULL };
	char		*a2[] = { "ok1", NULL };
	char		*o = NULL, *e = NULL;
	size_t		 olen, elen;

	memset(&ctx, 0, sizeof ctx);
	memset(&env, 0, sizeof env);
	ctx.argv = a1;
	ctx.argc = 4;
	ctx.run = &env;
	ctx.out = open_memstream(&o, &olen);
	ctx.err = open_memstream(&e, &elen);
	CHECK("rm-1.1", cmd_remove_each(&ctx, fake_rm) == CMD_ERROR);
	CHECK("rm-1.2", ctx.cause == NULL);	/* nothing for run.c to repeat */
	fclose(ctx.out);
	fclose(ctx.err);
	CHECK_STR("rm-1.3", o, "removed ok1\nremoved ok2\n");
	CHECK_STR("rm-1.4", e, "hearth: no instance 'bad1'\n"
	    "hearth: no instance 'bad2'\n");
	free(o);
	free(e);

	/* In a batch file each line names the file and line. */
	o = e = NULL;
	env.where = "cmds:7";
	ctx.out = open_memstream(&o, &olen);
	ctx.err = open_memstream(&e, &elen);
	CHECK("rm-2.1", cmd_remove_each(&ctx, fake_rm) == CMD_ERROR);
	fclose(ctx.out);
	fclose(ctx.err);
	CHECK_STR("rm-2.2", e, "cmds:7: no instance 'bad1'\n"
	    "cmds:7: no instance 'bad2'\n");
	free(o);
	free(e);

	o = e = NULL;
	ctx.argv = a2;
	ctx.argc = 1;
	ctx.out = open_memstream(&o, &olen);
	ctx.err = open_memstream(&e, &elen);
	CHECK("rm-3.1", cmd_remove_each(&ctx, fake_rm) == CMD_OK);
	fclose(ctx.out);
	fclose(ctx.err);
	CHECK_STR("rm-3.2", o, "removed ok1\n");
	CHECK_STR("rm-3.3", e, "");
	free(o);
	free(e);
}

int
main(void)
{
	test_find();
	test_parse();
	test_validate();
	test_remove_each();
	CHECK_DONE();
}
