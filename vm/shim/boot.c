/*
 * boot.c — a VM from QEMU's start to an agent that answers.
 *
 * The shim starts QEMU as its child (jail.c confines it), its argv's
 * placeholders filled in:
 *
 *	@QMP_FD@	a socket listening on RUN_DIR/qmp.sock (0600), for
 *			-chardev socket,fd=...,server=on: the host's QMP
 *	@STATE_FD@	the state file given with -i, for -incoming fd:...
 *	@FW_CFG@	the path of the settings file in the jail
 *
 * Saving a snapshot, the host opens the file and hands it to QEMU over
 * QMP.  Once QEMU runs, the shim keeps one capability, CAP_KILL (QEMU runs
 * under another uid and the shim must be able to stop it), sets
 * no_new_privs and is not dumpable.
 *
 * Then it waits for the agent: a fresh boot says PROTO_VM_READY_LINE on
 * the serial console; after a restore from a snapshot (-i, an incoming
 * migration) QMP says when the VM runs.  The agent is then sent POST
 * /rekey with the first token (RUN_DIR/env, which QEMU hands the guest
 * as a fw_cfg file): a new token, entropy and the wall clock — after a
 * restore that is what makes this VM unlike its siblings.  The new token
 * is what the relay opens every connection with (RUN_DIR/token too), and
 * RUN_DIR/phases says how long the console and the agent took.
 */
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

#define SHIM_ENV_MAX	8192		/* RUN_DIR/env */

static char		 token[PROTO_TOKEN_LEN + 1];	/* the agent's, now */
static char		 env[SHIM_ENV_MAX];	/* RUN_DIR/env, as read */
static size_t		 env_len;		/* bytes in env */
static char		 settings[2048];	/* env but the token: /rekey repeats them */

/* The token the agent takes now: the first one, then /rekey's. */
const char *
boot_token(void)
{
	return token;
}

