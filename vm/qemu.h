/*
 * qemu.h — the microVM driver's parts: qemu.c (VMs), qemu-snap.c
 * (snapshots of booted runtimes) and qmp.c (QEMU's control socket).
 */
#ifndef HEARTH_QEMU_H
#define HEARTH_QEMU_H

#include "proto.h"

/* What a VM is made of on the host, checked by qemu_assets(). */
struct qemu_assets {
	char	*binary;	/* qemu-system-x86_64 */
	char	*kernel;	/* guest kernel (bzImage) */
	char	*initrd;	/* initramfs: hearth-agent as /init, modules */
	char	*disk;		/* the runtime image as erofs */
};

/* A saved VM: RAM and device state right after its runtime prewarmed. */
struct qemu_snap {
	char	*name;		/* RUNTIME-MEMm-CPUSc */
	char	*state;		/* migration stream file */
	char	 token[PROTO_TOKEN_LEN + 1];	/* the agent's token in it */
};

/* qemu.c */
int	 qemu_assets(const char *, struct qemu_assets *, char **);
void	 qemu_assets_free(struct qemu_assets *);
int	 qemu_guest_mb(int);
int	 qemu_vcpus(int);
char	**qemu_argv(const struct qemu_assets *, int, int, int);
void	 qemu_argv_free(char **);

/* qemu-snap.c */
int	 qemu_snap_find(const struct qemu_assets *, const char *, int, int,
	     struct qemu_snap *, char **);
void	 qemu_snap_take(const struct qemu_assets *, const char *, int, int,
	     const char *, const char *);
void	 qemu_snap_free(struct qemu_snap *);
void	 qemu_snap_remove(const char *);
void	 qemu_snap_seed_console(const struct qemu_snap *, const char *);

/* qmp.c */
struct qmp;
struct qmp *qmp_open(const char *, char **);
int	 qmp_call(struct qmp *, const char *, const char *, char **, char **);
int	 qmp_call_fd(struct qmp *, const char *, const char *, int, char **,
	     char **);
void	 qmp_close(struct qmp *);

#endif
