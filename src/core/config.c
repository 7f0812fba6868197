/*
 * config.c — settings: `set KEY VALUE` lines in the config file.
 *
 * One file, $HEARTH_HOME/config (or $XDG_CONFIG_HOME/hearth/config when
 * the first does not exist), holds the console's `bind` lines (tui/keys.c)
 * and `set` lines for the settings below, tmux-style.  Every key has a
 * default and a check; an environment variable, where one is listed, wins
 * over the file (tests and one-off runs use them).  `config set` rewrites
 * the file through a temporary file and rename, keeping every other line
 * as it was.
 *
 * The table is the manager's own settings followed by each driver's
 * (struct vm_setting, e.g. qemu.*), in the registry's order: a driver
 * brings its settings with it, and config knows none of them by name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "vm.h"

struct setting {
	const char	*key;		/* e.g. "pool.size" */
	const char	*env;		/* overrides the file, or NULL */
	const char	*def;		/* default; NULL: default_fn computes one */
	const char	*(*default_fn)(void);	/* a default that depends on the host */
	const char	*help;		/* one line for `config ls` */
	int		(*check)(const char *, char **);	/* -1 and why if bad */
};

static int
config_check_driver(const char *v, char **cause)
{
	char	*choices;

	if (vm_driver_valid(v))
		return 0;
	choices = vm_driver_choices();
	*cause = xasprintf("'%s' is not a driver (%s)", v, choices);
	free(choices);
	return -1;
}

static int
config_check_count(const char *v, char **cause)
{
	long long	n;

	if (util_parse_int(v, 0, 64, &n) == 0)
		return 0;
	*cause = xasprintf("'%s' is not a number from 0 to 64", v);
	return -1;
}

#define CONFIG_SIZE_MIN	(64LL << 10)	/* one invocation's stored output */
#define CONFIG_SIZE_MAX	(1LL << 40)

/*
 * Parse a size: bytes, or a number with K, M or G (powers of 1024), from
 * CONFIG_SIZE_MIN (a cap smaller than one invocation's stored output
 * would keep nothing but the newest) to CONFIG_SIZE_MAX.
 */
static int
config_parse_size(const char *v, long long *out)
{
	char		*num;
	size_t		 len = strlen(v);
	long long	 n, unit = 1;
	int		 rc;

	if (len == 0)
		return -1;
	switch (v[len - 1]) {
	case 'K': case 'k': unit = 1LL << 10; break;
	case 'M': case 'm': unit = 1LL << 20; break;
	case 'G': case 'g': unit = 1LL << 30; break;
	}
	num = xstrdup(v);
	if (unit != 1)
		num[len - 1] = '\0';
	rc = util_parse_int(num, 0, CONFIG_SIZE_MAX / unit, &n);
	free(num);
	if (rc != 0 || n * unit < CONFIG_SIZE_MIN)
		return -1;
	*out = n * unit;
	return 0;
}

static int
config_check_size(const char *v, char **cause)
{
	long long	n;

	if (config_parse_size(v, &n) == 0)
		return 0;
	*cause = xasprintf("'%s' is not a size from 64K to 1024G (bytes, or a "
	    "number with K, M or G)", v);
	return -1;
}

/*
 * A region as AWS names them: two letters, one or more words, a number
 * (us-east-1, us-gov-west-1, ap-southeast-4).  SDKs build endpoints from
 * it, so a name of another shape ("local") breaks their region logic.
 */
static int
config_check_region(const char *v, char **cause)
{
	const char	*p = v;
	int		 words = 0;

	if (strlen(v) <= 32 && p[0] >= 'a' && p[0] <= 'z' && p[1] >= 'a' &&
	    p[1] <= 'z') {
		for (p += 2; *p == '-' && p[1] >= 'a' && p[1] <= 'z'; words++)
			for (p++; *p >= 'a' && *p <= 'z'; p++)
				;
		if (words > 0 && *p == '-' && p[1] >= '0' && p[1] <= '9') {
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
			if (*p == '\0')
				return 0;
		}
	}
	*cause = xasprintf("'%s' is not a region (like us-east-1)", v);
	return -1;
}

