// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_pfec_demo: the guest that `make run` shows.
 *
 * Runs a guest that writes to fresh pages, first in a default VM, then in a
 * KVM_X86_SW_PROTECTED_VM whose memory is half private (guest_memfd) and half
 * shared, and last provokes a KVM_EXIT_MEMORY_FAULT by touching a page whose
 * attributes say private while its memslot has no guest_memfd, in upstream's
 * kvm_run layout and in the split one.  Each fresh
 * page is one page fault through kvm_mmu_page_fault(), which is where
 * kvm_pfec.ko hooks in; after each guest the demo prints KVM's count of the
 * faults it handled and the module's counters for its vCPU (zero when the
 * module is not loaded, and in the default VM, which has no private memory
 * and so no decision for the module to make).
 */
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

#define DEMO_GPA	PFEC_TEST_GPA
/* Enough faults to see counters move, few enough to be instant under TCG. */
#define DEMO_NPAGES	64

static void guest_touch(uint64_t gva, uint64_t npages)
{
	uint64_t i;

	for (i = 0; i < npages; i++)
		*(volatile uint64_t *)(gva + i * PAGE_SIZE) = i;
	GUEST_DONE();
}

static struct kvm_vm *demo_vm(unsigned long type, uint32_t slot_flags,
			      struct kvm_vcpu **vcpu)
{
	return pfec_vm_create(type, slot_flags, DEMO_NPAGES, guest_touch, vcpu);
}

static void run_to_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
}

static void print_counters(struct kvm_vcpu *vcpu)
{
	printf("  KVM handled %lu faults; kvm_pfec counted: %lu private faults, %lu shared faults, %lu stripped\n",
	       vcpu_stat(vcpu, "pf_taken"),
	       vcpu_stat(vcpu, "pfec_private_faults"),
	       vcpu_stat(vcpu, "pfec_shared_faults"),
	       vcpu_stat(vcpu, "pfec_synthetic_stripped"));
}

static void demo_default_vm(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = demo_vm(VM_TYPE_DEFAULT, 0, &vcpu);
	run_to_done(vcpu);
	printf("default VM: the guest wrote %d fresh pages\n", DEMO_NPAGES);
	print_counters(vcpu);
	kvm_vm_free(vm);
}

static void demo_protected_vm(void)
{
	const uint64_t half = DEMO_NPAGES / 2 * PAGE_SIZE;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = demo_vm(KVM_X86_SW_PROTECTED_VM, KVM_MEM_GUEST_MEMFD, &vcpu);
	vm_mem_set_private(vm, DEMO_GPA, half);
	run_to_done(vcpu);
	printf("SW-protected VM: the guest wrote %d private and %d shared pages\n",
	       DEMO_NPAGES / 2, DEMO_NPAGES / 2);
	print_counters(vcpu);
	kvm_vm_free(vm);
}

/*
 * A KVM_EXIT_MEMORY_FAULT, in upstream's layout and, if @split, in the split
 * one (KVM_CAP_MEMORY_FAULT_SPLIT), where the record sits past the part
 * other exits use.
 */
static void demo_memory_fault(bool split)
{
	const struct kvm_enable_cap cap = { .cap = KVM_CAP_MEMORY_FAULT_SPLIT, .args = { 1 } };
	const struct vm_shape shape = { .mode = VM_MODE_DEFAULT, .type = KVM_X86_SW_PROTECTED_VM };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int r;

	/* Private by attribute, but the memslot has no guest_memfd. */
	vm = __vm_create(shape, 1, 0);
	if (split)
		vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	vcpu = vm_vcpu_add(vm, 0, guest_touch);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DEMO_GPA,
				    PFEC_TEST_SLOT, DEMO_NPAGES, 0);
	virt_map(vm, DEMO_GPA, DEMO_GPA, DEMO_NPAGES);
	vcpu_args_set(vcpu, 2, DEMO_GPA, (uint64_t)DEMO_NPAGES);
	vm_mem_set_private(vm, DEMO_GPA, PAGE_SIZE);
	r = _vcpu_run(vcpu);
	TEST_ASSERT(r == -1 && errno == EFAULT, "KVM_RUN: expected EFAULT, got %d", r);
	TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_MEMORY_FAULT);
	if (split)
		printf("memory fault exit, split layout (record at byte %d of the exit union): gpa 0x%llx size 0x%llx flags 0x%llx\n",
		       KVM_MEMORY_FAULT_SPLIT_LOW_SIZE, vcpu->run->split.memory_fault.gpa,
		       vcpu->run->split.memory_fault.size, vcpu->run->split.memory_fault.flags);
	else
		printf("memory fault exit, upstream layout (record at byte 0): gpa 0x%llx size 0x%llx flags 0x%llx\n",
		       vcpu->run->memory_fault.gpa, vcpu->run->memory_fault.size,
		       vcpu->run->memory_fault.flags);
	print_counters(vcpu);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	pfec_require_sw_protected_vm();

	demo_default_vm();
	demo_protected_vm();
	demo_memory_fault(false);
	if (kvm_check_cap(KVM_CAP_MEMORY_FAULT_SPLIT))
		demo_memory_fault(true);
	else
		printf("KVM_CAP_MEMORY_FAULT_SPLIT: not offered (a kernel without the kvm-pfec series?)\n");
	return 0;
}
