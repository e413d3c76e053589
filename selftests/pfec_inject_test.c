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

static void guest_code(uint64_t gva)
{
	volatile uint64_t *page1 = (volatile uint64_t *)(gva + PAGE_SIZE);

	/* Warm up: page 0 faults in the region's page tables. */
	*(volatile uint64_t *)gva = 0;
	GUEST_SYNC(0);
	/* The fault that takes the injected bits. */
	*page1 = MAGIC;
	GUEST_ASSERT_EQ(*page1, MAGIC);
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

int main(int argc, char *argv[])
{
	uint64_t stripped, shared;
	unsigned long long code, bits;
	const char *tracefs, *event;
	struct kvm_vcpu *vcpu;
	char *trace;
	struct kvm_vm *vm;

	TEST_REQUIRE(kvm_pfec_loaded());
	tracefs = pfec_tracefs();

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	find_inject(vm);
	test_knob_refuses_hardware_bits();
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PFEC_TEST_GPA,
				    PFEC_TEST_SLOT, NPAGES, 0);
	virt_map(vm, PFEC_TEST_GPA, PFEC_TEST_GPA, NPAGES);
	vcpu_args_set(vcpu, 1, PFEC_TEST_GPA);

	run_until(vcpu, UCALL_SYNC);
	stripped = vcpu_stat(vcpu, "pfec_synthetic_stripped");
	shared = vcpu_stat(vcpu, "pfec_shared_faults");
	TEST_ASSERT_EQ(stripped, 0);

	TEST_ASSERT_EQ(__write_inject(PFEC_IMPLICIT_ACCESS | PFEC_PRIVATE_ACCESS), 0);
	pfec_trace_start(tracefs);
	run_until(vcpu, UCALL_DONE);
	trace = pfec_trace_stop(tracefs);
	TEST_ASSERT_EQ(pfec_trace_count(trace, "kvm_pfec_stripped"), 1);
	event = strstr(trace, " kvm_pfec_stripped: ");
	TEST_ASSERT(sscanf(event, " kvm_pfec_stripped: vcpu 0 npf error_code %llx stripped %llx",
			   &code, &bits) == 2, "cannot parse: %.120s", event);
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
