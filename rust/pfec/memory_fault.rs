// SPDX-License-Identifier: GPL-2.0

//! `KVM_EXIT_MEMORY_FAULT` in the split layout (`KVM_CAP_MEMORY_FAULT_SPLIT`).
//!
//! kvm_run's exit union is 256 bytes.  Upstream reports a memory fault at
//! its start, over whatever an earlier exit left there.  A VM that enables
//! `KVM_CAP_MEMORY_FAULT_SPLIT` gets this layout instead, offsets from the
//! start of the union:
//!
//! | bytes     | what                                                      |
//! |-----------|-----------------------------------------------------------|
//! | 0..192    | every other exit, grouped as `low_exits` (the largest, `internal` and `system_event`, take 136) |
//! | 192..216  | `split.memory_fault`: flags, gpa, size                    |
//! | 216..220  | `split.memory_fault.low_exit_reason`: the exit the low part is from |
//! | 220..224  | `split.memory_fault.pad`, zero                            |
//! | 224..256  | `split.reserved`                                          |
//!
//! KVM writes the record itself; while kvm_pfec is loaded, the module writes
//! it instead, and the two writers must agree (pfec_memory_fault_test).  A
//! record goes with a kernel-only canary, a flag in the vCPU, cleared as
//! `KVM_RUN` begins: a record that finds it set is the second in one
//! `KVM_RUN`, a KVM bug, counted in `pfec_memory_fault_double`.
//!
//! The same record many times in a row likely means a stuck vCPU: a guest
//! that keeps touching memory the VMM does not fix.  [`observe`] counts
//! consecutive identical records; the module starts the count over when an
//! exit other than a memory fault came in between (the vCPU made progress).

/// Size of kvm_run's exit union.
#[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
pub const EXIT_UNION_SIZE: usize = 256;
/// `KVM_MEMORY_FAULT_SPLIT_LOW_SIZE`: what every exit but a memory fault may use.
pub const LOW_SIZE: usize = 192;
/// The largest exit in the union: `internal` and `system_event` (two
/// 32-bit fields and 16 `u64`s).
#[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
pub const LARGEST_EXIT: usize = 8 + 16 * 8;
/// Where `split.memory_fault` starts.
pub const MEMORY_FAULT_OFFSET: usize = LOW_SIZE;
/// Where its `low_exit_reason` is, after flags, gpa and size.
pub const LOW_EXIT_REASON_OFFSET: usize = MEMORY_FAULT_OFFSET + 3 * 8;
/// Where `split.reserved` starts, after `low_exit_reason` and `pad`; it runs
/// to the end of the union.
#[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
pub const RESERVED_OFFSET: usize = LOW_EXIT_REASON_OFFSET + 2 * 4;

// The table in the module documentation, at build time; KUnit's
// kvm_pfec_layout checks the same offsets against `struct kvm_run`.
const _: () = assert!(EXIT_UNION_SIZE == 256 && LOW_SIZE == 192 && LARGEST_EXIT == 136);
const _: () = assert!(LARGEST_EXIT <= LOW_SIZE && MEMORY_FAULT_OFFSET == 192);
const _: () = assert!(LOW_EXIT_REASON_OFFSET == 216 && RESERVED_OFFSET == 224);
const _: () = assert!(RESERVED_OFFSET < EXIT_UNION_SIZE);

/// `KVM_MEMORY_EXIT_FLAG_PRIVATE`.
#[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
pub const FLAG_PRIVATE: u64 = crate::pfec::error_code::bit(3);

/// `KVM_EXIT_MEMORY_FAULT`.
pub const EXIT_MEMORY_FAULT: u32 = 39;

/// `KVM_EXIT_UNKNOWN`.
pub const EXIT_UNKNOWN: u32 = 0;

/// The record's `low_exit_reason`: which exit the data in the low part is
/// from.  `current` is kvm_run's `exit_reason` as KVM annotates the fault,
/// `KVM_EXIT_UNKNOWN` unless this `KVM_RUN` populated an exit (KVM resets
/// it as `KVM_RUN` begins, and outside `KVM_RUN` reads none); `last` is the
/// last exit but a memory fault that `KVM_RUN` reported, which KVM keeps in
/// the vCPU, out of userspace's reach, and which is never
/// `KVM_EXIT_MEMORY_FAULT`; `previous` is the `low_exit_reason` of the
/// vCPU's last record.  A memory fault's record went to the high part and
/// left the low part alone, so after one in the same `KVM_RUN` the low part
/// still holds the exit that record named.
pub const fn low_exit_reason(current: u32, last: u32, previous: u32) -> u32 {
    let exit = if current == EXIT_UNKNOWN {
        last
    } else {
        current
    };
    if exit == EXIT_MEMORY_FAULT {
        previous
    } else {
        exit
    }
}

// In the kernel, the records and histories are `kernel::kvm`'s own types,
// which KVM hands the hooks: the module passes them through unconverted.
// The host build has no kernel crate; it defines the same fields, and the
// kernel build, which compiles this code against KVM's types, fails if the
// two ever part.
#[cfg(kvm_pfec_kernel)]
pub use kernel::kvm::{MemoryFault as Record, MemoryFaultHistory as History};

/// A `KVM_EXIT_MEMORY_FAULT` record (`kernel::kvm::MemoryFault`).
#[cfg(not(kvm_pfec_kernel))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Record {
    /// `KVM_MEMORY_EXIT_FLAG_*`.
    pub flags: u64,
    /// The faulting guest physical address.
    pub gpa: u64,
    /// The size of the faulting range.
    pub size: u64,
}

