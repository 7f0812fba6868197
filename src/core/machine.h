/*
 * machine.h — the manager's view of the machines under instances, for
 * commands and the console that must not see vm/: where a machine keeps
 * its files, its console, and the saved machines (snapshots) of drivers
 * that can save one.  Every answer here comes through the driver ops, so
 * nothing above the manager names a driver.
 */
#ifndef HEARTH_MACHINE_H
#define HEARTH_MACHINE_H

#include <stdint.h>

#include "util.h"

struct store;

/* One instance's machine, as its row and its driver know it. */
struct machine;

char	*machine_run_dir(struct store *st, const char *id);
struct machine *machine_open(struct store *st, const char *id, char **cause);
const char *machine_console(const struct machine *m);
int	 machine_alive(const struct machine *m);
void	 machine_close(struct machine *m);

/* A saved machine new ones restore from (`vm snapshot ls`). */
struct machine_snapshot {
	char		 name[64];	/* RUNTIME-MEMm-CPUSc */
	char		 driver[16];	/* the driver that saved it */
	char		 runtime[32];	/* the image it was booted from */
	int		 guest_mb;	/* machine memory */
	int		 vcpus;		/* virtual CPUs */
	uint64_t	 size;		/* bytes of state */
	double		 created;	/* epoch seconds */
	long		 save_ms;	/* time to save */
};
int	 machine_snapshot_list(struct machine_snapshot **list, int *count);
int	 machine_snapshot_delete(const char *name, char **cause);

#endif
