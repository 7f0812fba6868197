/*
 * fn.c — the function model: names, runtimes, handlers, stored rows, and
 * the operations that create, change and delete functions.
 *
 * A function is a row in the functions table plus a code directory,
 * $HEARTH_HOME/code/<name>/v<N>.  Every change bumps `version`, and a
 * change of code also writes a new directory named for that version,
 * which becomes `code_version` (one counter, as Lambda has: the code of
 * version N is in vN, and a later change of configuration alone keeps
 * the directory of the version that brought the code), so
 * an instance can tell whether it runs the current configuration by
 * comparing two integers.  A version's directory never changes once
 * published, and is removed only when no instance uses it (inst.c counts
 * the instances, and the runtime generations, that do).
 *
 * New code is staged into a temporary directory beside its final place,
 * checked (the handler's file must exist), and renamed into place inside
 * the store transaction that records it, so a failure at any step leaves
 * neither a row nor a directory behind.  Code is always copied, never
 * linked: the directory recorded is one hearth made under
 * $HEARTH_HOME/code, holding nothing the operator can still change.
 */
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "vm.h"
#include "proto.h"

_Static_assert(UTIL_CODE_MAX == PROTO_CODE_MAX, "util.h and proto.h disagree on the code limit");

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
 * The file in dir that handler h names: mod.py, mod/__init__.py or
 * mod.pyc for python3, file.js/.cjs/.mjs for node, the first that is
 * readable.  NULL with *cause if the code has none.  The caller frees it.
 */
char *
fn_handler_file(const char *dir, const char *runtime, const char *h,
    char **cause)
{
	static const char *py[] = { ".py", "/__init__.py", ".pyc", NULL };
	static const char *js[] = { ".js", ".cjs", ".mjs", NULL };
	const char	**ext = strcmp(runtime, "node") == 0 ? js : py;
	char		*mod, *p, *path = NULL;
	int		 i;

	mod = xstrndup(h, strrchr(h, '.') - h);
	if (strcmp(runtime, "python3") == 0)
		for (p = mod; *p != '\0'; p++)
			if (*p == '.')
				*p = '/';
	for (i = 0; ext[i] != NULL && path == NULL; i++) {
		path = xasprintf("%s/%s%s", dir, mod, ext[i]);
		if (access(path, R_OK) != 0) {
			free(path);
			path = NULL;
		}
	}
	if (path == NULL)
		*cause = xasprintf("handler '%s': the code has no %s%s", h, mod,
		    strcmp(runtime, "node") == 0 ? ".js" : ".py");
	free(mod);
	return path;
}

