// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_stuck_flood_test: a VMM cannot flood the host's log.
 *
 * kvm_pfec.ko logs a vCPU that gets the same memory fault 16 times in a row
 * as stuck, and any /dev/kvm user can start a new episode at will: move the
 * fault to another address, or write another exit reason into kvm_run
 * before the next KVM_RUN.  This test does both, 10,000 memory-fault exits
 * in 16-exit episodes, and checks that:
 *
 * - every episode is counted in pfec_memory_fault_stuck;
 * - the kernel log grew by at most the module's host-wide budget, 10 lines
 *   per one-minute window, with one more per CPU as slack for reports that
 *   race with the one opening a window, however many episodes there were.
 *
 * The memory fault is upstream private_mem_kvm_exits_test's: a
 * software-protected VM whose pages are private by attribute, in a memslot
 * without guest_memfd, so each access exits with EFAULT.
 */
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

#define NPAGES		16
#define EXITS		10000
/* kvm_pfec's stuck threshold: identical faults in a row. */
#define EPISODE		16
/* kvm_pfec's host-wide bound: lines per one-minute window. */
#define BURST		10
#define STUCK_LINE	"the same memory fault"

/*
 * Reads the address in RAX forever.  The host moves the fault by changing
 * RAX: after a memory-fault exit the vCPU retries the same load.
 */
static void guest_read_rax(void)
{
	asm volatile("1: mov (%%rax), %%rbx\n\t"
		     "jmp 1b"
		     : : "a"(PFEC_TEST_GPA) : "rbx", "memory");
}

static void set_rax(struct kvm_vcpu *vcpu, uint64_t rax)
{
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	regs.rax = rax;
	vcpu_regs_set(vcpu, &regs);
}

int main(int argc, char *argv[])
{
	uint64_t gpa = PFEC_TEST_GPA;
	struct timespec t0, t1;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int fd, i, r, lines;
	long cpus;
	double secs;

	pfec_require_sw_protected_vm();
	TEST_REQUIRE(kvm_pfec_loaded());

	vm = pfec_fault_vm_create(false, NPAGES, guest_read_rax, &vcpu);
	vm_mem_set_private(vm, PFEC_TEST_GPA, NPAGES * PAGE_SIZE);

	fd = kmsg_open_at_end();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < EXITS; i++) {
		if (i && i % EPISODE == 0) {
			if ((i / EPISODE) % 2) {
				/* A new episode at another address. */
				gpa = PFEC_TEST_GPA + ((i / EPISODE) % NPAGES) * PAGE_SIZE;
				set_rax(vcpu, gpa);
			} else {
				/* A new episode at the same address. */
				vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
			}
		}
		r = _vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EFAULT,
			    "exit %d: KVM_RUN: expected EFAULT, got %d (errno %d)", i, r, errno);
		TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_MEMORY_FAULT);
		TEST_ASSERT_EQ(vcpu->run->memory_fault.gpa, gpa);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	lines = kmsg_count(fd, STUCK_LINE);
	close(fd);

	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ksft_print_msg("%d memory-fault exits in %d episodes, %.1f s: %lu counted stuck, %d log lines\n",
		       EXITS, EXITS / EPISODE, secs,
		       (unsigned long)vcpu_stat(vcpu, "pfec_memory_fault_stuck"), lines);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_memory_fault_stuck"), EXITS / EPISODE);
	/* A run of d seconds meets at most d / 60 + 2 one-minute windows. */
	TEST_ASSERT(lines <= (BURST + cpus) * ((int)(secs / 60) + 2),
		    "%d stuck-vCPU lines in %.1f s: more than %d a window", lines, secs, BURST);
	kvm_vm_free(vm);
	return 0;
}
