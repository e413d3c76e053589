// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_memory_fault_test: KVM_EXIT_MEMORY_FAULT in the split kvm_run layout
 * (KVM_CAP_MEMORY_FAULT_SPLIT), which KVM writes itself, or kvm_pfec.ko in
 * its place while loaded.
 *
 * The memory fault in most scenarios is upstream private_mem_kvm_exits_test's:
 * a software-protected VM whose test page is private by attribute, in a
 * memslot without guest_memfd, so each access exits with EFAULT and a
 * private memory fault for that page.  Seed 002's cases A and C, which no
 * guest can provoke on a correct KVM, come from the test knob
 * pfec_inject_memory_fault (CONFIG_KVM_PFEC_INJECT): after a KVM_RUN
 * populated an exit, KVM annotates a memory fault, once or twice, and the
 * KVM_RUN completes that exit.  The knob pfec_inject_private_fail fails a
 * policy's decision, to show that KVM still reports that fault.
 *
 * With $KVM_PFEC_KO set, the test also unloads kvm_pfec and runs the
 * scenarios again, to show that KVM's writer and the module's agree byte
 * for byte, and that a VM never notices the module come and go.
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
/* A gpa for the knob's memory faults, outside every memslot. */
#define INJECT_GPA	0xd0000000ull
/*
 * Runs into the same fault for the scribbler, above the stuck threshold;
 * $PFEC_SCRIBBLE_RUNS overrides it (make check-stress runs 5000).
 */
#define SCRIBBLE_RUNS	200
/* kvm_pfec reports a vCPU as stuck after this many identical faults. */
#define STUCK_THRESHOLD	16

static void guest_fault_now(uint64_t gva, uint64_t npages)
{
	for (;;)
		READ_ONCE(*(volatile uint64_t *)gva);
}

static void guest_read(uint64_t gva, uint64_t npages)
{
	/* One ordinary exit first, whose data must survive the fault. */
	GUEST_SYNC(0x1234);
	guest_fault_now(gva, npages);
}

static const struct kvm_enable_cap split_cap = {
	.cap = KVM_CAP_MEMORY_FAULT_SPLIT,
	.args = { 1 },
};

/*
 * A SW-protected VM, in the split layout if asked (which must be before it
 * has vCPUs), with one vCPU and its test page private by attribute.
 */
static struct kvm_vm *fault_vm_code(bool split, uint32_t slot_flags, void *guest_code,
				    struct kvm_vcpu **vcpu)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	struct kvm_vm *vm = __vm_create(shape, 1, 0);

	if (split)
		vm_ioctl(vm, KVM_ENABLE_CAP, &split_cap);
	*vcpu = vm_vcpu_add(vm, 0, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PFEC_TEST_GPA,
				    PFEC_TEST_SLOT, NPAGES, slot_flags);
	virt_map(vm, PFEC_TEST_GPA, PFEC_TEST_GPA, NPAGES);
	vcpu_args_set(*vcpu, 2, PFEC_TEST_GPA, (uint64_t)NPAGES);
	vm_mem_set_private(vm, PFEC_TEST_GPA, NPAGES * PAGE_SIZE);
	return vm;
}

static struct kvm_vm *fault_vm(bool split, uint32_t slot_flags, struct kvm_vcpu **vcpu)
{
	return fault_vm_code(split, slot_flags, guest_read, vcpu);
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

/* The guest's private-page fault, after its GUEST_SYNC (KVM_EXIT_IO). */
static void assert_split_record(struct kvm_vcpu *vcpu)
{
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.flags, KVM_MEMORY_EXIT_FLAG_PRIVATE);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.gpa, PFEC_TEST_GPA);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.size, PAGE_SIZE);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.low_exit_reason, KVM_EXIT_IO);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.pad, 0);
}

/*
 * Writes @val to the VM's pfec_inject_memory_fault: bits 63:12 a gpa, bits
 * 11:0 how many times to annotate a fault there.
 */
