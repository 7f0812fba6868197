/*
 * test-out.c — output formatting: JSON escaping, tables as text and JSON,
 * cells by key (a wrong one stops the program: checked in a child),
 * message lines, notes and errors, and the ctx-level calls commands use:
 * a table shown in the front end's format, a streamed table, what a
 * function produced, and a flush that sees the reader gone.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
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
	 * Every error and note is one line: a newline or tab in what was
	 * typed (a value, a name) shows escaped, as in a table cell, and so
	 * does one in the prefix (a batch file's name).
	 */
	o = e = NULL;
	ctx.out = open_memstream(&o, &olen);
	ctx.err = open_memstream(&e, &elen);
	ctx.run = NULL;
	out_error(&ctx, "no function '%s'", "x\ny");
	out_note(&ctx, "value '%s'", "us-east-1\nx\t\r");
	ctx.run = &env;
	env.where = "a\nb:1";
	out_error(&ctx, "%s", "");
	fclose(ctx.out);
	fclose(ctx.err);
	CHECK_STR("lines-1.3", e, "hearth: no function 'x\\ny'\n"
	    "hearth: value 'us-east-1\\nx\\t\\r'\na\\nb:1: \n");
	CHECK_STR("lines-1.4", o, "");
	free(o);
	free(e);
	ctx.run = NULL;

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

/* A command context whose results and notes go to two memory streams. */
struct capture {
	struct cmd_ctx	 ctx;		/* what the calls under test get */
	char		*o;		/* results written */
	char		*e;		/* notes and logs written */
	size_t		 olen;		/* bytes in o */
	size_t		 elen;		/* bytes in e */
};

static void
cap_open(struct capture *c, enum out_format fmt)
{
	memset(c, 0, sizeof *c);
	c->ctx.format = fmt;
	c->ctx.out = open_memstream(&c->o, &c->olen);
	c->ctx.err = open_memstream(&c->e, &c->elen);
}

static void
cap_close(struct capture *c)
{
	fclose(c->ctx.out);
	fclose(c->ctx.err);
}

static void
cap_free(struct capture *c)
{
	free(c->o);
	free(c->e);
}

/* out_show: the format is the front end's, the stream the results'. */
static void
test_show(void)
{
	struct capture		 c;
	struct out_table	*t;

	t = out_table_new(cols, 2);
	out_table_row(t);
	out_cell_str(t, "name", "a");
	out_cell_int(t, "n", 3);
	cap_open(&c, OUT_TEXT);
	out_show(&c.ctx, t, 0);
	out_show(&c.ctx, t, 1);
	cap_close(&c);
	CHECK_STR("show-1.1", c.o, "NAME  N\na     3\nNAME: a\nN:    3\n");
	CHECK_STR("show-1.2", c.e, "");
	cap_free(&c);
	cap_open(&c, OUT_JSON);
	out_show(&c.ctx, t, 0);
	out_show(&c.ctx, t, 1);
	cap_close(&c);
	CHECK_STR("show-2.1", c.o, "[\n  {\"name\": \"a\", \"n\": 3}\n]\n"
	    "{\"name\": \"a\", \"n\": 3}\n");
	CHECK_STR("show-2.2", c.e, "");
	cap_free(&c);
	out_table_free(t);
}

static const struct out_col ucols[] = {
	{ "id", "ID", OUT_STR },
	{ "memory_mb", "MEM", OUT_INT, "MiB" },
	{ "used_mb", "USED", OUT_NUM, "MiB" },
	{ "took_ms", "TOOK", OUT_NUM, "ms" },
};

/* Units in text, bare numbers in JSON; -q prints the first column only. */
static void
test_units(void)
{
	struct capture		 c;
	struct out_table	*t;

	t = out_table_new(ucols, nitems(ucols));
	out_table_row(t);
	out_cell_str(t, "id", "a1");
	out_cell_int(t, "memory_mb", 128);
	out_cell_num(t, "used_mb", 318.93);
	out_cell_num(t, "took_ms", 1.5);
	out_table_row(t);
	out_cell_str(t, "id", "b2");
	out_cell_int(t, "memory_mb", 64);
	out_cell_none(t, "used_mb");
	out_cell_num(t, "took_ms", 12);
	cap_open(&c, OUT_TEXT);
	out_show(&c.ctx, t, 0);
	cap_close(&c);
	CHECK_STR("units-1.1", c.o, "ID  MEM     USED      TOOK\n"
	    "a1  128MiB  318.9MiB  1.50ms\nb2  64MiB   -         12.00ms\n");
	cap_free(&c);
	cap_open(&c, OUT_JSON);
	out_show(&c.ctx, t, 0);
	cap_close(&c);
	CHECK_STR("units-1.2", c.o, "[\n  {\"id\": \"a1\", \"memory_mb\": 128, "
	    "\"used_mb\": 318.930, \"took_ms\": 1.500},\n  {\"id\": \"b2\", "
	    "\"memory_mb\": 64, \"used_mb\": null, \"took_ms\": 12.000}\n]\n");
	cap_free(&c);
	cap_open(&c, OUT_TEXT);
	c.ctx.quiet = 1;
	out_show(&c.ctx, t, 0);
	cap_close(&c);
	CHECK_STR("quiet-1.1", c.o, "a1\nb2\n");
	cap_free(&c);
	cap_open(&c, OUT_JSON);
	c.ctx.quiet = 1;
	out_show(&c.ctx, t, 0);
	out_show(&c.ctx, t, 1);		/* a single object is not a list */
	cap_close(&c);
	CHECK_STR("quiet-1.2", c.o, "a1\nb2\n{\"id\": \"a1\", \"memory_mb\": 128, "
	    "\"used_mb\": 318.930, \"took_ms\": 1.500}\n");
	cap_free(&c);
	out_table_free(t);
}

