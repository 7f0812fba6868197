/*
 * cmd-fn.c — fn create, update, ls, show, rm: managing functions.
 *
 * Code is staged into a temporary directory beside its final place,
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

#include "hearth.h"

static const struct cmd_opt cmd_fn_create_opts[] = {
	{ "runtime", 'r', OPT_STRING, "RUNTIME", "python3 or node" },
	{ "handler", 'H', OPT_STRING, "MOD.FUNC", "handler: module.function (python3), file.export (node)" },
	{ "code", 'c', OPT_STRING, "PATH", "directory or file of code; - reads one file from stdin" },
	{ "memory", 'm', OPT_STRING, "MB", "memory limit, 64 to 10240 (default 128)" },
	{ "timeout", 't', OPT_STRING, "SECONDS", "per-invocation timeout, 1 to 900 (default 3)" },
	{ "env", 'e', OPT_LIST, "KEY=VALUE", "environment variable (repeatable)" },
	{ "driver", 'd', OPT_STRING, "DRIVER", "ns, qemu or auto (default: the setting driver.default)" },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct cmd_opt cmd_fn_update_opts[] = {
	{ "handler", 'H', OPT_STRING, "MOD.FUNC", "new handler" },
	{ "code", 'c', OPT_STRING, "PATH", "new code: directory, file, or - for stdin (hot reload)" },
	{ "memory", 'm', OPT_STRING, "MB", "memory limit, 64 to 10240" },
	{ "timeout", 't', OPT_STRING, "SECONDS", "per-invocation timeout, 1 to 900" },
	{ "env", 'e', OPT_LIST, "KEY=VALUE", "set an environment variable (repeatable)" },
	{ "unset-env", 0, OPT_LIST, "KEY", "remove an environment variable (repeatable)" },
	{ "driver", 'd', OPT_STRING, "DRIVER", "ns, qemu or auto: new instances start under it" },
	{ NULL, 0, 0, NULL, NULL }
};

static int
cmd_fn_int(struct cmd_ctx *ctx, const char *opt, long long min, long long max,
    int *out)
{
	const char	*v = cmd_opt(ctx, opt);
	long long	 n;

	if (v == NULL)
		return 0;
	if (util_parse_int(v, min, max, &n) != 0)
		return cmd_error(ctx, CMD_USAGE, "--%s '%s' must be a whole number "
		    "from %lld to %lld", opt, v, min, max);
	*out = (int)n;
	return 0;
}

/* Merge --env KEY=VALUE and --unset-env KEY into the JSON object env. */
static int
cmd_fn_env(struct cmd_ctx *ctx, cJSON *env, int can_unset)
{
	char		**list, *key;
	const char	 *eq, *p;
	cJSON		 *it;
	size_t		  total;
	int		  n, i;

	list = cmd_optlist(ctx, "env", &n);
	for (i = 0; i < n; i++) {
		if ((eq = strchr(list[i], '=')) == NULL || eq == list[i])
			return cmd_error(ctx, CMD_USAGE, "--env '%s' must be KEY=VALUE",
			    list[i]);
		key = xstrndup(list[i], eq - list[i]);
		for (p = key; *p != '\0'; p++)
			if (!(isalnum((unsigned char)*p) || *p == '_') ||
			    (p == key && isdigit((unsigned char)*p)))
				break;
		if (*p != '\0' || strncmp(key, "AWS_LAMBDA_", 11) == 0 ||
		    strncmp(key, "LAMBDA_", 7) == 0 || strcmp(key, "_HANDLER") == 0) {
			cmd_error(ctx, CMD_USAGE, "--env: '%s' is not a variable name "
			    "a function may set", key);
			free(key);
			return CMD_USAGE;
		}
		if (strchr(eq + 1, '\n') != NULL) {
			cmd_error(ctx, CMD_USAGE, "--env %s: value contains a newline",
			    key);
			free(key);
			return CMD_USAGE;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(env, key);
		cJSON_AddStringToObject(env, key, eq + 1);
		free(key);
	}
	if (can_unset) {
		list = cmd_optlist(ctx, "unset-env", &n);
		for (i = 0; i < n; i++)
			cJSON_DeleteItemFromObjectCaseSensitive(env, list[i]);
	}
	/* As on Lambda: all variables together fit in 4 KB. */
	total = 0;
	cJSON_ArrayForEach(it, env)
		total += strlen(it->string) + strlen(cJSON_IsString(it) ?
		    it->valuestring : "");
	if (total > 4096)
		return cmd_error(ctx, CMD_USAGE, "environment variables total %zu "
		    "bytes; the limit is 4096", total);
	return 0;
}

/*
 * Stage code from path ("-" is stdin, saved as the handler's file) into a
 * new directory stage; the handler's file must be there.  Everything is
 * copied (util_copytree: a link named as path is followed, links inside
 * are kept as links), so the function never sees where path pointed.
 */
static int
cmd_fn_stage(struct cmd_ctx *ctx, const char *path, const char *runtime,
    const char *handler, const char *stage, long long *size)
{
	struct stat	 sb;
	char		*cause = NULL, *file = NULL, *mod, *p;
	uint64_t	 bytes = 0;
	const char	*base;

	/* Above the code itself, nothing needs to be seen by the sandbox. */
	p = xstrdup(stage);
	*strrchr(p, '/') = '\0';
	if (util_mkdirs(p, 0700) == -1) {
		cause = xasprintf("%s: %s", p, strerror(errno));
		free(p);
		return cmd_fail(ctx, CMD_ERROR, cause);
	}
	free(p);
	if (strcmp(path, "-") == 0) {
		mod = xstrndup(handler, strrchr(handler, '.') - handler);
		if (strcmp(runtime, "python3") == 0)
			for (p = mod; *p != '\0'; p++)
				if (*p == '.')
					*p = '/';
		if (strchr(mod, '/') != NULL) {
			cause = xasprintf("code from stdin: handler '%s' names a "
			    "file in a directory; give a directory instead", handler);
			free(mod);
			goto fail;
		}
		file = xasprintf("%s/%s.%s", stage, mod,
		    strcmp(runtime, "node") == 0 ? "js" : "py");
		free(mod);
		if (util_mkdirs(stage, 0755) == -1) {
			cause = xasprintf("%s: %s", stage, strerror(errno));
			goto fail;
		}
		if (util_copyfd(STDIN_FILENO, "code from stdin", file, &bytes,
		    &cause) != 0)
			goto fail;
	} else if (stat(path, &sb) == -1) {
		cause = xasprintf("code path %s: %s", path, strerror(errno));
		goto fail;
	} else if (S_ISDIR(sb.st_mode)) {
		if (util_copytree(path, stage, &bytes, &cause) != 0)
			goto fail;
	} else if (S_ISREG(sb.st_mode)) {
		base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
		file = xasprintf("%s/%s", stage, base);
		if (util_mkdirs(stage, 0755) == -1) {
			cause = xasprintf("%s: %s", stage, strerror(errno));
			goto fail;
		}
		if (util_copytree(path, file, &bytes, &cause) != 0)
			goto fail;
	} else {
		cause = xasprintf("code path %s: not a file or directory", path);
		goto fail;
	}
	if (fn_check_handler_file(stage, runtime, handler, &cause) != 0)
		goto fail;
	free(file);
	*size = (long long)bytes;
	return 0;
fail:
	free(file);
	util_rmtree(stage);
	return cmd_fail(ctx, CMD_ERROR, cause);
}

static char *
cmd_fn_stage_dir(struct cmd_ctx *ctx, const char *name)
{
	char	rnd[9];

	util_random_hex(rnd, sizeof rnd);
	return xasprintf("%s/code/%s/.stage-%s", ctx->store->home, name, rnd);
}

static int
cmd_fn_create_exec(struct cmd_ctx *ctx)
{
	const char	*name = ctx->argv[0], *runtime, *handler, *code, *driver;
	char		*cause = NULL, *stage = NULL, *final = NULL, *envs = NULL;
	cJSON		*env = NULL;
	sqlite3_stmt	*stmt;
	struct fn	*old;
	long long	 size = 0;
	int		 memory = 128, timeout = 3, rc, renamed = 0;

	if (fn_valid_name(name, &cause) != 0)
		goto usage;
	if ((runtime = cmd_opt(ctx, "runtime")) == NULL)
		return cmd_error(ctx, CMD_USAGE, "fn create %s: --runtime is "
		    "required (python3 or node)", name);
	if (fn_valid_runtime(runtime, &cause) != 0)
		goto usage;
	if ((handler = cmd_opt(ctx, "handler")) == NULL)
		return cmd_error(ctx, CMD_USAGE, "fn create %s: --handler is "
		    "required (e.g. %s)", name, strcmp(runtime, "node") == 0 ?
		    "index.handler" : "app.handler");
	if (fn_valid_handler(runtime, handler, &cause) != 0)
		goto usage;
	if ((code = cmd_opt(ctx, "code")) == NULL)
		return cmd_error(ctx, CMD_USAGE, "fn create %s: --code is required",
		    name);
	if ((rc = cmd_fn_int(ctx, "memory", FN_MEMORY_MIN, FN_MEMORY_MAX, &memory)) != 0 ||
	    (rc = cmd_fn_int(ctx, "timeout", 1, FN_TIMEOUT_MAX, &timeout)) != 0)
		return rc;
	driver = cmd_opt(ctx, "driver") != NULL ? cmd_opt(ctx, "driver") : "auto";
	if (fn_valid_driver(driver, &cause) != 0)
		goto usage;
	env = cJSON_CreateObject();
	if ((rc = cmd_fn_env(ctx, env, 0)) != 0)
		goto out;
	if ((old = fn_load(ctx->store, name, &cause)) != NULL) {
		fn_free(old);
		rc = cmd_error(ctx, CMD_ERROR, "function '%s' already exists", name);
		goto out;
	}
	free(cause);
	cause = NULL;

	stage = cmd_fn_stage_dir(ctx, name);
	if ((rc = cmd_fn_stage(ctx, code, runtime, handler, stage, &size)) != 0)
		goto out;
	final = fn_code_dir(ctx->store, name, 1);
	envs = cJSON_PrintUnformatted(env);
	if (store_begin(ctx->store, &cause) != 0)
		goto fail;
	stmt = store_prepare(ctx->store, "INSERT INTO functions (name, runtime, "
	    "handler, memory_mb, timeout_s, env, version, code_version, "
	    "code_size, created, updated, driver) "
	    "VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?)");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, runtime, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, handler, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 4, memory);
	sqlite3_bind_int(stmt, 5, timeout);
	sqlite3_bind_text(stmt, 6, envs, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, size);
	sqlite3_bind_double(stmt, 8, util_now());
	sqlite3_bind_double(stmt, 9, util_now());
	sqlite3_bind_text(stmt, 10, driver, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		/* Another process created it since we looked. */
		cause = rc == SQLITE_CONSTRAINT ?
		    xasprintf("function '%s' already exists", name) :
		    xasprintf("store: %s", sqlite3_errmsg(ctx->store->db));
		store_rollback(ctx->store);
		goto fail;
	}
	/*
	 * The row is ours and we hold the write lock, so nobody else is
	 * between a rename and a commit: a directory already at final was
	 * left by a crash and can go.
	 */
	util_rmtree(final);
	if (rename(stage, final) == -1) {
		cause = xasprintf("%s: %s", final, strerror(errno));
		store_rollback(ctx->store);
		goto fail;
	}
	renamed = 1;
	if (store_commit(ctx->store, &cause) != 0) {
		store_rollback(ctx->store);
		goto fail;
	}
	store_event(ctx->store, "created", name, "%s %s", runtime, handler);
	if (ctx->format == OUT_JSON)
		fprintf(ctx->out, "{\"name\": \"%s\", \"version\": 1}\n", name);
	else
		fprintf(ctx->out, "created %s (%s, %s)\n", name, runtime, handler);
	rc = CMD_OK;
	goto out;
usage:
	rc = cmd_error(ctx, CMD_USAGE, "%s", cause);
	goto out;
fail:
	rc = cmd_error(ctx, CMD_ERROR, "%s", cause);
	util_rmtree(stage);
	if (renamed)
		util_rmtree(final);	/* rolled back: the row does not exist */
out:
	if (stage != NULL) {
		char *parent = xasprintf("%s/code/%s", ctx->store->home, name);

		rmdir(parent);	/* only if empty: nothing was created */
		free(parent);
	}
	free(cause);
	free(stage);
	free(final);
	free(envs);
	cJSON_Delete(env);
	return rc;
}

