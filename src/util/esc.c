/*
 * esc.c — what came out of an instance, made safe to print.
 *
 * Everything a function or an agent produced is hostile: results, log
 * lines, error types and messages, a machine's console.  On its way to a
 * terminal it is escaped so that none of it can set the title, clear the
 * screen, move the cursor or reorder what follows: control characters (C0
 * but newline and tab, DEL, C1) become \xNN (CR becomes \r), bytes that
 * are not UTF-8 become \xNN, and the bidi overrides and isolates become
 * \uNNNN; printable UTF-8 passes as it is.  The result shows only
 * printable characters, so escaping twice changes nothing.
 *
 * On its way into JSON, a string is escaped the strict way: every control
 * character as \u00NN (the short forms for newline, CR and tab), the bidi
 * characters and U+2028/U+2029 too, and invalid UTF-8 replaced by U+FFFD.
 * Text that claims to be JSON is read by a strict RFC 8259 parser and
 * written again through the same writer, or refused whole; so `-o json`
 * is always a document that strict parsers accept.  The same reader
 * checks what hearth is given as JSON (esc_json_check: payloads), so
 * what goes in is held to the rule that what comes out is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "esc.h"

#define ESC_JSON_DEPTH	1000	/* nesting a JSON text may have (as cJSON) */

/*
 * The code point of the UTF-8 sequence at p (n bytes available) in *cp;
 * returns its length, or 0 if p does not start a valid sequence (overlong,
 * a surrogate, beyond U+10FFFF, cut short).
 */
static size_t
esc_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t	c, min;
	size_t		len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Is cp one of the characters that reorder the text after them? */
static int
esc_bidi(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Append len bytes of p to b, escaped for a terminal.  flags: ESC_NL and
 * ESC_TAB escape newline and tab too (one-line fields), ESC_DETAB turns
 * tabs into spaces up to the next multiple of 8 characters, ESC_CRLF lets
 * a CR that ends a line pass (a serial console's line ends).
 */
void
esc_term(struct buf *b, const void *p, size_t len, int flags)
{
	const unsigned char	*s = p, *run = s;
	size_t			 i = 0, n, col = 0;
	uint32_t		 cp;
	char			 tmp[16];

	if (b->data == NULL)
		buf_add(b, "", 0);
	while (i < len) {
		tmp[0] = '\0';
		cp = 0;
		n = esc_utf8(s + i, len - i, &cp);
		if (n == 0)
			snprintf(tmp, sizeof tmp, "\\x%02x", s[i]);
		else if (cp == '\n') {
			if (flags & ESC_NL)
				snprintf(tmp, sizeof tmp, "\\n");
		} else if (cp == '\t') {
			if (flags & ESC_TAB)
				snprintf(tmp, sizeof tmp, "\\t");
			else if (flags & ESC_DETAB)
				snprintf(tmp, sizeof tmp, "%.*s", (int)(8 - col % 8),
				    "        ");
		} else if (cp == '\r') {
			if ((flags & (ESC_CRLF | ESC_NL)) != ESC_CRLF ||
			    i + 1 >= len || s[i + 1] != '\n')
				snprintf(tmp, sizeof tmp, "\\r");
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned)cp);
		else if (esc_bidi(cp))
			snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)cp);
		if (n == 0)
			n = 1;
		if (tmp[0] != '\0') {
			buf_add(b, run, s + i - run);
			buf_addstr(b, tmp);
			col += strlen(tmp);
			run = s + i + n;
		} else if (cp == '\n')
			col = 0;
		else
			col++;
		i += n;
	}
	buf_add(b, run, s + len - run);
}

/* s escaped for a terminal (see esc_term), in a new string. */
char *
esc_term_str(const char *s, int flags)
{
	struct buf	b = { 0 };

	esc_term(&b, s, strlen(s), flags);
	return b.data;
}

/* Append len bytes of p to b as a JSON string literal, strictly escaped. */
void
esc_json_string(struct buf *b, const void *p, size_t len)
{
	const unsigned char	*s = p, *run = s;
	size_t			 i = 0, n;
	uint32_t		 cp;
	char			 tmp[16];

	buf_add(b, "\"", 1);
	while (i < len) {
		tmp[0] = '\0';
		cp = 0;
		n = esc_utf8(s + i, len - i, &cp);
		if (n == 0) {
			snprintf(tmp, sizeof tmp, "\xef\xbf\xbd");	/* U+FFFD */
			n = 1;
		} else if (cp == '"')
			snprintf(tmp, sizeof tmp, "\\\"");
		else if (cp == '\\')
			snprintf(tmp, sizeof tmp, "\\\\");
		else if (cp == '\n')
			snprintf(tmp, sizeof tmp, "\\n");
		else if (cp == '\r')
			snprintf(tmp, sizeof tmp, "\\r");
		else if (cp == '\t')
			snprintf(tmp, sizeof tmp, "\\t");
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || esc_bidi(cp) ||
		    cp == 0x2028 || cp == 0x2029)
			snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)cp);
		if (tmp[0] != '\0') {
			buf_add(b, run, s + i - run);
			buf_addstr(b, tmp);
			run = s + i + n;
		}
		i += n;
	}
	buf_add(b, run, s + len - run);
	buf_add(b, "\"", 1);
}

