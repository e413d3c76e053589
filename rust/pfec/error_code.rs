// SPDX-License-Identifier: GPL-2.0

//! Page-fault error codes, typed by who defines the bits.
//!
//! KVM passes one `u64` down its page-fault path.  Its low bits come from
//! hardware: the #PF error code (Intel SDM vol. 3, 4.7; AMD APM vol. 2, 8.4.2)
//! or, for a nested page fault, EXITINFO1 of the #NPF exit (APM vol. 2,
//! 15.25.6).  KVM also sets flags of its own in bits that hardware does not
//! define today (`arch/x86/include/asm/kvm_host.h`):
//!
//! | bit | name                    | defined by |
//! |-----|-------------------------|------------|
//! | 0   | `PFERR_PRESENT_MASK`    | hardware   |
//! | 1   | `PFERR_WRITE_MASK`      | hardware   |
//! | 2   | `PFERR_USER_MASK`       | hardware   |
//! | 3   | `PFERR_RSVD_MASK`       | hardware   |
//! | 4   | `PFERR_FETCH_MASK`      | hardware   |
//! | 5   | `PFERR_PK_MASK`         | hardware   |
//! | 6   | `PFERR_SHADOW_STACK`    | hardware   |
//! | 15  | `PFERR_SGX_MASK`        | hardware   |
//! | 31  | `PFERR_GUEST_RMP_MASK`  | hardware   |
//! | 32  | `PFERR_GUEST_FINAL_MASK`| hardware   |
//! | 33  | `PFERR_GUEST_PAGE_MASK` | hardware   |
//! | 34  | `PFERR_GUEST_ENC_MASK`  | hardware   |
//! | 35  | `PFERR_GUEST_SIZEM_MASK`| hardware   |
//! | 36  | `PFERR_GUEST_VMPL_MASK` | hardware   |
//! | 48  | `PFERR_IMPLICIT_ACCESS` | KVM        |
//! | 49  | `PFERR_PRIVATE_ACCESS`  | KVM        |
//!
//! Nothing stops future hardware from defining bits 48 or 49 (seed 000).  So
//! a raw hardware value is never trusted as a KVM error code: it goes through
//! [`HwErrorCode::sanitize`], which splits off the bits that collide with
//! KVM's flags.  A [`HwErrorCode`] can never hold a synthetic bit, and a
//! [`SyntheticFlags`] can never hold a hardware bit; the two meet only in a
//! [`FaultCode`], whose [`FaultCode::to_kvm`] gives the `u64` that KVM's C
//! code consumes.

/// Bit `n` of an error code (the kernel's `BIT_ULL()`).
pub const fn bit(n: u32) -> u64 {
    1 << n
}

/// Architectural error-code bits.
pub mod hw {
    use super::bit;

    /// The fault was on a present page (else: not-present).
    pub const PRESENT: u64 = bit(0);
    /// The access was a write.
    pub const WRITE: u64 = bit(1);
    /// The access was from CPL 3.
    pub const USER: u64 = bit(2);
    /// A reserved bit was set in a paging-structure entry.  KVM uses this
    /// for emulated MMIO.
    pub const RSVD: u64 = bit(3);
    /// The access was an instruction fetch.
    pub const FETCH: u64 = bit(4);
    /// Protection-key violation.
    pub const PK: u64 = bit(5);
    /// Shadow-stack access.
    pub const SHADOW_STACK: u64 = bit(6);
    /// The access was a HLAT paging walk (Intel).
    pub const HLAT: u64 = bit(7);
    /// SGX (EPCM) violation.
    pub const SGX: u64 = bit(15);
    /// SEV-SNP: RMP violation.
    pub const GUEST_RMP: u64 = bit(31);
    /// #NPF: the fault was on the final guest physical address.
    pub const GUEST_FINAL: u64 = bit(32);
    /// #NPF: the fault was on a guest page-table walk.
    pub const GUEST_PAGE: u64 = bit(33);
    /// SEV-SNP: the access was to encrypted (private) memory.
    pub const GUEST_ENC: u64 = bit(34);
    /// SEV-SNP: page-size mismatch.
    pub const GUEST_SIZEM: u64 = bit(35);
    /// SEV-SNP: VMPL violation.
    pub const GUEST_VMPL: u64 = bit(36);