static int __write_knob(struct kvm_vm *vm, uint64_t val)
{
	return __write_named_knob(vm, "pfec_inject_memory_fault", val);
}

static void arm_memory_fault(struct kvm_vm *vm, uint64_t gpa, int times)
{
	TEST_ASSERT_EQ(__write_knob(vm, gpa | times), 0);
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

	/* Enabled before the vCPU: enabling again is fine, disabling is not. */
	vm = fault_vm(true, 0, &vcpu);
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	cap.args[0] = 0;
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) && errno == EINVAL, "disabling");
	run_to_sync(vcpu);
	run_to_fault(vcpu);
	assert_split_record(vcpu);
	kvm_vm_free(vm);
}

/*
 * Upstream's "memslot not private" scenario in the split layout, after an
 * ordinary exit: the record is in split.memory_fault, and the rest of the
 * union still holds the I/O exit's data (seed 002's case A).
 */
static void test_split_keeps_earlier_exit(void)
{
	uint8_t before[KVM_MEMORY_FAULT_SPLIT_LOW_SIZE];
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
	memset(exit_union(vcpu) + KVM_MEMORY_FAULT_SPLIT_LOW_SIZE, 0x5a, sizeof(high));
	memcpy(high, exit_union(vcpu) + KVM_MEMORY_FAULT_SPLIT_LOW_SIZE, sizeof(high));
	run_to_fault(vcpu);
	TEST_ASSERT_EQ(vcpu->run->memory_fault.flags, KVM_MEMORY_EXIT_FLAG_PRIVATE);
	TEST_ASSERT_EQ(vcpu->run->memory_fault.gpa, PFEC_TEST_GPA);
	TEST_ASSERT_EQ(vcpu->run->memory_fault.size, PAGE_SIZE);
	TEST_ASSERT(!memcmp(high, exit_union(vcpu) + KVM_MEMORY_FAULT_SPLIT_LOW_SIZE, sizeof(high)),
		    "the default layout wrote past the low part");
	kvm_vm_free(vm);
}

/* Reads page 0, private until the host converts it, then page 1. */
static void guest_read_two(uint64_t gva, uint64_t npages)
{
	GUEST_SYNC(0x1234);
	READ_ONCE(*(volatile uint64_t *)gva);
	READ_ONCE(*(volatile uint64_t *)(gva + PAGE_SIZE));
	GUEST_DONE();
}

/* The memory-fault record of @vcpu's last exit, in @split's layout. */
static void assert_record(struct kvm_vcpu *vcpu, bool split, uint64_t gpa, uint64_t flags)
{
	if (split) {
		TEST_ASSERT_EQ(vcpu->run->split.memory_fault.gpa, gpa);
		TEST_ASSERT_EQ(vcpu->run->split.memory_fault.size, PAGE_SIZE);
		TEST_ASSERT_EQ(vcpu->run->split.memory_fault.flags, flags);
		/* The low part still holds the guest's GUEST_SYNC. */
		TEST_ASSERT_EQ(vcpu->run->split.memory_fault.low_exit_reason, KVM_EXIT_IO);
	} else {
		TEST_ASSERT_EQ(vcpu->run->memory_fault.gpa, gpa);
		TEST_ASSERT_EQ(vcpu->run->memory_fault.size, PAGE_SIZE);
		TEST_ASSERT_EQ(vcpu->run->memory_fault.flags, flags);
	}
}

/*
 * A policy that fails a fault leaves a memory-fault exit for that fault, not
 * whatever kvm_run held.  The guest's private page 0 exits first, as usual;
 * the host converts it to shared, and arms pfec_inject_private_fail for page
 * 1, so that the policy's decision for page 1 fails, once.  KVM_RUN must
 * then report page 1, with the flags upstream decides (shared), and not page
 * 0's private record; the next KVM_RUN maps page 1.
 */
