/*
 * test-out.c — output formatting: JSON escaping, tables as text and JSON,
 * cells by key (a wrong one stops the program: checked in a child),
 * message lines, notes and errors.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "hearth.h"
#include "check.h"

static const struct out_col cols[] = {
	{ "name", "NAME", OUT_STR },
	{ "n", "N", OUT_INT },
	{ "env", "ENV", OUT_JSONRAW },
};

static char *
render(struct out_table *t, enum out_format fmt, int single)
{
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&s, &len);

	out_table_print(t, fmt, f, single);
	fclose(f);
	return s;
}

static const struct out_col kcols[] = {
	{ "name", "Name", OUT_STR },
	{ "n", "N", OUT_INT },
	{ "x", "X", OUT_NUM },
	{ "cold", "Cold", OUT_BOOL },
	{ "when", "When", OUT_TIME },
	{ "res", "Result", OUT_JSONRAW },
};

/* Cells given by key in any order land in their columns. */
static void
test_keyed(void)
{
	struct out_table	*t;
	char			*s;

	t = out_table_new(kcols, nitems(kcols));
	out_table_row(t);
	out_cell_json(t, "res", "[1, \"a\"]");
	out_cell_time(t, "when", 0);
	out_cell_bool(t, "cold", 1);
	out_cell_num(t, "x", 1.5);
	out_cell_int(t, "n", 7);
	out_cell_str(t, "name", "f");
	out_table_row(t);
	out_cell_str(t, "name", NULL);
	out_cell_int(t, "n", -2);
	out_cell_num(t, "x", 0.0 / 0.0);
	out_cell_bool(t, "cold", 0);
	out_cell_time(t, "when", 86400);
	out_cell_json_len(t, "res", "a\0b", 3);	/* not JSON: a string */
	s = render(t, OUT_JSON, 0);
	CHECK_STR("keyed-1.1", s, "[\n  {\"name\": \"f\", \"n\": 7, \"x\": 1.500, "
	    "\"cold\": true, \"when\": \"1970-01-01T00:00:00Z\", \"res\": [1, \"a\"]},"
	    "\n  {\"name\": null, \"n\": -2, \"x\": null, \"cold\": false, "
	    "\"when\": \"1970-01-02T00:00:00Z\", \"res\": \"a\\u0000b\"}\n]\n");
	free(s);
	s = render(t, OUT_JSON, 1);
	CHECK_STR("keyed-1.2", s, "{\"name\": \"f\", \"n\": 7, \"x\": 1.500, "
	    "\"cold\": true, \"when\": \"1970-01-01T00:00:00Z\", \"res\": [1, \"a\"]}\n");
	free(s);
	out_table_free(t);

	/* A one-row result shown to a person: "Key: value" lines. */
	t = out_table_new(kcols, 4);
	out_table_row(t);
	out_cell_bool(t, "cold", 0);
	out_cell_str(t, "name", "g");
	out_cell_num(t, "x", 2);
	out_cell_int(t, "n", 1);
	s = render(t, OUT_TEXT, 1);
	CHECK_STR("keyed-2.1", s, "Name: g\nN:    1\nX:    2.00\nCold: false\n");
	free(s);
	out_table_free(t);

	/* Length-aware JSON: bytes after a NUL count, JSON is rewritten. */
	t = out_table_new(kcols + 5, 1);
	out_table_row(t);
	out_cell_json_len(t, "res", "{\"a\":1}xyz", 7);
	s = render(t, OUT_JSON, 1);
	CHECK_STR("keyed-3.1", s, "{\"res\": {\"a\": 1}}\n");
	free(s);
	s = render(t, OUT_TEXT, 0);
	CHECK_STR("keyed-3.2", s, "Result\n{\"a\":1}\n");
	free(s);
	out_table_free(t);
}

/*
 * Run f in a child; it must stop the program (fatal: abort) with a
 * message containing want on stderr.
 */
