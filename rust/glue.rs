// SPDX-License-Identifier: GPL-2.0

//! Between `kernel::kvm`'s types and the pure core's: shared by
//! `kvm_pfec.ko`, whose hooks use it, and `kvm_pfec_test.ko`, whose
//! differential tests check it against upstream's C.  The core takes
//! KVM's error-code sources, decision sites and memory-fault records as
//! they are (in the kernel build they are the same types); what is left
//! here is what the core needs to know of a VM type, what KVM gets of a
//! decision, and the #PF exit filters of nested VMX in both shapes.

use crate::pfec::private::{self, Decision, KvmFault, RsvdPrivate, VmKind};
use crate::pfec::vmx_pfec;
use kernel::kvm::{self, PrivateAccess, PrivateSite, VmType};

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

// A #PF exit filter has two types: the core's, whose `const fn`s the merge
// is built from (the host crate has no `kernel::kvm`), and the overlay's,
// which crosses to C.  These convert, field for field.
impl From<kvm::PfFilter> for vmx_pfec::PfFilter {
    fn from(f: kvm::PfFilter) -> Self {
        Self::new(f.eb_pf, f.mask, f.match_)
    }
}

impl From<vmx_pfec::PfFilter> for kvm::PfFilter {
    fn from(f: vmx_pfec::PfFilter) -> Self {
        Self {
            eb_pf: f.eb_pf,
            mask: f.mask,
            match_: f.match_,
        }
    }
}

/// vmcs02's #PF exit filter: seed 004's merge of KVM's (`l0`) and vmcs12's
/// (`l1`).
pub(crate) fn nested_pf_filter(l0: kvm::PfFilter, l1: kvm::PfFilter) -> kvm::PfFilter {
    vmx_pfec::merge(l0.into(), l1.into()).into()
}
