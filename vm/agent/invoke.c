/*
 * invoke.c — the invocation in flight, as the host sees it, and its log.
 *
 * An invocation moves host -> agent (POST /invoke, held) -> runtime (its
 * parked GET .../next is answered: runtime.c says when) -> agent (POST
 * .../response or .../error) -> host (the held /invoke is answered with
 * the log and the result).  One is in flight at a time, as on Lambda: a
 * second POST /invoke is answered 409.  Its budget is its timeout from
 * the moment the runtime has the event — and until then, its timeout plus
 * Lambda's init limit when the runtime starts for it (a cold start); past
 * the deadline the runtime's generation is killed and the host gets a
 * timeout; if the runtime dies, the host gets a crash.  The agent says
 * it has taken an event (PROTO_ACCEPTED) before the runtime can see it,
 * which is how the host tells an event that never started from one that
 * may have (agent_request in vm/agent-client.c states the rules).
 *
 * The log is what the runtime writes while an invocation runs, between
 * START and END/REPORT lines the agent writes itself, as on Lambda.  Its
 * stdout and stderr are one pipe (spawn.c), so lines keep the order they
 * were written in; a line is whole once its newline comes, and one cut
 * short (no newline before END, a runtime that died) still ends before
 * the agent's next line.  What a runtime generation writes while it
 * starts, before it first asks for an event, is its init, kept for the
 * invocation it serves first (on Lambda it comes before that START);
 * what it writes once it has parked, while no invocation runs (a timer
 * left running, a thread), belongs to no invocation: Lambda freezes the
 * sandbox then, and the line would come out in a later invocation.  It
 * goes to log followers only.  Every line goes to log followers as it
 * arrives (stream.c).
 *
 * The first invocation a generation serves is cold — the first of a
 * sandbox, and the first after a hot reload or a crash restarted the
 * runtime — and its REPORT carries the generation's Init Duration.
 *
 * A huge output is cut in the middle: the log keeps its first
 * INVOKE_LOG_HEAD bytes and its last INVOKE_LOG_TAIL (a ring, from the
 * first line start in it), and says exactly how many bytes were cut
 * between.  The two together stay under what the host stores of an
 * invocation (LOGS_OUTPUT_MAX in src/core/logs.c), so this cut is the
 * only one and its count exact; the agent's own lines (START, END,
 * REPORT, ...) are always kept.
 */
#include <sys/random.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

#define INVOKE_INIT_LIMIT_MS	10000	/* runtime init budget, as on Lambda */
#define INVOKE_LOG_HEAD		(32 * 1024)	/* output kept from the start */
#define INVOKE_LOG_TAIL		(24 * 1024)	/* and from the end */

/* The log being captured: its head, then a ring of its latest bytes. */
struct invoke_log {
	struct sbuf	 head;		/* the log up to INVOKE_LOG_HEAD of output */
	size_t		 out;		/* bytes of runtime output in head */
	char		*ring;		/* INVOKE_LOG_TAIL bytes, once head is full */
	size_t		 rstart;	/* oldest byte's slot in ring */
	size_t		 rlen;		/* bytes held in ring */
	unsigned long long cut;		/* bytes of output gone from the ring */
	char		 before;	/* the last byte gone: '\n' if the ring
					   starts a line */
};

struct invocation {
	struct conn	*host;		/* who is waiting, NULL if they left */
	char		 reqid[64];	/* request id */
	char		*payload;	/* event bytes */
	size_t		 len;		/* event length */
	long		 timeout_ms;	/* budget for the handler */
	uint64_t	 t_arrive;	/* µs, monotonic */
	uint64_t	 t_deliver;	/* µs, when the runtime got the event */
	uint64_t	 deadline;	/* µs, monotonic */
	int		 delivered;	/* the runtime has the event */
	int		 cold;		/* the runtime was started for it */
	struct invoke_log logs;		/* output captured during it */
};

static struct invocation *cur;		/* the invocation in flight */
static struct invoke_log idle_logs;	/* a generation's init output */
static struct sbuf	 partial;	/* output: a line not yet ended */
static int		 gen_parked;	/* this generation has asked for an event */
static int		 gen_served;	/* and has been given one */
static uint64_t		 trace_rng;	/* xorshift state for trace ids, 0 unseeded */

