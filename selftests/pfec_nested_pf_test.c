// SPDX-License-Identifier: GPL-2.0
/*
 * pfec_nested_pf_test: seed 004 in KVM, nested VMX's #PF exits.
 *
 * While L2 runs, vmcs02's EB.PF, PFEC_MASK and PFEC_MATCH decide which of
 * L2's #PFs exit to L0.  They must let through every #PF that L0 (KVM) needs
 * and every one that L1 asked for in vmcs12.  Upstream KVM exits on every
 * #PF whenever L0 needs any; with kvm_pfec.ko loaded, vmcs02 takes the
 * module's merge of the two filters (rust/pfec/vmx_pfec.rs).
 *
 * L1 runs L2 with a table of #PF filters.  For each, L2 takes eight #PFs
 * with different error codes, twice: between the two rounds it makes a ucall,
 * and userspace sets and clears KVM_SET_GUEST_DEBUG, which makes KVM
 * recompute vmcs02's exception bitmap while L2 is active.  L1 records the
 * #PF exits it gets and injects each #PF back into L2, whose handler records
 * every #PF it takes.  The kvm_nested_vmexit tracepoint counts the #PF exits
 * to L0.
 *
 * Each case runs twice in one process: with the module loaded (the merge),
 * and after rmmod (upstream's rule), before insmod of $KVM_PFEC_KO puts the
 * module back.  Both times L1 must see exactly the #PFs that the SDM's rule
 * gives for its filter and the error codes L2 took.  The test prints one line
 * per case, "nested #PF exits to L0, CASE: upstream N0 -> merged N1,
 * reflected to L1 R (SDM: R)".
 *
 * The cases depend on kvm_intel's boot: with EPT, the guest's MAXPHYADDR is
 * cut below the host's so that L0 needs its present, non-reserved #PFs
 * (kvm_intel.allow_smaller_maxphyaddr); with ept=0, L0 needs all of them.
 * Each with the table, and with an L1 that intercepts no #PF.
 *
 * With EPT, a last run changes KVM's need while L2 is active, which seed
 * 004's thread found KVM does not follow (run_need_change()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "vmx.h"
#include "kvm_pfec.h"

/* The guest's MAXPHYADDR where KVM with EPT needs #PF exits. */
#define SMALL_MAXPHYADDR	36

#define PF_P		(1u << 0)
#define PF_W		(1u << 1)
#define PF_RSVD		(1u << 3)
#define PF_I		(1u << 4)

/* VM-exit interruption information: NMI unblocking due to IRET. */
#define INTR_INFO_NMI_UNBLOCKED	(1u << 12)

/*
 * A page the test makes fault: not present, read-only, reserved (bit 51),
 * NX, and read-only with address bit SMALL_MAXPHYADDR set, which only a
 * guest with the smaller MAXPHYADDR has reserved: hardware's #PF there is
 * present and write, which KVM must intercept and give RSVD.
 */
enum { PAGE_NP, PAGE_RO, PAGE_RSVD, PAGE_NX, PAGE_RO_HIGH, NR_PAGES };

enum fault { READ, WRITE, FETCH };

/* Each access, and hardware's error code for it. */
static const struct {
	int page;
	enum fault access;
	uint32_t error_code;
} faults[] = {
	{ PAGE_NP, READ, 0 },
	{ PAGE_NP, WRITE, PF_W },
	{ PAGE_NP, FETCH, PF_I },
	{ PAGE_RO, WRITE, PF_P | PF_W },
	{ PAGE_RSVD, READ, PF_P | PF_RSVD },
	{ PAGE_RSVD, WRITE, PF_P | PF_W | PF_RSVD },
	{ PAGE_NX, FETCH, PF_P | PF_I },
	{ PAGE_RO_HIGH, WRITE, PF_P | PF_W },
};
enum { FAULT_RO_HIGH = 7 };
#define NR_FAULTS	ARRAY_SIZE(faults)
#define NR_ROUNDS	2

struct pf_filter {
	bool eb_pf;
	uint32_t mask;
	uint32_t match;
};

/* L1's filters when it intercepts #PFs: each form the SDM's rule allows. */
static const struct pf_filter intercepting[] = {
	{ true, 0, 0 },				/* every #PF */
	{ true, PF_W, PF_W },			/* writes */
	{ true, PF_P, 0 },			/* not present */
	{ true, PF_P | PF_RSVD, PF_P },		/* L0's own under EPT */
	{ true, PF_I, PF_I },			/* fetches */
	{ false, PF_W, 0 },			/* writes, as a mismatch */
	{ false, PF_P | PF_W, PF_P | PF_W },	/* all but present writes */
	{ false, PF_RSVD, PF_RSVD },		/* not reserved */
};

