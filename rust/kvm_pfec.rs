// SPDX-License-Identifier: GPL-2.0

//! kvm-pfec: KVM x86 page-fault error-code extensions.
//!
//! The module registers into hook points that the kvm-pfec kernel patch
//! series adds to `kvm_mmu_page_fault()` and its callers.  The decisions it
//! makes live in [`pfec`], which is `core`-only and also tested on the host.
//!
//! Supported:
//! - logging its version at load and a clean unload.

use kernel::prelude::*;

pub mod pfec;

module! {
    type: KvmPfec,
    name: "kvm_pfec",
    author: "kvm-pfec developers",
    description: "KVM x86 page-fault error-code extensions",
    license: "GPL",
}

struct KvmPfec;

impl kernel::Module for KvmPfec {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("kvm-pfec {} loaded\n", pfec::VERSION);
        Ok(KvmPfec)
    }
}

impl Drop for KvmPfec {
    fn drop(&mut self) {
        pr_info!("kvm-pfec {} unloaded\n", pfec::VERSION);
    }
}
