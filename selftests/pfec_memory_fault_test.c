// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_memory_fault_test: KVM_EXIT_MEMORY_FAULT in the split kvm_run layout
 * (KVM_CAP_MEMORY_FAULT_SPLIT), which kvm_pfec.ko fills.
 *
 * The memory fault in every scenario is upstream private_mem_kvm_exits_test's:
 * a software-protected VM whose test page is private by attribute, in a
 * memslot without guest_memfd, so each access exits with EFAULT and a
 * private memory fault for that page.
 */
#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

#define NPAGES		1
/* The kvm_pfec module's canary value while a record is armed ("pfec-mf!"). */
#define CANARY_ARMED	0x21666d2d63656670ull
/*
 * Runs into the same fault for the scribbler, above the stuck threshold;
 * $PFEC_SCRIBBLE_RUNS overrides it (make check-stress runs 5000).
 */
#define SCRIBBLE_RUNS	200
/* kvm_pfec reports a vCPU as stuck after this many identical faults. */
#define STUCK_THRESHOLD	16

static void guest_read(uint64_t gva, uint64_t npages)
{
	/* One ordinary exit first, whose data must survive the fault. */
	GUEST_SYNC(0x1234);
	for (;;)
		READ_ONCE(*(volatile uint64_t *)gva);
}

static const struct kvm_enable_cap split_cap = {
	.cap = KVM_CAP_MEMORY_FAULT_SPLIT,
	.args = { 1 },
};

/*
 * A SW-protected VM, in the split layout if asked (which must be before it
 * has vCPUs), with one vCPU and its test page private by attribute.
 */
static struct kvm_vm *fault_vm(bool split, uint32_t slot_flags, struct kvm_vcpu **vcpu)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct kvm_vm *vm = __vm_create(shape, 1, 0);

	if (split)
		vm_ioctl(vm, KVM_ENABLE_CAP, &split_cap);
	*vcpu = vm_vcpu_add(vm, 0, guest_read);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PFEC_TEST_GPA,
				    PFEC_TEST_SLOT, NPAGES, slot_flags);
	virt_map(vm, PFEC_TEST_GPA, PFEC_TEST_GPA, NPAGES);
	vcpu_args_set(*vcpu, 2, PFEC_TEST_GPA, (uint64_t)NPAGES);
	vm_mem_set_private(vm, PFEC_TEST_GPA, NPAGES * PAGE_SIZE);
	return vm;
}

static uint8_t *exit_union(struct kvm_vcpu *vcpu)
{
	return (uint8_t *)&vcpu->run->split;
}

/* Runs to the guest's GUEST_SYNC, an ordinary (KVM_EXIT_IO) exit. */
static void run_to_sync(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], 0x1234);
}

/* Runs into the memory fault: KVM_RUN fails with EFAULT. */
static void run_to_fault(struct kvm_vcpu *vcpu)
{
	int r = _vcpu_run(vcpu);

	TEST_ASSERT(r == -1 && errno == EFAULT,
		    "KVM_RUN: expected EFAULT, got %d (errno %d)", r, errno);
	TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_MEMORY_FAULT);
}

static void assert_split_record(struct kvm_vcpu *vcpu)
{
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.flags, KVM_MEMORY_EXIT_FLAG_PRIVATE);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.gpa, PFEC_TEST_GPA);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.size, PAGE_SIZE);
}

/* Discovery, and the arguments KVM_ENABLE_CAP refuses. */
static void test_capability(void)
{
	struct kvm_enable_cap cap = split_cap;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_MEMORY_FAULT_SPLIT), 1);
	/*
	 * 239, this capability's number in an earlier version of the series,
	 * is upstream's KVM_CAP_ARM_WRITABLE_IMP_ID_REGS now: nothing answers
	 * to it on x86.
	 */
	TEST_ASSERT_EQ(kvm_check_cap(239), 0);

	vm = vm_create_barebones_type(KVM_X86_SW_PROTECTED_VM);
	cap.args[0] = 0;
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) && errno == EINVAL, "args[0] = 0");
	cap.args[0] = 2;
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) && errno == EINVAL, "args[0] = 2");
	cap.args[0] = 1;
	cap.args[1] = 1;
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) && errno == EINVAL, "args[1] = 1");
	cap.args[1] = 0;
	cap.flags = 1;
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) && errno == EINVAL, "flags = 1");
	cap.flags = 0;
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	/* Enabling again is fine. */
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	kvm_vm_free(vm);

	/* Too late once the VM has a vCPU. */
	vm = vm_create_with_one_vcpu(&vcpu, guest_read);
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) && errno == EINVAL,
		    "enabling after KVM_CREATE_VCPU");
	kvm_vm_free(vm);
}

/*
 * Upstream's "memslot not private" scenario in the split layout, after an
 * ordinary exit: the record is in split.memory_fault, and the rest of the
 * union still holds the I/O exit's data (seed 002's case A).
 */
static void test_split_keeps_earlier_exit(void)
{
	uint8_t before[KVM_EXIT_SPLIT_LOW_SIZE];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = fault_vm(true, 0, &vcpu);
	run_to_sync(vcpu);
	memcpy(before, exit_union(vcpu), sizeof(before));
	run_to_fault(vcpu);
	assert_split_record(vcpu);
	TEST_ASSERT(!memcmp(before, exit_union(vcpu), sizeof(before)),
		    "the memory fault changed the low part of the exit union");
	kvm_vm_free(vm);
}

static void *run_until_fault(void *arg)
{
	run_to_fault(arg);
	return NULL;
}

