/*
 * vminit.c — the agent as /init of a microVM.
 *
 * In a microVM the agent is the kernel's first process, run from the
 * initramfs that images/build.sh makes.  Before it serves it does inside
 * the guest what the ns driver does on the host: it loads the modules the
 * guest kernel needs (virtio-mmio, block, network, erofs), mounts the
 * runtime image from /dev/vda read-only as the new root with /proc, a
 * minimal /dev and a tmpfs /tmp, brings up the network card that QEMU's
 * user networking reaches, and switches root.  Then it listens on
 * PROTO_VM_PORT for the host.
 *
 * Only the shim can reach the loopback port QEMU forwards (they share a
 * network namespace of their own), and still every host connection must
 * open with the VM's token (proto.h).  The first token, from fw_cfg, is
 * only good until the host's first POST /rekey, which also reseeds the guest's RNG and sets its clock: a VM
 * restored from a snapshot would otherwise share the token, the entropy
 * pool and a stale clock with every other VM restored from it.
 *
 * The agent stays root in the guest (it swaps /var/task); the runtime runs
 * as the sandbox user with no capabilities under the same seccomp filter
 * as in an ns sandbox (confine.c), and the guest allows no user
 * namespaces, so the runtime cannot become root of one.  The root mount
 * is shared, so that code moved onto /var/task reaches the runtime's
 * mount namespace (spawn.c).
 */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <arpa/inet.h>
#include <linux/random.h>
#include <net/if.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define VM_MODULES	"/modules"	/* NN-name.ko, loaded in name order */
#define VM_NEWROOT	"/newroot"
#define VM_ROOT_DEV	"/dev/vda"
#define VM_NIC		"eth0"
#define VM_FW_CFG_DIR	"/sys/firmware/qemu_fw_cfg/by_name"

int		 vm_mode;		/* we are /init of a microVM */
static char	 vm_token[PROTO_TOKEN_LEN + 1];	/* what a host connection must show */

/* A failure before the agent serves: say why on the console and stop. */
static void __attribute__((noreturn, format(printf, 1, 2)))
vm_fail(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("hearth-agent: vm init: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	vm_poweroff();
}

/* PID 1 must not exit (the kernel panics); reset, and QEMU quits. */
void
vm_poweroff(void)
{
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void
vm_mount(const char *src, const char *dst, const char *type,
    unsigned long flags, const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) == -1)
		vm_fail("mount %s on %s: %s", type != NULL ? type : src, dst,
		    strerror(errno));
}

/* Parameters for module name from the kernel command line (name.k=v). */
static void
vm_module_params(const char *cmdline, const char *name, char *out, size_t len)
{
	const char	*p = cmdline, *e;
	size_t		 n = strlen(name), used = 0;

	out[0] = '\0';
	while (*p != '\0') {
		p += strspn(p, " \n");
		e = p + strcspn(p, " \n");
		if ((size_t)(e - p) > n + 1 && strncmp(p, name, n) == 0 &&
		    p[n] == '.' && used + (e - p - n) + 1 < len) {
			used += snprintf(out + used, len - used, "%s%.*s",
			    used != 0 ? " " : "", (int)(e - p - n - 1), p + n + 1);
		}
		p = e;
	}
}

/* Load every module in VM_MODULES in name order, then delete the files. */
static void
vm_load_modules(void)
{
	struct dirent	**names;
	char		  cmdline[4096], mod[64], params[1024], path[512];
	int		  i, n, fd;
	ssize_t		  len = 0;

	if ((fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC)) != -1) {
		len = read(fd, cmdline, sizeof cmdline - 1);
		close(fd);
	}
	cmdline[len > 0 ? len : 0] = '\0';
	if ((n = scandir(VM_MODULES, &names, NULL, alphasort)) == -1)
		vm_fail("%s: %s", VM_MODULES, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *file = names[i]->d_name, *base;

		if (file[0] == '.')
			goto next;
		base = strchr(file, '-') != NULL ? strchr(file, '-') + 1 : file;
		snprintf(mod, sizeof mod, "%.*s", (int)strcspn(base, "."), base);
		vm_module_params(cmdline, mod, params, sizeof params);
		snprintf(path, sizeof path, "%s/%s", VM_MODULES, file);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			vm_fail("%s: %s", path, strerror(errno));
		if (syscall(SYS_finit_module, fd, params, 0) == -1 && errno != EEXIST)
			vm_fail("load %s: %s", mod, strerror(errno));
		close(fd);
		unlink(path);
	next:
		free(names[i]);
	}
	free(names);
}

