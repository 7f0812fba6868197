/*
 * agent.h — hearth-agent's internal interface (the wire format is in
 * proto.h).  agent.c owns the event loop and the connections; http.c
 * parses what arrives on them; runtime.c the runtime and the invocation
 * in flight; spawn.c the namespaces each runtime generation runs in;
 * confine.c the privileges and system-call filters of the agent and the
 * runtime; stream.c turns what happens into the log and stats streams the
 * host can follow.
 */
#ifndef HEARTH_AGENT_H
#define HEARTH_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define AGENT_MAX_CONNS		64
#define AGENT_HOST_CONNS	48	/* of which the host's, at most */
#define AGENT_RUNTIME_CONNS	16	/* and the runtime's */
#define AGENT_AUTH_MS		1000	/* microVM: a token line within this */

struct sbuf {
	char	*data;		/* bytes */
	size_t	 len;		/* used */
	size_t	 cap;		/* allocated */
};

enum conn_kind { CONN_HOST, CONN_RUNTIME };

/* A request's head, as http.c parses it. */
struct http_req {
	char		 method[8];	/* GET, POST, PUT */
	char		 path[256];	/* request target */
	size_t		 hdr_len;	/* bytes of request line + headers */
	size_t		 body_len;	/* Content-Length */
	char		 reqid[64];	/* X-Hearth-Request-Id */
	long		 timeout_ms;	/* X-Hearth-Timeout-Ms */
};

/* The Runtime API calls (http_runtime_route). */
enum http_route {
	ROUTE_UNKNOWN,
	ROUTE_NEXT,		/* GET invocation/next */
	ROUTE_CONFIG,		/* GET hearth/config (prewarmed runtimes) */
	ROUTE_INIT_ERROR,	/* POST init/error */
	ROUTE_RESPONSE,		/* POST invocation/ID/response */
	ROUTE_ERROR,		/* POST invocation/ID/error */
};

struct conn {
	int		 fd;		/* socket, -1 once closed */
	enum conn_kind	 kind;		/* which listener accepted it */
	uint64_t	 opened;	/* µs, when it was accepted */
	struct sbuf	 in;		/* unparsed request bytes */
	struct sbuf	 out;		/* response bytes not yet written */
	size_t		 out_off;	/* bytes of out already written */
	int		 held;		/* a request is parked awaiting an event */
	int		 closing;	/* close once out is flushed */
	int		 stream;	/* STREAM_* this connection follows */
	int		 authed;	/* microVM: token line seen */
	int		 parsed;	/* req holds the head of the next request */
	size_t		 discard;	/* body bytes still to drop unread */
	struct http_req	 req;		/* the request being handled */
};

extern struct conn conns[AGENT_MAX_CONNS];

void	 agent_set_idle_ttl(long);
void	 agent_log(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 agent_runtime_reset(void);
int	 agent_listen_tcp(const char *, int, int, int);
void	 agent_exit(int) __attribute__((noreturn));
void	 die(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	*amalloc(size_t);
void	 sbuf_add(struct sbuf *, const void *, size_t);
void	 sbuf_printf(struct sbuf *, const char *, ...)
	     __attribute__((format(printf, 2, 3)));
void	 sbuf_free(struct sbuf *);
uint64_t now_us(void);
uint64_t epoch_ms(void);
void	 conn_reply(struct conn *, int, const char *, const void *, size_t);
void	 conn_close(struct conn *);
int	 agent_runtime_pid(void);
int	 agent_busy(void);
extern uint64_t agent_last_active;	/* µs of the last host request */

/* http.c */
int	 http_parse(const char *, size_t, struct http_req *);
enum http_route http_runtime_route(const char *, const char *, char *, size_t);

/* runtime.c */
void	 runtime_init(char **, int, const char *);
void	 runtime_host_invoke(struct conn *, const char *, size_t);
void	 runtime_host_configure(struct conn *, const char *, size_t);
void	 runtime_api(struct conn *, const char *, size_t);
void	 runtime_api_too_large(struct conn *);
void	 runtime_health(struct sbuf *);
void	 runtime_forget_conn(struct conn *);
void	 runtime_reaped(int, int);
void	 runtime_fds(int *, int *);
void	 runtime_drain(int);
long	 runtime_timeout_ms(void);
void	 runtime_check_deadline(void);
int	 runtime_idle(void);
void	 runtime_stop(void);

/* vminit.c: the agent as /init of a microVM. */
struct sockaddr_in;
extern int vm_mode;
char	**vm_init(void);
void	 vm_poweroff(void) __attribute__((noreturn));
int	 vm_peer_ok(const struct sockaddr_in *);
int	 vm_auth(struct sbuf *);
void	 vm_rekey(struct conn *, const char *, size_t);
void	 vm_quiesce(struct conn *);

/* spawn.c: a runtime generation in its own pid and mount namespaces. */
struct spawn {
	pid_t	 init;		/* the generation's init, 0 if none */
	pid_t	 runtime;	/* the runtime as the agent sees it, 0 unknown */
	int	 out_fd;	/* the runtime's stdout, read end */
	int	 err_fd;	/* its stderr */
	int	 status_fd;	/* the init reports the runtime's exit here */
};
int	 spawn_runtime(struct spawn *, char **, char **);
pid_t	 spawn_runtime_pid(struct spawn *);
int	 spawn_reaped(struct spawn *, int);

/* confine.c */
void	 confine_agent(void);
void	 confine_runtime(void);

/* code.c */
void	 code_put(struct conn *, const char *, size_t);
int	 code_unpack(int, const char *, size_t, char *, size_t);

/* stream.c */
#define STREAM_NONE	0
#define STREAM_LOGS	1
#define STREAM_STATS	2
void	 stream_subscribe(struct conn *, int);
void	 stream_log(const char *, const char *, const char *, size_t);
void	 stream_record(uint64_t, int);
void	 stream_stats_json(struct sbuf *);
void	 stream_tick(void);
long	 stream_next_ms(void);
long	 proc_status_kb(int, const char *);

#endif
