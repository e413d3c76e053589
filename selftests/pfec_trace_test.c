// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_trace_test: kvm_pfec's tracepoints match its counters exactly.
 *
 * With the kvm_pfec events on in tracefs, a software-protected VM in the
 * split memory-fault layout writes fresh shared pages (shared decisions),
 * then keeps reading a page that is private by attribute, in a memslot
 * without guest_memfd, so that each read exits with a memory fault (a
 * private decision and a split record each) until the vCPU counts as
 * stuck; the knob pfec_inject_private_fail then fails one more read's
 * decision, which ends in a memory fault too.  KVM_PRE_FAULT_MEMORY then
 * pre-faults one shared page and the private one, which fails with EFAULT
 * and a memory fault too.  Each counter and each event means one thing,
 * and they agree exactly:
 *
 * - kvm_pfec_private_access events at the page-fault site deciding
 *   private = pfec_private_faults, deciding shared = pfec_shared_faults;
 * - at the pre-fault site, one private and one shared, counted in neither:
 *   a pre-fault is no fault;
 * - one event "failed", the injected failure, counted in neither, and no
 *   other;
 * - kvm_pfec_split_record events = the memory faults userspace got, each
 *   with the record's gpa;
 * - kvm_pfec_stuck events = pfec_memory_fault_stuck = 1.
 *
 * (kvm_pfec_stripped is checked by pfec_inject_test, which provokes it.)
 */
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

#define NPAGES		9
#define FAULT_RUNS	20
#define PFERR_RSVD	(1ull << 3)

static void guest_code(uint64_t gva, uint64_t npages)
{
	uint64_t i;

	for (i = 0; i < npages - 1; i++)
		*(volatile uint64_t *)(gva + i * PAGE_SIZE) = i;
	GUEST_SYNC(0);
	/* The last page is private without guest_memfd: each read exits. */
	for (;;)
		READ_ONCE(*(volatile uint64_t *)(gva + (npages - 1) * PAGE_SIZE));
}

int main(int argc, char *argv[])
{
	const uint64_t private_gpa = PFEC_TEST_GPA + (NPAGES - 1) * PAGE_SIZE;
	int private = 0, shared = 0, failed = 0, records = 0, pre_fault[2] = {}, i, r;
	struct kvm_pre_fault_memory range = {};
	const char *tracefs, *line;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	char *trace;

	pfec_require_sw_protected_vm();
	TEST_REQUIRE(kvm_pfec_loaded());
	tracefs = pfec_tracefs();

	vm = pfec_fault_vm_create(true, NPAGES, guest_code, &vcpu);
	vm_mem_set_private(vm, private_gpa, PAGE_SIZE);

	pfec_trace_start(tracefs);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	for (i = 0; i < FAULT_RUNS; i++) {
		r = _vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EFAULT,
			    "KVM_RUN: expected EFAULT, got %d (errno %d)", r, errno);
		TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_MEMORY_FAULT);
		TEST_ASSERT_EQ(vcpu->run->split.memory_fault.gpa, private_gpa);
	}
	/* The policy's decision for the next read fails: a memory fault. */
	TEST_ASSERT_EQ(__write_named_knob(vm, "pfec_inject_private_fail", private_gpa | 1), 0);
	r = _vcpu_run(vcpu);
	TEST_ASSERT(r == -1 && errno == EFAULT,
		    "KVM_RUN after a failed decision: expected EFAULT, got %d (errno %d)", r, errno);
	TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_MEMORY_FAULT);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.gpa, private_gpa);
	range.gpa = PFEC_TEST_GPA;
	range.size = PAGE_SIZE;
	TEST_ASSERT(!__vcpu_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &range),
		    "KVM_PRE_FAULT_MEMORY on a shared page failed, errno %d", errno);
	/* KVM consumes the range as it goes. */
	range.gpa = private_gpa;
	range.size = PAGE_SIZE;
	r = __vcpu_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &range);
	TEST_ASSERT(r == -1 && errno == EFAULT,
		    "KVM_PRE_FAULT_MEMORY on a private page without guest_memfd: %d (errno %d)",
		    r, errno);
	trace = pfec_trace_stop(tracefs);

	for (line = trace; (line = strstr(line, " kvm_pfec_private_access: ")); line++) {
		unsigned long long gfn, code;
		char site[16], decision[16];
		int ret;

		TEST_ASSERT(sscanf(line, " kvm_pfec_private_access: vcpu 0 %15s gfn %llx error_code %llx %15s ret %d",
				   site, &gfn, &code, decision, &ret) == 5,
			    "cannot parse: %.120s", line);
		/* KVM asks about no reserved-bit (MMIO) fault. */
		TEST_ASSERT(!(code & PFERR_RSVD), "asked about an MMIO fault: %.120s", line);
		if (!strcmp(decision, "failed")) {
			TEST_ASSERT(ret == -EFAULT && !strcmp(site, "page_fault") &&
				    gfn == private_gpa >> 12,
				    "not the injected failure: %.120s", line);
			failed++;
			continue;
		}
		TEST_ASSERT_EQ(ret, 0);
		TEST_ASSERT(!strcmp(decision, "private") || !strcmp(decision, "shared"),
			    "decision %s: %.120s", decision, line);
		if (!strcmp(site, "pre_fault")) {
			pre_fault[!strcmp(decision, "private")]++;
			continue;
		}
		TEST_ASSERT(!strcmp(site, "page_fault"), "site %s in an SW-protected VM", site);
		if (!strcmp(decision, "private"))
			private++;
		else
			shared++;
	}
	for (line = trace; (line = strstr(line, " kvm_pfec_split_record: ")); line++) {
		unsigned long long gpa;

		TEST_ASSERT(sscanf(line, " kvm_pfec_split_record: vcpu 0 gpa %llx", &gpa) == 1,
			    "cannot parse: %.120s", line);
		TEST_ASSERT_EQ(gpa, private_gpa);
		TEST_ASSERT(!memmem(line, strchrnul(line, '\n') - line, "double", 6),
			    "a double annotation: %.120s", line);
		records++;
	}

	ksft_print_msg("traced: %d private, %d shared page-fault decisions, %d and %d at pre-faults, %d failed; %d split records, %d stuck\n",
		       private, shared, pre_fault[1], pre_fault[0], failed, records,
		       pfec_trace_count(trace, "kvm_pfec_stuck"));
	TEST_ASSERT_EQ(private, vcpu_stat(vcpu, "pfec_private_faults"));
	TEST_ASSERT_EQ(shared, vcpu_stat(vcpu, "pfec_shared_faults"));
	TEST_ASSERT(shared >= NPAGES - 1, "%d shared decisions for %d fresh pages",
		    shared, NPAGES - 1);
	TEST_ASSERT_EQ(pre_fault[0], 1);
	TEST_ASSERT_EQ(pre_fault[1], 1);
	TEST_ASSERT_EQ(failed, 1);
	TEST_ASSERT_EQ(private, FAULT_RUNS);
	/* The reads', the failed decision's and the private pre-fault's. */
	TEST_ASSERT_EQ(records, FAULT_RUNS + 2);
	TEST_ASSERT_EQ(pfec_trace_count(trace, "kvm_pfec_stuck"),
		       vcpu_stat(vcpu, "pfec_memory_fault_stuck"));
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_memory_fault_stuck"), 1);
	TEST_ASSERT_EQ(pfec_trace_count(trace, "kvm_pfec_stripped"), 0);
	free(trace);
	kvm_vm_free(vm);
	return 0;
}
