/*
 * keys.c — key bindings: the table from keys to actions.
 *
 * The console's keys are a table (key -> action).  An action is either a
 * named console action (actions.c) or a hearth command line starting with
 * ':' in which {name} stands for the selected row; both can be rebound
 * with `bind KEY ACTION` lines in $HEARTH_HOME/config or
 * $XDG_CONFIG_HOME/hearth/config.  `?` shows help generated from this
 * table.  In --readonly mode, mutating actions and commands whose entry
 * carries CMD_F_MUTATES are refused.
 */
#include <ctype.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tui.h"

struct binding {
	int		 key;		/* curses key code */
	char		*action;	/* action name or ":command" */
};

#define KEYS_MAX 96
static struct binding	keys[KEYS_MAX];
static int		nkeys;

static const struct { int key; const char *action; } defaults[] = {
	{ 'q', "quit" }, { 3, "quit" }, { ':', "command" }, { '/', "filter" },
	{ '?', "help" }, { 'j', "down" }, { KEY_DOWN, "down" }, { 'k', "up" },
	{ KEY_UP, "up" }, { KEY_NPAGE, "page-down" }, { KEY_PPAGE, "page-up" },
	{ 'g', "top" }, { KEY_HOME, "top" }, { 'G', "bottom" },
	{ KEY_END, "bottom" }, { '\n', "details" }, { KEY_ENTER, "details" },
	{ 27, "back" }, { 'l', "logs" }, { 's', "stats" }, { '\t', "focus" },
	{ 'z', "maximize" }, { '1', "view-fn" }, { '2', "view-vm" },
	{ '3', "view-img" }, { '4', "view-ev" }, { '>', "sort-next" },
	{ '<', "sort-prev" }, { '!', "sort-reverse" }, { 12, "refresh" },
	{ 'i', "invoke" }, { 'e', "edit" }, { 'n', "new" }, { 'd', "delete" },
	{ 'o', "output" }, { 'c', "console" },
	{ 0, NULL }
};

static const struct { const char *name; int key; } keynames[] = {
	{ "Enter", '\n' }, { "Tab", '\t' }, { "Esc", 27 }, { "Space", ' ' },
	{ "Up", KEY_UP }, { "Down", KEY_DOWN }, { "Left", KEY_LEFT },
	{ "Right", KEY_RIGHT }, { "PageUp", KEY_PPAGE }, { "PageDown", KEY_NPAGE },
	{ "Home", KEY_HOME }, { "End", KEY_END }, { "Backspace", KEY_BACKSPACE },
	{ "Delete", KEY_DC }, { NULL, 0 }
};


/* Parse a key name: "x", "C-x", "F5", "Enter", ...; -1 if unknown. */
static int
keys_parse(const char *s)
{
	int	i;

	if (s[0] != '\0' && s[1] == '\0')
		return (unsigned char)s[0];
	if (strncmp(s, "C-", 2) == 0 && s[2] != '\0' && s[3] == '\0')
		return tolower((unsigned char)s[2]) & 0x1f;
	if (s[0] == 'F' && atoi(s + 1) >= 1 && atoi(s + 1) <= 12)
		return KEY_F(atoi(s + 1));
	for (i = 0; keynames[i].name != NULL; i++)
		if (strcasecmp(keynames[i].name, s) == 0)
			return keynames[i].key;
	return -1;
}

static void
keys_name(int key, char *out, size_t len)
{
	int	i;

	for (i = 0; keynames[i].name != NULL; i++)
		if (keynames[i].key == key) {
			snprintf(out, len, "%s", keynames[i].name);
			return;
		}
	if (key == KEY_ENTER)
		snprintf(out, len, "Enter");
	else if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(out, len, "F%d", key - KEY_F(0));
	else if (key > 0 && key < 32)
		snprintf(out, len, "C-%c", key + 'a' - 1);
	else if (key < 256)
		snprintf(out, len, "%c", key);
	else
		snprintf(out, len, "#%d", key);
}

static void
keys_bind(int key, const char *action)
{
	int	i;

	for (i = 0; i < nkeys; i++)
		if (keys[i].key == key) {
			free(keys[i].action);
			keys[i].action = xstrdup(action);
			return;
		}
	if (nkeys == KEYS_MAX)
		return;
	keys[nkeys].key = key;
	keys[nkeys++].action = xstrdup(action);
}

/* The text of a bind line after its key: "bind x :fn ls" gives ":fn ls". */
static const char *
keys_rest(const char *line)
{
	int	word;

	for (word = 0; word < 2; word++) {
		line += strspn(line, " \t");
		line += strcspn(line, " \t");
	}
	return line + strspn(line, " \t");
}

/*
 * Load the default bindings, then `bind KEY ACTION` lines from the config
 * file.  -1 with *cause naming FILE:LINE for a bad line.
 */
