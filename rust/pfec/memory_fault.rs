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
//! | 0..192    | every other exit (the largest, `internal` and `system_event`, take 136) |
//! | 192..216  | `split.memory_fault`: flags, gpa, size                    |
//! | 216..224  | `split.kernel_reserved`: the kernel's canary, not ABI     |
//! | 224..256  | `split.reserved`                                          |
//!
//! The canary catches a memory fault annotated twice in one `KVM_RUN`, a KVM
//! bug: it is cleared when `KVM_RUN` begins and armed when a record is
//! written, so a record that finds it armed is the second one.  Userspace
//! can write kvm_run, the canary included, so a double annotation is always
//! counted but WARNs only with `CONFIG_KVM_PFEC_MEMORY_FAULT_WARN`, and the
//! later record, the one userspace gets, wins.
//!
//! The same record many times in a row likely means a stuck vCPU: a guest
//! that keeps touching memory the VMM does not fix.  [`observe`] counts
//! consecutive identical records; the module starts the count over when an
//! exit other than a memory fault came in between (the vCPU made progress).

/// Size of kvm_run's exit union.
pub const EXIT_UNION_SIZE: usize = 256;
/// `KVM_EXIT_SPLIT_LOW_SIZE`: what every exit but a memory fault may use.
pub const LOW_SIZE: usize = 192;
/// The largest exit in the union: `internal` and `system_event` (two
/// 32-bit fields and 16 `u64`s).
pub const LARGEST_EXIT: usize = 8 + 16 * 8;
/// Where `split.memory_fault` starts.
pub const MEMORY_FAULT_OFFSET: usize = LOW_SIZE;
/// Its size: flags, gpa, size.
pub const MEMORY_FAULT_SIZE: usize = 3 * 8;
/// Where the canary (`split.kernel_reserved`) is.
pub const CANARY_OFFSET: usize = MEMORY_FAULT_OFFSET + MEMORY_FAULT_SIZE;
/// Where `split.reserved` starts; it runs to the end of the union.
pub const RESERVED_OFFSET: usize = CANARY_OFFSET + 8;

/// `KVM_MEMORY_EXIT_FLAG_PRIVATE`.
pub const FLAG_PRIVATE: u64 = 1 << 3;

/// A `KVM_EXIT_MEMORY_FAULT` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Record {
    /// `KVM_MEMORY_EXIT_FLAG_*`.
    pub flags: u64,
    /// The faulting guest physical address.
    pub gpa: u64,
    /// The size of the faulting range.
    pub size: u64,
}

/// The canary when no record was written in this `KVM_RUN`.
pub const CANARY_CLEAR: u64 = 0;
/// The canary once a record was written.
pub const CANARY_ARMED: u64 = u64::from_le_bytes(*b"pfec-mf!");

/// The canary's value as `KVM_RUN` begins.
pub const fn on_run_entry() -> u64 {
    CANARY_CLEAR
}

/// What writing a record does to the canary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotation {
    /// The canary's new value.
    pub canary: u64,
    /// Whether a record was already written in this `KVM_RUN`.
    pub double: bool,
}

/// Writing a record when the canary holds `canary`.
pub const fn on_record(canary: u64) -> Annotation {
    Annotation {
        canary: CANARY_ARMED,
        double: canary == CANARY_ARMED,
    }
}

/// Identical records in a row before a vCPU counts as stuck.
pub const STUCK_THRESHOLD: u32 = 16;

/// A vCPU's last record, and how many times in a row it came.
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
pub mod cases {
    use super::*;
    use crate::pfec::check::{xorshift64, Outcome};
    use crate::{check, check_eq};

    /// The layout is the table in the module documentation (KUnit's
    /// `kvm_pfec_layout` checks the same numbers against `struct kvm_run`).
    pub fn split_layout_is_the_documented_one() -> Outcome {
        check_eq!(EXIT_UNION_SIZE as u64, 256u64);
        check_eq!(LOW_SIZE as u64, 192u64);
        check_eq!(LARGEST_EXIT as u64, 136u64);
        check!(LARGEST_EXIT <= LOW_SIZE);
        check_eq!(MEMORY_FAULT_OFFSET as u64, 192u64);
        check_eq!(CANARY_OFFSET as u64, 216u64);
        check_eq!(RESERVED_OFFSET as u64, 224u64);
        Ok(())
    }

    /// One record per `KVM_RUN` is not a double annotation; a second one
    /// in the same `KVM_RUN` is, and the next `KVM_RUN` starts clean.
    pub fn canary_catches_double_annotation() -> Outcome {
        let first = on_record(on_run_entry());
        check!(!first.double);
        check_eq!(first.canary, CANARY_ARMED);
        let second = on_record(first.canary);
        check!(second.double);
        check!(!on_record(on_run_entry()).double);
        Ok(())
    }

    /// Userspace scribbles: anything but the armed value before a record is
    /// no double annotation.  Scribbling the armed value itself mid-run is
    /// indistinguishable from a double annotation: counted, WARNed only when
    /// configured.  The armed value is the one pfec_memory_fault_test
    /// writes: "pfec-mf!", little-endian.
    pub fn canary_survives_scribbling() -> Outcome {
        check_eq!(CANARY_ARMED, 0x2166_6d2d_6365_6670u64);
        check_eq!(on_run_entry(), 0u64);
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..1000 {
            let scribbled = xorshift64(&mut x);
            check_eq!(on_record(scribbled).double, scribbled == CANARY_ARMED);
        }
        check!(on_record(CANARY_ARMED).double);
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
            stuck += o.stuck as u32;
            if o.report {
                check!(n < reports.len());
                reports[n] = i;
                n += 1;
            }
        }
        check_eq!(stuck, 1u32);
        check!(n == 3 && reports == [16, 32, 64]);
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
