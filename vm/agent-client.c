/*
 * agent-client.c — the host side of the agent protocol, over libcurl.
 *
 * One agent_conn wraps a curl easy handle bound to an agent's socket, so
 * repeated requests from one hearth process reuse a keep-alive connection.
 * Replies are parsed into an agent_reply: HTTP status, the X-Hearth-*
 * headers proto.h defines, and the body.
 *
 * Whatever answers is hostile: a subverted agent, or a function that took
 * its place, can send anything.  So no reply is read or held beyond the
 * caps of proto.h (PROTO_HEADERS_MAX of headers, PROTO_REPLY_MAX of body,
 * a log length within PROTO_LOG_MAX and within the body); the transfer
 * stops the moment one is passed and the caller learns that the agent
 * misbehaved, as a result of its own.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <curl/curl.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "proto.h"
#include "vm.h"

struct agent_conn {
	CURL	*curl;		/* easy handle, keeps the connection */
	char	*sock;		/* socket path; given: its listener's abstract name */
	int	 given;		/* made by agent_connect_fd */
	int	 fd;		/* given: the socket, -1 once closed */
	int	 listener;	/* given: what curl connects to, first */
	int	 pending;	/* given: curl's new socket, not yet swapped */
};

/* One exchange: what has come so far, and which cap it broke, if any. */
struct agent_xfer {
	struct agent_reply	*r;		/* headers parsed into */
	struct buf		 body;		/* body so far */
	size_t			 head_len;	/* bytes of status line and headers */
	char			*over;		/* why the transfer was stopped */
};

static int agent_curl_ready;

/* A connection not yet used, named sock. */
static struct agent_conn *
agent_conn_new(const char *sock)
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
	c->fd = c->listener = c->pending = -1;
	return c;
}

/* A connection to the agent listening on unix socket sock. */
struct agent_conn *
agent_connect(const char *sock)
{
	return agent_conn_new(sock);
}

/*
 * A connection over fd, a socket already connected to an agent (or to
 * whatever plays one: a fuzzer's end of a socketpair).  The connection
 * owns fd and lasts as long as it does: once curl closes it, requests
 * fail as if nothing listened.
 *
 * curl 7.88 (Debian 12's) connects even a socket that its sockopt
 * callback calls connected (curl issue #10626, fixed in 8.0), so curl is
 * given a socket of its own to connect — to a private listener in the
 * abstract namespace, which answers at once — and the prereq callback,
 * which runs once the connection is up and before anything is sent,
 * moves fd onto that socket's number (dup3).  From then on curl reads
 * and writes fd.
 */
struct agent_conn *
agent_connect_fd(int fd)
{
	struct agent_conn	*c;
	struct sockaddr_un	 sun;
	char			 name[64], rnd[17];
	socklen_t		 len;

	util_random_hex(rnd, sizeof rnd);
	snprintf(name, sizeof name, "hearth-agent-fd-%d-%s", (int)getpid(), rnd);
	c = agent_conn_new(name);
	c->given = 1;
	c->fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);	/* as curl's own */
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, name, strlen(name));
	len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
	if ((c->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    bind(c->listener, (struct sockaddr *)&sun, len) == -1 ||
	    listen(c->listener, 4) == -1) {
		if (c->listener != -1)
			close(c->listener);
		c->listener = -1;	/* requests fail: nothing listens */
	}
	return c;
}

void
agent_close(struct agent_conn *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	if (c->fd != -1)
		close(c->fd);
	if (c->listener != -1)
		close(c->listener);
	free(c->sock);
	free(c);
}

/* A given fd's connection: make curl's socket, and remember it. */
static curl_socket_t
agent_open_fd(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct agent_conn	*c = arg;

	if (c->fd == -1 || c->listener == -1)
		return CURL_SOCKET_BAD;
	c->pending = socket(addr->family, addr->socktype | SOCK_CLOEXEC,
	    addr->protocol);
	return c->pending == -1 ? CURL_SOCKET_BAD : c->pending;
}

/* The connection is up: put the given fd where curl's socket was. */
static int
agent_prereq_fd(void *arg, char *ip, char *local, int port, int local_port)
{
	struct agent_conn	*c = arg;
	int			 fd;

	if (c->pending == -1)
		return CURL_PREREQFUNC_OK;	/* reused: swapped already */
	while ((fd = accept4(c->listener, NULL, NULL, SOCK_CLOEXEC)) != -1)
		close(fd);
	if (c->fd == -1 || dup3(c->fd, c->pending, O_CLOEXEC) == -1)
		return CURL_PREREQFUNC_ABORT;
	c->pending = -1;
	return CURL_PREREQFUNC_OK;
}

/* curl is done with its socket (fd, by then): the connection is over. */
static int
agent_close_fd(void *arg, curl_socket_t fd)
{
	struct agent_conn	*c = arg;

	if (fd == c->pending)
		c->pending = -1;
	else if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	return close(fd);
}

