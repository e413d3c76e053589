// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_reload_test: kvm_pfec.ko can be removed and inserted while vCPUs
 * fault.
 *
 * Two vCPUs of a software-protected VM write to every page of a region,
 * over and over, while the host flips the region between private and shared,
 * which zaps the mappings so the vCPUs keep faulting, and removes and inserts
 * the module in between.  Unregistering must wait for vCPUs inside the hooks
 * (arch/x86/kvm/pfec.c); a use-after-unload would oops, which panics the
 * test VM (oops=panic).  At the end every vCPU has run on, and faults of both
 * kinds were counted while the module was loaded.
 *
 * The module to insert is $KVM_PFEC_KO; $PFEC_RELOAD_CYCLES overrides the
 * number of rounds (make check-stress runs 100).
 */
#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

#define NR_VCPUS	2
/* Enough pages that a flip costs the vCPUs a burst of faults. */
#define NPAGES		64
/* Rounds of rmmod and insmod by default: seconds under TCG. */
#define CYCLES		20

static bool stop;

static void guest_code(uint64_t gva, uint64_t npages)
{
	uint64_t i, pass;

	/*
	 * Spin with interrupts enabled.  Nothing interrupts the guest, but
	 * under Bochs's VMX the host's timer forces an exit only then (see
	 * pfec_spin_test), and without one the vCPU threads would starve the
	 * host thread on a one-CPU VM.
	 */
	asm volatile("sti");
	for (pass = 0; !READ_ONCE(stop); pass++)
		for (i = 0; i < npages; i++)
			*(volatile uint64_t *)(gva + i * PAGE_SIZE) = pass;
	asm volatile("cli");
	GUEST_DONE();
}

/*
 * A fault whose gfn changes attributes between KVM's private-or-shared
 * decision and its later check exits with KVM_EXIT_MEMORY_FAULT, as it
 * should: userspace changed the attributes under the guest.  The attributes
 * are settled by the time userspace sees the exit, so run the vCPU again.
 */
static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;
	int r;

	while ((r = _vcpu_run(vcpu)) == -1 && errno == EFAULT) {
		TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_MEMORY_FAULT);
		TEST_ASSERT(vcpu->run->memory_fault.gpa >= PFEC_TEST_GPA &&
			    vcpu->run->memory_fault.gpa < PFEC_TEST_GPA + NPAGES * PAGE_SIZE,
			    "memory fault outside the test region: gpa 0x%llx",
			    vcpu->run->memory_fault.gpa);
	}
	TEST_ASSERT(!r, "KVM_RUN failed, errno %d", errno);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	return NULL;
}

int main(int argc, char *argv[])
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	const uint64_t size = NPAGES * PAGE_SIZE;
	struct kvm_vcpu *vcpus[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
	const char *ko = getenv("KVM_PFEC_KO");
	const char *cycles_env = getenv("PFEC_RELOAD_CYCLES");
	int cycles = cycles_env ? atoi(cycles_env) : CYCLES;
	uint64_t total_private = 0, total_shared = 0;
	struct kvm_vm *vm;
	int i;

	pfec_require_sw_protected_vm();
	TEST_REQUIRE(kvm_pfec_loaded());
	TEST_REQUIRE(ko && !access(ko, R_OK));

	vm = __vm_create_with_vcpus(shape, NR_VCPUS, 0, guest_code, vcpus);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PFEC_TEST_GPA,
				    PFEC_TEST_SLOT, NPAGES, KVM_MEM_GUEST_MEMFD);
	virt_map(vm, PFEC_TEST_GPA, PFEC_TEST_GPA, NPAGES);
	for (i = 0; i < NR_VCPUS; i++) {
		vcpu_args_set(vcpus[i], 2, PFEC_TEST_GPA, (uint64_t)NPAGES);
		pthread_create(&threads[i], NULL, vcpu_thread, vcpus[i]);
	}

	TEST_ASSERT(cycles > 0, "PFEC_RELOAD_CYCLES must be positive");
	for (i = 0; i < cycles; i++) {
		vm_mem_set_private(vm, PFEC_TEST_GPA, size);
		pfec_module_cmd("rmmod", "kvm_pfec");
		vm_mem_set_shared(vm, PFEC_TEST_GPA, size);
		pfec_module_cmd("insmod", ko);
		vm_mem_set_private(vm, PFEC_TEST_GPA, size);
		/* Let the vCPUs fault with the module in. */
		usleep(10000);
		vm_mem_set_shared(vm, PFEC_TEST_GPA, size);
	}

	pr_info("%d rounds of rmmod and insmod\n", cycles);
	WRITE_ONCE(stop, true);
	sync_global_to_guest(vm, stop);
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(threads[i], NULL);

	for (i = 0; i < NR_VCPUS; i++) {
		uint64_t private = vcpu_stat(vcpus[i], "pfec_private_faults");
		uint64_t shared = vcpu_stat(vcpus[i], "pfec_shared_faults");

		pr_info("vCPU %d: %lu private, %lu shared faults counted\n",
			i, private, shared);
		TEST_ASSERT(private + shared, "vCPU %d: no fault counted", i);
		total_private += private;
		total_shared += shared;
	}
	TEST_ASSERT(total_private && total_shared,
		    "expected both private and shared faults, got %lu and %lu",
		    total_private, total_shared);
	kvm_vm_free(vm);
	return 0;
}
