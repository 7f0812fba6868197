/*
 * qemu.h — the microVM driver's parts, private to vm/: qemu.c (the driver
 * and its ops), qemu-argv.c (QEMU's command line, a pure function of a
 * struct qemu_config), qemu-shim.c (starting the shim that supervises a
 * VM), qemu-snap.c (snapshots of booted runtimes) and qmp.c (QEMU's
 * control socket).
 */
#ifndef HEARTH_QEMU_H
#define HEARTH_QEMU_H

#include <sys/types.h>

#include "proto.h"

struct vm_spec;
struct vm_snapshot;

/* What a VM is made of on the host, checked by qemu_assets(). */
struct qemu_assets {
	char	*binary;	/* qemu-system-x86_64 */
	char	*kernel;	/* guest kernel (bzImage) */
	char	*initrd;	/* initramfs: hearth-agent as /init, modules */
	char	*disk;		/* the runtime image as erofs */
};

/* Everything QEMU's command line depends on. */
struct qemu_config {
	const struct qemu_assets *assets;	/* binary, kernel, initrd, disk */
	const char	*accel;		/* "kvm" or "tcg" */
	int		 guest_mb;	/* guest RAM */
	int		 vcpus;		/* virtual CPUs */
	long		 tsc_khz;	/* host TSC rate for the guest, 0 unknown */
	int		 restore;	/* start from a saved state (-incoming) */
};

/* A saved VM: RAM and device state right after its runtime prewarmed. */
struct qemu_snap {
	char	*name;		/* RUNTIME-MEMm-CPUSc */
	char	*state;		/* migration stream file */
	char	 token[PROTO_TOKEN_LEN + 1];	/* the agent's token in it */
};

/* qemu.c */
int	 qemu_assets(const char *rootfs, struct qemu_assets *a, char **cause);
void	 qemu_assets_free(struct qemu_assets *a);

/* qemu-argv.c */
int	 qemu_guest_mb(int memory_mb);
int	 qemu_vcpus(int cpu_milli);
long	 qemu_tsc_khz(void);
char	**qemu_argv(const struct qemu_config *cfg);
void	 qemu_argv_free(char **argv);

/* qemu-shim.c */
int	 qemu_shim_start(const struct vm_spec *spec, const struct qemu_assets *a,
	     char **argv, const char *restore, int kvm, int timeout_s,
	     pid_t *pidp, long *ready_ms, char **cause);

/* qemu-snap.c */
int	 qemu_snap_find(const struct qemu_assets *a, const char *image,
	     int guest_mb, int vcpus, struct qemu_snap *s, char **cause);
void	 qemu_snap_take(const struct qemu_assets *a, const char *image,
	     int guest_mb, int vcpus, const char *run_dir, const char *sock);
void	 qemu_snap_free(struct qemu_snap *s);
void	 qemu_snap_remove(const char *name);
void	 qemu_snap_seed_console(const struct qemu_snap *s, const char *run_dir);
int	 qemu_snap_list(struct vm_snapshot **list, int *count);
int	 qemu_snap_delete(const char *name, char **cause);

/* qmp.c */
struct qmp;
struct qmp *qmp_open(const char *path, char **cause);
int	 qmp_call(struct qmp *q, const char *cmd, const char *args, char **ret,
	     char **cause);
int	 qmp_call_fd(struct qmp *q, const char *cmd, const char *args, int fd,
	     char **ret, char **cause);
void	 qmp_close(struct qmp *q);

#endif
