// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_vm_churn: create and destroy VMs as fast as possible, for a while.
 *
 * Not a pass/fail test (it is not in the kvm-pfec collection): it is the
 * load of scripts/guest/churn.sh, the reproducer of the "int3" oops that
 * Documentation/testing.rst explains.  Every KVM_CREATE_VM, while no other
 * VM exists, enables preempt_notifier_key and the VM's destruction disables
 * it again, so the kernel rewrites the static-branch sites in the scheduler
 * (text_poke_bp) twice per round.  Half the rounds are software-protected
 * VMs with a guest_memfd that is closed after the VM, so that the last
 * reference goes from kvm_gmem_release(), the path of the oops seen.
 *
 * Meanwhile a pair of threads ping-pongs over pipes, so that __schedule()
 * runs all the time on the other vCPU.
 *
 * Usage: pfec_vm_churn SECONDS
 * Prints the number of VMs created.
 */
#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kvm_util.h"
#include "test_util.h"

/* Small: the memfd only has to exist, never to be faulted in. */
#define GMEM_SIZE	(2ul << 20)

static volatile bool stop;

static void *pingpong(void *arg)
{
	int *fds = arg;
	char c = 0;

	while (!stop) {
		if (write(fds[1], &c, 1) != 1 || read(fds[0], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void churn_one(int kvm_fd, bool protected)
{
	struct kvm_create_guest_memfd gmem = { .size = GMEM_SIZE };
	int vm_fd, gmem_fd = -1;

	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM,
		      protected ? KVM_X86_SW_PROTECTED_VM : KVM_X86_DEFAULT_VM);
	TEST_ASSERT(vm_fd >= 0, "KVM_CREATE_VM failed, errno %d", errno);
	if (protected) {
		gmem_fd = ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, &gmem);
		TEST_ASSERT(gmem_fd >= 0, "KVM_CREATE_GUEST_MEMFD failed, errno %d", errno);
	}
	close(vm_fd);
	/* The memfd holds the last reference: kvm_gmem_release() frees the VM. */
	if (gmem_fd >= 0)
		close(gmem_fd);
}

int main(int argc, char *argv[])
{
	int ab[2], ba[2], fwd[2], back[2];
	bool protected_ok;
	unsigned long n = 0;
	pthread_t t[2];
	time_t end;
	int kvm_fd;

	TEST_ASSERT(argc == 2 && atoi(argv[1]) > 0, "usage: %s SECONDS", argv[0]);
	end = time(NULL) + atoi(argv[1]);
	kvm_fd = open_kvm_dev_path_or_exit();
	protected_ok = kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM);

	TEST_ASSERT(!pipe(ab) && !pipe(ba), "pipe failed");
	fwd[0] = ab[0], fwd[1] = ba[1];
	back[0] = ba[0], back[1] = ab[1];
	pthread_create(&t[0], NULL, pingpong, fwd);
	/* The second thread starts the ball rolling. */
	TEST_ASSERT(write(ab[1], "x", 1) == 1, "write failed");
	pthread_create(&t[1], NULL, pingpong, back);

	while (time(NULL) < end)
		churn_one(kvm_fd, protected_ok && (n++ & 1));

	stop = true;
	close(ab[1]);
	close(ba[1]);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	printf("pfec_vm_churn: %lu VMs created and destroyed in %s s%s\n", n, argv[1],
	       protected_ok ? ", half of them software-protected with a guest_memfd" : "");
	return 0;
}