/*
 * Add to log l: platform lines (the agent's own, a few an invocation) go
 * whole to the head, so START is never cut (in a cut log it comes after
 * the head's output); output fills the head to INVOKE_LOG_HEAD, then the
 * ring, whose oldest bytes are counted as cut.
 */
static void
invoke_log_append(struct invoke_log *l, const char *p, size_t n, int platform)
{
	size_t	room, k, slot;

	if (platform) {
		sbuf_add(&l->head, p, n);
		return;
	}
	if (l->ring == NULL) {
		room = INVOKE_LOG_HEAD - l->out;
		k = n < room ? n : room;
		sbuf_add(&l->head, p, k);
		l->out += k;
		p += k;
		n -= k;
		if (n == 0)
			return;
		l->ring = amalloc(INVOKE_LOG_TAIL);
	}
	if (n > INVOKE_LOG_TAIL) {	/* only its end can stay */
		l->cut += l->rlen + n - INVOKE_LOG_TAIL;
		l->rstart = l->rlen = 0;
		p += n - INVOKE_LOG_TAIL;
		l->before = p[-1];
		n = INVOKE_LOG_TAIL;
	}
	if (l->rlen + n > INVOKE_LOG_TAIL) {
		k = l->rlen + n - INVOKE_LOG_TAIL;
		l->cut += k;
		l->before = l->ring[(l->rstart + k - 1) % INVOKE_LOG_TAIL];
		l->rstart = (l->rstart + k) % INVOKE_LOG_TAIL;
		l->rlen -= k;
	}
	while (n > 0) {
		slot = (l->rstart + l->rlen) % INVOKE_LOG_TAIL;
		k = INVOKE_LOG_TAIL - slot < n ? INVOKE_LOG_TAIL - slot : n;
		memcpy(l->ring + slot, p, k);
		l->rlen += k;
		p += k;
		n -= k;
	}
}

/*
 * Close log l into one buffer: the head, and if output went to the ring,
 * a line saying how many bytes were cut, then the ring from its first
 * line start (the bytes before it are cut too).  l is left empty, with
 * the buffer as its head: later lines append to it whole.
 */
static void
invoke_log_seal(struct invoke_log *l)
{
	size_t	i = 0, k, slot;

	if (l->ring == NULL)
		return;
	if (l->cut > 0) {
		/* The ring was overrun: it may start mid-line. */
		while (l->before != '\n' && i < l->rlen &&
		    l->ring[(l->rstart + i) % INVOKE_LOG_TAIL] != '\n')
			i++;
		i = l->before != '\n' && i < l->rlen ? i + 1 : 0;
		l->cut += i;
		if (l->head.len > 0 && l->head.data[l->head.len - 1] != '\n')
			sbuf_add(&l->head, "\n", 1);
		sbuf_printf(&l->head, "[hearth: output truncated] %llu bytes of "
		    "output not kept here\n", l->cut);
	}
	for (; i < l->rlen; i += k) {
		slot = (l->rstart + i) % INVOKE_LOG_TAIL;
		k = INVOKE_LOG_TAIL - slot < l->rlen - i ? INVOKE_LOG_TAIL - slot :
		    l->rlen - i;
		sbuf_add(&l->head, l->ring + slot, k);
	}
	free(l->ring);
	l->ring = NULL;
	l->rstart = l->rlen = 0;
	l->cut = 0;
	l->before = 0;
	l->out = INVOKE_LOG_HEAD;
}

/* The last byte added to log l, '\n' if it is empty. */
static char
invoke_log_last(const struct invoke_log *l)
{
	if (l->ring != NULL && l->rlen > 0)
		return l->ring[(l->rstart + l->rlen - 1) % INVOKE_LOG_TAIL];
	if (l->ring != NULL && l->cut > 0)
		return l->before;
	return l->head.len > 0 ? l->head.data[l->head.len - 1] : '\n';
}

/*
 * Send the complete lines in partial to the log stream, and with flush
 * the line not yet ended too.  Runtime output is "stdout" whichever of
 * its two descriptors it went to: they are one pipe.
 */
