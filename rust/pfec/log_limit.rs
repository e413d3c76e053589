// SPDX-License-Identifier: GPL-2.0

//! A host-wide bound on log lines that a VMM can cause.
//!
//! Any `/dev/kvm` user can make a vCPU look stuck (the same memory fault
//! 16 times in a row), and start a new episode at will: change the
//! address, or write another exit reason into kvm_run.  A bound per episode
//! or per vCPU bounds nothing, so the module's reports go through one
//! [`LogLimit`] for the whole host: at most `burst` lines in each window
//! of `interval_ns`, whatever the number of VMs, vCPUs and episodes.  The
//! stat `pfec_memory_fault_stuck` still counts every episode.
//!
//! The windows are fixed, not sliding: a window opens with the first line
//! after the last one closed, so two bursts can land close together, one
//! at the end of a window and one at the start of the next, and any
//! `interval_ns` of time can hold the lines of two windows.  The state is a
//! `static` of the module, so each load of the module starts with a fresh
//! budget.
//!
//! Lines that the limit drops are counted, and the first line of the next
//! window says how many were dropped before it, so nothing goes unsaid and
//! the note costs no line of its own.
//!
//! The limit is lock-free.  A window is claimed with a compare-and-swap on
//! its start, and its count is reset after that, by a second store.  A
//! caller that runs between the two sees the new window and the old count,
//! and may log against what the old window left; a caller held up between
//! them for a whole window resets a later window's count late.  So only
//! callers on one CPU at a time are held to `burst` lines a window, which
//! the tests check; with racing CPUs a window can hold more, how much
//! depending on the races and not on what userspace asks for.  A bound
//! that holds under races (the start and the count in one atomic word) is
//! open work.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// `begin` before the first line.
const NO_WINDOW: u64 = u64::MAX;

/// The limit's state: one `static` per kind of message.
#[derive(Debug)]
pub struct LogLimit {
    interval_ns: u64,
    burst: u32,
    /// Start of the current window; [`NO_WINDOW`] before the first line.
    begin: AtomicU64,
    /// Lines let through in the current window.
    printed: AtomicU32,
    /// Lines dropped since the last line let through.
    dropped: AtomicU32,
}

/// What to do with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Log it, saying that `dropped` lines were dropped before it.
    Log {
        /// Lines dropped since the last one logged.
        dropped: u32,
    },
    /// Drop it; it is counted.
    Drop,
}

impl LogLimit {
    /// At most `burst` lines in each window of `interval_ns`.
    pub const fn new(interval_ns: u64, burst: u32) -> Self {
        Self {
            interval_ns,
            burst,
            begin: AtomicU64::new(NO_WINDOW),
            printed: AtomicU32::new(0),
            dropped: AtomicU32::new(0),
        }
    }

    /// One more line at time `now_ns`, from a monotonic clock.
    pub fn check(&self, now_ns: u64) -> Verdict {
        let now_ns = now_ns.min(NO_WINDOW - 1);
        let begin = self.begin.load(Relaxed);
        if (begin == NO_WINDOW || now_ns >= begin.saturating_add(self.interval_ns))
            && self
                .begin
                .compare_exchange(begin, now_ns, Relaxed, Relaxed)
                .is_ok()
        {
            self.printed.store(0, Relaxed);
        }
        if self.printed.load(Relaxed) < self.burst
            && self.printed.fetch_add(1, Relaxed) < self.burst
        {
            Verdict::Log {
                dropped: self.dropped.swap(0, Relaxed),
            }
        } else {
            // Saturating: a VMM that loops for years gets "u32::MAX dropped".
            let _ = self
                .dropped
                .fetch_update(Relaxed, Relaxed, |d| Some(d.saturating_add(1)));
            Verdict::Drop
        }
    }
}

/// Test cases, run by `cargo test` and by KUnit.
#[cfg(any(test, kvm_pfec_test))]
pub mod cases {
    use super::*;
    use crate::pfec::check::Outcome;
    use crate::pfec::check::{check, check_eq};

    const SECOND: u64 = 1_000_000_000;

    /// Lines logged out of `n` calls `step_ns` apart, from `start_ns`.
    fn logged(limit: &LogLimit, start_ns: u64, step_ns: u64, n: u64) -> u64 {
        (0..n)
            .filter(|i| matches!(limit.check(start_ns + i * step_ns), Verdict::Log { .. }))
            .count() as u64
    }

    /// However fast the lines come, a window lets `burst` through.
    pub fn burst_per_window() -> Outcome {
        let limit = LogLimit::new(60 * SECOND, 10);
        check_eq!(logged(&limit, SECOND, 1, 10_000), 10u64);
        // Still inside the same window: nothing more.
        check_eq!(logged(&limit, 2 * SECOND, 1, 10_000), 0u64);
        // The next window lets another burst through.
        check_eq!(logged(&limit, 61 * SECOND, 1, 10_000), 10u64);
        Ok(())
    }

    /// Over a long run the lines logged grow with time, not with the number
    /// of calls: 10,000 calls over 10 minutes log at most one burst per
    /// minute.
    pub fn bound_follows_time_not_calls() -> Outcome {
        let limit = LogLimit::new(60 * SECOND, 10);
        let n = logged(&limit, 1, 60_000_000, 10_000);
        check!(n <= 10 * 11);
        check!(n >= 10 * 10);
        // Slow callers are never dropped.
        let limit = LogLimit::new(60 * SECOND, 10);
        check_eq!(logged(&limit, 1, 61 * SECOND, 100), 100u64);
        Ok(())
    }

    /// The first line after a drop says how many were dropped, once.
    pub fn dropped_lines_are_reported() -> Outcome {
        let limit = LogLimit::new(60 * SECOND, 2);
        check!(limit.check(SECOND) == Verdict::Log { dropped: 0 });
        check!(limit.check(SECOND) == Verdict::Log { dropped: 0 });
        for _ in 0..5 {
            check!(limit.check(SECOND) == Verdict::Drop);
        }
        check!(limit.check(62 * SECOND) == Verdict::Log { dropped: 5 });
        check!(limit.check(62 * SECOND) == Verdict::Log { dropped: 0 });
        Ok(())
    }

    /// The windows are fixed: a window that opened with one line lets the
    /// rest of its burst through just before it closes, and the next window
    /// a whole burst just after, so far less than `interval_ns` can hold
    /// twice `burst` less one.
    pub fn two_bursts_across_a_window_edge() -> Outcome {
        let limit = LogLimit::new(60 * SECOND, 10);
        check_eq!(logged(&limit, SECOND, 1, 1), 1u64);
        check_eq!(logged(&limit, 61 * SECOND - 1_000, 1, 100), 9u64);
        check_eq!(logged(&limit, 61 * SECOND, 1, 100), 10u64);
        Ok(())
    }

    /// The clock's ends: a first line at time 0 opens a window, and a window
    /// that would end past the clock's range never ends.
    pub fn clock_edges() -> Outcome {
        let limit = LogLimit::new(60 * SECOND, 1);
        check!(limit.check(0) == Verdict::Log { dropped: 0 });
        check!(limit.check(0) == Verdict::Drop);
        check!(limit.check(u64::MAX - 1) == Verdict::Log { dropped: 1 });
        check!(limit.check(u64::MAX) == Verdict::Drop);
        check!(limit.check(0) == Verdict::Drop);
        Ok(())
    }
}
