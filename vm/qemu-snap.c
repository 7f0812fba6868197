/*
 * qemu-snap.c — snapshots: a booted runtime VM saved, so later VMs start
 * by restoring it instead of booting.
 *
 * The first VM of a runtime at a given size boots with its runtime
 * prewarmed (started, parked on the agent's hearth/config until it learns
 * its function).  Once the runtime is parked, its state is saved over QMP,
 * and the VM goes on running.  QEMU runs confined (no file of the host in
 * reach, no programs to start), so hearth opens the state file itself and
 * hands QEMU the descriptor (`getfd`), then `migrate`s to "fd:NAME" (QEMU
 * 7.2 has no file: URI either).  Later VMs of that runtime and size start
 * QEMU with the file open as -incoming "fd:N" (the shim opens it): kernel
 * booted, modules loaded, runtime imported, ready in a fraction of a
 * boot.  The shim then gives each restored VM its own token, entropy and
 * clock (POST /rekey).
 *
 * $HEARTH_HOME/snapshots/NAME/ holds `state`, `meta` and the boot's
 * `console.log`, written in a private directory that is renamed into
 * place whole; a directory without meta was never finished.  meta records what
 * the state depends on (kernel, initramfs, image, QEMU, accelerator,
 * memory, vCPUs); a snapshot that no longer matches, or that QEMU cannot
 * load, is removed and the VM boots instead, saying so.
 */
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"
#include "qemu.h"

#define SNAP_READY_MS	60000	/* runtime prewarm, under TCG */
#define SNAP_SAVE_MS	120000	/* writing the state */
#define SNAP_FD_NAME	"hearth-state"	/* the state file, to QMP */

static char *
snap_dir(const char *name)
{
	return name != NULL ? xasprintf("%s/snapshots/%s", vm_home(), name) :
	    xasprintf("%s/snapshots", vm_home());
}

static char *
snap_name(const char *image, int guest_mb, int vcpus)
{
	return xasprintf("%s-%dm-%dc", image, guest_mb, vcpus);
}

static void
snap_stamp(struct buf *b, const char *what, const char *path)
{
	struct stat	sb;

	if (stat(path, &sb) == 0)
		buf_printf(b, "%s=%s:%lld:%lld ", what, path, (long long)sb.st_size,
		    (long long)sb.st_mtime);
	else
		buf_printf(b, "%s=%s:missing ", what, path);
}

/* What a state file depends on, as one line. */
static char *
snap_key(const struct qemu_assets *a, int guest_mb, int vcpus)
{
	struct buf	b = { 0 };

	snap_stamp(&b, "kernel", a->kernel);
	snap_stamp(&b, "initrd", a->initrd);
	snap_stamp(&b, "disk", a->disk);
	snap_stamp(&b, "qemu", a->binary);
	buf_printf(&b, "accel=%s mem=%d cpus=%d", accel_choose(NULL), guest_mb, vcpus);
	return b.data;
}

/* One "key=value" line of a meta file, or NULL. */
static char *
snap_meta_get(const char *meta, const char *key)
{
	size_t		 n = strlen(key);
	const char	*p;

	for (p = meta; p != NULL && *p != '\0'; p = strchr(p, '\n') ?
	    strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, n) == 0 && p[n] == '=')
			return xstrndup(p + n + 1, strcspn(p + n + 1, "\n"));
	}
	return NULL;
}

void
qemu_snap_remove(const char *name)
{
	char	*dir = snap_dir(name);

	util_rmtree(dir);
	free(dir);
}

void
qemu_snap_free(struct qemu_snap *s)
{
	free(s->name);
	free(s->state);
	memset(s, 0, sizeof *s);
}

/*
 * The snapshot for image at this size, if one is usable: 0 and *s filled.
 * -1 with *cause NULL when there is none, with *cause set when there was
 * one that no longer fits (it is removed).
 */