/* nbytes of the kernel's entropy, as 2 * nbytes hex digits at out. */
static void
boot_random_hex(char *out, size_t nbytes)
{
	unsigned char	b[64];
	size_t		i;

	if (getrandom(b, nbytes, 0) != (ssize_t)nbytes)
		abort();
	for (i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/*
 * RUN_DIR/env: the first token (HEARTH_TOKEN), and the other settings,
 * which /rekey repeats for a VM restored from another VM's snapshot.  The
 * whole file is kept too: it is what QEMU hands the guest (SHIM_FW_CFG).
 * The shim runs in RUN_DIR.  0, or -1 if there is no token.
 */
int
boot_read_env(void)
{
	char	 line[512];
	FILE	*f;
	size_t	 n = strlen(PROTO_ENV_TOKEN "="), used = 0;
	int	 found = 0;

	if ((f = fopen("env", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (env_len + strlen(line) < sizeof env) {
			memcpy(env + env_len, line, strlen(line));
			env_len += strlen(line);
		}
		if (strncmp(line, PROTO_ENV_TOKEN "=", n) == 0) {
			if (strcspn(line + n, "\n") == PROTO_TOKEN_LEN) {
				memcpy(token, line + n, PROTO_TOKEN_LEN);
				found = 1;
			}
		} else if (used + strlen(line) < sizeof settings - 1) {
			memcpy(settings + used, line, strlen(line) + 1);
			used += strlen(line);
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

/* arg with every placeholder filled in; a new string. */
static char *
boot_fill_in(const char *arg)
{
	static const char	*names[] = { "@QMP_FD@", "@STATE_FD@", "@FW_CFG@" };
	char			 qmp[16], state[16], *out, *p;
	const char		*values[3];
	size_t			 i;

	snprintf(qmp, sizeof qmp, "%d", SHIM_QMP_FD);
	snprintf(state, sizeof state, "%d", SHIM_STATE_FD);
	values[0] = qmp;
	values[1] = state;
	values[2] = SHIM_FW_CFG;
	if ((out = strdup(arg)) == NULL)
		abort();
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		while ((p = strstr(out, names[i])) != NULL) {
			char *n;

			if (asprintf(&n, "%.*s%s%s", (int)(p - out), out, values[i],
			    p + strlen(names[i])) == -1)
				abort();
			free(out);
			out = n;
		}
	}
	return out;
}

/* Keep only CAP_KILL (QEMU is another uid); no new privileges, no dumps. */
static int
boot_drop(void)
{
	struct __user_cap_header_struct	hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	data[2];
	int				cap;

	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 && errno != EINVAL)
			return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		return -1;
	memset(data, 0, sizeof data);
	data[0].effective = data[0].permitted = 1u << CAP_KILL;
	if (syscall(SYS_capset, &hdr, data) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return -1;
	return 0;
}

/*
 * Start QEMU (orig, placeholders filled in) in its jail, its output on
 * pipes the shim reads; then give up what the shim no longer needs.
 */
void
boot_start_qemu(int status_fd, struct jail *j, char **orig)
{
	char	**argv;
	int	  i, n, out[2], err[2];

	for (n = 0; orig[n] != NULL; n++)
		;
	if ((argv = calloc(n + 1, sizeof *argv)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		argv[i] = boot_fill_in(orig[i]);
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1)
		shim_fail(status_fd, "pipe: %s", strerror(errno));
	j->out = out[1];
	j->env = env;
	j->env_len = env_len;
	j->err = err[1];
	j->shim = getpid();
	if ((shim_qemu_pid = fork()) == -1)
		shim_fail(status_fd, "fork: %s", strerror(errno));
	if (shim_qemu_pid == 0)
		jail_exec(j, argv);
	close(out[1]);
	close(err[1]);
	close(j->qmp_fd);
	if (j->state_fd != -1)
		close(j->state_fd);
	console_attach(out[0], err[0]);
	shim_write_file("qemu.pid", "%d\n", (int)shim_qemu_pid);
	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	if (boot_drop() == -1)
		shim_fail(status_fd, "drop privileges: %s", strerror(errno));
}

/*
 * After a restore, wait until QEMU runs the guest: a connection made while
 * the state is still loading would have QEMU's network stack send its SYN
 * to a paused guest and wait out TCP's one-second retransmission timer.
 * QMP is asked (query-status) until it says "running".  0 when running,
 * -1 if QEMU is gone or the deadline passed.
 */
static int
boot_wait_running(uint64_t deadline)
{
	struct sockaddr_un	 sun;
	char			 buf[8192];
	size_t			 got = 0;
	ssize_t			 n;
	int			 fd, rc = -1, sent_caps = 0;
	const char		*caps = "{\"execute\": \"qmp_capabilities\"}\n";
	const char		*query = "{\"execute\": \"query-status\"}\n";

	/* The shim made the listener: this connects at once, QEMU or not. */
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "qmp.sock");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	buf[0] = '\0';
	while (shim_now_ms() < deadline) {
		if (console_wait(fd, POLLIN, 50) != 0) {
			if ((n = read(fd, buf + got, sizeof buf - 1 - got)) <= 0)
				break;
			got += n;
			buf[got] = '\0';
		}
		if (strstr(buf, "\"status\": \"running\"") != NULL) {
			rc = 0;
			break;
		}
		if (memchr(buf, '\n', got) == NULL)
			continue;		/* the greeting, not yet whole */
		got = 0;			/* seen: ask (again) */
		buf[0] = '\0';
		if (!sent_caps) {
			sent_caps = write(fd, caps, strlen(caps)) > 0;
			continue;
		}
		console_wait(-1, 0, 2);
		if (write(fd, query, strlen(query)) <= 0)
			break;
	}
	close(fd);
	return rc;
}

/*
 * Wait for the agent and rekey it: the rekey is the readiness probe, one
 * round trip instead of a health check and then a rekey.  Once the guest
 * has said on its console that the agent listens (at once after a
 * restore), POST /rekey is tried until it lands; if its answer was lost
 * after it landed, the new token already works, and that is checked.
 * QEMU exiting first is an error, and so is SIGTERM.
 */
void
boot_wait(int status_fd, int sfd, int timeout_s, int restoring)
{
	char		 body[3072], seed[2 * PROTO_SEED_LEN + 1], fresh[PROTO_TOKEN_LEN + 1];
	char		 last[512], why[64];
	uint64_t	 start = shim_now_ms(), deadline = start + (uint64_t)timeout_s * 1000;
	uint64_t	 seen = 0;
	struct timespec	 ts;
	int		 st;

	boot_random_hex(fresh, PROTO_TOKEN_LEN / 2);
	for (;;) {
		if (waitpid(shim_qemu_pid, &st, WNOHANG) == shim_qemu_pid) {
			shim_qemu_pid = 0;
			console_drain(200);
			console_qemu_line(last, sizeof last);
			shim_describe_exit(st, why, sizeof why);
			shim_fail(status_fd, "%s%s%s", why, last[0] ? ": " : "", last);
		}
		if (!restoring && console_ready() != 0 &&
		    console_ready() != PROTO_VERSION) {
			if (console_ready() < 0)
				snprintf(why, sizeof why, "an unversioned one");
			else
				snprintf(why, sizeof why, "protocol %d",
				    console_ready());
			shim_fail(status_fd, "the VM's agent speaks %s, this hearth "
			    "protocol %d: rebuild its image (make images)", why,
			    PROTO_VERSION);
		}
		if (seen == 0 && (restoring ? boot_wait_running(deadline) == 0 :
		    console_ready() != 0))
			seen = shim_now_ms();
		if (seen != 0) {
			boot_random_hex(seed, PROTO_SEED_LEN);
			clock_gettime(CLOCK_REALTIME, &ts);
			snprintf(body, sizeof body, "token=%s\nseed=%s\ntime_ms=%lld\n%s",
			    fresh, seed, (long long)ts.tv_sec * 1000 +
			    ts.tv_nsec / 1000000, settings);
			if (relay_call(token, "POST", PROTO_PATH_REKEY, body, 2000) == 204 ||
			    relay_call(fresh, "GET", PROTO_PATH_HEALTH, "", 1000) == 200)
				break;
		}
		if (shim_now_ms() > deadline)
			shim_fail(status_fd, "the agent did not answer within %d s",
			    timeout_s);
		if (console_wait(sfd, POLLIN, 5) != 0 && shim_term_pending(sfd))
			shim_fail(status_fd, "stopped (SIGTERM) while booting");
	}
	shim_write_file("phases", "console_ms %llu agent_ms %llu\n",
	    (unsigned long long)(seen - start), (unsigned long long)(shim_now_ms() - start));
	memcpy(token, fresh, sizeof token);
	shim_write_file("token", "%s\n", token);
}
