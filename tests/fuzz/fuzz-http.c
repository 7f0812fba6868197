/*
 * fuzz-http.c — the agent's request parser and the Runtime API's routes
 * (vm/agent/http.c) under libFuzzer.
 *
 * The runtime is the function's own code, so whatever it sends the
 * agent's Runtime API is hostile, and http_parse() is the first thing
 * those bytes meet.  The input is one connection's bytes: requests one
 * after another, each head followed by the body its Content-Length
 * announces, as a pipelining runtime sends them.  They arrive in pieces
 * (short reads) and, as agent.c does, the head is parsed again from its
 * start after every piece.  Each parse is checked against what the parser
 * promises: an answer of 1, 0 or -1; a head no longer than the bytes given
 * or PROTO_HEADERS_MAX; an answer that more bytes do not change once it
 * is 1 or -1, and a complete head that ends at its blank line; a method
 * and a path NUL-terminated, bounded and printable; a head that, written
 * out again from the fields parsed, parses to the same fields.  Each
 * complete request is routed too, with the agent's id buffer and a
 * smaller one: the id fits, holds no '/', and is exactly what the path
 * names.
 *
 * http.c needs nothing but agent.h's declarations, so it is linked alone.
 */
#include <sys/types.h>

#include <string.h>

#include "agent.h"
#include "fuzz.h"

/* Do two parses of the same head agree on every field? */
static int
http_same(const struct http_req *a, const struct http_req *b)
{
	return strcmp(a->method, b->method) == 0 &&
	    strcmp(a->path, b->path) == 0 && a->hdr_len == b->hdr_len &&
	    a->body_len == b->body_len && strcmp(a->reqid, b->reqid) == 0 &&
	    a->timeout_ms == b->timeout_ms;
}

/* Is the field NUL-terminated within its array? */
static int
http_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* Check the fields of a complete head, parsed from the len bytes at buf. */
static void
http_check_fields(const char *buf, size_t len, const struct http_req *r)
{
	size_t	i;

	FUZZ_CHECK(r->hdr_len <= len);
	FUZZ_CHECK(r->hdr_len <= PROTO_HEADERS_MAX);
	FUZZ_CHECK(r->hdr_len >= 4);
	FUZZ_CHECK(memcmp(buf + r->hdr_len - 4, "\r\n\r\n", 4) == 0);

	FUZZ_CHECK(http_terminated(r->method, sizeof r->method));
	FUZZ_CHECK(r->method[0] != '\0');
	for (i = 0; r->method[i] != '\0'; i++)
		FUZZ_CHECK(r->method[i] >= 'A' && r->method[i] <= 'Z');
	FUZZ_CHECK(memcmp(buf, r->method, i) == 0 && buf[i] == ' ');

	FUZZ_CHECK(http_terminated(r->path, sizeof r->path));
	FUZZ_CHECK(r->path[0] == '/');
	for (i = 0; r->path[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)r->path[i] > ' ' &&
		    r->path[i] != 0x7f);

	FUZZ_CHECK(http_terminated(r->reqid, sizeof r->reqid));
	for (i = 0; r->reqid[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)r->reqid[i] >= ' ' ||
		    r->reqid[i] == '\t');
	FUZZ_CHECK(r->timeout_ms >= 0 && r->timeout_ms <= 3600000);
	FUZZ_CHECK(r->body_len <= 999999999999ULL);
}


/*
 * Write the head out again from its fields, parse that, and compare: a
 * head the parser accepted means the same thing however it was spelled.
 */
static void
http_reparse(const struct http_req *r)
{
	struct http_req	again;
	char		head[1024];
	int		n, rc;

	n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\n"
	    "Content-Length: %zu\r\n", r->method, r->path, r->body_len);
	if (r->reqid[0] != '\0')
		n += snprintf(head + n, sizeof head - n, "%s: %s\r\n",
		    PROTO_H_REQUEST_ID, r->reqid);
	if (r->timeout_ms != 0)
		n += snprintf(head + n, sizeof head - n, "%s: %ld\r\n",
		    PROTO_H_TIMEOUT_MS, r->timeout_ms);
	n += snprintf(head + n, sizeof head - n, "\r\n");
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof head);

	rc = http_parse(head, (size_t)n, &again);
	if (rc != 1)
		FUZZ_FAIL("re-parse of \"%s\" gave %d", head, rc);
	FUZZ_CHECK(again.hdr_len == (size_t)n);
	again.hdr_len = r->hdr_len;
	if (!http_same(r, &again))
		FUZZ_FAIL("re-parse differs: \"%s\" "
		    "reqid \"%s\" then \"%s\"", head, r->reqid, again.reqid);
}

