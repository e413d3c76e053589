// SPDX-License-Identifier: GPL-2.0

//! Between `kernel::kvm`'s types and the pure core's: shared by
//! `kvm_pfec.ko`, whose hooks use it, and `kvm_pfec_test.ko`, whose
//! differential tests check it against upstream's C.  The core takes
//! KVM's error-code sources, decision sites and memory-fault records as
//! they are (in the kernel build they are the same types); what is left
//! here is what the core needs to know of a VM type, and what KVM gets of a
//! decision.

use crate::pfec::private::{self, Decision, KvmFault, RsvdPrivate, VmKind};
use kernel::kvm::{PrivateAccess, PrivateSite, VmType};

/// What the private-access decision needs of a VM type.
fn vm_kind(vm_type: VmType) -> VmKind {
    match vm_type {
        VmType::SwProtected => VmKind::SwProtected,
        VmType::Snp => VmKind::Snp,
        t if t.has_private_mem() => VmKind::OtherPrivate,
        _ => VmKind::Other,
    }
}

/// The policy's private-access decision for an error code from KVM.
pub(crate) fn decide(
    error_code: u64,
    vm_type: VmType,
    at: PrivateSite,
    gfn_private: impl FnOnce() -> bool,
) -> core::result::Result<Decision, RsvdPrivate> {
    private::decide(
        KvmFault::from_kvm(error_code),
        vm_kind(vm_type),
        at,
        gfn_private,
    )
}

/// What KVM gets of a decision: `PFERR_PRIVATE_ACCESS`, set or clear.
pub(crate) fn private_access(decision: Decision) -> PrivateAccess {
    if decision.code().synthetic().is_private() {
        PrivateAccess::Private
    } else {
        PrivateAccess::Shared
    }
}