/* L1's filters when it intercepts none. */
static const struct pf_filter not_intercepting[] = {
	{ false, 0, 0 },
	{ true, 0, PF_P },			/* MATCH outside MASK */
};

#define MAX_FILTERS	ARRAY_SIZE(intercepting)

/* Set by the host for each run. */
static struct pf_filter filters[MAX_FILTERS];
static int nr_filters;
static uint64_t test_gva;
/* The run that changes KVM's need while L2 is active (run_need_change()). */
static bool need_change;

/* Where L2 is; read by L1 and by the #PF handler. */
static volatile int cur_filter, cur_round, cur_fault;
/* Where the #PF handler resumes L2. */
static uint64_t l2_resume;

/* Bit 31 marks a #PF taken: error codes only use bits below it here. */
#define TAKEN		(1u << 31)
/* The #PFs L2's handler took, and the #PF exits L1 got. */
static uint32_t l2_took[MAX_FILTERS][NR_ROUNDS][NR_FAULTS];
static uint32_t l1_got[MAX_FILTERS][NR_ROUNDS][NR_FAULTS];

static bool exits(struct pf_filter f, uint32_t error_code)
{
	return f.eb_pf == ((error_code & f.mask) == f.match);
}

/*
 * The error code of the #PF that fault @i gives a guest whose MAXPHYADDR is
 * @maxphyaddr: hardware's, plus RSVD where the guest has the high page's
 * address bit reserved, which KVM adds.
 */
static uint32_t taken_code(int i, int maxphyaddr)
{
	if (faults[i].page == PAGE_RO_HIGH && SMALL_MAXPHYADDR >= maxphyaddr)
		return faults[i].error_code | PF_RSVD;
	return faults[i].error_code;
}

/* L2's #PF handler (L1 shares its IDT): records the #PF, skips the access. */
static void l2_pf_handler(struct ex_regs *regs)
{
	l2_took[cur_filter][cur_round][cur_fault] = regs->error_code | TAKEN;
	regs->rip = l2_resume;
}

/* The address the next access faults on. */
static uint64_t l2_addr;

/*
 * One access that faults, after which the #PF handler resumes at 1.  A fetch
 * jumps to its page, and faults there.  The #PF frame goes below the red
 * zone's 128 bytes.  VMX keeps no GPR of L2's across an exit to L1: L1
 * resumes L2 with its own.  So every GPR is clobbered, rbp saved on the
 * stack, and the operands are in memory.
 */