/* Upstream's "memslot deleted" scenario in the split layout. */
static void test_split_memslot_deleted(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t thread;

	vm = fault_vm(true, KVM_MEM_GUEST_MEMFD, &vcpu);
	run_to_sync(vcpu);
	pthread_create(&thread, NULL, run_until_fault, vcpu);
	vm_mem_region_delete(vm, PFEC_TEST_SLOT);
	pthread_join(thread, NULL);
	assert_split_record(vcpu);
	kvm_vm_free(vm);
}

/* Without the opt-in: upstream's layout, and the high part untouched. */
static void test_default_layout(void)
{
	uint8_t high[64];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = fault_vm(false, 0, &vcpu);
	run_to_sync(vcpu);
	memset(exit_union(vcpu) + KVM_EXIT_SPLIT_LOW_SIZE, 0x5a, sizeof(high));
	memcpy(high, exit_union(vcpu) + KVM_EXIT_SPLIT_LOW_SIZE, sizeof(high));
	run_to_fault(vcpu);
	TEST_ASSERT_EQ(vcpu->run->memory_fault.flags, KVM_MEMORY_EXIT_FLAG_PRIVATE);
	TEST_ASSERT_EQ(vcpu->run->memory_fault.gpa, PFEC_TEST_GPA);
	TEST_ASSERT_EQ(vcpu->run->memory_fault.size, PAGE_SIZE);
	TEST_ASSERT(!memcmp(high, exit_union(vcpu) + KVM_EXIT_SPLIT_LOW_SIZE, sizeof(high)),
		    "the default layout wrote past the low part");
	kvm_vm_free(vm);
}

/* A VM in the split layout pins the policy: rmmod fails until it is gone. */
static void test_split_vm_pins_module(const char *ko)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char cmd[512];

	vm = fault_vm(true, 0, &vcpu);
	TEST_ASSERT(system("rmmod kvm_pfec 2>/dev/null"), "rmmod succeeded under a split VM");
	kvm_vm_free(vm);
	TEST_ASSERT(!system("rmmod kvm_pfec"), "rmmod failed after the split VM went");
	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	TEST_ASSERT(!system(cmd), "'%s' failed", cmd);
}

/*
 * Userspace overwrites the exit union, canary included, between runs:
 * every fault still carries a correct record, and none counts as a double
 * annotation (KVM_RUN entry resets the canary).  Never fixing the fault
 * makes the vCPU look stuck: counted once, past the threshold, and logged
 * at 16, 32, 64, ... faults in a row.
 */
static void test_scribbler_and_stuck_vcpu(int runs)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t *words, x = 0x853c49e6748fea9bull;
	char record[8192], prefix[128];
	int i, j, kmsg, want;

	kmsg = kmsg_open_at_end();
	vm = fault_vm(true, 0, &vcpu);
	run_to_sync(vcpu);
	words = (uint64_t *)exit_union(vcpu);
	for (i = 0; i < runs; i++) {
		for (j = 0; j < 256 / 8; j++) {
			/* xorshift64: all 64 bits vary. */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			words[j] = x;
		}
		if (i % 2)
			vcpu->run->split.kernel_reserved = CANARY_ARMED;
		run_to_fault(vcpu);
		assert_split_record(vcpu);
		TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_memory_fault_stuck"),
			       i + 1 >= STUCK_THRESHOLD);
	}
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_memory_fault_double"), 0);
	kvm_vm_free(vm);

	/*
	 * The log names the VM (its stats id, kvm-<pid>) and the vCPU, at 16,
	 * 32, 64, ... identical faults, and at no other count.
	 */
	snprintf(prefix, sizeof(prefix),
		 "kvm_pfec: kvm-%d vCPU 0: the same memory fault ", getpid());
	want = STUCK_THRESHOLD;
	while (kmsg_next(kmsg, record, sizeof(record))) {
		const char *report = strstr(record, prefix);

		if (!report)
			continue;
		TEST_ASSERT(want <= runs && atoi(report + strlen(prefix)) == want,
			    "stuck-vCPU report out of turn (next due at %d): %s", want, report);
		want *= 2;
	}
	TEST_ASSERT(want > runs, "no stuck-vCPU report at %d identical faults", want);
	close(kmsg);
}

int main(int argc, char *argv[])
{
	const char *runs_env = getenv("PFEC_SCRIBBLE_RUNS");
	const char *ko = getenv("KVM_PFEC_KO");
	int runs = runs_env ? atoi(runs_env) : SCRIBBLE_RUNS;

	TEST_ASSERT(runs >= STUCK_THRESHOLD, "PFEC_SCRIBBLE_RUNS must be at least %d",
		    STUCK_THRESHOLD);
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM));
	TEST_REQUIRE(kvm_pfec_loaded());

	ksft_print_header();
	ksft_set_plan(6);
	test_capability();
	ksft_test_result_pass("KVM_CAP_MEMORY_FAULT_SPLIT: discovery and bad arguments\n");
	test_split_keeps_earlier_exit();
	ksft_test_result_pass("split: record past the low part, earlier exit intact\n");
	test_split_memslot_deleted();
	ksft_test_result_pass("split: memslot deleted under a private access\n");
	test_default_layout();
	ksft_test_result_pass("default: upstream's layout\n");
	if (ko) {
		test_split_vm_pins_module(ko);
		ksft_test_result_pass("split VM pins kvm_pfec\n");
	} else {
		ksft_test_result_skip("split VM pins kvm_pfec: KVM_PFEC_KO not set\n");
	}
	test_scribbler_and_stuck_vcpu(runs);
	ksft_test_result_pass("scribbled kvm_run, %d runs; stuck vCPU counted\n", runs);
	ksft_finished();
}
