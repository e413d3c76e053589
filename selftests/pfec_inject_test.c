// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_inject_test: the synthetic-bit guard, end to end.
 *
 * No hardware sets error-code bits 48 or 49, where KVM keeps its synthetic
 * flags, so this test makes the kernel pretend one did: with
 * CONFIG_KVM_PFEC_INJECT, bits written to the VM's pfec_inject in
 * /sys/kernel/debug/kvm/<pid>-<vm fd>/ are OR'ed into the VM's next hardware
 * error code, once.  The knob takes KVM's synthetic bits only: RSVD,
 * GUEST_ENC or GUEST_RMP get EINVAL and leave it empty.  With kvm_pfec.ko loaded
 * the fault must then be handled as if the bits were not there: stripped and
 * counted in pfec_synthetic_stripped, and the guest goes on (had
 * PFERR_PRIVATE_ACCESS leaked through, this default VM would get a
 * KVM_EXIT_MEMORY_FAULT), and the kvm_pfec_stripped tracepoint records the
 * fault once, with the bits.  A default VM has no private memory, so KVM
 * asks the policy for no private-access decision: none is traced or
 * counted.  The WARN it raises is checked by
 * scripts/guest/check.sh, which sees the kernel log.
 *
 * Which hardware entry takes the bits depends on the MMU: SVM's #NPF
 * ("npf") with nested paging, the intercepted #PF ("pf") with shadow
 * paging on either vendor.  With EPT, KVM composes an EPT violation's
 * error code from the exit qualification itself, and the one #PF it
 * intercepts, for a guest whose MAXPHYADDR is smaller than the host's
 * (kvm_intel.allow_smaller_maxphyaddr), it reflects into the guest after
 * a walk of the guest's page tables, with no hook point: the module is
 * not asked there.  On Intel with EPT the test shows that: the guest's
 * MAXPHYADDR is cut, it writes to a read-only page and gets its #PF
 * (present, write), and the armed bits stay in the knob, unconsumed, with
 * nothing stripped, traced or counted.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

#define NPAGES		2
#define MAGIC		0x5a5a5a5a12345678ull
/* The guest's MAXPHYADDR where KVM must reflect its #PFs: below any host's. */
#define SMALL_MAXPHYADDR	36

static void guest_code(uint64_t gva, uint64_t reflected)
{
	volatile uint64_t *page1 = (volatile uint64_t *)(gva + PAGE_SIZE);
	uint64_t error_code;
	uint8_t vector;

	/* Warm up: page 0 faults in the region's page tables. */
	*(volatile uint64_t *)gva = 0;
	GUEST_SYNC(0);
	/* The fault that takes the injected bits. */
	if (!reflected) {
		*page1 = MAGIC;
		GUEST_ASSERT_EQ(*page1, MAGIC);
		GUEST_DONE();
	}
	/* Page 1 is read-only: KVM reflects the #PF, present and write. */
	vector = kvm_asm_safe_ec("movq %[val], (%[addr])", error_code,
				 [addr] "r"(page1), [val] "r"(MAGIC));
	GUEST_ASSERT_EQ(vector, PF_VECTOR);
	GUEST_ASSERT_EQ(error_code, PFERR_PRESENT_MASK | PFERR_WRITE_MASK);
	GUEST_DONE();
}

static char inject_path[64];

/* The VM's knob: /sys/kernel/debug/kvm/<pid>-<vm fd>/pfec_inject. */
static void find_inject(struct kvm_vm *vm)
{
	snprintf(inject_path, sizeof(inject_path), "/sys/kernel/debug/kvm/%d-%d/pfec_inject",
		 getpid(), vm->fd);
	__TEST_REQUIRE(!access(inject_path, W_OK),
		       "no %s (CONFIG_KVM_PFEC_INJECT=n?)", inject_path);
}

/* Writes @bits to the knob: 0, or the errno of a refused write. */
static int __write_inject(uint64_t bits)
{
	char buf[32];
	int fd, n, r;

	fd = open(inject_path, O_WRONLY);
	TEST_ASSERT(fd >= 0, "open(%s) failed, errno %d", inject_path, errno);
	n = snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)bits);
	r = write(fd, buf, n);
	TEST_ASSERT(r == n || r == -1, "write(%s) wrote %d of %d bytes", inject_path, r, n);
	r = r == n ? 0 : errno;
	close(fd);
	return r;
}

static uint64_t read_inject(void)
{
	char buf[32] = {};
	int fd;

	fd = open(inject_path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open(%s) failed, errno %d", inject_path, errno);
	TEST_ASSERT(read(fd, buf, sizeof(buf) - 1) > 0, "read(%s) failed", inject_path);
	close(fd);
	return strtoull(buf, NULL, 0);
}

/* Architectural bits that would send the fault down another path. */
static void test_knob_refuses_hardware_bits(void)
{
	static const uint64_t refused[] = {
		1ull << 3,		/* RSVD */
		1ull << 34,		/* GUEST_ENC */
		1ull << 31,		/* GUEST_RMP */
		PFEC_PRIVATE_ACCESS | 1,	/* PRESENT with a synthetic bit */
		1ull << 50,		/* beyond the synthetic flags */
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		TEST_ASSERT(__write_inject(refused[i]) == EINVAL,
			    "pfec_inject took 0x%llx, which is not a synthetic flag",
			    (unsigned long long)refused[i]);
		TEST_ASSERT_EQ(read_inject(), 0);
	}
}

static void run_until(struct kvm_vcpu *vcpu, uint64_t ucall)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, ucall);
}

