/*
 * vm.c — the driver registry.
 *
 * Drivers are listed here once; everything else asks for one by name.
 * "auto" resolves to the best driver this host can run fast: for now the
 * ns driver (the qemu driver registers here when it exists).
 */
#include <string.h>

#include "vm.h"

extern const struct vm_driver vm_ns_driver;

static const struct vm_driver *vm_drivers[] = {
	&vm_ns_driver,
	NULL
};

const char *
vm_driver_default(void)
{
	return "ns";
}

const struct vm_driver *
vm_driver_find(const char *name)
{
	int	i;

	if (name == NULL || strcmp(name, "auto") == 0)
		name = vm_driver_default();
	for (i = 0; vm_drivers[i] != NULL; i++)
		if (strcmp(vm_drivers[i]->name, name) == 0)
			return vm_drivers[i];
	return NULL;
}
