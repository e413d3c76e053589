// SPDX-License-Identifier: GPL-2.0

//! kvm-pfec: a page-fault error-code policy for KVM on x86.
//!
//! Registers into the hook points that the kvm-pfec kernel patch series adds
//! (`arch/x86/include/asm/kvm_pfec.h`), and while loaded:
//!
//! - sanitizes every error code hardware hands KVM (SVM #NPF, intercepted
//!   #PF): bits that collide with KVM's synthetic flags (bits 48 and 49)
//!   are stripped (KVM counts them in the vCPU stat
//!   `pfec_synthetic_stripped`), with one WARN for the first such code.
//!   KVM calls it only for the codes it can change
//!   ([`pfec::error_code::hook_bits`]): at the #NPF entry, those with a
//!   bit in 48 or 49, at the #PF entry those with a bit in 63:32, which it
//!   drops;
//! - decides `PFERR_PRIVATE_ACCESS` where KVM lets a policy decide it
//!   ([`pfec::private`]): in `kvm_mmu_page_fault()`, for
//!   `KVM_X86_SW_PROTECTED_VM` guests from the gfn's memory attributes,
//!   never for reserved-bit (MMIO) faults; and for `KVM_PRE_FAULT_MEMORY`.
//!   KVM asks only in VMs with private memory, and never where hardware
//!   decides (SEV-SNP, TDX); in any other case there is no call.
//!   A reserved fault that comes out tagged private WARNs and fails with
//!   `-EFAULT`.  KVM counts the page faults it tags from these decisions
//!   in `pfec_private_faults` and `pfec_shared_faults`, as it traces them;
//! - for VMs that opt into `KVM_CAP_MEMORY_FAULT_SPLIT`, writes
//!   `KVM_EXIT_MEMORY_FAULT`'s record into the high part of kvm_run's exit
//!   union in place of KVM's own writer, which it agrees with: the record
//!   and the exit the low part is from.  KVM accounts for each record, as
//!   for its own: from the kernel-only canary, a count
//!   (`pfec_memory_fault_double`) of second records in one `KVM_RUN`, and
//!   the event `kvm_pfec_split_record`;
//! - on VMX with EPT, while L2 runs, hands KVM vmcs02's #PF exit filter:
//!   seed 004's merge of the #PFs KVM needs and those vmcs12 asks for
//!   ([`pfec::vmx_pfec`]), where upstream exits on every #PF whenever KVM
//!   needs any;
//! - counts a vCPU that gets the same memory fault on 16 exits in a row as
//!   stuck (`pfec_memory_fault_stuck`, and the event `kvm_pfec_stuck`) and
//!   logs it: within an episode at 16, 32, 64, ... exits, and, since any
//!   VMM can start episodes, within one budget for the whole host
//!   ([`pfec::log_limit`]): at most 10 lines in any minute.  KVM keeps
//!   the budget, under a lock, so racing CPUs and reloads of this module
//!   are held to it too.
//!
//! The decisions live in [`pfec`], which is `core`-only and tested on the
//! host too; this file is the glue.  Unloading waits until no vCPU is in the
//! hooks (see `arch/x86/kvm/pfec.c`), so it is safe while VMs run.

use core::sync::atomic::{AtomicBool, Ordering};
use glue::{decide, private_access};
use kernel::kvm::{
    self, layout, ErrorCodeSource, HwErrorCodeBits, MemoryFault, PageFaultHooks, PfFilter,
    PrivateAccess, PrivateSite, Registration, SplitRecord, SplitRecordWritten, Vcpu, VcpuStat,
};
use kernel::{c_str, page::PAGE_SHIFT, prelude::*};
use pfec::error_code::{self, Sanitized};
use pfec::log_limit::{LogWindow, Verdict};
use pfec::memory_fault;
use pfec::private::RsvdPrivate;

// The pure core's items are `pub` for the host crate's doctests; here they
// are the crate's own.
#[expect(unreachable_pub)]
mod pfec;

mod glue;

// kvm_pfec_traces::stuck: the event only a policy fires.
kernel::kvm::kvm_pfec_traces!();

module! {
    type: KvmPfec,
    name: "kvm_pfec",
    description: "KVM x86 page-fault error-code policy",
    license: "GPL",
    // KVM's policy API: in this namespace on 6.12; later kernels export it
    // to kvm_pfec* modules by name, and no symbol there is in it.
    imports_ns: ["KVM_PFEC"],
}