/* Check that the code in dir has the file the handler names. */
int
fn_check_handler_file(const char *dir, const char *runtime, const char *h,
    char **cause)
{
	char	*path;

	if ((path = fn_handler_file(dir, runtime, h, cause)) == NULL)
		return -1;
	free(path);
	return 0;
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

/*
 * The variables a function may not set: those Lambda reserves (its
 * "defined runtime environment variables" marked reserved), which hearth
 * sets for every instance, and hearth's own.  A name ending in '*' is a
 * prefix.  TZ is in Lambda's reserved table but Lambda accepts it, and so
 * does hearth, with LANG, PATH, LD_LIBRARY_PATH, NODE_PATH and PYTHONPATH
 * (the user's value wins); AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT
 * stand in for Lambda's logging configuration, which hearth has no option
 * for.  Each reason is true of its name: what sets it, or why hearth
 * cannot take it yet (AWS_LAMBDA_EXEC_WRAPPER, which Lambda accepts).
 */
static const struct {
	const char	*name;		/* a variable, or a prefix ending '*' */
	const char	*why;		/* why not, NULL: a function may set it */
} fn_reserved[] = {
	{ "AWS_LAMBDA_LOG_LEVEL", NULL },	/* allowed: see above */
	{ "AWS_LAMBDA_LOG_FORMAT", NULL },
	{ "AWS_REGION", "Lambda reserves it; hearth sets it from the setting "
	  "lambda.region" },
	{ "AWS_DEFAULT_REGION", "Lambda reserves it; hearth sets it from the "
	  "setting lambda.region" },
	{ "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "Lambda reserves it; hearth sets "
	  "it from --memory" },
	{ "AWS_LAMBDA_FUNCTION_TIMEOUT", "Lambda reserves it; hearth sets it "
	  "from --timeout" },
	{ "_HANDLER", "Lambda reserves it; hearth sets it from --handler" },
	{ "AWS_LAMBDA_FUNCTION_NAME", "Lambda reserves it; hearth sets it to "
	  "the function's name" },
	{ "AWS_LAMBDA_FUNCTION_VERSION", "Lambda reserves it; hearth sets it "
	  "to $LATEST" },
	{ "AWS_LAMBDA_INITIALIZATION_TYPE", "Lambda reserves it; hearth sets "
	  "it to on-demand" },
	{ "AWS_LAMBDA_LOG_GROUP_NAME", "Lambda reserves it; hearth sets it to "
	  "/aws/lambda/NAME" },
	{ "AWS_LAMBDA_LOG_STREAM_NAME", "Lambda reserves it; hearth sets it "
	  "for each instance" },
	{ "AWS_LAMBDA_RUNTIME_API", "Lambda reserves it; hearth's agent sets "
	  "it to its runtime API" },
	/* Lambda lets a function set it, to run a script around the runtime. */
	{ "AWS_LAMBDA_EXEC_WRAPPER", "hearth does not support wrapper scripts "
	  "yet (Lambda runs the script it names before the runtime)" },
	{ "AWS_LAMBDA_*", "Lambda reserves the AWS_LAMBDA_ prefix" },
	{ "AWS_EXECUTION_ENV", "Lambda reserves it; the runtime image sets it" },
	{ "_X_AMZN_TRACE_ID", "Lambda reserves it; each invocation sets it" },
	{ "AWS_ACCESS_KEY", "Lambda reserves it for the execution role's keys" },
	{ "AWS_ACCESS_KEY_ID", "Lambda reserves it for the execution role's "
	  "keys" },
	{ "AWS_SECRET_ACCESS_KEY", "Lambda reserves it for the execution "
	  "role's keys" },
	{ "AWS_SESSION_TOKEN", "Lambda reserves it for the execution role's "
	  "keys" },
	{ "LAMBDA_TASK_ROOT", "Lambda reserves it; hearth sets it" },
	{ "LAMBDA_RUNTIME_DIR", "Lambda reserves it; hearth sets it" },
	{ "HEARTH_*", "hearth reserves HEARTH_ names for its own settings" },
};

/*
 * Is key reserved?  Returns why (for the error), or NULL if a function
 * may set it.  The first entry that matches
 * decides, so an exception precedes its prefix.
 */
static const char *
fn_env_reserved(const char *key)
{
	const char	*name;
	size_t		 i, n;

	for (i = 0; i < nitems(fn_reserved); i++) {
		name = fn_reserved[i].name;
		n = strlen(name);
		if (name[n - 1] == '*' ? strncmp(key, name, n - 1) == 0 :
		    strcmp(key, name) == 0)
			return fn_reserved[i].why;
	}
	return NULL;
}

/*
 * May a function set variable key?  A name of letters, digits and '_' not
 * starting with a digit, and none of the names Lambda reserves: the
 * runtime's environment sets those, and a function's value would be
 * ignored or, worse, believed by some runtimes and not others.
 */
int
fn_valid_env_name(const char *key, char **cause)
{
	const char	*p, *why;

	for (p = key; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_') ||
		    (p == key && isdigit((unsigned char)*p)))
			break;
	if (*key == '\0' || *p != '\0') {
		*cause = xasprintf("'%s' is not a variable name a function may "
		    "set", key);
		return -1;
	}
	if ((why = fn_env_reserved(key)) != NULL) {
		*cause = xasprintf("'%s' is not a variable name a function may "
		    "set: %s", key, why);
		return -1;
	}
	return 0;
}

/* May a variable hold value?  Anything but a newline. */
int
fn_valid_env_value(const char *value, char **cause)
{
	if (strchr(value, '\n') != NULL) {
		*cause = xstrdup("value contains a newline");
		return -1;
	}
	return 0;
}

/*
 * Apply set ("KEY=VALUE" strings) and then unset (KEYs) to env, a JSON
 * object (NULL or not JSON: none), checking every variable set and that
 * all of them together fit in FN_ENV_MAX bytes.  Returns 0 with *merged
 * the new object's JSON text (the caller frees it), or -1 with *cause.
 */
int
fn_env_merge(const char *env, char *const *set, char *const *unset,
    char **merged, char **cause)
{
	const char	*eq;
	cJSON		*obj, *it;
	char		*key, *err = NULL;
	size_t		 total;

	if (env == NULL || (obj = cJSON_Parse(env)) == NULL ||
	    !cJSON_IsObject(obj)) {
		if (env != NULL)
			cJSON_Delete(obj);
		obj = cJSON_CreateObject();
	}
	for (; set != NULL && *set != NULL; set++) {
		if ((eq = strchr(*set, '=')) == NULL || eq == *set) {
			*cause = xasprintf("environment variable '%s' must be "
			    "KEY=VALUE", *set);
			goto fail;
		}
		key = xstrndup(*set, eq - *set);
		if (fn_valid_env_name(key, &err) != 0 ||
		    fn_valid_env_value(eq + 1, &err) != 0) {
			*cause = xasprintf("environment variable %s: %s", key, err);
			free(err);
			free(key);
			goto fail;
		}
		/* A variable set again keeps its place (fn show's order). */
		if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
			cJSON_ReplaceItemInObjectCaseSensitive(obj, key,
			    cJSON_CreateString(eq + 1));
		else
			cJSON_AddStringToObject(obj, key, eq + 1);
		free(key);
	}
	for (; unset != NULL && *unset != NULL; unset++)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, *unset);
	total = 0;
	cJSON_ArrayForEach(it, obj)
		total += strlen(it->string) + strlen(cJSON_IsString(it) ?
		    it->valuestring : "");
	if (total > FN_ENV_MAX) {
		*cause = xasprintf("environment variables total %zu bytes; the "
		    "limit is %d", total, FN_ENV_MAX);
		goto fail;
	}
	*merged = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return 0;
fail:
	cJSON_Delete(obj);
	return -1;
}