static void
invoke_log_lines(int flush)
{
	char	*nl, *start = partial.data;
	size_t	 left = partial.len;

	while (left > 0 && (nl = memchr(start, '\n', left)) != NULL) {
		stream_log(cur != NULL ? cur->reqid : "", "stdout", start,
		    nl - start);
		left -= nl - start + 1;
		start = nl + 1;
	}
	if (flush && left > 0) {
		stream_log(cur != NULL ? cur->reqid : "", "stdout", start, left);
		left = 0;
	}
	memmove(partial.data, start, left);
	partial.len = left;
}

/*
 * Read whatever the runtime wrote on fd (runtime_output_fd()): into the
 * invocation's log (or, while the generation starts, the one its first
 * invocation gets), and line by line to log followers as it arrives.
 */
void
invoke_drain(int fd)
{
	struct invoke_log *l;
	char		 tmp[65536];
	ssize_t		 n;

	if (fd == -1)
		return;
	while ((n = read(fd, tmp, sizeof tmp)) > 0) {
		l = cur != NULL ? &cur->logs : gen_parked ? NULL : &idle_logs;
		if (l != NULL)
			invoke_log_append(l, tmp, n, 0);
		sbuf_add(&partial, tmp, n);
		if (partial.len > PROTO_LOG_MAX)
			invoke_log_lines(1);	/* a line that never ends */
	}
	invoke_log_lines(0);
}

/* Write a line of the agent's own (START, END, REPORT, timeouts) to the log. */
void
invoke_platform(const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	/* A line the runtime left unended ends here, before this one. */
	invoke_log_lines(1);
	if (cur != NULL) {
		if (invoke_log_last(&cur->logs) != '\n')
			invoke_log_append(&cur->logs, "\n", 1, cur->logs.ring == NULL);
		invoke_log_append(&cur->logs, line, n, 1);
		invoke_log_append(&cur->logs, "\n", 1, 1);
	}
	stream_log(cur != NULL ? cur->reqid : "", "platform", line, n);
}

/* Is an invocation in flight? */
int
invoke_busy(void)
{
	return cur != NULL;
}

/*
 * Has the runtime the invocation in flight's event — and, if id is not
 * NULL, is id its request id?
 */
int
invoke_delivered(const char *id)
{
	return cur != NULL && cur->delivered &&
	    (id == NULL || strcmp(id, cur->reqid) == 0);
}

/*
 * A runtime generation ended, and another may start: the invocation
 * waiting, if any, starts cold; what the runtime writes until it asks
 * for an event is its init; the first it is given is cold.
 */
void
invoke_cold(void)
{
	if (cur != NULL)
		cur->cold = 1;
	gen_parked = 0;
	gen_served = 0;
}

