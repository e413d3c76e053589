// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_fault_bench: page faults per second through kvm_mmu_page_fault().
 *
 * A guest writes once to each of NPAGES fresh 4K pages, each one a fault, in
 * a default VM or in a software-protected VM whose pages are all private
 * (guest_memfd).  The time from the guest's "ready" to its "done" is all
 * faults on the timed pages: its code, stack and the region's page tables
 * were faulted in before, by touching the first page of each 2M.  Prints
 * "faults_per_sec=<n>" and "ns_per_fault=<x>": under qemu's icount
 * (KVM_PFEC_ICOUNT=1), where the clock advances 1 ns per guest instruction,
 * the latter is the guest instructions per fault, L1 and L2 together.
 * make bench runs it with and without kvm_pfec.ko loaded, alternating, in
 * one boot (scripts/guest/bench.sh).
 *
 * Usage: pfec_fault_bench default|protected [NPAGES]
 *        pfec_fault_bench clock
 *
 * "clock" checks the premise: that the clock counts the nested guest's
 * instructions as it counts this program's own.  This program (in the L1)
 * and then a guest (L2) spin through a loop of two instructions, N and then
 * 2N times; the difference of the two times, as this program measures
 * them, over the N loops' 2N instructions is printed as
 * "ns_per_l1_insn=<x>" and "ns_per_l2_insn=<y>": both 1.0 under qemu's
 * icount (shift=0), both the same under a clock that runs on instructions
 * at another rate, and far apart on a clock that runs on wall time.
 */
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

/* About two seconds of faults under TCG, a fraction of one with KVM. */
#define DEFAULT_NPAGES	16384

/* Pages per guest page-table page: the first of each is the warm-up. */
#define PTES_PER_TABLE	512

static void guest_touch_all(uint64_t gva, uint64_t npages)
{
	uint64_t i;

	for (i = 0; i < npages; i += PTES_PER_TABLE)
		*(volatile uint64_t *)(gva + i * PAGE_SIZE) = i;
	GUEST_SYNC(0);
	for (i = 0; i < npages; i++)
		if (i % PTES_PER_TABLE)
			*(volatile uint64_t *)(gva + i * PAGE_SIZE) = i;
	GUEST_DONE();
}

/* Two instructions an iteration: dec, jnz. */
static void guest_spin(uint64_t loops)
{
	uint64_t n;

	for (;;) {
		n = loops;
		GUEST_SYNC(0);
		asm volatile("1: dec %0\n\tjnz 1b" : "+r"(n));
		GUEST_SYNC(1);
		loops *= 2;
	}
}

static double now(void);

/* Seconds this program takes for @loops turns of a two-instruction loop. */
static double l1_spin(uint64_t loops)
{
	double start = now();

	asm volatile("1: dec %0\n\tjnz 1b" : "+r"(loops));
	return now() - start;
}

/* ns per L1 and per L2 instruction, from the N- and 2N-loop spins. */
static int clock_check(void)
{
	const uint64_t loops = 1 << 22;
	double t[2], start, l1;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	vcpu_args_set(vcpu, 1, loops);
	for (i = 0; i < 2; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
		start = now();
		vcpu_run(vcpu);
		TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
		t[i] = now() - start;
	}
	l1 = l1_spin(loops);
	l1 = l1_spin(2 * loops) - l1;
	printf("ns_per_l1_insn=%.4f\n", l1 * 1e9 / (2.0 * loops));
	printf("ns_per_l2_insn=%.4f\n", (t[1] - t[0]) * 1e9 / (2.0 * loops));
	kvm_vm_free(vm);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[])
{
	bool protected = argc > 1 && !strcmp(argv[1], "protected");
	uint64_t npages = argc > 2 ? strtoull(argv[2], NULL, 0) : DEFAULT_NPAGES;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	double start, secs;
	uint64_t faults;

	if (argc > 1 && !strcmp(argv[1], "clock"))
		return clock_check();
	TEST_ASSERT(argc > 1 && (protected || !strcmp(argv[1], "default")),
		    "usage: %s default|protected [NPAGES] | clock", argv[0]);
	TEST_ASSERT(npages >= 2 * PTES_PER_TABLE && npages <= (1ull << 20),
		    "NPAGES must be from %u to %llu, not %lu",
		    2 * PTES_PER_TABLE, 1ull << 20, npages);
	if (protected)
		pfec_require_sw_protected_vm();

	vm = pfec_vm_create(protected ? KVM_X86_SW_PROTECTED_VM : VM_TYPE_DEFAULT,
			    protected ? KVM_MEM_GUEST_MEMFD : 0, npages,
			    guest_touch_all, &vcpu);
	if (protected)
		vm_mem_set_private(vm, PFEC_TEST_GPA, npages * PAGE_SIZE);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	start = now();
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	secs = now() - start;
	faults = npages - (npages + PTES_PER_TABLE - 1) / PTES_PER_TABLE;
	printf("faults_per_sec=%.0f\n", faults / secs);
	printf("ns_per_fault=%.1f\n", secs * 1e9 / faults);
	kvm_vm_free(vm);
	return 0;
}