/* A strict reader of one JSON text, writing what it reads to out. */
struct esc_json {
	const unsigned char	*p;	/* next byte to read */
	const unsigned char	*end;	/* end of the text */
	int			 depth;	/* containers open */
	struct buf		*out;	/* where the re-encoded text goes */
	struct buf		 str;	/* a string's decoded bytes */
	int			 whole;	/* a lone surrogate (\ud800) is an error,
					   not U+FFFD: input must be I-JSON */
};

static int esc_json_value(struct esc_json *j);

/* Skip JSON whitespace (space, tab, LF, CR). */
static void
esc_json_ws(struct esc_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' ||
	    *j->p == '\r'))
		j->p++;
}

/* Read four hex digits; -1 if they are not there. */
static long
esc_json_hex4(struct esc_json *j)
{
	long	v = 0;
	int	i, c;

	if (j->end - j->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		c = j->p[i];
		if (c >= '0' && c <= '9')
			v = v * 16 + c - '0';
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + c - 'A' + 10;
		else
			return -1;
	}
	j->p += 4;
	return v;
}

/* Append code point cp to b as UTF-8 (a lone surrogate as U+FFFD). */
static void
esc_put_utf8(struct buf *b, uint32_t cp)
{
	unsigned char	u[4];

	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		buf_add(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = 0xc0 | (cp >> 6);
		u[1] = 0x80 | (cp & 0x3f);
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = 0xe0 | (cp >> 12);
		u[1] = 0x80 | ((cp >> 6) & 0x3f);
		u[2] = 0x80 | (cp & 0x3f);
		buf_add(b, u, 3);
	} else {
		u[0] = 0xf0 | (cp >> 18);
		u[1] = 0x80 | ((cp >> 12) & 0x3f);
		u[2] = 0x80 | ((cp >> 6) & 0x3f);
		u[3] = 0x80 | (cp & 0x3f);
		buf_add(b, u, 4);
	}
}

/* Read a string (at its opening quote) and write it escaped. */
static int
esc_json_str(struct esc_json *j)
{
	const unsigned char	*run;
	uint32_t		 cp;
	long			 hi, lo;
	size_t			 n;

	j->p++;
	j->str.len = 0;
	buf_add(&j->str, "", 0);
	for (;;) {
		run = j->p;
		while (j->p < j->end && *j->p >= 0x20 && *j->p != '"' &&
		    *j->p != '\\') {
			if ((n = esc_utf8(j->p, j->end - j->p, &cp)) == 0)
				return -1;	/* JSON text is UTF-8 */
			j->p += n;
		}
		buf_add(&j->str, run, j->p - run);
		if (j->p >= j->end || *j->p < 0x20)
			return -1;	/* unterminated, or a raw control character */
		if (*j->p++ == '"')
			break;
		if (j->p >= j->end)
			return -1;
		switch (*j->p++) {
		case '"': buf_add(&j->str, "\"", 1); break;
		case '\\': buf_add(&j->str, "\\", 1); break;
		case '/': buf_add(&j->str, "/", 1); break;
		case 'b': buf_add(&j->str, "\b", 1); break;
		case 'f': buf_add(&j->str, "\f", 1); break;
		case 'n': buf_add(&j->str, "\n", 1); break;
		case 'r': buf_add(&j->str, "\r", 1); break;
		case 't': buf_add(&j->str, "\t", 1); break;
		case 'u':
			if ((hi = esc_json_hex4(j)) == -1)
				return -1;
			cp = (uint32_t)hi;
			if (hi >= 0xd800 && hi <= 0xdbff && j->end - j->p >= 6 &&
			    j->p[0] == '\\' && j->p[1] == 'u') {
				j->p += 2;
				if ((lo = esc_json_hex4(j)) == -1)
					return -1;
				if (lo >= 0xdc00 && lo <= 0xdfff)
					cp = 0x10000 + ((hi - 0xd800) << 10) +
					    (lo - 0xdc00);
				else if (j->whole)
					return -1;
				else {
					esc_put_utf8(&j->str, cp);	/* lone: U+FFFD */
					cp = (uint32_t)lo;
				}
			}
			if (j->whole && cp >= 0xd800 && cp <= 0xdfff)
				return -1;
			esc_put_utf8(&j->str, cp);
			break;
		default:
			return -1;
		}
	}
	esc_json_string(j->out, j->str.data, j->str.len);
	return 0;
}