int
qemu_snap_find(const struct qemu_assets *a, const char *image, int guest_mb,
    int vcpus, struct qemu_snap *s, char **cause)
{
	struct buf	 meta = { 0 };
	struct stat	 sb;
	char		*name = snap_name(image, guest_mb, vcpus), *dir = snap_dir(name);
	char		*path, *key = NULL, *want = NULL, *tok = NULL, *err = NULL;
	int		 rc = -1;

	*cause = NULL;
	memset(s, 0, sizeof *s);
	path = xasprintf("%s/meta", dir);
	if (util_read_file(path, &meta, 65536, &err) != 0) {
		free(err);
		goto out;
	}
	key = snap_meta_get(meta.data, "key");
	tok = snap_meta_get(meta.data, "token");
	want = snap_key(a, guest_mb, vcpus);
	free(path);
	path = xasprintf("%s/state", dir);
	if (key == NULL || strcmp(key, want) != 0) {
		*cause = xasprintf("snapshot %s was made for another kernel, image, "
		    "QEMU or accelerator (removed)", name);
		qemu_snap_remove(name);
	} else if (tok == NULL || strlen(tok) != PROTO_TOKEN_LEN ||
	    stat(path, &sb) != 0 || sb.st_size == 0) {
		*cause = xasprintf("snapshot %s is incomplete (removed)", name);
		qemu_snap_remove(name);
	} else {
		s->name = name;
		s->state = path;
		snprintf(s->token, sizeof s->token, "%s", tok);
		name = path = NULL;
		rc = 0;
	}
out:
	buf_free(&meta);
	free(name);
	free(dir);
	free(path);
	free(key);
	free(want);
	free(tok);
	return rc;
}

/* Wait until the runtime behind sock is parked, waiting for a function. */
static int
snap_wait_parked(const char *sock, char **cause)
{
	struct timespec		 ts = { 0, 20 * 1000 * 1000 };
	struct agent_conn	*c = agent_connect(sock);
	struct agent_reply	 r;
	uint64_t		 deadline = util_mono_us() + SNAP_READY_MS * 1000ULL;
	int			 parked = 0;

	while (!parked && util_mono_us() < deadline) {
		if (agent_request(c, "GET", PROTO_PATH_HEALTH, NULL, 0, NULL, 0,
		    5000, &r, cause) != 0)
			break;
		parked = r.body != NULL && strstr(r.body, "\"ready\": true") != NULL;
		agent_reply_free(&r);
		if (!parked)
			nanosleep(&ts, NULL);
	}
	/* Parked: drop what the boot read, so the state holds only the rest. */
	if (parked && agent_request(c, "POST", PROTO_PATH_QUIESCE, "", 0, NULL, 0,
	    10000, &r, cause) == 0)
		agent_reply_free(&r);
	agent_close(c);
	if (!parked && *cause == NULL)
		*cause = xasprintf("the runtime did not start in %d s",
		    SNAP_READY_MS / 1000);
	return parked ? 0 : -1;
}

/*
 * Save the VM behind qmp_path to the new file path; the VM runs on
 * afterwards.  QEMU writes through a descriptor hearth opened.
 */
