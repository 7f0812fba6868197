/*
 * cmd-fn-ls.c — fn ls and fn show: functions as the manager lists them
 * (list_fns, list_fn_show), the same rows the console's Functions view
 * and details pane show.  A secret-looking variable is masked by the
 * manager's one rule (list_env_masked), as the console masks it.
 */
#include <stdlib.h>

#include "hearth.h"

static const struct out_col cmd_fn_ls_cols[] = {
	{ "name", "NAME", OUT_STR },
	{ "runtime", "RUNTIME", OUT_STR },
	{ "driver", "DRIVER", OUT_STR },
	{ "handler", "HANDLER", OUT_STR },
	{ "memory_mb", "MEMORY", OUT_INT, "MiB" },
	{ "timeout_s", "TIMEOUT", OUT_INT, "s" },
	{ "version", "VERSION", OUT_INT },
	{ "instances", "INSTANCES", OUT_INT },
	{ "invocations", "INVOCATIONS", OUT_INT },
};

static int
cmd_fn_ls_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;
	struct list_fn		*fns;
	char			*cause = NULL;
	int			 n, i;

	inst_gc(ctx->store);	/* dead rows go; list_fns counts only live ones anyway */
	if (list_fns(ctx->store, &fns, &n, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	t = out_table_new(cmd_fn_ls_cols, nitems(cmd_fn_ls_cols));
	for (i = 0; i < n; i++) {
		out_table_row(t);
		out_cell_str(t, "name", fns[i].name);
		out_cell_str(t, "runtime", fns[i].runtime);
		out_cell_str(t, "driver", fn_driver(fns[i].driver));
		out_cell_str(t, "handler", fns[i].handler);
		out_cell_int(t, "memory_mb", fns[i].memory_mb);
		out_cell_int(t, "timeout_s", fns[i].timeout_s);
		out_cell_int(t, "version", fns[i].version);
		out_cell_int(t, "instances", fns[i].instances);
		out_cell_int(t, "invocations", fns[i].invocations);
	}
	list_fns_free(fns, n);
	out_show(ctx, t, 0);
	out_table_free(t);
	return CMD_OK;
}

const struct cmd_entry cmd_fn_ls_entry = {
	.name = "fn ls",
	.alias = "fn list",
	.min_args = 0, .max_args = 0,
	.help = "list functions",
	.example = "hearth fn ls -q",
	.flags = CMD_F_STORE | CMD_F_OUTPUT | CMD_F_LIST,
	.exec = cmd_fn_ls_exec,
};

static const struct out_col cmd_fn_show_cols[] = {
	{ "name", "Name", OUT_STR },
	{ "runtime", "Runtime", OUT_STR },
	{ "handler", "Handler", OUT_STR },
	{ "memory_mb", "Memory", OUT_INT, "MiB" },
	{ "timeout_s", "Timeout", OUT_INT, "s" },
	{ "driver", "Driver", OUT_STR },
	{ "driver_now", "Runs under", OUT_STR },
	{ "env", "Environment", OUT_JSONRAW },
	{ "version", "Version", OUT_INT },
	{ "code_size", "Code size", OUT_INT, "B" },
	{ "code_dir", "Code", OUT_STR },
	{ "instances", "Instances", OUT_INT },
	{ "invocations", "Invocations", OUT_INT },
	{ "errors", "Errors", OUT_INT },
	{ "created", "Created", OUT_TIME },
	{ "updated", "Updated", OUT_TIME },
};

static int
cmd_fn_show_exec(struct cmd_ctx *ctx)
{
	struct out_table	*t;
	struct list_fn_show	 s;
	char			*cause = NULL, *env;

	inst_gc(ctx->store);	/* its count is of usable instances */
	if (list_fn_show(ctx->store, ctx->argv[0], &s, &cause) != 0)
		return cmd_fail(ctx, CMD_ERROR, cause);
	t = out_table_new(cmd_fn_show_cols, nitems(cmd_fn_show_cols));
	out_table_row(t);
	out_cell_str(t, "name", s.fn->name);
	out_cell_str(t, "runtime", s.fn->runtime);
	out_cell_str(t, "handler", s.fn->handler);
	out_cell_int(t, "memory_mb", s.fn->memory_mb);
	out_cell_int(t, "timeout_s", s.fn->timeout_s);
	out_cell_str(t, "driver", s.fn->driver);
	out_cell_str(t, "driver_now", fn_driver(s.fn->driver));
	env = cmd_flag(ctx, "show-secrets") ? xstrdup(s.fn->env) :
	    list_env_masked(s.fn->env);
	out_cell_json(t, "env", env);
	free(env);
	out_cell_int(t, "version", s.fn->version);
	out_cell_int(t, "code_size", s.fn->code_size);
	out_cell_str(t, "code_dir", s.code_dir);
	out_cell_int(t, "instances", s.instances);
	out_cell_int(t, "invocations", s.invocations);
	out_cell_int(t, "errors", s.errors);
	out_cell_time(t, "created", s.fn->created);
	out_cell_time(t, "updated", s.fn->updated);
	out_show(ctx, t, 1);
	out_table_free(t);
	list_fn_show_free(&s);
	return CMD_OK;
}

static const struct cmd_opt cmd_fn_show_opts[] = {
	{ "show-secrets", 0, OPT_FLAG, NULL, "print secret-looking variables "
	    "(*SECRET*, *TOKEN*, *PASSWORD*, *KEY*, ...) in clear" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry cmd_fn_show_entry = {
	.name = "fn show",
	.alias = "fn get",
	.opts = cmd_fn_show_opts,
	.min_args = 1, .max_args = 1,
	.usage = "NAME",
	.help = "show a function's configuration and counters",
	.long_help = "Values of variables whose names look secret are shown as "
	    "******** (as in the\nconsole) unless --show-secrets is given.",
	.example = "hearth fn show hello -o json",
	.flags = CMD_F_STORE | CMD_F_OUTPUT,
	.complete = COMPLETE_FN,
	.exec = cmd_fn_show_exec,
};
