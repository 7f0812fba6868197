/*
 * test-qemu-argv.c — QEMU's command line for a microVM, a pure function
 * of struct qemu_config: the accelerator (kvm: the host CPU; tcg: a
 * bounded translation cache), the guest's memory and vCPUs, the asset
 * paths the shim shows QEMU in its jail, the shim's descriptor
 * placeholders, the TSC hint, and -incoming only to restore.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "proto.h"
#include "vm.h"
#include "qemu.h"
#include "check.h"

/* The word after the first (or n-th) flag in argv, or NULL. */
static const char *
argv_after(char **argv, const char *flag, int nth)
{
	int	i;

	for (i = 0; argv[i] != NULL; i++)
		if (strcmp(argv[i], flag) == 0 && nth-- == 0)
			return argv[i + 1];
	return NULL;
}

static int
argv_count(char **argv, const char *word)
{
	int	i, n = 0;

	for (i = 0; argv[i] != NULL; i++)
		n += strcmp(argv[i], word) == 0;
	return n;
}

/* Is some word of argv exactly this? */
static int
argv_has(char **argv, const char *word)
{
	return argv_count(argv, word) > 0;
}

int
main(void)
{
	struct qemu_assets	 a = {
		.binary = (char *)"/usr/bin/qemu-system-x86_64",
		.kernel = (char *)"/opt/hearth/images/guest/vmlinuz",
		.initrd = (char *)"/opt/hearth/images/guest/initramfs.cpio",
		.disk = (char *)"/opt/hearth/images/python3/rootfs.erofs",
	};
	struct qemu_config	 cfg;
	char			**argv, **again, *want;
	int			 i, same;

	/* 1: sizes: a function's memory plus the guest kernel's; vCPUs. */
	CHECK("size-1.1", qemu_guest_mb(128) == 192);
	CHECK("size-1.2", qemu_vcpus(500) == 1 && qemu_vcpus(1000) == 1);
	CHECK("size-1.3", qemu_vcpus(1001) == 2 && qemu_vcpus(2500) == 3);

	/* 2: KVM, booting: the host CPU, the assets at their host paths. */
	memset(&cfg, 0, sizeof cfg);
	cfg.assets = &a;
	cfg.accel = "kvm";
	cfg.guest_mb = 192;
	cfg.vcpus = 2;
	cfg.tsc_khz = 2400000;
	argv = qemu_argv(&cfg);
	CHECK_STR("kvm-2.1", argv[0], a.binary);
	CHECK_STR("kvm-2.2", argv_after(argv, "-accel", 0), "kvm");
	CHECK_STR("kvm-2.3", argv_after(argv, "-cpu", 0), "host");
	CHECK_STR("kvm-2.4", argv_after(argv, "-m", 0), "192");
	CHECK_STR("kvm-2.5", argv_after(argv, "-smp", 0), "2");
	CHECK_STR("kvm-2.6", argv_after(argv, "-kernel", 0), a.kernel);
	CHECK_STR("kvm-2.7", argv_after(argv, "-initrd", 0), a.initrd);
	CHECK_STR("kvm-2.8", argv_after(argv, "-drive", 0),
	    "id=root,file=/opt/hearth/images/python3/rootfs.erofs,format=raw,"
	    "if=none,readonly=on");
	CHECK_STR("kvm-2.9", argv_after(argv, "-M", 0),
	    "microvm,x-option-roms=off,isa-serial=on,rtc=on");
	CHECK_STR("kvm-2.10", argv_after(argv, "-append", 0),
	    "console=ttyS0 quiet panic=-1 reboot=t init_on_free=1 "
	    "tsc_early_khz=2400000");
	CHECK("kvm-2.11", !argv_has(argv, "-incoming"));
	CHECK("kvm-2.12", argv_has(argv, "-nodefaults") &&
	    argv_has(argv, "-no-user-config") && argv_has(argv, "-no-reboot"));
	CHECK_STR("kvm-2.13", argv_after(argv, "-sandbox", 0),
	    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
	    "resourcecontrol=deny");

	/* 3: the shim's placeholders: QMP, the guest settings (fw_cfg). */
	want = xasprintf("name=%s,file=@FW_CFG@", PROTO_VM_FW_CFG);
	CHECK_STR("fd-3.1", argv_after(argv, "-fw_cfg", 0), want);
	free(want);
	CHECK_STR("fd-3.2", argv_after(argv, "-chardev", 1),
	    "socket,id=qmp,fd=@QMP_FD@,server=on,wait=off");
	CHECK_STR("fd-3.3", argv_after(argv, "-chardev", 0),
	    "stdio,id=console,signal=off");
	want = xasprintf("user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:%d-%s:%d",
	    PROTO_VM_PORT, PROTO_VM_GUEST_ADDR, PROTO_VM_PORT);
	CHECK_STR("fd-3.4", argv_after(argv, "-netdev", 0), want);
	free(want);
	CHECK_STR("fd-3.5", argv_after(argv, "-device", 1),
	    "virtio-net-device,netdev=net0,mac=52:54:00:12:34:56");

	/* 4: a pure function: the same configuration, the same argv. */
	again = qemu_argv(&cfg);
	for (i = 0, same = 1; argv[i] != NULL || again[i] != NULL; i++)
		if (argv[i] == NULL || again[i] == NULL ||
		    strcmp(argv[i], again[i]) != 0)
			same = 0;
	CHECK("pure-4.1", same);
	qemu_argv_free(again);
	qemu_argv_free(argv);

	/* 5: TCG, restoring, one vCPU, no TSC hint. */
	cfg.accel = "tcg";
	cfg.guest_mb = 576;
	cfg.vcpus = 1;
	cfg.tsc_khz = 0;
	cfg.restore = 1;
	argv = qemu_argv(&cfg);
	CHECK_STR("tcg-5.1", argv_after(argv, "-accel", 0), "tcg,tb-size=64");
	CHECK_STR("tcg-5.2", argv_after(argv, "-cpu", 0), "max");
	CHECK_STR("tcg-5.3", argv_after(argv, "-m", 0), "576");
	CHECK_STR("tcg-5.4", argv_after(argv, "-smp", 0), "1");
	CHECK_STR("tcg-5.5", argv_after(argv, "-append", 0),
	    "console=ttyS0 quiet panic=-1 reboot=t init_on_free=1");
	CHECK_STR("tcg-5.6", argv_after(argv, "-incoming", 0), "fd:@STATE_FD@");
	CHECK("tcg-5.7", argv_count(argv, "-incoming") == 1);
	for (i = 0; argv[i] != NULL; i++)
		;
	CHECK_STR("tcg-5.8", argv[i - 1], "fd:@STATE_FD@");
	qemu_argv_free(argv);

	/* 6: booting and restoring differ only in -incoming. */
	cfg.restore = 0;
	argv = qemu_argv(&cfg);
	cfg.restore = 1;
	again = qemu_argv(&cfg);
	for (i = 0, same = 1; argv[i] != NULL; i++)
		if (again[i] == NULL || strcmp(argv[i], again[i]) != 0)
			same = 0;
	CHECK("restore-6.1", same && again[i] != NULL &&
	    strcmp(again[i], "-incoming") == 0 && again[i + 2] == NULL);
	qemu_argv_free(again);
	qemu_argv_free(argv);

	/* 7: other jail paths are passed through as they are. */
	a.kernel = (char *)"/k/vmlinuz-6.1";
	a.disk = (char *)"/srv/img/node.erofs";
	cfg.restore = 0;
	argv = qemu_argv(&cfg);
	CHECK_STR("path-7.1", argv_after(argv, "-kernel", 0), "/k/vmlinuz-6.1");
	CHECK_STR("path-7.2", argv_after(argv, "-drive", 0),
	    "id=root,file=/srv/img/node.erofs,format=raw,if=none,readonly=on");
	qemu_argv_free(argv);
	CHECK_DONE();
}
