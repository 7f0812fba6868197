/*
 * qemu-shim.c — starting the hearth-shim that supervises one microVM.
 *
 * The shim (vm/shim/shim.c) is started detached in the instance's cgroup,
 * so QEMU's memory and CPU are limited like an ns sandbox's and the VM
 * outlives the hearth process that asked for it.  It confines QEMU and
 * relays RUN_DIR/agent.sock to the agent.  Its arguments are the assets
 * to show QEMU, the run directory, the descriptor of a status pipe, the
 * boot timeout and QEMU's argv; its verdict comes back on that pipe as
 * one line: "ready PORT MS" or "error WHY".
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "proto.h"
#include "vm.h"
#include "qemu.h"

/*
 * Start a shim for argv in the instance's cgroup, detached (a grandchild,
 * its own session), and wait for its verdict.  The shim shows QEMU the
 * assets in its jail, lets it open /dev/kvm when kvm is set and, to
 * restore, opens the state file.  Fills *pidp and *ready_ms; -1 with
 * *cause (the shim's reason, serial console tail included).
 */
int
qemu_shim_start(const struct vm_spec *spec, const struct qemu_assets *a,
    char **argv, const char *restore, int kvm, int timeout_s, pid_t *pidp,
    long *ready_ms, char **cause)
{
	struct pollfd	 pfd;
	char		*shim, fdstr[16], tmo[16], msg[4096];
	char		**av;
	int		 sp[2], pp[2], i, n, k = 0, st;
	size_t		 got = 0;
	pid_t		 middle, pid = 0;
	ssize_t		 r;
	uint64_t	 deadline;

	shim = xasprintf("%s/hearth-shim", vm_lib_dir());
	if (access(shim, X_OK) != 0) {
		*cause = xasprintf("qemu driver: %s: %s", shim, strerror(errno));
		free(shim);
		return -1;
	}
	if (pipe2(sp, O_CLOEXEC) == -1 || pipe2(pp, O_CLOEXEC) == -1) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		free(shim);
		return -1;
	}
	for (n = 0; argv[n] != NULL; n++)
		;
	av = xcalloc(n + 16, sizeof *av);
	snprintf(fdstr, sizeof fdstr, "%d", PROTO_LISTEN_FD);
	snprintf(tmo, sizeof tmo, "%d", timeout_s);
	av[k++] = (char *)"hearth-shim";
	av[k++] = (char *)"-b";
	av[k++] = a->kernel;
	av[k++] = (char *)"-b";
	av[k++] = a->initrd;
	av[k++] = (char *)"-b";
	av[k++] = a->disk;
	if (kvm)
		av[k++] = (char *)"-k";
	if (restore != NULL) {
		av[k++] = (char *)"-i";
		av[k++] = (char *)restore;
	}
	av[k++] = (char *)spec->run_dir;
	av[k++] = fdstr;
	av[k++] = tmo;
	av[k++] = (char *)"--";
	for (i = 0; i < n; i++)
		av[k++] = argv[i];
	fflush(NULL);
	if ((middle = fork()) == -1) {
		*cause = xasprintf("fork: %s", strerror(errno));
		goto fail;
	}
	if (middle == 0) {
		setsid();
		if (cgroup_join(spec->id) != 0)
			_exit(1);
		if ((pid = fork()) == 0) {
			int fd;

			dup2(sp[1], PROTO_LISTEN_FD);	/* the status pipe */
			if ((fd = open("/dev/null", O_RDWR)) != -1) {
				dup2(fd, 0);
				dup2(fd, 1);
				dup2(fd, 2);
			}
			for (fd = PROTO_LISTEN_FD + 1; fd < 1024; fd++)
				close(fd);
			signal(SIGPIPE, SIG_DFL);
			execv(shim, av);
			_exit(127);
		}
		if (write(pp[1], &pid, sizeof pid) != sizeof pid)
			_exit(1);
		_exit(pid > 0 ? 0 : 1);
	}
	close(sp[1]);
	close(pp[1]);
	sp[1] = pp[1] = -1;
	while (waitpid(middle, &st, 0) == -1 && errno == EINTR)
		;
	if (read(pp[0], &pid, sizeof pid) != sizeof pid || pid <= 0) {
		*cause = xasprintf("qemu driver: could not start the shim "
		    "(cgroup hearth/%s)", spec->id);
		goto fail;
	}
	/* The shim's verdict: one line, "ready PORT MS" or "error WHY". */
	deadline = util_mono_us() + (uint64_t)(timeout_s + 15) * 1000000;
	pfd.fd = sp[0];
	pfd.events = POLLIN;
	while (got < sizeof msg - 1 && memchr(msg, '\n', got) == NULL) {
		long left = (long)((deadline - util_mono_us()) / 1000);

		if (util_mono_us() >= deadline || poll(&pfd, 1, (int)left) == 0) {
			kill(pid, SIGTERM);
			*cause = xasprintf("VM %s: the shim gave no answer in %d s",
			    spec->id, timeout_s + 15);
			goto fail;
		}
		if ((r = read(sp[0], msg + got, sizeof msg - 1 - got)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			break;
		}
		got += r;
	}
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	if (strncmp(msg, "ready ", 6) != 0) {
		*cause = xasprintf("VM %s: %s", spec->id, strncmp(msg, "error ", 6) == 0 ?
		    msg + 6 : "the shim exited during boot");
		goto fail;
	}
	if (sscanf(msg, "ready %*d %ld", ready_ms) != 1)
		*ready_ms = 0;
	*pidp = pid;
	close(sp[0]);
	close(pp[0]);
	free(av);
	free(shim);
	return 0;
fail:
	for (i = 0; i < 2; i++) {
		if (sp[i] != -1)
			close(sp[i]);
		if (pp[i] != -1)
			close(pp[i]);
	}
	free(av);
	free(shim);
	return -1;
}