/* Answer the host for the invocation in flight and forget it. */
void
invoke_finish(const char *status, const void *body, size_t len,
    const char *detail)
{
	struct sbuf	 hdr = { 0 }, all = { 0 };
	struct invocation *inv = cur;
	uint64_t	 dur, init_us;
	const char	*memsize;
	char		 init[64] = "";
	long		 rss;

	if (inv == NULL)
		return;
	invoke_drain(runtime_output_fd());	/* stderr too: one pipe */
	invoke_log_lines(1);
	invoke_log_seal(&inv->logs);	/* END and REPORT go after all output */
	/* Never delivered (the handler failed to load, say): START all the same. */
	if (!inv->delivered)
		invoke_platform("START RequestId: %s Version: $LATEST", inv->reqid);
	dur = inv->delivered ? now_us() - inv->t_deliver : 0;
	rss = runtime_max_rss_kb();
	init_us = inv->cold ? runtime_take_init_us() : 0;
	if (strcmp(status, PROTO_STATUS_TIMEOUT) == 0)
		invoke_platform("%s Task timed out after %.2f seconds", inv->reqid,
		    inv->timeout_ms / 1000.0);
	invoke_platform("END RequestId: %s", inv->reqid);
	memsize = runtime_config_get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
	if (init_us > 0)
		snprintf(init, sizeof init, "\tInit Duration: %.2f ms",
		    init_us / 1000.0);
	invoke_platform("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: "
	    "%llu ms\tMemory Size: %s MB\tMax Memory Used: %ld MB%s%s%s",
	    inv->reqid, dur / 1000.0, (unsigned long long)(dur < 1000 ? 1 :
	    (dur + 999) / 1000), memsize != NULL ? memsize : "?",
	    (rss + 1023) / 1024, init,
	    strcmp(status, PROTO_STATUS_OK) != 0 ? "\tStatus: " : "",
	    strcmp(status, PROTO_STATUS_OK) != 0 ? status : "");
	stream_record(dur, strcmp(status, PROTO_STATUS_OK) != 0);
	sbuf_printf(&hdr, "%s: %s\r\n%s: %zu\r\n%s: %llu\r\n%s: %llu\r\n"
	    "%s: %ld\r\n", PROTO_H_STATUS, status,
	    PROTO_H_LOG_LENGTH, inv->logs.head.len,
	    PROTO_H_DURATION_US, (unsigned long long)dur,
	    PROTO_H_INIT_US, (unsigned long long)init_us,
	    PROTO_H_MAX_RSS_KB, rss);
	if (detail != NULL)
		sbuf_printf(&hdr, "%s: %s\r\n", PROTO_H_DETAIL, detail);
	if (inv->logs.head.len)
		sbuf_add(&all, inv->logs.head.data, inv->logs.head.len);
	if (len)
		sbuf_add(&all, body, len);
	if (inv->host != NULL)
		conn_reply(inv->host, 200, hdr.data, all.data, all.len);
	sbuf_free(&hdr);
	sbuf_free(&all);
	sbuf_free(&inv->logs.head);
	free(inv->logs.ring);
	free(inv->payload);
	free(inv);
	cur = NULL;
	agent_last_active = now_us();
}

/* The runtime exited mid-invocation (detail says how): the host gets a crash. */
void
invoke_crash(const char *detail)
{
	char	body[512];
	int	n;

	if (cur == NULL)
		return;
	n = snprintf(body, sizeof body, "{\"errorType\": "
	    "\"Runtime.ExitError\", \"errorMessage\": \"RequestId: "
	    "%s Error: Runtime exited with error: %s\"}",
	    cur->reqid, detail);
	invoke_finish(PROTO_STATUS_CRASH, body, n, detail);
}

