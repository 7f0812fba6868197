/*
 * qemu.c — the microVM driver: each instance a QEMU `microvm` machine.
 *
 * A VM boots Debian's cloud kernel directly (no firmware, no option ROMs)
 * with the initramfs images/build.sh makes, whose /init is hearth-agent;
 * the runtime image is a read-only erofs disk, /tmp a tmpfs in guest
 * memory, and the code arrives through the agent (PUT /code) because
 * nothing is shared with the host.  Devices are virtio-mmio only: the
 * disk, a network card on QEMU's user network (restrict=on: no way out;
 * one loopback port forwarded in, to the agent) and the serial console,
 * which the shim writes to RUN_DIR/console.log.
 *
 * The VM belongs to a hearth-shim (vm/shim/), started detached in
 * the instance's cgroup, so QEMU's memory and CPU are limited like an ns
 * sandbox's and the VM outlives the hearth process that asked for it.  The
 * shim confines QEMU (its own uid, no capabilities, a root that holds
 * only what QEMU needs, a network namespace where its forwarded port is
 * the only one; QEMU's own -sandbox filter is asked for here), and
 * relays RUN_DIR/agent.sock to the agent, adding the VM's token, so
 * above vm/ a VM is an agent socket like any other.  The instance's pid is
 * the shim's.  What QEMU cannot open in its jail (QMP's socket, the state
 * to restore, the settings for the guest) the shim hands it as file
 * descriptors, named in the argv below by @...@ placeholders.
 *
 * Starting: with a snapshot of this runtime (qemu-snap.c) the VM is
 * restored from it; otherwise it boots, and when it can be snapshotted
 * (the runtime prewarms) it is, for the next one.
 *
 * This file holds the driver: its settings (qemu.*), its answers to the
 * manager (fast here? how long may a start take?) and its operations.
 * The command line is built in qemu-argv.c, the shim started by
 * qemu-shim.c, snapshots kept by qemu-snap.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "proto.h"
#include "vm.h"
#include "qemu.h"

#define QEMU_HOST_MB		256	/* QEMU itself: TCG cache, devices */
#define QEMU_PIDS		64	/* QEMU's threads */

/* Find name on PATH (or take it as a path); NULL if not executable. */
static char *
qemu_which(const char *name)
{
	const char	*path = getenv("PATH"), *p, *e;
	char		*full;

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = e) {
		e = p + strcspn(p, ":");
		full = xasprintf("%.*s/%s", (int)(e - p), p, name);
		if (access(full, X_OK) == 0)
			return full;
		free(full);
		if (*e == ':')
			e++;
	}
	return NULL;
}

/*
 * Everything a VM needs on the host, checked: the QEMU binary, kernel,
 * initramfs and the image's block device.  -1 with *cause naming what is
 * missing and how to get it.
 */
int
qemu_assets(const char *rootfs, struct qemu_assets *a, char **cause)
{
	const char	*bin = vm_setting("qemu.binary");
	const char	*kernel = vm_setting("qemu.kernel");
	char		*dir;

	memset(a, 0, sizeof *a);
	if ((a->binary = qemu_which(bin)) == NULL) {
		*cause = xasprintf("qemu driver: %s not found (apt-get install "
		    "qemu-system-x86, or set qemu.binary)", bin);
		return -1;
	}
	if (access(kernel, R_OK) != 0) {
		*cause = xasprintf("qemu driver: no guest kernel at %s (run 'make "
		    "images', or set qemu.kernel)", kernel);
		goto fail;
	}
	a->kernel = xstrdup(kernel);
	dir = xstrdup(kernel);
	*strrchr(dir, '/') = '\0';
	a->initrd = xasprintf("%s/initramfs.cpio", dir);
	free(dir);
	if (access(a->initrd, R_OK) != 0) {
		free(a->initrd);
		a->initrd = xasprintf("%s/images/guest/initramfs.cpio", vm_lib_dir());
	}
	if (access(a->initrd, R_OK) != 0) {
		*cause = xasprintf("qemu driver: no initramfs at %s (run 'make "
		    "images')", a->initrd);
		goto fail;
	}
	a->disk = xasprintf("%s.erofs", rootfs);
	if (access(a->disk, R_OK) != 0) {
		*cause = xasprintf("qemu driver: no block image %s (run 'make "
		    "images'; it needs mkfs.erofs from erofs-utils)", a->disk);
		goto fail;
	}
	if (strpbrk(a->disk, ", ") != NULL || strpbrk(a->kernel, ", ") != NULL) {
		*cause = xasprintf("qemu driver: image paths must not hold commas "
		    "or spaces (%s)", a->disk);
		goto fail;
	}
	return 0;
fail:
	qemu_assets_free(a);
	return -1;
}