    /// The bits the SDM defines for a #PF error code, each alone: P, W/R,
    /// U/S, RSVD, I/D, PK, SS, HLAT and SGX.  (AMD defines a subset.)
    pub const PF_DEFINED: [u64; 9] = [
        PRESENT,
        WRITE,
        USER,
        RSVD,
        FETCH,
        PK,
        SHADOW_STACK,
        HLAT,
        SGX,
    ];

    /// [`PF_DEFINED`] as a mask.
    pub const PF_DEFINED_MASK: u64 = mask_of(&PF_DEFINED);

    /// Every bit named above: the #PF ones and those of #NPF and SEV-SNP.
    #[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
    pub const KNOWN: u64 = mask_of(&[
        PF_DEFINED_MASK,
        GUEST_RMP,
        GUEST_FINAL,
        GUEST_PAGE,
        GUEST_ENC,
        GUEST_SIZEM,
        GUEST_VMPL,
    ]);

    /// The bits of `bits` in one mask.
    const fn mask_of(bits: &[u64]) -> u64 {
        let mut mask = 0;
        let mut i = 0;
        while i < bits.len() {
            mask |= bits[i];
            i += 1;
        }
        mask
    }
}

/// KVM's `PFERR_IMPLICIT_ACCESS`: an implicit supervisor access, for SMAP
/// checks while emulating.
pub const PFERR_IMPLICIT_ACCESS: u64 = bit(48);
/// KVM's `PFERR_PRIVATE_ACCESS`: the fault is on private memory.
pub const PFERR_PRIVATE_ACCESS: u64 = bit(49);
/// KVM's `PFERR_SYNTHETIC_MASK`: every flag KVM defines itself.
pub const PFERR_SYNTHETIC_MASK: u64 = PFERR_IMPLICIT_ACCESS | PFERR_PRIVATE_ACCESS;

// No architectural bit overlaps KVM's flags, and #PF's defined bits are
// among the named ones.
const _: () = assert!(hw::KNOWN & PFERR_SYNTHETIC_MASK == 0);
const _: () = assert!(hw::PF_DEFINED_MASK & !hw::KNOWN == 0);
// The masks hold every bit they name: 15 in KNOWN, and each of PF_DEFINED.
const _: () = assert!(hw::KNOWN.count_ones() == 15);
const _: () = assert!(hw::PF_DEFINED_MASK.count_ones() == hw::PF_DEFINED.len() as u32);

/// An error code as hardware reported it, with any bit that collides with
/// KVM's synthetic flags removed.
///
/// [`HwErrorCode::sanitize`] is the only way to make one; the field is
/// private:
///
/// ```compile_fail,E0423
/// use kvm_pfec_core::pfec::error_code::HwErrorCode;
/// let forged = HwErrorCode(1 << 49);
/// ```
///
/// (The same path compiles, so what fails above is the forging:)
///
/// ```
/// use kvm_pfec_core::pfec::error_code::HwErrorCode;
/// let (code, _) = HwErrorCode::sanitize(1 << 49);
/// assert_eq!(code.bits(), 0);
/// ```
///
/// # Invariants
///
/// `self.0 & PFERR_SYNTHETIC_MASK == 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct HwErrorCode(u64);

/// Bits that hardware reported in positions KVM uses for its own flags.
///
/// Non-empty means hardware has started using bits 48-49, and KVM's flags
/// must move: the caller WARNs once and counts it.
///
/// # Invariants
///
/// `self.0 & !PFERR_SYNTHETIC_MASK == 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Collision(u64);

impl HwErrorCode {
    /// Splits a raw hardware value into the error code KVM may use and the
    /// bits that collide with KVM's synthetic flags.
    pub const fn sanitize(raw: u64) -> (Self, Collision) {
        // INVARIANT: the masks are complements of each other.
        (
            Self(raw & !PFERR_SYNTHETIC_MASK),
            Collision(raw & PFERR_SYNTHETIC_MASK),
        )
    }

    /// The raw bits; never a synthetic one.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether every bit of `mask` (a [`hw`] constant) is set.
    pub const fn has(self, mask: u64) -> bool {
        self.0 & mask == mask
    }

    /// A reserved-bit fault, i.e. emulated MMIO for KVM.
    pub const fn is_rsvd(self) -> bool {
        self.has(hw::RSVD)
    }
}

impl Collision {
    /// Whether hardware set no synthetic bit: the normal case.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The colliding bits, for the log and the counter.
    pub const fn bits(self) -> u64 {
        self.0
    }
}