/* Parse a header's decimal value strictly; -1 if it is not one. */
static int
agent_parse_size(const char *s, uint64_t *v)
{
	uint64_t	n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '\0')
		return -1;
	*v = n;
	return 0;
}

/* Body bytes: kept up to PROTO_REPLY_MAX, then the transfer stops. */
static size_t
agent_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct agent_xfer	*x = arg;

	if (x->body.len + size * n > PROTO_REPLY_MAX) {
		x->over = xasprintf("reply body over the %d-byte cap",
		    PROTO_REPLY_MAX);
		return 0;
	}
	buf_add(&x->body, p, size * n);
	return size * n;
}

/*
 * One header line (curl calls this for the status line and the blank
 * line too): at most PROTO_HEADERS_MAX of them, and a body or a log
 * announced over its cap stops the transfer before it starts.
 */
static size_t
agent_on_header(char *p, size_t size, size_t n, void *arg)
{
	struct agent_xfer	*x = arg;
	struct agent_reply	*r = x->r;
	size_t			 len = size * n, klen;
	uint64_t		 v;
	char			 val[256];
	const char		*colon;
	size_t			 vlen;

	x->head_len += len;
	if (x->head_len > PROTO_HEADERS_MAX) {
		x->over = xasprintf("reply headers over the %d-byte cap",
		    PROTO_HEADERS_MAX);
		return 0;
	}
	if ((colon = memchr(p, ':', len)) == NULL)
		return len;
	klen = colon - p;
	colon++;
	while (colon < p + len && (*colon == ' ' || *colon == '\t'))
		colon++;
	snprintf(val, sizeof val, "%.*s", (int)(p + len - colon), colon);
	val[strcspn(val, "\r\n")] = '\0';
	/* Blanks may end a field's value too (RFC 9110): not part of it. */
	for (vlen = strlen(val); vlen > 0 && (val[vlen - 1] == ' ' ||
	    val[vlen - 1] == '\t'); vlen--)
		val[vlen - 1] = '\0';
#define IS(h) (klen == strlen(h) && strncasecmp(p, h, klen) == 0)
	if (IS("Content-Length")) {
		if (agent_parse_size(val, &v) != 0 || v > PROTO_REPLY_MAX) {
			x->over = xasprintf("Content-Length %.32s over the "
			    "%d-byte reply cap", val, PROTO_REPLY_MAX);
			return 0;
		}
	} else if (IS(PROTO_H_STATUS))
		snprintf(r->status, sizeof r->status, "%.*s",
		    (int)sizeof r->status - 1, val);
	else if (IS(PROTO_H_DETAIL))
		snprintf(r->detail, sizeof r->detail, "%.*s",
		    (int)sizeof r->detail - 1, val);
	else if (IS(PROTO_H_LOG_LENGTH)) {
		if (agent_parse_size(val, &v) != 0 || v > PROTO_LOG_MAX) {
			x->over = xasprintf(PROTO_H_LOG_LENGTH " %.32s over the "
			    "%d-byte log cap", val, PROTO_LOG_MAX);
			return 0;
		}
		r->log_len = (size_t)v;
	} else if (IS(PROTO_H_DURATION_US))
		r->duration_us = strtoull(val, NULL, 10);
	else if (IS(PROTO_H_INIT_US))
		r->init_us = strtoull(val, NULL, 10);
	else if (IS(PROTO_H_MAX_RSS_KB))
		r->max_rss_kb = strtol(val, NULL, 10);
#undef IS
	return len;
}

/*
 * curl calls this as the transfer goes, and at least once a second while
 * it waits (sooner once a signal interrupted its poll): Ctrl-C ends it.
 */
static int
agent_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	(void)arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return util_interrupted != 0;
}

