/*
 * test-bundle.c — a code directory as a PUT /code body: pre-order,
 * directories before their contents, modes, symlinks, sizes; and what
 * cannot travel (a device, a newline in a name) refused by name.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"
#include "check.h"

int
main(void)
{
	char		 tmpl[] = "/tmp/hearth-bundle.XXXXXX", *dir, *p, *cause = NULL;
	struct buf	 b = { 0 };

	dir = mkdtemp(tmpl);
	CHECK("bundle-1.0", dir != NULL);
	p = xasprintf("%s/lib", dir);
	mkdir(p, 0750);
	free(p);
	p = xasprintf("%s/app.py", dir);
	util_write_file(p, "print(1)\n", 9, &cause);
	chmod(p, 0644);
	free(p);
	p = xasprintf("%s/lib/x.py", dir);
	util_write_file(p, "", 0, &cause);
	chmod(p, 0600);
	free(p);
	p = xasprintf("%s/link", dir);
	CHECK("bundle-1.1", symlink("lib/x.py", p) == 0);
	free(p);

	CHECK("bundle-1.2", bundle_build(dir, &b, &cause) == 0);
	CHECK_STR("bundle-1.3", b.data,
	    "f 644 9 app.py\nprint(1)\n"
	    "d 750 lib\n"
	    "f 600 0 lib/x.py\n"
	    "l 8 link\nlib/x.py");
	buf_free(&b);

	/* A FIFO is not code: refused, naming it. */
	p = xasprintf("%s/pipe", dir);
	CHECK("bundle-2.1", mkfifo(p, 0600) == 0);
	CHECK("bundle-2.2", bundle_build(dir, &b, &cause) == -1);
	CHECK("bundle-2.3", cause != NULL && strstr(cause, "pipe: not a file") != NULL);
	free(cause);
	cause = NULL;
	unlink(p);
	free(p);
	buf_free(&b);

	/* A newline would break the line framing. */
	p = xasprintf("%s/a\nb", dir);
	util_write_file(p, "x", 1, &cause);
	CHECK("bundle-3.1", bundle_build(dir, &b, &cause) == -1);
	CHECK("bundle-3.2", cause != NULL && strstr(cause, "newline") != NULL);
	free(cause);
	free(p);
	buf_free(&b);

	CHECK("bundle-4.1", bundle_build("/nonexistent/code", &b, &cause) == -1);
	CHECK("bundle-4.2", cause != NULL && strstr(cause, "/nonexistent/code") != NULL);
	free(cause);
	buf_free(&b);

	util_rmtree(dir);
	CHECK_DONE();
}
