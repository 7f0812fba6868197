/*
 * batch.c — run a file of commands, one per line.
 *
 * Blank lines and lines starting with '#' are skipped.  The first failing
 * line stops the run with "FILE:LINE: message" and its exit status; with
 * -k every line runs and the exit status is non-zero if any failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth.h"

int
batch_main(struct run_env *env, const char *path, int keep)
{
	FILE	*f;
	char	*line = NULL, *where, *msg;
	size_t	 cap = 0;
	ssize_t	 n;
	int	 lineno = 0, rc, worst = CMD_OK;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL) {
		msg = xasprintf("%s: cannot open: %s", path, strerror(errno));
		out_report(stderr, NULL, msg);	/* one line, whatever the name */
		free(msg);
		return CMD_ERROR;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		where = xasprintf("%s:%d", strcmp(path, "-") == 0 ? "stdin" : path,
		    lineno);
		env->where = where;
		rc = run_line(env, line);
		env->where = NULL;
		free(where);
		if (rc != CMD_OK) {
			if (worst == CMD_OK || rc > worst)
				worst = rc;
			if (!keep)
				break;
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return worst;
}
