// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_stuck_flood_test: a VMM cannot flood the host's log.
 *
 * kvm_pfec.ko logs a vCPU that gets the same memory fault 16 times in a row
 * as stuck, and any /dev/kvm user can start a new episode at will: move the
 * fault to another address, or write another exit reason into kvm_run
 * before the next KVM_RUN.  This test does both, 10,000 memory-fault exits
 * in 16-exit episodes, then 30 rounds of removing and inserting the module
 * (KVM_PFEC_KO), each followed by two more episodes, and checks that:
 *
 * - every episode while the module was in is counted in
 *   pfec_memory_fault_stuck;
 * - no minute of the kernel log holds more stuck-vCPU lines than the
 *   host-wide budget, 10: each line and the one 10 lines after it are a
 *   minute apart (less 1 s, as the log's clock is not the one the budget
 *   reads), reloads included, since KVM keeps the budget.
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
/* Rounds of rmmod and insmod, each followed by two episodes. */
#define RELOADS		30
/* kvm_pfec's stuck threshold: identical faults in a row. */
#define EPISODE		16
/* KVM's host-wide log budget: lines in any minute (KVM_PFEC_LOG_BURST). */
#define BURST		10
#define MINUTE_US	60000000ull
/* The log's clock (local_clock()) against the budget's (ktime_get()). */
#define CLOCK_SLACK_US	1000000ull
/* More stuck lines than the run can legitimately log. */
#define MAX_LINES	1024
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

/*
 * Runs exits @first to @last - 1 of the flood: each ends in
 * KVM_EXIT_MEMORY_FAULT at the episode's address, and every EPISODE exits a
 * new episode begins, alternately at another address and at the same one
 * after another exit reason.  With @ko, the module is removed and inserted
 * before every second episode.
 */
static void flood(struct kvm_vcpu *vcpu, uint64_t *gpa, int first, int last,
		  const char *ko)
{
	int i, r;

	for (i = first; i < last; i++) {
		if (ko && i % (2 * EPISODE) == 0) {
			pfec_module_cmd("rmmod", "kvm_pfec");
			pfec_module_cmd("insmod", ko);
		}
		if (i && i % EPISODE == 0) {
			if ((i / EPISODE) % 2) {
				/* A new episode at another address. */
				*gpa = PFEC_TEST_GPA + ((i / EPISODE) % NPAGES) * PAGE_SIZE;
				set_rax(vcpu, *gpa);
			} else {
				/* A new episode at the same address. */
				vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
			}
		}
		r = _vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EFAULT,
			    "exit %d: KVM_RUN: expected EFAULT, got %d (errno %d)", i, r, errno);
		TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_MEMORY_FAULT);
		TEST_ASSERT_EQ(vcpu->run->memory_fault.gpa, *gpa);
	}
}

int main(int argc, char *argv[])
{
	const char *ko = getenv("KVM_PFEC_KO");
	static uint64_t usecs[MAX_LINES];
	uint64_t gpa = PFEC_TEST_GPA;
	struct timespec t0, t1;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int fd, i, lines, exits = EXITS + RELOADS * 2 * EPISODE;
	double secs;

	pfec_require_sw_protected_vm();
	TEST_REQUIRE(kvm_pfec_loaded());
	__TEST_REQUIRE(ko, "KVM_PFEC_KO, the module to insert after rmmod, is not set");

	vm = pfec_fault_vm_create(false, NPAGES, guest_read_rax, &vcpu);
	vm_mem_set_private(vm, PFEC_TEST_GPA, NPAGES * PAGE_SIZE);

	fd = kmsg_open_at_end();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	flood(vcpu, &gpa, 0, EXITS, NULL);
	flood(vcpu, &gpa, EXITS, exits, ko);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	lines = kmsg_times(fd, STUCK_LINE, usecs, MAX_LINES);
	close(fd);

	ksft_print_msg("%d memory-fault exits in %d episodes, %d reloads, %.1f s: %lu counted stuck, %d log lines\n",
		       exits, exits / EPISODE, RELOADS, secs,
		       (unsigned long)vcpu_stat(vcpu, "pfec_memory_fault_stuck"), lines);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_memory_fault_stuck"), exits / EPISODE);
	TEST_ASSERT(lines <= MAX_LINES, "%d stuck-vCPU lines in %.1f s", lines, secs);
	for (i = BURST; i < lines; i++)
		TEST_ASSERT(usecs[i] - usecs[i - BURST] + CLOCK_SLACK_US >= MINUTE_US,
			    "stuck-vCPU lines %d and %d of %d are %llu us apart: %d lines within a minute",
			    i - BURST + 1, i + 1, lines,
			    (unsigned long long)(usecs[i] - usecs[i - BURST]), BURST + 1);
	kvm_vm_free(vm);
	return 0;
}
