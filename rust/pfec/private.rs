// SPDX-License-Identifier: GPL-2.0

//! The private-access decision: whether a fault gets `PFERR_PRIVATE_ACCESS`.
//!
//! KVM decides `PFERR_PRIVATE_ACCESS` at three [`Site`]s, and asks the policy
//! at each:
//!
//! - [`Site::SnpNpf`], SVM's `npf_interception()`: an SEV-SNP guest's
//!   access was private when hardware says so (`PFERR_GUEST_ENC_MASK`);
//! - [`Site::PageFault`], `kvm_mmu_page_fault()`, for every fault: the error
//!   code may hold the flag already (from the SNP site, or on 7.3 from TDX's
//!   EPT violation, where the GPA's shared bit says it).  For
//!   software-protected VMs nothing in hardware says private or shared: the
//!   gfn's memory attributes decide (seed 001);
//! - [`Site::PreFault`], `kvm_arch_vcpu_pre_fault_memory()`: for a VM with
//!   private memory (software-protected, SEV-SNP, or on 7.3 TDX), the
//!   gfn's attributes.
//!
//! | site       | flag set earlier | RSVD | VM            | gfn private | decision                 |
//! |------------|------------------|------|---------------|-------------|--------------------------|
//! | any        | yes              | no   | any           | (not read)  | private                  |
//! | any        | yes              | yes  | any           | (not read)  | [`RsvdPrivate`] error    |
//! | page fault | no               | yes  | any           | (not read)  | shared (MMIO)            |
//! | page fault | no               | no   | SW-protected  | yes / no    | private / shared         |
//! | page fault | no               | no   | other         | (not read)  | shared                   |
//! | pre-fault  | no               | any  | private mem.  | yes / no    | private / shared (MMIO)  |
//! | pre-fault  | no               | any  | other         | (not read)  | shared (MMIO)            |
//! | SNP #NPF   | no               | any  | SNP           | (not read)  | private iff `GUEST_ENC`  |
//! | SNP #NPF   | no               | any  | other         | (not read)  | shared (MMIO)            |
//!
//! These are upstream's rules: emulated MMIO (a reserved-bit fault) is
//! never private, and a reserved fault that comes out tagged private is a
//! KVM bug, which upstream WARNs about in `kvm_mmu_page_fault()` and fails
//! with `-EFAULT`; the policy fails it where it decides.

use crate::pfec::error_code::PFERR_PRIVATE_ACCESS;
use crate::pfec::error_code::{hw, FaultCode, HwErrorCode, SyntheticFlags, PFERR_IMPLICIT_ACCESS};

/// The proof that the private-access decision tagged a fault private.
///
/// Only this module can make one, so [`SyntheticFlags::with_private`] is
/// the only way to `PFERR_PRIVATE_ACCESS`, and only [`decide`] calls it:
///
/// ```compile_fail,E0451
/// use kvm_pfec_core::pfec::private::PrivateAccess;
/// let forged = PrivateAccess { _proof: () };
/// ```
///
/// (The same path compiles, so what fails above is the forging:)
///
/// ```
/// use kvm_pfec_core::pfec::private::PrivateAccess;
/// fn takes(_: PrivateAccess) {}
/// ```
#[derive(Debug)]
pub struct PrivateAccess {
    _proof: (),
}

/// What the decision needs to know of the VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmKind {
    /// `KVM_X86_SW_PROTECTED_VM`: memory attributes say private or shared.
    SwProtected,
    /// `KVM_X86_SNP_VM`: hardware says private (`PFERR_GUEST_ENC_MASK`); its
    /// memory attributes say it for `KVM_PRE_FAULT_MEMORY`.
    Snp,
    /// Another type with private memory (`kvm_arch_has_private_mem()`),
    /// e.g. 7.3's `KVM_X86_TDX_VM`: KVM tags its faults itself, and its
    /// memory attributes say private for `KVM_PRE_FAULT_MEMORY`.
    OtherPrivate,
    /// Every other type: nothing is private.
    Other,
}

