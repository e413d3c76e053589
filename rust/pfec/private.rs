// SPDX-License-Identifier: GPL-2.0

//! The private-access decision: whether a fault gets `PFERR_PRIVATE_ACCESS`.
//!
//! `kvm_mmu_page_fault()` gets an error code that holds hardware bits and,
//! possibly, a `PFERR_PRIVATE_ACCESS` that KVM set earlier (SEV-SNP sets it
//! from `PFERR_GUEST_ENC_MASK` in `npf_interception()`).  For
//! software-protected VMs nothing in hardware says private or shared: the
//! gfn's memory attributes decide (seed 001).
//!
//! | flag set earlier | RSVD | VM            | gfn private | decision                 |
//! |------------------|------|---------------|-------------|--------------------------|
//! | yes              | no   | any           | (not read)  | [`DecisionKind::Private`] |
//! | yes              | yes  | any           | (not read)  | [`RsvdPrivate`] error    |
//! | no               | yes  | any           | (not read)  | [`DecisionKind::Mmio`]   |
//! | no               | no   | SW-protected  | yes         | [`DecisionKind::Private`] |
//! | no               | no   | SW-protected  | no          | [`DecisionKind::Shared`] |
//! | no               | no   | other         | (not read)  | [`DecisionKind::Shared`] |
//!
//! This is upstream's rule: emulated MMIO (a reserved-bit fault) is never
//! private, and a reserved fault that arrives tagged private is a KVM bug,
//! which upstream WARNs about and fails with `-EFAULT`.

use crate::pfec::error_code::{FaultCode, HwErrorCode, SyntheticFlags, PFERR_IMPLICIT_ACCESS};
use crate::pfec::error_code::{PFERR_PRIVATE_ACCESS, PFERR_SYNTHETIC_MASK};

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
    /// Every other type: hardware (SNP) or nothing says private.
    Other,
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

/// What [`decide`] made of a fault.
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

/// Decides `PFERR_PRIVATE_ACCESS` for a fault.  `gfn_private` reads the
/// gfn's attributes; it is called only when the table says so.
pub fn decide(
    fault: KvmFault,
    vm: VmKind,
    gfn_private: impl FnOnce() -> bool,
) -> Result<Decision, RsvdPrivate> {
    let flags = if fault.implicit {
        SyntheticFlags::IMPLICIT_ACCESS
    } else {
        SyntheticFlags::NONE
    };
    let rsvd = fault.hw.is_rsvd();
    let private = fault.private_by_kvm || (!rsvd && vm == VmKind::SwProtected && gfn_private());
    if private {
        if rsvd {
            return Err(RsvdPrivate);
        }
        return Ok(Decision {
            code: FaultCode::new(fault.hw, flags.with_private(PrivateAccess { _proof: () })),
        });
    }
    Ok(Decision {
        code: FaultCode::new(fault.hw, flags),
    })
}

/// Test cases, run by `cargo test` and by KUnit.
pub mod cases {
    use super::*;
    use crate::pfec::check::{combinations, Outcome};
    use crate::pfec::error_code::hw;
    use crate::{check, check_eq};

    const VMS: [VmKind; 2] = [VmKind::SwProtected, VmKind::Other];

    /// Every row of the table in the module documentation.
    pub fn decision_table() -> Outcome {
        let sw = VmKind::SwProtected;
        let rsvd = KvmFault::from_kvm(hw::PRESENT | hw::RSVD);
        let plain = KvmFault::from_kvm(hw::PRESENT | hw::WRITE);
        let snp = KvmFault::from_kvm(hw::WRITE | hw::GUEST_ENC | PFERR_PRIVATE_ACCESS);
        let snp_rsvd = KvmFault::from_kvm(hw::RSVD | PFERR_PRIVATE_ACCESS);

        for vm in VMS {
            check!(matches!(
                decide(snp, vm, || false).map(Decision::kind),
                Ok(DecisionKind::Private)
            ));
            check_eq!(decide(snp_rsvd, vm, || true) == Err(RsvdPrivate), true);
            check!(matches!(
                decide(rsvd, vm, || true).map(Decision::kind),
                Ok(DecisionKind::Mmio)
            ));
        }
        check!(matches!(
            decide(plain, sw, || true).map(Decision::kind),
            Ok(DecisionKind::Private)
        ));
        check!(matches!(
            decide(plain, sw, || false).map(Decision::kind),
            Ok(DecisionKind::Shared)
        ));
        check!(matches!(
            decide(plain, VmKind::Other, || true).map(Decision::kind),
            Ok(DecisionKind::Shared)
        ));
        Ok(())
    }

    /// The attributes are read only for non-reserved faults of
    /// software-protected VMs that KVM has not tagged already: the lookup
    /// stays off every other fault's path.
    pub fn attributes_read_only_when_needed() -> Outcome {
        for raw in [
            0,
            hw::RSVD,
            PFERR_PRIVATE_ACCESS,
            hw::RSVD | PFERR_PRIVATE_ACCESS,
        ] {
            for vm in VMS {
                let mut read = false;
                let _ = decide(KvmFault::from_kvm(raw), vm, || {
                    read = true;
                    false
                });
                let needed = vm == VmKind::SwProtected && raw == 0;
                check_eq!(read, needed);
            }
        }
        Ok(())
    }

    /// The decision changes only `PFERR_PRIVATE_ACCESS`: hardware bits and
    /// `PFERR_IMPLICIT_ACCESS` pass through, for every combination of the
    /// bits the decision reads.
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
                for attr in [false, true] {
                    let code = decide(KvmFault::from_kvm(raw), vm, || attr)
                        .map(|d| d.code().to_kvm())
                        .unwrap_or(raw);
                    check_eq!(code & !PFERR_PRIVATE_ACCESS, raw);
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
            PFERR_PRIVATE_ACCESS,
            PFERR_SYNTHETIC_MASK,
        ] {
            for vm in VMS {
                for attr in [false, true] {
                    if let Ok(d) = decide(KvmFault::from_kvm(raw), vm, || attr) {
                        let tagged = d.code().synthetic().is_private();
                        check_eq!(tagged, d.kind() == DecisionKind::Private);
                        check!(!(tagged && d.code().hw().is_rsvd()));
                    }
                }
            }
        }
        Ok(())
    }
}
