// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of `kvm_pfec_test.ko`, run when it loads.
//!
//! - `kvm_pfec_<suite>`: every case of [`crate::pfec::check::for_each_case!`], the same
//!   cases `cargo test` runs on the host.
//! - `kvm_pfec_oracle`: the module's decisions against upstream KVM's C
//!   code, which the kernel exports as `kernel::kvm::oracle`, over every
//!   combination of the error-code bits that the decisions read, every VM
//!   type and both attribute states.
//! - `kvm_pfec_nested`: the `nested_pf_filter` hook's glue against seed
//!   004's merge.
//! - `kvm_pfec_layout`: the split memory-fault layout of
//!   [`crate::pfec::memory_fault`] against the real `struct kvm_run`.
//! - `kvm_pfec_registration`: leaks a registration, as safe code may, for
//!   the guest scripts to show that KVM ends it when this module goes.  It
//!   needs no other policy registered: load this module without
//!   `kvm_pfec.ko`.

use crate::pfec::check::{check, check_eq};
use crate::pfec::check::{combinations, Outcome};
use crate::pfec::error_code::{hw, PFERR_IMPLICIT_ACCESS, PFERR_PRIVATE_ACCESS};
use crate::pfec::private::RsvdPrivate;
use kernel::kvm::{
    layout, oracle, ErrorCodeSource, HwErrorCode, HwErrorCodeBits, PageFaultHooks, PrivateAccess,
    PrivateSite, Registration, Vcpu, VmType,
};
use kernel::prelude::*;

/// Runs a case: a failure is printed as a KTAP diagnostic, with what
/// failed, where and with which values, before `#[kunit_tests]` marks the
/// case failed.
fn run(case: fn() -> Outcome) -> Outcome {
    // Through `format_args!`, which every kernel's `pr_err!` can print.
    case().inspect_err(|failure| pr_err!("    # {}\n", format_args!("{failure}")))
}

macro_rules! kunit_suites {
    ($($suite:ident: [$($case:ident),* $(,)?]),* $(,)?) => {
        $(kernel::macros::paste! {
            #[kernel::macros::kunit_tests([<kvm_pfec_ $suite>])]
            mod [<$suite _tests>] {
                use crate::pfec::check::Outcome;

                $(
                    #[test]
                    fn $case() -> Outcome {
                        super::run(crate::pfec::$suite::cases::$case)
                    }
                )*
            }
        })*
    };
}

crate::pfec::check::for_each_case!(kunit_suites);

#[kernel::macros::kunit_tests(kvm_pfec_oracle)]
mod oracle_tests {
    use crate::pfec::check::Outcome;

    #[test]
    fn hw_error_code_matches_upstream() -> Outcome {
        super::run(super::hw_error_code_matches_upstream)
    }

    #[test]
    fn private_access_matches_upstream() -> Outcome {
        super::run(super::private_access_matches_upstream)
    }
}

#[kernel::macros::kunit_tests(kvm_pfec_nested)]
mod nested_tests {
    use crate::pfec::check::Outcome;

    #[test]
    fn nested_pf_filter_is_the_merge() -> Outcome {
        super::run(super::nested_pf_filter_is_the_merge)
    }
}

#[kernel::macros::kunit_tests(kvm_pfec_layout)]
mod layout_tests {
    use crate::pfec::check::Outcome;

    #[test]
    fn split_layout_matches_kvm_run() -> Outcome {
        super::run(super::split_layout_matches_kvm_run)
    }
}

#[kernel::macros::kunit_tests(kvm_pfec_registration)]
mod registration_tests {
    use crate::pfec::check::Outcome;

    #[test]
    fn forgotten_registration_ends_with_the_module() -> Outcome {
        super::run(super::forgotten_registration_ends_with_the_module)
    }
}

/// A policy that is only ever leaked.  It asks for no hardware error code,
/// and decides as upstream's C does, so that a VM that runs while it is
/// registered sees no change.
struct Forgotten;

#[vtable]
impl PageFaultHooks for Forgotten {
    const HW_ERROR_CODE_BITS: HwErrorCodeBits = HwErrorCodeBits { npf: 0, pf: 0 };

    fn hw_error_code(_: &Vcpu, error_code: u64, source: ErrorCodeSource) -> HwErrorCode {
        HwErrorCode::from_hw_bits(oracle::hw_error_code(error_code, source).0)
    }

    fn private_access(
        vcpu: &Vcpu,
        cr2_or_gpa: u64,
        error_code: u64,
        site: PrivateSite,
    ) -> Result<PrivateAccess> {
        let vm = vcpu.vm();
        let gfn_private = vm
            .memory_attributes(cr2_or_gpa >> kernel::page::PAGE_SHIFT)
            .is_private();
        let code = oracle::private_access(error_code, vm.vm_type() as u8, gfn_private, site);
        Ok(if code & PFERR_PRIVATE_ACCESS != 0 {
            PrivateAccess::Private
        } else {
            PrivateAccess::Shared
        })
    }
}

/// `core::mem::forget` of a registration is safe code.  The registration
/// names this module, so KVM unregisters the hooks when the module goes,
/// before its text is freed; the guest scripts remove the module and check
/// that KVM said so, and that another policy can register.  Registering
/// fails with `EBUSY` while another policy is registered (`kvm_pfec.ko`, or
/// this case's own from an earlier run of the suite).
fn forgotten_registration_ends_with_the_module() -> Outcome {
    let registration = Registration::<Forgotten>::new(crate::this_module())
        .inspect_err(|e| pr_err!("    # registering failed: {e:?}\n"));
    check!(registration.is_ok());
    if let Ok(registration) = registration {
        core::mem::forget(registration);
    }
    Ok(())
}

