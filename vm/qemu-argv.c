/*
 * qemu-argv.c — QEMU's command line for a microVM.
 *
 * The command line is a pure function of a struct qemu_config: the
 * assets (binary, kernel, initramfs, image disk), the accelerator, the
 * guest's size and whether it restores.  Everything that must match
 * between a VM that is snapshotted and the VMs restored from it (machine,
 * devices, memory, vCPUs, MAC) depends only on those; restore adds
 * -incoming, whose state comes from the shim.  Paths are the host's: the
 * shim shows QEMU each asset at the same path inside its jail, and what
 * QEMU cannot open there (QMP's socket, the state, the guest settings)
 * it hands over as descriptors named by @...@ placeholders.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "proto.h"
#include "vm.h"
#include "qemu.h"

#define QEMU_OVERHEAD_MB	64	/* guest kernel, beyond the function's */

/* Guest RAM for a function limit: the kernel needs its share too. */
int
qemu_guest_mb(int memory_mb)
{
	return memory_mb + QEMU_OVERHEAD_MB;
}

int
qemu_vcpus(int cpu_milli)
{
	return cpu_milli > 1000 ? (cpu_milli + 999) / 1000 : 1;
}

static void
qemu_arg(char ***argv, int *n, const char *fmt, ...) printflike(3, 4);

static void
qemu_arg(char ***argv, int *n, const char *fmt, ...)
{
	va_list	ap;

	*argv = xrealloc(*argv, sizeof **argv * (*n + 2));
	va_start(ap, fmt);
	(*argv)[(*n)++] = xvasprintf(fmt, ap);
	va_end(ap);
	(*argv)[*n] = NULL;
}

/*
 * QEMU's command line for the VM cfg describes, with the shim's
 * placeholders in it; the caller frees it with qemu_argv_free.
 */
char **
qemu_argv(const struct qemu_config *cfg)
{
	const struct qemu_assets *a = cfg->assets;
	char		**argv = NULL;
	long		 khz = cfg->tsc_khz;
	int		 n = 0;

	qemu_arg(&argv, &n, "%s", a->binary);
	qemu_arg(&argv, &n, "-M");
	qemu_arg(&argv, &n, "microvm,x-option-roms=off,isa-serial=on,rtc=on");
	if (strcmp(cfg->accel, "kvm") == 0) {
		qemu_arg(&argv, &n, "-accel");
		qemu_arg(&argv, &n, "kvm");
		qemu_arg(&argv, &n, "-cpu");
		qemu_arg(&argv, &n, "host");
	} else {
		/* A bounded translation cache keeps QEMU's RSS down. */
		qemu_arg(&argv, &n, "-accel");
		qemu_arg(&argv, &n, "tcg,tb-size=64");
		qemu_arg(&argv, &n, "-cpu");
		qemu_arg(&argv, &n, "max");
	}
	qemu_arg(&argv, &n, "-m");
	qemu_arg(&argv, &n, "%d", cfg->guest_mb);
	qemu_arg(&argv, &n, "-smp");
	qemu_arg(&argv, &n, "%d", cfg->vcpus);
	qemu_arg(&argv, &n, "-nodefaults");
	qemu_arg(&argv, &n, "-no-user-config");
	qemu_arg(&argv, &n, "-no-reboot");
	qemu_arg(&argv, &n, "-sandbox");
	qemu_arg(&argv, &n, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
	    "resourcecontrol=deny");
	qemu_arg(&argv, &n, "-display");
	qemu_arg(&argv, &n, "none");
	qemu_arg(&argv, &n, "-kernel");
	qemu_arg(&argv, &n, "%s", a->kernel);
	qemu_arg(&argv, &n, "-initrd");
	qemu_arg(&argv, &n, "%s", a->initrd);
	/*
	 * tsc_early_khz: without it some TCG boots hang calibrating the
	 * delay loop.  panic=-1 reboot=t with -no-reboot: a guest that
	 * panics or resets ends QEMU, and the shim sees it.  init_on_free:
	 * freed guest pages are zero, so a snapshot skips them and a
	 * restored VM does not map them (see qemu-snap.c).
	 */
	qemu_arg(&argv, &n, "-append");
	qemu_arg(&argv, &n, "console=ttyS0 quiet panic=-1 reboot=t init_on_free=1%s%.0ld",
	    khz > 0 ? " tsc_early_khz=" : "", khz > 0 ? khz : 0);
	qemu_arg(&argv, &n, "-fw_cfg");
	qemu_arg(&argv, &n, "name=%s,file=@FW_CFG@", PROTO_VM_FW_CFG);
	qemu_arg(&argv, &n, "-drive");
	qemu_arg(&argv, &n, "id=root,file=%s,format=raw,if=none,readonly=on",
	    a->disk);
	qemu_arg(&argv, &n, "-device");
	qemu_arg(&argv, &n, "virtio-blk-device,drive=root");
	qemu_arg(&argv, &n, "-netdev");
	qemu_arg(&argv, &n, "user,id=net0,restrict=on,"
	    "hostfwd=tcp:127.0.0.1:%d-%s:%d", PROTO_VM_PORT, PROTO_VM_GUEST_ADDR,
	    PROTO_VM_PORT);
	qemu_arg(&argv, &n, "-device");
	qemu_arg(&argv, &n, "virtio-net-device,netdev=net0,mac=52:54:00:12:34:56");
	/* The serial console is QEMU's stdout, a pipe the shim reads. */
	qemu_arg(&argv, &n, "-chardev");
	qemu_arg(&argv, &n, "stdio,id=console,signal=off");
	qemu_arg(&argv, &n, "-serial");
	qemu_arg(&argv, &n, "chardev:console");
	qemu_arg(&argv, &n, "-monitor");
	qemu_arg(&argv, &n, "none");
	qemu_arg(&argv, &n, "-chardev");
	qemu_arg(&argv, &n, "socket,id=qmp,fd=@QMP_FD@,server=on,wait=off");
	qemu_arg(&argv, &n, "-mon");
	qemu_arg(&argv, &n, "chardev=qmp,mode=control");
	if (cfg->restore) {
		qemu_arg(&argv, &n, "-incoming");
		qemu_arg(&argv, &n, "fd:@STATE_FD@");
	}
	return argv;
}

void
qemu_argv_free(char **argv)
{
	int	i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* Host TSC rate for tsc_early_khz (TCG guests skip delay-loop calibration). */
long
qemu_tsc_khz(void)
{
	struct buf	 b = { 0 };
	char		*cause = NULL, *p;
	double		 mhz = 0;

	if (util_read_file("/proc/cpuinfo", &b, 1 << 20, &cause) != 0) {
		free(cause);
		return 0;
	}
	if ((p = strstr(b.data, "cpu MHz")) != NULL && (p = strchr(p, ':')) != NULL)
		mhz = strtod(p + 1, NULL);
	buf_free(&b);
	return (long)(mhz * 1000);
}
