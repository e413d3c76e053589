// SPDX-License-Identifier: GPL-2.0

//! A host-wide bound on log lines that a VMM can cause.
//!
//! Any `/dev/kvm` user can make a vCPU look stuck (the same memory fault
//! 16 times in a row), and start a new episode at will: change the
//! address, or write another exit reason into kvm_run.  A bound per episode
//! or per vCPU bounds nothing, so the module's reports go through one
//! budget for the whole host: at most `burst` lines in any `interval_ns`
//! of time, whatever the number of VMs, vCPUs and episodes.  The stat
//! `pfec_memory_fault_stuck` still counts every episode.
//!
//! The window slides: the budget keeps the times of the last `burst` lines
//! it let through, and lets a line through only if the oldest of them is
//! `interval_ns` old, or if fewer than `burst` lines ever went through.
//! So no `interval_ns` of time holds more than `burst` lines, across any
//! edge: `burst` + 1 lines within less than `interval_ns` would have had
//! the last of them find the first one, `burst` lines back, too young.
//!
//! This is the decision alone, on a [`LogWindow`] that the caller holds
//! exclusively.  In the kernel KVM keeps that state, one for the host,
//! under a lock (`kvm_pfec_log_budget_lock()`): the lock makes each
//! decision whole, so racing CPUs are held to the bound too, and KVM's
//! copy outlives the policy module, so reloading the module does not
//! refill the budget.
//!
//! Lines that the budget drops are counted, and the next line let through
//! says how many were dropped before it, so nothing goes unsaid and the
//! note costs no line of its own.

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

/// The budget's state, held exclusively for one decision.
///
/// `stamps` holds, for each of the last `stamps.len()` lines let through,
/// its time plus one, and 0 in a slot no line has used yet, so that state
/// that is all zeroes is a fresh budget; `next` indexes the oldest.
#[derive(Debug)]
pub struct LogWindow<'a> {
    /// The times (plus one) of the last lines let through, a ring.
    pub stamps: &'a mut [u64],
    /// The ring's oldest slot, the one the next line would take.
    pub next: &'a mut u32,
    /// Lines dropped since the last one let through.
    pub dropped: &'a mut u32,
}

impl LogWindow<'_> {
    /// One more line at time `now_ns`, from a clock that never goes back
    /// (the kernel's monotonic clock), with at most `stamps.len()` lines in
    /// any `interval_ns`.
    pub fn check(&mut self, now_ns: u64, interval_ns: u64) -> Verdict {
        let burst = self.stamps.len();
        // A ring index that is out of range (the state is shared with C)
        // wraps rather than panics.
        let slot = usize::try_from(*self.next).unwrap_or(0).checked_rem(burst);
        let free = slot.is_some_and(|i| match self.stamps[i] {
            0 => true,
            // An interval that would end past the clock's range never ends.
            stamp => (stamp - 1)
                .checked_add(interval_ns)
                .is_some_and(|end| now_ns >= end),
        });
        match slot {
            Some(i) if free => {
                // now_ns + 1 fits: a clock at u64::MAX is taken as one
                // nanosecond earlier.
                self.stamps[i] = now_ns.min(u64::MAX - 1) + 1;
                // `i + 1 <= burst`, which came from the u32 `next`.
                *self.next = u32::try_from((i + 1) % burst).unwrap_or(0);
                Verdict::Log {
                    dropped: core::mem::take(self.dropped),
                }
            }
            _ => {
                // Saturating: a VMM that loops for years gets "u32::MAX
                // dropped".
                *self.dropped = self.dropped.saturating_add(1);
                Verdict::Drop
            }
        }
    }
}

/// A budget of `N` lines with its own storage, for the tests (the kernel's
/// is KVM's).
#[cfg(any(test, kvm_pfec_test))]
#[derive(Debug)]
pub struct LogState<const N: usize> {
    stamps: [u64; N],
    next: u32,
    dropped: u32,
}

#[cfg(any(test, kvm_pfec_test))]
impl<const N: usize> LogState<N> {
    /// A fresh budget: no line let through yet.
    pub const fn new() -> Self {
        Self {
            stamps: [0; N],
            next: 0,
            dropped: 0,
        }
    }

    /// The state, to decide on.
    pub fn window(&mut self) -> LogWindow<'_> {
        LogWindow {
            stamps: &mut self.stamps,
            next: &mut self.next,
            dropped: &mut self.dropped,
        }
    }
}

#[cfg(any(test, kvm_pfec_test))]
impl<const N: usize> Default for LogState<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Test cases, run by `cargo test` and by KUnit.
#[cfg(any(test, kvm_pfec_test))]
pub mod cases {
    use super::*;
    use crate::pfec::check::Outcome;
    use crate::pfec::check::{check, check_eq};

    const SECOND: u64 = 1_000_000_000;
    const MINUTE: u64 = 60 * SECOND;

    /// Lines logged out of `n` calls `step_ns` apart, from `start_ns`.
    fn logged<const N: usize>(state: &mut LogState<N>, start_ns: u64, step_ns: u64, n: u64) -> u64 {
        (0..n)
            .filter(|i| {
                matches!(
                    state.window().check(start_ns + i * step_ns, MINUTE),
                    Verdict::Log { .. }
                )
            })
            .count() as u64
    }

