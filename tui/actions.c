/*
 * actions.c — what the console's keys do.
 *
 * Each action is a small function over the console state, listed once in
 * tui_actions[] with its name (used by `bind` lines and help), whether it
 * changes anything (refused in --readonly) and a line of help.  Actions
 * that change state or take time start a child `hearth` (job.c) and
 * report through the status line and an output pane when it finishes.
 * What an action shows is read from the manager (list.c, fn.c), never
 * from the store or a driver directly: details are `fn show`'s rows.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tui.h"

static void
act_quit(struct tui *t)
{
	t->quit = 1;
}

/*
 * Move the selection by rows.  A paged view (Events) that has older
 * rows than it loaded loads more when the selection would go past its
 * last: scrolling down reaches the oldest event the store keeps.
 */
static void
act_move(struct tui *t, int by)
{
	if (t->view->paged && t->more && t->sel + by >= t->nshown) {
		t->limit = t->sel + by + 1 > t->limit + TUI_PAGE_ROWS ?
		    t->sel + by + 1 : t->limit + TUI_PAGE_ROWS;
		tui_reload(t);
	}
	t->sel += by;
	if (t->sel >= t->nshown)
		t->sel = t->nshown - 1;
	if (t->sel < 0)
		t->sel = 0;
	t->dirty = 1;
}

static void act_down(struct tui *t) { act_move(t, 1); }
static void act_up(struct tui *t) { act_move(t, -1); }
static void act_pgdown(struct tui *t) { act_move(t, LINES / 2); }
static void act_pgup(struct tui *t) { act_move(t, -LINES / 2); }
static void act_top(struct tui *t) { act_move(t, -t->nshown); }

static void
act_bottom(struct tui *t)
{
	if (t->view->paged && t->more) {
		t->limit = -1;		/* every row: the oldest is the bottom */
		tui_reload(t);
	}
	act_move(t, t->nshown);
}

static void
prompt_command_done(struct tui *t, const char *line, void *arg)
{
	tui_run_command(t, line);
}

static void
act_prompt(struct tui *t)
{
	tui_prompt_open(t, PROMPT_COMMAND, ":", NULL, prompt_command_done, NULL);
}

static void
filter_done(struct tui *t, const char *text, void *arg)
{
	free(t->filter);
	t->filter = *text != '\0' ? xstrdup(text) : NULL;
	t->limit = TUI_PAGE_ROWS;	/* a new search starts at the newest */
	tui_reload(t);
}

static void
act_filter(struct tui *t)
{
	tui_prompt_open(t, PROMPT_FILTER, "/", NULL, filter_done, NULL);
}

static void
act_help(struct tui *t)
{
	struct buf	b = { 0 };

	tui_keys_help(&b);
	tui_set_pane(t, pane_text_new("help  (Esc closes)", b.data));
	t->pane_max = 1;
	buf_free(&b);
}

static void
act_back(struct tui *t)
{
	if (t->pane != NULL)
		tui_set_pane(t, NULL);
	else if (t->filter != NULL)
		filter_done(t, "", NULL);
}

static void
act_focus(struct tui *t)
{
	if (t->pane != NULL)
		t->pane_focus = !t->pane_focus;
	t->dirty = 1;
}

static void
act_maximize(struct tui *t)
{
	if (t->pane != NULL) {
		t->pane_max = !t->pane_max;
		t->pane_focus = 1;
	}
	t->dirty = 1;
}

static void act_view_fn(struct tui *t) { tui_set_view(t, tui_view_find("fn")); }
static void act_view_vm(struct tui *t) { tui_set_view(t, tui_view_find("vm")); }
static void act_view_img(struct tui *t) { tui_set_view(t, tui_view_find("img")); }
static void act_view_ev(struct tui *t) { tui_set_view(t, tui_view_find("ev")); }

static void
act_sort(struct tui *t, int by)
{
	t->sort = (t->sort + by + t->view->ncols) % t->view->ncols;
	tui_status(t, 0, "sorted by %s", t->view->cols[t->sort].title);
	tui_reload(t);
}

static void act_sort_next(struct tui *t) { act_sort(t, 1); }
static void act_sort_prev(struct tui *t) { act_sort(t, -1); }

static void
act_sort_reverse(struct tui *t)
{
	t->sort_desc = !t->sort_desc;
	tui_reload(t);
}

