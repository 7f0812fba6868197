/*
 * shim.h — hearth-shim's internal interface, sectioned by the file that
 * defines each part.
 *
 *   shim.c	main, the shim's small helpers and the supervision loop
 *   console.c	QEMU's output: the serial console and its stderr, logged
 *   jail.c	QEMU's child: the jail QEMU runs in
 *   boot.c	starting QEMU, waiting for the agent, rekeying it
 *   relay.c	the agent's channel: the private network and the relay
 *
 * The shim shares only the wire format (vm/agent/proto.h) with the host
 * and the agent, and uses nothing but libc.
 */
#ifndef HEARTH_SHIM_H
#define HEARTH_SHIM_H

#include <sys/types.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "../agent/proto.h"

/* shim.c: the shim's helpers and the supervision loop. */
extern const char *shim_run_dir;	/* RUN_DIR, as given */
extern pid_t	 shim_qemu_pid;		/* QEMU, 0 once reaped */

uint64_t shim_now_ms(void);
void	 shim_write_file(const char *name, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));
void	 shim_fail(int status_fd, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3), noreturn));
void	 shim_describe_exit(int st, char *out, size_t len);
int	 shim_term_pending(int sfd);
void	 shim_check_dying(void);

/* console.c: QEMU's output streams and their bounded logs. */
#define CONSOLE_STREAMS	2		/* the serial console, QEMU's stderr */

void	 console_open(void);
void	 console_attach(int out, int err);
int	 console_wait(int fd, short events, int ms);
void	 console_drain(int ms);
int	 console_ready(void);
void	 console_tail(char *out, size_t len);
void	 console_qemu_line(char *out, size_t len);
int	 console_pollfds(struct pollfd *pfd);
void	 console_events(const struct pollfd *pfd);

/* jail.c: how QEMU is confined. */
#define SHIM_BINDS	8		/* -b paths */
#define SHIM_QMP_FD	3		/* QEMU's QMP listener, in QEMU */
#define SHIM_STATE_FD	4		/* the state to restore, in QEMU */
#define SHIM_FW_CFG	"/env"		/* the settings, in the jail */
#define SHIM_JAIL	"jail"		/* in RUN_DIR: the jail's mount point */

struct jail {
	const char	*binds[SHIM_BINDS];	/* files bound read-only */
	int		 nbinds;		/* entries in binds */
	int		 kvm;			/* /dev/kvm and the kvm group */
	gid_t		 kvm_gid;		/* the kvm group, or (gid_t)-1 */
	dev_t		 kvm_dev;		/* the host's /dev/kvm */
	int		 qmp_fd;		/* listening on RUN_DIR/qmp.sock */
	int		 state_fd;		/* -i: the state to restore, or -1 */
	int		 out;			/* QEMU's stdout: the console pipe */
	int		 err;			/* QEMU's stderr */
	pid_t		 shim;			/* the shim, QEMU's parent */
	const char	*env;			/* RUN_DIR/env, for SHIM_FW_CFG */
	size_t		 env_len;		/* bytes in env */
};

void	 jail_exec(const struct jail *j, char **argv)
	     __attribute__((noreturn));

/* boot.c: QEMU started, the agent found and rekeyed. */
int	 boot_read_env(void);
const char *boot_token(void);
void	 boot_start_qemu(int status_fd, struct jail *j, char **orig);
void	 boot_wait(int status_fd, int sfd, int timeout_s, int restoring);

/* relay.c: the agent's channel. */
#define RELAY_PAIRS	64		/* relayed connections at once */

int	 relay_private_net(void);
int	 relay_call(const char *tok, const char *method, const char *path,
	     const char *body, int timeout_ms);
void	 relay_accept(int lfd, const char *token);
int	 relay_pollfds(struct pollfd *pfd);
void	 relay_events(const struct pollfd *pfd);
void	 relay_close_all(void);

#endif
