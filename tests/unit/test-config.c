/*
 * test-config.c — the settings file: reading `set` lines among lines that
 * belong to others, where a value comes from (environment, file,
 * default), rewriting one key while keeping every other line, and bad
 * input refused with FILE:LINE and nothing written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "core.h"
#include "check.h"

static char	*home;		/* the temporary HEARTH_HOME */

/* Replace the config file with text and forget what was read. */
static void
put(const char *text)
{
	char	*path = xasprintf("%s/config", home), *cause = NULL;

	if (util_write_file(path, text, strlen(text), &cause) != 0)
		fatal("%s", cause);
	free(path);
	config_reset();
}

/* The config file's text now (a static buffer's worth). */
static const char *
file(void)
{
	static struct buf	 b;
	char			*path = xasprintf("%s/config", home), *cause = NULL;

	buf_free(&b);
	memset(&b, 0, sizeof b);
	if (util_read_file(path, &b, 1 << 20, &cause) != 0) {
		free(cause);
		buf_addstr(&b, "(none)");
	}
	free(path);
	return b.data;
}

static void
test_read(void)
{
	const char	*from;
	char		*cause = NULL;

	put("# a comment\nbind x delete\nset pool.size 3\n");
	CHECK("read-1.1", config_load(&cause) == 0);
	CHECK_STR("read-1.2", config_get_from("pool.size", &from), "3");
	CHECK_STR("read-1.3", from, "file");
	CHECK_STR("read-1.4", config_get_from("driver.default", &from), "auto");
	CHECK_STR("read-1.5", from, "default");

	/* The environment wins over the file, and says which variable. */
	setenv("HEARTH_POOL_SIZE", "5", 1);
	CHECK_STR("read-2.1", config_get_from("pool.size", &from), "5");
	CHECK_STR("read-2.2", from, "HEARTH_POOL_SIZE");
	unsetenv("HEARTH_POOL_SIZE");
	CHECK_STR("read-2.3", config_get("pool.size"), "3");

	/* A file edited behind our back is read again only after a reset. */
	put("set pool.size 7\n");
	CHECK_STR("read-3.1", config_get("pool.size"), "7");
}

static void
test_bad_file(void)
{
	char	*cause = NULL, *want;

	put("bind x delete\nset pool.size 65\n");
	CHECK("bad-1.1", config_load(&cause) == -1);
	want = xasprintf("%s/config:2: pool.size: '65' is not a number from 0 to 64",
	    home);
	CHECK_STR("bad-1.2", cause, want);
	free(want);
	free(cause);
	cause = NULL;
	/* A bad file leaves the defaults in force. */
	CHECK_STR("bad-1.3", config_get("pool.size"), "1");

	put("set nosuch.key 1\n");
	CHECK("bad-2.1", config_load(&cause) == -1 &&
	    strstr(cause, "config:1: unknown setting 'nosuch.key'") != NULL);
	free(cause);
	cause = NULL;

	put("set pool.size\n");
	CHECK("bad-3.1", config_load(&cause) == -1 &&
	    strstr(cause, "config:1: expected 'set KEY VALUE'") != NULL);
	free(cause);
	cause = NULL;

	put("set pool.size '2\n");
	CHECK("bad-4.1", config_load(&cause) == -1 &&
	    strstr(cause, "config:1: unterminated ' quote") != NULL);
	free(cause);
}

static void
test_write(void)
{
	char	*cause = NULL, *path;

	put("bind x delete\nset pool.size 3\n# keep me\nset pool.size 4\n");
	CHECK("write-1.1", config_write("pool.size", "2", &cause) == 0);
	CHECK_STR("write-1.2", file(), "bind x delete\nset pool.size 2\n# keep me\n");
	config_reset();
	CHECK_STR("write-1.3", config_get("pool.size"), "2");

	CHECK("write-2.1", config_write("driver.default", "ns", &cause) == 0);
	CHECK_STR("write-2.2", file(),
	    "bind x delete\nset pool.size 2\n# keep me\nset driver.default ns\n");

	/* Unset removes the line and nothing else. */
	CHECK("write-3.1", config_write("pool.size", NULL, &cause) == 0);
	CHECK_STR("write-3.2", file(), "bind x delete\n# keep me\nset driver.default ns\n");

	/* Bad input: a clear cause, and the file exactly as it was. */
	CHECK("write-4.1", config_write("pool.size", "-1", &cause) == -1);
	CHECK_STR("write-4.2", cause, "pool.size: '-1' is not a number from 0 to 64");
	free(cause);
	cause = NULL;
	CHECK("write-4.3", config_write("no.such", "1", &cause) == -1);
	CHECK_STR("write-4.4", cause, "unknown setting 'no.such' (see 'hearth config ls')");
	free(cause);
	cause = NULL;
	CHECK("write-4.5", config_write("driver.default", "xen", &cause) == -1 &&
	    strstr(cause, "driver.default: 'xen' is not a driver (") == cause);
	free(cause);
	CHECK_STR("write-4.6", file(), "bind x delete\n# keep me\nset driver.default ns\n");
	path = xasprintf("%s/config.new", home);
	CHECK("write-4.7", access(path, F_OK) != 0);
	free(path);
}

