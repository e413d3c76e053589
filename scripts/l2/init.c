// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the L2 Linux guest that `make run` and `make check` boot with
 * qemu on KVM inside the virtme-ng VM (scripts/l2.sh builds the initramfs,
 * scripts/guest/l2.sh runs qemu).
 *
 * It is the whole of the guest's userspace: it says that it was reached,
 * writes one byte to each page of a fresh anonymous mapping, so that every
 * page faults in L2 and, the first time its memory is touched, in L1's KVM
 * (where kvm_pfec decides and counts), and powers the machine off.
 *
 * The kernel passes unrecognised "name=value" boot parameters to init as
 * environment variables: pfec_touch_mb=N sets how much memory to touch
 * (default 256 MiB).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define DEFAULT_TOUCH_MB	256
/* Progress every 64 MiB: a handful of lines for the default size. */
#define REPORT_MB		64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The initramfs holds /dev/console (scripts/l2.sh); a devtmpfs gives the
 * rest.  Without a console there is nobody to tell, so go on regardless.
 */
static void setup_console(void)
{
	int fd;

	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		mknod("/dev/console", S_IFCHR | 0600, makedev(5, 1));
	fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void power_off(int status)
{
	printf("kvm-pfec L2: powering off (%s)\n", status ? "FAILED" : "ok");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	/* Only reached if reboot() failed: init must not exit. */
	for (;;)
		pause();
}

int main(void)
{
	const char *env = getenv("pfec_touch_mb");
	long page = sysconf(_SC_PAGESIZE);
	unsigned long mb = DEFAULT_TOUCH_MB, off;
	size_t len;
	double t0;
	char *p;

	setup_console();
	printf("kvm-pfec L2: init reached, kernel up %.1f s\n", now());

	if (env) {
		char *end;

		errno = 0;
		mb = strtoul(env, &end, 10);
		if (errno || *end || !mb || mb > 4096) {
			printf("kvm-pfec L2: bad pfec_touch_mb=%s (want 1..4096)\n", env);
			power_off(1);
		}
	}
	len = mb << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("kvm-pfec L2: mmap of %lu MiB: %s\n", mb, strerror(errno));
		power_off(1);
	}

	t0 = now();
	for (off = 0; off < len; off += page) {
		p[off] = (char)off | 1;
		if ((off + page) % (REPORT_MB << 20) == 0)
			printf("kvm-pfec L2: touched %lu of %lu MiB\n",
			       (off + page) >> 20, mb);
	}
	/* Read every page back, so a lost write cannot pass unnoticed. */
	for (off = 0; off < len; off += page) {
		if (p[off] != ((char)off | 1)) {
			printf("kvm-pfec L2: page at offset %#lx lost its write\n", off);
			power_off(1);
		}
	}
	printf("kvm-pfec L2: wrote and read back %lu MiB (%lu pages) in %.1f s\n",
	       mb, (unsigned long)(len / page), now() - t0);
	power_off(0);
	return 0;
}
