/*
 * cmd-fn.c — fn create, fn update, fn rm: defining, changing and deleting
 * functions.
 *
 * Each command parses its options into a struct fn_spec, checking them
 * with the manager's own rules so that a bad option is a usage error
 * (exit 2) named after the option; the manager (core/fn.c) does the work:
 * staging and checking the code, the store transaction, the reload.
 * Reading functions is cmd-fn-ls.c's (fn ls, fn show), running them
 * cmd-fn-invoke.c's, their logs cmd-fn-logs.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

static const struct cmd_opt cmd_fn_create_opts[] = {
	{ "runtime", 'r', OPT_STRING, "RUNTIME", "python3 or node", 1, "python3 node" },
	{ "handler", 'H', OPT_STRING, "MOD.FUNC", "module.function (python3), file.export (node)", 1 },
	{ "code", 'c', OPT_STRING, "PATH", "directory or file of code; - reads one file from stdin", 1 },
	{ "memory", 'm', OPT_INT, "MiB", "memory limit", .min = FN_MEMORY_MIN, .max = FN_MEMORY_MAX, .def = "128" },
	{ "timeout", 't', OPT_INT, "SECONDS", "per-invocation timeout", .min = 1, .max = FN_TIMEOUT_MAX, .def = "3" },
	{ "env", 'e', OPT_LIST, "KEY=VALUE", "environment variable" },
	{ "driver", 'd', OPT_STRING, "DRIVER", "ns, qemu or auto (default: the setting driver.default)", 0, "ns qemu auto" },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct cmd_opt cmd_fn_update_opts[] = {
	{ "handler", 'H', OPT_STRING, "MOD.FUNC", "new handler" },
	{ "code", 'c', OPT_STRING, "PATH", "new code: directory, file, or - for stdin (hot reload)" },
	{ "memory", 'm', OPT_INT, "MiB", "new memory limit", .min = FN_MEMORY_MIN, .max = FN_MEMORY_MAX },
	{ "timeout", 't', OPT_INT, "SECONDS", "new per-invocation timeout", .min = 1, .max = FN_TIMEOUT_MAX },
	{ "env", 'e', OPT_LIST, "KEY=VALUE", "set an environment variable" },
	{ "unset-env", 0, OPT_LIST, "KEY", "remove an environment variable" },
	{ "driver", 'd', OPT_STRING, "DRIVER", "ns, qemu or auto: new instances start under it", 0, "ns qemu auto" },
	{ NULL, 0, 0, NULL, NULL }
};

/* An OPT_INT option into *out, if given (cmd_parse checked its bounds). */
static void
cmd_fn_int(struct cmd_ctx *ctx, const char *opt, int *out)
{
	long long	n;

	if (cmd_int(ctx, opt, &n))
		*out = (int)n;
}

/*
 * Put --env KEY=VALUE (and with can_unset --unset-env KEY) into spec,
 * each variable checked, and check that they fit merged onto env (the
 * function's JSON object, or NULL).
 */
static int
cmd_fn_env(struct cmd_ctx *ctx, const char *env, struct fn_spec *spec,
    int can_unset)
{
	char		**list, *key, *cause = NULL, *merged;
	const char	 *eq;
	int		  n, i, rc = 0;

	list = cmd_optlist(ctx, "env", &n);
	for (i = 0; i < n && rc == 0; i++) {
		if ((eq = strchr(list[i], '=')) == NULL || eq == list[i])
			return cmd_error(ctx, CMD_USAGE, "--env '%s' must be KEY=VALUE",
			    list[i]);
		key = xstrndup(list[i], eq - list[i]);
		if (fn_valid_env_name(key, &cause) != 0)
			rc = cmd_error(ctx, CMD_USAGE, "--env: %s", cause);
		else if (fn_valid_env_value(eq + 1, &cause) != 0)
			rc = cmd_error(ctx, CMD_USAGE, "--env %s: %s", key, cause);
		free(cause);
		cause = NULL;
		free(key);
	}
	if (rc != 0)
		return rc;
	spec->env_set = list;
	if (can_unset)
		spec->env_unset = cmd_optlist(ctx, "unset-env", &n);
	if (fn_env_merge(env, spec->env_set, spec->env_unset, &merged,
	    &cause) != 0)
		return cmd_fail(ctx, CMD_USAGE, cause);
	free(merged);
	return 0;
}

