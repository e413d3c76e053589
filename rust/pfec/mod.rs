// SPDX-License-Identifier: GPL-2.0

//! Pure decision logic of kvm-pfec.
//!
//! Everything below this module uses `core` only: no allocation, no kernel
//! API, no `unsafe`.  The same files are compiled into `kvm_pfec.ko` and into
//! the host crate (`Cargo.toml` at the top of the repository), so `cargo test`
//! checks them in seconds and KUnit runs the same cases in the kernel.
//!
//! Test code (every `cases` module, the case list and its checks in
//! [`check`], seed 003's model checker, the models seed 004's merge is
//! measured against) is compiled only
//! with `cfg(test)` (`cargo test`) or `cfg(kvm_pfec_test)`, which Kbuild
//! passes to `kvm_pfec_test.ko` and `kvm_pfec_bench.ko` and never to
//! `kvm_pfec.ko`.
//!
//! `kvm_pfec.ko` compiles this module privately, so an item it does not use
//! is dead code there, a build warning.  What only the tests use is built
//! only with them, `#[cfg(any(test, kvm_pfec_test))]`: the test code, seed
//! 003's async #PF codec, which the module does not run, and a few items of
//! the others.  Some older items say so with
//! `#[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]`
//! instead: the expectation fails the build the day `kvm_pfec.ko` uses one.

#[cfg(any(test, kvm_pfec_test))]
pub mod async_pf;
#[cfg(any(test, kvm_pfec_test))]
pub mod check;
pub mod error_code;
pub mod log_limit;
pub mod memory_fault;
pub mod private;
pub mod vmx_pfec;

/// The kvm-pfec version, logged at load time.  The host crate's tests assert
/// that it matches `Cargo.toml`.
pub const VERSION: &str = "0.1.0";
