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
	/* Required options are spelled out, the rest are [options]. */
	CHECK_STR("parse-1.2", cause, "too many arguments; usage: hearth fn create NAME "
	    "--runtime RUNTIME --handler MOD.FUNC --code PATH [options]");
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

/* Groups list their commands; a typo names the nearest command. */
static void
test_groups(void)
{
	char	*g1[] = { "fn" }, *g2[] = { "vm", "snapshot" }, *g3[] = { "fn", "lss" };
	char	*g4[] = { "fn", "invok", "x" }, *g5[] = { "frobnicate" };
	char	*g6[] = { "fn", "zzzzzz" }, *g7[] = { "fnn", "ls" };
	struct buf b = { 0 };
	char	*s;

	CHECK("group-1.1", cmd_group(1, g1) == 1);
	CHECK("group-1.2", cmd_group(2, g2) == 2);
	CHECK("group-1.3", cmd_group(2, g3) == 1);
	CHECK("group-1.4", cmd_group(1, g5) == 0);
	cmd_help_group(1, g1, &b);
	CHECK("group-2.1", strstr(b.data, "usage: hearth fn COMMAND") != NULL);
	CHECK("group-2.2", strstr(b.data, "  fn ls ") != NULL &&
	    strstr(b.data, "  fn invoke ") != NULL && strstr(b.data, "vm ls") == NULL);
	buf_free(&b);
	s = cmd_unknown(2, g3);
	CHECK_STR("group-3.1", s, "unknown command 'fn lss' (did you mean 'fn ls'?)");
	free(s);
	s = cmd_unknown(3, g4);
	CHECK_STR("group-3.2", s, "unknown command 'fn invok' (did you mean 'fn invoke'?)");
	free(s);
	s = cmd_unknown(1, g5);
	CHECK_STR("group-3.3", s, "unknown command 'frobnicate' (try 'help')");
	free(s);
	s = cmd_unknown(2, g6);
	CHECK_STR("group-3.4", s, "unknown command 'fn zzzzzz' (try 'help fn')");
	free(s);
	s = cmd_unknown(2, g7);
	CHECK_STR("group-3.5", s, "unknown command 'fnn' (did you mean 'fn'?)");
	free(s);
}

/* Every command's help in one format, from the table. */
static void
test_help(void)
{
	char	*a1[] = { "fn", "create" }, *a2[] = { "fn", "bench" };
	const struct cmd_entry **e;
	struct buf b = { 0 };
	int	 used;

	cmd_help(cmd_find(2, a1, &used), &b);
	CHECK("help-1.1", strncmp(b.data, "usage: hearth fn create NAME --runtime "
	    "RUNTIME --handler MOD.FUNC --code PATH [options]\n", 84) == 0);
	CHECK("help-1.2", strstr(b.data, "  -r, --runtime RUNTIME") != NULL &&
	    strstr(b.data, "(required)") != NULL);
	CHECK("help-1.3", strstr(b.data, "\nExample:\n  hearth fn create ") != NULL);
	buf_free(&b);
	cmd_help(cmd_find(2, a2, &used), &b);
	CHECK("help-2.1", strstr(b.data, "  -n, --requests N") != NULL &&
	    strstr(b.data, "  -c, --concurrency C") != NULL);
	/* The bounds cmd_parse enforces, and the defaults, are in the help. */
	CHECK("help-2.2", strstr(b.data, "invocations in all, 1 to 10000000 "
	    "(default 200)\n") != NULL);
	CHECK("help-2.3", strstr(b.data, "invocations in flight, 1 to 64 "
	    "(default 1)\n") != NULL);
	buf_free(&b);
	/* Every command: a usage line, an Options section with -h. */
	for (e = cmd_table; *e != NULL; e++) {
		cmd_help(*e, &b);
		CHECK((*e)->name, strncmp(b.data, "usage: hearth ", 14) == 0 &&
		    strstr(b.data, "\nOptions:\n") != NULL &&
		    strstr(b.data, "  -h, --help ") != NULL);
		buf_free(&b);
	}
	/*
	 * Every option that takes a number is an OPT_INT, whose bounds are in
	 * the table, so cmd_parse checks them and its help line shows them.
	 */
	for (e = cmd_table; *e != NULL; e++) {
		const struct cmd_opt *o;
		char *want;

		cmd_help(*e, &b);
		for (o = (*e)->opts; o != NULL && o->name != NULL; o++) {
			/* The placeholders of numbers: N, C, MiB, SECONDS, LINES. */
			want = xasprintf(" %s ", o->arg != NULL ? o->arg : "-");
			if (strstr(" N C MiB SECONDS LINES ", want) != NULL)
				CHECK(o->name, o->type == OPT_INT);
			free(want);
			if (o->type != OPT_INT)
				continue;
			want = xasprintf("%s, %lld to %lld", o->help, o->min, o->max);
			CHECK(want, o->min < o->max && strstr(b.data, want) != NULL);
			free(want);
		}
		buf_free(&b);
	}
}