void
qemu_assets_free(struct qemu_assets *a)
{
	free(a->binary);
	free(a->kernel);
	free(a->initrd);
	free(a->disk);
	memset(a, 0, sizeof *a);
}

/* Does this host run microVMs under KVM (else TCG)? */
static int
qemu_kvm(void)
{
	return strcmp(accel_choose(NULL), "kvm") == 0;
}

static int
qemu_fast(void)
{
	return qemu_kvm();
}

/* Seconds a VM may take to boot (qemu.boot_timeout). */
static int
qemu_boot_timeout(void)
{
	return atoi(vm_setting("qemu.boot_timeout"));
}

/*
 * Seconds a start may take before it is given up: QEMU's own start, the
 * boot, and saving the snapshot after it.
 */
static int
qemu_start_max_s(void)
{
	return 60 + qemu_boot_timeout() + 120;
}

/* QEMU's command line on this host for a VM of this size. */
static char **
qemu_argv_for(const struct qemu_assets *a, int guest_mb, int vcpus, int restore)
{
	struct qemu_config	cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.assets = a;
	cfg.accel = accel_choose(NULL);
	cfg.guest_mb = guest_mb;
	cfg.vcpus = vcpus;
	cfg.tsc_khz = qemu_tsc_khz();
	cfg.restore = restore;
	return qemu_argv(&cfg);
}

/*
 * Write a small file only root can read.  No fsync: everything in a run
 * directory dies with the VM, and a cold start should not wait on a disk.
 */
static int
qemu_write_private(const char *path, const char *data, size_t len, char **cause)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1 ||
	    write(fd, data, len) != (ssize_t)len) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* RUN_DIR/env: the agent's settings, handed to the guest through fw_cfg. */
static int
qemu_write_env(const struct vm_spec *spec, const char *token, char **cause)
{
	struct buf	 b = { 0 };
	char		*path = xasprintf("%s/env", spec->run_dir);
	int		 rc;

	buf_printf(&b, "%s=%s\n", PROTO_ENV_TOKEN, token);
	buf_printf(&b, "%s=%d\n", PROTO_ENV_IDLE_TTL, spec->idle_ttl_s);
	buf_printf(&b, "%s=%d\n", PROTO_ENV_TMP_MB, spec->tmp_mb);
	buf_printf(&b, "%s=%s\n", PROTO_ENV_HOSTNAME, spec->hostname);
	if (spec->prewarm)
		buf_printf(&b, "%s=1\n", PROTO_ENV_PREWARM);
	rc = qemu_write_private(path, b.data, b.len, cause);
	buf_free(&b);
	free(path);
	return rc;
}

/* Send the code under dir to the agent behind sock (PUT /code). */
static int
qemu_put_code(const char *id, const char *sock, const char *dir, char **cause)
{
	struct agent_conn	*c;
	struct agent_reply	 r;
	struct buf		 b = { 0 };
	int			 rc = -1;

	if (bundle_build(dir, &b, cause) != 0)
		return -1;
	c = agent_connect(sock);
	if (agent_request(c, "PUT", PROTO_PATH_CODE, b.data != NULL ? b.data : "",
	    b.len, NULL, 0, 30000, &r, cause) == 0) {
		if (r.http == 204)
			rc = 0;
		else
			*cause = xasprintf("VM %s: code: %s", id, r.body_len > 0 ?
			    r.body : "refused");
		agent_reply_free(&r);
	}
	agent_close(c);
	buf_free(&b);
	return rc;
}

