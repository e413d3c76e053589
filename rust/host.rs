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
    #[test]
    fn version_matches_cargo_toml() {
        assert_eq!(crate::pfec::VERSION, env!("CARGO_PKG_VERSION"));
    }
}