/*
 * Send one request.  reqid and timeout_ms become headers when set;
 * wait_ms bounds the whole exchange.  Returns 0 with *r filled when the
 * agent answered (any final HTTP status); otherwise *cause says why and r
 * holds no body: AGENT_NOT_SENT (-1) when the agent did not take the
 * request, AGENT_NO_ANSWER (-2) when it may have but no answer came,
 * AGENT_OVER_CAP (-3) when the agent misbehaved — a reply over a cap of
 * proto.h, read no further, or a log length its body does not hold.
 * Only a subverted agent does that.
 *
 * Delivery: which failed invocation may run elsewhere.  The host cannot
 * see into the agent; what it can know is whether any of an answer came.
 * So the agent speaks first: it answers PROTO_ACCEPTED (an interim 102)
 * to a POST /invoke it takes, written — and in a microVM acknowledged by
 * QEMU's network — before the runtime can have the event (agent_ack,
 * invoke_host); one it refuses gets a final 409 or 503, and one it drops
 * (exiting idle) not a byte.  Hence:
 *
 *   - no connection (refused: the agent is gone, or idle and draining),
 *     or the connection failed or closed before one byte of an answer
 *     — whatever curl calls it (reset, empty reply, send error): not
 *     taken, never started, AGENT_NOT_SENT.  The invoker sends the
 *     event to another instance or a new one (core/invoke.c).  This is
 *     the idle-exit race: an agent exiting idle never acks what it
 *     reads, and curl's own retry of a reused connection ends here too,
 *     since it retries only when nothing came back;
 *   - any answer line (the 102, or more) and then no final answer: it
 *     may have run, AGENT_NO_ANSWER.  Never sent again: the invocation
 *     fails once, saying so, and the instance is ended;
 *   - no answer before wait_ms (a hung agent, a stopped VM): the
 *     invocation's own time is spent, so it is not sent again either —
 *     elsewhere it would run past its deadline — AGENT_NO_ANSWER;
 *   - a final answer: what it says (409, 503: not taken, busy).
 *
 * Other requests get no 102; their callers make no such distinction.
 * The rules need an agent that sends the 102: the ns driver runs its
 * own, and a microVM's shim boots only an agent of its PROTO_VERSION
 * (vm/shim/boot.c), so an image built before the 102 is refused.
 *
 * Ctrl-C (util_interrupted) ends the exchange at once, AGENT_INTERRUPTED:
 * the caller decides what the instance is worth (one it was starting is
 * destroyed; a warm one is left to finish the event and go idle).
 */
int
agent_request(struct agent_conn *c, const char *method, const char *path,
    const void *body, size_t len, const char *reqid, long timeout_ms,
    long wait_ms, struct agent_reply *r, char **cause)
{
	struct curl_slist	*hdrs = NULL;
	struct agent_xfer	 x;
	char			*url, *h, errbuf[CURL_ERROR_SIZE];
	CURLcode		 rc;
	long			 code = 0;

	memset(r, 0, sizeof *r);
	memset(&x, 0, sizeof x);
	x.r = r;
	url = xasprintf("http://agent%s", path);
	curl_easy_reset(c->curl);
	if (c->given) {
		curl_easy_setopt(c->curl, CURLOPT_ABSTRACT_UNIX_SOCKET, c->sock);
		curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETFUNCTION, agent_open_fd);
		curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETDATA, c);
		curl_easy_setopt(c->curl, CURLOPT_PREREQFUNCTION, agent_prereq_fd);
		curl_easy_setopt(c->curl, CURLOPT_PREREQDATA, c);
		curl_easy_setopt(c->curl, CURLOPT_CLOSESOCKETFUNCTION, agent_close_fd);
		curl_easy_setopt(c->curl, CURLOPT_CLOSESOCKETDATA, c);
	} else
		curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->sock);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, agent_on_progress);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, agent_on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, agent_on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &x);
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
	if (rc == CURLE_OK && r->log_len > x.body.len)
		x.over = xasprintf(PROTO_H_LOG_LENGTH " %zu beyond the %zu-byte "
		    "body", r->log_len, x.body.len);
	if (x.over != NULL) {
		*cause = xasprintf("agent: %s", x.over);
		free(x.over);
		buf_free(&x.body);
		memset(r, 0, sizeof *r);
		return AGENT_OVER_CAP;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		*cause = xstrdup("interrupted");
		buf_free(&x.body);
		return AGENT_INTERRUPTED;
	}
	if (rc != CURLE_OK) {
		*cause = xasprintf("agent: %s", errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		buf_free(&x.body);
		/* Not one line of an answer: not taken (see above). */
		if (rc == CURLE_COULDNT_CONNECT || (x.head_len == 0 &&
		    rc != CURLE_OPERATION_TIMEDOUT))
			return AGENT_NOT_SENT;
		return AGENT_NO_ANSWER;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (x.body.data == NULL)
		buf_add(&x.body, "", 0);
	r->http = (int)code;
	r->body = x.body.data;
	r->body_len = x.body.len;
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

/*
 * Give the runtime behind c its configuration (POST /configure): config
 * is its environment as "KEY=VALUE\n" lines.  0 once the agent took it;
 * -1 with *cause when it did not answer, or when it refused, then naming
 * who ("instance ID", "VM ID").
 */
int
agent_configure(struct agent_conn *c, const char *who, const char *config,
    size_t len, char **cause)
{
	struct agent_reply	r;
	int			rc = -1;

	if (agent_request(c, "POST", PROTO_PATH_CONFIGURE, config, len, NULL, 0,
	    5000, &r, cause) != 0)
		return -1;
	if (r.http == 204)
		rc = 0;
	else
		*cause = xasprintf("%s: configure answered %d", who, r.http);
	agent_reply_free(&r);
	return rc;
}