static int
qemu_configure(const char *id, const char *sock, const char *config, char **cause)
{
	struct agent_conn	*c = agent_connect(sock);
	char			*who = xasprintf("VM %s", id);
	int			 rc;

	rc = agent_configure(c, who, config, strlen(config), cause);
	free(who);
	agent_close(c);
	return rc;
}

/* RUN_DIR/start: how this VM came up, for `vm ls` and `vm inspect`. */
static void
qemu_note_start(const char *run_dir, const char *how, long ms, const char *extra)
{
	char	*path = xasprintf("%s/start", run_dir), *text, *cause = NULL;

	text = xasprintf("%s %ld %s\n", how, ms, extra != NULL ? extra : "");
	if (qemu_write_private(path, text, strlen(text), &cause) != 0)
		free(cause);
	free(text);
	free(path);
}

/*
 * Restore spec's VM from its runtime's snapshot at this size, if there is
 * a good one.  Returns 1 when the VM runs (*pidp, *ms), 0 when the caller
 * should boot instead (*fallback may say why), -1 with *cause.
 */
static int
qemu_restore(const struct vm_spec *spec, const struct qemu_assets *a,
    int guest_mb, int vcpus, pid_t *pidp, long *ms, char **fallback,
    char **cause)
{
	struct qemu_snap	 snap;
	char			**argv, *err = NULL, *p;
	int			 rc = 0;

	if (!spec->prewarm_able)
		return 0;
	if (qemu_snap_find(a, spec->image, guest_mb, vcpus, &snap, &err) != 0) {
		if (err != NULL)
			*fallback = xasprintf("%s; booted instead", err);
		free(err);
		return 0;
	}
	argv = qemu_argv_for(a, guest_mb, vcpus, 1);
	if (qemu_write_env(spec, snap.token, cause) != 0)
		rc = -1;
	else {
		qemu_snap_seed_console(&snap, spec->run_dir);
		if (qemu_shim_start(spec, a, argv, snap.state, qemu_kvm(),
		    qemu_boot_timeout(), pidp, ms, &err) == 0)
			rc = 1;
		else {
			/* Bad state: say so, drop it; the boot's console starts clean. */
			*fallback = xasprintf("snapshot %s failed to restore (%s); "
			    "booted instead", snap.name, err);
			free(err);
			qemu_snap_remove(snap.name);
			cgroup_kill(spec->id);
			p = xasprintf("%s/console.log", spec->run_dir);
			unlink(p);
			free(p);
			p = xasprintf("%s/console.log.1", spec->run_dir);
			unlink(p);
			free(p);
		}
	}
	qemu_snap_free(&snap);
	qemu_argv_free(argv);
	return rc;
}

/*
 * Boot spec's VM; when its runtime can prewarm, boot it prewarmed and
 * save it as the snapshot later VMs restore.  0 with *pidp, -1 with
 * *cause.
 */
static int
qemu_boot(const struct vm_spec *spec, const struct qemu_assets *a, int guest_mb,
    int vcpus, const char *sock, pid_t *pidp, long *ms, const char *fallback,
    char **cause)
{
	struct vm_spec	 boot = *spec;
	char		 token[PROTO_TOKEN_LEN + 1], **argv;
	int		 rc = -1;

	boot.prewarm = spec->prewarm || spec->prewarm_able;
	util_random_hex(token, sizeof token);
	argv = qemu_argv_for(a, guest_mb, vcpus, 0);
	if (qemu_write_env(&boot, token, cause) == 0 &&
	    qemu_shim_start(spec, a, argv, NULL, qemu_kvm(), qemu_boot_timeout(),
	    pidp, ms, cause) == 0) {
		qemu_note_start(spec->run_dir, "boot", *ms, fallback);
		if (spec->prewarm_able)
			qemu_snap_take(a, spec->image, guest_mb, vcpus, spec->run_dir,
			    sock);
		rc = 0;
	}
	qemu_argv_free(argv);
	return rc;
}

/*
 * Bring a VM up for spec: restored from the runtime's snapshot when there
 * is a good one, else booted (and saved for next time); then give it its
 * code and configuration.
 */