impl VmKind {
    /// `kvm_arch_has_private_mem()`, as KVM sets it for the VM types.
    const fn has_private_mem(self) -> bool {
        !matches!(self, Self::Other)
    }
}

// In the kernel, KVM's own `kernel::kvm::PrivateSite`; the host build
// defines the same variants (see `memory_fault::Record`).
#[cfg(kvm_pfec_kernel)]
pub use kernel::kvm::PrivateSite as Site;

/// Where KVM decides `PFERR_PRIVATE_ACCESS` (`kernel::kvm::PrivateSite`).
#[cfg(not(kvm_pfec_kernel))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// `kvm_mmu_page_fault()`, for every fault KVM handles.
    PageFault,
    /// `kvm_arch_vcpu_pre_fault_memory()`, for `KVM_PRE_FAULT_MEMORY`.
    PreFault,
    /// SVM's `npf_interception()`, for SEV-SNP guests.
    SnpNpf,
}

/// An error code as `kvm_mmu_page_fault()` received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvmFault {
    hw: HwErrorCode,
    implicit: bool,
    private_by_kvm: bool,
}

impl KvmFault {
    /// Splits KVM's `u64` into hardware bits and the synthetic flags KVM set
    /// before this point.  (The hardware bits were sanitized at the entry, so
    /// bits 48 and 49 here are KVM's.)
    pub const fn from_kvm(raw: u64) -> Self {
        let (hw, _) = HwErrorCode::sanitize(raw);
        Self {
            hw,
            implicit: raw & PFERR_IMPLICIT_ACCESS != 0,
            private_by_kvm: raw & PFERR_PRIVATE_ACCESS != 0,
        }
    }
}

/// What [`decide`] made of a fault, for the tests: KVM reads it off the
/// error code.
#[cfg(any(test, kvm_pfec_test))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// Tagged `PFERR_PRIVATE_ACCESS`.
    Private,
    /// A shared fault.
    Shared,
    /// A reserved-bit fault: emulated MMIO, shared-only.
    Mmio,
}

/// A fault's private/shared outcome: the error code to go on with.
///
/// Only [`decide`] makes one, and its kind is read off the code, so the
/// two cannot disagree: a `Decision` that says private without the flag,
/// or the flag without the decision, cannot be built.
///
/// ```compile_fail,E0451
/// use kvm_pfec_core::pfec::error_code::{FaultCode, HwErrorCode, SyntheticFlags};
/// use kvm_pfec_core::pfec::private::Decision;
/// let (hw, _) = HwErrorCode::sanitize(0);
/// let forged = Decision { code: FaultCode::new(hw, SyntheticFlags::NONE) };
/// ```
///
/// (The same paths compile, so what fails above is the forging:)
///
/// ```
/// use kvm_pfec_core::pfec::error_code::{FaultCode, HwErrorCode, SyntheticFlags};
/// use kvm_pfec_core::pfec::private::Decision;
/// let (hw, _) = HwErrorCode::sanitize(0);
/// let code = FaultCode::new(hw, SyntheticFlags::NONE);
/// fn takes(_: Decision) {}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    code: FaultCode,
}

impl Decision {
    /// The error code to go on with.
    pub const fn code(self) -> FaultCode {
        self.code
    }

    /// Private, shared or MMIO, as the code says.
    #[cfg(any(test, kvm_pfec_test))]
    pub const fn kind(self) -> DecisionKind {
        if self.code.synthetic().is_private() {
            DecisionKind::Private
        } else if self.code.hw().is_rsvd() {
            DecisionKind::Mmio
        } else {
            DecisionKind::Shared
        }
    }
}

/// A reserved-bit fault arrived tagged private: a KVM bug (WARN, `-EFAULT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RsvdPrivate;