static const struct out_col lcols[] = {
	{ "ts", "Time", OUT_STR },
	{ "line", "Line", OUT_STR },
};

/* Feed a streamed table what fn logs does: two records, two flushes. */
static void
stream_logs(struct cmd_ctx *ctx, int flags, int rows)
{
	struct out_table	*t = out_stream_begin(ctx, lcols, nitems(lcols),
	    flags);
	int			 i;

	for (i = 0; i < rows; i++) {
		out_stream_text(t, i == 0 ? "one\n\x1b[2Jtwo\0x\n" : "three",
		    i == 0 ? 14 : 5);
		out_table_row(t);
		out_cell_str(t, "ts", i == 0 ? "t0" : "t1");
		out_cell_str_len(t, "line", i == 0 ? "one" : "three",
		    i == 0 ? 3 : 5);
		if (i == 0) {
			out_table_row(t);
			out_cell_str(t, "ts", "t0");
			out_cell_str_len(t, "line", "\x1b[2Jtwo\0x", 9);
		}
		out_stream_flush(t);
	}
	out_stream_end(t);
}

/* A streamed table: one array, one object a line, or the text as it came. */
static void
test_stream(void)
{
	struct capture	c;

	cap_open(&c, OUT_JSON);
	stream_logs(&c.ctx, 0, 2);
	cap_close(&c);
	CHECK_STR("stream-1.1", c.o, "[\n  {\"ts\": \"t0\", \"line\": \"one\"},"
	    "\n  {\"ts\": \"t0\", \"line\": \"\\u001b[2Jtwo\\u0000x\"},"
	    "\n  {\"ts\": \"t1\", \"line\": \"three\"}\n]\n");
	CHECK_STR("stream-1.2", c.e, "");
	cap_free(&c);

	cap_open(&c, OUT_JSON);
	stream_logs(&c.ctx, 0, 0);
	cap_close(&c);
	CHECK_STR("stream-2.1", c.o, "[]\n");
	cap_free(&c);

	cap_open(&c, OUT_JSON);
	stream_logs(&c.ctx, OUT_STREAM_LINES, 2);
	cap_close(&c);
	CHECK_STR("stream-3.1", c.o, "{\"ts\": \"t0\", \"line\": \"one\"}\n"
	    "{\"ts\": \"t0\", \"line\": \"\\u001b[2Jtwo\\u0000x\"}\n"
	    "{\"ts\": \"t1\", \"line\": \"three\"}\n");
	cap_free(&c);

	cap_open(&c, OUT_JSON);
	stream_logs(&c.ctx, OUT_STREAM_LINES, 0);
	cap_close(&c);
	CHECK_STR("stream-3.2", c.o, "");
	cap_free(&c);

	/* For a person: the bytes exactly (a file here), no rows. */
	cap_open(&c, OUT_TEXT);
	stream_logs(&c.ctx, 0, 2);
	cap_close(&c);
	CHECK("stream-4.1", c.olen == 19 &&
	    memcmp(c.o, "one\n\x1b[2Jtwo\0x\nthree", 19) == 0);
	CHECK_STR("stream-4.2", c.e, "");
	cap_free(&c);
}

/* A terminal's slave side, raw, as a FILE; *m gets the master. */
static FILE *
pty_open(int *m)
{
	struct termios	tio;
	int		sfd;

	if ((*m = posix_openpt(O_RDWR | O_NOCTTY)) == -1 || grantpt(*m) == -1 ||
	    unlockpt(*m) == -1 ||
	    (sfd = open(ptsname(*m), O_RDWR | O_NOCTTY)) == -1)
		return NULL;
	tcgetattr(sfd, &tio);
	cfmakeraw(&tio);
	tcsetattr(sfd, TCSANOW, &tio);
	return fdopen(sfd, "w");
}

/*
 * What a function produced: exact to a file, escaped on a terminal;
 * its log on the error stream after the results before it.
 */