/* Route r with an id buffer of idlen bytes and check what comes back. */
static enum http_route
http_route(const struct http_req *r, char *id, size_t idlen)
{
	static const char	 pfx[] = "/2018-06-01/runtime/";
	enum http_route		 route;
	char			 want[sizeof r->path + 32];

	memset(id, 'X', idlen);
	route = http_runtime_route(r->method, r->path, id, idlen);
	FUZZ_CHECK(route >= ROUTE_UNKNOWN && route <= ROUTE_ERROR);
	FUZZ_CHECK(http_terminated(id, idlen));
	FUZZ_CHECK(strchr(id, '/') == NULL);
	switch (route) {
	case ROUTE_UNKNOWN:
		FUZZ_CHECK(id[0] == '\0');
		break;
	case ROUTE_NEXT:
	case ROUTE_CONFIG:
		FUZZ_CHECK(id[0] == '\0' && strcmp(r->method, "GET") == 0);
		snprintf(want, sizeof want, "%s%s", pfx, route == ROUTE_NEXT ?
		    "invocation/next" : "hearth/config");
		FUZZ_CHECK(strcmp(r->path, want) == 0);
		break;
	case ROUTE_INIT_ERROR:
		FUZZ_CHECK(id[0] == '\0' && strcmp(r->method, "POST") == 0);
		snprintf(want, sizeof want, "%sinit/error", pfx);
		FUZZ_CHECK(strcmp(r->path, want) == 0);
		break;
	case ROUTE_RESPONSE:
	case ROUTE_ERROR:
		FUZZ_CHECK(id[0] != '\0' && strcmp(r->method, "POST") == 0);
		snprintf(want, sizeof want, "%sinvocation/%s/%s", pfx, id,
		    route == ROUTE_RESPONSE ? "response" : "error");
		FUZZ_CHECK(strcmp(r->path, want) == 0);
		break;
	}
	return route;
}

/* Route r as the agent does, and with a short id buffer: both agree. */
static void
http_check_route(const struct http_req *r, uint64_t *rnd)
{
	char		id[64], small[64];
	size_t		smalllen = 1 + fuzz_rand(rnd) % sizeof small;
	enum http_route	route, short_route;

	route = http_route(r, id, sizeof id);
	short_route = http_route(r, small, smalllen);
	if (short_route != ROUTE_UNKNOWN)
		FUZZ_CHECK(short_route == route && strcmp(small, id) == 0);
	else if (route == ROUTE_RESPONSE || route == ROUTE_ERROR)
		FUZZ_CHECK(strlen(id) >= smalllen);
	else
		FUZZ_CHECK(route == ROUTE_UNKNOWN);
}

/*
 * Check one request's head as it arrives in pieces: buf holds len bytes,
 * all that will ever come.  Returns the head's and body's length if it is
 * complete and its body is all there, else 0 (the connection ends).
 */
static size_t
http_check_request(const char *buf, size_t len, uint64_t *rnd)
{
	struct http_req	full, r, again;
	size_t		got = 0;
	int		full_rc, rc;

	full_rc = http_parse(buf, len, &full);
	FUZZ_CHECK(full_rc >= -1 && full_rc <= 1);
	do {
		got += fuzz_piece(rnd, len - got);
		rc = http_parse(buf, got, &r);
		FUZZ_CHECK(rc >= -1 && rc <= 1);
		if (rc == 1)
			FUZZ_CHECK(full_rc == 1 && http_same(&r, &full));
		else if (rc == -1)
			FUZZ_CHECK(full_rc == -1);
		else {
			FUZZ_CHECK(got < PROTO_HEADERS_MAX);
			FUZZ_CHECK(full_rc != 1 || full.hdr_len > got);
		}
	} while (rc == 0 && got < len);
	if (full_rc != 1)
		return 0;

	http_check_fields(buf, len, &full);
	FUZZ_CHECK(http_parse(buf, full.hdr_len, &again) == 1 &&
	    http_same(&again, &full));
	FUZZ_CHECK(http_parse(buf, full.hdr_len - 1, &again) == 0);
	http_reparse(&full);
	http_check_route(&full, rnd);

	if (full.body_len > len - full.hdr_len)
		return 0;
	return full.hdr_len + full.body_len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data;
	uint64_t	 rnd = fuzz_seed(data, size);
	size_t		 used;

	while (size > 0 && (used = http_check_request(p, size, &rnd)) != 0) {
		p += used;
		size -= used;
	}
	return 0;
}