// In the kernel, KVM's own `kernel::kvm::ErrorCodeSource`; the host build
// defines the same variants (see `memory_fault::Record`).
#[cfg(kvm_pfec_kernel)]
pub use kernel::kvm::ErrorCodeSource as Entry;

/// Where a hardware error code enters KVM (`kernel::kvm::ErrorCodeSource`).
#[cfg(not(kvm_pfec_kernel))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// SVM's #NPF: EXITINFO1, 64 bits wide.
    Npf,
    /// An intercepted guest #PF: a 32-bit error code.
    Pf,
}

/// A hardware error code after [`sanitize_at`]: what KVM goes on with, and
/// what was taken out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sanitized {
    /// The error code KVM goes on with.
    pub code: HwErrorCode,
    /// Bits in the positions of KVM's synthetic flags.
    pub collision: Collision,
    /// Other bits dropped because the entry's error code is narrower than
    /// 64 bits (a #PF's bits 63:32, less the collision).
    pub dropped: u64,
}

impl Sanitized {
    /// Whether this error code is one that must be reported (WARNed): it had
    /// bits that no hardware defines for its entry.  Upstream KVM WARNs in
    /// exactly these cases.
    pub const fn warns(&self) -> bool {
        !self.collision.is_empty() || self.dropped != 0
    }
}

/// The bits of a hardware error code at `entry` that make KVM call the
/// policy (`hw_error_code_bits`).  A code with none of them is one that
/// [`sanitize_at`] keeps as it is, with no WARN, as KVM does without a
/// policy, so KVM need not call: the policy is called only where it can
/// change something.  At the #NPF entry these are the synthetic-flag
/// positions; at the #PF entry, bits 63:32, which it drops (the
/// synthetic flags among them), so an ordinary 32-bit #PF error code, the
/// only kind hardware gives, makes no call.
pub const fn hook_bits(entry: Entry) -> u64 {
    match entry {
        Entry::Npf => PFERR_SYNTHETIC_MASK,
        Entry::Pf => !0xffff_ffff,
    }
}

/// Sanitizes a raw hardware error code that entered KVM at `entry`.
///
/// | entry | kept       | collision           | dropped                       |
/// |-------|------------|---------------------|-------------------------------|
/// | #NPF  | bits 63:0 but 48, 49 | bits 48, 49 | none                        |
/// | #PF   | bits 31:0  | bits 48, 49         | bits 63:32 but 48, 49         |
pub const fn sanitize_at(raw: u64, entry: Entry) -> Sanitized {
    let (code, collision) = HwErrorCode::sanitize(raw);
    match entry {
        Entry::Npf => Sanitized {
            code,
            collision,
            dropped: 0,
        },
        Entry::Pf => Sanitized {
            // INVARIANT: the low 32 bits hold no synthetic flag.
            code: HwErrorCode(code.0 & 0xffff_ffff),
            collision,
            dropped: code.0 & !0xffff_ffff,
        },
    }
}

/// KVM-defined error-code flags.
///
/// The fields are private, so code outside this module cannot make a value
/// with a flag in it: `PFERR_IMPLICIT_ACCESS` comes from
/// [`SyntheticFlags::IMPLICIT_ACCESS`], and `PFERR_PRIVATE_ACCESS` only from
/// [`SyntheticFlags::with_private`], which takes the proof that only the
/// private-access decision ([`crate::pfec::private`]) can make:
///
/// ```compile_fail,E0423
/// use kvm_pfec_core::pfec::error_code::SyntheticFlags;
/// let forged = SyntheticFlags(1 << 49);
/// ```
///
/// (The same path compiles, so what fails above is the forging:)
///
/// ```
/// use kvm_pfec_core::pfec::error_code::SyntheticFlags;
/// assert!(!SyntheticFlags::IMPLICIT_ACCESS.is_private());
/// ```
///
/// # Invariants
///
/// `self.0 & !PFERR_SYNTHETIC_MASK == 0`, and `PFERR_PRIVATE_ACCESS` is set
/// only by [`SyntheticFlags::with_private`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct SyntheticFlags(u64);

impl SyntheticFlags {
    /// No flag set.
    pub const NONE: Self = Self(0);
    /// `PFERR_IMPLICIT_ACCESS` alone.
    pub const IMPLICIT_ACCESS: Self = Self(PFERR_IMPLICIT_ACCESS);

    /// These flags plus `PFERR_PRIVATE_ACCESS`, given the decision's proof.
    pub const fn with_private(self, _proof: crate::pfec::private::PrivateAccess) -> Self {
        // INVARIANT: the proof shows the private-access decision made this.
        Self(self.0 | PFERR_PRIVATE_ACCESS)
    }