/* A random 64-bit number, for trace ids: unique, not secret. */
static uint64_t
invoke_rand64(void)
{
	uint64_t	x;

	if (trace_rng == 0) {
		if (getrandom(&trace_rng, sizeof trace_rng, GRND_NONBLOCK) !=
		    sizeof trace_rng)
			trace_rng = now_us() ^ ((uint64_t)getpid() << 32);
		trace_rng |= 1;		/* xorshift's state is never 0 */
	}
	x = trace_rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	trace_rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/*
 * An X-Ray trace header value for a new trace, as Lambda sends one when
 * the caller sent none: Root=1-<epoch seconds, 8 hex>-<96 random bits,
 * 24 hex>;Parent=<64 random bits, 16 hex>;Sampled=0.
 */
static void
invoke_trace_id(char *buf, size_t size)
{
	uint64_t	a = invoke_rand64(), b = invoke_rand64(),
			p = invoke_rand64();

	snprintf(buf, size, "Root=1-%08llx-%08llx%016llx;Parent=%016llx;"
	    "Sampled=0", (unsigned long long)(epoch_ms() / 1000) & 0xffffffffULL,
	    (unsigned long long)(a >> 32), (unsigned long long)b,
	    (unsigned long long)p);
}

/*
 * Answer the runtime's parked GET .../next (next) with the event in
 * flight, if it has not had it yet.  Returns 1 when it was delivered.
 * Called whenever the runtime is parked: from now on what it writes
 * while nothing runs is not its init's.
 */
int
invoke_deliver(struct conn *next)
{
	struct sbuf	 hdr = { 0 };
	const char	*arn;
	char		 trace[128];

	gen_parked = 1;
	if (cur == NULL || cur->delivered)
		return 0;
	gen_served = 1;
	/* The host's, from the settings lambda.region and lambda.account_id. */
	arn = runtime_config_get(PROTO_ENV_FUNCTION_ARN);
	invoke_trace_id(trace, sizeof trace);
	cur->t_deliver = now_us();
	cur->deadline = cur->t_deliver + (uint64_t)cur->timeout_ms * 1000;
	sbuf_printf(&hdr, "Content-Type: application/json\r\n"
	    "Lambda-Runtime-Aws-Request-Id: %s\r\n"
	    "Lambda-Runtime-Deadline-Ms: %llu\r\n"
	    "Lambda-Runtime-Invoked-Function-Arn: %s\r\n"
	    "Lambda-Runtime-Trace-Id: %s\r\n",
	    cur->reqid, (unsigned long long)(epoch_ms() + cur->timeout_ms),
	    arn != NULL ? arn : "arn:aws:lambda:us-east-1:000000000000:"
	    "function:unknown", trace);
	conn_reply(next, 200, hdr.data, cur->payload, cur->len);
	sbuf_free(&hdr);
	cur->delivered = 1;
	invoke_platform("START RequestId: %s Version: $LATEST", cur->reqid);
	return 1;
}

/* POST /invoke: hold c until the invocation ends (body is the event). */
void
invoke_host(struct conn *c, const char *body, size_t len)
{
	if (cur != NULL) {
		conn_reply(c, 409, NULL, "busy", 4);
		return;
	}
	if (!runtime_configured()) {
		conn_reply(c, 503, NULL, "not configured", 14);
		return;
	}
	/*
	 * Taken, from here on: say so first.  Everything before this point
	 * leaves the event unstarted, and the host may send it elsewhere;
	 * after it, the host never sends it again (agent-client.c).  If the
	 * word cannot go, the event is not taken: busy, as far as the host
	 * can tell, or a connection closed before any answer.
	 */
	if (agent_ack(c) != 0) {
		if (c->fd != -1)
			conn_reply(c, 409, NULL, "busy", 4);
		return;
	}
	invoke_log_lines(1);	/* an unended line before it is not its own */
	cur = calloc(1, sizeof *cur);
	if (cur == NULL)
		die("out of memory");
	cur->host = c;
	snprintf(cur->reqid, sizeof cur->reqid, "%s", c->req.reqid);
	cur->payload = amalloc(len);
	memcpy(cur->payload, body, len);
	cur->len = len;
	cur->timeout_ms = c->req.timeout_ms > 0 ? c->req.timeout_ms : 3000;
	cur->t_arrive = now_us();
	/* Output since the last invocation is this one's, as on Lambda. */
	cur->logs = idle_logs;
	memset(&idle_logs, 0, sizeof idle_logs);
	cur->cold = runtime_prepare();
	if (!gen_served)
		cur->cold = 1;	/* a generation that started before it came */
	cur->deadline = cur->t_arrive + (uint64_t)(cur->timeout_ms +
	    (cur->cold ? INVOKE_INIT_LIMIT_MS : 0)) * 1000;
	c->held = 1;
	runtime_deliver();
}

/* A connection is closing: if it waits for the invocation, nobody does. */
void
invoke_forget_conn(struct conn *c)
{
	if (cur != NULL && cur->host == c)
		cur->host = NULL;
}

/* Milliseconds to the invocation's deadline; -1 if nothing is in flight. */
long
invoke_timeout_ms(void)
{
	uint64_t	now = now_us();

	if (cur == NULL)
		return -1;
	return cur->deadline > now ? (long)((cur->deadline - now) / 1000) + 1 : 0;
}

/* Time the invocation out if its deadline has passed. */
void
invoke_check_deadline(void)
{
	char	body[256];
	int	len;

	if (cur == NULL || now_us() < cur->deadline)
		return;
	len = snprintf(body, sizeof body, "{\"errorType\": \"Sandbox.Timedout\", "
	    "\"errorMessage\": \"RequestId: %s Error: Task timed out after "
	    "%.2f seconds\"}", cur->reqid, cur->timeout_ms / 1000.0);
	runtime_stop();
	invoke_finish(PROTO_STATUS_TIMEOUT, body, len, "timeout");
}