static void test_policy_failure(bool split)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	const uint64_t page1 = PFEC_TEST_GPA + PAGE_SIZE;
	struct kvm_vm *vm = __vm_create(shape, 1, 0);
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	if (split)
		vm_ioctl(vm, KVM_ENABLE_CAP, &split_cap);
	vcpu = vm_vcpu_add(vm, 0, guest_read_two);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PFEC_TEST_GPA,
				    PFEC_TEST_SLOT, 2, 0);
	virt_map(vm, PFEC_TEST_GPA, PFEC_TEST_GPA, 2);
	vcpu_args_set(vcpu, 2, PFEC_TEST_GPA, 2ull);
	vm_mem_set_private(vm, PFEC_TEST_GPA, PAGE_SIZE);

	run_to_sync(vcpu);
	run_to_fault(vcpu);
	assert_record(vcpu, split, PFEC_TEST_GPA, KVM_MEMORY_EXIT_FLAG_PRIVATE);

	vm_mem_set_shared(vm, PFEC_TEST_GPA, PAGE_SIZE);
	TEST_ASSERT_EQ(__write_named_knob(vm, "pfec_inject_private_fail", page1 | 1), 0);
	run_to_fault(vcpu);
	assert_record(vcpu, split, page1, 0);

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);
}

/*
 * What one scenario left for userspace: KVM_RUN's result, exit_reason, the
 * whole exit union, and the double-annotation count.
 */
struct outcome {
	int r;
	int err;
	uint32_t exit_reason;
	uint8_t exit_union[256];
	uint64_t double_annotations;
};

static void capture(struct kvm_vcpu *vcpu, int r, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->r = r;
	o->err = r ? errno : 0;
	o->exit_reason = vcpu->run->exit_reason;
	memcpy(o->exit_union, exit_union(vcpu), sizeof(o->exit_union));
	o->double_annotations = vcpu_stat(vcpu, "pfec_memory_fault_double");
}

/*
 * Seed 002's case A in one KVM_RUN: the guest's GUEST_SYNC populates an I/O
 * exit, KVM annotates a memory fault (the knob), and the KVM_RUN completes
 * the I/O exit, returning 0.  With @times = 2, a second annotation follows
 * (case C).  Returns the outcome, and checks what userspace can rely on.
 */
static void case_a(bool split, int times, struct outcome *o)
{
	struct outcome plain;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	/* The same exit without the annotation, for reference. */
	vm = fault_vm(split, 0, &vcpu);
	run_to_sync(vcpu);
	capture(vcpu, 0, &plain);
	kvm_vm_free(vm);

	vm = fault_vm(split, 0, &vcpu);
	arm_memory_fault(vm, INJECT_GPA, times);
	capture(vcpu, _vcpu_run(vcpu), o);
	TEST_ASSERT_EQ(o->r, 0);
	TEST_ASSERT_EQ(o->double_annotations, times - 1);
	if (!split) {
		/*
		 * Upstream's layout: KVM_RUN returns 0 with the memory fault,
		 * whose record is written over the I/O exit.
		 */
		TEST_ASSERT_EQ(o->exit_reason, KVM_EXIT_MEMORY_FAULT);
		TEST_ASSERT_EQ(vcpu->run->memory_fault.gpa, INJECT_GPA);
		TEST_ASSERT(memcmp(plain.exit_union, o->exit_union, sizeof(vcpu->run->io)),
			    "the record left the I/O exit intact in upstream's layout");
		kvm_vm_free(vm);
		return;
	}
	/*
	 * The split layout: KVM_RUN never returns 0 with a memory fault.  It
	 * reports the I/O exit it completed, and the fault's record stays.
	 */
	TEST_ASSERT_EQ(o->exit_reason, KVM_EXIT_IO);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.gpa, INJECT_GPA);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.size, PAGE_SIZE);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.flags, 0);
	/* Which exit the low part is from, and the low part intact. */
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.low_exit_reason, KVM_EXIT_IO);
	TEST_ASSERT(!memcmp(plain.exit_union, o->exit_union, KVM_MEMORY_FAULT_SPLIT_LOW_SIZE),
		    "the memory fault changed the low part of the exit union");
	/* So userspace completes the I/O exit as it is, and the guest goes on. */
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], 0x1234);
	run_to_fault(vcpu);
	assert_split_record(vcpu);
	kvm_vm_free(vm);
}

