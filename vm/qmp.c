/*
 * qmp.c — a minimal client for QEMU's machine protocol (QMP).
 *
 * QMP is newline-delimited JSON on a unix socket: a greeting, then
 * {"execute": ...} commands, each answered by {"return": ...} or
 * {"error": ...}, with {"event": ...} lines in between that a caller here
 * never needs and that are skipped.  hearth uses it to save a VM's state
 * and to look at a running VM.  QEMU runs confined and cannot open files
 * of the host, so a file it should write reaches it as a descriptor:
 * qmp_call_fd sends one with a command (SCM_RIGHTS), as `getfd` wants.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <cjson/cJSON.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"
#include "qemu.h"

#define QMP_TIMEOUT_MS	10000

struct qmp {
	int		 fd;		/* connected to QEMU's QMP socket */
	struct buf	 in;		/* bytes read, not yet a whole line */
};

/* Read one line (a JSON object) into *line; -1 on EOF, error or timeout. */
static int
qmp_line(struct qmp *q, char **line, char **cause)
{
	struct pollfd	 pfd = { q->fd, POLLIN, 0 };
	char		 chunk[4096], *nl;
	ssize_t		 n;
	uint64_t	 deadline = util_mono_us() + QMP_TIMEOUT_MS * 1000ULL;

	for (;;) {
		if (q->in.len > 0 && (nl = memchr(q->in.data, '\n', q->in.len)) != NULL) {
			*line = xstrndup(q->in.data, nl - q->in.data);
			q->in.len -= nl + 1 - q->in.data;
			memmove(q->in.data, nl + 1, q->in.len + 1);
			return 0;
		}
		if (util_mono_us() >= deadline ||
		    poll(&pfd, 1, (int)((deadline - util_mono_us()) / 1000)) <= 0) {
			*cause = xasprintf("QMP: no answer in %d s", QMP_TIMEOUT_MS / 1000);
			return -1;
		}
		if ((n = read(q->fd, chunk, sizeof chunk)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			*cause = xasprintf("QMP: %s", n == 0 ? "QEMU closed the socket" :
			    strerror(errno));
			return -1;
		}
		buf_add(&q->in, chunk, n);
	}
}

struct qmp *
qmp_open(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct qmp		*q;
	char			*line = NULL, *ret = NULL;

	if (strlen(path) >= sizeof sun.sun_path) {
		*cause = xasprintf("%s: socket path too long", path);
		return NULL;
	}
	q = xcalloc(1, sizeof *q);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(q->fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (qmp_line(q, &line, cause) != 0)	/* the greeting */
		goto fail;
	free(line);
	if (qmp_call(q, "qmp_capabilities", NULL, &ret, cause) != 0)
		goto fail;
	free(ret);
	return q;
fail:
	qmp_close(q);
	return NULL;
}

/* Send req whole, with fd (unless -1) riding on its first byte. */
static ssize_t
qmp_send(struct qmp *q, const struct buf *req, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		space[CMSG_SPACE(sizeof(int))];
	}		 ctl;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	size_t		 off = 0;
	ssize_t		 n;

	while (off < req->len) {
		memset(&msg, 0, sizeof msg);
		iov.iov_base = req->data + off;
		iov.iov_len = req->len - off;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (fd != -1 && off == 0) {
			memset(&ctl, 0, sizeof ctl);
			msg.msg_control = ctl.space;
			msg.msg_controllen = sizeof ctl.space;
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &fd, sizeof fd);
		}
		if ((n = sendmsg(q->fd, &msg, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += n;
	}
	return (ssize_t)off;
}

/*
 * Run command with args (a JSON object text, or NULL).  On success *ret is
 * the "return" value as JSON text; on an error reply, -1 with its desc.
 */
int
qmp_call(struct qmp *q, const char *command, const char *args, char **ret,
    char **cause)
{
	return qmp_call_fd(q, command, args, -1, ret, cause);
}

/* As qmp_call, passing QEMU the descriptor fd with the command. */
int
qmp_call_fd(struct qmp *q, const char *command, const char *args, int fd,
    char **ret, char **cause)
{
	struct buf	 req = { 0 };
	cJSON		*j, *v;
	char		*line;
	ssize_t		 n;

	buf_printf(&req, "{\"execute\": \"%s\"%s%s}\n", command,
	    args != NULL ? ", \"arguments\": " : "", args != NULL ? args : "");
	n = qmp_send(q, &req, fd);
	buf_free(&req);
	if (n == -1) {
		*cause = xasprintf("QMP %s: %s", command, strerror(errno));
		return -1;
	}
	for (;;) {
		if (qmp_line(q, &line, cause) != 0)
			return -1;
		j = cJSON_Parse(line);
		free(line);
		if (j == NULL)
			continue;
		if ((v = cJSON_GetObjectItem(j, "return")) != NULL) {
			*ret = cJSON_PrintUnformatted(v);
			cJSON_Delete(j);
			return 0;
		}
		if ((v = cJSON_GetObjectItem(j, "error")) != NULL) {
			cJSON *d = cJSON_GetObjectItem(v, "desc");

			*cause = xasprintf("QMP %s: %s", command, cJSON_IsString(d) ?
			    d->valuestring : "error");
			cJSON_Delete(j);
			return -1;
		}
		cJSON_Delete(j);	/* an event */
	}
}

void
qmp_close(struct qmp *q)
{
	if (q == NULL)
		return;
	if (q->fd != -1)
		close(q->fd);
	buf_free(&q->in);
	free(q);
}
