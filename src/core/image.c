/*
 * image.c — runtime images on disk and their rows in the store.
 *
 * `make images` (images/build.sh) writes <libdir>/images/<name>/ with a
 * rootfs/ and an image.json.  image_sync registers what it finds so that
 * `image ls` and the instance manager see the same list; the row holds the
 * path the ns driver mounts.
 */
#include <cjson/cJSON.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

/* Register every image under <libdir>/images in the store. */
int
image_sync(struct store *st, char **cause)
{
	struct dirent	*de;
	struct buf	 b = { 0 };
	struct stat	 sb;
	sqlite3_stmt	*stmt;
	cJSON		*j, *rt, *size;
	char		*dir, *path, *err = NULL;
	DIR		*d;

	dir = xasprintf("%s/images", util_lib_dir());
	if ((d = opendir(dir)) == NULL) {
		*cause = xasprintf("no images in %s (run 'make images')", dir);
		free(dir);
		return -1;
	}
	if (store_begin(st, cause) != 0) {
		closedir(d);
		free(dir);
		return -1;
	}
	stmt = store_prepare(st, "INSERT INTO images (name, runtime, path, size, "
	    "built) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
	    "runtime = excluded.runtime, path = excluded.path, "
	    "size = excluded.size, built = excluded.built");
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s/image.json", dir, de->d_name);
		b.len = 0;
		if (util_read_file(path, &b, 65536, &err) != 0 ||
		    stat(path, &sb) != 0) {
			free(err);
			err = NULL;
			free(path);
			continue;
		}
		free(path);
		if ((j = cJSON_Parse(b.data)) == NULL)
			continue;
		rt = cJSON_GetObjectItem(j, "runtime");
		size = cJSON_GetObjectItem(j, "size_kb");
		if (cJSON_IsString(rt)) {
			path = xasprintf("%s/%s", dir, de->d_name);
			sqlite3_bind_text(stmt, 1, de->d_name, -1, SQLITE_STATIC);
			sqlite3_bind_text(stmt, 2, rt->valuestring, -1, SQLITE_STATIC);
			sqlite3_bind_text(stmt, 3, path, -1, SQLITE_STATIC);
			sqlite3_bind_int64(stmt, 4, cJSON_IsNumber(size) ?
			    (sqlite3_int64)size->valuedouble * 1024 : 0);
			sqlite3_bind_double(stmt, 5, (double)sb.st_mtime);
			sqlite3_step(stmt);
			sqlite3_reset(stmt);
			free(path);
		}
		cJSON_Delete(j);
	}
	sqlite3_finalize(stmt);
	closedir(d);
	free(dir);
	buf_free(&b);
	return store_commit(st, cause);
}

/*
 * Return the image directory for runtime, syncing from disk if the store
 * has none; NULL with *cause if no image provides it.
 */
char *
image_rootfs(struct store *st, const char *runtime, char **cause)
{
	sqlite3_stmt	*stmt;
	char		*path = NULL;
	int		 pass;

	for (pass = 0; pass < 2 && path == NULL; pass++) {
		if (pass == 1 && image_sync(st, cause) != 0)
			return NULL;
		stmt = store_prepare(st, "SELECT path FROM images WHERE runtime = ? "
		    "ORDER BY built DESC LIMIT 1");
		sqlite3_bind_text(stmt, 1, runtime, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) == SQLITE_ROW)
			path = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
		if (path != NULL && access(path, F_OK) != 0) {
			free(path);
			path = NULL;
		}
	}
	if (path == NULL)
		*cause = xasprintf("no image for runtime '%s' (run 'make images')",
		    runtime);
	return path;
}

/* Read the runtime command from dir/image.json; NULL with *cause. */
char **
image_cmd(const char *dir, char **cause)
{
	struct buf	 b = { 0 };
	cJSON		*j, *cmd, *it;
	char		*path = xasprintf("%s/image.json", dir), **argv = NULL;
	int		 n = 0;

	if (util_read_file(path, &b, 65536, cause) != 0)
		goto out;
	if ((j = cJSON_Parse(b.data)) == NULL) {
		*cause = xasprintf("%s: not JSON", path);
		goto out;
	}
	cmd = cJSON_GetObjectItem(j, "cmd");
	if (!cJSON_IsArray(cmd) || cJSON_GetArraySize(cmd) == 0) {
		*cause = xasprintf("%s: no cmd", path);
		cJSON_Delete(j);
		goto out;
	}
	argv = xcalloc(cJSON_GetArraySize(cmd) + 1, sizeof *argv);
	cJSON_ArrayForEach(it, cmd)
		argv[n++] = xstrdup(cJSON_IsString(it) ? it->valuestring : "");
	cJSON_Delete(j);
out:
	buf_free(&b);
	free(path);
	return argv;
}

/* Can this image's runtime start before it knows its function? */
int
image_prewarm(const char *dir)
{
	struct buf	 b = { 0 };
	char		*path = xasprintf("%s/image.json", dir), *cause = NULL;
	cJSON		*j;
	int		 yes = 0;

	if (util_read_file(path, &b, 65536, &cause) == 0 &&
	    (j = cJSON_Parse(b.data)) != NULL) {
		yes = cJSON_IsTrue(cJSON_GetObjectItem(j, "prewarm"));
		cJSON_Delete(j);
	} else
		free(cause);
	buf_free(&b);
	free(path);
	return yes;
}