#define FAULTING(insn)							\
	asm volatile("lea 1f(%%rip), %%rax\n\t"				\
		     "mov %%rax, %[resume]\n\t"				\
		     "mov %[addr], %%rax\n\t"				\
		     "sub $128, %%rsp\n\t"				\
		     "push %%rbp\n\t"					\
		     insn "\n\t"					\
		     "1: pop %%rbp\n\t"					\
		     "add $128, %%rsp"					\
		     : [resume] "=m"(l2_resume)				\
		     : [addr] "m"(l2_addr)					\
		     : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",	\
		       "r10", "r11", "r12", "r13", "r14", "r15", "cc", "memory")

static void l2_fault(int i)
{
	l2_addr = test_gva + faults[i].page * PAGE_SIZE;
	cur_fault = i;
	switch (faults[i].access) {
	case READ:
		FAULTING("movb (%%rax), %%al");
		break;
	case WRITE:
		FAULTING("movb $1, (%%rax)");
		break;
	case FETCH:
		FAULTING("jmp *%%rax");
		break;
	}
}

static void l2_guest_code(void)
{
	int i;

	if (need_change) {
		/* Userspace moves this L2 to a vCPU whose KVM needs #PFs. */
		GUEST_SYNC(0);
		l2_fault(FAULT_RO_HIGH);
		vmcall();
	}
	for (cur_round = 0; cur_round < NR_ROUNDS; cur_round++) {
		for (i = 0; i < NR_FAULTS; i++)
			l2_fault(i);
		/* To userspace, which makes KVM recompute vmcs02's bitmap. */
		if (cur_round == 0)
			GUEST_SYNC(cur_filter);
	}
	vmcall();
}

static void l1_guest_code(struct vmx_pages *vmx)
{
	uint64_t rsp, reason, info, error_code;
	int f, r;

	GUEST_ASSERT(prepare_for_vmx_operation(vmx));
	GUEST_ASSERT(load_vmcs(vmx));
#ifdef PFEC_PREPARE_VMCS_TAKES_RSP
	{
		static uint64_t l2_stack[512];

		prepare_vmcs(vmx, l2_guest_code, &l2_stack[ARRAY_SIZE(l2_stack)]);
	}
#else
	prepare_vmcs(vmx, l2_guest_code);
#endif
	rsp = vmreadz(GUEST_RSP);

	for (f = 0; f < nr_filters; f++) {
		cur_filter = f;
		GUEST_ASSERT(!vmwrite(EXCEPTION_BITMAP, filters[f].eb_pf ? 1u << PF_VECTOR : 0));
		GUEST_ASSERT(!vmwrite(PAGE_FAULT_ERROR_CODE_MASK, filters[f].mask));
		GUEST_ASSERT(!vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, filters[f].match));
		GUEST_ASSERT(!vmwrite(GUEST_RIP, (uint64_t)l2_guest_code));
		GUEST_ASSERT(!vmwrite(GUEST_RSP, rsp));
		r = f ? vmresume() : vmlaunch();
		for (;;) {
			GUEST_ASSERT_EQ(r, 0);
			reason = vmreadz(VM_EXIT_REASON);
			if (reason == EXIT_REASON_VMCALL)
				break;
			GUEST_ASSERT_EQ(reason, EXIT_REASON_EXCEPTION_NMI);
			info = vmreadz(VM_EXIT_INTR_INFO);
			GUEST_ASSERT_EQ(info & 0xff, PF_VECTOR);
			error_code = vmreadz(VM_EXIT_INTR_ERROR_CODE);
			l1_got[f][cur_round][cur_fault] = error_code | TAKEN;
			/* L2 takes the #PF it would have taken without L1. */
			GUEST_ASSERT(!vmwrite(VM_ENTRY_INTR_INFO_FIELD,
					      info & ~INTR_INFO_NMI_UNBLOCKED));
			GUEST_ASSERT(!vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code));
			r = vmresume();
		}
	}
	if (need_change) {
		/* L1's own access, under vmcs01. */
		cur_round = 1;
		l2_fault(FAULT_RO_HIGH);
	}
	GUEST_DONE();
}

struct outcome {
	int exits_to_l0;	/* #PF exits to L0, from the tracepoint */
	int reflected;		/* #PF exits L1 got */
	int sdm;		/* #PF exits the SDM's rule gives L1 */
	int wanted;		/* #PFs that L0's or L1's filter exits on */
};

/* The #PF exits to L0 in the trace: exit reason 0 with vector 14. */
static int pf_exits_in(const char *trace)
{
	const char *p = trace;
	unsigned int intr_info;
	int n = 0;

	while ((p = strstr(p, " kvm_nested_vmexit: "))) {
		const char *line_end = strchr(p, '\n');
		const char *info = strstr(p, " intr_info ");

		p++;
		if (!strstr(p, "reason EXCEPTION_NMI ") ||
		    strstr(p, "reason EXCEPTION_NMI ") > line_end || !info || info > line_end)
			continue;
		TEST_ASSERT(sscanf(info, " intr_info %x", &intr_info) == 1,
			    "cannot parse: %.160s", p);
		n += (intr_info & 0xff) == PF_VECTOR;
	}
	return n;
}

/*
 * A VM whose L1 runs L2 with @n filters of @table, the test pages mapped and
 * CR0.WP set.  @maxphyaddr: the guest's MAXPHYADDR, if not the host's.
 */
