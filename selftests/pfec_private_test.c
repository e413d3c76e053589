// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_private_test: with kvm_pfec.ko loaded, faults of a software-protected
 * VM are tagged PFERR_PRIVATE_ACCESS exactly where the gfn's attributes say
 * private, and a default VM's never are.  The module's per-vCPU stats
 * pfec_private_faults and pfec_shared_faults count every fault the
 * protected VM's guest takes, read through KVM_GET_STATS_FD.  A default VM
 * has no private memory, so KVM asks the module for no decision there:
 * both stay 0.
 *
 * Every test page is touched once with nothing else faulting: the guest first
 * touches one page (faulting in the guest page tables for the whole region,
 * which are in the same table page), reports to the host, then touches the
 * rest.  Each of those is one fault: guest_memfd maps 4K pages, and the shared
 * part is too small for a huge page.
 */
#include <linux/kvm.h>
#include <stdint.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

/* Pages [0, NPAGES / 2) are private, the rest shared. */
#define NPAGES		16

static void guest_touch(uint64_t gva, uint64_t npages)
{
	uint64_t i;

	/* Warm up: code, stack and the test region's page tables. */
	*(volatile uint64_t *)gva = 0;
	GUEST_SYNC(0);
	for (i = 1; i < npages; i++)
		*(volatile uint64_t *)(gva + i * PAGE_SIZE) = i;
	GUEST_SYNC(1);
	/* Mapped now: touching again takes no fault. */
	for (i = 0; i < npages; i++)
		*(volatile uint64_t *)(gva + i * PAGE_SIZE) = i;
	GUEST_DONE();
}

static struct kvm_vm *test_vm(unsigned long type, uint32_t slot_flags,
			      struct kvm_vcpu **vcpu)
{
	return pfec_vm_create(type, slot_flags, NPAGES, guest_touch, vcpu);
}

static void run_until(struct kvm_vcpu *vcpu, uint64_t ucall)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), ucall);
}

/*
 * Runs the guest and checks how many of its faults after the warm-up (page
 * 0, which is private when @private_pages is non-zero) were private and
 * shared.
 */
static void check_faults(struct kvm_vcpu *vcpu, uint64_t private_pages,
			 uint64_t shared_pages)
{
	uint64_t private, shared;

	run_until(vcpu, UCALL_SYNC);
	private = vcpu_stat(vcpu, "pfec_private_faults");
	shared = vcpu_stat(vcpu, "pfec_shared_faults");

	run_until(vcpu, UCALL_SYNC);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_private_faults") - private, private_pages);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_shared_faults") - shared, shared_pages);

	run_until(vcpu, UCALL_DONE);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_private_faults") - private, private_pages);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_shared_faults") - shared, shared_pages);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_synthetic_stripped"), 0);
}

static void test_protected_vm(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = test_vm(KVM_X86_SW_PROTECTED_VM, KVM_MEM_GUEST_MEMFD, &vcpu);
	vm_mem_set_private(vm, PFEC_TEST_GPA, NPAGES / 2 * PAGE_SIZE);
	check_faults(vcpu, NPAGES / 2 - 1, NPAGES / 2);
	kvm_vm_free(vm);
}

static void test_protected_vm_all_shared(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = test_vm(KVM_X86_SW_PROTECTED_VM, KVM_MEM_GUEST_MEMFD, &vcpu);
	check_faults(vcpu, 0, NPAGES - 1);
	kvm_vm_free(vm);
}

static void test_default_vm(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = test_vm(VM_TYPE_DEFAULT, 0, &vcpu);
	check_faults(vcpu, 0, 0);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_private_faults"), 0);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_shared_faults"), 0);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	pfec_require_sw_protected_vm();
	TEST_REQUIRE(kvm_pfec_loaded());

	ksft_print_header();
	ksft_set_plan(3);
	test_protected_vm();
	ksft_test_result_pass("SW-protected VM: private and shared pages\n");
	test_protected_vm_all_shared();
	ksft_test_result_pass("SW-protected VM: all shared\n");
	test_default_vm();
	ksft_test_result_pass("default VM: nothing private, no decision asked\n");
	ksft_finished();
}