/*
 * The hardware entry that takes the guest's faults, as the event names it;
 * *reflected: on VMX with EPT, where the test takes the reflected #PF,
 * which has no hook point, instead.
 */
static const char *fault_source(bool *reflected)
{
	*reflected = false;
	if (!kvm_is_tdp_enabled())
		return "pf";
	if (!host_cpu_is_intel)
		return "npf";
	__TEST_REQUIRE(kvm_has_cap(KVM_CAP_SMALLER_MAXPHYADDR),
		       "VMX with EPT intercepts a guest #PF only with kvm_intel.allow_smaller_maxphyaddr=1");
	__TEST_REQUIRE(kvm_cpu_property(X86_PROPERTY_MAX_PHY_ADDR) > SMALL_MAXPHYADDR,
		       "the host's MAXPHYADDR is no more than %d", SMALL_MAXPHYADDR);
	*reflected = true;
	return "pf";
}

int main(int argc, char *argv[])
{
	uint64_t stripped, shared;
	unsigned long long code, bits;
	const char *tracefs, *event, *source;
	char format[96];
	struct kvm_vcpu *vcpu;
	bool reflected;
	char *trace;
	struct kvm_vm *vm;

	TEST_REQUIRE(kvm_pfec_loaded());
	source = fault_source(&reflected);
	tracefs = pfec_tracefs();

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	find_inject(vm);
	test_knob_refuses_hardware_bits();
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PFEC_TEST_GPA,
				    PFEC_TEST_SLOT, NPAGES, 0);
	virt_map(vm, PFEC_TEST_GPA, PFEC_TEST_GPA, NPAGES);
	vcpu_args_set(vcpu, 2, PFEC_TEST_GPA, (uint64_t)reflected);
	if (reflected) {
		struct kvm_sregs sregs;

		vcpu_set_cpuid_property(vcpu, X86_PROPERTY_MAX_PHY_ADDR, SMALL_MAXPHYADDR);
		*pfec_guest_pte(vm, PFEC_TEST_GPA + PAGE_SIZE) &= ~PFEC_PTE_WRITABLE;
		/* The selftest library's guest runs with CR0.WP clear. */
		vcpu_sregs_get(vcpu, &sregs);
		sregs.cr0 |= X86_CR0_WP;
		vcpu_sregs_set(vcpu, &sregs);
	}

	run_until(vcpu, UCALL_SYNC);
	stripped = vcpu_stat(vcpu, "pfec_synthetic_stripped");
	shared = vcpu_stat(vcpu, "pfec_shared_faults");
	TEST_ASSERT_EQ(stripped, 0);

	TEST_ASSERT_EQ(__write_inject(PFEC_IMPLICIT_ACCESS | PFEC_PRIVATE_ACCESS), 0);
	pfec_trace_start(tracefs);
	run_until(vcpu, UCALL_DONE);
	trace = pfec_trace_stop(tracefs);
	if (reflected) {
		/* No hook point took the bits: they are still armed. */
		TEST_ASSERT_EQ(read_inject(), PFEC_IMPLICIT_ACCESS | PFEC_PRIVATE_ACCESS);
		TEST_ASSERT_EQ(pfec_trace_count(trace, "kvm_pfec_stripped"), 0);
		TEST_ASSERT_EQ(pfec_trace_count(trace, "kvm_pfec_private_access"), 0);
		TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_synthetic_stripped"), 0);
		TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_shared_faults"), 0);
		TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_private_faults"), 0);
		TEST_ASSERT_EQ(*(uint64_t *)addr_gpa2hva(vm, PFEC_TEST_GPA + PAGE_SIZE), 0);
		printf("VMX's reflected #PF: the guest got it, present and write; "
		       "the module was not asked (bits 0x%llx still armed)\n",
		       (unsigned long long)read_inject());
		TEST_ASSERT_EQ(__write_inject(0), 0);
		free(trace);
		kvm_vm_free(vm);
		return 0;
	}
	TEST_ASSERT_EQ(pfec_trace_count(trace, "kvm_pfec_stripped"), 1);
	event = strstr(trace, " kvm_pfec_stripped: ");
	snprintf(format, sizeof(format),
		 " kvm_pfec_stripped: vcpu 0 %s error_code %%llx stripped %%llx", source);
	TEST_ASSERT(sscanf(event, format, &code, &bits) == 2,
		    "cannot parse as a stripped %s code: %.120s", source, event);
	printf("stripped at the %s entry: error code 0x%llx, bits 0x%llx\n", source, code, bits);
	TEST_ASSERT_EQ(bits, PFEC_IMPLICIT_ACCESS | PFEC_PRIVATE_ACCESS);
	TEST_ASSERT_EQ(code & bits, bits);
	TEST_ASSERT_EQ(pfec_trace_count(trace, "kvm_pfec_private_access"), 0);
	free(trace);

	TEST_ASSERT_EQ(read_inject(), 0);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_synthetic_stripped"), 1);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_shared_faults"), shared);
	TEST_ASSERT_EQ(shared, 0);
	TEST_ASSERT_EQ(vcpu_stat(vcpu, "pfec_private_faults"), 0);
	TEST_ASSERT_EQ(*(uint64_t *)addr_gpa2hva(vm, PFEC_TEST_GPA + PAGE_SIZE), MAGIC);

	kvm_vm_free(vm);
	return 0;
}
