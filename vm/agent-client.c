/*
 * agent-client.c — the host side of the agent protocol, over libcurl.
 *
 * One agent_conn wraps a curl easy handle bound to an agent's socket, so
 * repeated requests from one hearth process reuse a keep-alive connection.
 * Replies are parsed into an agent_reply: HTTP status, the X-Hearth-*
 * headers proto.h defines, and the body.
 */
#include <curl/curl.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hearth.h"
#include "proto.h"
#include "vm.h"

struct agent_conn {
	CURL	*curl;		/* easy handle, keeps the connection */
	char	*sock;		/* unix socket path */
};

static int agent_curl_ready;

struct agent_conn *
agent_connect(const char *sock)
{
	struct agent_conn	*c;

	if (!agent_curl_ready) {
		curl_global_init(CURL_GLOBAL_NOTHING);
		agent_curl_ready = 1;
	}
	c = xcalloc(1, sizeof *c);
	if ((c->curl = curl_easy_init()) == NULL)
		fatal("curl_easy_init failed");
	c->sock = xstrdup(sock);
	return c;
}

void
agent_close(struct agent_conn *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c->sock);
	free(c);
}

static size_t
agent_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;

	buf_add(b, p, size * n);
	return size * n;
}

static size_t
agent_on_header(char *p, size_t size, size_t n, void *arg)
{
	struct agent_reply	*r = arg;
	size_t			 len = size * n, klen;
	char			 val[256];
	const char		*colon = memchr(p, ':', len);

	if (colon == NULL)
		return len;
	klen = colon - p;
	colon++;
	while (colon < p + len && (*colon == ' ' || *colon == '\t'))
		colon++;
	snprintf(val, sizeof val, "%.*s", (int)(p + len - colon), colon);
	val[strcspn(val, "\r\n")] = '\0';
#define IS(h) (klen == strlen(h) && strncasecmp(p, h, klen) == 0)
	if (IS(PROTO_H_STATUS))
		snprintf(r->status, sizeof r->status, "%.*s",
		    (int)sizeof r->status - 1, val);
	else if (IS(PROTO_H_DETAIL))
		snprintf(r->detail, sizeof r->detail, "%.*s",
		    (int)sizeof r->detail - 1, val);
	else if (IS(PROTO_H_LOG_LENGTH))
		r->log_len = strtoull(val, NULL, 10);
	else if (IS(PROTO_H_DURATION_US))
		r->duration_us = strtoull(val, NULL, 10);
	else if (IS(PROTO_H_INIT_US))
		r->init_us = strtoull(val, NULL, 10);
	else if (IS(PROTO_H_MAX_RSS_KB))
		r->max_rss_kb = strtol(val, NULL, 10);
#undef IS
	return len;
}

/*
 * Send one request.  reqid and timeout_ms become headers when set;
 * wait_ms bounds the whole exchange.  Returns 0 with *r filled when the
 * agent answered (any HTTP status); -1 with *cause when nothing reached
 * it (no connection: safe to send elsewhere); -2 with *cause when the
 * request may have been delivered but no answer came.
 */
int
agent_request(struct agent_conn *c, const char *method, const char *path,
    const void *body, size_t len, const char *reqid, long timeout_ms,
    long wait_ms, struct agent_reply *r, char **cause)
{
	struct curl_slist	*hdrs = NULL;
	struct buf		 b = { 0 };
	char			*url, *h, errbuf[CURL_ERROR_SIZE];
	CURLcode		 rc;
	long			 code = 0;

	memset(r, 0, sizeof *r);
	url = xasprintf("http://agent%s", path);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->sock);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, agent_on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, agent_on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, wait_ms);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	hdrs = curl_slist_append(hdrs, "Expect:");
	hdrs = curl_slist_append(hdrs, "Content-Type:");
	hdrs = curl_slist_append(hdrs, "Accept:");
	if (reqid != NULL) {
		h = xasprintf("%s: %s", PROTO_H_REQUEST_ID, reqid);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	if (timeout_ms > 0) {
		h = xasprintf("%s: %ld", PROTO_H_TIMEOUT_MS, timeout_ms);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, len ? body : "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (strcmp(method, "PUT") == 0)
			curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, "PUT");
	}
	errbuf[0] = '\0';
	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(hdrs);
	free(url);
	if (rc != CURLE_OK) {
		*cause = xasprintf("agent: %s", errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		buf_free(&b);
		return rc == CURLE_COULDNT_CONNECT ? -1 : -2;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (b.data == NULL)
		buf_add(&b, "", 0);
	r->http = (int)code;
	r->body = b.data;
	r->body_len = b.len;
	return 0;
}

void
agent_reply_free(struct agent_reply *r)
{
	free(r->body);
	r->body = NULL;
}

/* Poll /health until the agent answers or wait_ms passes. */
int
agent_wait_ready(struct agent_conn *c, long wait_ms, char **cause)
{
	struct agent_reply	r;
	struct timespec		ts = { 0, 1000 * 1000 };
	uint64_t		end = util_mono_us() + wait_ms * 1000;
	char			*err = NULL;

	for (;;) {
		if (agent_request(c, "GET", PROTO_PATH_HEALTH, NULL, 0, NULL, 0,
		    wait_ms, &r, &err) == 0 && r.http == 200) {
			agent_reply_free(&r);
			return 0;
		}
		agent_reply_free(&r);
		if (util_mono_us() > end) {
			*cause = err != NULL ? err : xstrdup("agent not ready");
			return -1;
		}
		free(err);
		err = NULL;
		nanosleep(&ts, NULL);
	}
}