    /// The raw bits; never a hardware one.  Only the tests use it.
    #[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether `PFERR_PRIVATE_ACCESS` is set.
    pub const fn is_private(self) -> bool {
        self.0 & PFERR_PRIVATE_ACCESS != 0
    }
}

/// A hardware error code together with KVM's flags for it: what
/// `kvm_mmu_page_fault()` works on.
///
/// Its parts are private, so one cannot be changed in place; a new one
/// takes typed parts ([`FaultCode::new`]), and neither part can hold the
/// other's bits:
///
/// ```compile_fail,E0451
/// use kvm_pfec_core::pfec::error_code::{FaultCode, HwErrorCode, SyntheticFlags};
/// let (hw, _) = HwErrorCode::sanitize(0);
/// let forged = FaultCode { hw, synthetic: SyntheticFlags::IMPLICIT_ACCESS };
/// ```
///
/// ```compile_fail,E0616
/// use kvm_pfec_core::pfec::error_code::{FaultCode, HwErrorCode, SyntheticFlags};
/// let (hw, _) = HwErrorCode::sanitize(0);
/// let mut code = FaultCode::from_hw(hw);
/// code.synthetic = SyntheticFlags::IMPLICIT_ACCESS;
/// ```
///
/// (The same paths compile, so what fails above is the forging:)
///
/// ```
/// use kvm_pfec_core::pfec::error_code::{FaultCode, HwErrorCode, SyntheticFlags};
/// let (hw, _) = HwErrorCode::sanitize(0);
/// let code = FaultCode::new(hw, SyntheticFlags::IMPLICIT_ACCESS);
/// assert_eq!(code.to_kvm(), 1 << 48);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultCode {
    hw: HwErrorCode,
    synthetic: SyntheticFlags,
}

impl FaultCode {
    /// A fault code from its two typed parts.
    pub const fn new(hw: HwErrorCode, synthetic: SyntheticFlags) -> Self {
        Self { hw, synthetic }
    }

    /// What hardware said (for the tests: KVM takes the whole code).
    #[cfg(any(test, kvm_pfec_test))]
    pub const fn hw(self) -> HwErrorCode {
        self.hw
    }

    /// What KVM added.
    pub const fn synthetic(self) -> SyntheticFlags {
        self.synthetic
    }

    /// A fault as hardware reported it, before KVM added anything.
    #[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
    pub const fn from_hw(hw: HwErrorCode) -> Self {
        Self {
            hw,
            synthetic: SyntheticFlags::NONE,
        }
    }

    /// The `u64` that KVM's C code consumes.
    #[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
    pub const fn to_kvm(self) -> u64 {
        self.hw.0 | self.synthetic.0
    }
}

/// Test cases, run by `cargo test` and by KUnit.
#[cfg(any(test, kvm_pfec_test))]
pub mod cases {
    use super::*;
    use crate::pfec::check::{check, check_eq};
    use crate::pfec::check::{xorshift64, Outcome};

    /// Every bit outside the synthetic mask passes through sanitizing unchanged.
    pub fn sanitize_keeps_every_hardware_bit() -> Outcome {
        for bit in 0..64 {
            let raw = 1u64 << bit;
            let (code, collision) = HwErrorCode::sanitize(raw);
            if raw & PFERR_SYNTHETIC_MASK == 0 {
                check_eq!(code.bits(), raw);
                check!(collision.is_empty());
            }
        }
        let (code, _) = HwErrorCode::sanitize(hw::KNOWN);
        check_eq!(code.bits(), hw::KNOWN);
        Ok(())
    }

    /// Every bit inside the synthetic mask is moved to the collision, none lost.
    pub fn sanitize_reports_every_colliding_bit() -> Outcome {
        for raw in [
            PFERR_IMPLICIT_ACCESS,
            PFERR_PRIVATE_ACCESS,
            PFERR_SYNTHETIC_MASK,
            u64::MAX,
            hw::WRITE | PFERR_PRIVATE_ACCESS,
        ] {
            let (code, collision) = HwErrorCode::sanitize(raw);
            check_eq!(collision.bits(), raw & PFERR_SYNTHETIC_MASK);
            check_eq!(code.bits(), raw & !PFERR_SYNTHETIC_MASK);
            check_eq!(code.bits() | collision.bits(), raw);
        }
        Ok(())
    }

