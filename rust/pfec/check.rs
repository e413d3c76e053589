// SPDX-License-Identifier: GPL-2.0

//! Test cases shared by `cargo test` on the host and KUnit in the kernel.
//!
//! A case is a plain `fn() -> Outcome`.  [`check!`] and [`check_eq!`] return a
//! [`Failure`] that names the file, line and expression, instead of
//! panicking, because a panic in the kernel is not a test failure but a crash.
//!
//! [`for_each_case!`] is the one list of cases.  Each runner passes it a macro
//! that turns the list into its own form: `#[test]` functions on the host,
//! a `kunit_case` array in the module.

use core::fmt;

/// Whether the cases run in the kernel (KUnit, in the module) rather than on
/// the host.  The exhaustive cases check a sampled subset there, so that the
/// VM run stays short under TCG; `cargo test` checks everything.
pub const IN_KERNEL: bool = cfg!(kvm_pfec_kernel);

/// Why a case failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// The source file of the failed check.
    pub file: &'static str,
    /// Its line.
    pub line: u32,
    /// The check, as written.
    pub what: &'static str,
    /// For `check_eq!`: the two values, when they fit in a `u64`.
    pub values: Option<(u64, u64)>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: check failed: {}",
            self.file, self.line, self.what
        )?;
        if let Some((left, right)) = self.values {
            write!(f, " (left {left:#x}, right {right:#x})")?;
        }
        Ok(())
    }
}

/// The result of one test case.
pub type Outcome = Result<(), Failure>;

/// xorshift64: a fixed, reproducible spread of 64-bit patterns.
pub fn xorshift64(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Every combination (OR) of `bits`: 2^N values.
pub fn combinations<const N: usize>(bits: [u64; N]) -> impl Iterator<Item = u64> {
    (0..1u64 << N).map(move |mask| {
        bits.iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .fold(0, |raw, (_, bit)| raw | bit)
    })
}

/// Fails the current case unless the condition holds.
macro_rules! check {
    ($cond:expr) => {
        if !$cond {
            return Err($crate::pfec::check::Failure {
                file: file!(),
                line: line!(),
                what: stringify!($cond),
                values: None,
            });
        }
    };
}

/// Fails the current case unless two values convertible to `u64` are equal.
macro_rules! check_eq {
    ($left:expr, $right:expr) => {{
        let (left, right): (u64, u64) = (($left).into(), ($right).into());
        if left != right {
            return Err($crate::pfec::check::Failure {
                file: file!(),
                line: line!(),
                what: concat!(stringify!($left), " == ", stringify!($right)),
                values: Some((left, right)),
            });
        }
    }};
}

/// Calls `$runner!` with every suite and its cases: the single list of what
/// the host and KUnit run.  Only those runners use it: `cargo test`, and a
/// kernel with KUnit.
#[cfg_attr(not(any(test, CONFIG_KUNIT)), expect(unused_macros))]
macro_rules! for_each_case {
    ($runner:ident) => {
        $runner! {
            async_pf: [
                reason_flag_protocol_races,
                marker_without_busy_flag_loses_tokens,
                marker_with_busy_flag_is_correct,
                classifier,
                token_slot_layout,
            ],
            error_code: [
                sanitize_keeps_every_hardware_bit,
                sanitize_reports_every_colliding_bit,
                sanitize_is_idempotent,
                synthetic_flags_reach_kvm_only_through_fault_code,
                sanitize_at_each_entry,
                sanitize_at_loses_nothing,
                hook_bits_cover_every_change,
            ],
            log_limit: [
                burst_per_window,
                bound_follows_time_not_calls,
                dropped_lines_are_reported,
                clock_edges,
                no_two_bursts_across_a_window_edge,
                no_minute_holds_more_than_burst,
                odd_state_is_safe,
            ],
            memory_fault: [
                low_exit_reason_skips_memory_faults,
                stuck_vcpu_detection,
                different_records_reset_the_count,
            ],
            private: [
                decision_table,
                attributes_read_only_when_needed,
                only_the_private_flag_changes,
                private_flag_iff_private_decision,
                private_flag_is_set_not_toggled,
            ],
            vmx_pfec: [
                sdm_exit_rule,
                merge_is_sound_exhaustive_3bit,
                merge_for_kvm_needs,
                merge_is_sound_sampled_full_width,
                merge_is_never_less_precise_than_upstream,
                identical_filters_are_reused,
                seed004_sketch_typo_is_caught,
            ],
        }
    };
}

// Crate-local, not exported: the module's cases and runners reach them by
// path (`crate::pfec::check::check`).
#[cfg_attr(not(any(test, CONFIG_KUNIT)), expect(unused_imports))]
pub(crate) use for_each_case;
pub(crate) use {check, check_eq};
