// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_bad_input_test: bad input from userspace gets a clean error with
 * kvm_pfec.ko loaded, and VMs go on when the module goes away.
 *
 * - KVM_SET_MEMORY_ATTRIBUTES on unaligned, empty and overflowing ranges, and
 *   with unknown attributes or flags: EINVAL, attributes unchanged.
 * - KVM_RUN after the module is removed: the vCPU runs on with upstream's
 *   decisions, the module's counters stop, and they move again once the
 *   module is back ($KVM_PFEC_KO).
 */
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

#define NPAGES		8

static void guest_touch_pages(uint64_t gva, uint64_t npages)
{
	uint64_t i;

	/* One page per run, each a fresh fault. */
	for (i = 0; i < npages; i++) {
		*(volatile uint64_t *)(gva + i * PAGE_SIZE) = i;
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

static int set_attributes(struct kvm_vm *vm, uint64_t gpa, uint64_t size,
			  uint64_t attributes, uint64_t flags)
{
	struct kvm_memory_attributes attr = {
		.address = gpa,
		.size = size,
		.attributes = attributes,
		.flags = flags,
	};

	return __vm_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &attr);
}

static void expect_einval(struct kvm_vm *vm, uint64_t gpa, uint64_t size,
			  uint64_t attributes, uint64_t flags, const char *what)
{
	int r = set_attributes(vm, gpa, size, attributes, flags);

	TEST_ASSERT(r == -1 && errno == EINVAL,
		    "KVM_SET_MEMORY_ATTRIBUTES with %s: expected EINVAL, got %d (errno %d)",
		    what, r, errno);
}

static void test_bad_memory_attributes(void)
{
	const uint64_t private = KVM_MEMORY_ATTRIBUTE_PRIVATE;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = pfec_vm_create(KVM_X86_SW_PROTECTED_VM, KVM_MEM_GUEST_MEMFD, NPAGES,
			    guest_touch_pages, &vcpu);
	expect_einval(vm, PFEC_TEST_GPA + 1, PAGE_SIZE, private, 0, "an unaligned address");
	expect_einval(vm, PFEC_TEST_GPA, PAGE_SIZE - 1, private, 0, "an unaligned size");
	expect_einval(vm, PFEC_TEST_GPA, 0, private, 0, "a zero size");
	expect_einval(vm, -PAGE_SIZE, 2 * PAGE_SIZE, private, 0, "a range that wraps");
	expect_einval(vm, PFEC_TEST_GPA, PAGE_SIZE, 1ull << 63, 0, "an unknown attribute");
	expect_einval(vm, PFEC_TEST_GPA, PAGE_SIZE, private, 1, "flags");

	/* Nothing changed: the pages are shared, and fault in as such. */
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_private_faults"), 0);
	kvm_vm_free(vm);
}

static void run_one_page(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
}

static void test_run_after_module_unload(const char *ko)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t private;
	char cmd[512];
	int i;

	vm = pfec_vm_create(KVM_X86_SW_PROTECTED_VM, KVM_MEM_GUEST_MEMFD, NPAGES,
			    guest_touch_pages, &vcpu);
	vm_mem_set_private(vm, PFEC_TEST_GPA, NPAGES * PAGE_SIZE);

	run_one_page(vcpu);
	private = vcpu_stat(vcpu, "pfec_private_faults");
	TEST_ASSERT(private > 0, "no private fault counted with the module loaded");

	TEST_ASSERT(!system("rmmod kvm_pfec"), "rmmod failed with a default-layout VM");
	for (i = 0; i < 3; i++)
		run_one_page(vcpu);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_private_faults"), private);

	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	TEST_ASSERT(!system(cmd), "'%s' failed", cmd);
	run_one_page(vcpu);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_private_faults"), private + 1);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	const char *ko = getenv("KVM_PFEC_KO");

	pfec_require_sw_protected_vm();
	TEST_REQUIRE(kvm_pfec_loaded());
	TEST_REQUIRE(ko && !access(ko, R_OK));

	ksft_print_header();
	ksft_set_plan(2);
	test_bad_memory_attributes();
	ksft_test_result_pass("KVM_SET_MEMORY_ATTRIBUTES: bad ranges, attributes, flags\n");
	test_run_after_module_unload(ko);
	ksft_test_result_pass("KVM_RUN after kvm_pfec went away, and came back\n");
	ksft_finished();
}