static void
act_refresh(struct tui *t)
{
	clearok(curscr, TRUE);
	tui_reload(t);
}

/* The function the selected row is about, or NULL with a status message. */
static char *
sel_fn(struct tui *t)
{
	const char	*key = tui_selected(t);
	char		*fn;

	if (key == NULL) {
		tui_status(t, 1, "nothing selected");
		return NULL;
	}
	/* An event's subject may be an instance: then its function. */
	if (t->view->paged && !logs_fn_exists(t->st, key) &&
	    (fn = list_inst_fn(t->st, key)) != NULL)
		return fn;
	if (t->view->kind != NULL && strcmp(t->view->kind, "fn") == 0)
		return xstrdup(key);
	if (t->view->kind != NULL && strcmp(t->view->kind, "vm") == 0) {
		if ((fn = list_inst_fn(t->st, key)) == NULL)
			tui_status(t, 1, "instance %s runs no function", key);
		return fn;
	}
	tui_status(t, 1, "select a function first (:fn)");
	return NULL;
}

static void
act_logs(struct tui *t)
{
	struct tui_pane	*p;
	char		*fn = sel_fn(t), *cause = NULL;

	if (fn == NULL)
		return;
	if ((p = pane_logs_new(t, fn, -1, 1, 0, NULL, &cause)) == NULL) {
		tui_status(t, 1, "%s", cause);
		free(cause);
	} else
		tui_set_pane(t, p);
	free(fn);
}

static void
act_stats(struct tui *t)
{
	char	*fn = sel_fn(t);

	if (fn == NULL)
		return;
	tui_set_pane(t, pane_stats_new(t, fn));
	free(fn);
}

/* The selected instance's console: a VM's serial port, a sandbox's agent log. */
static void
act_console(struct tui *t)
{
	const char	*key = tui_selected(t);
	char		*line;

	if (key == NULL)
		return;
	if (t->view != tui_view_find("vm")) {
		tui_status(t, 1, "select an instance first (:vm)");
		return;
	}
	line = xasprintf("vm console %s --tail 500", key);
	tui_run_command(t, line);
	free(line);
}

#define DETAILS_RECENT	15	/* invocations the details pane lists */

/*
 * Append a figure to b as the commands' text writes it (util_unit_*:
 * 128MiB, 3s, 394B, 20.41ms), in width columns (negative: left-aligned).
 */
static void
figure_int(struct buf *b, int width, long long v, const char *unit)
{
	char	*s = util_unit_int(v, unit);

	buf_printf(b, "%*s", width, s);
	free(s);
}

static void
figure_num(struct buf *b, int width, double v, const char *unit)
{
	char	*s = util_unit_num(v, unit);

	buf_printf(b, "%*s", width, s);
	free(s);
}

/* What `fn show` says, as text, and the function's recent invocations. */
static void
details_fn(struct tui *t, const char *name)
{
	struct buf		 b = { 0 };
	struct list_fn_show	 s;
	struct list_invocation	*inv;
	struct fn		*fn;
	char			*cause = NULL, when[32];
	cJSON			*env, *it;
	time_t			 secs;
	struct tm		 tm;
	int			 n, i;

	if (list_fn_show(t->st, name, &s, &cause) != 0) {
		tui_status(t, 1, "%s", cause);
		free(cause);
		return;
	}
	fn = s.fn;
	buf_printf(&b, "Name:      %s\nRuntime:   %s\nHandler:   %s\n"
	    "Memory:    ", fn->name, fn->runtime, fn->handler);
	figure_int(&b, 0, fn->memory_mb, "MiB");
	buf_addstr(&b, "\nTimeout:   ");
	figure_int(&b, 0, fn->timeout_s, "s");
	buf_printf(&b, "\nVersion:   %d (code v%d, ", fn->version,
	    fn->code_version);
	figure_int(&b, 0, fn->code_size, "B");
	buf_addstr(&b, ")\n");
	buf_addstr(&b, "Environment:");
	if ((env = cJSON_Parse(fn->env)) != NULL && cJSON_GetArraySize(env) > 0) {
		buf_addstr(&b, "\n");
		cJSON_ArrayForEach(it, env)
			buf_printf(&b, "  %s=%s\n", it->string, list_env_secret(it->string) ?
			    "********" : (cJSON_IsString(it) ? it->valuestring : ""));
	} else
		buf_addstr(&b, " (none)\n");
	cJSON_Delete(env);
	buf_printf(&b, "\nRecent invocations:\n  %-9s %-9s %10s %7s  %-10s %s\n",
	    "TIME", "STATUS", "DURATION", "MEMORY", "INIT", "REQUEST");
	if (list_invocations(t->st, name, DETAILS_RECENT, &inv, &n, &cause) != 0) {
		free(cause);
		n = 0;
	}
	for (i = 0; i < n; i++) {
		secs = (time_t)inv[i].ts;
		localtime_r(&secs, &tm);
		strftime(when, sizeof when, "%H:%M:%S", &tm);
		buf_printf(&b, "  %-9s %-9s ", when, inv[i].status);
		figure_num(&b, 10, inv[i].duration_ms, "ms");
		buf_addstr(&b, " ");
		figure_int(&b, 7, inv[i].max_mem_mb, "MiB");
		buf_printf(&b, "  %-10s %s\n", inv[i].init_ms > 0 ? "cold" : "warm",
		    inv[i].request_id);
	}
	list_invocations_free(inv, n);
	tui_set_pane(t, pane_text_new(name, b.data));
	buf_free(&b);
	list_fn_show_free(&s);
}