const struct cmd_entry cmd_fn_create_entry = {
	.name = "fn create",
	.alias = "fn new",
	.opts = cmd_fn_create_opts,
	.min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "create a function from a directory or file of code",
	.long_help = "Example:\n  hearth fn create hello --runtime python3 "
	    "--handler app.handler --code ./app.py",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.exec = cmd_fn_create_exec,
};

/* Remove code versions older than the previous one: nothing runs them. */
static void
cmd_fn_prune_code(struct store *st, const struct fn *fn)
{
	char	*dir;
	int	 v;

	for (v = fn->code_version - 2; v >= 1; v--) {
		dir = fn_code_dir(st, fn->name, v);
		if (access(dir, F_OK) != 0) {
			free(dir);
			break;
		}
		util_rmtree(dir);
		free(dir);
	}
}

static int
cmd_fn_update_exec(struct cmd_ctx *ctx)
{
	const char	*name = ctx->argv[0], *code, *handler, *driver;
	struct fn	*fn;
	char		*cause = NULL, *stage = NULL, *final = NULL, *envs = NULL;
	char		*curdir = NULL;
	cJSON		*env = NULL;
	sqlite3_stmt	*stmt;
	long long	 size;
	int		 memory, timeout, rc, new_code;

	if ((fn = fn_load(ctx->store, name, &cause)) == NULL)
		return cmd_fail(ctx, CMD_ERROR, cause);
	memory = fn->memory_mb;
	timeout = fn->timeout_s;
	size = fn->code_size;
	handler = cmd_opt(ctx, "handler") != NULL ? cmd_opt(ctx, "handler") :
	    fn->handler;
	code = cmd_opt(ctx, "code");
	new_code = code != NULL;
	if (fn_valid_handler(fn->runtime, handler, &cause) != 0) {
		rc = cmd_error(ctx, CMD_USAGE, "%s", cause);
		goto out;
	}
	if ((rc = cmd_fn_int(ctx, "memory", FN_MEMORY_MIN, FN_MEMORY_MAX, &memory)) != 0 ||
	    (rc = cmd_fn_int(ctx, "timeout", 1, FN_TIMEOUT_MAX, &timeout)) != 0)
		goto out;
	driver = cmd_opt(ctx, "driver") != NULL ? cmd_opt(ctx, "driver") : fn->driver;
	if (fn_valid_driver(driver, &cause) != 0) {
		rc = cmd_error(ctx, CMD_USAGE, "%s", cause);
		goto out;
	}
	if ((env = cJSON_Parse(fn->env)) == NULL)
		env = cJSON_CreateObject();
	if ((rc = cmd_fn_env(ctx, env, 1)) != 0)
		goto out;
	if (new_code) {
		stage = cmd_fn_stage_dir(ctx, name);
		if ((rc = cmd_fn_stage(ctx, code, fn->runtime, handler, stage,
		    &size)) != 0)
			goto out;
		final = fn_code_dir(ctx->store, name, fn->code_version + 1);
	} else {
		curdir = fn_code_dir(ctx->store, name, fn->code_version);
		if (fn_check_handler_file(curdir, fn->runtime, handler, &cause) != 0) {
			rc = cmd_error(ctx, CMD_ERROR, "%s", cause);
			goto out;
		}
	}
	envs = cJSON_PrintUnformatted(env);
	if (store_begin(ctx->store, &cause) != 0) {
		rc = cmd_error(ctx, CMD_ERROR, "%s", cause);
		goto out;
	}
	stmt = store_prepare(ctx->store, "UPDATE functions SET handler = ?, "
	    "memory_mb = ?, timeout_s = ?, env = ?, version = version + 1, "
	    "code_version = code_version + ?, code_size = ?, updated = ?, "
	    "driver = ? WHERE name = ? AND version = ?");
	sqlite3_bind_text(stmt, 1, handler, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, memory);
	sqlite3_bind_int(stmt, 3, timeout);
	sqlite3_bind_text(stmt, 4, envs, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, new_code);
	sqlite3_bind_int64(stmt, 6, size);
	sqlite3_bind_double(stmt, 7, util_now());
	sqlite3_bind_text(stmt, 8, driver, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 10, fn->version);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE || sqlite3_changes(ctx->store->db) != 1) {
		store_rollback(ctx->store);
		rc = cmd_error(ctx, CMD_ERROR, "function '%s' changed while "
		    "updating it; try again", name);
		goto out;
	}
	/* As in create: under the write lock, a directory at final is stale. */
	if (new_code)
		util_rmtree(final);
	if (new_code && rename(stage, final) == -1) {
		rc = cmd_error(ctx, CMD_ERROR, "%s: %s", final, strerror(errno));
		store_rollback(ctx->store);
		goto out;
	}
	if (store_commit(ctx->store, &cause) != 0) {
		store_rollback(ctx->store);
		if (new_code)
			util_rmtree(final);
		rc = cmd_error(ctx, CMD_ERROR, "%s", cause);
		goto out;
	}
	fn_free(fn);
	fn = fn_load(ctx->store, name, &cause);
	if (fn != NULL) {
		store_event(ctx->store, new_code ? "reloaded" : "updated", name,
		    "version %d%s", fn->version, new_code ? ", new code" : "");
		inst_reload(ctx->store, fn, &cause);
		cmd_fn_prune_code(ctx->store, fn);
	}
	if (ctx->format == OUT_JSON)
		fprintf(ctx->out, "{\"name\": \"%s\", \"version\": %d}\n", name,
		    fn != NULL ? fn->version : 0);
	else
		fprintf(ctx->out, "updated %s (version %d)\n", name,
		    fn != NULL ? fn->version : 0);
	rc = CMD_OK;
