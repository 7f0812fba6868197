/*
 * fixture.h — what the instance and pool unit tests share: a fresh
 * HEARTH_HOME on a temp dir, this build's images and agent (exit 77 when
 * there are none), functions and code written straight into the store, and
 * a record of every VM pid seen, to check at the end that each is gone.
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "inst.h"

static pid_t	fixture_pids[16];	/* every VM pid seen, for the final sweep */
static int	fixture_npids;

/*
 * Point the manager at a fresh home in dir, at the images of this build
 * and at ns sandboxes, with pool as pool.size.
 */
static void
fixture_env(const char *dir, const char *pool)
{
	char	 exe[PATH_MAX], *home, *lib, *images;
	ssize_t	 n;

	home = xasprintf("%s/home", dir);
	setenv("HEARTH_HOME", home, 1);
	setenv("HEARTH_DRIVER", "ns", 1);
	setenv("HEARTH_POOL_SIZE", pool, 1);
	unsetenv("HEARTH_IDLE_TTL");
	if (getenv("HEARTH_LIBDIR") == NULL &&
	    (n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';		/* B/tests */
		lib = xasprintf("%s/..", exe);		/* B: hearth-agent, images/ */
		setenv("HEARTH_LIBDIR", lib, 1);
		free(lib);
	}
	images = xasprintf("%s/images/python3", util_lib_dir());
	if (access(images, F_OK) != 0) {
		printf("SKIP: no image at %s (run 'make images')\n", images);
		exit(77);
	}
	free(images);
	free(home);
}

/* Write a python handler module app.py into dir, its body one statement. */
static void
fixture_code(const char *dir, const char *body)
{
	char	*file = xasprintf("%s/app.py", dir), *src, *cause = NULL;

	util_mkdirs(dir, 0755);
	chmod(dir, 0755);
	src = xasprintf("import os\ndef handler(event, context):\n    %s\n", body);
	if (util_write_file(file, src, strlen(src), &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	chmod(file, 0644);
	free(src);
	free(file);
}

/*
 * Create function name for runtime under ns, its code version 1 a python
 * handler app.handler of one statement, body.
 */
static struct fn *
fixture_fn(struct store *st, const char *name, const char *runtime,
    const char *body)
{
	sqlite3_stmt	*stmt;
	char		*dir, *cause = NULL;
	struct fn	*fn;

	stmt = store_prepare(st, "INSERT INTO functions (name, runtime, handler, "
	    "memory_mb, timeout_s, env, version, code_version, code_size, "
	    "created, updated, driver) VALUES (?, ?, 'app.handler', 128, 5, "
	    "'{\"GREETING\": \"hi\"}', 1, 1, 0, 0, 0, 'ns')");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, runtime, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	dir = fn_code_dir(st, name, 1);
	fixture_code(dir, body);
	free(dir);
	if ((fn = fn_load(st, name, &cause)) == NULL) {
		fprintf(stderr, "fn_load: %s\n", cause);
		exit(1);
	}
	return fn;
}

/* Remember pid as one this test started, for fixture_sweep. */
static void
fixture_note_pid(pid_t pid)
{
	int	i;

	for (i = 0; i < fixture_npids; i++)
		if (fixture_pids[i] == pid)
			return;
	if (pid > 0 && fixture_npids < (int)nitems(fixture_pids))
		fixture_pids[fixture_npids++] = pid;
}

/* One integer the store answers to sql (a count, say); -1 if none. */
static long long
fixture_int(struct store *st, const char *sql)
{
	sqlite3_stmt	*stmt = store_prepare(st, sql);
	long long	 v = -1;

	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* The only instance of fn (or of the pool, fn NULL); NULL if not just one. */
static struct inst *
fixture_only(struct store *st, const char *fn)
{
	sqlite3_stmt	*stmt;
	struct inst	**list, *in = NULL;
	int		 n, i;

	if (fn != NULL) {
		stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances "
		    "WHERE fn = ?");
		sqlite3_bind_text(stmt, 1, fn, -1, SQLITE_STATIC);
	} else
		stmt = store_prepare(st, "SELECT " INST_COLUMNS " FROM instances "
		    "WHERE fn IS NULL");
	n = inst_rows(stmt, &list);
	sqlite3_finalize(stmt);
	if (n == 1) {
		in = list[0];
		list[0] = NULL;
		fixture_note_pid(in->pid);
	}
	for (i = 0; i < n; i++)
		inst_free(list[i]);
	free(list);
	return in;
}

/* Is pid a zombie (dead, its parent yet to reap it)? */
static int
fixture_zombie(pid_t pid)
{
	struct buf	 b = { 0 };
	char		*path = xasprintf("/proc/%d/stat", (int)pid), *cause = NULL;
	char		*paren;
	int		 zombie = 0;

	if (util_read_file(path, &b, 4096, &cause) == 0) {
		paren = strrchr(b.data, ')');
		zombie = paren != NULL && strncmp(paren, ") Z", 3) == 0;
	} else
		free(cause);
	buf_free(&b);
	free(path);
	return zombie;
}

/* Wait up to 5 s for pid to be gone (or a zombie); whether it is. */
static int
fixture_gone(pid_t pid)
{
	struct timespec	 ts = { 0, 20 * 1000 * 1000 };
	int		 i;

	for (i = 0; i < 250; i++) {
		if ((kill(pid, 0) == -1 && errno == ESRCH) || fixture_zombie(pid))
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/*
 * Destroy every instance left, then check every pid noted is gone; kill
 * those that are not and return how many there were.
 */
static int
fixture_sweep(struct store *st)
{
	int	i, left = 0;

	inst_destroy_fn(st, NULL);
	for (i = 0; i < fixture_npids; i++) {
		if (!fixture_gone(fixture_pids[i])) {
			kill(fixture_pids[i], SIGKILL);
			left++;
		}
	}
	return left;
}

#endif
