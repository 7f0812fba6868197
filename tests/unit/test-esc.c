/*
 * test-esc.c — escaping what came out of an instance: for a terminal
 * (control characters, C1, invalid UTF-8, bidi overrides), for JSON
 * strings, the strict JSON re-encoder, and out_bytes choosing between
 * exact bytes for a pipe and escapes for a terminal.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "hearth.h"
#include "check.h"

/* esc_term of len bytes of s with flags, in a new string. */
static char *
term(const char *s, size_t len, int flags)
{
	struct buf	b = { 0 };

	esc_term(&b, s, len, flags);
	return b.data;
}

/* esc_json_string of len bytes of s, in a new string. */
static char *
jstr(const char *s, size_t len)
{
	struct buf	b = { 0 };

	esc_json_string(&b, s, len);
	return b.data;
}

/* esc_json of s after a prefix; the whole buffer, or "FAIL:" and it. */
static char *
json(const char *s)
{
	struct buf	 b = { 0 };
	char		*r;

	buf_addstr(&b, "P");
	if (esc_json(&b, s, strlen(s)) != 0) {
		r = xasprintf("FAIL:%s", b.data);
		buf_free(&b);
		return r;
	}
	return b.data;
}

#define TERM(id, in, flags, want) do {					\
	char *s_ = term(in, sizeof in - 1, flags), *t_;			\
	CHECK_STR(id, s_, want);					\
	t_ = esc_term_str(s_, flags);	/* escaping twice: the same */	\
	CHECK_STR(id "-twice", t_, s_);					\
	free(t_);							\
	free(s_);							\
} while (0)

#define JSTR(id, in, want) do {						\
	char *s_ = jstr(in, sizeof in - 1);				\
	CHECK_STR(id, s_, want);					\
	free(s_);							\
} while (0)

#define JSON(id, in, want) do {						\
	char *s_ = json(in);						\
	CHECK_STR(id, s_, want);					\
	free(s_);							\
} while (0)

/* Write s through out_bytes to a terminal; what the terminal received. */
static char *
through_pty(const char *s, size_t len)
{
	struct termios	 tio;
	char		 got[4096];
	ssize_t		 n;
	FILE		*f;
	int		 m, sfd;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) == -1 || grantpt(m) == -1 ||
	    unlockpt(m) == -1 || (sfd = open(ptsname(m), O_RDWR | O_NOCTTY)) == -1)
		return NULL;
	tcgetattr(sfd, &tio);
	cfmakeraw(&tio);
	tcsetattr(sfd, TCSANOW, &tio);
	f = fdopen(sfd, "w");
	out_bytes(f, s, len, 0);
	fclose(f);
	n = read(m, got, sizeof got - 1);
	close(m);
	got[n > 0 ? n : 0] = '\0';
	return xstrdup(got);
}