static void
act_details(struct tui *t)
{
	const char	*key = tui_selected(t);
	struct buf	 b = { 0 };
	int		 c;

	if (key == NULL)
		return;
	if (t->view->kind != NULL && strcmp(t->view->kind, "fn") == 0) {
		details_fn(t, key);
		return;
	}
	if (t->view == tui_view_find("vm")) {
		/* Instances: what `vm inspect` says, from a child hearth. */
		char *line = xasprintf("vm inspect %s", key);

		tui_run_command(t, line);
		free(line);
		return;
	}
	/* Other views: the row, one field a line. */
	for (c = 0; c < t->view->ncols; c++)
		buf_printf(&b, "%-10s %s\n", t->view->cols[c].title,
		    t->rows[t->shown[t->sel]].cells[c]);
	tui_set_pane(t, pane_text_new(key, b.data));
	buf_free(&b);
}

/* A finished job: errors to the status line, output to a pane if any. */
void
tui_job_report(struct tui *t, struct tui_job *j)
{
	char	*line = j->ebuf.data, *nl;

	if (j->status != 0) {
		/* The last non-empty line of stderr says what went wrong. */
		while ((nl = strrchr(line, '\n')) != NULL && nl[1] == '\0')
			*nl = '\0';
		if ((nl = strrchr(line, '\n')) != NULL)
			line = nl + 1;
		if (strncmp(line, "hearth: ", 8) == 0)
			line += 8;
		tui_status(t, 1, "%s", *line != '\0' ? line : "failed");
	} else
		tui_status(t, 0, "done: %s", j->title);
	if (j->obuf.len > 0)
		tui_show_output(t, j, j->title, j->obuf.data);
	tui_reload(t);
}

static void
act_output(struct tui *t)
{
	if (t->last_output == NULL) {
		tui_status(t, 0, "no command output yet");
		return;
	}
	tui_set_pane(t, pane_text_new(t->last_title, t->last_output));
}

/*
 * The log part of an invocation's stderr (`fn invoke --log` writes the
 * log there first, as the function wrote it): without hearth's own
 * lines after it (the error line the status shows).
 */
static char *
invoke_log_text(const char *err)
{
	size_t	len = strlen(err), start;

	while (len > 0) {
		while (len > 0 && err[len - 1] == '\n')
			len--;
		for (start = len; start > 0 && err[start - 1] != '\n'; start--)
			;
		if (len - start < 8 || strncmp(err + start, "hearth: ", 8) != 0)
			break;
		len = start;
	}
	return xstrndup(err, len);
}

/*
 * A finished invocation, shown as the Lambda console shows a test: the
 * status and figures, the response, then the function's log output
 * (START, what it printed, END, REPORT).
 */