/* An AWS account id: twelve digits. */
static int
config_check_account(const char *v, char **cause)
{
	size_t	n = strspn(v, "0123456789");

	if (n == 12 && v[n] == '\0')
		return 0;
	*cause = xasprintf("'%s' is not an account id (twelve digits)", v);
	return -1;
}

/*
 * Log retention (logs.c): what the store keeps of invocation logs, the
 * oldest dropped first.  16M a function holds its whole FN_LOG_KEEP
 * rows at an ordinary 8 KB of log each, and still 250 invocations of a
 * function that fills its 64 KB of output every time — enough to look
 * back over an incident; 256M in all is 16 such chatty functions at
 * their cap, a store an operator will not find filling a disk, as the
 * 2,000 rows a function alone let it reach 130 MB per function.
 */
static const struct setting config_own[] = {
	{ "driver.default", "HEARTH_DRIVER", "auto", NULL,
	  NULL /* config_table: the drivers registered */, config_check_driver },
	{ "pool.size", "HEARTH_POOL_SIZE", "1", NULL,
	  "prestarted instances kept per runtime and driver", config_check_count },
	{ "instances.memory", "HEARTH_INSTANCES_MEMORY", NULL,
	  inst_memory_default, "memory the limits of all instances may add up "
	  "to (K, M, G; default half the host's RAM); past it an invocation "
	  "waits for a warm instance, then fails TooManyRequestsException",
	  config_check_size },
	{ "logs.fn_bytes", "HEARTH_LOGS_FN_BYTES", "16M", NULL,
	  "invocation logs kept per function, in bytes (K, M, G); oldest "
	  "dropped first", config_check_size },
	{ "logs.total_bytes", "HEARTH_LOGS_TOTAL_BYTES", "256M", NULL,
	  "invocation logs kept in all, in bytes (K, M, G); oldest dropped "
	  "first", config_check_size },
	{ "lambda.region", "HEARTH_LAMBDA_REGION", "us-east-1", NULL,
	  "the region instances see (AWS_REGION, AWS_DEFAULT_REGION, ARNs); "
	  "instances started after a change get it", config_check_region },
	{ "lambda.account_id", "HEARTH_LAMBDA_ACCOUNT_ID", "000000000000", NULL,
	  "the account id in function ARNs (context.invoked_function_arn)",
	  config_check_account },
};

static struct setting	*settings;	/* config_own, then every driver's */
static int		 nsettings;	/* entries in settings */
static char		**config_values; /* from the file, by settings[] index */
static int		 config_loaded;

/* Build the table once: the manager's settings, then each driver's. */
static void
config_table(void)
{
	const struct vm_driver	*drv;
	const struct vm_setting	*vs;
	struct setting		*s;
	char			*choices;
	int			 i, n = nitems(config_own);

	if (settings != NULL)
		return;
	for (i = 0; (drv = vm_driver_at(i)) != NULL; i++)
		for (vs = drv->settings; vs != NULL && vs->key != NULL; vs++)
			n++;
	settings = xcalloc(n, sizeof *settings);
	config_values = xcalloc(n, sizeof *config_values);
	for (i = 0; i < (int)nitems(config_own); i++)
		settings[nsettings++] = config_own[i];
	choices = vm_driver_choices();
	settings[0].help = xasprintf("driver for functions created without "
	    "--driver: %s", choices);
	free(choices);
	for (i = 0; (drv = vm_driver_at(i)) != NULL; i++) {
		for (vs = drv->settings; vs != NULL && vs->key != NULL; vs++) {
			s = &settings[nsettings++];
			s->key = vs->key;
			s->env = vs->env;
			s->def = vs->def;
			s->default_fn = vs->default_fn;
			s->help = vs->help;
			s->check = vs->check;
		}
	}
}

