// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_mmio_test: what kvm_pfec does at the MMIO entry.
 *
 * Emulated MMIO reaches kvm_mmu_page_fault() with PFERR_RSVD_MASK: on VMX
 * from an EPT misconfiguration, on SVM from a #NPF on a reserved-bit
 * entry, once KVM has cached the gfn as MMIO.  Upstream's rule is that a
 * reserved-bit fault is never private, and KVM keeps it: it asks no policy
 * for such a fault, even in a VM with private memory, so that none can tag
 * it private.
 *
 * A software-protected VM reads an address without a memslot MMIO_READS
 * times; each read exits with KVM_EXIT_MMIO.  It needs KVM's MMIO caching
 * (kvm.mmio_caching), without which no fault carries PFERR_RSVD_MASK.
 * With the kvm_pfec events on:
 *
 * - at most one kvm_pfec_private_access event is for the MMIO gfn: the
 *   first read, which KVM takes as a RAM fault before it caches the gfn as
 *   MMIO.  The other MMIO_READS - 1 reads reach kvm_mmu_page_fault() as
 *   reserved-bit faults, and KVM asks the policy about none of them (a
 *   KVM that asked would log an event for each, with PFERR_RSVD_MASK);
 * - no kvm_pfec_private_access event carries PFERR_RSVD_MASK;
 * - no decision is private, and pfec_private_faults stays 0;
 * - pfec_shared_faults counts the shared decisions (the RAM page the guest
 *   writes first, and the first MMIO read, which KVM takes as a RAM fault
 *   before it caches the gfn as MMIO);
 * - no hardware error code was stripped.
 */
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

#define MMIO_GPA	(PFEC_TEST_GPA + 0x100000)
#define MMIO_READS	4
#define MMIO_VALUE	0x1122334455667788ull
#define PFERR_RSVD	(1ull << 3)

static void guest_code(uint64_t gva, uint64_t npages)
{
	int i;

	/* One fresh RAM page: a shared decision, counted. */
	*(volatile uint64_t *)gva = 1;
	for (i = 0; i < MMIO_READS; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(volatile uint64_t *)MMIO_GPA), MMIO_VALUE);
	GUEST_DONE();
}

int main(int argc, char *argv[])
{
	int rsvd = 0, shared = 0, private = 0, mmio = 0, i;
	const char *tracefs, *line;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	char *trace;

	pfec_require_sw_protected_vm();
	TEST_REQUIRE(kvm_pfec_loaded());
	/* Without MMIO caching no fault reaches KVM with the RSVD bit. */
	__TEST_REQUIRE(pfec_param_is_y("/sys/module/kvm/parameters/mmio_caching"),
		       "kvm.mmio_caching is off: no reserved-bit MMIO faults");
	tracefs = pfec_tracefs();

	vm = pfec_fault_vm_create(false, 1, guest_code, &vcpu);
	virt_map(vm, MMIO_GPA, MMIO_GPA, 1);

	pfec_trace_start(tracefs);
	for (i = 0; i < MMIO_READS; i++) {
		struct kvm_run *run = vcpu->run;

		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_IO && get_ucall(vcpu, &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
		TEST_ASSERT_EQ(run->mmio.phys_addr, MMIO_GPA);
		TEST_ASSERT_EQ(run->mmio.is_write, 0);
		TEST_ASSERT_EQ(run->mmio.len, 8);
		*(uint64_t *)run->mmio.data = MMIO_VALUE;
	}
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
	trace = pfec_trace_stop(tracefs);

	for (line = trace; (line = strstr(line, " kvm_pfec_private_access: ")); line++) {
		unsigned long long gfn, code;
		char site[16], decision[16];
		int ret;

		TEST_ASSERT(sscanf(line, " kvm_pfec_private_access: vcpu 0 %15s gfn %llx "
				   "error_code %llx %15s ret %d",
				   site, &gfn, &code, decision, &ret) == 5,
			    "cannot parse: %.120s", line);
		TEST_ASSERT_EQ(ret, 0);
		TEST_ASSERT(!strcmp(site, "page_fault"), "site %s: %.120s", site, line);
		if (gfn == MMIO_GPA >> PAGE_SHIFT)
			mmio++;
		if (!strcmp(decision, "private")) {
			private++;
		} else if (code & PFERR_RSVD) {
			rsvd++;
		} else {
			shared++;
		}
	}
	ksft_print_msg("traced: %d decisions for the MMIO gfn over %d reads, %d with "
		       "PFERR_RSVD_MASK; %d shared decisions, %d private\n",
		       mmio, MMIO_READS, rsvd, shared, private);
	TEST_ASSERT(mmio <= 1, "%d decisions for %d MMIO reads: KVM asked about "
		    "reserved-bit faults", mmio, MMIO_READS);
	TEST_ASSERT_EQ(rsvd, 0);
	TEST_ASSERT_EQ(private, 0);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_private_faults"), 0);
	TEST_ASSERT(shared >= 1, "no shared decision for the guest's RAM page");
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_shared_faults"), shared);
	TEST_ASSERT_EQ(pfec_trace_count(trace, "kvm_pfec_stripped"), 0);
	free(trace);
	kvm_vm_free(vm);
	return 0;
}