    /// However fast the lines come, a minute lets `burst` through.
    pub fn burst_per_window() -> Outcome {
        let mut state = LogState::<10>::new();
        check_eq!(logged(&mut state, SECOND, 1, 10_000), 10u64);
        // Still within a minute of those: nothing more.
        check_eq!(logged(&mut state, 2 * SECOND, 1, 10_000), 0u64);
        // A minute after them, another burst.
        check_eq!(logged(&mut state, 61 * SECOND, 1, 10_000), 10u64);
        Ok(())
    }

    /// Over a long run the lines logged grow with time, not with the number
    /// of calls: 10,000 calls over 10 minutes log at most one burst for
    /// each minute they span.
    pub fn bound_follows_time_not_calls() -> Outcome {
        let mut state = LogState::<10>::new();
        let n = logged(&mut state, 1, 60_000_000, 10_000);
        check!(n <= 10 * 11);
        check!(n >= 10 * 10);
        // Slow callers are never dropped.
        let mut state = LogState::<10>::new();
        check_eq!(logged(&mut state, 1, 61 * SECOND, 100), 100u64);
        Ok(())
    }

    /// The first line after a drop says how many were dropped, once.
    pub fn dropped_lines_are_reported() -> Outcome {
        let mut state = LogState::<2>::new();
        let mut w = state.window();
        check!(w.check(SECOND, MINUTE) == Verdict::Log { dropped: 0 });
        check!(w.check(SECOND, MINUTE) == Verdict::Log { dropped: 0 });
        for _ in 0..5 {
            check!(w.check(SECOND, MINUTE) == Verdict::Drop);
        }
        check!(w.check(62 * SECOND, MINUTE) == Verdict::Log { dropped: 5 });
        check!(w.check(62 * SECOND, MINUTE) == Verdict::Log { dropped: 0 });
        Ok(())
    }

    /// No window edge lets two bursts through: one line, then the rest of
    /// the burst just before a minute has passed, then nothing until each
    /// line is a minute old, one line for each.
    pub fn no_two_bursts_across_a_window_edge() -> Outcome {
        let mut state = LogState::<10>::new();
        check_eq!(logged(&mut state, SECOND, 1, 1), 1u64);
        check_eq!(logged(&mut state, 61 * SECOND - 1_000, 1, 100), 9u64);
        // A minute after the first line: its slot frees, and only its.
        check_eq!(logged(&mut state, 61 * SECOND, 1, 100), 1u64);
        // Just before the other nine are a minute old: nothing.
        check_eq!(logged(&mut state, 121 * SECOND - 1_001, 1, 1), 0u64);
        check_eq!(logged(&mut state, 121 * SECOND - 1_000, 1, 100), 9u64);
        Ok(())
    }

    /// The bound itself: for lines at any times, no minute holds more
    /// than `burst` of those let through.  The times are a fixed
    /// pseudo-random walk with bursts and gaps around a minute.
    pub fn no_minute_holds_more_than_burst() -> Outcome {
        let mut state = LogState::<10>::new();
        // The last 10 lines let through, a ring, and how many there were.
        let mut last = [0u64; 10];
        let (mut n, mut drops) = (0usize, 0usize);
        let (mut now, mut x) = (0u64, 0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            now += match x % 8 {
                0 => MINUTE - 1 - x % 1_000,
                1 => SECOND * (x % 7),
                _ => x % 1_000,
            };
            if state.window().check(now, MINUTE) == Verdict::Drop {
                drops += 1;
            } else {
                // The clock never goes back, so this line and the one 10
                // lines before it must be at least a minute apart.
                check!(n < 10 || now - last[n % 10] >= MINUTE);
                last[n % 10] = now;
                n += 1;
            }
        }
        // The walk lets many lines through, and drops many.
        check!(n > 1_000);
        check!(drops > 1_000);
        Ok(())
    }

    /// The clock's ends: a first line at time 0 is let through, and a line
    /// whose minute would end past the clock's range never lets another
    /// through.
    pub fn clock_edges() -> Outcome {
        let mut state = LogState::<1>::new();
        let mut w = state.window();
        check!(w.check(0, MINUTE) == Verdict::Log { dropped: 0 });
        check!(w.check(0, MINUTE) == Verdict::Drop);
        check!(w.check(u64::MAX - 1, MINUTE) == Verdict::Log { dropped: 1 });
        check!(w.check(u64::MAX, MINUTE) == Verdict::Drop);
        check!(w.check(0, MINUTE) == Verdict::Drop);
        Ok(())
    }

    /// State that C could have left odd: an out-of-range ring index wraps,
    /// and a budget of no lines drops everything.
    pub fn odd_state_is_safe() -> Outcome {
        let mut stamps = [0u64; 3];
        let (mut next, mut dropped) = (7u32, 0u32);
        let mut w = LogWindow {
            stamps: &mut stamps,
            next: &mut next,
            dropped: &mut dropped,
        };
        check!(w.check(SECOND, MINUTE) == Verdict::Log { dropped: 0 });
        check_eq!(*w.next, 2u32);
        let mut none: [u64; 0] = [];
        let mut w = LogWindow {
            stamps: &mut none,
            next: &mut next,
            dropped: &mut dropped,
        };
        check!(w.check(SECOND, MINUTE) == Verdict::Drop);
        check_eq!(dropped, 1u32);
        Ok(())
    }
}