static struct kvm_vm *vm_create_nested(struct kvm_vcpu **vcpu,
				       const struct pf_filter *table, int n,
				       int maxphyaddr)
{
	struct kvm_sregs sregs;
	pfec_gva_t vmx_gva;
	struct kvm_vm *vm;

	vm = vm_create_with_one_vcpu(vcpu, l1_guest_code);
	vcpu_alloc_vmx(vm, &vmx_gva);
	vcpu_args_set(*vcpu, 1, vmx_gva);
	if (maxphyaddr)
		vcpu_set_cpuid_property(*vcpu, X86_PROPERTY_MAX_PHY_ADDR, maxphyaddr);
	vm_install_exception_handler(vm, PF_VECTOR, l2_pf_handler);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PFEC_TEST_GPA,
				    PFEC_TEST_SLOT, NR_PAGES, 0);
	virt_map(vm, PFEC_TEST_GPA, PFEC_TEST_GPA, NR_PAGES);
	*pfec_guest_pte(vm, PFEC_TEST_GPA + PAGE_NP * PAGE_SIZE) &= ~1ull;
	*pfec_guest_pte(vm, PFEC_TEST_GPA + PAGE_RO * PAGE_SIZE) &= ~PFEC_PTE_WRITABLE;
	*pfec_guest_pte(vm, PFEC_TEST_GPA + PAGE_RSVD * PAGE_SIZE) |= 1ull << 51;
	*pfec_guest_pte(vm, PFEC_TEST_GPA + PAGE_NX * PAGE_SIZE) |= 1ull << 63;
	*pfec_guest_pte(vm, PFEC_TEST_GPA + PAGE_RO_HIGH * PAGE_SIZE) &= ~PFEC_PTE_WRITABLE;
	*pfec_guest_pte(vm, PFEC_TEST_GPA + PAGE_RO_HIGH * PAGE_SIZE) |= 1ull << SMALL_MAXPHYADDR;
	/* The selftest library's guest runs with CR0.WP clear; L2 takes L1's. */
	vcpu_sregs_get(*vcpu, &sregs);
	sregs.cr0 |= X86_CR0_WP;
	vcpu_sregs_set(*vcpu, &sregs);

	memcpy(filters, table, n * sizeof(*table));
	nr_filters = n;
	test_gva = PFEC_TEST_GPA;
	sync_global_to_guest(vm, filters);
	sync_global_to_guest(vm, nr_filters);
	sync_global_to_guest(vm, test_gva);
	sync_global_to_guest(vm, need_change);
	return vm;
}

/* Runs @vcpu to its GUEST_DONE; @on_sync handles each GUEST_SYNC. */
static void run_to_done(struct kvm_vcpu *vcpu, void (*on_sync)(struct kvm_vcpu *))
{
	struct ucall uc;
	int r;

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		r = get_ucall(vcpu, &uc);
		if (r == UCALL_DONE)
			return;
		if (r == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		TEST_ASSERT(r == UCALL_SYNC && on_sync, "unexpected ucall %d", r);
		on_sync(vcpu);
	}
}

/* L2 is active: each call makes KVM recompute vmcs02's exception bitmap. */
static void recompute_bitmap(struct kvm_vcpu *vcpu)
{
	vcpu_guest_debug_set(vcpu, &(struct kvm_guest_debug){ .control = KVM_GUESTDBG_ENABLE });
	vcpu_guest_debug_set(vcpu, &(struct kvm_guest_debug){ .control = 0 });
}

/*
 * One run of @n filters.  @maxphyaddr: the guest's, if not the host's.  @l0 is
 * what KVM needs, for the count of wanted #PFs.
 */
static struct outcome run(const struct pf_filter *table, int n, int maxphyaddr,
			  struct pf_filter l0, const char *tracefs)
{
	int guest_maxphyaddr = maxphyaddr ?: kvm_cpu_property(X86_PROPERTY_MAX_PHY_ADDR);
	struct outcome o = {};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char *trace;
	int f, r, i;

	vm = vm_create_nested(&vcpu, table, n, maxphyaddr);
	pfec_trace_start_event(tracefs, "kvm/kvm_nested_vmexit");
	run_to_done(vcpu, recompute_bitmap);
	trace = pfec_trace_stop_event(tracefs, "kvm/kvm_nested_vmexit");
	o.exits_to_l0 = pf_exits_in(trace);
	free(trace);

	sync_global_from_guest(vm, l2_took);
	sync_global_from_guest(vm, l1_got);
	for (f = 0; f < n; f++)
		for (r = 0; r < NR_ROUNDS; r++)
			for (i = 0; i < NR_FAULTS; i++) {
				uint32_t took = l2_took[f][r][i], got = l1_got[f][r][i];
				uint32_t code = taken_code(i, guest_maxphyaddr);
				bool sdm = exits(table[f], code);

				TEST_ASSERT(took == (code | TAKEN),
					    "filter %d round %d fault %d: L2 took #PF 0x%x, not 0x%x",
					    f, r, i, took & ~TAKEN, code);
				TEST_ASSERT(got == (sdm ? took : 0),
					    "filter %d (EB.PF %d MASK 0x%x MATCH 0x%x) round %d, #PF 0x%x: L1 %s",
					    f, table[f].eb_pf, table[f].mask, table[f].match, r, code,
					    got ? "got it, which the SDM's rule does not ask for" :
						  "did not get it, which the SDM's rule asks for");
				o.reflected += !!got;
				o.sdm += sdm;
				/* L0 judges hardware's code; L1 the one L2 takes. */
				o.wanted += sdm || exits(l0, faults[i].error_code);
			}
	memset(l2_took, 0, sizeof(l2_took));
	memset(l1_got, 0, sizeof(l1_got));
	kvm_vm_free(vm);
	return o;
}