static void
test_output(void)
{
	struct capture	 c;
	char		 got[256], buf[256];
	ssize_t		 n;
	size_t		 len;
	FILE		*f;
	int		 m;

	cap_open(&c, OUT_TEXT);
	out_output(&c.ctx, "a\x1b[2J\0\n", 6, 0);
	out_log(&c.ctx, "START\x1b]0;x\x07\n", 12);
	cap_close(&c);
	CHECK("output-1.1", c.olen == 6 && memcmp(c.o, "a\x1b[2J\0\n", 6) == 0);
	CHECK("output-1.2", c.elen == 12 &&
	    memcmp(c.e, "START\x1b]0;x\x07\n", 12) == 0);
	cap_free(&c);

	memset(&c, 0, sizeof c);
	if ((f = pty_open(&m)) == NULL) {
		CHECK("output-2.0 pty", 0);
		return;
	}
	c.ctx.out = f;
	c.ctx.err = f;
	out_output(&c.ctx, "a\x1b[2J\r\n", 7, ESC_CRLF);
	out_log(&c.ctx, "b\x1b[2J\n", 6);
	out_flush(&c.ctx);
	fclose(f);
	/* Each write may arrive apart: read until the closed side ends it. */
	for (len = 0; len < sizeof got - 1; len += (size_t)n)
		if ((n = read(m, got + len, sizeof got - 1 - len)) <= 0)
			break;
	close(m);
	got[len] = '\0';
	CHECK_STR("output-2.1", got, "a\\x1b[2J\r\nb\\x1b[2J\n");

	/* The log comes after the results written before it. */
	f = tmpfile();
	c.ctx.out = fdopen(dup(fileno(f)), "w");
	c.ctx.err = fdopen(dup(fileno(f)), "w");
	setvbuf(c.ctx.out, NULL, _IOFBF, 4096);
	setvbuf(c.ctx.err, NULL, _IONBF, 0);
	out_output(&c.ctx, "result\n", 7, 0);
	out_log(&c.ctx, "log\n", 4);
	fclose(c.ctx.out);
	fclose(c.ctx.err);
	rewind(f);
	len = fread(buf, 1, sizeof buf - 1, f);
	buf[len] = '\0';
	fclose(f);
	CHECK_STR("output-3.1", buf, "result\nlog\n");
}

/* out_flush and a streamed table's flush say when the reader has gone. */
static void
test_flush(void)
{
	struct cmd_ctx		 ctx;
	struct out_table	*t;
	int			 fds[2];

	signal(SIGPIPE, SIG_IGN);
	memset(&ctx, 0, sizeof ctx);
	if (pipe(fds) == -1) {
		CHECK("flush-1.0 pipe", 0);
		return;
	}
	ctx.format = OUT_JSON;
	ctx.out = fdopen(fds[1], "w");
	ctx.err = tmpfile();
	out_output(&ctx, "x", 1, 0);
	CHECK("flush-1.1", out_flush(&ctx) == 0);
	t = out_stream_begin(&ctx, lcols, nitems(lcols), OUT_STREAM_LINES);
	out_table_row(t);
	out_cell_str(t, "ts", "t");
	out_cell_str(t, "line", "l");
	CHECK("flush-1.2", out_stream_flush(t) == 0);
	close(fds[0]);
	out_output(&ctx, "y", 1, 0);
	CHECK("flush-1.3", out_flush(&ctx) == -1);
	out_table_row(t);
	out_cell_str(t, "ts", "t");
	out_cell_str(t, "line", "l");
	CHECK("flush-1.4", out_stream_flush(t) == -1);
	out_stream_end(t);
	fclose(ctx.out);
	fclose(ctx.err);
	signal(SIGPIPE, SIG_DFL);
}

static void
stream_left_empty(void)
{
	struct cmd_ctx		 ctx;
	struct out_table	*t;

	memset(&ctx, 0, sizeof ctx);
	ctx.format = OUT_JSON;
	ctx.out = ctx.err = stdout;
	t = out_stream_begin(&ctx, lcols, nitems(lcols), 0);
	out_table_row(t);
	out_cell_str(t, "line", "l");
	out_stream_flush(t);
}

static void
not_streamed(void)
{
	struct out_table *t = out_table_new(lcols, nitems(lcols));

	out_stream_text(t, "x", 1);
}

/* A streamed row left incomplete, or text for a table shown whole: bugs. */
static void
test_stream_fatal(void)
{
	CHECK("fatal-2.1", dies(stream_left_empty, "column ts left empty"));
	CHECK("fatal-2.2", dies(not_streamed, "not a streamed table"));
}

int
main(void)
{
	struct buf		 b = { 0 };
	struct out_table	*t;
	char			*s;

	test_units();
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
	test_show();
	test_stream();
	test_output();
	test_flush();
	test_stream_fatal();
	CHECK_DONE();
}