// The pure core's copies of KVM's uAPI values, checked against the kernel's.
static_assert!(memory_fault::FLAG_PRIVATE == layout::MEMORY_EXIT_FLAG_PRIVATE);
static_assert!(memory_fault::EXIT_MEMORY_FAULT == layout::EXIT_MEMORY_FAULT);
static_assert!(memory_fault::EXIT_UNKNOWN == layout::EXIT_UNKNOWN);

struct KvmPfec {
    // Fields drop in order: the hooks are gone, and KVM has waited for every
    // call into them, before the module says it unloaded.
    _policy: Registration<Policy>,
    _unloaded: UnloadedMessage,
}

impl kernel::Module for KvmPfec {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let policy = Registration::new(module)?;
        pr_info!("kvm-pfec {} loaded\n", pfec::VERSION);
        Ok(KvmPfec {
            _policy: policy,
            _unloaded: UnloadedMessage,
        })
    }
}

/// Says the module unloaded, when dropped.
struct UnloadedMessage;

impl Drop for UnloadedMessage {
    fn drop(&mut self) {
        pr_info!("kvm-pfec {} unloaded\n", pfec::VERSION);
    }
}

static UNEXPECTED_HW_BITS_WARNED: AtomicBool = AtomicBool::new(false);
static RSVD_PRIVATE_WARNED: AtomicBool = AtomicBool::new(false);

/// WARNs the first time only: logs `msg` with the caller's file and line,
/// then what `details` logs, then warns.  (`kernel::warn_on!`'s own report
/// may name a C helper: the first line names the hook.)
#[track_caller]
fn warn_once(warned: &AtomicBool, msg: &CStr, details: impl FnOnce()) {
    if !warned.swap(true, Ordering::Relaxed) {
        let caller = core::panic::Location::caller();
        pr_warn!("{} ({}:{})\n", msg, caller.file(), caller.line());
        details();
        kernel::warn_on!(true);
    }
}

struct Policy;

#[vtable]
impl PageFaultHooks for Policy {
    // KVM handles the other codes as the hook would: see `hook_bits`.
    const HW_ERROR_CODE_BITS: HwErrorCodeBits = HwErrorCodeBits {
        npf: error_code::hook_bits(ErrorCodeSource::Npf),
        pf: error_code::hook_bits(ErrorCodeSource::Pf),
    };

    fn hw_error_code(vcpu: &Vcpu, raw: u64, source: ErrorCodeSource) -> kvm::HwErrorCode {
        let s: Sanitized = error_code::sanitize_at(raw, source);
        if s.warns() {
            warn_once(
                &UNEXPECTED_HW_BITS_WARNED,
                c_str!("hardware error code has bits KVM does not define for it"),
                || {
                    pr_warn!(
                        "vCPU {}: {:?} error code {:#x}: stripped synthetic-flag bits {:#x}, dropped {:#x}\n",
                        vcpu.id(),
                        source,
                        raw,
                        s.collision.bits(),
                        s.dropped
                    )
                },
            );
        }
        kvm::HwErrorCode::from_hw_bits(s.code.bits())
    }

    // Every fault of a VM with private memory comes here, at the page-fault
    // site: that site's decision is inlined into the function KVM calls;
    // the other two sites, and the rare failure, are out of line.
    #[inline]
    fn private_access(
        vcpu: &Vcpu,
        cr2_or_gpa: u64,
        error_code: u64,
        at: PrivateSite,
    ) -> Result<PrivateAccess> {
        match at {
            PrivateSite::PageFault => {
                decide_at(vcpu, cr2_or_gpa, error_code, PrivateSite::PageFault)
            }
            _ => other_site(vcpu, cr2_or_gpa, error_code, at),
        }
    }

    fn split_record<'a>(
        _vcpu: &'a Vcpu,
        fault: MemoryFault,
        record: SplitRecord<'a>,
    ) -> SplitRecordWritten<'a> {
        // The record names the exit whose data the low part holds; KVM
        // counts, warns about and traces it as it writes it.
        let low_exit_reason = memory_fault::low_exit_reason(
            record.exit_reason(),
            record.last_exit_reason(),
            record.previous_low_exit_reason(),
        );
        record.write(fault, low_exit_reason)
    }

    fn memory_fault(vcpu: &Vcpu, fault: MemoryFault) {
        observe_memory_fault(vcpu, fault);
    }

    fn run_entry(vcpu: &Vcpu, _split: bool) {
        // "In a row" means exit after exit: any other exit in between means
        // the vCPU made progress.
        if vcpu.exit_reason() != layout::EXIT_MEMORY_FAULT {
            let mut h = vcpu.memory_fault_history();
            h.repeats = 0;
            vcpu.set_memory_fault_history(h);
        }
    }

    // Seed 004: while L2 runs, vmcs02 exits on the #PFs KVM or L1 wants,
    // and on as few others as one filter allows, where upstream exits on
    // every #PF whenever KVM wants any.
    fn nested_pf_filter(_vcpu: &Vcpu, l0: PfFilter, l1: PfFilter) -> PfFilter {
        glue::nested_pf_filter(l0, l1)
    }
}