static void test_case_a(void)
{
	struct kvm_vm *vm = vm_create_barebones_type(KVM_X86_SW_PROTECTED_VM);
	struct outcome o;

	TEST_ASSERT_EQ(__write_knob(vm, INJECT_GPA), EINVAL);
	TEST_ASSERT_EQ(__write_knob(vm, INJECT_GPA | 3), EINVAL);
	TEST_ASSERT_EQ(__write_knob(vm, 0), 0);
	kvm_vm_free(vm);

	case_a(true, 1, &o);
	case_a(true, 2, &o);
	case_a(false, 1, &o);
}

/* The split scenarios, each in a fresh VM; @o gets 5 outcomes. */
static void scenarios(struct outcome *o)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	/* An I/O exit, then a memory fault, then the same fault again. */
	vm = fault_vm(true, 0, &vcpu);
	run_to_sync(vcpu);
	capture(vcpu, _vcpu_run(vcpu), &o[0]);
	capture(vcpu, _vcpu_run(vcpu), &o[1]);
	kvm_vm_free(vm);

	case_a(true, 1, &o[2]);
	case_a(true, 2, &o[3]);

	/* A memory fault as the vCPU's first exit: the low part is from none. */
	vm = fault_vm_code(true, 0, guest_fault_now, &vcpu);
	capture(vcpu, _vcpu_run(vcpu), &o[4]);
	TEST_ASSERT_EQ(vcpu->run->split.memory_fault.low_exit_reason, KVM_EXIT_UNKNOWN);
	kvm_vm_free(vm);
}

static void assert_same(const struct outcome *a, const struct outcome *b, const char *what)
{
	TEST_ASSERT(!memcmp(a, b, sizeof(*a)),
		    "%s: r %d/%d, errno %d/%d, exit_reason %u/%u, doubles %lu/%lu, union %s",
		    what, a->r, b->r, a->err, b->err, a->exit_reason, b->exit_reason,
		    a->double_annotations, b->double_annotations,
		    memcmp(a->exit_union, b->exit_union, 256) ? "differs" : "same");
}

/*
 * Userspace writes another exit's reason into exit_reason, and into the
 * old record's low_exit_reason, before each KVM_RUN: each record still names
 * the I/O exit whose data the low part holds, which KVM keeps itself.  So
 * does a KVM_RUN with immediate_exit in between, which fails with EINTR
 * before KVM reports anything, and leaves exit_reason as userspace wrote it,
 * and a KVM_PRE_FAULT_MEMORY of the faulting page, whose record KVM writes
 * outside KVM_RUN.
 */
static void test_wrong_exit_reason(void)
{
	static const uint32_t wrong[] = {
		KVM_EXIT_HLT, KVM_EXIT_MMIO, KVM_EXIT_MEMORY_FAULT, 0xdead,
	};
	struct kvm_pre_fault_memory range = {
		.gpa = PFEC_TEST_GPA,
		.size = PAGE_SIZE,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	unsigned int i;
	int r;

	vm = fault_vm(true, 0, &vcpu);
	run_to_sync(vcpu);
	for (i = 0; i < ARRAY_SIZE(wrong); i++) {
		vcpu->run->exit_reason = wrong[i];
		vcpu->run->split.memory_fault.low_exit_reason = wrong[i];
		run_to_fault(vcpu);
		assert_split_record(vcpu);
	}

	vcpu->run->immediate_exit = 1;
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	r = __vcpu_run(vcpu);
	TEST_ASSERT(r == -1 && errno == EINTR,
		    "KVM_RUN with immediate_exit: expected EINTR, got %d (errno %d)", r, errno);
	TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_HLT);
	vcpu->run->immediate_exit = 0;
	run_to_fault(vcpu);
	assert_split_record(vcpu);

	/* KVM_PRE_FAULT_MEMORY annotates the same fault outside KVM_RUN. */
	vcpu->run->exit_reason = 0xdead;
	r = __vcpu_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &range);
	TEST_ASSERT(r == -1 && errno == EFAULT,
		    "KVM_PRE_FAULT_MEMORY: expected EFAULT, got %d (errno %d)", r, errno);
	assert_split_record(vcpu);
	kvm_vm_free(vm);
}