static const struct out_col cmd_fn_made_cols[] = {
	{ "name", "Name", OUT_STR },
	{ "version", "Version", OUT_INT },
};

/* What fn create and fn update print with -o json: name and version. */
static void
cmd_fn_made_json(struct cmd_ctx *ctx, const char *name, int version)
{
	struct out_table	*t = out_table_new(cmd_fn_made_cols,
	    nitems(cmd_fn_made_cols));

	out_table_row(t);
	out_cell_str(t, "name", name);
	out_cell_int(t, "version", version);
	out_show(ctx, t, 1);
	out_table_free(t);
}

static int
cmd_fn_create_exec(struct cmd_ctx *ctx)
{
	struct fn_spec	 spec;
	const char	*name = ctx->argv[0];
	char		*cause = NULL;
	int		 rc;

	memset(&spec, 0, sizeof spec);
	spec.name = name;
	if (fn_valid_name(name, &cause) != 0)
		return cmd_fail(ctx, CMD_USAGE, cause);
	if ((spec.runtime = cmd_opt(ctx, "runtime")) == NULL)
		return cmd_error(ctx, CMD_USAGE, "fn create %s: --runtime is "
		    "required (python3 or node)", name);
	if (fn_valid_runtime(spec.runtime, &cause) != 0)
		return cmd_fail(ctx, CMD_USAGE, cause);
	if ((spec.handler = cmd_opt(ctx, "handler")) == NULL)
		return cmd_error(ctx, CMD_USAGE, "fn create %s: --handler is "
		    "required (e.g. %s)", name, strcmp(spec.runtime, "node") == 0 ?
		    "index.handler" : "app.handler");
	if (fn_valid_handler(spec.runtime, spec.handler, &cause) != 0)
		return cmd_fail(ctx, CMD_USAGE, cause);
	if ((spec.code = cmd_opt(ctx, "code")) == NULL)
		return cmd_error(ctx, CMD_USAGE, "fn create %s: --code is required",
		    name);
	cmd_fn_int(ctx, "memory", &spec.memory_mb);
	cmd_fn_int(ctx, "timeout", &spec.timeout_s);
	spec.driver = cmd_opt(ctx, "driver");
	if (spec.driver != NULL && fn_valid_driver(spec.driver, &cause) != 0)
		return cmd_fail(ctx, CMD_USAGE, cause);
	if ((rc = cmd_fn_env(ctx, NULL, &spec, 0)) != 0)
		return rc;
	if (fn_create(ctx->store, &spec, NULL, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	if (ctx->format == OUT_JSON)
		cmd_fn_made_json(ctx, name, 1);
	else
		out_line(ctx, "created %s (%s, %s)", name, spec.runtime,
		    spec.handler);
	return CMD_OK;
}

const struct cmd_entry cmd_fn_create_entry = {
	.name = "fn create",
	.alias = "fn new",
	.opts = cmd_fn_create_opts,
	.min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "create a function from a directory or file of code",
	.example = "hearth fn create hello --runtime python3 --handler app.handler "
	    "--code ./app.py",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.exec = cmd_fn_create_exec,
};

/*
 * fn update NAME alone changes nothing: a usage error that names what can
 * change, from the option table (aws lambda update-function-configuration
 * with no options is refused too).  A variable both set and unset is one
 * the command line contradicts itself on.
 */
static int
cmd_fn_update_check(struct cmd_ctx *ctx)
{
	const struct cmd_opt	*o;
	struct buf		 b = { 0 };
	char			**set, **unset;
	size_t			 klen;
	int			 i, j, nset, nunset, rc;

	for (i = 0, o = ctx->entry->opts; o->name != NULL; o++, i++)
		if (ctx->optc[i] > 0)
			break;
	if (o->name == NULL) {
		for (o = ctx->entry->opts; o->name != NULL; o++)
			buf_printf(&b, "%s--%s", b.len == 0 ? "" :
			    o[1].name == NULL ? " or " : ", ", o->name);
		rc = cmd_error(ctx, CMD_USAGE, "fn update %s: nothing to change; "
		    "give %s", ctx->argv[0], b.data);
		buf_free(&b);
		return rc;
	}
	set = cmd_optlist(ctx, "env", &nset);
	unset = cmd_optlist(ctx, "unset-env", &nunset);
	for (i = 0; i < nset; i++) {
		klen = strcspn(set[i], "=");
		for (j = 0; j < nunset; j++)
			if (strlen(unset[j]) == klen &&
			    strncmp(set[i], unset[j], klen) == 0)
				return cmd_error(ctx, CMD_USAGE, "--env %s and "
				    "--unset-env %s: set it or unset it, not both",
				    unset[j], unset[j]);
	}
	return 0;
}

static int
cmd_fn_update_exec(struct cmd_ctx *ctx)
{
	struct fn_spec	 spec;
	struct fn	*fn;
	const char	*name = ctx->argv[0];
	char		*cause = NULL;
	int		 rc, version, was;

	if ((rc = cmd_fn_update_check(ctx)) != 0)
		return rc;
	if ((fn = fn_load(ctx->store, name, &cause)) == NULL)
		return cmd_fail(ctx, CMD_ERROR, cause);
	was = fn->version;
	memset(&spec, 0, sizeof spec);
	spec.name = name;
	spec.handler = cmd_opt(ctx, "handler");
	spec.code = cmd_opt(ctx, "code");
	spec.driver = cmd_opt(ctx, "driver");
	if (fn_valid_handler(fn->runtime, spec.handler != NULL ? spec.handler :
	    fn->handler, &cause) != 0) {
		rc = cmd_fail(ctx, CMD_USAGE, cause);
		goto out;
	}
	cmd_fn_int(ctx, "memory", &spec.memory_mb);
	cmd_fn_int(ctx, "timeout", &spec.timeout_s);
	if (spec.driver != NULL && fn_valid_driver(spec.driver, &cause) != 0) {
		rc = cmd_fail(ctx, CMD_USAGE, cause);
		goto out;
	}
	if ((rc = cmd_fn_env(ctx, fn->env, &spec, 1)) != 0)
		goto out;
	fn_free(fn);
	if (fn_update(ctx->store, &spec, &fn, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	version = fn != NULL ? fn->version : 0;
	if (ctx->format == OUT_JSON)
		cmd_fn_made_json(ctx, name, version);
	else if (version == was)
		out_line(ctx, "%s unchanged (version %d)", name, version);
	else
		out_line(ctx, "updated %s (version %d)", name, version);
	rc = CMD_OK;
out:
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
	.example = "hearth fn update hello --code ./app.py --env STAGE=dev",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.complete = COMPLETE_FN,
	.exec = cmd_fn_update_exec,
};

static int
cmd_fn_rm_one(struct cmd_ctx *ctx, const char *name, char **cause)
{
	return fn_delete(ctx->store, name, cause);
}

/* fn rm A B C: each goes or says why; the others go on (as docker rm). */
static int
cmd_fn_rm_exec(struct cmd_ctx *ctx)
{
	return cmd_remove_each(ctx, cmd_fn_rm_one);
}

const struct cmd_entry cmd_fn_rm_entry = {
	.name = "fn rm",
	.alias = "fn delete",
	.min_args = 1, .max_args = -1,
	.usage = "NAME...",
	.help = "delete functions, their instances, code and logs",
	.example = "hearth fn rm hello hello2",
	.flags = CMD_F_STORE | CMD_F_MUTATES,
	.complete = COMPLETE_FN,
	.exec = cmd_fn_rm_exec,
};