static int
qemu_create(const struct vm_spec *spec, pid_t *pidp, char *sock, size_t socklen,
    char **cause)
{
	static int		 told;	/* the TCG notice, once a process */
	struct qemu_assets	 a;
	const char		*why;
	char			*path = NULL, *fallback = NULL;
	int			 guest_mb = qemu_guest_mb(spec->memory_mb);
	int			 vcpus = qemu_vcpus(spec->cpu_milli), rc;
	long			 ms = 0;
	pid_t			 pid = 0;

	if (qemu_assets(spec->rootfs, &a, cause) != 0)
		return -1;
	if (!told && strcmp(accel_choose(&why), "tcg") == 0)
		vm_notice("microVMs run under TCG, QEMU's software emulation: %s", why);
	told = 1;
	if (util_mkdirs(spec->run_dir, 0700) == -1) {
		*cause = xasprintf("%s: %s", spec->run_dir, strerror(errno));
		qemu_assets_free(&a);
		return -1;
	}
	chmod(spec->run_dir, 0700);
	if (cgroup_create(spec->id, guest_mb + QEMU_HOST_MB, (vcpus + 1) * 1000,
	    QEMU_PIDS, cause) != 0)
		goto fail;
	path = xasprintf("%s/agent.sock", spec->run_dir);

	rc = qemu_restore(spec, &a, guest_mb, vcpus, &pid, &ms, &fallback, cause);
	if (rc == -1)
		goto fail_cg;
	if (rc == 1)
		qemu_note_start(spec->run_dir, "restore", ms, NULL);
	else if (qemu_boot(spec, &a, guest_mb, vcpus, path, &pid, &ms, fallback,
	    cause) != 0)
		goto fail_cg;
	if (fallback != NULL) {
		vm_notice("%s", fallback);
		free(fallback);
		fallback = NULL;
	}

	if (spec->code_dir != NULL &&
	    qemu_put_code(spec->id, path, spec->code_dir, cause) != 0)
		goto fail_vm;
	if (spec->config != NULL &&
	    qemu_configure(spec->id, path, spec->config, cause) != 0)
		goto fail_vm;
	snprintf(sock, socklen, "%s", path);
	*pidp = pid;
	qemu_assets_free(&a);
	free(path);
	return 0;
fail_vm:
	kill(pid, SIGTERM);
fail_cg:
	if (fallback != NULL)
		vm_notice("%s", fallback);
	cgroup_kill(spec->id);
	cgroup_destroy(spec->id);
fail:
	util_rmtree(spec->run_dir);
	qemu_assets_free(&a);
	free(path);
	free(fallback);
	return -1;
}

static int
qemu_set_code(const char *id, pid_t pid, const char *sock, const char *code_dir,
    char **cause)
{
	return qemu_put_code(id, sock, code_dir, cause);
}

static int
qemu_set_memory(const char *id, int memory_mb, char **cause)
{
	*cause = xasprintf("VM %s: a microVM's memory is fixed when it starts", id);
	return -1;
}

static int
qemu_alive(const char *id, pid_t pid)
{
	return cgroup_runs(id, pid);
}

/*
 * CPU and peaks from the cgroup; memory in use is what QEMU and the shim
 * hold resident.  The cgroup's charge would add the page cache of every
 * file QEMU read (kernel, image, snapshot), which is not the VM's.
 */
static int
qemu_stats(const char *id, struct vm_stats *st)
{
	struct buf	 b = { 0 };
	pid_t		*pids;
	char		*path, *cause = NULL, *p;
	uint64_t	 rss = 0;
	int		 i, n;

	if (cgroup_stats(id, st) != 0)
		return -1;
	n = cgroup_pids(id, &pids);
	for (i = 0; i < n; i++) {
		path = xasprintf("/proc/%d/status", (int)pids[i]);
		if (util_read_file(path, &b, 65536, &cause) == 0 &&
		    (p = strstr(b.data, "VmRSS:")) != NULL)
			rss += strtoull(p + 6, NULL, 10) * 1024;
		else
			free(cause);
		cause = NULL;
		buf_free(&b);
		free(path);
	}
	free(pids);
	st->mem_bytes = rss;
	return 0;
}