/*
 * KVM's writer against kvm_pfec's: the same scenarios with the module
 * loaded and unloaded leave userspace the same bytes.  A split VM does not
 * pin the module, keeps its layout while the module goes and comes back, and
 * KVM offers the capability without the module.
 */
static void test_writers_agree(const char *ko)
{
	struct outcome with[5], without[5], o[3];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char cmd[512];
	int i;

	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	scenarios(with);

	vm = fault_vm(true, 0, &vcpu);
	run_to_sync(vcpu);
	capture(vcpu, _vcpu_run(vcpu), &o[0]);
	TEST_ASSERT(!system("rmmod kvm_pfec"), "rmmod failed under a split VM");
	capture(vcpu, _vcpu_run(vcpu), &o[1]);

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_MEMORY_FAULT_SPLIT), 1);
	test_capability();
	scenarios(without);
	test_wrong_exit_reason();

	TEST_ASSERT(!system(cmd), "'%s' failed", cmd);
	capture(vcpu, _vcpu_run(vcpu), &o[2]);
	assert_split_record(vcpu);
	kvm_vm_free(vm);

	for (i = 0; i < 5; i++)
		assert_same(&with[i], &without[i], "scenario with and without kvm_pfec");
	assert_same(&o[0], &o[1], "a split VM's fault before and after rmmod");
	assert_same(&o[0], &o[2], "a split VM's fault before rmmod and after insmod");
}

/*
 * Userspace overwrites the exit union between runs: every fault still
 * carries a correct record, and none counts as a double annotation (the
 * canary is in the vCPU, out of userspace's reach).  Never fixing the fault
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
		/*
		 * Whatever the scribbler wrote, the record names the I/O exit,
		 * which KVM keeps itself.
		 */
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
	pfec_require_sw_protected_vm();
	TEST_REQUIRE(kvm_pfec_loaded());

	ksft_print_header();
	ksft_set_plan(10);
	test_capability();
	ksft_test_result_pass("KVM_CAP_MEMORY_FAULT_SPLIT: discovery and bad arguments\n");
	test_split_keeps_earlier_exit();
	ksft_test_result_pass("split: record past the low part, earlier exit intact\n");
	test_split_memslot_deleted();
	ksft_test_result_pass("split: memslot deleted under a private access\n");
	test_default_layout();
	ksft_test_result_pass("default: upstream's layout\n");
	test_case_a();
	ksft_test_result_pass("seed 002 case A in one KVM_RUN: the completed exit reported, low part kept and named; case C counted\n");
	test_wrong_exit_reason();
	ksft_test_result_pass("split: a wrong exit_reason from userspace does not reach the record\n");
	test_policy_failure(false);
	ksft_test_result_pass("default: a policy's failure is a memory-fault exit for its fault\n");
	test_policy_failure(true);
	ksft_test_result_pass("split: a policy's failure is a memory-fault exit for its fault\n");
	if (ko) {
		test_writers_agree(ko);
		ksft_test_result_pass("KVM's writer and kvm_pfec's agree; no pinning\n");
	} else {
		ksft_test_result_skip("KVM's writer and kvm_pfec's agree: KVM_PFEC_KO not set\n");
	}
	test_scribbler_and_stuck_vcpu(runs);
	ksft_test_result_pass("scribbled kvm_run, %d runs; stuck vCPU counted\n", runs);
	ksft_finished();
}