/* An OPT_INT value out of its bounds is a usage error from cmd_parse. */
static void
test_int(void)
{
	struct cmd_ctx	 ctx;
	const struct cmd_entry *e;
	char		*cause = NULL, *f[] = { "fn", "bench" };
	char		*a1[] = { "f", "-n", "0" }, *a2[] = { "f", "-n5", "-c", "64" };
	char		*a3[] = { "f", "--concurrency=65" }, *a4[] = { "f", "-n", "x" };
	long long	 v = -7;
	int		 used;

	e = cmd_find(2, f, &used);
	memset(&ctx, 0, sizeof ctx);
	CHECK("int-1.1", cmd_parse(e, 3, a1, &ctx, &cause) == -1);
	CHECK_STR("int-1.2", cause, "--requests '0' must be a whole number from "
	    "1 to 10000000");
	free(cause);
	cause = NULL;
	cmd_ctx_free(&ctx);
	CHECK("int-2.1", cmd_parse(e, 4, a2, &ctx, &cause) == 0);
	CHECK("int-2.2", cmd_int(&ctx, "requests", &v) == 1 && v == 5);
	CHECK("int-2.3", cmd_int(&ctx, "concurrency", &v) == 1 && v == 64);
	cmd_ctx_free(&ctx);
	CHECK("int-3.1", cmd_parse(e, 2, a3, &ctx, &cause) == -1);
	CHECK_STR("int-3.2", cause, "--concurrency '65' must be a whole number "
	    "from 1 to 64");
	free(cause);
	cause = NULL;
	cmd_ctx_free(&ctx);
	CHECK("int-4.1", cmd_parse(e, 3, a4, &ctx, &cause) == -1);
	free(cause);
	cause = NULL;
	cmd_ctx_free(&ctx);
	CHECK("int-5.1", cmd_parse(e, 1, a1, &ctx, &cause) == 0 &&
	    cmd_int(&ctx, "requests", &v) == 0 && v == 64);
	cmd_ctx_free(&ctx);
}