/* The config file's path (whether or not it exists). */
char *
config_path(void)
{
	const char	*xdg;
	char		*path = xasprintf("%s/config", store_home_default());

	if (access(path, F_OK) != 0 && (xdg = getenv("XDG_CONFIG_HOME")) != NULL &&
	    *xdg != '\0') {
		char *alt = xasprintf("%s/hearth/config", xdg);

		if (access(alt, F_OK) == 0) {
			free(path);
			return alt;
		}
		free(alt);
	}
	return path;
}

static const struct setting *
config_find(const char *key, int *idx)
{
	int	i;

	config_table();
	for (i = 0; i < nsettings; i++) {
		if (strcmp(settings[i].key, key) == 0) {
			if (idx != NULL)
				*idx = i;
			return &settings[i];
		}
	}
	return NULL;
}

/*
 * Read the file's `set` lines (other lines belong to other readers).  A
 * bad line is an error naming FILE:LINE; a missing file is no error.
 */
int
config_load(char **cause)
{
	struct buf		 b = { 0 };
	const struct setting	*s;
	char			*path, *err = NULL, *line, *save = NULL, **argv;
	int			 argc, lineno = 0, idx, rc = 0;

	if (config_loaded)
		return 0;
	path = config_path();
	if (util_read_file(path, &b, 1 << 20, &err) != 0) {
		free(err);
		free(path);
		config_loaded = 1;
		return 0;
	}
	for (line = b.data; line != NULL && rc == 0; line = save) {
		if ((save = strchr(line, '\n')) != NULL)
			*save++ = '\0';
		lineno++;
		if (util_split(line, &argc, &argv, &err) != 0) {
			*cause = xasprintf("%s:%d: %s", path, lineno, err);
			free(err);
			rc = -1;
			break;
		}
		if (argc == 0 || strcmp(argv[0], "set") != 0)
			;
		else if (argc != 3) {
			*cause = xasprintf("%s:%d: expected 'set KEY VALUE'", path,
			    lineno);
			rc = -1;
		} else if ((s = config_find(argv[1], &idx)) == NULL) {
			*cause = xasprintf("%s:%d: unknown setting '%s' (see "
			    "'hearth config ls')", path, lineno, argv[1]);
			rc = -1;
		} else if (s->check(argv[2], &err) != 0) {
			*cause = xasprintf("%s:%d: %s: %s", path, lineno, argv[1], err);
			free(err);
			rc = -1;
		} else {
			free(config_values[idx]);
			config_values[idx] = xstrdup(argv[2]);
		}
		util_free_argv(argc, argv);
	}
	buf_free(&b);
	free(path);
	config_loaded = rc == 0;
	return rc;
}

/*
 * Check the settings the environment overrides (HEARTH_POOL_SIZE and the
 * like) with the checks `config set` applies: a front end calls this
 * before any command, so a bad value is one error naming the variable,
 * not a value silently used (or silently replaced by the default).
 */
int
config_check_env(char **cause)
{
	const char	*v;
	char		*err = NULL;
	int		 i;

	config_table();
	for (i = 0; i < nsettings; i++) {
		if (settings[i].env == NULL ||
		    (v = getenv(settings[i].env)) == NULL || *v == '\0')
			continue;
		if (settings[i].check(v, &err) != 0) {
			*cause = xasprintf("%s (setting %s, from the environment): "
			    "%s", settings[i].env, settings[i].key, err);
			free(err);
			return -1;
		}
	}
	return 0;
}

/* A setting's default when it has no fixed one. */
static const char *
config_default(const struct setting *s)
{
	if (s->def != NULL)
		return s->def;
	if (s->default_fn != NULL)
		return s->default_fn();
	return "";
}

/*
 * The value of key and where it came from ("env", "file", "default").  An
 * unreadable file counts as absent here; `config ls` reports it.
 */
