/*
 * http.c — the agent's HTTP/1.1 request parser and the Runtime API's
 * routes.
 *
 * Two kinds of peer send the agent requests: the host, and the runtime
 * over the Lambda Runtime API — and the runtime is the function's code,
 * which may be hostile.  So the parser is strict and bounded, and does
 * nothing but parse: a request line (METHOD SP TARGET SP HTTP/1.x), header
 * lines, and of those only Content-Length and hearth's own headers mean
 * anything.  The head must end within PROTO_HEADERS_MAX bytes; a bad
 * request line, a header line without a colon or with a blank before it,
 * a Content-Length that is not a plain decimal number or appears twice, a
 * request id too long to keep whole, any Transfer-Encoding (the
 * agent reads bodies by length only, so it never has to guess where one
 * ends) or a control character in the head make the request malformed.
 * The input is never modified, so a fuzzer can feed it anything.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"

/* The line at p (ending "\r\n" before end), or NULL; *len its length. */
static const char *
http_line(const char *p, const char *end, size_t *len)
{
	const char	*cr;

	for (cr = p; cr + 1 < end; cr++) {
		if (cr[0] == '\r' && cr[1] == '\n') {
			*len = cr - p;
			return p;
		}
	}
	return NULL;
}

/* Is this header name (length n) name? */
static int
http_is(const char *p, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(p, name, n) == 0;
}

/* Copy at most size-1 bytes of p (length n) into out, NUL-terminated. */
static void
http_copy(char *out, size_t size, const char *p, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Parse a request line: METHOD SP TARGET SP HTTP/1.0|1.1. */
static int
http_request_line(const char *p, size_t n, struct http_req *r)
{
	const char	*sp1, *sp2, *e = p + n;
	size_t		 i;

	if ((sp1 = memchr(p, ' ', n)) == NULL || sp1 == p ||
	    (size_t)(sp1 - p) >= sizeof r->method)
		return -1;
	for (i = 0; p + i < sp1; i++)
		if (!isupper((unsigned char)p[i]))
			return -1;
	if ((sp2 = memchr(sp1 + 1, ' ', e - sp1 - 1)) == NULL || sp2 == sp1 + 1 ||
	    (size_t)(sp2 - sp1 - 1) >= sizeof r->path || sp1[1] != '/')
		return -1;
	for (i = 1; sp1 + i < sp2; i++)
		if ((unsigned char)sp1[i] <= ' ' || sp1[i] == 0x7f)
			return -1;
	if (e - sp2 - 1 != 8 || (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 &&
	    memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
		return -1;
	http_copy(r->method, sizeof r->method, p, sp1 - p);
	http_copy(r->path, sizeof r->path, sp1 + 1, sp2 - sp1 - 1);
	return 0;
}

/* A plain decimal number of at most 12 digits (no sign, no spaces). */
static int
http_number(const char *p, size_t n, size_t *out)
{
	size_t	i, v = 0;

	if (n == 0 || n > 12)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (size_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Parse the head of the request at the start of buf (len bytes).
 * Returns 1 with *r filled (r->hdr_len bytes of head, r->body_len bytes of
 * body to follow) when the head is complete, 0 when more bytes are needed,
 * -1 when it is malformed or longer than PROTO_HEADERS_MAX.
 */
int
http_parse(const char *buf, size_t len, struct http_req *r)
{
	const char	*p = buf, *end, *line, *colon, *v, *ve;
	size_t		 n, i, num;
	int		 first = 1, have_length = 0;

	memset(r, 0, sizeof *r);
	end = buf + (len < PROTO_HEADERS_MAX ? len : PROTO_HEADERS_MAX);
	for (;;) {
		if ((line = http_line(p, end, &n)) == NULL)
			return len >= PROTO_HEADERS_MAX ? -1 : 0;
		p = line + n + 2;
		if (n == 0) {
			if (first)
				return -1;
			r->hdr_len = p - buf;
			return 1;
		}
		for (i = 0; i < n; i++)
			if (((unsigned char)line[i] < ' ' && line[i] != '\t') ||
			    line[i] == 0x7f)
				return -1;
		if (first) {
			if (http_request_line(line, n, r) != 0)
				return -1;
			first = 0;
			continue;
		}
		/* A field name is a token: no blank before the colon. */
		if ((colon = memchr(line, ':', n)) == NULL || colon == line ||
		    memchr(line, ' ', colon - line) != NULL ||
		    memchr(line, '\t', colon - line) != NULL)
			return -1;
		for (v = colon + 1, ve = line + n; v < ve && (*v == ' ' || *v == '\t');)
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (http_is(line, colon - line, "Content-Length")) {
			if (have_length || http_number(v, ve - v, &num) != 0)
				return -1;
			r->body_len = num;
			have_length = 1;
		} else if (http_is(line, colon - line, "Transfer-Encoding"))
			return -1;
		else if (http_is(line, colon - line, PROTO_H_REQUEST_ID)) {
			/* Whole or not at all: a cut id would be another id. */
			if ((size_t)(ve - v) >= sizeof r->reqid ||
			    memchr(v, ' ', ve - v) != NULL)
				return -1;
			http_copy(r->reqid, sizeof r->reqid, v, ve - v);
		}
		else if (http_is(line, colon - line, PROTO_H_TIMEOUT_MS)) {
			if (http_number(v, ve - v, &num) != 0 || num > 3600000)
				return -1;
			r->timeout_ms = (long)num;
		}
	}
}

/*
 * Which Runtime API call method and path name.  For a response or an
 * error the request id is copied into id (idlen bytes with its NUL).
 */
enum http_route
http_runtime_route(const char *method, const char *path, char *id,
    size_t idlen)
{
	static const char pfx[] = "/2018-06-01/runtime/";
	const char	*p, *slash;
	int		 get = strcmp(method, "GET") == 0;
	int		 post = strcmp(method, "POST") == 0;
	size_t		 n;

	id[0] = '\0';
	if (strncmp(path, pfx, sizeof pfx - 1) != 0)
		return ROUTE_UNKNOWN;
	p = path + sizeof pfx - 1;
	if (get && strcmp(p, "invocation/next") == 0)
		return ROUTE_NEXT;
	if (get && strcmp(p, "hearth/config") == 0)
		return ROUTE_CONFIG;
	if (post && strcmp(p, "init/error") == 0)
		return ROUTE_INIT_ERROR;
	if (!post || strncmp(p, "invocation/", 11) != 0)
		return ROUTE_UNKNOWN;
	p += 11;
	if ((slash = strchr(p, '/')) == NULL || slash == p ||
	    (n = slash - p) >= idlen)
		return ROUTE_UNKNOWN;
	if (strcmp(slash, "/response") != 0 && strcmp(slash, "/error") != 0)
		return ROUTE_UNKNOWN;
	memcpy(id, p, n);
	id[n] = '\0';
	return strcmp(slash, "/response") == 0 ? ROUTE_RESPONSE : ROUTE_ERROR;
}
