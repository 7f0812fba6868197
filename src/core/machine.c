/*
 * machine.c — the machines under instances, through the driver ops.
 *
 * An instance's row names its driver and the pid of its machine; the
 * machine itself keeps its files in RUN_DIR ($HEARTH_HOME/run/ID): the
 * console or agent log, how it started, why it stopped.  A struct machine
 * is that row read once, so a command following a console asks the same
 * machine whether it still runs, even after its row is gone.
 *
 * Snapshots belong to the drivers that can save a machine (the ops table
 * says which); the list here is every such driver's, in driver order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "vm.h"

struct machine {
	const struct vm_driver *drv;	/* its driver, NULL if unknown here */
	char		*id;		/* instance id */
	pid_t		 pid;		/* the machine's pid, 0 if none yet */
	struct vm_info	 info;		/* what the driver said of it */
};

/* The directory where instance id's machine keeps its files; caller frees. */
char *
machine_run_dir(struct store *st, const char *id)
{
	return xasprintf("%s/run/%s", st->home, id);
}

/*
 * Read instance id's row and ask its driver about the machine.  NULL with
 * *cause when there is no such instance; machine_close frees the rest.
 */
struct machine *
machine_open(struct store *st, const char *id, char **cause)
{
	struct machine	*m;
	sqlite3_stmt	*stmt;
	char		*dir;

	stmt = store_prepare(st, "SELECT driver, pid FROM instances WHERE id = ?");
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		*cause = xasprintf("no instance '%s' (see 'hearth vm ls')", id);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	m->drv = vm_driver_find((const char *)sqlite3_column_text(stmt, 0));
	m->pid = sqlite3_column_int(stmt, 1);
	m->id = xstrdup(id);
	sqlite3_finalize(stmt);
	dir = machine_run_dir(st, id);
	if (m->drv != NULL)
		m->drv->info(m->id, dir, &m->info);
	free(dir);
	return m;
}

/* The file the machine writes its console to ("" if unknown). */
const char *
machine_console(const struct machine *m)
{
	return m->info.console;
}

/*
 * The i-th line this machine's console may show that is harmless, and
 * why (the driver's console_notes): NULL past the last.
 */
const char *
machine_console_note(const struct machine *m, int i, const char **line)
{
	const char *const	*n;
	int			 k;

	if (m->drv == NULL || (n = m->drv->console_notes) == NULL)
		return NULL;
	for (k = 0; k < i; k++, n += 2)
		if (n[0] == NULL)
			return NULL;
	if (n[0] == NULL)
		return NULL;
	*line = n[0];
	return n[1];
}

/* Is the machine still running? */
int
machine_alive(const struct machine *m)
{
	return m->drv != NULL && m->drv->alive(m->id, m->pid);
}

void
machine_close(struct machine *m)
{
	if (m == NULL)
		return;
	free(m->id);
	free(m);
}

/* Every driver's saved machines; *list is the caller's to free. */
int
machine_snapshot_list(struct machine_snapshot **list, int *count)
{
	const struct vm_driver	*drv;
	struct machine_snapshot	*out = NULL, *s;
	struct vm_snapshot	*got;
	int			 i, j, n, k = 0;

	for (i = 0; (drv = vm_driver_at(i)) != NULL; i++) {
		if (drv->snapshot_list == NULL || drv->snapshot_list(&got, &n) != 0)
			continue;
		out = xrealloc(out, sizeof *out * (k + n + 1));
		for (j = 0; j < n; j++) {
			s = &out[k++];
			memset(s, 0, sizeof *s);
			snprintf(s->name, sizeof s->name, "%s", got[j].name);
			snprintf(s->driver, sizeof s->driver, "%s", drv->name);
			snprintf(s->runtime, sizeof s->runtime, "%s", got[j].runtime);
			s->guest_mb = got[j].guest_mb;
			s->vcpus = got[j].vcpus;
			s->size = got[j].size;
			s->created = got[j].created;
			s->save_ms = got[j].save_ms;
		}
		free(got);
	}
	*list = out;
	*count = k;
	return 0;
}

/*
 * Remove the snapshot called name, from whichever driver holds it.  -1
 * with *cause (the first driver's reason) when none does.
 */
int
machine_snapshot_delete(const char *name, char **cause)
{
	const struct vm_driver	*drv;
	char			*why = NULL, *err;
	int			 i;

	for (i = 0; (drv = vm_driver_at(i)) != NULL; i++) {
		if (drv->snapshot_delete == NULL)
			continue;
		err = NULL;
		if (drv->snapshot_delete(name, &err) == 0) {
			free(why);
			return 0;
		}
		if (why == NULL)
			why = err;
		else
			free(err);
	}
	*cause = why != NULL ? why : xasprintf("no snapshot '%s' (see 'hearth "
	    "vm snapshot ls')", name);
	return -1;
}