static int
snap_migrate(const char *qmp_path, const char *path, long *ms, char **cause)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	struct qmp	*q;
	char		*ret = NULL, *err = NULL;
	cJSON		*j, *st, *desc;
	uint64_t	 start = util_mono_us();
	int		 rc = -1, done = 0, fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((q = qmp_open(qmp_path, cause)) == NULL) {
		close(fd);
		return -1;
	}
	rc = qmp_call_fd(q, "getfd", "{\"fdname\": \"" SNAP_FD_NAME "\"}", fd,
	    &ret, cause);
	close(fd);		/* QEMU holds its own copy now */
	free(ret);
	ret = NULL;
	if (rc == 0) {
		rc = qmp_call(q, "migrate", "{\"uri\": \"fd:" SNAP_FD_NAME "\"}",
		    &ret, cause);
		free(ret);
	}
	while (rc == 0 && !done) {
		if (util_mono_us() - start > SNAP_SAVE_MS * 1000ULL) {
			*cause = xasprintf("saving took over %d s", SNAP_SAVE_MS / 1000);
			rc = -1;
			break;
		}
		nanosleep(&ts, NULL);
		if ((rc = qmp_call(q, "query-migrate", NULL, &ret, cause)) != 0)
			break;
		j = cJSON_Parse(ret);
		free(ret);
		st = cJSON_GetObjectItem(j, "status");
		if (cJSON_IsString(st) && strcmp(st->valuestring, "completed") == 0)
			done = 1;
		else if (cJSON_IsString(st) && (strcmp(st->valuestring, "failed") == 0 ||
		    strcmp(st->valuestring, "cancelled") == 0)) {
			desc = cJSON_GetObjectItem(j, "error-desc");
			*cause = xstrdup(cJSON_IsString(desc) ? desc->valuestring :
			    "migration failed");
			rc = -1;
		}
		cJSON_Delete(j);
	}
	*ms = (long)((util_mono_us() - start) / 1000);
	/*
	 * Paused by the migration (or by its failure): run on.  A descriptor
	 * that migrate never took is given back.
	 */
	if (qmp_call(q, "cont", NULL, &ret, &err) == 0)
		free(ret);
	else
		free(err);
	err = NULL;
	if (qmp_call(q, "closefd", "{\"fdname\": \"" SNAP_FD_NAME "\"}", &ret,
	    &err) == 0)
		free(ret);
	else
		free(err);
	qmp_close(q);
	return rc;
}

/*
 * Snapshot the freshly booted VM in run_dir (agent behind sock) as the
 * snapshot of image at this size.  Everything is written into a private
 * directory that is renamed into place whole, so two hearths saving the
 * same snapshot at once cannot mix one's state with the other's token:
 * the first rename wins, the other's work is dropped.  Failures (disk
 * full, a runtime that never parks) cost only the snapshot: a notice says
 * why.
 */
void
qemu_snap_take(const struct qemu_assets *a, const char *image, int guest_mb,
    int vcpus, const char *run_dir, const char *sock)
{
	struct buf	 tokb = { 0 }, meta = { 0 }, con = { 0 };
	char		*name = snap_name(image, guest_mb, vcpus), *dir = snap_dir(name);
	char		*tmp, *state = NULL, *qmp = NULL, *key = NULL, *p, *top;
	char		*cause = NULL, *err = NULL;
	long		 ms = 0;
	struct stat	 sb;

	top = snap_dir(NULL);
	tmp = xasprintf("%s/.%s.%d", top, name, (int)getpid());
	free(top);
	if (snap_wait_parked(sock, &cause) != 0)
		goto fail;
	p = xasprintf("%s/token", run_dir);
	if (util_read_file(p, &tokb, 256, &cause) != 0) {
		free(p);
		goto fail;
	}
	free(p);
	util_rmtree(tmp);
	if (util_mkdirs(tmp, 0700) == -1) {
		cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto fail;
	}
	state = xasprintf("%s/state", tmp);
	qmp = xasprintf("%s/qmp.sock", run_dir);
	if (snap_migrate(qmp, state, &ms, &cause) != 0)
		goto fail;
	if (stat(state, &sb) != 0 || sb.st_size == 0) {
		cause = xasprintf("%s: empty", state);
		goto fail;
	}
	/* The boot's console, for the VMs restored from it. */
	p = xasprintf("%s/console.log", run_dir);
	if (util_read_file(p, &con, 1 << 20, &err) == 0) {
		free(p);
		p = xasprintf("%s/console.log", tmp);
		if (util_write_file(p, con.data != NULL ? con.data : "", con.len,
		    &err) != 0)
			free(err);
	} else
		free(err);
	free(p);
	key = snap_key(a, guest_mb, vcpus);
	buf_printf(&meta, "key=%s\ntoken=%.*s\nruntime=%s\nguest_mb=%d\n"
	    "vcpus=%d\ncreated=%.3f\nsave_ms=%ld\nsize=%lld\n", key,
	    PROTO_TOKEN_LEN, tokb.data, image, guest_mb, vcpus, util_now(), ms,
	    (long long)sb.st_size);
	p = xasprintf("%s/meta", tmp);
	if (util_write_file(p, meta.data, meta.len, &cause) != 0) {
		free(p);
		goto fail;
	}
	free(p);
	/* A stale, unfinished directory (no meta) may stand in the way. */
	p = xasprintf("%s/meta", dir);
	if (access(p, F_OK) != 0)
		util_rmtree(dir);
	free(p);
	if (rename(tmp, dir) == -1) {
		if (errno != ENOTEMPTY && errno != EEXIST)
			cause = xasprintf("%s: %s", dir, strerror(errno));
		util_rmtree(tmp);	/* or another hearth saved it first */
		if (cause != NULL)
			goto fail;
	}
	goto out;
fail:
	util_rmtree(tmp);
	vm_notice("snapshot %s not saved: %s", name, cause);
	free(cause);
out:
	buf_free(&tokb);
	buf_free(&meta);
	buf_free(&con);
	free(name);
	free(dir);
	free(tmp);
	free(state);
	free(qmp);
	free(key);
}