/* Wait up to 5 s for path to appear (devices probe as modules load). */
static void
vm_wait_for(const char *path)
{
	int	i;

	for (i = 0; i < 500; i++) {
		if (access(path, F_OK) == 0)
			return;
		usleep(10000);
	}
	vm_fail("%s did not appear", path);
}

/* The same minimal /dev as an ns sandbox: a few character devices. */
static void
vm_dev(const char *dev)
{
	static const struct { const char *name; int minor; } nodes[] = {
		{ "null", 3 }, { "zero", 5 }, { "full", 7 }, { "random", 8 },
		{ "urandom", 9 },
	};
	char	p[256];
	size_t	i;

	vm_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755");
	for (i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dev, nodes[i].name);
		if (mknod(p, S_IFCHR | 0666, makedev(1, nodes[i].minor)) == -1)
			vm_fail("mknod %s: %s", p, strerror(errno));
		chmod(p, 0666);
	}
	snprintf(p, sizeof p, "%s/shm", dev);
	vm_mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "size=16m,mode=1777");
	snprintf(p, sizeof p, "%s/fd", dev);
	symlink("/proc/self/fd", p);
	snprintf(p, sizeof p, "%s/stdout", dev);
	symlink("/proc/self/fd/1", p);
	snprintf(p, sizeof p, "%s/stderr", dev);
	symlink("/proc/self/fd/2", p);
}

static void
vm_if_up(int fd, const char *name, const char *addr, const char *mask)
{
	struct ifreq		 ifr;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (addr != NULL) {
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &sin->sin_addr);
		if (ioctl(fd, SIOCSIFADDR, &ifr) == -1)
			vm_fail("%s address: %s", name, strerror(errno));
		inet_pton(AF_INET, mask, &sin->sin_addr);
		if (ioctl(fd, SIOCSIFNETMASK, &ifr) == -1)
			vm_fail("%s netmask: %s", name, strerror(errno));
	}
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		vm_fail("%s: %s", name, strerror(errno));
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		vm_fail("%s up: %s", name, strerror(errno));
}

/* Listen for the host on the guest address QEMU forwards to; fd 3. */
static void
vm_listen(void)
{
	int	fd;

	if ((fd = agent_listen_tcp(PROTO_VM_GUEST_ADDR, PROTO_VM_PORT, 64, 0)) == -1)
		vm_fail("listen on port %d: %s", PROTO_VM_PORT, strerror(errno));
	if (fd != PROTO_LISTEN_FD) {
		dup2(fd, PROTO_LISTEN_FD);
		close(fd);
	}
}

/*
 * The agent's settings, "KEY=VALUE" lines in a fw_cfg file: unlike the
 * kernel command line they show in no process's argv on the host (QEMU
 * reads them from a private file) and in nothing the guest can read
 * once this file's sysfs is unmounted.
 */
static void
vm_read_env(void)
{
	static char	 buf[4096];
	char		*p, *nl, *eq;
	int		 fd;
	ssize_t		 len;

	vm_wait_for(VM_FW_CFG_DIR "/" PROTO_VM_FW_CFG "/raw");
	if ((fd = open(VM_FW_CFG_DIR "/" PROTO_VM_FW_CFG "/raw",
	    O_RDONLY | O_CLOEXEC)) == -1)
		vm_fail("fw_cfg %s: %s", PROTO_VM_FW_CFG, strerror(errno));
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	for (p = buf; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p) - 1;
		else
			*nl = '\0';
		if ((eq = strchr(p, '=')) != NULL) {
			*eq = '\0';
			setenv(p, eq + 1, 1);
		}
		if (nl[1] == '\0')
			break;
	}
}

/* The image's runtime command: /opt/hearth/cmd, one argument a line. */
static char **
vm_runtime_cmd(void)
{
	static char	 buf[4096];
	char		**argv, *p, *nl;
	int		 fd, n = 0;
	ssize_t		 len;

	if ((fd = open(PROTO_VM_CMD_FILE, O_RDONLY | O_CLOEXEC)) == -1)
		vm_fail("%s: %s", PROTO_VM_CMD_FILE, strerror(errno));
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		vm_fail("%s is empty", PROTO_VM_CMD_FILE);
	buf[len] = '\0';
	argv = amalloc(sizeof *argv * 64);
	for (p = buf; *p != '\0' && n < 63; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p) - 1;
		else
			*nl = '\0';
		argv[n++] = p;
		if (nl[1] == '\0')
			break;
	}
	argv[n] = NULL;
	return argv;
}

/*
 * Become the VM's root: modules, devices, the image from /dev/vda, the
 * network, switch root.  Returns the runtime command to start.
 */
