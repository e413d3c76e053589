// SPDX-License-Identifier: GPL-2.0

//! Host build of kvm-pfec's pure logic.
//!
//! The files under `rust/pfec/` are the ones `kvm_pfec.ko` compiles.  This
//! crate compiles them for the host so that `cargo test` runs every case of
//! [`pfec::check::for_each_case!`] in seconds, without a kernel.

#![no_std]

#[path = "pfec/mod.rs"]
pub mod pfec;

#[cfg(test)]
extern crate std;

/// Turns the case list into one `#[test]` per case.
#[cfg(test)]
macro_rules! host_tests {
    ($($suite:ident: [$($case:ident),* $(,)?]),* $(,)?) => {
        $(mod $suite {
            $(#[test]
            fn $case() {
                if let Err(failure) = crate::pfec::$suite::cases::$case() {
                    panic!("{failure}");
                }
            })*
        })*
    };
}

#[cfg(test)]
pfec::check::for_each_case!(host_tests);

#[cfg(test)]
mod host_only {
    use crate::pfec::log_limit::{LogState, Verdict};
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::sync::{Arc, Barrier, Mutex};
    use std::thread;
    use std::time::Duration;
    use std::vec::Vec;

    #[test]
    fn version_matches_cargo_toml() {
        assert_eq!(crate::pfec::VERSION, env!("CARGO_PKG_VERSION"));
    }

    const MINUTE: u64 = 60_000_000_000;

    /// Threads that race for the log budget as CPUs do for KVM's, under a
    /// lock as KVM's is, on a clock that one of them advances: the times of
    /// the lines let through, in the order the lock let them through.
    fn race(threads: usize, calls: usize, stall: bool) -> Vec<u64> {
        let budget = Arc::new(Mutex::new(LogState::<10>::new()));
        let clock = Arc::new(AtomicU64::new(0));
        let granted = Arc::new(Mutex::new(Vec::new()));
        let start = Arc::new(Barrier::new(threads));
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (budget, clock, granted, start) = (
                    budget.clone(),
                    clock.clone(),
                    granted.clone(),
                    start.clone(),
                );
                thread::spawn(move || {
                    start.wait();
                    for i in 0..calls {
                        if t == 0 {
                            // About one minute every 1,000 calls.
                            clock.fetch_add(60_000_000 + (i as u64 % 7), SeqCst);
                        }
                        let mut state = budget.lock().unwrap();
                        // Read the clock with the budget held, as KVM does.
                        let now = clock.load(SeqCst);
                        if state.window().check(now, MINUTE) != Verdict::Drop {
                            granted.lock().unwrap().push(now);
                            if stall && t == 1 && i % 500 == 0 {
                                // A winner held up before it lets go: the
                                // others wait; none gets a second burst.
                                thread::sleep(Duration::from_millis(20));
                            }
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        let granted = granted.lock().unwrap().clone();
        granted
    }

    /// Any minute holds at most 10 lines, whatever the interleaving.
    fn assert_bound(granted: &[u64]) {
        assert!(
            granted.len() > 10,
            "only {} lines let through",
            granted.len()
        );
        for w in granted.windows(11) {
            assert!(
                w[10] - w[0] >= MINUTE,
                "11 lines within {} ns: {:?}",
                w[10] - w[0],
                w
            );
        }
    }

    #[test]
    fn log_budget_bound_holds_with_racing_threads() {
        assert_bound(&race(4, 20_000, false));
    }

    #[test]
    fn log_budget_bound_holds_with_a_stalled_winner() {
        assert_bound(&race(4, 5_000, true));
    }
}
