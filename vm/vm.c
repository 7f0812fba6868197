/*
 * vm.c — the driver registry and what the manager lends vm/.
 *
 * Drivers are listed here once; everything else asks for one by name or
 * walks the list (the settings table, the choices a function may make).
 * "auto" resolves to the most isolating driver this host runs fast: qemu
 * when hardware virtualization is here and fast (accel.c measures it), ns
 * otherwise.
 *
 * vm/ knows nothing of the store or the config file: the manager calls
 * vm_setup once with a struct vm_host, and drivers reach the state
 * directory, the installed files and their settings through it.  Without
 * a host (a unit test of a driver's parts), settings read as their
 * defaults and the lib directory is util_lib_dir's guess.
 *
 * Drivers report things an operator should know but that are not errors
 * (a snapshot that could not be used, TCG instead of KVM) through
 * vm_notice; the manager takes them and shows them.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"

extern const struct vm_driver vm_ns_driver, vm_qemu_driver;

static const struct vm_driver *vm_drivers[] = {
	&vm_ns_driver,
	&vm_qemu_driver,
	NULL
};

static const struct vm_host	*vm_lent;	/* set by vm_setup, or NULL */
static struct buf		 vm_notices;	/* lines not yet taken */

/* Take what the manager lends: the host stays the caller's. */
void
vm_setup(const struct vm_host *host)
{
	vm_lent = host;
}

/* The i-th registered driver, NULL past the end. */
const struct vm_driver *
vm_driver_at(int i)
{
	if (i < 0 || i >= (int)nitems(vm_drivers) - 1)
		return NULL;
	return vm_drivers[i];
}

/* The name "auto" stands for here: the strongest driver that is fast. */
const char *
vm_driver_auto(void)
{
	const struct vm_driver	*best = NULL;
	int			 i;

	for (i = 0; vm_drivers[i] != NULL; i++) {
		if (best != NULL && vm_drivers[i]->strength <= best->strength)
			continue;
		if (vm_drivers[i]->fast == NULL || vm_drivers[i]->fast())
			best = vm_drivers[i];
	}
	return best != NULL ? best->name : vm_drivers[0]->name;
}

const struct vm_driver *
vm_driver_find(const char *name)
{
	int	i;

	if (name == NULL || strcmp(name, "auto") == 0)
		name = vm_driver_auto();
	for (i = 0; vm_drivers[i] != NULL; i++)
		if (strcmp(vm_drivers[i]->name, name) == 0)
			return vm_drivers[i];
	return NULL;
}

/* Can a function or a setting name this driver (auto included)? */
int
vm_driver_valid(const char *name)
{
	int	i;

	if (strcmp(name, "auto") == 0)
		return 1;
	for (i = 0; vm_drivers[i] != NULL; i++)
		if (strcmp(vm_drivers[i]->name, name) == 0)
			return 1;
	return 0;
}

/* The choices for an error or help text, "ns, qemu or auto"; caller frees. */
char *
vm_driver_choices(void)
{
	struct buf	b = { 0 };
	int		i;

	for (i = 0; vm_drivers[i] != NULL; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", vm_drivers[i]->name);
	buf_addstr(&b, " or auto");
	return b.data;
}

/* Seconds the slowest driver's start may take. */
int
vm_start_max_s(void)
{
	int	i, s, max = 0;

	for (i = 0; vm_drivers[i] != NULL; i++) {
		if (vm_drivers[i]->start_max_s == NULL)
			continue;
		if ((s = vm_drivers[i]->start_max_s()) > max)
			max = s;
	}
	return max;
}

/* The state directory; a driver that needs it without a host is a bug. */
const char *
vm_home(void)
{
	if (vm_lent == NULL || vm_lent->home == NULL)
		fatal("vm: no state directory (vm_setup was not called)");
	return vm_lent->home();
}

const char *
vm_lib_dir(void)
{
	if (vm_lent == NULL || vm_lent->lib_dir == NULL)
		return util_lib_dir();
	return vm_lent->lib_dir;
}

/* The driver setting key: the host's value, else its default. */
const char *
vm_setting(const char *key)
{
	const struct vm_setting	*s;
	int			 i;

	if (vm_lent != NULL && vm_lent->setting != NULL)
		return vm_lent->setting(key);
	for (i = 0; vm_drivers[i] != NULL; i++) {
		for (s = vm_drivers[i]->settings; s != NULL && s->key != NULL; s++) {
			if (strcmp(s->key, key) != 0)
				continue;
			return s->def != NULL ? s->def : s->default_fn();
		}
	}
	fatal("vm_setting: unknown key %s", key);
}

/* A setting that names a file: QEMU's command line cannot quote one. */
int
vm_check_path(const char *v, char **cause)
{
	if (*v != '\0' && strpbrk(v, ", \t") == NULL)
		return 0;
	*cause = xasprintf("'%s': a path must be non-empty, without commas or spaces", v);
	return -1;
}

int
vm_check_seconds(const char *v, char **cause)
{
	long long	n;

	if (util_parse_int(v, 1, 3600, &n) == 0)
		return 0;
	*cause = xasprintf("'%s' is not a number of seconds from 1 to 3600", v);
	return -1;
}

void
vm_notice(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	buf_printf(&vm_notices, "%s\n", msg);
	free(msg);
}

/*
 * A fault test's hook, harmless otherwise (one getenv): with
 * HEARTH_TEST_PAUSE=step in the environment, the process that gets here
 * writes its pid to $HEARTH_HOME/paused-STEP and stops there until it is
 * killed, interrupted (it goes on: a test sees what Ctrl-C ends) or the
 * file is removed (it goes on: a test has done something meanwhile, such
 * as killing another process).  The manager's steps of a start (row,
 * create, pid) and the ns driver's middle process (middle) call it.
 */
void
vm_test_pause(const char *step)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	struct stat	 sb;
	const char	*want = getenv("HEARTH_TEST_PAUSE");
	char		*path;
	int		 fd;

	if (want == NULL || strcmp(want, step) != 0)
		return;
	path = xasprintf("%s/paused-%s", vm_home(), step);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	free(path);
	if (fd == -1)
		return;
	dprintf(fd, "%d\n", (int)getpid());
	/* By descriptor: a sandbox's pivot_root may hide the path from here. */
	while (!util_interrupted && fstat(fd, &sb) == 0 && sb.st_nlink > 0)
		nanosleep(&ts, NULL);
	close(fd);
}

/* The notices since the last call, one a line, or NULL; caller frees. */
char *
vm_notice_take(void)
{
	char	*s = vm_notices.data;

	memset(&vm_notices, 0, sizeof vm_notices);
	return s;
}
