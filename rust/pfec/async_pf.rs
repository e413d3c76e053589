// SPDX-License-Identifier: GPL-2.0

//! Async #PF signalled through the error code (seed 003).
//!
//! KVM tells a paravirtual guest "the page you touched is not present yet,
//! run something else" by injecting a #PF whose CR2 holds a token.  How the
//! guest tells that #PF from a real one is the protocol:
//!
//! - **Reason flag** (what KVM and Linux did): KVM writes
//!   `KVM_PV_REASON_PAGE_NOT_PRESENT` into shared memory; the guest's #PF
//!   handler reads and clears it, and takes CR2 as the token if it was set.
//!   An NMI before that read whose handler takes a real #PF sees the flag
//!   meant for the async one: the real #PF is taken as async, and the async
//!   one, which finds the flag cleared, as a real #PF at a squashed CR2.
//! - **Marker and busy flag** (seed 003's proposal): KVM injects the #PF
//!   with an error code no hardware produces ([`ASYNC_PF_MARKER`]).  The
//!   error code is pushed on the handler's own stack, so a nested #PF cannot
//!   change it.  CR2 can still be squashed, so the token travels in memory,
//!   guarded by a busy flag that the guest clears once it has read the
//!   token, and KVM injects no new async #PF while it is set.
//!
//! [`explore`] runs every interleaving of these events, up to a bound:
//! KVM injects "page not present" (token), an NMI arrives, the NMI handler
//! takes a real #PF (squashing CR2), a handler takes one step (reads the
//! flag, CR2, the error code or the token slot; acks), KVM injects "page
//! ready" (token).  In every final state it checks that each token was
//! received once and readied once, and that no #PF was taken for what it
//! was not.
//!
//! Which markers are impossible:
//! - VMX injects an exception error code only if bits 31:16 are zero (SDM
//!   vol. 3, 27.2.1.3, VM-entry event injection), so a marker fits in 16
//!   bits.  SVM's EVENTINJ takes any 32-bit error code.
//! - No hardware #PF error code has RSVD set and P clear: a reserved-bit
//!   violation is found in a present paging-structure entry, so RSVD implies
//!   P (SDM vol. 3, 4.7; APM vol. 2, 8.4.2).  Bits 14:8 are undefined by
//!   both vendors as well.
//! - [`ASYNC_PF_MARKER`] = 0xaaaa has RSVD (bit 3) set, P (bit 0) clear and
//!   undefined bits 9, 11 and 13 set: impossible from hardware on both, and
//!   injectable on both.

/// The async #PF marker error code: "a is for async".
pub const ASYNC_PF_MARKER: u32 = 0xaaaa;

use crate::pfec::error_code::hw;

const PFERR_PRESENT: u32 = hw::PRESENT as u32;
const PFERR_RSVD: u32 = hw::RSVD as u32;

/// Whether no hardware can produce `error_code` as a #PF error code, and
/// VMX can still inject it (see the module documentation).
#[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
pub const fn is_impossible_from_hardware(error_code: u32) -> bool {
    let injectable = error_code >> 16 == 0;
    let rsvd_without_present = error_code & PFERR_RSVD != 0 && error_code & PFERR_PRESENT == 0;
    injectable && rsvd_without_present
}

/// What a #PF's error code says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PfKind {
    /// KVM's async "page not present": the token is in the shared slot.
    Async,
    /// A #PF from hardware.
    Regular,
}

/// Classifies a #PF by its error code, under the marker protocol.
pub const fn classify(error_code: u32) -> PfKind {
    if error_code == ASYNC_PF_MARKER {
        PfKind::Async
    } else {
        PfKind::Regular
    }
}

/// The shared-memory slot of the marker protocol: the token and the busy
/// flag, as one `u64` (token in bits 31:0, busy in bit 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSlot {
    /// The token of the last "page not present".
    pub token: u32,
    /// Set by KVM with the token, cleared by the guest once it read it.
    pub busy: bool,
}

#[cfg_attr(all(kvm_pfec_kernel, not(kvm_pfec_test)), expect(dead_code))]
impl TokenSlot {
    /// The slot's memory layout.
    pub const fn to_raw(self) -> u64 {
        self.token as u64 | ((self.busy as u64) << 32)
    }

    /// The slot from its memory layout; other bits are ignored.
    pub const fn from_raw(raw: u64) -> Self {
        Self {
            token: raw as u32,
            busy: raw & (1 << 32) != 0,
        }
    }
}