fn split_layout_matches_kvm_run() -> Outcome {
    use crate::pfec::memory_fault as mf;
    let [size, record, low_exit_reason, reserved] = layout::exit_union_offsets();
    check_eq!(size as u64, mf::EXIT_UNION_SIZE as u64);
    check_eq!(layout::SPLIT_LOW_SIZE as u64, mf::LOW_SIZE as u64);
    check_eq!(layout::low_exits_size() as u64, mf::LARGEST_EXIT as u64);
    check_eq!(record as u64, mf::MEMORY_FAULT_OFFSET as u64);
    check_eq!(low_exit_reason as u64, mf::LOW_EXIT_REASON_OFFSET as u64);
    check_eq!(reserved as u64, mf::RESERVED_OFFSET as u64);
    Ok(())
}

/// The bits the decisions read (RSVD, and KVM's flags), the ones they pass
/// through (the other hardware bits, SEV-SNP's RMP at 31 among them), and
/// two that nothing defines (47 and 63), so that passing those through is
/// checked too.
const BITS: [u64; 13] = [
    hw::PRESENT,
    hw::WRITE,
    hw::USER,
    hw::RSVD,
    hw::FETCH,
    hw::GUEST_RMP,
    hw::GUEST_FINAL,
    hw::GUEST_PAGE,
    hw::GUEST_ENC,
    1 << 47,
    PFERR_IMPLICIT_ACCESS,
    PFERR_PRIVATE_ACCESS,
    1 << 63,
];

/// Every combination of [`BITS`].
fn patterns() -> impl Iterator<Item = u64> {
    combinations(BITS)
}

/// Every `KVM_X86_*_VM` value either kernel knows (7.3 adds 5, TDX), and
/// one past them.
const VM_TYPES: core::ops::RangeInclusive<u8> = 0..=6;

fn hw_error_code_matches_upstream() -> Outcome {
    for raw in patterns() {
        for source in [ErrorCodeSource::Npf, ErrorCodeSource::Pf] {
            let (code, warns) = oracle::hw_error_code(raw, source);
            let ours = crate::pfec::error_code::sanitize_at(raw, source);
            check_eq!(ours.code.bits(), code);
            check_eq!(ours.warns(), warns);
        }
    }
    Ok(())
}

fn private_access_matches_upstream() -> Outcome {
    for raw in patterns() {
        for raw_type in VM_TYPES {
            let vm_type = VmType::from_raw(raw_type);
            for site in [
                PrivateSite::PageFault,
                PrivateSite::PreFault,
                PrivateSite::SnpNpf,
            ] {
                for gfn_private in [false, true] {
                    let upstream = oracle::private_access(raw, raw_type, gfn_private, site);
                    // Upstream fails a reserved fault tagged private in
                    // kvm_mmu_page_fault(), with -EFAULT; ours fails where it
                    // decides.
                    let upstream_fails =
                        upstream & hw::RSVD != 0 && upstream & PFERR_PRIVATE_ACCESS != 0;
                    match crate::glue::decide(raw, vm_type, site, || gfn_private) {
                        Ok(decision) => {
                            check!(!upstream_fails);
                            // What KVM makes of the hook's answer: the flag set
                            // or cleared, every other bit as it came.
                            let kvm = match crate::glue::private_access(decision) {
                                PrivateAccess::Private => raw | PFERR_PRIVATE_ACCESS,
                                PrivateAccess::Shared => raw & !PFERR_PRIVATE_ACCESS,
                            };
                            check_eq!(kvm, upstream);
                            check_eq!(decision.code().to_kvm(), upstream);
                        }
                        Err(RsvdPrivate) => check!(upstream_fails),
                    }
                }
            }
        }
    }
    Ok(())
}

/// What the `nested_pf_filter` hook's glue hands KVM is seed 004's merge,
/// field for field, for each of KVM's needs against every vmcs12 filter over
/// three bits and against sampled full-width ones (bits 15 and 31 among
/// them): the glue neither swaps the sides (`merge()` is not symmetric where
/// one side exits on nothing: KVM needing nothing against an empty match
/// set), drops or narrows a field, nor inverts EB.PF.
fn nested_pf_filter_is_the_merge() -> Outcome {
    use crate::pfec::check::xorshift64;
    use crate::pfec::vmx_pfec::{merge, L0Need, PfFilter};
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let full_width = core::iter::from_fn(move || {
        let (a, b) = (xorshift64(&mut x), xorshift64(&mut x));
        let spread = (1 << 31) | (1 << 15) | 0xf;
        Some(PfFilter::new(
            a & 1 != 0,
            (a >> 8) as u32 & spread,
            (b >> 8) as u32 & spread,
        ))
    });
    let small = (0..128u32).map(|i| PfFilter::new(i & 1 != 0, (i >> 1) & 7, (i >> 4) & 7));
    for need in [L0Need::Nothing, L0Need::PresentNonRsvd, L0Need::All] {
        let l0 = need.filter();
        for l1 in Iterator::chain(small.clone(), full_width.clone().take(256)) {
            let got = crate::glue::nested_pf_filter(l0.into(), l1.into());
            let want = merge(l0, l1);
            check_eq!(got.eb_pf, want.eb_pf);
            check_eq!(got.mask, want.mask);
            check_eq!(got.match_, want.match_);
        }
    }
    Ok(())
}