out:
	if (stage != NULL)
		util_rmtree(stage);
	free(cause);
	free(stage);
	free(final);
	free(curdir);
	free(envs);
	cJSON_Delete(env);
	fn_free(fn);
	return rc;
}

const struct cmd_entry cmd_fn_update_entry = {
	.name = "fn update",
	.opts = cmd_fn_update_opts,
	.min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "change a function's code or configuration (hot reload)",
	.long_help = "Warm instances switch to the new code or configuration "
	    "without restarting their sandbox;\nan invocation in flight "
	    "finishes on the old code.",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.complete = COMPLETE_FN,
	.exec = cmd_fn_update_exec,
};

static int
cmd_fn_rm_exec(struct cmd_ctx *ctx)
{
	const char	*name = ctx->argv[0];
	struct fn	*fn;
	sqlite3_stmt	*stmt;
	char		*cause = NULL, *dir;

	if ((fn = fn_load(ctx->store, name, &cause)) == NULL)
		return cmd_fail(ctx, CMD_ERROR, cause);
	fn_free(fn);
	if (store_begin(ctx->store, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	stmt = store_prepare(ctx->store, "DELETE FROM functions WHERE name = ?1;");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	stmt = store_prepare(ctx->store, "DELETE FROM invocations WHERE fn = ?1");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (store_commit(ctx->store, &cause) != 0) {
		store_rollback(ctx->store);
		return cmd_fail(ctx, CMD_ERROR, cause);
	}
	store_event(ctx->store, "deleted", name, "%s", "");
	inst_destroy_fn(ctx->store, name);
	dir = xasprintf("%s/code/%s", ctx->store->home, name);
	util_rmtree(dir);
	free(dir);
	if (ctx->format != OUT_JSON)
		fprintf(ctx->out, "removed %s\n", name);
	return CMD_OK;
}

const struct cmd_entry cmd_fn_rm_entry = {
	.name = "fn rm",
	.alias = "fn delete",
	.min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "delete a function, its instances, code and logs",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.complete = COMPLETE_FN,
	.exec = cmd_fn_rm_exec,
};
