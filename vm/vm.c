/*
 * vm.c — the driver registry.
 *
 * Drivers are listed here once; everything else asks for one by name.
 * "auto" resolves to the best driver this host can run fast: qemu when
 * hardware virtualization is here and fast (accel.c measures it), ns
 * otherwise.  Drivers report things an operator should know but that are
 * not errors (a snapshot that could not be used, TCG instead of KVM)
 * through vm_notice; the manager takes them and shows them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vm.h"

extern const struct vm_driver vm_ns_driver, vm_qemu_driver;

static const struct vm_driver *vm_drivers[] = {
	&vm_ns_driver,
	&vm_qemu_driver,
	NULL
};

static struct buf vm_notices;

const char *
vm_driver_auto(void)
{
	return strcmp(accel_choose(NULL), "kvm") == 0 ? "qemu" : "ns";
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

/* The notices since the last call, one a line, or NULL; caller frees. */
char *
vm_notice_take(void)
{
	char	*s = vm_notices.data;

	memset(&vm_notices, 0, sizeof vm_notices);
	return s;
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