static void
invoke_done(struct tui *t, struct tui_job *j)
{
	cJSON		*r = cJSON_Parse(j->obuf.data), *res;
	struct buf	 b = { 0 };
	char		*pretty, *p, *log;

	if (r == NULL) {
		tui_job_report(t, j);
		return;
	}
	res = cJSON_GetObjectItem(r, "result");
	pretty = res != NULL ? cJSON_Print(res) : xstrdup("");
	for (p = pretty; *p != '\0'; p++)	/* cJSON indents with tabs */
		if (*p == '\t')
			*p = ' ';
	log = invoke_log_text(j->ebuf.data);
	buf_printf(&b, "status %s   duration ",
	    cJSON_GetStringValue(cJSON_GetObjectItem(r, "status")));
	figure_num(&b, 0, cJSON_GetNumberValue(cJSON_GetObjectItem(r,
	    "duration_ms")), "ms");
	buf_printf(&b, "   %s   memory ",
	    cJSON_IsTrue(cJSON_GetObjectItem(r, "cold")) ? "cold start" : "warm");
	figure_int(&b, 0, (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(r,
	    "max_memory_mb")), "MiB");
	buf_printf(&b, "   request %s\n\nResponse\n%s\n\nFunction logs\n%s\n",
	    cJSON_GetStringValue(cJSON_GetObjectItem(r, "request_id")) != NULL ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(r, "request_id")) : "-",
	    pretty, *log != '\0' ? log : "(none)");
	free(log);
	tui_show_output(t, j, j->title, b.data);
	if (j->status != 0)
		tui_job_report(t, j);	/* the one-line error, in red */
	else {
		char *d = util_unit_num(cJSON_GetNumberValue(cJSON_GetObjectItem(r,
		    "duration_ms")), "ms");

		tui_status(t, 0, "%s: ok in %s", j->title, d);
		free(d);
	}
	if (j->status != 0)
		tui_show_output(t, j, j->title, b.data);
	buf_free(&b);
	free(pretty);
	cJSON_Delete(r);
	tui_reload(t);
}

static void
invoke_payload_done(struct tui *t, const char *payload, void *arg)
{
	char	*fn = arg, *title, *argv[] = { (char *)"fn", (char *)"invoke",
	    fn, (char *)(*payload != '\0' ? payload : "{}"), (char *)"--log",
	    (char *)"-o", (char *)"json", NULL };

	title = xasprintf("invoke %s", fn);
	if (tui_job_start(t, title, argv, invoke_done, NULL) != NULL)
		tui_status(t, 0, "invoking %s...", fn);
	free(title);
	free(fn);
}

static void
act_invoke(struct tui *t)
{
	char	*fn = sel_fn(t), *label;

	if (fn == NULL)
		return;
	/* Empty, as every prompt opens: nothing typed is {}, Up the last one. */
	label = xasprintf("invoke %s with payload (JSON or @file; empty {}; "
	    "Up recalls): ", fn);
	tui_prompt_open(t, PROMPT_PAYLOAD, label, NULL, invoke_payload_done, fn);
	free(label);
}

static void
delete_confirm(struct tui *t, const char *answer, void *arg)
{
	char	*key = arg, *title, *argv[4];

	if (answer[0] != 'y') {
		tui_status(t, 0, "not deleted: %s", key);
		free(key);
		return;
	}
	if (strcmp(t->view->kind, "vm") == 0) {
		argv[0] = (char *)"vm";
		argv[1] = (char *)"rm";
	} else {
		argv[0] = (char *)"fn";
		argv[1] = (char *)"rm";
	}
	argv[2] = key;
	argv[3] = NULL;
	title = xasprintf("delete %s", key);
	tui_job_start(t, title, argv, tui_job_report, NULL);
	free(title);
	free(key);
}

static void
act_delete(struct tui *t)
{
	const char	*key = tui_selected(t);
	char		*label;

	if (key == NULL || t->view->kind == NULL || strcmp(t->view->cmd, "ev") == 0) {
		tui_status(t, 1, "nothing here can be deleted");
		return;
	}
	label = xasprintf("delete %s %s? [y/N] (y deletes, n or Esc cancels)",
	    strcmp(t->view->kind, "vm") == 0 ? "instance" : "function", key);
	tui_prompt_open(t, PROMPT_KEY, label, NULL, delete_confirm, xstrdup(key));
	free(label);
}

