/*
 * agent.h — hearth-agent's internal interface, sectioned by the file that
 * defines each part (the wire format with the host is proto.h's alone).
 *
 *   util.c	the agent's messages, memory, buffers and clocks
 *   http.c	the request parser and the Runtime API's routes
 *   agent.c	the event loop, the connections, routing host requests
 *   runtime.c	the runtime's generations and the Runtime API's states
 *   invoke.c	the invocation in flight (POST /invoke) and its log
 *   stream.c	the log and stats streams the host can follow
 *   spawn.c	the namespaces each runtime generation runs in
 *   confine.c	the privileges and system-call filters of agent and runtime
 *   code.c	PUT /code: a function's code, unpacked (microVMs)
 *   vminit.c	the agent as /init of a microVM
 *
 * Nothing here is seen by the host; nothing of the host's is included.
 */
#ifndef HEARTH_AGENT_H
#define HEARTH_AGENT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct sockaddr_in;

/* util.c: messages, memory, buffers, clocks. */
struct sbuf {
	char	*data;		/* bytes, NUL-terminated once any are added */
	size_t	 len;		/* used */
	size_t	 cap;		/* allocated */
};

void	 agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 die(const char *fmt, ...)
	     __attribute__((format(printf, 1, 2), noreturn));
void	*amalloc(size_t n);
void	 sbuf_add(struct sbuf *b, const void *p, size_t n);
void	 sbuf_printf(struct sbuf *b, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));
void	 sbuf_free(struct sbuf *b);
uint64_t now_us(void);
uint64_t epoch_ms(void);

/* http.c: a request's head, and which Runtime API call it is. */
struct http_req {
	char		 method[8];	/* GET, POST, PUT */
	char		 path[256];	/* request target */
	size_t		 hdr_len;	/* bytes of request line + headers */
	size_t		 body_len;	/* Content-Length */
	char		 reqid[64];	/* X-Hearth-Request-Id */
	long		 timeout_ms;	/* X-Hearth-Timeout-Ms */
};

enum http_route {
	ROUTE_UNKNOWN,		/* none of the below */
	ROUTE_NEXT,		/* GET invocation/next */
	ROUTE_CONFIG,		/* GET hearth/config (prewarmed runtimes) */
	ROUTE_INIT_ERROR,	/* POST init/error */
	ROUTE_RESPONSE,		/* POST invocation/ID/response */
	ROUTE_ERROR,		/* POST invocation/ID/error */
};

int	 http_parse(const char *buf, size_t len, struct http_req *r);
enum http_route http_runtime_route(const char *method, const char *path,
	     char *id, size_t idlen);

/* agent.c: the event loop and the connections. */
#define AGENT_MAX_CONNS		64
#define AGENT_HOST_CONNS	48	/* of which the host's, at most */
#define AGENT_RUNTIME_CONNS	16	/* and the runtime's */
#define AGENT_AUTH_MS		1000	/* microVM: a token line within this */
#define AGENT_DRAIN_MS		100	/* idle: quiet this long, then exit */
#define AGENT_ACK_MS		1000	/* microVM: PROTO_ACCEPTED acked within */

enum conn_kind {
	CONN_HOST,		/* accepted on the host's socket (fd 3) */
	CONN_RUNTIME,		/* accepted on the Runtime API's port */
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

extern struct conn conns[AGENT_MAX_CONNS];	/* every slot, fd -1 if free */
extern uint64_t agent_last_active;	/* µs: host activity, or an invocation ended */

void	 agent_set_idle_ttl(long seconds);
void	 agent_exit(int status) __attribute__((noreturn));
void	 agent_runtime_reset(void);
int	 agent_ack(struct conn *c);
int	 agent_listen_tcp(const char *addr, int port, int backlog, int flags);
void	 conn_reply(struct conn *c, int code, const char *extra,
	     const void *body, size_t len);
void	 conn_close(struct conn *c);

/* runtime.c: the runtime's generations and the Runtime API. */
void	 runtime_init(char **argv, int warm, const char *config);
void	 runtime_host_configure(struct conn *c, const char *body, size_t len);
void	 runtime_api(struct conn *c, const char *body, size_t len);
void	 runtime_api_too_large(struct conn *c);
void	 runtime_forget_conn(struct conn *c);
void	 runtime_reaped(int pid, int wstatus);
int	 runtime_output_fd(void);
void	 runtime_stop(void);
void	 runtime_health(struct sbuf *b);
const char *runtime_config_get(const char *key);
int	 runtime_configured(void);
int	 runtime_prepare(void);
void	 runtime_deliver(void);
int	 runtime_pid(void);
long	 runtime_max_rss_kb(void);
uint64_t runtime_take_init_us(void);

/* invoke.c: the invocation in flight and its log. */
void	 invoke_host(struct conn *c, const char *body, size_t len);
int	 invoke_deliver(struct conn *next);
void	 invoke_finish(const char *status, const void *body, size_t len,
	     const char *detail);
void	 invoke_crash(const char *detail);
int	 invoke_busy(void);
int	 invoke_delivered(const char *id);
void	 invoke_cold(void);
void	 invoke_forget_conn(struct conn *c);
long	 invoke_timeout_ms(void);
void	 invoke_check_deadline(void);
void	 invoke_drain(int fd);
void	 invoke_platform(const char *fmt, ...)
	     __attribute__((format(printf, 1, 2)));

/* stream.c: followers of the log and stats streams. */
#define STREAM_NONE	0	/* not a follower */
#define STREAM_LOGS	1	/* GET /logs?follow */
#define STREAM_STATS	2	/* GET /stats?follow=1 */

void	 stream_subscribe(struct conn *c, int kind);
void	 stream_log(const char *reqid, const char *source, const char *line,
	     size_t len);
void	 stream_record(uint64_t dur, int error);
void	 stream_stats_json(struct sbuf *b);
void	 stream_tick(void);
long	 stream_next_ms(void);
long	 proc_status_kb(int pid, const char *field);

/* spawn.c: a runtime generation in its own pid and mount namespaces. */
struct spawn {
	pid_t	 init;		/* the generation's init, 0 if none */
	pid_t	 runtime;	/* the runtime as the agent sees it, 0 unknown */
	int	 out_fd;	/* the runtime's stdout and stderr, one pipe's read end */
	int	 status_fd;	/* the init reports the runtime's exit here */
	int	 code_fd;	/* prewarmed: its code, flocked (else the init holds it) */
};

int	 spawn_runtime(struct spawn *sp, char **argv, char **env);
pid_t	 spawn_runtime_pid(struct spawn *sp);
int	 spawn_reaped(struct spawn *sp, int init_status);
void	 spawn_hold_code(struct spawn *sp);

/* confine.c: what the agent and the runtime may do. */
void	 confine_agent(void);
void	 confine_runtime(void);

/* code.c: PUT /code. */
void	 code_put(struct conn *c, const char *body, size_t len);
int	 code_unpack(int dirfd, const char *p, size_t len, char *err,
	     size_t errlen);

/* vminit.c: the agent as /init of a microVM. */
extern int vm_mode;		/* we are /init of a microVM */

char	**vm_init(void);
void	 vm_poweroff(void) __attribute__((noreturn));
int	 vm_peer_ok(const struct sockaddr_in *sin);
int	 vm_auth(struct sbuf *in);
void	 vm_rekey(struct conn *c, const char *body, size_t len);
void	 vm_quiesce(struct conn *c);

#endif