/*
 * Seed 004's bug: KVM's need changes while L2 is active.  KVM_SET_CPUID2 can
 * do that only before a vCPU's first KVM_RUN, so L2 is moved: its state is
 * saved and restored into a fresh vCPU, whose MAXPHYADDR is then cut.  L1
 * wants not-present #PFs (EB.PF 1, MASK P, MATCH 0), vmcs02's filter until
 * then; KVM, now, the present, non-reserved ones.  L2 and then L1 itself
 * write to the read-only high page: each must take KVM's #PF, with RSVD,
 * and L1 must not get L2's.  With vmcs02 keeping L1's filter, L2's write
 * would not exit and L2 would take hardware's #PF, without RSVD; with
 * vmcs01 keeping its old bitmap, so would L1.  6.12 takes the
 * KVM_SET_CPUID2; a KVM that refuses it while L2 is active (7.3,
 * PFEC_KVM_NO_CPUID_IN_L2) must refuse it with EINVAL.
 */
static void run_need_change(const char *rule)
{
	static const struct pf_filter not_present = { true, PF_P, 0 };
	const uint32_t want = PF_P | PF_W | PF_RSVD | TAKEN;
	struct kvm_cpuid_entry2 *entry;
	struct kvm_x86_state *state;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	need_change = true;
	vm = vm_create_nested(&vcpu, &not_present, 1, 0);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_SYNC);

	state = vcpu_save_state(vcpu);
	kvm_vm_release(vm);
	vcpu = vm_recreate_with_one_vcpu(vm);
	vcpu_load_state(vcpu, state);
	kvm_x86_state_cleanup(state);
	/* MAXPHYADDR is CPUID.0x80000008:EAX[7:0]. */
	entry = vcpu_get_cpuid_entry(vcpu, 0x80000008);
	entry->eax = (entry->eax & ~0xffu) | SMALL_MAXPHYADDR;
#ifdef PFEC_KVM_NO_CPUID_IN_L2
	/* KVM's need cannot change under L2: nothing more to check. */
	TEST_ASSERT(__vcpu_set_cpuid(vcpu) && errno == EINVAL,
		    "KVM_SET_CPUID2 with L2 active: not refused with EINVAL (errno %d)", errno);
	printf("KVM's need changed with L2 active, %s: not possible, KVM refuses KVM_SET_CPUID2 while L2 is active (EINVAL)\n",
	       rule);
	need_change = false;
	kvm_vm_free(vm);
	return;
#endif
	TEST_ASSERT(!__vcpu_set_cpuid(vcpu), "KVM_SET_CPUID2 with L2 active failed: errno %d",
		    errno);
	run_to_done(vcpu, NULL);

	sync_global_from_guest(vm, l2_took);
	sync_global_from_guest(vm, l1_got);
	TEST_ASSERT(!l1_got[0][0][FAULT_RO_HIGH],
		    "%s: after KVM's need changed with L2 active, L1 got #PF 0x%x for L2's write",
		    rule, l1_got[0][0][FAULT_RO_HIGH] & ~TAKEN);
	TEST_ASSERT(l2_took[0][0][FAULT_RO_HIGH] == want,
		    "%s: after KVM's need changed with L2 active, L2 took 0x%x, not 0x%x",
		    rule, l2_took[0][0][FAULT_RO_HIGH] & ~TAKEN, want & ~TAKEN);
	TEST_ASSERT(l2_took[0][1][FAULT_RO_HIGH] == want,
		    "%s: after KVM's need changed with L2 active, L1's own write took 0x%x, not 0x%x",
		    rule, l2_took[0][1][FAULT_RO_HIGH] & ~TAKEN, want & ~TAKEN);
	printf("KVM's need changed with L2 active, %s: L2's write took #PF 0x%x, L1's own write #PF 0x%x\n",
	       rule, l2_took[0][0][FAULT_RO_HIGH] & ~TAKEN, l2_took[0][1][FAULT_RO_HIGH] & ~TAKEN);
	memset(l2_took, 0, sizeof(l2_took));
	memset(l1_got, 0, sizeof(l1_got));
	need_change = false;
	kvm_vm_free(vm);
}