/* Without $HEARTH_HOME/config, $XDG_CONFIG_HOME/hearth/config is read. */
static void
test_xdg(void)
{
	char	*xdg = xasprintf("%s/xdg", home), *dir, *path, *cause = NULL;

	path = xasprintf("%s/config", home);
	unlink(path);
	free(path);
	dir = xasprintf("%s/hearth", xdg);
	util_mkdirs(dir, 0700);
	path = xasprintf("%s/config", dir);
	util_write_file(path, "set pool.size 9\n", 16, &cause);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	config_reset();
	CHECK_STR("xdg-1.1", config_get("pool.size"), "9");
	free(cause);
	cause = config_path();
	CHECK_STR("xdg-1.2", cause, path);
	free(cause);
	unsetenv("XDG_CONFIG_HOME");
	free(path);
	free(dir);
	free(xdg);
}

/* Log retention sizes: defaults, units, the range, a bad value refused. */
static void
test_sizes(void)
{
	char	*cause = NULL;

	unsetenv("HEARTH_LOGS_FN_BYTES");
	unsetenv("HEARTH_LOGS_TOTAL_BYTES");
	put("");
	CHECK("size-1.1", config_get_size("logs.fn_bytes") == 16LL << 20);
	CHECK("size-1.2", config_get_size("logs.total_bytes") == 256LL << 20);
	CHECK("size-1.3", config_write("logs.fn_bytes", "2G", &cause) == 0 &&
	    config_get_size("logs.fn_bytes") == 2LL << 30);
	CHECK("size-1.4", config_write("logs.fn_bytes", "100k", &cause) == 0 &&
	    config_get_size("logs.fn_bytes") == 100LL << 10);
	CHECK("size-1.5", config_write("logs.total_bytes", "1048576", &cause) == 0 &&
	    config_get_size("logs.total_bytes") == 1048576);
	CHECK("size-2.1", config_write("logs.fn_bytes", "1K", &cause) == -1);
	CHECK_STR("size-2.2", cause, "logs.fn_bytes: '1K' is not a size from "
	    "64K to 1024G (bytes, or a number with K, M or G)");
	free(cause);
	cause = NULL;
	CHECK("size-2.3", config_write("logs.total_bytes", "lots", &cause) == -1);
	free(cause);
	cause = NULL;
	CHECK("size-2.4", config_write("logs.total_bytes", "2T", &cause) == -1);
	free(cause);
	cause = NULL;
	CHECK("size-2.5", config_write("logs.total_bytes", "M", &cause) == -1);
	free(cause);
	/* A bad value from the environment counts as the default. */
	setenv("HEARTH_LOGS_FN_BYTES", "tiny", 1);
	CHECK("size-3.1", config_get_size("logs.fn_bytes") == 16LL << 20);
	setenv("HEARTH_LOGS_FN_BYTES", "1M", 1);
	CHECK("size-3.2", config_get_size("logs.fn_bytes") == 1LL << 20);
	unsetenv("HEARTH_LOGS_FN_BYTES");
	put("");
}

int
main(void)
{
	char	tmpl[] = "/tmp/hearth-test-config.XXXXXX";

	if ((home = mkdtemp(tmpl)) == NULL)
		fatal("mkdtemp failed");
	setenv("HEARTH_HOME", home, 1);
	unsetenv("HEARTH_POOL_SIZE");
	unsetenv("HEARTH_DRIVER");
	unsetenv("XDG_CONFIG_HOME");
	test_read();
	test_bad_file();
	test_write();
	test_xdg();
	test_sizes();
	util_rmtree(home);
	CHECK_DONE();
}
