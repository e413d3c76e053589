// SPDX-License-Identifier: GPL-2.0

//! kvm-pfec's KUnit suites, in a module of their own.
//!
//! `kvm_pfec.ko` holds no test code: this module, built with
//! `--cfg kvm_pfec_test`, compiles the same pure core with its cases, and
//! registers the suites of [`tests`], which KUnit runs as it loads.  It
//! registers no hooks, so it loads beside `kvm_pfec.ko` or without it.

// The pure core's items are `pub` for the host crate's doctests; here they
// are the crate's own.
#[expect(unreachable_pub)]
mod pfec;

mod glue;
mod tests;

use kernel::prelude::*;

module! {
    type: KvmPfecTest,
    name: "kvm_pfec_test",
    description: "KUnit tests of the kvm-pfec page-fault error-code policy",
    license: "GPL",
}

struct KvmPfecTest;

impl kernel::Module for KvmPfecTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("kvm-pfec {} tests loaded\n", pfec::VERSION);
        Ok(KvmPfecTest)
    }
}
