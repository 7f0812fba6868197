/*
 * relay.c — the agent's channel, from the host's socket to the guest.
 *
 * The shim takes a network namespace of its own with only loopback in it,
 * so the port QEMU's user network forwards to the agent (PROTO_VM_PORT)
 * exists nowhere else: no other process on the host can reach it.  The
 * host reaches the agent through the shim instead: every connection to
 * RUN_DIR/agent.sock (a unix socket only its owner can open) is paired
 * with a connection of the shim's to the agent, opened with the token
 * line, and bytes are copied both ways, SHIM_BUF at a time in flight each
 * way, each direction closed on its own.  So everything above vm/ talks
 * to a VM exactly as to an ns sandbox, and never sees the token.
 *
 * The agent closes a connection on its own only when it stops, so when
 * one closes, the shim looks whether QEMU is exiting (shim.c): clients
 * should learn why before they see their connection close.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define SHIM_BUF	65536		/* bytes in flight each way */

/* One direction of a relayed connection. */
struct half {
	char	 buf[SHIM_BUF];		/* bytes read, not yet written on */
	size_t	 len;			/* bytes held */
	size_t	 off;			/* of those, bytes written */
	int	 eof;			/* the reading side closed */
};

/* A relayed connection: a client's and the shim's to the agent. */
struct pair {
	int		 cfd;		/* client, on agent.sock */
	int		 ufd;		/* upstream, the agent */
	struct half	 up;		/* client to agent */
	struct half	 down;		/* agent to client */
};

static struct pair	*pairs[RELAY_PAIRS];	/* NULL where free */

/*
 * A network namespace of the shim's own, loopback only: QEMU's forward
 * to the agent listens there, where nothing but the shim can connect.
 */
int
relay_private_net(void)
{
	struct ifreq	ifr;
	int		fd;

	if (unshare(CLONE_NEWNET) == -1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

/* A connection to the agent, through QEMU's forward; -1 on failure. */
static int
relay_dial(void)
{
	struct sockaddr_in	sin;
	int			fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PROTO_VM_PORT);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One request to the agent with tok, on a fresh connection, answered
 * within timeout_ms.  Returns the HTTP status, 0 for no answer.
 */
int
relay_call(const char *tok, const char *method, const char *path,
    const char *body, int timeout_ms)
{
	char		req[1024], reply[512];
	size_t		got = 0;
	ssize_t		n;
	int		fd, code = 0, len;
	uint64_t	deadline = shim_now_ms() + timeout_ms;

	if ((fd = relay_dial()) == -1)
		return 0;
	len = snprintf(req, sizeof req, PROTO_TOKEN_PREFIX "%s\n%s %s HTTP/1.1\r\n"
	    "Host: agent\r\nContent-Length: %zu\r\n\r\n%s", tok, method, path,
	    strlen(body), body);
	if (write(fd, req, len) != len)
		goto out;
	while (got < sizeof reply - 1 && shim_now_ms() < deadline) {
		if (console_wait(fd, POLLIN, (int)(deadline - shim_now_ms())) == 0)
			break;
		if ((n = read(fd, reply + got, sizeof reply - 1 - got)) <= 0)
			break;
		got += n;
		reply[got] = '\0';
		if (strstr(reply, "\r\n") != NULL) {
			sscanf(reply, "HTTP/1.1 %d", &code);
			break;
		}
	}
out:
	close(fd);
	return code;
}

/* Close pair i, both ends. */
static void
relay_close(int i)
{
	close(pairs[i]->cfd);
	close(pairs[i]->ufd);
	free(pairs[i]);
	pairs[i] = NULL;
}

/* Accept every client waiting on lfd, each with a connection to the agent. */
void
relay_accept(int lfd, const char *token)
{
	struct pair	*p;
	int		 fd, i;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		for (i = 0; i < RELAY_PAIRS && pairs[i] != NULL; i++)
			;
		if (i == RELAY_PAIRS || (p = calloc(1, sizeof *p)) == NULL) {
			close(fd);
			continue;
		}
		p->cfd = fd;
		/*
		 * A blocking connect: QEMU's port is on loopback, where the
		 * kernel completes it at once, and a socket still connecting
		 * could refuse the first write.
		 */
		if ((p->ufd = relay_dial()) == -1) {
			close(fd);
			free(p);
			continue;
		}
		fcntl(p->ufd, F_SETFL, O_NONBLOCK);
		p->up.len = snprintf(p->up.buf, sizeof p->up.buf,
		    PROTO_TOKEN_PREFIX "%s\n", token);
		pairs[i] = p;
	}
}

/* Move bytes from fd into h; returns -1 on a hard error. */
static int
relay_fill(int fd, struct half *h)
{
	ssize_t	n;

	if (h->eof || h->len == sizeof h->buf)
		return 0;
	n = read(fd, h->buf + h->len, sizeof h->buf - h->len);
	if (n > 0)
		h->len += n;
	else if (n == 0)
		h->eof = 1;
	else if (errno != EAGAIN && errno != EINTR)
		return -1;
	return 0;
}

/* Write what h holds to fd; half-close fd once h is drained at EOF. */
static int
relay_drain(int fd, struct half *h)
{
	ssize_t	n;

	while (h->off < h->len) {
		n = write(fd, h->buf + h->off, h->len - h->off);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		h->off += n;
	}
	h->len = h->off = 0;
	if (h->eof)
		shutdown(fd, SHUT_WR);
	return 0;
}

/*
 * Fill pfd with two entries (client, agent) for each relayed connection,
 * asking for what each can take now; returns how many entries.
 */
int
relay_pollfds(struct pollfd *pfd)
{
	int	n = 0, i;

	for (i = 0; i < RELAY_PAIRS; i++) {
		struct pair *p = pairs[i];

		if (p == NULL)
			continue;
		pfd[n].fd = p->cfd;
		pfd[n].events = (!p->up.eof && p->up.len < sizeof p->up.buf ?
		    POLLIN : 0) | (p->down.len > p->down.off ? POLLOUT : 0);
		pfd[n + 1].fd = p->ufd;
		pfd[n + 1].events = (!p->down.eof && p->down.len <
		    sizeof p->down.buf ? POLLIN : 0) |
		    (p->up.len > p->up.off ? POLLOUT : 0);
		n += 2;
	}
	return n;
}

/*
 * Copy what poll found ready in pfd (as relay_pollfds filled it) and
 * close what is done or broken.
 */
void
relay_events(const struct pollfd *pfd)
{
	int	i, j;

	for (i = 0, j = 0; i < RELAY_PAIRS; i++) {
		struct pair *p = pairs[i];
		int bad;

		if (p == NULL)
			continue;
		bad = (pfd[j].revents & POLLERR) != 0;
		if (!bad && (pfd[j].revents & (POLLIN | POLLHUP)))
			bad = relay_fill(p->cfd, &p->up);
		if (!bad && (pfd[j + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
			bad = relay_fill(p->ufd, &p->down);
			if (bad || p->down.eof)
				shim_check_dying();
		}
		if (!bad)
			bad = relay_drain(p->ufd, &p->up);
		if (!bad)
			bad = relay_drain(p->cfd, &p->down);
		j += 2;
		if (bad || (p->up.eof && p->down.eof && p->up.len == 0 &&
		    p->down.len == 0))
			relay_close(i);
	}
}

/* Close every relayed connection (QEMU is gone). */
void
relay_close_all(void)
{
	int	i;

	for (i = 0; i < RELAY_PAIRS; i++)
		if (pairs[i] != NULL)
			relay_close(i);
}