char **
vm_init(void)
{
	const char	*tok, *tmp_mb, *host;
	char		 opts[64];
	int		 fd;

	vm_mode = 1;
	mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL);
	if ((fd = open("/dev/console", O_RDWR | O_NOCTTY)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	vm_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	vm_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	vm_load_modules();
	vm_read_env();
	if ((tok = getenv(PROTO_ENV_TOKEN)) == NULL ||
	    strlen(tok) != PROTO_TOKEN_LEN)
		vm_fail("no %s in fw_cfg %s", PROTO_ENV_TOKEN, PROTO_VM_FW_CFG);
	snprintf(vm_token, sizeof vm_token, "%s", tok);
	unsetenv(PROTO_ENV_TOKEN);
	vm_wait_for(VM_ROOT_DEV);
	mkdir(VM_NEWROOT, 0755);
	if (mount(VM_ROOT_DEV, VM_NEWROOT, "erofs", MS_RDONLY, NULL) == -1 &&
	    mount(VM_ROOT_DEV, VM_NEWROOT, "ext4", MS_RDONLY, NULL) == -1)
		vm_fail("mount %s: %s", VM_ROOT_DEV, strerror(errno));
	vm_wait_for("/sys/class/net/" VM_NIC);
	umount2("/proc", MNT_DETACH);
	umount2("/sys", MNT_DETACH);

	vm_mount("proc", VM_NEWROOT "/proc", "proc",
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	tmp_mb = getenv(PROTO_ENV_TMP_MB);
	snprintf(opts, sizeof opts, "size=%sm,mode=1777", tmp_mb != NULL ?
	    tmp_mb : "512");
	vm_mount("tmpfs", VM_NEWROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts);
	vm_dev(VM_NEWROOT "/dev");
	umount2("/dev", MNT_DETACH);
	unlink("/init");
	rmdir(VM_MODULES);

	if (chdir(VM_NEWROOT) == -1 || mount(".", "/", NULL, MS_MOVE, NULL) == -1 ||
	    chroot(".") == -1 || chdir("/") == -1)
		vm_fail("switch root: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_SHARED, NULL) == -1)
		vm_fail("shared root: %s", strerror(errno));
	if ((fd = open("/proc/sys/user/max_user_namespaces", O_WRONLY |
	    O_CLOEXEC)) == -1 || write(fd, "0", 1) != 1)
		vm_fail("max_user_namespaces: %s", strerror(errno));
	close(fd);
	if ((host = getenv(PROTO_ENV_HOSTNAME)) != NULL)
		sethostname(host, strlen(host));
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		vm_fail("socket: %s", strerror(errno));
	vm_if_up(fd, "lo", NULL, NULL);
	vm_if_up(fd, VM_NIC, PROTO_VM_GUEST_ADDR, "255.255.255.0");
	close(fd);
	vm_listen();
	fprintf(stderr, PROTO_VM_READY_LINE ", protocol %d\n", PROTO_VERSION);
	return vm_runtime_cmd();
}

/* Is this connection from QEMU's user network (the host), not the guest? */
int
vm_peer_ok(const struct sockaddr_in *sin)
{
	struct in_addr	host;

	inet_pton(AF_INET, PROTO_VM_HOST_ADDR, &host);
	return sin->sin_family == AF_INET && sin->sin_addr.s_addr == host.s_addr;
}

/*
 * Check and strip the token line a host connection opens with.  Returns 1
 * when authenticated, 0 when more bytes are needed, -1 to refuse.
 */
int
vm_auth(struct sbuf *in)
{
	char	*nl;
	size_t	 i, n = strlen(PROTO_TOKEN_PREFIX);
	int	 diff = 0;

	if ((nl = memchr(in->data, '\n', in->len)) == NULL)
		return in->len > n + PROTO_TOKEN_LEN + 2 ? -1 : 0;
	if ((size_t)(nl - in->data) != n + PROTO_TOKEN_LEN ||
	    memcmp(in->data, PROTO_TOKEN_PREFIX, n) != 0)
		return -1;
	for (i = 0; i < PROTO_TOKEN_LEN; i++)	/* constant time */
		diff |= in->data[n + i] ^ vm_token[i];
	if (diff != 0)
		return -1;
	memmove(in->data, nl + 1, in->len - (nl + 1 - in->data));
	in->len -= nl + 1 - in->data;
	in->data[in->len] = '\0';
	return 1;
}

static int
vm_hex(const char *s, unsigned char *out, size_t n)
{
	size_t		i;
	unsigned int	b;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (unsigned char)b;
	}
	return 0;
}

/*
 * Settings a restored VM must take from its new host rather than from the
 * VM it was saved from: uts name, idle TTL, size of /tmp ("KEY=VALUE"
 * lines, as in the fw_cfg file).
 */
static void
vm_apply_settings(const char *text)
{
	const char	*p, *v;
	char		 val[256], opts[64];
	size_t		 n;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n') != NULL ?
	    strchr(p, '\n') + 1 : NULL) {
		if ((v = strchr(p, '=')) == NULL || v > p + strcspn(p, "\n"))
			continue;
		n = strcspn(v + 1, "\n");
		snprintf(val, sizeof val, "%.*s", (int)n, v + 1);
		if (strncmp(p, PROTO_ENV_HOSTNAME "=", v - p + 1) == 0)
			sethostname(val, strlen(val));
		else if (strncmp(p, PROTO_ENV_IDLE_TTL "=", v - p + 1) == 0)
			agent_set_idle_ttl(strtol(val, NULL, 10));
		else if (strncmp(p, PROTO_ENV_TMP_MB "=", v - p + 1) == 0) {
			snprintf(opts, sizeof opts, "size=%.16sm,mode=1777", val);
			mount(NULL, "/tmp", NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV,
			    opts);
		}
	}
}

/*
 * POST /rekey: "token=HEX\nseed=HEX\ntime_ms=N\n" and the settings
 * above.  A new token, entropy credited to the guest's RNG, the host's
 * wall clock.
 */
void
vm_rekey(struct conn *c, const char *body, size_t len)
{
	struct {
		struct rand_pool_info	info;
		unsigned char		buf[PROTO_SEED_LEN];
	} seed;
	char		 text[4096], *tok, *hex, *ms;
	struct timespec	 ts;
	long long	 t;
	int		 fd, i;

	if (len >= sizeof text) {
		conn_reply(c, 400, NULL, NULL, 0);
		return;
	}
	memcpy(text, body, len);
	text[len] = '\0';
	tok = strstr(text, "token=");
	hex = strstr(text, "seed=");
	ms = strstr(text, "time_ms=");
	if (tok == NULL || hex == NULL || ms == NULL ||
	    strcspn(tok + 6, "\n") != PROTO_TOKEN_LEN ||
	    strcspn(hex + 5, "\n") != 2 * PROTO_SEED_LEN ||
	    vm_hex(hex + 5, seed.buf, PROTO_SEED_LEN) != 0) {
		conn_reply(c, 400, NULL, NULL, 0);
		return;
	}
	seed.info.entropy_count = PROTO_SEED_LEN * 8;
	seed.info.buf_size = PROTO_SEED_LEN;
	if ((fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC)) != -1) {
		/*
		 * Credited entropy alone reseeds the kernel's CRNG only
		 * while it initialises; after that it would wait for its
		 * periodic reseed, and VMs restored from one snapshot would
		 * draw the same bytes until then.  So reseed now.
		 */
		if (ioctl(fd, RNDADDENTROPY, &seed) == -1 ||
		    ioctl(fd, RNDRESEEDCRNG) == -1)
			agent_log("reseed: %s", strerror(errno));
		close(fd);
	}
	t = strtoll(ms + 8, NULL, 10);
	ts.tv_sec = t / 1000;
	ts.tv_nsec = (t % 1000) * 1000000;
	clock_settime(CLOCK_REALTIME, &ts);
	vm_apply_settings(text);
	memcpy(vm_token, tok + 6, PROTO_TOKEN_LEN);
	/* Whoever got in with the old token is out. */
	for (i = 0; i < AGENT_MAX_CONNS; i++)
		if (conns[i].fd != -1 && &conns[i] != c &&
		    conns[i].kind == CONN_HOST)
			conn_close(&conns[i]);
	conn_reply(c, 204, NULL, NULL, 0);
}

/*
 * POST /quiesce: before the host saves this VM, drop the page cache and
 * slab caches (what booting and the runtime's start read) and compact
 * memory.  With init_on_free=1 the freed pages are zero, which a snapshot
 * does not store and a restored VM does not map.
 */
void
vm_quiesce(struct conn *c)
{
	int	fd;

	sync();
	if ((fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC)) != -1) {
		if (write(fd, "3", 1) != 1)
			agent_log("drop_caches: %s", strerror(errno));
		close(fd);
	}
	/* Not every kernel can compact; that only costs some snapshot size. */
	if ((fd = open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC)) != -1) {
		ssize_t w = write(fd, "1", 1);

		(void)w;
		close(fd);
	}
	conn_reply(c, 204, NULL, NULL, 0);
}