static int
dies(void (*f)(void), const char *want)
{
	struct rlimit	 rl = { 0, 0 };
	char		 msg[512];
	ssize_t		 n, got = 0;
	pid_t		 pid;
	int		 fds[2], st;

	if (pipe(fds) == -1)
		return 0;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		setrlimit(RLIMIT_CORE, &rl);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		f();
		_exit(0);	/* it should not get here */
	}
	close(fds[1]);
	while (got < (ssize_t)sizeof msg - 1 &&
	    (n = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
		got += n;
	msg[got] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT &&
	    strstr(msg, want) != NULL;
}

static void
bad_key(void)
{
	struct out_table *t = out_table_new(kcols, nitems(kcols));

	out_table_row(t);
	out_cell_str(t, "nmae", "f");
}

static void
bad_type(void)
{
	struct out_table *t = out_table_new(kcols, nitems(kcols));

	out_table_row(t);
	out_cell_int(t, "name", 1);
}

static void
set_twice(void)
{
	struct out_table *t = out_table_new(kcols, nitems(kcols));

	out_table_row(t);
	out_cell_int(t, "n", 1);
	out_cell_int(t, "n", 2);
}

static void
left_empty(void)
{
	struct out_table *t = out_table_new(kcols, 2);

	out_table_row(t);
	out_cell_int(t, "n", 1);
	out_table_print(t, OUT_JSON, stdout, 0);
}

static void
no_row(void)
{
	struct out_table *t = out_table_new(kcols, 2);

	out_cell_int(t, "n", 1);
}

static void
test_fatal(void)
{
	CHECK("fatal-1.1", dies(bad_key, "out_table: no column nmae"));
	CHECK("fatal-1.2", dies(bad_type, "column name given a value of another type"));
	CHECK("fatal-1.3", dies(set_twice, "column n set twice"));
	CHECK("fatal-1.4", dies(left_empty, "column name left empty"));
	CHECK("fatal-1.5", dies(no_row, "out_table: cell outside a row"));
}

/* Message lines, text, notes and errors, each to the stream it belongs on. */
static void
test_lines(void)
{
	struct cmd_ctx	 ctx;
	struct run_env	 env;
	char		*o = NULL, *e = NULL, buf[256];
	size_t		 olen = 0, elen = 0, n;
	FILE		*f;

	memset(&ctx, 0, sizeof ctx);
	memset(&env, 0, sizeof env);
	ctx.out = open_memstream(&o, &olen);
	ctx.err = open_memstream(&e, &elen);
	out_line(&ctx, "created %s (%s, %s)", "f", "python3", "app.handler");
	out_text(&ctx, "two\nlines\n");
	out_note(&ctx, "%s: logs not stored: %s", "f", "disk \x1b[2J full");
	out_error(&ctx, "no instance '%s'", "a");
	ctx.run = &env;
	env.where = "batch:3";
	out_error(&ctx, "no instance '%s'", "b");
	out_note(&ctx, "a note");
	fclose(ctx.out);
	fclose(ctx.err);
	CHECK_STR("lines-1.1", o, "created f (python3, app.handler)\ntwo\nlines\n");
	CHECK_STR("lines-1.2", e, "hearth: f: logs not stored: disk \\x1b[2J full\n"
	    "hearth: no instance 'a'\nbatch:3: no instance 'b'\nhearth: a note\n");
	free(o);
	free(e);

	/*
	 * An error flushes the results written before it, so a reader of
	 * both streams (here one file under a buffered and an unbuffered
	 * stream) sees them in the order they happened.
	 */
	f = tmpfile();
	ctx.out = fdopen(dup(fileno(f)), "w");
	ctx.err = fdopen(dup(fileno(f)), "w");
	setvbuf(ctx.out, NULL, _IOFBF, 4096);
	setvbuf(ctx.err, NULL, _IONBF, 0);
	ctx.run = NULL;
	out_line(&ctx, "removed x");
	out_error(&ctx, "no instance '%s'", "y");
	out_line(&ctx, "removed z");
	out_note(&ctx, "done");
	fclose(ctx.out);
	fclose(ctx.err);
	rewind(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	CHECK_STR("lines-2.1", buf, "removed x\nhearth: no instance 'y'\n"
	    "removed z\nhearth: done\n");
}

int
main(void)
{
	struct buf		 b = { 0 };
	struct out_table	*t;
	char			*s;

	out_json_string(&b, "a\"b\\c\nd\te\x01");
	CHECK_STR("json-1.1", b.data, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
	buf_free(&b);

	t = out_table_new(cols, nitems(cols));
	out_table_row(t);
	out_cell_str(t, "name", "hello");
	out_cell_int(t, "n", 42);
	out_cell_json(t, "env", "{\"A\":\"1\"}");
	out_table_row(t);
	out_cell_str(t, "name", "x");
	out_cell_int(t, "n", -1);
	out_cell_json(t, "env", "{}");
	s = render(t, OUT_TEXT, 0);
	CHECK_STR("table-1.1", s, "NAME   N   ENV\nhello  42  {\"A\":\"1\"}\nx      -1  {}\n");
	free(s);
	s = render(t, OUT_JSON, 0);
	CHECK_STR("table-1.2", s, "[\n  {\"name\": \"hello\", \"n\": 42, \"env\": {\"A\": \"1\"}},"
	    "\n  {\"name\": \"x\", \"n\": -1, \"env\": {}}\n]\n");
	free(s);
	s = render(t, OUT_JSON, 1);
	CHECK_STR("table-1.3", s, "{\"name\": \"hello\", \"n\": 42, \"env\": {\"A\": \"1\"}}\n");
	free(s);
	s = render(t, OUT_TEXT, 1);
	CHECK_STR("table-1.4", s, "NAME: hello\nN:    42\nENV:  {\"A\":\"1\"}\n");
	free(s);
	out_table_free(t);

	t = out_table_new(cols, nitems(cols));
	s = render(t, OUT_JSON, 0);
	CHECK_STR("table-2.1", s, "[]\n");
	free(s);
	out_table_free(t);

	/* Cells from an instance: escaped in text, strict in JSON. */
	t = out_table_new(cols, nitems(cols));
	out_table_row(t);
	out_cell_str(t, "name", "\x1b]0;t\x07\n\xff\xe2\x80\xae");
	out_cell_int(t, "n", 1);
	out_cell_json(t, "env", "{\"a\":\"\x1b\"}");
	s = render(t, OUT_TEXT, 0);
	CHECK_STR("table-3.1", s, "NAME                      N  ENV\n"
	    "\\x1b]0;t\\x07\\n\\xff\\u202e  1  {\"a\":\"\\x1b\"}\n");
	free(s);
	s = render(t, OUT_JSON, 1);
	CHECK_STR("table-3.2", s, "{\"name\": \"\\u001b]0;t\\u0007\\n\xef\xbf\xbd\\u202e\", "
	    "\"n\": 1, \"env\": \"{\\\"a\\\":\\\"\\u001b\\\"}\"}\n");
	free(s);
	out_table_free(t);

	test_keyed();
	test_fatal();
	test_lines();
	CHECK_DONE();
}
