/*
 * agent.h — hearth-agent's internal interface (the wire format is in
 * proto.h).  agent.c owns the event loop and the connections; runtime.c
 * the runtime process and the invocation in flight; stream.c turns what
 * happens into the log and stats streams the host can follow.
 */
#ifndef HEARTH_AGENT_H
#define HEARTH_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define AGENT_MAX_CONNS	64

struct sbuf {
	char	*data;		/* bytes */
	size_t	 len;		/* used */
	size_t	 cap;		/* allocated */
};

enum conn_kind { CONN_HOST, CONN_RUNTIME };

struct conn {
	int		 fd;		/* socket, -1 once closed */
	enum conn_kind	 kind;		/* which listener accepted it */
	struct sbuf	 in;		/* unparsed request bytes */
	struct sbuf	 out;		/* response bytes not yet written */
	size_t		 out_off;	/* bytes of out already written */
	int		 held;		/* a request is parked awaiting an event */
	int		 closing;	/* close once out is flushed */
	int		 stream;	/* STREAM_* this connection follows */
	int		 authed;	/* microVM: token line seen */
	/* The request being handled (valid while held or dispatching). */
	char		 method[8];	/* GET, POST */
	char		 path[256];	/* request target */
	size_t		 hdr_len;	/* bytes of request line + headers */
	size_t		 body_len;	/* Content-Length */
	char		 reqid[64];	/* X-Hearth-Request-Id */
	long		 timeout_ms;	/* X-Hearth-Timeout-Ms */
};

extern struct conn conns[AGENT_MAX_CONNS];

void	 agent_set_idle_ttl(long);
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

/* runtime.c */
void	 runtime_init(char **, int, const char *);
void	 runtime_host_invoke(struct conn *, const char *, size_t);
void	 runtime_host_configure(struct conn *, const char *, size_t);
void	 runtime_api(struct conn *, const char *, size_t);
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
void	 vm_drop_privileges(void);

/* code.c */
void	 code_put(struct conn *, const char *, size_t);

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
