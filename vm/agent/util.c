/*
 * util.c — what every part of the agent leans on: its own messages,
 * memory, growable buffers and clocks.
 *
 * The agent's messages go to its stderr (in an ns sandbox a file on the
 * host, in a microVM the serial console), one line each with
 * "hearth-agent: " first, and AGENT_LOG_MAX bytes of them in all: a
 * runtime that makes the agent complain cannot fill the host's disk.
 * Allocation does not fail: when memory is gone the agent says so and
 * exits (die), and the sandbox goes with it.  Buffers (struct sbuf) keep
 * a NUL after their bytes, so text in them is a C string too.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

static size_t		 log_written;	/* bytes of agent_log so far */

#define AGENT_LOG_MAX	(64 * 1024)	/* the agent's own messages, in all */

/* Write one line, "hearth-agent: " first, to the agent's log (stderr). */
static void
agent_vlog(const char *fmt, va_list ap)
{
	static const char dropped[] = "hearth-agent: further messages dropped\n";
	char	line[1024];
	int	n, m;

	n = snprintf(line, sizeof line, "hearth-agent: ");
	m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof line - 1)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (log_written + n > AGENT_LOG_MAX) {
		if (log_written <= AGENT_LOG_MAX &&
		    write(2, dropped, sizeof dropped - 1) > 0)
			log_written = AGENT_LOG_MAX + 1;
		return;
	}
	if (write(2, line, n) == n)
		log_written += n;
}

void
agent_log(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	agent_vlog(fmt, ap);
	va_end(ap);
}

void
die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	agent_vlog(fmt, ap);
	va_end(ap);
	agent_exit(1);
}


void *
amalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

void
sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 512;

		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((b->data = realloc(b->data, cap)) == NULL)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	char	tmp[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		sbuf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void
sbuf_free(struct sbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
epoch_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