int
tui_keys_load(char **cause)
{
	struct buf	 b = { 0 };
	char		*path, *err = NULL, *line, *save = NULL, **argv;
	int		 i, argc, lineno = 0, key, rc = 0;

	for (i = 0; i < nkeys; i++)
		free(keys[i].action);
	nkeys = 0;
	for (i = 0; defaults[i].action != NULL; i++)
		keys_bind(defaults[i].key, defaults[i].action);
	path = config_path();
	if (util_read_file(path, &b, 1 << 20, &err) != 0) {
		free(err);
		free(path);
		return 0;	/* no config is fine */
	}
	for (line = strtok_r(b.data, "\n", &save); line != NULL && rc == 0;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (util_split(line, &argc, &argv, &err) != 0) {
			*cause = xasprintf("%s:%d: %s", path, lineno, err);
			free(err);
			rc = -1;
			break;
		}
		if (argc == 0 || strcmp(argv[0], "set") == 0)
			;	/* settings: config.c reads them */
		else if (strcmp(argv[0], "bind") != 0 || argc < 3) {
			*cause = xasprintf("%s:%d: expected 'bind KEY ACTION' or "
			    "'set KEY VALUE'", path, lineno);
			rc = -1;
		} else if ((key = keys_parse(argv[1])) == -1) {
			*cause = xasprintf("%s:%d: unknown key '%s'", path, lineno,
			    argv[1]);
			rc = -1;
		} else if (argv[2][0] != ':' && tui_action_find(argv[2]) == NULL) {
			*cause = xasprintf("%s:%d: unknown action '%s' (see ?; "
			    "or ':COMMAND')", path, lineno, argv[2]);
			rc = -1;
		} else if (argv[2][0] == ':') {
			/* The rest of the line, as written, is the command. */
			keys_bind(key, keys_rest(line));
		} else
			keys_bind(key, argv[2]);
		util_free_argv(argc, argv);
	}
	buf_free(&b);
	free(path);
	return rc;
}

/*
 * Open the logs pane a `fn logs` line asks for, if ctx (its arguments,
 * parsed by the command table's own parser, --tail and --since read as
 * the command reads them) is one the pane can show;
 * 0 when it did (or said why not on the status line), -1 to leave the
 * line to a child hearth, which reports what is wrong with it as the
 * shell would.
 */
static int
keys_logs_pane(struct tui *t, struct cmd_ctx *ctx)
{
	struct tui_pane	*p;
	const char	*tail = cmd_opt(ctx, "tail");
	const char	*since_s = cmd_opt(ctx, "since");
	long long	 n = -1;
	double		 since = 0;
	char		*cause = NULL;

	if (ctx->format == OUT_JSON && cmd_flag(ctx, "follow")) {
		/* A child would follow for ever; the console waits for it. */
		tui_status(t, 1, "fn logs -f -o json streams to a script: run it "
		    "from the shell");
		return 0;
	}
	if (ctx->format == OUT_JSON)
		return -1;	/* JSON is for scripts: print it */
	if (tail != NULL && util_parse_int(tail, 0, 100000000, &n) != 0)
		return -1;
	/* --since as the command reads it: the same function, the same now. */
	if (since_s != NULL && cmd_since(since_s, util_now(), &since,
	    &cause) != 0) {
		free(cause);
		return -1;
	}
	if ((p = pane_logs_new(t, ctx->argv[0], n, cmd_flag(ctx, "follow"),
	    since, since_s, &cause)) == NULL) {
		tui_status(t, 1, "%s", cause);
		free(cause);
		return 0;
	}
	tui_set_pane(t, p);
	return 0;
}

/*
 * Run a hearth command line from the console: ':' prompt or a binding.
 * The line is split into words as run_line splits a shell line, and run
 * by a child `hearth -- WORDS...`, whose run_argv parses and dispatches
 * it and reports its errors exactly as in the shell: there is no second
 * parser here.  What stays in the console: a view's name switches to
 * it, `quit` leaves, and `fn logs` — when the command table's parser
 * (cmd_parse) accepts it — opens the logs pane for the NAME, --tail,
 * --since and -f it parsed, since a child following logs would never
 * finish.  Each line's outcome replaces the status line's message.
 */