/// A reserved-bit (MMIO) fault came out tagged private: a KVM bug, WARNed
/// once; the fault fails.
#[cold]
fn rsvd_private(vcpu: &Vcpu, cr2_or_gpa: u64, error_code: u64) -> Error {
    warn_once(
        &RSVD_PRIVATE_WARNED,
        c_str!("reserved-bit (MMIO) fault tagged private"),
        || {
            pr_warn!(
                "vCPU {}: gpa {:#x} error code {:#x}\n",
                vcpu.id(),
                cr2_or_gpa,
                error_code
            )
        },
    );
    EFAULT
}

/// The private-access decision at `at`.  KVM counts the faults it tags
/// from it, in `pfec_private_faults` and `pfec_shared_faults`.
#[inline(always)]
fn decide_at(
    vcpu: &Vcpu,
    cr2_or_gpa: u64,
    error_code: u64,
    at: PrivateSite,
) -> Result<PrivateAccess> {
    let vm = vcpu.vm();
    let gfn_private = || vm.memory_attributes(cr2_or_gpa >> PAGE_SHIFT).is_private();
    match decide(error_code, vm.vm_type(), at, gfn_private) {
        Ok(decision) => Ok(private_access(decision)),
        Err(RsvdPrivate) => Err(rsvd_private(vcpu, cr2_or_gpa, error_code)),
    }
}

/// The decision at `KVM_PRE_FAULT_MEMORY` (KVM asks at no other site but
/// the page fault's): rarer than page faults, and kept out of the
/// page-fault path's function.
#[inline(never)]
fn other_site(
    vcpu: &Vcpu,
    cr2_or_gpa: u64,
    error_code: u64,
    at: PrivateSite,
) -> Result<PrivateAccess> {
    decide_at(vcpu, cr2_or_gpa, error_code, at)
}

/// The host-wide bound on stuck-vCPU reports: as many lines in any minute
/// as KVM's budget holds (`KVM_PFEC_LOG_BURST`, 10).
const STUCK_REPORT_INTERVAL_NS: u64 = 60_000_000_000;

/// Whether the host-wide budget lets one more report through.
fn stuck_report_verdict() -> Verdict {
    let mut budget = kvm::LogBudget::lock();
    let state = budget.state();
    // The clock is read with the budget held, so the lines let through
    // are in the budget in the order of their times.
    LogWindow {
        stamps: state.stamps,
        next: state.next,
        dropped: state.dropped,
    }
    .check(kvm::monotonic_ns(), STUCK_REPORT_INTERVAL_NS)
}

/// Counts and reports a vCPU that keeps getting the same memory fault.
fn observe_memory_fault(vcpu: &Vcpu, fault: MemoryFault) {
    let o = memory_fault::observe(vcpu.memory_fault_history(), fault);
    vcpu.set_memory_fault_history(o.history);
    if o.stuck {
        vcpu.stat_inc(VcpuStat::MemoryFaultStuck);
        kvm_pfec_traces::stuck(vcpu, fault, o.history.repeats);
    }
    if !o.report {
        return;
    }
    let Verdict::Log { dropped } = stuck_report_verdict() else {
        return;
    };
    // One line, with the count of dropped reports when there were some.
    let (vm, id, repeats) = (vcpu.vm().name(), vcpu.id(), o.history.repeats);
    let (gpa, size, flags) = (fault.gpa, fault.size, fault.flags);
    if dropped == 0 {
        pr_warn!(
            "{vm} vCPU {id}: the same memory fault {repeats} times in a row (gpa {gpa:#x}, size {size:#x}, flags {flags:#x}): stuck?\n"
        );
    } else {
        pr_warn!(
            "{vm} vCPU {id}: the same memory fault {repeats} times in a row (gpa {gpa:#x}, size {size:#x}, flags {flags:#x}): stuck? ({dropped} earlier reports dropped by the host-wide limit)\n"
        );
    }
}