/* Read a number and copy it: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? */
static int
esc_json_num(struct esc_json *j)
{
	const unsigned char	*start = j->p, *d;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p < j->end && *j->p >= '1' && *j->p <= '9') {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	} else
		return -1;
	if (j->p < j->end && *j->p == '.') {
		d = ++j->p;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
		if (j->p == d)
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		d = j->p;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
		if (j->p == d)
			return -1;
	}
	buf_add(j->out, start, j->p - start);
	return 0;
}

/* Read the literal word (true, false, null) and copy it. */
static int
esc_json_word(struct esc_json *j, const char *word)
{
	size_t	n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return -1;
	j->p += n;
	buf_add(j->out, word, n);
	return 0;
}

/* Read an object or an array (at its opening bracket) and write it. */
static int
esc_json_container(struct esc_json *j)
{
	int	obj = *j->p == '{', first = 1;
	char	close = obj ? '}' : ']';

	if (++j->depth > ESC_JSON_DEPTH)
		return -1;
	buf_add(j->out, obj ? "{" : "[", 1);
	j->p++;
	esc_json_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		buf_add(j->out, &close, 1);
		j->depth--;
		return 0;
	}
	for (;;) {
		if (!first)
			buf_addstr(j->out, ", ");
		first = 0;
		esc_json_ws(j);
		if (obj) {
			if (j->p >= j->end || *j->p != '"' || esc_json_str(j) != 0)
				return -1;
			esc_json_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return -1;
			buf_addstr(j->out, ": ");
			esc_json_ws(j);
		}
		if (esc_json_value(j) != 0)
			return -1;
		esc_json_ws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == close)
			break;
		if (*j->p++ != ',')
			return -1;
	}
	j->p++;
	buf_add(j->out, &close, 1);
	j->depth--;
	return 0;
}

/* Read any JSON value and write it. */
static int
esc_json_value(struct esc_json *j)
{
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
	case '[':
		return esc_json_container(j);
	case '"':
		return esc_json_str(j);
	case 't':
		return esc_json_word(j, "true");
	case 'f':
		return esc_json_word(j, "false");
	case 'n':
		return esc_json_word(j, "null");
	default:
		return esc_json_num(j);
	}
}

/*
 * Append the JSON text in p (len bytes) to b, read strictly and written
 * again with every string escaped as esc_json_string does.  Returns -1,
 * with b as it was, if p is not exactly one JSON text.
 */
static int
esc_json_read(struct buf *b, const void *p, size_t len, int whole, size_t *at)
{
	struct esc_json	j;
	size_t		before = b->len;
	int		rc;

	memset(&j, 0, sizeof j);
	j.p = p;
	j.end = j.p + len;
	j.out = b;
	j.whole = whole;
	esc_json_ws(&j);
	if ((rc = esc_json_value(&j)) == 0) {
		esc_json_ws(&j);
		if (j.p != j.end)
			rc = -1;	/* trailing data: {}{} or {"a":1} x */
	}
	if (at != NULL)
		*at = (size_t)(j.p - (const unsigned char *)p);
	buf_free(&j.str);
	if (rc != 0 && b->data != NULL) {
		b->len = before;
		b->data[b->len] = '\0';
	}
	return rc;
}

int
esc_json(struct buf *b, const void *p, size_t len)
{
	return esc_json_read(b, p, len, 0, NULL);
}

/*
 * Is p (len bytes) exactly one JSON text (RFC 8259: no trailing data, no
 * leading zero, no raw control character in a string, UTF-8) with no lone
 * surrogate escape (RFC 7493, I-JSON)?  The same reader as esc_json, for
 * input hearth passes on (payloads): 0, or -1 with *at the offset of the
 * byte where reading stopped.
 */
int
esc_json_check(const void *p, size_t len, size_t *at)
{
	struct buf	scratch = { 0 };
	int		rc;

	rc = esc_json_read(&scratch, p, len, 1, at);
	buf_free(&scratch);
	return rc;
}

/* Append p as JSON: itself re-encoded if it is JSON, else as a string. */
void
esc_json_or_string(struct buf *b, const void *p, size_t len)
{
	if (esc_json(b, p, len) != 0)
		esc_json_string(b, p, len);
}
