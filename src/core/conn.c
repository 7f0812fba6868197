/*
 * conn.c — the agent connections this process keeps open.
 *
 * Each hearth process keeps one connection per agent socket it has used,
 * in a small table, so that the next request to the same instance reuses
 * its socket instead of connecting again.  When the table is full, the
 * first slot is closed and reused.  An instance's connection is dropped when the instance is killed, and
 * every connection at the end of a command (conn_close_all).
 */
#include <stdlib.h>
#include <string.h>

#include "inst.h"

static struct {
	char			*sock;	/* agent socket path, NULL: slot free */
	struct agent_conn	*conn;	/* open connection to it */
} conn_cache[32];		/* one slot per agent socket used */

/* Return the connection to the agent at sock, opening it if need be. */
struct agent_conn *
conn_get(const char *sock)
{
	int	i, free_slot = -1;

	for (i = 0; i < (int)nitems(conn_cache); i++) {
		if (conn_cache[i].sock != NULL && strcmp(conn_cache[i].sock, sock) == 0)
			return conn_cache[i].conn;
		if (conn_cache[i].sock == NULL && free_slot == -1)
			free_slot = i;
	}
	if (free_slot == -1) {
		free_slot = 0;
		agent_close(conn_cache[0].conn);
		free(conn_cache[0].sock);
	}
	conn_cache[free_slot].sock = xstrdup(sock);
	conn_cache[free_slot].conn = agent_connect(sock);
	return conn_cache[free_slot].conn;
}

/* Close the connection to the agent at sock, if there is one. */
void
conn_drop(const char *sock)
{
	int	i;

	for (i = 0; i < (int)nitems(conn_cache); i++) {
		if (conn_cache[i].sock != NULL && strcmp(conn_cache[i].sock, sock) == 0) {
			agent_close(conn_cache[i].conn);
			free(conn_cache[i].sock);
			conn_cache[i].sock = NULL;
			conn_cache[i].conn = NULL;
		}
	}
}

/* Close every connection this process holds. */
void
conn_close_all(void)
{
	int	i;

	for (i = 0; i < (int)nitems(conn_cache); i++) {
		if (conn_cache[i].sock == NULL)
			continue;
		agent_close(conn_cache[i].conn);
		free(conn_cache[i].sock);
		conn_cache[i].sock = NULL;
		conn_cache[i].conn = NULL;
	}
}
