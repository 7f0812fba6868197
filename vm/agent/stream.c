/*
 * stream.c — the agent's log and stats streams.
 *
 * A host connection that asks GET /logs?follow or GET /stats?follow is
 * answered with a chunked NDJSON stream and stays open: every line the
 * runtime prints (and the START/END/REPORT lines the agent writes around
 * each invocation) goes to log followers as it happens, and once a second
 * a stats object goes to stats followers.  New log followers first get the
 * last STREAM_BACKLOG lines.  A follower that falls behind (more than
 * STREAM_SLOW unsent) misses output lines rather than grow the agent
 * without bound, and once it has caught up gets a line saying exactly how
 * many bytes of output it missed, before the next line; the agent's own
 * lines (START, END, REPORT) always go, so a follower learns how every
 * invocation ended.  One that stops reading altogether (STREAM_STUCK
 * unsent) is closed.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

#define STREAM_BACKLOG	200		/* log lines a new follower gets */
#define STREAM_SLOW	(4 << 20)	/* unsent bytes before a follower misses lines */
#define STREAM_STUCK	(8 << 20)	/* unsent bytes before it is closed */
#define STREAM_LAT	256		/* durations kept for percentiles */

static char	*backlog[STREAM_BACKLOG];	/* recent log lines as JSON */
static int	 backlog_next;			/* slot for the next one */
static unsigned long long missed[AGENT_MAX_CONNS];	/* per conns[] slot:
					   output bytes a follower missed */

static struct {
	uint64_t	 invocations;		/* served since start */
	uint64_t	 errors;		/* of which failed */
	uint64_t	 lat[STREAM_LAT];	/* recent durations, µs */
	int		 nlat;			/* how many held */
	int		 next;			/* slot for the next one */
	uint64_t	 next_tick;		/* µs, when stats go out next */
} st;

static void
stream_json_string(struct sbuf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	sbuf_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"': sbuf_add(b, "\\\"", 2); break;
		case '\\': sbuf_add(b, "\\\\", 2); break;
		case '\t': sbuf_add(b, "\\t", 2); break;
		case '\r': sbuf_add(b, "\\r", 2); break;
		default:
			if (p[i] < 0x20)
				sbuf_printf(b, "\\u%04x", p[i]);
			else
				sbuf_add(b, &p[i], 1);
		}
	}
	sbuf_add(b, "\"", 1);
}

/* Queue one NDJSON line as an HTTP chunk on c; close c if it is stuck. */
static void
stream_chunk(struct conn *c, const char *json, size_t len)
{
	if (c->out.len - c->out_off > STREAM_STUCK) {
		conn_close(c);
		return;
	}
	sbuf_printf(&c->out, "%zx\r\n", len + 1);
	sbuf_add(&c->out, json, len);
	sbuf_add(&c->out, "\n\r\n", 3);
}

