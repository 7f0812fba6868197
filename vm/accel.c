/*
 * accel.c — KVM or TCG: is hardware virtualization here, and fast?
 *
 * /dev/kvm opening is not enough: some hosts (this project's CI among
 * them) offer a /dev/kvm that emulates the hardware and runs guest code
 * about a thousand times slower than TCG's translator.  So the answer is
 * measured: a child process creates a KVM VM with one vCPU in real mode
 * running a million-iteration dec/jnz loop and then hlt.  On hardware
 * that takes about a millisecond; if it is not done in 50 ms, KVM here is
 * not worth using.  The child is killed if it hangs, and the answer is
 * kept for the rest of this boot (accel_cache_path).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/kvm.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"

#define ACCEL_LOOPS	1000000
#define ACCEL_FAST_MS	50

/* Run the loop under KVM; exit 0 if it finished, 1 if it could not. */
static void nonreturn
accel_child(void)
{
	static const unsigned char code[] = {
		0x66, 0xb9, ACCEL_LOOPS & 0xff, (ACCEL_LOOPS >> 8) & 0xff,
		(ACCEL_LOOPS >> 16) & 0xff, ACCEL_LOOPS >> 24,	/* mov ecx, N */
		0x66, 0x49,					/* dec ecx */
		0x75, 0xfc,					/* jnz -4 */
		0xf4,						/* hlt */
	};
	struct kvm_userspace_memory_region	 region;
	struct kvm_sregs			 sregs;
	struct kvm_regs				 regs;
	struct kvm_run				*run;
	unsigned char				*mem;
	int					 kvm, vmfd, cpufd, size;

	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) == -1 ||
	    ioctl(kvm, KVM_GET_API_VERSION, 0) != 12 ||
	    (vmfd = ioctl(kvm, KVM_CREATE_VM, 0)) == -1)
		_exit(1);
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (mem == MAP_FAILED)
		_exit(1);
	memcpy(mem, code, sizeof code);
	memset(&region, 0, sizeof region);
	region.guest_phys_addr = 0x1000;
	region.memory_size = 0x1000;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &region) == -1 ||
	    (cpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0)) == -1 ||
	    (size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0)
		_exit(1);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, cpufd, 0);
	if (run == MAP_FAILED || ioctl(cpufd, KVM_GET_SREGS, &sregs) == -1)
		_exit(1);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(cpufd, KVM_SET_SREGS, &sregs) == -1)
		_exit(1);
	memset(&regs, 0, sizeof regs);
	regs.rip = 0x1000;
	regs.rflags = 0x2;
	if (ioctl(cpufd, KVM_SET_REGS, &regs) == -1)
		_exit(1);
	for (;;) {
		if (ioctl(cpufd, KVM_RUN, 0) == -1 && errno != EINTR)
			_exit(1);
		if (run->exit_reason == KVM_EXIT_HLT)
			_exit(0);
		if (run->exit_reason != KVM_EXIT_INTR)
			_exit(1);
	}
}

/* Measure: "kvm" if the loop ran at hardware speed, else "tcg". */
static const char *
accel_measure(char *why, size_t len)
{
	struct timespec	 pause = { 0, 1000 * 1000 };
	uint64_t	 start;
	pid_t		 pid;
	int		 st, fd;

	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) == -1) {
		snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return "tcg";
	}
	close(fd);
	fflush(NULL);
	start = util_mono_us();
	if ((pid = fork()) == -1) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return "tcg";
	}
	if (pid == 0)
		accel_child();
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (util_mono_us() - start > ACCEL_FAST_MS * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(why, len, "/dev/kvm ran a 1M-instruction loop in "
			    "over %d ms (hardware takes ~1 ms)", ACCEL_FAST_MS);
			return "tcg";
		}
		nanosleep(&pause, NULL);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, len, "/dev/kvm could not run a test guest");
		return "tcg";
	}
	snprintf(why, len, "/dev/kvm ran a 1M-instruction loop in %.1f ms",
	    (util_mono_us() - start) / 1000.0);
	return "kvm";
}

/*
 * Where the answer is kept: a fact about this boot of this machine, so in
 * /run (root) or $XDG_RUNTIME_DIR, else under $HEARTH_HOME.
 */
static char *
accel_cache_path(void)
{
	const char	*xdg = getenv("XDG_RUNTIME_DIR");

	if (access("/run", W_OK) == 0)
		return xstrdup("/run/hearth/accel");
	if (xdg != NULL && *xdg != '\0')
		return xasprintf("%s/hearth/accel", xdg);
	return xasprintf("%s/accel", vm_home());
}

/*
 * The accelerator microVMs use here, and why (for the one-line notice).
 * Cached per boot: the file holds the boot id, the answer and the reason.
 */
const char *
accel_choose(const char **why)
{
	static char	 answer[8], reason[256];
	struct buf	 b = { 0 }, boot = { 0 };
	char		*path, *cause = NULL, *p;

	if (answer[0] != '\0')
		goto out;
	if (util_read_file("/proc/sys/kernel/random/boot_id", &boot, 64, &cause) != 0) {
		free(cause);
		cause = NULL;
		buf_addstr(&boot, "unknown\n");
	}
	path = accel_cache_path();
	if (util_read_file(path, &b, 1024, &cause) == 0 &&
	    strncmp(b.data, boot.data, boot.len) == 0 &&
	    sscanf(b.data + boot.len, "%7s", answer) == 1 &&
	    (strcmp(answer, "kvm") == 0 || strcmp(answer, "tcg") == 0)) {
		p = strchr(b.data + boot.len, ' ');
		snprintf(reason, sizeof reason, "%s", p != NULL ? p + 1 : "");
		reason[strcspn(reason, "\n")] = '\0';
	} else {
		free(cause);
		cause = NULL;
		snprintf(answer, sizeof answer, "%s", accel_measure(reason,
		    sizeof reason));
		buf_free(&b);
		buf_printf(&b, "%s%s %s\n", boot.data, answer, reason);
		p = xstrdup(path);
		*strrchr(p, '/') = '\0';
		util_mkdirs(p, 0700);
		free(p);
		if (util_write_file(path, b.data, b.len, &cause) != 0)
			free(cause);
	}
	free(path);
	buf_free(&b);
	buf_free(&boot);
out:
	if (why != NULL)
		*why = reason;
	return answer;
}
