/*
 * seccomp.c — the system-call filter every sandbox runs under.
 *
 * Capabilities are already dropped and no_new_privs set by the time this
 * runs, so most of these calls would fail anyway; the filter is the second
 * wall.  It is a deny list (as Docker's default profile is, in spirit):
 * everything a language runtime needs stays allowed, and what could reach
 * the host kernel's global state — mounts, modules, namespaces, ptrace,
 * keyrings, bpf, perf, kexec, reboot, clock setting — fails with EPERM.
 * clone3 fails with ENOSYS so libc falls back to clone, whose flags the
 * filter can inspect; non-native architectures are killed by libseccomp.
 */
#include <sched.h>
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"
#include "vm.h"

static const char *seccomp_denied[] = {
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"init_module", "finit_module", "delete_module",
	"kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff",
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"unshare", "setns",
	"keyctl", "add_key", "request_key",
	"bpf", "perf_event_open", "userfaultfd", "fanotify_init",
	"open_by_handle_at", "name_to_handle_at",
	"acct", "quotactl", "syslog", "lookup_dcookie",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "iopl", "ioperm",
	"create_module", "get_kernel_syms", "query_module", "nfsservctl",
	"vhangup", "personality", "uselib", "ustat", "sysfs", "_sysctl",
	NULL
};

/* Load the filter into the calling process; -1 with *cause on failure. */
int
seccomp_apply(char **cause)
{
	static const int ns_flags[] = { CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID,
	    CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP };
	scmp_filter_ctx	 ctx;
	int		 i, nr, rc;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		*cause = xstrdup("seccomp_init failed");
		return -1;
	}
	for (i = 0; seccomp_denied[i] != NULL; i++) {
		if ((nr = seccomp_syscall_resolve_name(seccomp_denied[i])) ==
		    __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
			goto fail;
	}
	for (i = 0; i < (int)(sizeof ns_flags / sizeof ns_flags[0]); i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
		if (rc < 0)
			goto fail;
	}
	if ((nr = seccomp_syscall_resolve_name("clone3")) != __NR_SCMP_ERROR &&
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0)) < 0)
		goto fail;
	if ((rc = seccomp_load(ctx)) < 0)
		goto fail;
	seccomp_release(ctx);
	return 0;
fail:
	*cause = xasprintf("seccomp: %s", strerror(-rc));
	seccomp_release(ctx);
	return -1;
}