int
main(void)
{
	struct buf	 b = { 0 };
	char		*s, *deep;
	size_t		 len;
	FILE		*f;
	int		 i;

	/* 1: terminal escapes. */
	TERM("term-1.1", "a\x1b]0;pwned\x07z", 0, "a\\x1b]0;pwned\\x07z");
	TERM("term-1.2", "\x1b[2J\x1b[H", 0, "\\x1b[2J\\x1b[H");
	TERM("term-1.3", "a\rb", 0, "a\\rb");
	TERM("term-1.4", "del\x7f nul\0.", 0, "del\\x7f nul\\x00.");
	TERM("term-1.5", "raw \x9b c1 \xc2\x9b \xc2\x80", 0,
	    "raw \\x9b c1 \\x9b \\x80");
	TERM("term-1.6", "bad \xff\xfe cut \xe2\x80", 0,
	    "bad \\xff\\xfe cut \\xe2\\x80");
	TERM("term-1.7", "over \xc0\xaf sur \xed\xa0\x80 big \xf4\x90\x80\x80", 0,
	    "over \\xc0\\xaf sur \\xed\\xa0\\x80 big \\xf4\\x90\\x80\\x80");
	TERM("term-1.8", "\xe2\x80\xaertl \xe2\x80\xaa \xe2\x81\xa6x\xe2\x81\xa9", 0,
	    "\\u202ertl \\u202a \\u2066x\\u2069");
	TERM("term-1.9", "h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5 \xf0\x9f\x98\x80 "
	    "\xc2\xa0 \xe2\x80\x8f", 0, "h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5 "
	    "\xf0\x9f\x98\x80 \xc2\xa0 \xe2\x80\x8f");
	TERM("term-1.10", "two\nlines\tand tab\n", 0, "two\nlines\tand tab\n");
	TERM("term-1.11", "one\nline\t", ESC_ONELINE, "one\\nline\\t");
	TERM("term-1.12", "a\tb\n\tc\nabcdefgh\ti\n\xc3\xa9\tj", ESC_DETAB,
	    "a       b\n        c\nabcdefgh        i\n\xc3\xa9       j");
	TERM("term-1.13", "\x1b\tx", ESC_DETAB, "\\x1b    x");
	TERM("term-1.14", "boot\r\nok\r\n\rnot\r", ESC_CRLF,
	    "boot\r\nok\r\n\\rnot\\r");
	TERM("term-1.15", "back\\x1b slash", 0, "back\\x1b slash");
	TERM("term-1.16", "a\r\nb", ESC_NL | ESC_CRLF, "a\\r\\nb");
	s = esc_term_str("", 0);
	CHECK_STR("term-1.17", s, "");
	free(s);

	/* 2: JSON strings. */
	JSTR("jstr-2.1", "q\" b\\ n\n r\r t\t", "\"q\\\" b\\\\ n\\n r\\r t\\t\"");
	JSTR("jstr-2.2", "\x1b]0;x\x07\x01\0", "\"\\u001b]0;x\\u0007\\u0001\\u0000\"");
	JSTR("jstr-2.3", "\x7f \xc2\x9b \xe2\x80\xae \xe2\x80\xa8",
	    "\"\\u007f \\u009b \\u202e \\u2028\"");
	JSTR("jstr-2.4", "\xff\xfe \x9b", "\"\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\"");
	JSTR("jstr-2.5", "h\xc3\xa9 \xf0\x9f\x98\x80 /", "\"h\xc3\xa9 \xf0\x9f\x98\x80 /\"");
	out_json_string(&b, "a\"b\\c\nd\te\x01");
	CHECK_STR("jstr-2.6", b.data, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
	buf_free(&b);

	/* 3: JSON read strictly and written again. */
	JSON("json-3.1", "{\"a\": [1, -2.5e3, 0, 1E+2, true, false, null], \"b\": \"x\"}",
	    "P{\"a\": [1, -2.5e3, 0, 1E+2, true, false, null], \"b\": \"x\"}");
	JSON("json-3.2", " {\n\t\"a\" :1 ,\"b\":{ },\"c\":[ ]}\r\n",
	    "P{\"a\": 1, \"b\": {}, \"c\": []}");
	JSON("json-3.3", "\"\\u001b]0;pwned\\u0007 \\u202e \\/ \\b\\f\"",
	    "P\"\\u001b]0;pwned\\u0007 \\u202e / \\u0008\\u000c\"");
	JSON("json-3.4", "\"\\ud83d\\ude00 \\u00e9 \\u0000\"",
	    "P\"\xf0\x9f\x98\x80 \xc3\xa9 \\u0000\"");
	JSON("json-3.5", "[\"\\udcff\", \"\\ud800x\", \"\\ud800\\u0041\"]",
	    "P[\"\xef\xbf\xbd\", \"\xef\xbf\xbdx\", \"\xef\xbf\xbd" "A\"]");
	JSON("json-3.6", "\"h\xc3\xa9\"", "P\"h\xc3\xa9\"");
	JSON("json-3.7", "42", "P42");
	/* Not JSON: refused whole, the buffer left as it was. */
	JSON("json-3.8", "\"raw \x1b control\"", "FAIL:P");
	JSON("json-3.9", "\"bad \xff utf-8\"", "FAIL:P");
	JSON("json-3.10", "{} x", "FAIL:P");
	JSON("json-3.11", "NaN", "FAIL:P");
	JSON("json-3.12", "01", "FAIL:P");
	JSON("json-3.13", "1.", "FAIL:P");
	JSON("json-3.14", "[1,]", "FAIL:P");
	JSON("json-3.15", "{\"a\"}", "FAIL:P");
	JSON("json-3.16", "'a'", "FAIL:P");
	JSON("json-3.17", "", "FAIL:P");
	JSON("json-3.18", "\"\\x41\"", "FAIL:P");
	JSON("json-3.19", "\"\\u12\"", "FAIL:P");
	JSON("json-3.20", "[1] [2]", "FAIL:P");
	JSON("json-3.21", "\"unterminated", "FAIL:P");
	JSON("json-3.22", "{\"a\": 1,}", "FAIL:P");
	JSON("json-3.23", "-", "FAIL:P");
	JSON("json-3.24", "tru", "FAIL:P");
	/* Nesting: as deep as cJSON reads, and no deeper. */
	deep = xmalloc(2 * 1001 + 1);
	for (i = 0; i < 1000; i++) {
		deep[i] = '[';
		deep[1000 + i] = ']';
	}
	deep[2000] = '\0';
	CHECK("json-3.25", esc_json(&b, deep, 2000) == 0 && b.len == 2000);
	buf_free(&b);
	for (i = 0; i < 1001; i++) {
		deep[i] = '[';
		deep[1001 + i] = ']';
	}
	deep[2002] = '\0';
	CHECK("json-3.26", esc_json(&b, deep, 2002) == -1 && b.len == 0);
	buf_free(&b);
	free(deep);
	/* A result that is not JSON becomes a string. */
	esc_json_or_string(&b, "plain \x1b[2J", 10);
	CHECK_STR("json-3.27", b.data, "\"plain \\u001b[2J\"");
	buf_free(&b);
	esc_json_or_string(&b, "{\"k\":\"v\"}", 9);
	CHECK_STR("json-3.28", b.data, "{\"k\": \"v\"}");
	buf_free(&b);

	/* 4: out_bytes: exact bytes to a file, escapes to a terminal. */
	s = NULL;
	f = open_memstream(&s, &len);
	out_bytes(f, "\x1b[2J\xff\n", 6, 0);
	fclose(f);
	CHECK("bytes-4.1", len == 6 && memcmp(s, "\x1b[2J\xff\n", 6) == 0);
	free(s);
	s = through_pty("\x1b]0;pwned\x07 \xff\xfe ok\n", 17);
	CHECK_STR("bytes-4.2", s, "\\x1b]0;pwned\\x07 \\xff\\xfe ok\n");
	free(s);
	CHECK_DONE();
}