/* A test that fails between rmmod and insmod leaves the module in. */
static const char *module_ko;

static void module_back_in(void)
{
	if (module_ko && !kvm_pfec_loaded())
		pfec_module_cmd("insmod", module_ko);
}

int main(int argc, char *argv[])
{
	const char *ko = getenv("KVM_PFEC_KO"), *tracefs;
	struct pf_filter l0 = { true, 0, 0 };
	struct outcome merged, upstream;
	char name[96];
	bool ept;
	int c;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_VMX));
	TEST_REQUIRE(kvm_pfec_loaded());
	__TEST_REQUIRE(ko, "KVM_PFEC_KO, the module to insert after rmmod, is not set");
	ept = pfec_param_is_y("/sys/module/kvm_intel/parameters/ept");
	if (ept) {
		__TEST_REQUIRE(kvm_has_cap(KVM_CAP_SMALLER_MAXPHYADDR),
			       "with EPT, KVM needs #PF exits only with kvm_intel.allow_smaller_maxphyaddr=1");
		__TEST_REQUIRE(kvm_cpu_property(X86_PROPERTY_MAX_PHY_ADDR) > SMALL_MAXPHYADDR,
			       "the host's MAXPHYADDR is no more than %d", SMALL_MAXPHYADDR);
		l0 = (struct pf_filter){ true, PF_P | PF_RSVD, PF_P };
	}
	/* Bit 51 of a PTE is reserved. */
	__TEST_REQUIRE(kvm_cpu_property(X86_PROPERTY_MAX_PHY_ADDR) < 52,
		       "the host's MAXPHYADDR is 52: no reserved PTE bit below 52");
	tracefs = pfec_tracefs();
	module_ko = ko;
	atexit(module_back_in);

	for (c = 0; c < 2; c++) {
		const struct pf_filter *table = c ? not_intercepting : intercepting;
		int n = c ? ARRAY_SIZE(not_intercepting) : ARRAY_SIZE(intercepting);

		if (ept)
			snprintf(name, sizeof(name), "ept=1, guest MAXPHYADDR %d%s",
				 SMALL_MAXPHYADDR, c ? ", L1 not intercepting" : "");
		else
			snprintf(name, sizeof(name), "ept=0%s", c ? ", L1 not intercepting" : "");
		fprintf(stderr, "%s: %d L1 filters, with kvm_pfec's merge\n", name, n);
		merged = run(table, n, ept ? SMALL_MAXPHYADDR : 0, l0, tracefs);
		pfec_module_cmd("rmmod", "kvm_pfec");
		fprintf(stderr, "%s: %d L1 filters, with upstream's rule\n", name, n);
		upstream = run(table, n, ept ? SMALL_MAXPHYADDR : 0, l0, tracefs);
		pfec_module_cmd("insmod", ko);

		printf("nested #PF exits to L0, %s: upstream %d -> merged %d, reflected to L1 %d (SDM: %d)\n",
		       name, upstream.exits_to_l0, merged.exits_to_l0, merged.reflected, merged.sdm);
		TEST_ASSERT_EQ(upstream.reflected, upstream.sdm);
		TEST_ASSERT_EQ(merged.reflected, merged.sdm);
		/* Upstream: every #PF exits.  Shadow paging adds its own. */
		TEST_ASSERT(upstream.exits_to_l0 >= n * NR_ROUNDS * (int)NR_FAULTS,
			    "upstream: %d #PF exits to L0, fewer than L2's %d #PFs",
			    upstream.exits_to_l0, n * NR_ROUNDS * (int)NR_FAULTS);
		TEST_ASSERT(merged.exits_to_l0 >= merged.wanted,
			    "merged: %d #PF exits to L0, fewer than the %d that L0 or L1 wants",
			    merged.exits_to_l0, merged.wanted);
		/* With EPT there are no other #PFs, and the merge saves exits. */
		if (ept) {
			TEST_ASSERT_EQ(upstream.exits_to_l0, n * NR_ROUNDS * (int)NR_FAULTS);
			TEST_ASSERT(merged.exits_to_l0 < upstream.exits_to_l0,
				    "the merge saved no #PF exit: %d", merged.exits_to_l0);
		}
	}
	if (ept) {
		run_need_change("with kvm_pfec's merge");
		pfec_module_cmd("rmmod", "kvm_pfec");
		run_need_change("with upstream's rule");
		pfec_module_cmd("insmod", ko);
	}
	return 0;
}
