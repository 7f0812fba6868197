/*
 * test-fn.c — the manager's function operations on a temporary store:
 * create, update (versions, code versions, environment), delete, and
 * that bad input, a name in use or a full store leaves nothing
 * half-written.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "hearth.h"
#include "store.h"
#include "check.h"

/* Argument vectors below are string literals, as a command would pass. */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static char	*home;		/* $HEARTH_HOME of this test */
static char	*code;		/* a directory of python code: app.py */

/* Is there $HEARTH_HOME/code/<name>[/<sub>]? */
static int
has(const char *name, const char *sub)
{
	char	*path = xasprintf("%s/code/%s%s%s", home, name,
	    sub != NULL ? "/" : "", sub != NULL ? sub : "");
	int	 ok = access(path, F_OK) == 0;

	free(path);
	return ok;
}

/* Entries of code/<name>, its lock aside: code versions and stray stages. */
static int
entries(const char *name, int *stages)
{
	struct dirent	*de;
	char		*path = xasprintf("%s/code/%s", home, name);
	DIR		*d = opendir(path);
	int		 n = 0;

	free(path);
	*stages = 0;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".lock") == 0)
			continue;
		n++;
		if (strncmp(de->d_name, ".stage-", 7) == 0)
			(*stages)++;
	}
	closedir(d);
	return n;
}