/* 1234567 as "1,234,567" into buf. */
static void
stream_grouped(char *buf, size_t size, unsigned long long v)
{
	char	tmp[32];
	size_t	n, i, o = 0;

	n = (size_t)snprintf(tmp, sizeof tmp, "%llu", v);
	for (i = 0; i < n && o + 2 < size; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
}

/*
 * Queue a log line (bytes of output, 0 for the agent's own) on follower
 * c: missed, and counted, while c lags; once it has caught up, first the
 * count of what it missed.
 */
static void
stream_log_chunk(struct conn *c, const char *reqid, const char *json,
    size_t len, size_t bytes)
{
	struct sbuf		 b = { 0 };
	unsigned long long	*m = &missed[c - conns];
	char			 num[32];

	if (bytes > 0 && c->out.len - c->out_off > STREAM_SLOW) {
		*m += bytes;
		return;
	}
	if (*m > 0) {
		stream_grouped(num, sizeof num, *m);
		sbuf_printf(&b, "{\"ts\": %llu, \"request_id\": \"%s\", "
		    "\"source\": \"hearth\", \"dropped\": %llu, \"line\": "
		    "\"[hearth: this follower fell behind: %s bytes dropped]\"}",
		    (unsigned long long)epoch_ms(), reqid, *m, num);
		*m = 0;
		stream_chunk(c, b.data, b.len);
		sbuf_free(&b);
		if (c->fd == -1)
			return;
	}
	stream_chunk(c, json, len);
}

static void
stream_send(int kind, const char *json, size_t len)
{
	int	i;

	for (i = 0; i < AGENT_MAX_CONNS; i++)
		if (conns[i].fd != -1 && conns[i].stream == kind)
			stream_chunk(&conns[i], json, len);
}

/* Turn c into a follower of kind (STREAM_LOGS or STREAM_STATS). */
void
stream_subscribe(struct conn *c, int kind)
{
	struct sbuf	b = { 0 };
	int		i, slot;

	sbuf_printf(&c->out, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n");
	c->stream = kind;
	c->held = 1;	/* no further requests on this connection */
	missed[c - conns] = 0;
	if (kind == STREAM_LOGS) {
		for (i = 0; i < STREAM_BACKLOG; i++) {
			slot = (backlog_next + i) % STREAM_BACKLOG;
			if (backlog[slot] != NULL)
				stream_chunk(c, backlog[slot], strlen(backlog[slot]));
		}
	} else {
		stream_stats_json(&b);
		stream_chunk(c, b.data, b.len);
		sbuf_free(&b);
	}
}

/*
 * One line of log: source is "stdout", "stderr" or "platform" (the lines
 * the agent writes itself); reqid may be empty between invocations.
 */
void
stream_log(const char *reqid, const char *source, const char *line, size_t len)
{
	struct sbuf	b = { 0 };
	size_t		bytes = len + 1;	/* of output, with its newline */
	int		i;

	if (len > PROTO_STREAM_TEXT_MAX)	/* the host drops longer lines */
		len = PROTO_STREAM_TEXT_MAX;
	sbuf_printf(&b, "{\"ts\": %llu, \"request_id\": \"%s\", \"source\": \"%s\", "
	    "\"line\": ", (unsigned long long)epoch_ms(), reqid, source);
	stream_json_string(&b, line, len);
	sbuf_add(&b, "}", 1);
	free(backlog[backlog_next]);
	backlog[backlog_next] = b.data;
	backlog_next = (backlog_next + 1) % STREAM_BACKLOG;
	for (i = 0; i < AGENT_MAX_CONNS; i++)
		if (conns[i].fd != -1 && conns[i].stream == STREAM_LOGS)
			stream_log_chunk(&conns[i], reqid, b.data, b.len,
			    strcmp(source, "platform") == 0 ? 0 : bytes);
}

/* Count an invocation that took dur µs. */
void
stream_record(uint64_t dur, int error)
{
	st.invocations++;
	st.errors += error != 0;
	st.lat[st.next] = dur;
	st.next = (st.next + 1) % STREAM_LAT;
	if (st.nlat < STREAM_LAT)
		st.nlat++;
}

static int
stream_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* CPU time of pid (and, for ourselves, reaped children) in ms. */
static uint64_t
stream_cpu_ms(int pid, int children)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 v[4] = { 0 };
	ssize_t			 n;
	int			 fd;
	long			 hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
	    "%llu %llu", &v[0], &v[1], &v[2], &v[3]) != 4)
		return 0;
	return (v[0] + v[1] + (children ? v[2] + v[3] : 0)) * 1000 / (hz > 0 ? hz : 100);
}

/* A "Field:   N kB" line of /proc/PID/status, in kB; 0 if unreadable. */
long
proc_status_kb(int pid, const char *field)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kb = 0;
	size_t	 n = strlen(field);

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			kb = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return kb;
}

/* The stats object: counters, latency percentiles, CPU and memory. */
void
stream_stats_json(struct sbuf *b)
{
	uint64_t	sorted[STREAM_LAT], p50 = 0, p99 = 0, cpu;
	int		pid = runtime_pid();

	if (st.nlat > 0) {
		memcpy(sorted, st.lat, sizeof sorted[0] * st.nlat);
		qsort(sorted, st.nlat, sizeof sorted[0], stream_cmp);
		p50 = sorted[st.nlat / 2];
		p99 = sorted[(st.nlat * 99) / 100 < st.nlat ? (st.nlat * 99) / 100 :
		    st.nlat - 1];
	}
	/* Everything in the sandbox: us, our reaped children, the runtime. */
	cpu = stream_cpu_ms(getpid(), 1) + (pid > 0 ? stream_cpu_ms(pid, 1) : 0);
	sbuf_printf(b, "{\"ts\": %llu, \"invocations\": %llu, \"errors\": %llu, "
	    "\"busy\": %s, \"runtime_pid\": %d, \"rss_kb\": %ld, \"cpu_ms\": %llu, "
	    "\"p50_us\": %llu, \"p99_us\": %llu}", (unsigned long long)epoch_ms(),
	    (unsigned long long)st.invocations, (unsigned long long)st.errors,
	    invoke_busy() ? "true" : "false", pid,
	    proc_status_kb(getpid(), "VmRSS") +
	    (pid > 0 ? proc_status_kb(pid, "VmRSS") : 0),
	    (unsigned long long)cpu, (unsigned long long)p50,
	    (unsigned long long)p99);
}

/* Send stats to followers once a second. */
void
stream_tick(void)
{
	struct sbuf	b = { 0 };
	int		i, any = 0;

	if (now_us() < st.next_tick)
		return;
	st.next_tick = now_us() + 1000000;
	for (i = 0; i < AGENT_MAX_CONNS; i++)
		any |= conns[i].fd != -1 && conns[i].stream == STREAM_STATS;
	if (!any)
		return;
	stream_stats_json(&b);
	stream_send(STREAM_STATS, b.data, b.len);
	sbuf_free(&b);
}

/* Milliseconds until stream_tick has work, or -1 for none. */
long
stream_next_ms(void)
{
	uint64_t	now = now_us();
	int		i;

	for (i = 0; i < AGENT_MAX_CONNS; i++)
		if (conns[i].fd != -1 && conns[i].stream == STREAM_STATS)
			return st.next_tick > now ? (long)((st.next_tick - now) / 1000) + 1 : 0;
	return -1;
}