const char *
config_get_from(const char *key, const char **from)
{
	const struct setting	*s;
	const char		*v;
	char			*cause = NULL;
	int			 idx;

	if ((s = config_find(key, &idx)) == NULL)
		fatal("config_get: unknown key %s", key);
	if (config_load(&cause) != 0)
		free(cause);
	if (s->env != NULL && (v = getenv(s->env)) != NULL && *v != '\0') {
		*from = s->env;
		return v;
	}
	if (config_values[idx] != NULL) {
		*from = "file";
		return config_values[idx];
	}
	*from = "default";
	return config_default(s);
}

const char *
config_get(const char *key)
{
	const char	*from;

	return config_get_from(key, &from);
}

/*
 * The value of a size setting (config_check_size), in bytes.  A value
 * the check refused can only come from the environment (the file's are
 * checked as it is read); it counts as the default.
 */
long long
config_get_size(const char *key)
{
	const struct setting	*s;
	long long		 n;

	if (config_parse_size(config_get(key), &n) == 0)
		return n;
	if ((s = config_find(key, NULL)) == NULL ||
	    config_parse_size(config_default(s), &n) != 0)
		fatal("config_get_size: %s is not a size setting", key);
	return n;
}

/* Forget what was read, so the next config_get reads the file again. */
void
config_reset(void)
{
	int	i;

	for (i = 0; i < nsettings; i++) {
		free(config_values[i]);
		config_values[i] = NULL;
	}
	config_loaded = 0;
}

/* For `config ls`: the i-th key and its help, NULL past the end. */
const char *
config_key(int i, const char **help)
{
	config_table();
	if (i < 0 || i >= nsettings)
		return NULL;
	*help = settings[i].help;
	return settings[i].key;
}

/* Is value acceptable for key?  -1 with *cause otherwise. */
int
config_check(const char *key, const char *value, char **cause)
{
	const struct setting	*s;

	if ((s = config_find(key, NULL)) == NULL) {
		*cause = xasprintf("unknown setting '%s' (see 'hearth config ls')",
		    key);
		return -1;
	}
	if (value != NULL && s->check(value, cause) != 0) {
		char *why = *cause;

		*cause = xasprintf("%s: %s", key, why);
		free(why);
		return -1;
	}
	return 0;
}

/*
 * Set key to value (NULL: remove it) in the file: the first `set key` line
 * is replaced, later ones dropped, other lines kept; the new file replaces
 * the old in one rename.
 */
int
config_write(const char *key, const char *value, char **cause)
{
	struct buf	 in = { 0 }, out = { 0 };
	char		*path, *tmp, *err = NULL, *line, *next, **argv;
	int		 argc, done = 0, rc;

	if (config_check(key, value, cause) != 0)
		return -1;
	path = config_path();
	if (util_read_file(path, &in, 1 << 20, &err) != 0) {
		free(err);
		buf_addstr(&in, "");
	}
	for (line = in.data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (util_split(line, &argc, &argv, &err) == 0) {
			int mine = argc >= 2 && strcmp(argv[0], "set") == 0 &&
			    strcmp(argv[1], key) == 0;

			util_free_argv(argc, argv);
			if (mine) {
				if (!done && value != NULL)
					buf_printf(&out, "set %s %s\n", key, value);
				done = 1;
				continue;
			}
		} else
			free(err);
		buf_printf(&out, "%s\n", line);
	}
	if (!done && value != NULL)
		buf_printf(&out, "set %s %s\n", key, value);
	tmp = xstrdup(path);
	*strrchr(tmp, '/') = '\0';
	util_mkdirs(tmp, 0700);
	free(tmp);
	/*
	 * util_write_file writes a temporary file beside it and renames it
	 * over path, removing it if anything fails (a full disk): the old
	 * file stays whole, and the error names the config file.
	 */
	rc = util_write_file(path, out.data != NULL ? out.data : "", out.len,
	    cause);
	free(path);
	buf_free(&in);
	buf_free(&out);
	config_reset();
	return rc;
}