/*
 * Start a restored VM's console log with the boot it was saved from, so
 * `vm console` shows how the kernel came up, then a line saying where
 * the restore took over.
 */
void
qemu_snap_seed_console(const struct qemu_snap *s, const char *run_dir)
{
	struct buf	 b = { 0 };
	char		*dir = snap_dir(s->name), *from, *to, *cause = NULL;

	from = xasprintf("%s/console.log", dir);
	to = xasprintf("%s/console.log", run_dir);
	if (util_read_file(from, &b, 1 << 20, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	buf_printf(&b, "\n--- hearth: restored from snapshot %s ---\n", s->name);
	if (util_write_file(to, b.data, b.len, &cause) != 0)
		free(cause);
	buf_free(&b);
	free(from);
	free(to);
	free(dir);
}

/* For `vm snapshot ls`: every finished snapshot, oldest first. */
int
qemu_snap_list(struct vm_snapshot **out, int *count)
{
	struct dirent	**names;
	struct vm_snapshot *list = NULL;
	struct buf	 meta = { 0 };
	char		*dir = snap_dir(NULL), *path, *cause = NULL, *v;
	int		 i, n, k = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) == -1)
		n = 0;
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s/meta", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' &&
		    util_read_file(path, &meta, 65536, &cause) == 0) {
			struct vm_snapshot *s;

			list = xrealloc(list, sizeof *list * (k + 1));
			s = &list[k++];
			memset(s, 0, sizeof *s);
			snprintf(s->name, sizeof s->name, "%.63s", names[i]->d_name);
#define META(f, conv) if ((v = snap_meta_get(meta.data, f)) != NULL) { conv; free(v); }
			META("runtime", snprintf(s->runtime, sizeof s->runtime, "%s", v));
			META("guest_mb", s->guest_mb = atoi(v));
			META("vcpus", s->vcpus = atoi(v));
			META("created", s->created = atof(v));
			META("save_ms", s->save_ms = atol(v));
			META("size", s->size = strtoull(v, NULL, 10));
#undef META
		} else
			free(cause);
		cause = NULL;
		buf_free(&meta);
		free(path);
		free(names[i]);
	}
	if (n > 0)
		free(names);
	free(dir);
	*out = list;
	*count = k;
	return 0;
}

int
qemu_snap_delete(const char *name, char **cause)
{
	struct stat	 sb;
	char		*dir;

	if (*name == '\0' || strchr(name, '/') != NULL || name[0] == '.') {
		*cause = xasprintf("'%s' is not a snapshot name", name);
		return -1;
	}
	dir = snap_dir(name);
	if (stat(dir, &sb) != 0) {
		*cause = xasprintf("no snapshot '%s' (see 'hearth vm snapshot ls')",
		    name);
		free(dir);
		return -1;
	}
	util_rmtree(dir);
	free(dir);
	return 0;
}