    /// A sanitized code sanitizes to itself, with no collision.
    pub fn sanitize_is_idempotent() -> Outcome {
        let mut x = 0x0123_4567_89ab_cdefu64;
        for _ in 0..256 {
            let raw = xorshift64(&mut x);
            let (once, _) = HwErrorCode::sanitize(raw);
            let (twice, collision) = HwErrorCode::sanitize(once.bits());
            check_eq!(once.bits(), twice.bits());
            check!(collision.is_empty());
        }
        Ok(())
    }

    /// KVM's `u64` carries a synthetic flag only when the [`FaultCode`] has it.
    pub fn synthetic_flags_reach_kvm_only_through_fault_code() -> Outcome {
        let (hw, _) = HwErrorCode::sanitize(hw::PRESENT | hw::WRITE | PFERR_IMPLICIT_ACCESS);
        let fault = FaultCode::from_hw(hw);
        check_eq!(fault.to_kvm(), hw::PRESENT | hw::WRITE);
        let fault = FaultCode::new(hw, SyntheticFlags::IMPLICIT_ACCESS);
        check_eq!(
            fault.to_kvm(),
            hw::PRESENT | hw::WRITE | PFERR_IMPLICIT_ACCESS
        );
        check!(!fault.synthetic().is_private());
        Ok(())
    }

    /// At #NPF only bits 48 and 49 go; at #PF bits 63:32 go, and bits 48 and
    /// 49 count as the collision, the rest as dropped.
    pub fn sanitize_at_each_entry() -> Outcome {
        let raw = hw::WRITE | hw::GUEST_FINAL | PFERR_PRIVATE_ACCESS | (1 << 63);
        let npf = sanitize_at(raw, Entry::Npf);
        check_eq!(npf.code.bits(), hw::WRITE | hw::GUEST_FINAL | (1 << 63));
        check_eq!(npf.collision.bits(), PFERR_PRIVATE_ACCESS);
        check_eq!(npf.dropped, 0u64);
        check!(npf.warns());
        let pf = sanitize_at(raw, Entry::Pf);
        check_eq!(pf.code.bits(), hw::WRITE);
        check_eq!(pf.collision.bits(), PFERR_PRIVATE_ACCESS);
        check_eq!(pf.dropped, hw::GUEST_FINAL | (1 << 63));
        check!(pf.warns());
        for entry in [Entry::Npf, Entry::Pf] {
            let clean = sanitize_at(hw::PRESENT | hw::USER | hw::FETCH, entry);
            check!(!clean.warns());
            check_eq!(clean.code.bits(), hw::PRESENT | hw::USER | hw::FETCH);
        }
        Ok(())
    }

    /// A code with no bit of [`hook_bits`] is one the hook would keep as it
    /// is, with no WARN: KVM may skip the call.  At the #PF entry that is
    /// every 32-bit code, which is all hardware gives.
    pub fn hook_bits_cover_every_change() -> Outcome {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for entry in [Entry::Npf, Entry::Pf] {
            let skipped = !hook_bits(entry);
            // Each single bit, then a spread of patterns, outside the bits.
            for i in 0..64 + 1024 {
                let raw = if i < 64 {
                    1u64 << i
                } else {
                    xorshift64(&mut x)
                } & skipped;
                let s = sanitize_at(raw, entry);
                check_eq!(s.code.bits(), raw);
                check!(!s.warns());
            }
            if entry == Entry::Pf {
                check_eq!(hook_bits(entry) & 0xffff_ffff, 0u64);
            }
            // And the other way round: every code that warns has a hook bit.
            for _ in 0..1024 {
                let raw = xorshift64(&mut x);
                if sanitize_at(raw, entry).warns() {
                    check!(raw & hook_bits(entry) != 0);
                }
            }
        }
        Ok(())
    }

    /// Nothing is lost: kept, collision and dropped bits add up to the raw
    /// value at both entries, over a spread of 64-bit patterns.
    pub fn sanitize_at_loses_nothing() -> Outcome {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1024 {
            let raw = xorshift64(&mut x);
            for entry in [Entry::Npf, Entry::Pf] {
                let s = sanitize_at(raw, entry);
                check_eq!(s.code.bits() | s.collision.bits() | s.dropped, raw);
                check_eq!(s.code.bits() & s.collision.bits(), 0u64);
                check_eq!(s.code.bits() & s.dropped, 0u64);
                check_eq!(s.collision.bits() & s.dropped, 0u64);
            }
        }
        Ok(())
    }
}
