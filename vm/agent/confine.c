/*
 * confine.c — what the agent and the runtime may do.
 *
 * The agent and the code it runs never share a uid.  In an ns sandbox
 * the agent is root of the sandbox's own user namespace, which maps it
 * and the runtime to two host uids no other instance has (proto.h), and
 * it holds only the capabilities it needs to start a runtime generation
 * (setuid, setgid, and CAP_SYS_ADMIN over namespaces it creates itself);
 * in a microVM it is the guest's root.  Either way the runtime runs as
 * uid 1051 with no capabilities, no_new_privs and the runtime's seccomp
 * filter (seccomp-gen.c), and the agent is not dumpable: nothing running
 * under another uid can open its /proc files, attach to it, read its
 * memory or take its file descriptors.
 */
#include <sys/prctl.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "seccomp-bpf.h"

/* Put the calling thread under the filter f of n instructions. */
static int
confine_filter(const struct sock_filter *f, size_t n)
{
	struct sock_fprog	prog;

	prog.len = (unsigned short)n;
	prog.filter = (struct sock_filter *)f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/*
 * Confine the agent itself, first thing: not dumpable, and in an ns
 * sandbox under the agent's filter (a microVM's agent is the guest's init
 * and must load modules and mount; its runtime is filtered all the same).
 */
void
confine_agent(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		die("not dumpable: %s", strerror(errno));
	if (!vm_mode && confine_filter(seccomp_agent,
	    sizeof seccomp_agent / sizeof seccomp_agent[0]) == -1)
		die("seccomp: %s", strerror(errno));
}

/*
 * In the runtime's process, just before exec: become the sandbox user
 * with no capabilities, then the runtime's filter.  Exits on failure: a
 * runtime that is not confined does not run.
 */
void
confine_runtime(void)
{
	gid_t	gid = PROTO_SANDBOX_UID;
	int	cap;

	for (cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (setgroups(1, &gid) == -1 ||
	    setresgid(PROTO_SANDBOX_UID, PROTO_SANDBOX_UID, PROTO_SANDBOX_UID) == -1 ||
	    setresuid(PROTO_SANDBOX_UID, PROTO_SANDBOX_UID, PROTO_SANDBOX_UID) == -1 ||
	    getuid() != PROTO_SANDBOX_UID || geteuid() != PROTO_SANDBOX_UID) {
		dprintf(2, "hearth-agent: become uid %d: %s\n", PROTO_SANDBOX_UID,
		    strerror(errno));
		_exit(127);
	}
	if (confine_filter(seccomp_runtime,
	    sizeof seccomp_runtime / sizeof seccomp_runtime[0]) == -1) {
		dprintf(2, "hearth-agent: seccomp: %s\n", strerror(errno));
		_exit(127);
	}
}
