// SPDX-License-Identifier: GPL-2.0

//! Pure decision logic of kvm-pfec.
//!
//! Everything below this module uses `core` only: no allocation, no kernel
//! API, no `unsafe`.  The same files are compiled into `kvm_pfec.ko` and into
//! the host crate (`Cargo.toml` at the top of the repository), so `cargo test`
//! checks them in seconds and KUnit runs the same cases in the kernel.

pub mod async_pf;
pub mod check;
pub mod error_code;
pub mod log_limit;
pub mod memory_fault;
pub mod private;
pub mod vmx_pfec;

/// The kvm-pfec version, logged at load time.  The host crate's tests assert
/// that it matches `Cargo.toml`.
pub const VERSION: &str = "0.1.0";
