/*
 * test-vm-settings.c — what the manager learns from the driver registry
 * rather than from driver names: the settings table (its own settings,
 * then each driver's), the driver choices in checks and errors, the auto
 * choice, the longest start, the nouns and the snapshot ops; and what a
 * driver reads through the host the manager lends it (vm_setup), or its
 * defaults without one.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "core.h"
#include "vm.h"
#include "check.h"

static char	 home[] = "/tmp/hearth-unit.XXXXXX";	/* the state directory */

static const char *
fake_home(void)
{
	return home;
}

static const char *
fake_setting(const char *key)
{
	return strcmp(key, "qemu.boot_timeout") == 0 ? "7" : "lent";
}

int
main(void)
{
	static const char *keys[] = { "driver.default", "pool.size",
	    "instances.memory",
	    "logs.fn_bytes", "logs.total_bytes",
	    "lambda.region", "lambda.account_id",
	    "qemu.binary", "qemu.kernel", "qemu.boot_timeout", NULL };
	char		*dir = home, *cause = NULL, *s;
	const char	*help, *k, *auto_name;
	struct vm_host	 host = { fake_home, "/opt/lib", fake_setting };
	int		 i;

	if (mkdtemp(dir) == NULL)
		return 1;
	setenv("HEARTH_HOME", dir, 1);
	unsetenv("HEARTH_QEMU");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HEARTH_LIBDIR", "/opt/hearth-lib", 1);

	/* 1: the table: the manager's settings, then the drivers'. */
	for (i = 0; (k = config_key(i, &help)) != NULL && keys[i] != NULL; i++)
		CHECK_STR("table-1.1", k, keys[i]);
	CHECK("table-1.2", k == NULL && keys[i] == NULL);
	config_key(0, &help);
	CHECK_STR("table-1.3", help,
	    "driver for functions created without --driver: ns, qemu or auto");
	CHECK_STR("table-1.4", config_get("qemu.binary"), "qemu-system-x86_64");
	CHECK_STR("table-1.5", config_get("qemu.boot_timeout"), "60");
	CHECK_STR("table-1.6", config_get("qemu.kernel"),
	    "/opt/hearth-lib/images/guest/vmlinuz");

	/* 2: checks: a driver's own, and the driver names. */
	CHECK("check-2.1", config_check("qemu.boot_timeout", "0", &cause) == -1);
	CHECK_STR("check-2.2", cause,
	    "qemu.boot_timeout: '0' is not a number of seconds from 1 to 3600");
	free(cause);
	CHECK("check-2.3", config_check("qemu.kernel", "/a b", &cause) == -1);
	free(cause);
	CHECK("check-2.4", config_check("driver.default", "xen", &cause) == -1);
	CHECK_STR("check-2.5", cause,
	    "driver.default: 'xen' is not a driver (ns, qemu or auto)");
	free(cause);
	CHECK("check-2.6", config_check("driver.default", "qemu", &cause) == 0 &&
	    config_check("driver.default", "auto", &cause) == 0);
	CHECK("check-2.7", fn_valid_driver("ns", &cause) == 0);
	CHECK("check-2.8", fn_valid_driver("kvm", &cause) == -1);
	CHECK_STR("check-2.9", cause, "unknown driver 'kvm' (want ns, qemu or auto)");
	free(cause);

	/* 3: the registry's answers. */
	CHECK_STR("reg-3.1", vm_driver_at(0)->name, "ns");
	CHECK_STR("reg-3.2", vm_driver_at(1)->name, "qemu");
	CHECK("reg-3.3", vm_driver_at(2) == NULL && vm_driver_at(-1) == NULL);
	CHECK_STR("reg-3.4", vm_driver_find("ns")->noun, "sandbox");
	CHECK_STR("reg-3.5", vm_driver_find("qemu")->noun, "microVM");
	CHECK("reg-3.6", vm_driver_find("ns")->snapshot_list == NULL &&
	    vm_driver_find("qemu")->snapshot_list != NULL &&
	    vm_driver_find("qemu")->snapshot_delete != NULL);
	CHECK("reg-3.7", vm_driver_valid("auto") && !vm_driver_valid("xen"));
	s = vm_driver_choices();
	CHECK_STR("reg-3.8", s, "ns, qemu or auto");
	free(s);

	/* 4: without a host, defaults; with one, what it lends. */
	CHECK_STR("host-4.1", vm_setting("qemu.boot_timeout"), "60");
	CHECK("host-4.2", vm_start_max_s() == 60 + 60 + 120);
	CHECK_STR("host-4.3", vm_lib_dir(), "/opt/hearth-lib");
	vm_setup(&host);
	CHECK_STR("host-4.4", vm_setting("qemu.boot_timeout"), "7");
	CHECK_STR("host-4.5", vm_setting("qemu.binary"), "lent");
	CHECK("host-4.6", vm_start_max_s() == 60 + 7 + 120);
	CHECK_STR("host-4.7", vm_lib_dir(), "/opt/lib");
	CHECK_STR("host-4.8", vm_home(), home);
	/* auto: qemu where KVM is fast (accel.c may cache under home). */
	auto_name = vm_driver_auto();
	CHECK("reg-3.9", strcmp(auto_name, strcmp(accel_choose(NULL), "kvm") == 0 ?
	    "qemu" : "ns") == 0);
	CHECK("reg-3.10", vm_driver_find(NULL) == vm_driver_find(auto_name));
	vm_setup(NULL);

	util_rmtree(dir);
	CHECK_DONE();
}