/// Decides `PFERR_PRIVATE_ACCESS` for a fault at `site`.  `gfn_private`
/// reads the gfn's attributes; it is called only when the table says so.
pub fn decide(
    fault: KvmFault,
    vm: VmKind,
    site: Site,
    gfn_private: impl FnOnce() -> bool,
) -> Result<Decision, RsvdPrivate> {
    let flags = if fault.implicit {
        SyntheticFlags::IMPLICIT_ACCESS
    } else {
        SyntheticFlags::NONE
    };
    let rsvd = fault.hw.is_rsvd();
    let shared = Decision {
        code: FaultCode::new(fault.hw, flags),
    };
    // Private, unless the fault is a reserved-bit one.
    let private = || {
        if rsvd {
            return Err(RsvdPrivate);
        }
        Ok(Decision {
            code: FaultCode::new(fault.hw, flags.with_private(PrivateAccess { _proof: () })),
        })
    };
    // Each arm returns as soon as it knows, so that the fault path keeps
    // nothing but the answer across the attribute lookup.
    if fault.private_by_kvm {
        return private();
    }
    match site {
        Site::PageFault => {
            if rsvd || vm != VmKind::SwProtected {
                return Ok(shared);
            }
            if gfn_private() {
                private()
            } else {
                Ok(shared)
            }
        }
        Site::PreFault => {
            if vm.has_private_mem() && gfn_private() {
                private()
            } else {
                Ok(shared)
            }
        }
        Site::SnpNpf => {
            if vm == VmKind::Snp && fault.hw.has(hw::GUEST_ENC) {
                private()
            } else {
                Ok(shared)
            }
        }
    }
}

/// Test cases, run by `cargo test` and by KUnit.
#[cfg(any(test, kvm_pfec_test))]
pub mod cases {
    use super::*;
    use crate::pfec::check::{check, check_eq};
    use crate::pfec::check::{combinations, Outcome};
    use crate::pfec::error_code::PFERR_SYNTHETIC_MASK;

    const VMS: [VmKind; 4] = [
        VmKind::SwProtected,
        VmKind::Snp,
        VmKind::OtherPrivate,
        VmKind::Other,
    ];
    const SITES: [Site; 3] = [Site::PageFault, Site::PreFault, Site::SnpNpf];

    fn kind(raw: u64, vm: VmKind, site: Site, attr: bool) -> Result<DecisionKind, RsvdPrivate> {
        decide(KvmFault::from_kvm(raw), vm, site, || attr).map(Decision::kind)
    }

    /// Every row of the table in the module documentation.
    pub fn decision_table() -> Outcome {
        use DecisionKind::{Mmio, Private, Shared};
        let (sw, snp, other) = (VmKind::SwProtected, VmKind::Snp, VmKind::Other);
        let tdx = VmKind::OtherPrivate;
        let rsvd = hw::PRESENT | hw::RSVD;
        let plain = hw::PRESENT | hw::WRITE;
        let enc = hw::WRITE | hw::GUEST_ENC;

        for site in SITES {
            for vm in VMS {
                // Tagged earlier: private, or a KVM bug with RSVD.
                check!(kind(enc | PFERR_PRIVATE_ACCESS, vm, site, false) == Ok(Private));
                check!(kind(rsvd | PFERR_PRIVATE_ACCESS, vm, site, false) == Err(RsvdPrivate));
            }
        }
        for vm in VMS {
            check!(kind(rsvd, vm, Site::PageFault, true) == Ok(Mmio));
            check!(kind(plain, vm, Site::SnpNpf, true) == Ok(Shared));
        }
        check!(kind(plain, sw, Site::PageFault, true) == Ok(Private));
        check!(kind(plain, sw, Site::PageFault, false) == Ok(Shared));
        check!(kind(plain, snp, Site::PageFault, true) == Ok(Shared));
        check!(kind(plain, other, Site::PageFault, true) == Ok(Shared));
        check!(kind(plain, tdx, Site::PageFault, true) == Ok(Shared));
        for vm in [sw, snp, tdx] {
            check!(kind(hw::GUEST_FINAL, vm, Site::PreFault, true) == Ok(Private));
            check!(kind(hw::GUEST_FINAL, vm, Site::PreFault, false) == Ok(Shared));
        }
        check!(kind(hw::GUEST_FINAL, other, Site::PreFault, true) == Ok(Shared));
        check!(kind(enc, snp, Site::SnpNpf, false) == Ok(Private));
        check!(kind(enc, sw, Site::SnpNpf, true) == Ok(Shared));
        check!(kind(enc, tdx, Site::SnpNpf, true) == Ok(Shared));
        check!(kind(enc | hw::RSVD, snp, Site::SnpNpf, false) == Err(RsvdPrivate));
        Ok(())
    }

