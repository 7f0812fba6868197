/*
 * fn.c — the function model: names, runtimes, handlers, stored rows.
 *
 * A function is a row in the functions table plus a code directory,
 * $HEARTH_HOME/code/<name>/v<N>.  Every change bumps `version`, and a
 * change of code also bumps `code_version` and writes a new directory, so
 * an instance can tell whether it runs the current configuration by
 * comparing two integers.  Old code directories are removed once no
 * instance runs them.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "vm.h"

static const char *fn_runtimes[] = { "python3", "node", NULL };

/* Is name a valid function name?  Same rule as Lambda: [A-Za-z0-9_-]{1,64}. */
int
fn_valid_name(const char *name, char **cause)
{
	const char	*p;

	if (*name == '\0') {
		*cause = xstrdup("function name is empty");
		return -1;
	}
	if (strlen(name) > 64) {
		*cause = xasprintf("function name '%.20s...' is longer than 64 "
		    "characters", name);
		return -1;
	}
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			*cause = xasprintf("function name '%s' may only contain "
			    "letters, digits, '-' and '_'", name);
			return -1;
		}
	}
	return 0;
}

int
fn_valid_runtime(const char *rt, char **cause)
{
	int	i;

	for (i = 0; fn_runtimes[i] != NULL; i++)
		if (strcmp(rt, fn_runtimes[i]) == 0)
			return 0;
	*cause = xasprintf("unknown runtime '%s' (want python3 or node)", rt);
	return -1;
}

int
fn_valid_driver(const char *d, char **cause)
{
	char	*choices;

	if (vm_driver_valid(d))
		return 0;
	choices = vm_driver_choices();
	*cause = xasprintf("unknown driver '%s' (want %s)", d, choices);
	free(choices);
	return -1;
}

/*
 * The driver a function with driver setting d runs under now: its own
 * choice, else the setting driver.default; "auto" is the most isolating
 * driver that is fast here (vm_driver_auto).
 */
const char *
fn_driver(const char *d)
{
	if (d == NULL || *d == '\0' || strcmp(d, "auto") == 0)
		d = config_get("driver.default");
	if (strcmp(d, "auto") == 0)
		d = vm_driver_auto();
	return d;
}

/*
 * Check a handler's shape: "module.function" for python3 (module may be a
 * dotted or slashed path), "file.export" for node.
 */
int
fn_valid_handler(const char *runtime, const char *h, char **cause)
{
	const char	*dot = strrchr(h, '.'), *p;

	if (dot == NULL || dot == h || dot[1] == '\0') {
		*cause = xasprintf("handler '%s' must look like %s", h,
		    strcmp(runtime, "node") == 0 ? "file.export" : "module.function");
		return -1;
	}
	for (p = h; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("_./-", *p) == NULL) {
			*cause = xasprintf("handler '%s' contains '%c'", h, *p);
			return -1;
		}
	}
	if (h[0] == '/' || strstr(h, "..") != NULL) {
		*cause = xasprintf("handler '%s' must be a path inside the code", h);
		return -1;
	}
	for (p = dot + 1; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '$') {
			*cause = xasprintf("handler '%s': '%s' is not a function name",
			    h, dot + 1);
			return -1;
		}
	}
	if (isdigit((unsigned char)dot[1])) {
		*cause = xasprintf("handler '%s': '%s' is not a function name", h,
		    dot + 1);
		return -1;
	}
	return 0;
}

/*
 * Check that the code in dir has the file the handler names: mod.py or
 * mod/__init__.py for python3, file.js/.cjs/.mjs for node.
 */
int
fn_check_handler_file(const char *dir, const char *runtime, const char *h,
    char **cause)
{
	static const char *py[] = { ".py", "/__init__.py", ".pyc", NULL };
	static const char *js[] = { ".js", ".cjs", ".mjs", NULL };
	const char	**ext = strcmp(runtime, "node") == 0 ? js : py;
	char		*mod, *p, *path;
	int		 i, found = 0;

	mod = xstrndup(h, strrchr(h, '.') - h);
	if (strcmp(runtime, "python3") == 0)
		for (p = mod; *p != '\0'; p++)
			if (*p == '.')
				*p = '/';
	for (i = 0; ext[i] != NULL && !found; i++) {
		path = xasprintf("%s/%s%s", dir, mod, ext[i]);
		found = access(path, R_OK) == 0;
		free(path);
	}
	if (!found)
		*cause = xasprintf("handler '%s': the code has no %s%s", h, mod,
		    strcmp(runtime, "node") == 0 ? ".js" : ".py");
	free(mod);
	return found ? 0 : -1;
}

char *
fn_code_dir(struct store *st, const char *name, int code_version)
{
	return xasprintf("%s/code/%s/v%d", st->home, name, code_version);
}

/* Load function name; NULL with *cause if there is none. */
struct fn *
fn_load(struct store *st, const char *name, char **cause)
{
	sqlite3_stmt	*stmt;
	struct fn	*fn = NULL;

	stmt = store_prepare(st, "SELECT name, runtime, handler, memory_mb, "
	    "timeout_s, env, version, code_version, code_size, created, updated, "
	    "driver "
	    "FROM functions WHERE name = ?");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		fn = xcalloc(1, sizeof *fn);
		fn->name = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		fn->runtime = xstrdup((const char *)sqlite3_column_text(stmt, 1));
		fn->handler = xstrdup((const char *)sqlite3_column_text(stmt, 2));
		fn->memory_mb = sqlite3_column_int(stmt, 3);
		fn->timeout_s = sqlite3_column_int(stmt, 4);
		fn->env = xstrdup((const char *)sqlite3_column_text(stmt, 5));
		fn->version = sqlite3_column_int(stmt, 6);
		fn->code_version = sqlite3_column_int(stmt, 7);
		fn->code_size = sqlite3_column_int64(stmt, 8);
		fn->created = sqlite3_column_double(stmt, 9);
		fn->updated = sqlite3_column_double(stmt, 10);
		fn->driver = xstrdup((const char *)sqlite3_column_text(stmt, 11));
	} else
		*cause = xasprintf("no function '%s'", name);
	sqlite3_finalize(stmt);
	return fn;
}

void
fn_free(struct fn *fn)
{
	if (fn == NULL)
		return;
	free(fn->name);
	free(fn->runtime);
	free(fn->handler);
	free(fn->env);
	free(fn->driver);
	free(fn);
}