int
tui_run_command(struct tui *t, const char *line)
{
	const struct cmd_entry	*e;
	const struct tui_view	*v;
	const char		*sel = tui_selected(t);
	struct buf		 expanded = { 0 };
	struct cmd_ctx		 ctx;
	const char		*p;
	char			**argv, **words, *cause = NULL, *title;
	int			 argc, used, rc;

	tui_status_clear(t);	/* what this line does is the news now */
	while (*line == ' ' || *line == ':')
		line++;
	for (p = line; *p != '\0'; p++) {	/* {name} is the selected row */
		if (strncmp(p, "{name}", 6) == 0) {
			buf_addstr(&expanded, sel != NULL ? sel : "");
			p += 5;
		} else
			buf_add(&expanded, p, 1);
	}
	buf_add(&expanded, "", 0);
	title = expanded.data;
	if (util_split(title, &argc, &argv, &cause) != 0) {
		tui_status(t, 1, "%s", cause);
		free(cause);
		free(title);
		return -1;
	}
	if (argc == 0)
		goto out;
	if (argc == 1 && (strcmp(argv[0], "q") == 0 || strcmp(argv[0], "quit") == 0)) {
		t->quit = 1;
		goto out;
	}
	if (argc == 1 && (v = tui_view_find(argv[0])) != NULL) {
		tui_set_view(t, v);
		goto out;
	}
	if (strcmp(argv[0], "shell") == 0 || strcmp(argv[0], "console") == 0) {
		tui_status(t, 1, "'%s' cannot run inside the console", argv[0]);
		goto out;
	}
	e = cmd_find(argc, argv, &used);
	if (e != NULL && t->readonly && (e->flags & CMD_F_MUTATES)) {
		tui_status(t, 1, "read-only: '%s' is disabled", e->name);
		goto out;
	}
	if (e != NULL && strcmp(e->name, "fn logs") == 0) {
		memset(&ctx, 0, sizeof ctx);
		rc = cmd_parse(e, argc - used, argv + used, &ctx, &cause) == 0 ?
		    keys_logs_pane(t, &ctx) : -1;
		free(cause);
		cmd_ctx_free(&ctx);
		if (rc == 0)
			goto out;
	}
	/* After "--", a word starting with '-' is no global option. */
	words = xcalloc(argc + 2, sizeof *words);
	words[0] = (char *)"--";
	memcpy(words + 1, argv, sizeof *words * argc);
	if (tui_job_start(t, title, words, tui_job_report, NULL) != NULL)
		tui_status(t, 0, "running %s...", title);
	free(words);
out:
	util_free_argv(argc, argv);
	free(title);
	return 0;
}

/*
 * Whether action only moves about what is shown: it keeps the status
 * line's message, where any other action (a command of its own) starts a
 * new outcome that replaces it.
 */
static int
keys_moves(const char *action)
{
	static const char *const moves[] = { "down", "up", "page-down",
	    "page-up", "top", "bottom", "focus", "maximize", "refresh", NULL };
	int	i;

	for (i = 0; moves[i] != NULL; i++)
		if (strcmp(moves[i], action) == 0)
			return 1;
	return 0;
}

/* Handle a key through the binding table. */
int
tui_key_dispatch(struct tui *t, int ch)
{
	const struct tui_action	*a;
	char			 name[16];
	int			 i;

	if (ch == KEY_ENTER || ch == '\r')
		ch = '\n';
	for (i = 0; i < nkeys; i++) {
		if (keys[i].key != ch)
			continue;
		if (keys[i].action[0] == ':') {
			tui_run_command(t, keys[i].action);
			return TUI_HANDLED | TUI_REDRAW;
		}
		if ((a = tui_action_find(keys[i].action)) == NULL)
			return 0;
		if (!keys_moves(a->name))
			tui_status_clear(t);
		if (t->readonly && a->mutates) {
			keys_name(ch, name, sizeof name);
			tui_status(t, 1, "read-only: '%s' (%s) is disabled", name,
			    a->name);
			return TUI_HANDLED | TUI_REDRAW;
		}
		a->fn(t);
		return TUI_HANDLED | TUI_REDRAW;
	}
	return 0;
}

/* Whether key name is one of the space-separated names in k already. */
static int
keys_listed(const struct buf *k, const char *name)
{
	const char	*p = k->data;
	size_t		 n = strlen(name);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p = strchr(p, ' ');
		p = p != NULL ? p + 1 : NULL;
	}
	return 0;
}

/*
 * The name of the first key bound to action, for the hints on the
 * bottom row (so a rebound key is hinted as bound); -1 if none is.
 */
int
tui_keys_hint(const char *action, char *out, size_t len)
{
	int	i;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].action, action) == 0) {
			keys_name(keys[i].key, out, len);
			return 0;
		}
	return -1;
}

/* Help text generated from the binding table. */
void
tui_keys_help(struct buf *b)
{
	const struct tui_action	*a;
	char			 name[16];
	int			 i, j, any;

	buf_addstr(b, "Keys (rebind with 'bind KEY ACTION' in $HEARTH_HOME/config):\n\n");
	for (i = 0; tui_actions[i].name != NULL; i++) {
		a = &tui_actions[i];
		struct buf k = { 0 };

		for (j = 0, any = 0; j < nkeys; j++) {
			if (strcmp(keys[j].action, a->name) != 0)
				continue;
			keys_name(keys[j].key, name, sizeof name);
			if (keys_listed(&k, name))
				continue;	/* Enter: '\n' and KEY_ENTER */
			buf_printf(&k, "%s%s", any++ ? " " : "", name);
		}
		buf_printf(b, "  %-16s %-13s %s%s\n", any ? k.data : "-", a->name,
		    a->help, a->mutates ? " (not in --readonly)" : "");
		buf_free(&k);
	}
	for (j = 0; j < nkeys; j++)
		if (keys[j].action[0] == ':') {
			keys_name(keys[j].key, name, sizeof name);
			buf_printf(b, "  %-16s run %s\n", name, keys[j].action);
		}
	buf_addstr(b, "\nIn the logs pane: f follow, w wrap, t times, / search "
	    "(Up recalls), n/N next/previous match.\nViews: :fn :vm :img :ev "
	    "(or 1-4).  Any hearth command runs from ':', parsed as in the "
	    "shell; :fn logs NAME [-n N] [--since WHEN] [-f] opens the logs pane.\n");
}
