/*
 * test-util-split.c — the word splitter every line reader shares
 * (util_split: config lines, command lines, the console's bindings):
 * spaces and tabs separate, '...' and "..." quote, backslash escapes,
 * '#' starts a comment, an unterminated quote is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "check.h"

/* Lines and their words, one a string, separated by '|'. */
static const char *cases[][2] = {
	{ "set qemu.binary /usr/bin/qemu-system-x86_64",
	  "set|qemu.binary|/usr/bin/qemu-system-x86_64" },
	{ "  set\tpool.size   3  ", "set|pool.size|3" },
	{ "set a 'b c' \"d \\\"e\\\"\" f\\ g", "set|a|b c|d \"e\"|f g" },
	{ "bind C-r 'fn invoke'   # a comment", "bind|C-r|fn invoke" },
	{ "a'b'c \"\" ''", "abc||" },
	{ "x\\", "x\\" },
	{ "back\\\\slash 'no \\ escape' \"tab\\there\"",
	  "back\\slash|no \\ escape|tabthere" },
	{ "a#b c", "a#b|c" },
	{ NULL, NULL }
};

int
main(void)
{
	char	**v, *cause = NULL;
	int	  n, i, j;

	CHECK("split-1.1", util_split("set  pool.size\t'4'", &n, &v, &cause) == 0);
	CHECK("split-1.2", n == 3 && v[3] == NULL);
	CHECK_STR("split-1.3", v[2], "4");
	util_free_argv(n, v);

	CHECK("split-2.1", util_split("set k 'open", &n, &v, &cause) == -1);
	CHECK_STR("split-2.2", cause, "unterminated ' quote");
	free(cause);
	CHECK("split-2.3", util_split("set k \"open", &n, &v, &cause) == -1);
	CHECK_STR("split-2.4", cause, "unterminated \" quote");
	free(cause);

	CHECK("split-3.1", util_split("  # nothing", &n, &v, &cause) == 0);
	CHECK("split-3.2", n == 0 && v != NULL && v[0] == NULL);
	util_free_argv(n, v);

	for (i = 0; cases[i][0] != NULL; i++) {
		struct buf	 b = { 0 };
		char		 id[2][32];

		snprintf(id[0], sizeof id[0], "words-4.%d.1", i + 1);
		snprintf(id[1], sizeof id[1], "words-4.%d.2", i + 1);
		CHECK(id[0], util_split(cases[i][0], &n, &v, &cause) == 0);
		buf_addstr(&b, "");
		for (j = 0; j < n; j++)
			buf_printf(&b, "%s%s", j > 0 ? "|" : "", v[j]);
		CHECK_STR(id[1], b.data, cases[i][1]);
		buf_free(&b);
		util_free_argv(n, v);
	}
	CHECK_DONE();
}