/* Run $EDITOR on path with curses suspended; 0 if it exited cleanly. */
static int
edit_file(struct tui *t, const char *path)
{
	const char	*editor = getenv("VISUAL");
	pid_t		 pid;
	int		 st = -1;

	if (editor == NULL || *editor == '\0')
		editor = getenv("EDITOR");
	if (editor == NULL || *editor == '\0')
		editor = "vi";
	def_prog_mode();
	endwin();
	if ((pid = fork()) == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", editor, path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	t->dirty = 1;
	return pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void
edit_done(struct tui *t, struct tui_job *j)
{
	if (j->status == 0)
		tui_status(t, 0, "%s: reloaded", j->title);
	else
		tui_job_report(t, j);
	if (j->arg != NULL)
		util_rmtree(j->arg);
	tui_reload(t);
}

static void
act_edit(struct tui *t)
{
	char		*name = sel_fn(t), *cause = NULL, *src, *tmp, *file;
	char		*argv[6];
	struct fn	*fn;
	struct buf	 before = { 0 }, after = { 0 };
	uint64_t	 size = 0;

	if (name == NULL)
		return;
	if ((fn = fn_load(t->st, name, &cause)) == NULL) {
		tui_status(t, 1, "%s", cause);
		free(cause);
		free(name);
		return;
	}
	src = fn_code_dir(t->st, fn->name, fn->code_version);
	tmp = xasprintf("%s/tmp/edit-%s-%d", store_dir(t->st), fn->name,
	    (int)getpid());
	util_rmtree(tmp);
	util_mkdirs(tmp, 0700);
	rmdir(tmp);
	if (util_copytree(src, tmp, &size, &cause) != 0 ||
	    (file = fn_handler_file(tmp, fn->runtime, fn->handler,
	    &cause)) == NULL) {
		tui_status(t, 1, "edit %s: %s", fn->name, cause != NULL ? cause :
		    "handler file not found");
		free(cause);
		goto out;
	}
	util_read_file(file, &before, 64 << 20, &cause);
	if (edit_file(t, file) != 0)
		tui_status(t, 1, "editor failed; %s unchanged", fn->name);
	else if (util_read_file(file, &after, 64 << 20, &cause) != 0 ||
	    (before.len == after.len && memcmp(before.data, after.data,
	    before.len) == 0))
		tui_status(t, 0, "%s unchanged", fn->name);
	else {
		argv[0] = (char *)"fn";
		argv[1] = (char *)"update";
		argv[2] = fn->name;
		argv[3] = (char *)"--code";
		argv[4] = tmp;
		argv[5] = NULL;
		if (tui_job_start(t, fn->name, argv, edit_done, tmp) != NULL) {
			tui_status(t, 0, "reloading %s...", fn->name);
			free(file);
			free(cause);
			goto keep;	/* edit_done removes tmp */
		}
	}
	free(file);
	free(cause);
out:
	util_rmtree(tmp);
keep:
	buf_free(&before);
	buf_free(&after);
	free(src);
	free(tmp);
	fn_free(fn);
	free(name);
}

struct newfn {
	char	*name;		/* chosen name */
};

static const char new_template_python[] =
    "def handler(event, context):\n"
    "    print(\"event\", event)\n"
    "    return {\"hello\": event.get(\"name\", \"world\")}\n";
static const char new_template_node[] =
    "exports.handler = async (event, context) => {\n"
    "  console.log('event', JSON.stringify(event));\n"
    "  return { hello: event.name || 'world' };\n"
    "};\n";

static void
new_done(struct tui *t, struct tui_job *j)
{
	if (j->status == 0)
		tui_status(t, 0, "%s: created", j->title);
	else
		tui_job_report(t, j);
	if (j->arg != NULL)
		util_rmtree(j->arg);
	tui_reload(t);
}

static void
new_runtime_done(struct tui *t, const char *runtime, void *arg)
{
	struct newfn	*nf = arg;
	char		*tmp, *file, *cause = NULL, *argv[10];
	const char	*rt = *runtime != '\0' ? runtime : "python3", *text;
	int		 node;

	if (fn_valid_runtime(rt, &cause) != 0) {
		tui_status(t, 1, "%s", cause);
		free(cause);
		goto out;
	}
	node = strcmp(rt, "node") == 0;
	tmp = xasprintf("%s/tmp/new-%s-%d", store_dir(t->st), nf->name,
	    (int)getpid());
	util_rmtree(tmp);
	util_mkdirs(tmp, 0700);
	file = xasprintf("%s/%s", tmp, node ? "index.js" : "app.py");
	text = node ? new_template_node : new_template_python;
	util_write_file(file, text, strlen(text), &cause);
	free(cause);
	cause = NULL;
	if (edit_file(t, file) != 0) {
		tui_status(t, 1, "editor failed; %s not created", nf->name);
		util_rmtree(tmp);
	} else {
		argv[0] = (char *)"fn";
		argv[1] = (char *)"create";
		argv[2] = nf->name;
		argv[3] = (char *)"--runtime";
		argv[4] = (char *)rt;
		argv[5] = (char *)"--handler";
		argv[6] = (char *)(node ? "index.handler" : "app.handler");
		argv[7] = (char *)"--code";
		argv[8] = tmp;
		argv[9] = NULL;
		if (tui_job_start(t, nf->name, argv, new_done, tmp) == NULL)
			util_rmtree(tmp);
		else
			tui_status(t, 0, "creating %s...", nf->name);
	}
	free(file);
	free(tmp);
out:
	free(nf->name);
	free(nf);
}

static void
new_name_done(struct tui *t, const char *name, void *arg)
{
	struct newfn	*nf;
	char		*cause = NULL;

	if (fn_valid_name(name, &cause) != 0) {
		tui_status(t, 1, "%s", cause);
		free(cause);
		return;
	}
	nf = xcalloc(1, sizeof *nf);
	nf->name = xstrdup(name);
	tui_prompt_open(t, PROMPT_ASK, "runtime (python3 or node; empty "
	    "python3): ", NULL, new_runtime_done, nf);
}

static void
act_new(struct tui *t)
{
	tui_prompt_open(t, PROMPT_ASK, "new function name: ", NULL, new_name_done,
	    NULL);
}

const struct tui_action tui_actions[] = {
	{ "quit", 0, "leave the console (instances keep running)", act_quit },
	{ "command", 0, "run a hearth command (Tab completes)", act_prompt },
	{ "filter", 0, "filter rows: text or regex (Events: all history); Esc clears; Up recalls", act_filter },
	{ "help", 0, "this help", act_help },
	{ "down", 0, "select the next row", act_down },
	{ "up", 0, "select the previous row", act_up },
	{ "page-down", 0, "half a screen down (Events: loads older rows past the last)", act_pgdown },
	{ "page-up", 0, "half a screen up", act_pgup },
	{ "top", 0, "first row", act_top },
	{ "bottom", 0, "last row (Events: the oldest kept)", act_bottom },
	{ "details", 0, "details of the selected row", act_details },
	{ "back", 0, "close the pane, or clear the filter", act_back },
	{ "logs", 0, "live logs of the selected function (:fn logs NAME -f)", act_logs },
	{ "stats", 0, "live stats of the selected function", act_stats },
	{ "console", 0, "serial console of the selected VM (agent log of a sandbox)", act_console },
	{ "focus", 0, "move keys between table and pane", act_focus },
	{ "maximize", 0, "pane fills the screen, or not", act_maximize },
	{ "view-fn", 0, "Functions view (:fn)", act_view_fn },
	{ "view-vm", 0, "Instances view (:vm)", act_view_vm },
	{ "view-img", 0, "Images view (:img)", act_view_img },
	{ "view-ev", 0, "Events view (:ev)", act_view_ev },
	{ "sort-next", 0, "sort by the next column", act_sort_next },
	{ "sort-prev", 0, "sort by the previous column", act_sort_prev },
	{ "sort-reverse", 0, "reverse the sort", act_sort_reverse },
	{ "refresh", 0, "reload and repaint", act_refresh },
	{ "output", 0, "show the last command's output again", act_output },
	{ "invoke", 1, "invoke the selected function with a payload", act_invoke },
	{ "edit", 1, "edit the function's code in $EDITOR, then hot-reload", act_edit },
	{ "new", 1, "create a function from a template in $EDITOR", act_new },
	{ "delete", 1, "delete the selected function or instance (y confirms)", act_delete },
	{ NULL, 0, NULL, NULL }
};

/* The action called name, or NULL. */
const struct tui_action *
tui_action_find(const char *name)
{
	int	i;

	for (i = 0; tui_actions[i].name != NULL; i++)
		if (strcmp(tui_actions[i].name, name) == 0)
			return &tui_actions[i];
	return NULL;
}