/* From the files the driver and the shim keep in the run directory. */
static void
qemu_info(const char *id, const char *run_dir, struct vm_info *vi)
{
	struct buf	 b = { 0 };
	char		*p, *cause = NULL;
	int		 off = 0;

	memset(vi, 0, sizeof *vi);
	snprintf(vi->accel, sizeof vi->accel, "%s", accel_choose(NULL));
	vi->start_ms = -1;
	snprintf(vi->console, sizeof vi->console, "%s/console.log", run_dir);
	p = xasprintf("%s/start", run_dir);
	if (util_read_file(p, &b, 4096, &cause) == 0) {
		if (sscanf(b.data, "%15s %ld %n", vi->start, &vi->start_ms, &off) >= 2)
			snprintf(vi->note, sizeof vi->note, "%.*s",
			    (int)strcspn(b.data + off, "\n"), b.data + off);
	} else
		free(cause);
	free(p);
	buf_free(&b);
	cause = NULL;
	p = xasprintf("%s/qemu.pid", run_dir);
	if (util_read_file(p, &b, 64, &cause) == 0)
		vi->vmm_pid = (pid_t)atoi(b.data);
	else
		free(cause);
	free(p);
	buf_free(&b);
	cause = NULL;
	p = xasprintf("%s/exit", run_dir);
	if (util_read_file(p, &b, 256, &cause) == 0)
		snprintf(vi->exit, sizeof vi->exit, "%.*s",
		    (int)strcspn(b.data, "\n"), b.data);
	else
		free(cause);
	free(p);
	buf_free(&b);
}

/* Stop the shim (it kills QEMU), then anything left in the cgroup. */
static int
qemu_destroy(const char *id, pid_t pid, const char *run_dir, char **cause)
{
	struct timespec	ts = { 0, 5 * 1000 * 1000 };
	int		i;

	if (cgroup_signal(id, pid, SIGTERM) == 0)
		for (i = 0; i < 200 && cgroup_contains(id, pid); i++)
			nanosleep(&ts, NULL);
	cgroup_kill(id);
	if (cgroup_destroy(id) != 0) {
		*cause = xasprintf("microVM %s: its cgroup stays: %s", id,
		    strerror(errno));
		return -1;
	}
	if (util_rmtree(run_dir) != 0) {
		*cause = xasprintf("microVM %s: %s: %s", id, run_dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The guest kernel `make images` fetched. */
static const char *
qemu_default_kernel(void)
{
	static char	*kernel;

	if (kernel == NULL)
		kernel = xasprintf("%s/images/guest/vmlinuz", vm_lib_dir());
	return kernel;
}

static const struct vm_setting qemu_settings[] = {
	{ "qemu.binary", "HEARTH_QEMU", "qemu-system-x86_64", NULL,
	  "the QEMU to run microVMs with", vm_check_path },
	{ "qemu.kernel", NULL, NULL, qemu_default_kernel,
	  "guest kernel (default: the one `make images` fetched)",
	  vm_check_path },
	{ "qemu.boot_timeout", NULL, "60", NULL,
	  "seconds a microVM may take to boot before it is given up",
	  vm_check_seconds },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

/*
 * The microvm machine has no PCI bus (every device is virtio-mmio), so
 * the guest kernel's PCI probe finds no config space and says so at
 * KERN_ERR on every boot; pci=off does not stop it (the probe that prints
 * runs first), and a quieter loglevel would hide real errors too.
 */
static const char *const qemu_console_notes[] = {
	"PCI: Fatal: No config space access function found",
	"harmless: the microvm machine has no PCI bus (its devices are "
	"virtio-mmio), and the guest kernel says so as it boots",
	NULL
};

const struct vm_driver vm_qemu_driver = {
	.name = "qemu",
	.noun = "microVM",
	.strength = 2,
	.settings = qemu_settings,
	.fast = qemu_fast,
	.start_max_s = qemu_start_max_s,
	.create = qemu_create,
	.set_code = qemu_set_code,
	.set_memory = qemu_set_memory,
	.alive = qemu_alive,
	.stats = qemu_stats,
	.info = qemu_info,
	.destroy = qemu_destroy,
	.snapshot_list = qemu_snap_list,
	.snapshot_delete = qemu_snap_delete,
	.console_notes = qemu_console_notes,
};
