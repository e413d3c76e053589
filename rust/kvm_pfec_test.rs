// SPDX-License-Identifier: GPL-2.0

//! kvm-pfec's KUnit suites, in a module of their own.
//!
//! `kvm_pfec.ko` holds no test code: this module, built with
//! `--cfg kvm_pfec_test`, compiles the same pure core with its cases, and
//! registers the suites of [`tests`], which KUnit runs as it loads.  One of
//! them registers hooks of its own and leaks them, for KVM to end when this
//! module goes: load it without `kvm_pfec.ko`.

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
    // KVM's policy API: in this namespace on 6.12; later kernels export it
    // to kvm_pfec* modules by name, and no symbol there is in it.
    imports_ns: ["KVM_PFEC"],
}

struct KvmPfecTest;

/// This module, which the `kvm_pfec_registration` suite registers its hooks
/// for.
fn this_module() -> &'static ThisModule {
    #[cfg(kvm_pfec_this_module_static)]
    let module = &THIS_MODULE;
    #[cfg(not(kvm_pfec_this_module_static))]
    let module = kernel::module::this_module::<KvmPfecTest>();
    module
}

impl kernel::Module for KvmPfecTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("kvm-pfec {} tests loaded\n", pfec::VERSION);
        Ok(KvmPfecTest)
    }
}