/* The directory holding every code version of function name. */
static char *
fn_code_root(struct store *st, const char *name)
{
	return xasprintf("%s/code/%s", st->home, name);
}

/* A new, unused staging directory name beside name's code versions. */
static char *
fn_stage_dir(struct store *st, const char *name)
{
	char	rnd[9];

	util_random_hex(rnd, sizeof rnd);
	return xasprintf("%s/code/%s/.stage-%s", st->home, name, rnd);
}

/*
 * Stage code from path ("-" is stdin, saved as the handler's file) into
 * the new directory stage; the handler's file must be there.  Everything
 * is copied (util_copytree: a link named as path is followed, links
 * inside are kept as links), so the function never sees where path
 * pointed.  Returns 0 with *size the bytes copied, or -1 with *cause and
 * stage removed.
 */
static int
fn_stage(const char *path, const char *runtime, const char *handler,
    const char *stage, long long *size, char **cause)
{
	struct stat	 sb;
	char		*file = NULL, *mod, *p;
	uint64_t	 bytes = 0;
	const char	*base;

	/* Above the code itself, nothing needs to be seen by the sandbox. */
	p = xstrdup(stage);
	*strrchr(p, '/') = '\0';
	if (util_mkdirs(p, 0700) == -1) {
		*cause = xasprintf("%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	if (strcmp(path, "-") == 0) {
		mod = xstrndup(handler, strrchr(handler, '.') - handler);
		if (strcmp(runtime, "python3") == 0)
			for (p = mod; *p != '\0'; p++)
				if (*p == '.')
					*p = '/';
		if (strchr(mod, '/') != NULL) {
			*cause = xasprintf("code from stdin: handler '%s' names a "
			    "file in a directory; give a directory instead", handler);
			free(mod);
			goto fail;
		}
		file = xasprintf("%s/%s.%s", stage, mod,
		    strcmp(runtime, "node") == 0 ? "js" : "py");
		free(mod);
		if (util_mkdirs(stage, 0755) == -1) {
			*cause = xasprintf("%s: %s", stage, strerror(errno));
			goto fail;
		}
		if (util_copyfd(STDIN_FILENO, "code from stdin", file, &bytes,
		    cause) != 0)
			goto fail;
	} else if (stat(path, &sb) == -1) {
		*cause = xasprintf("code path %s: %s", path, strerror(errno));
		goto fail;
	} else if (S_ISDIR(sb.st_mode)) {
		if (util_copytree(path, stage, &bytes, cause) != 0)
			goto fail;
	} else if (S_ISREG(sb.st_mode)) {
		base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
		file = xasprintf("%s/%s", stage, base);
		if (util_mkdirs(stage, 0755) == -1) {
			*cause = xasprintf("%s: %s", stage, strerror(errno));
			goto fail;
		}
		if (util_copytree(path, file, &bytes, cause) != 0)
			goto fail;
	} else {
		*cause = xasprintf("code path %s: not a file or directory", path);
		goto fail;
	}
	if (fn_check_handler_file(stage, runtime, handler, cause) != 0)
		goto fail;
	free(file);
	*size = (long long)bytes;
	return 0;
fail:
	free(file);
	util_rmtree(stage);
	return -1;
}

/* Check the configuration fields of a function (not its name or code). */
static int
fn_check(const char *runtime, const char *handler, int memory, int timeout,
    const char *driver, char **cause)
{
	if (fn_valid_runtime(runtime, cause) != 0 ||
	    fn_valid_handler(runtime, handler, cause) != 0)
		return -1;
	if (memory < FN_MEMORY_MIN || memory > FN_MEMORY_MAX) {
		*cause = xasprintf("memory %d MB is not from %d to %d", memory,
		    FN_MEMORY_MIN, FN_MEMORY_MAX);
		return -1;
	}
	if (timeout < 1 || timeout > FN_TIMEOUT_MAX) {
		*cause = xasprintf("timeout %d s is not from 1 to %d", timeout,
		    FN_TIMEOUT_MAX);
		return -1;
	}
	return fn_valid_driver(driver, cause);
}

/*
 * Create function spec->name from spec, its code copied in.  Returns 0
 * with *fnp (if fnp is not NULL) the new function, which the caller
 * frees (NULL if it was deleted at once); or -1 with *cause, and nothing
 * left in the store or on disk.
 */
int
fn_create(struct store *st, const struct fn_spec *spec, struct fn **fnp,
    char **cause)
{
	const char	*name = spec->name, *driver;
	sqlite3_stmt	*stmt;
	struct fn	*old;
	char		*stage = NULL, *final = NULL, *env = NULL, *root, *err = NULL;
	long long	 size = 0;
	int		 memory, timeout, step, rc = -1, renamed = 0;

	if (fnp != NULL)
		*fnp = NULL;
	memory = spec->memory_mb != 0 ? spec->memory_mb : FN_MEMORY_DEFAULT;
	timeout = spec->timeout_s != 0 ? spec->timeout_s : FN_TIMEOUT_DEFAULT;
	driver = spec->driver != NULL ? spec->driver : "auto";
	if (name == NULL || spec->runtime == NULL || spec->handler == NULL ||
	    spec->code == NULL) {
		*cause = xstrdup("a new function needs a name, a runtime, a "
		    "handler and code");
		return -1;
	}
	if (fn_valid_name(name, cause) != 0 ||
	    fn_check(spec->runtime, spec->handler, memory, timeout, driver,
	    cause) != 0 ||
	    fn_env_merge(NULL, spec->env_set, NULL, &env, cause) != 0)
		return -1;
	if ((old = fn_load(st, name, &err)) != NULL) {
		fn_free(old);
		*cause = xasprintf("function '%s' already exists", name);
		goto out;
	}
	free(err);
	err = NULL;

	stage = fn_stage_dir(st, name);
	if (fn_stage(spec->code, spec->runtime, spec->handler, stage, &size,
	    cause) != 0)
		goto out;
	final = fn_code_dir(st, name, 1);
	if (store_begin(st, cause) != 0)
		goto fail;
	stmt = store_prepare(st, "INSERT INTO functions (name, runtime, "
	    "handler, memory_mb, timeout_s, env, version, code_version, "
	    "code_size, created, updated, driver) "
	    "VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?)");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, spec->runtime, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, spec->handler, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 4, memory);
	sqlite3_bind_int(stmt, 5, timeout);
	sqlite3_bind_text(stmt, 6, env, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, size);
	sqlite3_bind_double(stmt, 8, util_now());
	sqlite3_bind_double(stmt, 9, util_now());
	sqlite3_bind_text(stmt, 10, driver, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (step != SQLITE_DONE) {
		/* Another process created it since we looked. */
		*cause = step == SQLITE_CONSTRAINT ?
		    xasprintf("function '%s' already exists", name) :
		    xasprintf("store: %s", store_errmsg(st));
		store_rollback(st);
		goto fail;
	}
	/*
	 * The row is ours and we hold the write lock, so nobody else is
	 * between a rename and a commit: a directory already at final was
	 * left by a crash and can go.
	 */
	util_rmtree(final);
	if (rename(stage, final) == -1) {
		*cause = xasprintf("%s: %s", final, strerror(errno));
		store_rollback(st);
		goto fail;
	}
	renamed = 1;
	if (store_commit(st, cause) != 0) {
		store_rollback(st);
		goto fail;
	}
	store_event(st, "created", name, "%s %s", spec->runtime, spec->handler);
	if (fnp != NULL) {
		*fnp = fn_load(st, name, &err);
		free(err);
	}
	rc = 0;
	goto out;
fail:
	util_rmtree(stage);
	if (renamed)
		util_rmtree(final);	/* rolled back: the row does not exist */
out:
	if (stage != NULL) {
		root = fn_code_root(st, name);
		rmdir(root);	/* only if empty: nothing was created */
		free(root);
	}
	free(stage);
	free(final);
	free(env);
	return rc;
}

/* Would fn_update with these values (and no new code) leave fn as it is? */
static int
fn_unchanged(const struct fn *fn, const char *handler, int memory,
    int timeout, const char *driver, const char *env)
{
	cJSON	*was, *now;
	int	 same;

	if (strcmp(handler, fn->handler) != 0 || memory != fn->memory_mb ||
	    timeout != fn->timeout_s || strcmp(driver, fn->driver) != 0)
		return 0;
	/* As objects: the stored text may be spaced or ordered otherwise. */
	was = cJSON_Parse(fn->env != NULL ? fn->env : "{}");
	now = cJSON_Parse(env);
	if (was == NULL)
		was = cJSON_CreateObject();
	same = now != NULL && cJSON_Compare(was, now, 1);
	cJSON_Delete(was);
	cJSON_Delete(now);
	return same;
}

/*
 * Change function spec->name as spec asks (new code if spec->code is not
 * NULL), then bring its warm instances to the new version (hot reload)
 * and remove code nothing uses.  A spec that changes nothing (no code,
 * every value as it is, an unset of a variable that is not set) writes
 * nothing: no new version, no event, no reload, so warm instances stay
 * warm; the caller sees the version it had.  Returns 0 with *fnp (if fnp
 * is not NULL) the function as it is now, which the caller frees (NULL if
 * it was deleted at once); or -1 with *cause and the function as it was.
 */
int
fn_update(struct store *st, const struct fn_spec *spec, struct fn **fnp,
    char **cause)
{
	const char	*name = spec->name, *handler, *driver;
	struct fn	*fn;
	sqlite3_stmt	*stmt;
	char		*stage = NULL, *final = NULL, *env = NULL, *curdir, *err = NULL;
	long long	 size;
	int		 memory, timeout, step, rc = -1, new_code = spec->code != NULL;

	if (fnp != NULL)
		*fnp = NULL;
	if (name == NULL) {
		*cause = xstrdup("no function named to update");
		return -1;
	}
	if ((fn = fn_load(st, name, cause)) == NULL)
		return -1;
	handler = spec->handler != NULL ? spec->handler : fn->handler;
	memory = spec->memory_mb != 0 ? spec->memory_mb : fn->memory_mb;
	timeout = spec->timeout_s != 0 ? spec->timeout_s : fn->timeout_s;
	driver = spec->driver != NULL ? spec->driver : fn->driver;
	size = fn->code_size;
	if (fn_check(fn->runtime, handler, memory, timeout, driver, cause) != 0 ||
	    fn_env_merge(fn->env, spec->env_set, spec->env_unset, &env,
	    cause) != 0)
		goto out;
	if (!new_code && fn_unchanged(fn, handler, memory, timeout, driver,
	    env)) {
		if (fnp != NULL) {
			*fnp = fn;
			fn = NULL;
		}
		rc = 0;
		goto out;
	}
	if (new_code) {
		stage = fn_stage_dir(st, name);
		if (fn_stage(spec->code, fn->runtime, handler, stage, &size,
		    cause) != 0)
			goto out;
		final = fn_code_dir(st, name, fn->version + 1);
	} else {
		curdir = fn_code_dir(st, name, fn->code_version);
		step = fn_check_handler_file(curdir, fn->runtime, handler, cause);
		free(curdir);
		if (step != 0)
			goto out;
	}
	if (store_begin(st, cause) != 0)
		goto out;
	stmt = store_prepare(st, "UPDATE functions SET handler = ?, "
	    "memory_mb = ?, timeout_s = ?, env = ?, version = version + 1, "
	    "code_version = CASE WHEN ?5 THEN version + 1 ELSE code_version END, "
	    "code_size = ?, updated = ?, "
	    "driver = ? WHERE name = ? AND version = ?");
	sqlite3_bind_text(stmt, 1, handler, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, memory);
	sqlite3_bind_int(stmt, 3, timeout);
	sqlite3_bind_text(stmt, 4, env, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, new_code);
	sqlite3_bind_int64(stmt, 6, size);
	sqlite3_bind_double(stmt, 7, util_now());
	sqlite3_bind_text(stmt, 8, driver, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 10, fn->version);
	step = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (step != SQLITE_DONE) {
		/* The store refused (a full disk, say): say why, not "changed". */
		*cause = xasprintf("store: %s", store_errmsg(st));
		store_rollback(st);
		goto out;
	}
	if (sqlite3_changes(st->db) != 1) {
		store_rollback(st);
		*cause = xasprintf("function '%s' changed while updating it; "
		    "try again", name);
		goto out;
	}
	/* As in create: under the write lock, a directory at final is stale. */
	if (new_code)
		util_rmtree(final);
	if (new_code && rename(stage, final) == -1) {
		*cause = xasprintf("%s: %s", final, strerror(errno));
		store_rollback(st);
		goto out;
	}
	if (store_commit(st, cause) != 0) {
		store_rollback(st);
		if (new_code)
			util_rmtree(final);
		goto out;
	}
	fn_free(fn);
	if ((fn = fn_load(st, name, &err)) != NULL) {
		store_event(st, new_code ? "reloaded" : "updated", name,
		    "version %d%s", fn->version, new_code ? ", new code" : "");
		/*
		 * An instance that cannot switch is replaced on its next call;
		 * code that no instance uses any more goes.
		 */
		inst_reload(st, fn, &err);
	}
	free(err);
	if (fnp != NULL) {
		*fnp = fn;
		fn = NULL;
	}
	rc = 0;
out:
	if (stage != NULL)
		util_rmtree(stage);
	free(stage);
	free(final);
	free(env);
	fn_free(fn);
	return rc;
}

/*
 * Delete function name: its row and stored invocations, then its
 * instances and code.  Returns 0, or -1 with *cause if there is no such
 * function or the store refused.
 */
int
fn_delete(struct store *st, const char *name, char **cause)
{
	struct fn	*fn;
	sqlite3_stmt	*stmt;
	char		*dir;

	if ((fn = fn_load(st, name, cause)) == NULL)
		return -1;
	fn_free(fn);
	if (store_begin(st, cause) != 0)
		return -1;
	stmt = store_prepare(st, "DELETE FROM functions WHERE name = ?1;");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	stmt = store_prepare(st, "DELETE FROM invocations WHERE fn = ?1");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (store_commit(st, cause) != 0) {
		store_rollback(st);
		return -1;
	}
	store_event(st, "deleted", name, "%s", "");
	inst_destroy_fn(st, name);
	dir = fn_code_root(st, name);
	util_rmtree(dir);
	free(dir);
	return 0;
}
