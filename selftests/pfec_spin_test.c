// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_spin_test: a vCPU that spins in the guest still gives the host its
 * CPU back: the host's timer interrupt forces an exit (KVM's irq_exits
 * stat), whether the guest spins with interrupts disabled or enabled.
 *
 * Tests that run vCPU threads beside host threads on a one-CPU VM
 * (pfec_reload_test) depend on it: KVM intercepts physical interrupts
 * whatever the guest's RFLAGS.IF (VMX's external-interrupt exiting, SVM's
 * INTR intercept), and the host scheduler preempts the vCPU thread on the
 * way out.  The test does not depend on kvm_pfec.ko; it checks the
 * platform the other tests run on, and names what it saw:
 *
 *     irq exits in 200 ms spins: A with interrupts disabled since entry,
 *     B disabled after sti;cli, C enabled
 *
 * Under Bochs 2.7's VMX the first count is 0 (Documentation/testing.rst,
 * "Intel, under Bochs"); scripts/guest/vmx.sh runs this test to show it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kvm_pfec.h"

/* Milliseconds of guest time each spin lasts: tens of host ticks. */
#define SPIN_MS		200

/* Spins for @cycles of the guest's TSC, with RFLAGS.IF as it is. */
static void spin(uint64_t cycles)
{
	uint64_t start = rdtsc();

	while (rdtsc() - start < cycles)
		;
}

static void guest_code(uint64_t cycles)
{
	/* A selftest guest enters with RFLAGS.IF clear. */
	spin(cycles);
	GUEST_SYNC(1);
	/* Clear again, after a change of IF. */
	asm volatile("sti; nop; cli");
	spin(cycles);
	GUEST_SYNC(2);
	asm volatile("sti");
	spin(cycles);
	asm volatile("cli");
	GUEST_DONE();
}

static void run_until(struct kvm_vcpu *vcpu, uint64_t cmd)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, cmd);
}

int main(int argc, char *argv[])
{
	uint64_t exits[4], tsc_khz;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	r = __vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, NULL);
	TEST_ASSERT(r > 0, "KVM_GET_TSC_KHZ failed, errno %d", errno);
	tsc_khz = r;
	vcpu_args_set(vcpu, 1, tsc_khz * SPIN_MS);

	exits[0] = vcpu_stat(vcpu, "irq_exits");
	run_until(vcpu, UCALL_SYNC);
	exits[1] = vcpu_stat(vcpu, "irq_exits");
	run_until(vcpu, UCALL_SYNC);
	exits[2] = vcpu_stat(vcpu, "irq_exits");
	run_until(vcpu, UCALL_DONE);
	exits[3] = vcpu_stat(vcpu, "irq_exits");

	printf("irq exits in %d ms spins: %lu with interrupts disabled since entry, "
	       "%lu disabled after sti;cli, %lu enabled\n", SPIN_MS,
	       exits[1] - exits[0], exits[2] - exits[1], exits[3] - exits[2]);
	TEST_ASSERT(exits[3] > exits[2], "no external-interrupt exit with interrupts enabled");
	TEST_ASSERT(exits[2] > exits[1],
		    "no external-interrupt exit with interrupts disabled after sti;cli");
	TEST_ASSERT(exits[1] > exits[0],
		    "no external-interrupt exit with interrupts disabled since entry");
	kvm_vm_free(vm);
	return 0;
}