/* --since: durations back from now, or RFC 3339 times. */
static void
test_since(void)
{
	double	 w = 0;
	char	*cause = NULL;

	CHECK("since-1.1", cmd_since("30s", 1000, &w, &cause) == 0 && w == 970);
	CHECK("since-1.2", cmd_since("10m", 1000, &w, &cause) == 0 && w == 400);
	CHECK("since-1.3", cmd_since("2h", 10000, &w, &cause) == 0 && w == 2800);
	CHECK("since-1.4", cmd_since("1h30m", 10000, &w, &cause) == 0 && w == 4600);
	CHECK("since-1.5", cmd_since("1d", 100000, &w, &cause) == 0 && w == 13600);
	CHECK("since-2.1", cmd_since("2026-12-01T07:12:16Z", 0, &w, &cause) == 0 &&
	    w == 1796109136);
	CHECK("since-2.2", cmd_since("2026-12-01T08:12:16+01:00", 0, &w,
	    &cause) == 0 && w == 1796109136);
	CHECK("since-2.3", cmd_since("2026-12-01T07:12:16.5Z", 0, &w, &cause) == 0 &&
	    w == 1796109136.5);
	CHECK("since-3.1", cmd_since("10", 0, &w, &cause) == -1 &&
	    strstr(cause, "--since '10'") != NULL);
	free(cause);
	cause = NULL;
	CHECK("since-3.2", cmd_since("10x", 0, &w, &cause) == -1);
	free(cause);
	cause = NULL;
	CHECK("since-3.3", cmd_since("", 0, &w, &cause) == -1);
	free(cause);
	cause = NULL;
	CHECK("since-3.4", cmd_since("2026-12-01T07:12:16", 0, &w, &cause) == -1);
	free(cause);
}

/* Join a candidate list with spaces, freeing it. */
static char *
cands(char **v, int n)
{
	struct buf b = { 0 };
	int	 i;

	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", v[i]);
	util_free_argv(n, v);
	return b.data != NULL ? b.data : xstrdup("");
}

/* Completion reads the whole line, as cmd_parse would. */
static void
test_complete(void)
{
	char	*c1[] = { "fn", "invoke", "hello" }, *c2[] = { "fn", "create", "x" };
	char	*c3[] = { "fn", "create", "x", "--runtime" };
	char	*c4[] = { "fn", "create", "x", "-d" }, *c5[] = { "fn", "ls", "-o" };
	char	*c6[] = { "help", "fn" }, *c7[] = { "fn" };
	char	*c8[] = { "fn", "create", "x", "--memory", "128" };
	char	*s, **v;
	int	 n;

	v = complete_words(NULL, 3, c1, "-", &n);
	s = cands(v, n);
	CHECK_STR("complete-1.1", s, "--log --output --help");
	free(s);
	v = complete_words(NULL, 3, c2, "--r", &n);
	s = cands(v, n);
	CHECK_STR("complete-1.2", s, "--runtime");
	free(s);
	v = complete_words(NULL, 4, c3, "p", &n);
	s = cands(v, n);
	CHECK_STR("complete-1.3", s, "python3");
	free(s);
	v = complete_words(NULL, 4, c4, "", &n);
	s = cands(v, n);
	CHECK_STR("complete-1.4", s, "ns qemu auto");
	free(s);
	v = complete_words(NULL, 3, c2, "--driver=q", &n);
	s = cands(v, n);
	CHECK_STR("complete-1.5", s, "--driver=qemu");
	free(s);
	v = complete_words(NULL, 3, c5, "", &n);
	s = cands(v, n);
	CHECK_STR("complete-1.6", s, "text json");
	free(s);
	v = complete_words(NULL, 2, c6, "l", &n);
	s = cands(v, n);
	CHECK_STR("complete-1.7", s, "ls list logs");
	free(s);
	v = complete_words(NULL, 1, c7, "in", &n);
	s = cands(v, n);
	CHECK_STR("complete-1.8", s, "invoke");
	free(s);
	/* A value given: options again, not values. */
	v = complete_words(NULL, 5, c8, "--ti", &n);
	s = cands(v, n);
	CHECK_STR("complete-1.9", s, "--timeout");
	free(s);
	v = complete_describe(NULL, 3, c2, "--ru", &n);
	s = cands(v, n);
	CHECK_STR("complete-2.1", s, "--runtime\tpython3 or node");
	free(s);
}

int
main(void)
{
	test_find();
	test_parse();
	test_validate();
	test_remove_each();
	test_groups();
	test_help();
	test_int();
	test_since();
	test_complete();
	CHECK_DONE();
}