    /// The attributes are read only where the table reads them: at a page
    /// fault, for non-reserved faults of software-protected VMs; at a
    /// pre-fault, for VMs with private memory; never at SNP's #NPF, and
    /// never once KVM tagged the fault.  The lookup stays off every other
    /// fault's path.
    pub fn attributes_read_only_when_needed() -> Outcome {
        for raw in [
            0,
            hw::RSVD,
            PFERR_PRIVATE_ACCESS,
            hw::RSVD | PFERR_PRIVATE_ACCESS,
        ] {
            for vm in VMS {
                for site in SITES {
                    let mut read = false;
                    let _ = decide(KvmFault::from_kvm(raw), vm, site, || {
                        read = true;
                        false
                    });
                    let needed = match site {
                        Site::PageFault => vm == VmKind::SwProtected && raw == 0,
                        Site::PreFault => vm != VmKind::Other && raw & PFERR_PRIVATE_ACCESS == 0,
                        Site::SnpNpf => false,
                    };
                    check_eq!(read, needed);
                }
            }
        }
        Ok(())
    }

    /// The decision changes only `PFERR_PRIVATE_ACCESS`: hardware bits and
    /// `PFERR_IMPLICIT_ACCESS` pass through, for every combination of the
    /// bits the decision reads, at every site.
    pub fn only_the_private_flag_changes() -> Outcome {
        let bits = [
            hw::PRESENT,
            hw::WRITE,
            hw::RSVD,
            hw::GUEST_ENC,
            PFERR_IMPLICIT_ACCESS,
        ];
        for raw in combinations(bits) {
            for vm in VMS {
                for site in SITES {
                    for attr in [false, true] {
                        let code = decide(KvmFault::from_kvm(raw), vm, site, || attr)
                            .map(|d| d.code().to_kvm())
                            .unwrap_or(raw);
                        check_eq!(code & !PFERR_PRIVATE_ACCESS, raw);
                    }
                }
            }
        }
        Ok(())
    }

    /// `Private` holds exactly the codes with the flag, and a code with the
    /// flag is never a reserved-bit fault.
    pub fn private_flag_iff_private_decision() -> Outcome {
        for raw in [
            0,
            hw::WRITE,
            hw::RSVD,
            hw::GUEST_ENC,
            hw::RSVD | hw::GUEST_ENC,
            PFERR_PRIVATE_ACCESS,
            PFERR_SYNTHETIC_MASK,
        ] {
            for vm in VMS {
                for site in SITES {
                    for attr in [false, true] {
                        if let Ok(d) = decide(KvmFault::from_kvm(raw), vm, site, || attr) {
                            let tagged = d.code().synthetic().is_private();
                            check_eq!(tagged, d.kind() == DecisionKind::Private);
                            check!(!(tagged && d.code().hw().is_rsvd()));
                            let synthetic = d.code().synthetic().bits();
                            check_eq!(synthetic & PFERR_PRIVATE_ACCESS != 0, tagged);
                            check_eq!(
                                synthetic & PFERR_IMPLICIT_ACCESS,
                                raw & PFERR_IMPLICIT_ACCESS
                            );
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Tagging a code private twice leaves it private: the flag is set, not
    /// toggled, and nothing else moves.
    pub fn private_flag_is_set_not_toggled() -> Outcome {
        for flags in [SyntheticFlags::NONE, SyntheticFlags::IMPLICIT_ACCESS] {
            let once = flags.with_private(PrivateAccess { _proof: () });
            let twice = once.with_private(PrivateAccess { _proof: () });
            check!(once.is_private() && twice.is_private());
            check_eq!(twice.bits(), flags.bits() | PFERR_PRIVATE_ACCESS);
        }
        Ok(())
    }
}