#[cfg(any(test, kvm_pfec_test))]
pub mod model;

/// Test cases, run by `cargo test` and, with fewer tokens, by KUnit.
#[cfg(any(test, kvm_pfec_test))]
pub mod cases {
    use super::model::*;
    use super::*;
    use crate::pfec::check::{check, check_eq};
    use crate::pfec::check::{Outcome, IN_KERNEL};

    fn tokens() -> u32 {
        if IN_KERNEL {
            2
        } else {
            3
        }
    }

    /// The reason flag races with an NMI: some interleaving takes the NMI
    /// handler's real #PF as async, and some loses a token.
    pub fn reason_flag_protocol_races() -> Outcome {
        let r = explore(Protocol::ReasonFlag, tokens());
        check!(r.runs > 0);
        check!(r.misclassified > 0);
        check!(r.lost > 0);
        // Already with a single token.
        check!(
            explore(Protocol::ReasonFlag, 1)
                == Report {
                    runs: 11,
                    misclassified: 2,
                    lost: 4
                }
        );
        if !IN_KERNEL {
            check!(
                r == Report {
                    runs: 6611,
                    misclassified: 4818,
                    lost: 6446
                }
            );
        }
        Ok(())
    }

    /// The marker alone never misclassifies, but a squashed CR2 loses the
    /// token: the busy flag and the slot are needed too (seed 003).
    pub fn marker_without_busy_flag_loses_tokens() -> Outcome {
        let r = explore(Protocol::MarkerOnly, tokens());
        check!(r.runs > 0);
        check_eq!(r.misclassified, 0u64);
        check!(r.lost > 0);
        if !IN_KERNEL {
            check!(
                r == Report {
                    runs: 640,
                    misclassified: 0,
                    lost: 217
                }
            );
        }
        Ok(())
    }

    /// Marker plus busy flag: in every interleaving each token is received
    /// once and readied once, and no #PF is taken for what it is not.
    pub fn marker_with_busy_flag_is_correct() -> Outcome {
        let r = explore(Protocol::MarkerBusy, tokens());
        check!(r.runs > 0);
        check_eq!(r.misclassified, 0u64);
        check_eq!(r.lost, 0u64);
        if !IN_KERNEL {
            check_eq!(r.runs, 850u64);
        }
        Ok(())
    }

    /// The classifier: of all 16-bit error codes, only the marker is async;
    /// the marker is impossible from hardware and injectable on VMX; every
    /// code hardware can produce from the defined bits is regular.
    pub fn classifier() -> Outcome {
        check!(is_impossible_from_hardware(ASYNC_PF_MARKER));
        let mut asyncs = 0u32;
        for code in 0..=0xffffu32 {
            if classify(code) == PfKind::Async {
                asyncs += 1;
                check_eq!(code, ASYNC_PF_MARKER);
            }
            // Hardware codes: defined bits only (P, W, U, RSVD, I/D, PK, SS,
            // HLAT, SGX), RSVD only with P.
            let defined = code & !(hw::PF_DEFINED_MASK as u32) == 0;
            let consistent = code & PFERR_RSVD == 0 || code & PFERR_PRESENT != 0;
            if defined && consistent {
                check!(classify(code) == PfKind::Regular);
                check!(!is_impossible_from_hardware(code));
            }
        }
        check_eq!(asyncs, 1u32);
        check!(!is_impossible_from_hardware(ASYNC_PF_MARKER | (1 << 16)));
        Ok(())
    }

    /// The slot's layout round-trips, token in bits 31:0, busy in bit 32.
    pub fn token_slot_layout() -> Outcome {
        for slot in [
            TokenSlot {
                token: 0,
                busy: false,
            },
            TokenSlot {
                token: 1,
                busy: true,
            },
            TokenSlot {
                token: u32::MAX,
                busy: true,
            },
            TokenSlot {
                token: 0x1234_5678,
                busy: false,
            },
        ] {
            check!(TokenSlot::from_raw(slot.to_raw()) == slot);
        }
        check_eq!(
            TokenSlot {
                token: 7,
                busy: true
            }
            .to_raw(),
            (1u64 << 32) | 7
        );
        check!(
            TokenSlot::from_raw(u64::MAX)
                == TokenSlot {
                    token: u32::MAX,
                    busy: true
                }
        );
        Ok(())
    }
}