/// Identical records in a row before a vCPU counts as stuck.
pub const STUCK_THRESHOLD: u32 = 16;

/// A vCPU's last record, and how many times in a row it came
/// (`kernel::kvm::MemoryFaultHistory`).
#[cfg(not(kvm_pfec_kernel))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct History {
    /// The last record.
    pub last: Record,
    /// How many times in a row it was reported; 0 before the first.
    pub repeats: u32,
}

/// What one more record means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// The history to keep.
    pub history: History,
    /// The vCPU just became stuck: the record came for the
    /// [`STUCK_THRESHOLD`]th time in a row.  Counted once per episode.
    pub stuck: bool,
    /// Log it: at the threshold and at every doubling after it (16, 32,
    /// 64, ...), a rate limit that still says when it goes on.
    pub report: bool,
}

/// Adds `record` to a vCPU's history.
pub const fn observe(history: History, record: Record) -> Observation {
    let same = history.repeats > 0
        && history.last.flags == record.flags
        && history.last.gpa == record.gpa
        && history.last.size == record.size;
    let repeats = if same {
        history.repeats.saturating_add(1)
    } else {
        1
    };
    let report = repeats >= STUCK_THRESHOLD
        && repeats % STUCK_THRESHOLD == 0
        && (repeats / STUCK_THRESHOLD).is_power_of_two();
    Observation {
        history: History {
            last: record,
            repeats,
        },
        stuck: repeats == STUCK_THRESHOLD,
        report,
    }
}

/// Test cases, run by `cargo test` and by KUnit.
#[cfg(any(test, kvm_pfec_test))]
pub mod cases {
    use super::*;
    use crate::pfec::check::Outcome;
    use crate::pfec::check::{check, check_eq};

    /// An exit, then memory faults: every record names that exit, however
    /// many memory faults came after it, in the same `KVM_RUN` or in later
    /// ones; the next other exit takes over.
    pub fn low_exit_reason_skips_memory_faults() -> Outcome {
        const IO: u32 = 2;
        const MMIO: u32 = 6;
        const MF: u32 = EXIT_MEMORY_FAULT;
        // Case A: this KVM_RUN populated the I/O exit.
        let low = low_exit_reason(IO, MMIO, 0);
        check_eq!(low, IO);
        // A second annotation in the same KVM_RUN (case C).
        check_eq!(low_exit_reason(MF, MMIO, low), IO);
        // That KVM_RUN reported the I/O exit (KVM keeps it), and the next
        // one faults first: exit_reason was reset.
        check_eq!(low_exit_reason(EXIT_UNKNOWN, IO, low), IO);
        // A fault in the KVM_RUN after an ordinary exit.
        check_eq!(low_exit_reason(EXIT_UNKNOWN, MMIO, low), MMIO);
        // KVM_PRE_FAULT_MEMORY: KVM reads no exit_reason outside KVM_RUN,
        // whatever userspace wrote there; the kept exit is the low part's.
        check_eq!(low_exit_reason(EXIT_UNKNOWN, MMIO, IO), MMIO);
        // A fresh vCPU: nothing in the low part yet (KVM_EXIT_UNKNOWN).
        check_eq!(low_exit_reason(EXIT_UNKNOWN, EXIT_UNKNOWN, 0), EXIT_UNKNOWN);
        Ok(())
    }

    /// Stuck after 16 identical records, once; reported at 16, 32, 64.
    pub fn stuck_vcpu_detection() -> Outcome {
        let a = Record {
            flags: FLAG_PRIVATE,
            gpa: 0xc000_0000,
            size: 0x1000,
        };
        let mut h = History::default();
        let (mut stuck, mut reports) = (0u32, [0u32; 3]);
        let mut n = 0;
        for i in 1..=100u32 {
            let o = observe(h, a);
            h = o.history;
            check_eq!(h.repeats, i);
            stuck += u32::from(o.stuck);
            if o.report {
                check!(n < reports.len());
                reports[n] = i;
                n += 1;
            }
        }
        check_eq!(stuck, 1u32);
        check!(n == 3 && reports == [16, 32, 64]);
        // At the top of the count: a report at 2^31, and the count stays at
        // u32::MAX, without overflowing on the way.
        let top = observe(
            History {
                last: a,
                repeats: (1 << 31) - 1,
            },
            a,
        );
        check!(top.report && top.history.repeats == 1 << 31);
        let past = observe(
            History {
                last: a,
                repeats: u32::MAX,
            },
            a,
        );
        check!(!past.report && !past.stuck && past.history.repeats == u32::MAX);
        Ok(())
    }

    /// Any change of flags, gpa or size starts over; alternating records
    /// never count as stuck.
    pub fn different_records_reset_the_count() -> Outcome {
        let a = Record {
            flags: 0,
            gpa: 0x1000,
            size: 0x1000,
        };
        for b in [
            Record {
                flags: FLAG_PRIVATE,
                ..a
            },
            Record { gpa: 0x2000, ..a },
            Record { size: 0x2000, ..a },
        ] {
            let mut h = History::default();
            for _ in 0..10 {
                h = observe(h, a).history;
            }
            let o = observe(h, b);
            check_eq!(o.history.repeats, 1u32);
            let mut h = History::default();
            for i in 0..100 {
                let o = observe(h, if i % 2 == 0 { a } else { b });
                check!(!o.stuck && !o.report);
                h = o.history;
            }
        }
        Ok(())
    }
}