static int
count(struct store *st, const char *sql)
{
	sqlite3_stmt	*stmt = store_prepare(st, sql);
	int		 n = -1;

	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

static void
test_env(void)
{
	char	*set1[] = { "A=1", "B=x=y", NULL }, *set2[] = { "A=2", "C=", NULL };
	char	*unset[] = { "B", "NOPE", NULL }, *bad1[] = { "NOEQ", NULL };
	char	*bad2[] = { "AWS_LAMBDA_X=1", NULL }, *bad3[] = { "A=a\nb", NULL };
	char	*big[] = { NULL, NULL }, *merged = NULL, *cause = NULL;

	CHECK("env-1.1", fn_valid_env_name("PATH_2", &cause) == 0);
	CHECK("env-1.2", fn_valid_env_name("2X", &cause) == -1);
	CHECK_STR("env-1.3", cause, "'2X' is not a variable name a function may set");
	free(cause);
	CHECK("env-1.4", fn_valid_env_name("LAMBDA_TASK_ROOT", &cause) == -1);
	free(cause);
	CHECK("env-1.5", fn_valid_env_name("_HANDLER", &cause) == -1);
	free(cause);
	CHECK("env-1.6", fn_valid_env_name("A-B", &cause) == -1);
	free(cause);
	/* Lambda's reserved keys, named with where their value comes from. */
	CHECK("env-1.6a", fn_valid_env_name("AWS_REGION", &cause) == -1);
	CHECK_STR("env-1.6b", cause, "'AWS_REGION' is not a variable name a "
	    "function may set: Lambda reserves it; hearth sets it from the "
	    "setting lambda.region");
	free(cause);
	CHECK("env-1.6c", fn_valid_env_name("AWS_LAMBDA_ANYTHING", &cause) == -1);
	/* Each reason is true of its name: hearth does not set this one. */
	CHECK_STR("env-1.6c2", cause, "'AWS_LAMBDA_ANYTHING' is not a variable "
	    "name a function may set: Lambda reserves the AWS_LAMBDA_ prefix");
	free(cause);
	CHECK("env-1.6c3", fn_valid_env_name("AWS_LAMBDA_EXEC_WRAPPER",
	    &cause) == -1);
	CHECK_STR("env-1.6c4", cause, "'AWS_LAMBDA_EXEC_WRAPPER' is not a "
	    "variable name a function may set: hearth does not support wrapper "
	    "scripts yet (Lambda runs the script it names before the runtime)");
	free(cause);
	CHECK("env-1.6c5", fn_valid_env_name("AWS_LAMBDA_FUNCTION_NAME",
	    &cause) == -1);
	CHECK_STR("env-1.6c6", cause, "'AWS_LAMBDA_FUNCTION_NAME' is not a "
	    "variable name a function may set: Lambda reserves it; hearth sets "
	    "it to the function's name");
	free(cause);
	CHECK("env-1.6d", fn_valid_env_name("HEARTH_IDLE_TTL", &cause) == -1);
	free(cause);
	CHECK("env-1.6e", fn_valid_env_name("TZ", &cause) == 0 &&
	    fn_valid_env_name("PYTHONPATH", &cause) == 0 &&
	    fn_valid_env_name("AWS_LAMBDA_LOG_LEVEL", &cause) == 0 &&
	    fn_valid_env_name("LAMBDA_X", &cause) == 0);
	CHECK("env-1.7", fn_valid_env_value("a b=c", &cause) == 0);
	CHECK("env-1.8", fn_valid_env_value("a\nb", &cause) == -1);
	CHECK_STR("env-1.9", cause, "value contains a newline");
	free(cause);

	CHECK("env-2.1", fn_env_merge(NULL, set1, NULL, &merged, &cause) == 0);
	CHECK_STR("env-2.2", merged, "{\"A\":\"1\",\"B\":\"x=y\"}");
	free(merged);
	CHECK("env-2.3", fn_env_merge("{\"A\":\"1\",\"B\":\"x=y\"}", set2, unset,
	    &merged, &cause) == 0);
	CHECK_STR("env-2.4", merged, "{\"A\":\"2\",\"C\":\"\"}");
	free(merged);
	/* A variable set again keeps its place. */
	CHECK("env-2.4a", fn_env_merge("{\"A\":\"1\",\"B\":\"x=y\"}", set2 + 0,
	    NULL, &merged, &cause) == 0);
	CHECK_STR("env-2.4b", merged, "{\"A\":\"2\",\"B\":\"x=y\",\"C\":\"\"}");
	free(merged);
	CHECK("env-2.5", fn_env_merge("not json", NULL, NULL, &merged, &cause) == 0);
	CHECK_STR("env-2.6", merged, "{}");
	free(merged);
	CHECK("env-3.1", fn_env_merge(NULL, bad1, NULL, &merged, &cause) == -1);
	CHECK_STR("env-3.2", cause, "environment variable 'NOEQ' must be KEY=VALUE");
	free(cause);
	CHECK("env-3.3", fn_env_merge(NULL, bad2, NULL, &merged, &cause) == -1);
	free(cause);
	CHECK("env-3.4", fn_env_merge(NULL, bad3, NULL, &merged, &cause) == -1);
	CHECK_STR("env-3.5", cause, "environment variable A: value contains a newline");
	free(cause);
	/* 4096 bytes of names and values fit; one more does not. */
	big[0] = xmalloc(4 + 4093 + 1);
	memcpy(big[0], "BIG=", 4);
	memset(big[0] + 4, 'x', 4093);
	big[0][4 + 4093] = '\0';
	CHECK("env-4.1", fn_env_merge(NULL, big, NULL, &merged, &cause) == 0);
	free(merged);
	CHECK("env-4.2", fn_env_merge("{\"Z\":\"\"}", big, NULL, &merged,
	    &cause) == -1);
	CHECK_STR("env-4.3", cause, "environment variables total 4097 bytes; the "
	    "limit is 4096");
	free(cause);
	free(big[0]);
}

static void
test_create(struct store *st)
{
	struct fn_spec	 spec;
	struct fn	*fn = NULL;
	char		*cause = NULL, *env[] = { "A=1", NULL };
	char		*big[] = { NULL, NULL };
	int		 stages;

	memset(&spec, 0, sizeof spec);
	spec.name = "f";
	spec.runtime = "python3";
	spec.handler = "app.handler";
	spec.code = code;
	spec.env_set = env;
	CHECK("create-1.1", fn_create(st, &spec, &fn, &cause) == 0);
	CHECK("create-1.2", fn != NULL && fn->version == 1 &&
	    fn->code_version == 1 && fn->memory_mb == FN_MEMORY_DEFAULT &&
	    fn->timeout_s == FN_TIMEOUT_DEFAULT && fn->code_size == 43);
	CHECK_STR("create-1.3", fn != NULL ? fn->env : NULL, "{\"A\":\"1\"}");
	CHECK_STR("create-1.4", fn != NULL ? fn->driver : NULL, "auto");
	CHECK_STR("create-1.5", fn != NULL ? fn->handler : NULL, "app.handler");
	CHECK("create-1.6", has("f", "v1/app.py"));
	CHECK("create-1.7", entries("f", &stages) == 1 && stages == 0);
	CHECK("create-1.8", count(st, "SELECT count(*) FROM events WHERE "
	    "kind = 'created' AND subject = 'f'") == 1);
	fn_free(fn);

	/* Options given are kept as given. */
	spec.name = "g";
	spec.memory_mb = 256;
	spec.timeout_s = 30;
	spec.driver = "ns";
	spec.env_set = NULL;
	CHECK("create-2.1", fn_create(st, &spec, NULL, &cause) == 0);
	fn = fn_load(st, "g", &cause);
	CHECK("create-2.2", fn != NULL && fn->memory_mb == 256 &&
	    fn->timeout_s == 30 && strcmp(fn->driver, "ns") == 0 &&
	    strcmp(fn->env, "{}") == 0);
	fn_free(fn);

	/* A name in use: refused, the existing function untouched. */
	fn = NULL;
	spec.name = "f";
	CHECK("create-3.1", fn_create(st, &spec, &fn, &cause) == -1 && fn == NULL);
	CHECK_STR("create-3.2", cause, "function 'f' already exists");
	free(cause);
	cause = NULL;
	CHECK("create-3.3", entries("f", &stages) == 1 && stages == 0);
	fn = fn_load(st, "f", &cause);
	CHECK("create-3.4", fn != NULL && fn->memory_mb == FN_MEMORY_DEFAULT);
	fn_free(fn);

	/* Bad input of every kind leaves no row and no directory. */
	spec.name = "x";
	spec.handler = "nothere.handler";
	CHECK("create-4.1", fn_create(st, &spec, NULL, &cause) == -1);
	CHECK_STR("create-4.2", cause, "handler 'nothere.handler': the code has "
	    "no nothere.py");
	free(cause);
	CHECK("create-4.3", !has("x", NULL));
	spec.handler = "app.handler";
	spec.code = "/nonexistent/code";
	CHECK("create-4.4", fn_create(st, &spec, NULL, &cause) == -1);
	CHECK_STR("create-4.5", cause, "code path /nonexistent/code: No such file "
	    "or directory");
	free(cause);
	CHECK("create-4.6", !has("x", NULL));
	spec.code = code;
	spec.runtime = "ruby";
	CHECK("create-4.7", fn_create(st, &spec, NULL, &cause) == -1);
	CHECK_STR("create-4.8", cause, "unknown runtime 'ruby' (want python3 or node)");
	free(cause);
	spec.runtime = "python3";
	spec.memory_mb = 1;
	CHECK("create-4.9", fn_create(st, &spec, NULL, &cause) == -1);
	free(cause);
	spec.memory_mb = 0;
	spec.timeout_s = FN_TIMEOUT_MAX + 1;
	CHECK("create-4.10", fn_create(st, &spec, NULL, &cause) == -1);
	free(cause);
	spec.timeout_s = 0;
	spec.driver = "vmware";
	CHECK("create-4.11", fn_create(st, &spec, NULL, &cause) == -1);
	free(cause);
	spec.driver = NULL;
	big[0] = xmalloc(4 + 5000 + 1);
	memcpy(big[0], "BIG=", 4);
	memset(big[0] + 4, 'x', 5000);
	big[0][4 + 5000] = '\0';
	spec.env_set = big;
	CHECK("create-4.12", fn_create(st, &spec, NULL, &cause) == -1);
	free(cause);
	free(big[0]);
	spec.env_set = NULL;
	spec.name = "a/b";
	CHECK("create-4.13", fn_create(st, &spec, NULL, &cause) == -1);
	free(cause);
	spec.name = "x";
	spec.code = NULL;
	CHECK("create-4.14", fn_create(st, &spec, NULL, &cause) == -1);
	free(cause);
	CHECK("create-4.15", !has("x", NULL) &&
	    !has("a", NULL));
	CHECK("create-4.16", count(st, "SELECT count(*) FROM functions") == 2);
}

/* Code from stdin ("-"): one file named for the handler. */
static void
test_stdin(struct store *st)
{
	struct fn_spec	 spec;
	char		*cause = NULL;
	int		 fds[2], saved = dup(STDIN_FILENO);
	const char	*src = "def handler(e, c):\n    return 1\n";

	memset(&spec, 0, sizeof spec);
	spec.name = "s";
	spec.runtime = "python3";
	spec.handler = "main.handler";
	spec.code = "-";
	if (pipe(fds) == -1 || write(fds[1], src, strlen(src)) == -1)
		return;
	close(fds[1]);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	CHECK("stdin-1.1", fn_create(st, &spec, NULL, &cause) == 0);
	CHECK("stdin-1.2", has("s", "v1/main.py"));
	dup2(saved, STDIN_FILENO);
	close(saved);
	/* A handler in a package needs a directory: refused before reading. */
	spec.name = "s2";
	spec.handler = "pkg.main.handler";
	CHECK("stdin-2.1", fn_create(st, &spec, NULL, &cause) == -1);
	CHECK_STR("stdin-2.2", cause, "code from stdin: handler 'pkg.main.handler' "
	    "names a file in a directory; give a directory instead");
	free(cause);
	CHECK("stdin-2.3", !has("s2", NULL));
}

static void
test_update(struct store *st)
{
	struct fn_spec	 spec;
	struct fn	*fn = NULL;
	char		*cause = NULL, *set[] = { "B=2", NULL }, *unset[] = { "A", NULL };
	char		*path;
	int		 stages, gen;

	/* Configuration only: version bumps, code version stays. */
	memset(&spec, 0, sizeof spec);
	spec.name = "f";
	spec.memory_mb = 512;
	spec.env_set = set;
	spec.env_unset = unset;
	CHECK("update-1.1", fn_update(st, &spec, &fn, &cause) == 0);
	CHECK("update-1.2", fn != NULL && fn->version == 2 &&
	    fn->code_version == 1 && fn->memory_mb == 512 &&
	    fn->timeout_s == FN_TIMEOUT_DEFAULT);
	CHECK_STR("update-1.3", fn != NULL ? fn->env : NULL, "{\"B\":\"2\"}");
	CHECK_STR("update-1.4", fn != NULL ? fn->handler : NULL, "app.handler");
	CHECK("update-1.5", count(st, "SELECT count(*) FROM events WHERE "
	    "kind = 'updated' AND subject = 'f'") == 1);
	fn_free(fn);

	/*
	 * New code: a new directory.  An old version stays while an instance
	 * row names it or a runtime generation holds its directory (a shared
	 * flock), and goes at the next look once neither does.
	 */
	memset(&spec, 0, sizeof spec);
	spec.name = "f";
	spec.code = code;
	CHECK("update-2.1", fn_update(st, &spec, &fn, &cause) == 0);
	/* One counter: version 3 brought this code, so it is v3. */
	CHECK("update-2.2", fn != NULL && fn->version == 3 && fn->code_version == 3);
	CHECK("update-2.3", has("f", "v3/app.py") && !has("f", "v1") &&
	    !has("f", "v2"));
	CHECK_STR("update-2.4", fn != NULL ? fn->env : NULL, "{\"B\":\"2\"}");
	fn_free(fn);
	/* An instance being started on v3 (its creator's, so no reload). */
	CHECK("update-2.5", store_exec(st, "INSERT INTO instances (id, fn, "
	    "runtime, driver, state, pid, sock, memory_mb, fn_version, "
	    "code_version, created, last_used) VALUES ('00000000f0f0', 'f', "
	    "'python3', 'ns', 'starting', 0, '', 128, 3, 3, strftime('%s'), 0)",
	    &cause) == 0);
	CHECK("update-2.6", fn_update(st, &spec, &fn, &cause) == 0);
	CHECK("update-2.7", fn != NULL && fn->version == 4 && fn->code_version == 4);
	CHECK("update-2.8", has("f", "v3/app.py") && has("f", "v4/app.py"));
	fn_free(fn);
	/* A runtime generation running on v4. */
	path = xasprintf("%s/code/f/v4", home);
	gen = open(path, O_RDONLY | O_DIRECTORY);
	free(path);
	CHECK("update-2.9", gen != -1 && flock(gen, LOCK_SH) == 0);
	CHECK("update-2.10", fn_update(st, &spec, &fn, &cause) == 0);
	CHECK("update-2.11", fn != NULL && fn->code_version == 5 &&
	    has("f", "v3/app.py") && has("f", "v4/app.py") && has("f", "v5"));
	fn_free(fn);
	inst_gc(st);
	CHECK("update-2.12", has("f", "v3/app.py") && has("f", "v4/app.py"));
	/* Neither any more: the next look removes both, never the current. */
	CHECK("update-2.13", store_exec(st, "DELETE FROM instances", &cause) == 0);
	close(gen);
	inst_gc(st);
	CHECK("update-2.14", !has("f", "v3") && !has("f", "v4") &&
	    has("f", "v5/app.py"));
	CHECK("update-2.15", entries("f", &stages) == 1 && stages == 0);
	CHECK("update-2.16", count(st, "SELECT count(*) FROM events WHERE "
	    "kind = 'reloaded' AND subject = 'f'") == 3);

	/* Failures leave the function as it was, and no stage behind. */
	fn = NULL;
	memset(&spec, 0, sizeof spec);
	spec.name = "f";
	spec.handler = "missing.handler";
	CHECK("update-3.1", fn_update(st, &spec, &fn, &cause) == -1 && fn == NULL);
	CHECK_STR("update-3.2", cause, "handler 'missing.handler': the code has no "
	    "missing.py");
	free(cause);
	spec.code = code;	/* new code without that file: refused too */
	CHECK("update-3.3", fn_update(st, &spec, NULL, &cause) == -1);
	free(cause);
	spec.handler = NULL;
	spec.code = "/nonexistent/code";
	CHECK("update-3.4", fn_update(st, &spec, NULL, &cause) == -1);
	free(cause);
	spec.code = NULL;
	spec.timeout_s = -1;
	CHECK("update-3.5", fn_update(st, &spec, NULL, &cause) == -1);
	free(cause);
	spec.timeout_s = 0;
	spec.driver = "bogus";
	CHECK("update-3.6", fn_update(st, &spec, NULL, &cause) == -1);
	free(cause);
	fn = fn_load(st, "f", &cause);
	CHECK("update-3.7", fn != NULL && fn->version == 5 && fn->code_version == 5 &&
	    strcmp(fn->handler, "app.handler") == 0 && strcmp(fn->driver, "auto") == 0);
	fn_free(fn);
	CHECK("update-3.8", entries("f", &stages) == 1 && stages == 0 &&
	    !has("f", "v6"));

	/*
	 * A change to nothing (the values it has, a variable set to its
	 * value, an unset of one that is not set) writes nothing: the same
	 * version, no event, no reload for warm instances.
	 */
	memset(&spec, 0, sizeof spec);
	spec.name = "f";
	spec.memory_mb = 512;
	spec.timeout_s = FN_TIMEOUT_DEFAULT;
	spec.handler = "app.handler";
	spec.driver = "auto";
	spec.env_set = set;
	spec.env_unset = unset;
	gen = count(st, "SELECT count(*) FROM events WHERE subject = 'f'");
	CHECK("update-5.1", fn_update(st, &spec, &fn, &cause) == 0);
	CHECK("update-5.2", fn != NULL && fn->version == 5 &&
	    fn->code_version == 5);
	fn_free(fn);
	CHECK("update-5.3", count(st, "SELECT count(*) FROM events WHERE "
	    "subject = 'f'") == gen);
	CHECK("update-5.4", count(st, "SELECT version FROM functions WHERE "
	    "name = 'f'") == 5);
	spec.memory_mb = 256;	/* one real change: a new version */
	CHECK("update-5.5", fn_update(st, &spec, &fn, &cause) == 0);
	CHECK("update-5.6", fn != NULL && fn->version == 6 && fn->memory_mb == 256);
	fn_free(fn);
	CHECK("update-5.7", count(st, "SELECT count(*) FROM events WHERE "
	    "subject = 'f'") == gen + 1);
	spec.memory_mb = 512;
	CHECK("update-5.8", fn_update(st, &spec, NULL, &cause) == 0);

	spec.name = "nope";
	spec.driver = NULL;
	CHECK("update-4.1", fn_update(st, &spec, NULL, &cause) == -1);
	CHECK_STR("update-4.2", cause, "no function 'nope'");
	free(cause);
}

static void
test_delete(struct store *st)
{
	char	*cause = NULL;

	CHECK("delete-1.1", store_exec(st, "INSERT INTO invocations (request_id, "
	    "fn, ts, status, duration_ms, init_ms, max_mem_mb, log) VALUES "
	    "('r1', 'f', 0, 'ok', 1, 0, 9, '')", &cause) == 0);
	CHECK("delete-1.2", fn_delete(st, "f", &cause) == 0);
	CHECK("delete-1.3", count(st, "SELECT count(*) FROM functions WHERE "
	    "name = 'f'") == 0);
	CHECK("delete-1.4", count(st, "SELECT count(*) FROM invocations WHERE "
	    "fn = 'f'") == 0);
	CHECK("delete-1.5", !has("f", NULL));
	CHECK("delete-1.6", count(st, "SELECT count(*) FROM events WHERE "
	    "kind = 'deleted' AND subject = 'f'") == 1);
	CHECK("delete-1.7", has("g", "v1"));	/* others stay */
	CHECK("delete-2.1", fn_delete(st, "f", &cause) == -1);
	CHECK_STR("delete-2.2", cause, "no function 'f'");
	free(cause);
}

/*
 * A store that cannot grow (max_page_count stands in for a full disk,
 * and gives SQLite's SQLITE_FULL): fn update says so, as every full-disk
 * failure is said, not that the function changed meanwhile, and leaves
 * the function, its code and its directory as they were.
 */
static void
test_full(struct store *st)
{
	struct fn_spec	 spec;
	struct fn	*fn;
	char		*cause = NULL, *sql, value[4001], *set[] = { NULL, NULL };
	int		 stages, before;

	fn = fn_load(st, "g", &cause);
	CHECK("full-1.0", fn != NULL);
	if (fn == NULL)
		return;
	before = fn->code_version;
	fn_free(fn);
	sql = xasprintf("PRAGMA max_page_count = %d",
	    count(st, "PRAGMA page_count"));
	CHECK("full-1.1", store_exec(st, sql, &cause) == 0);
	free(sql);
	/* Use up the free pages, so the next write needs a new one. */
	while (store_exec(st, "INSERT INTO events (ts, kind, subject, detail) "
	    "VALUES (0, 'filler', 'g', printf('%.2000c', 'x'))", &cause) == 0)
		;
	CHECK_STR("full-1.2", cause, "store: No space left on device");
	free(cause);
	cause = NULL;

	memset(value, 'v', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	set[0] = xasprintf("BIG=%s", value);
	memset(&spec, 0, sizeof spec);
	spec.name = "g";
	spec.code = code;
	spec.env_set = set;
	CHECK("full-1.3", fn_update(st, &spec, NULL, &cause) == -1);
	CHECK_STR("full-1.4", cause, "store: No space left on device");
	free(cause);
	cause = NULL;
	fn = fn_load(st, "g", &cause);
	CHECK("full-1.5", fn != NULL && fn->code_version == before &&
	    strstr(fn->env, "BIG") == NULL);
	fn_free(fn);
	CHECK("full-1.6", entries("g", &stages) >= 1 && stages == 0);
	sql = xasprintf("v%d", before + 1);
	CHECK("full-1.7", !has("g", sql));
	free(sql);

	/* Room again: the same update goes through. */
	CHECK("full-2.1", store_exec(st, "PRAGMA max_page_count = 1073741823; "
	    "DELETE FROM events WHERE kind = 'filler'", &cause) == 0);
	CHECK("full-2.2", fn_update(st, &spec, &fn, &cause) == 0 && fn != NULL &&
	    fn->code_version == before + 1 && strstr(fn->env, "BIG") != NULL);
	fn_free(fn);
	free(set[0]);
}

int
main(void)
{
	char		 dir[] = "/tmp/hearth-unit.XXXXXX", *cause = NULL, *app;
	struct store	*st;

	if (mkdtemp(dir) == NULL)
		return 1;
	home = xasprintf("%s/home", dir);
	setenv("HEARTH_HOME", home, 1);
	code = xasprintf("%s/code", dir);
	app = xasprintf("%s/app.py", code);
	mkdir(code, 0755);
	/* 43 bytes */
	if (util_write_file(app, "def handler(event, context):\n    return 1\n",
	    43, &cause) != 0)
		return 1;
	if ((st = store_open(home, &cause)) == NULL) {
		fprintf(stderr, "store: %s\n", cause);
		return 1;
	}
	test_env();
	test_create(st);
	test_stdin(st);
	test_update(st);
	test_delete(st);
	test_full(st);
	store_close(st);
	util_rmtree(dir);
	free(app);
	free(code);
	free(home);
	CHECK_DONE();
}
