// SPDX-License-Identifier: GPL-2.0

//! Nested VMX: which of L2's #PFs exit, merging L0's and L1's wishes (seed 004).
//!
//! A VMCS filters #PF exits with three fields: bit 14 of the exception bitmap
//! (EB.PF), `PAGE_FAULT_ERROR_CODE_MASK` and `PAGE_FAULT_ERROR_CODE_MATCH`.
//! Intel SDM vol. 3, 26.2: a #PF with error code PFEC causes a VM exit iff
//!
//! ```text
//!     EB.PF == ((PFEC & MASK) == MATCH)
//! ```
//!
//! that is, EB.PF XOR ((PFEC & MASK) != MATCH).  With EB.PF = 1 the exits are
//! a *match set* `{p : p & MASK == MATCH}`; with EB.PF = 0 they are its
//! complement.
//!
//! While L2 runs, vmcs02's filter must let through every #PF that L0 (KVM
//! itself) or L1 (through vmcs12) wants.  Upstream KVM
//! (`prepare_vmcs02_rare()`) takes vmcs12's filter when L0 wants no #PF and
//! otherwise intercepts every #PF (MASK = MATCH = 0, EB.PF = 1), with a TODO
//! to do better.  [`merge`] does better where it can prove it sound:
//!
//! | L0 wants     | L1 wants      | vmcs02                                   | exact? |
//! |--------------|---------------|------------------------------------------|--------|
//! | nothing      | any           | L1's filter                              | yes    |
//! | any          | nothing       | L0's filter                              | yes    |
//! | filter F     | the same F    | F (upstream's TODO)                      | yes    |
//! | match set A  | match set B   | A or B if one holds the other, else the smallest match set holding both | when nested |
//! | not-A        | not-B         | not-(A and B): EB.PF = 0, MASK = MA\|MB, MATCH = mA\|mB; all #PFs if A and B are disjoint | yes |
//! | match set A  | not-B         | not-B if A, B disjoint; else not-C, C = B with one of A's bits flipped | when disjoint |
//!
//! Soundness (every wanted #PF exits) and precision (how many unwanted ones
//! exit) are checked exhaustively in [`cases`].
//!
//! `kvm_pfec.ko` gives KVM this merge through the `nested_pf_filter` hook:
//! `vmx_update_exception_bitmap()` asks for it whenever it sets vmcs02's
//! exception bitmap while L2 is active and KVM needs some #PF exits but not
//! all (EPT with `allow_smaller_maxphyaddr`).  KVM takes
//! the result only if it exits on every #PF that either side's filter exits
//! on.  The models of upstream's merge and of seed 004's sketch, and
//! [`L0Need`], exist for the tests only.

#[cfg(any(test, kvm_pfec_test))]
use crate::pfec::error_code::hw;

/// The #PF error-code bits the SDM defines ([`hw::PF_DEFINED`]), as the
/// 32-bit values VMX's PFEC_MASK and PFEC_MATCH take.
#[cfg(any(test, kvm_pfec_test))]
pub const DEFINED_PFEC_BITS: [u32; 9] = {
    let mut bits = [0; 9];
    let mut i = 0;
    while i < bits.len() {
        bits[i] = hw::PF_DEFINED[i] as u32;
        i += 1;
    }
    bits
};

#[cfg(any(test, kvm_pfec_test))]
const PFERR_PRESENT: u32 = hw::PRESENT as u32;
#[cfg(any(test, kvm_pfec_test))]
const PFERR_RSVD: u32 = hw::RSVD as u32;

/// A VMCS's #PF exit filter: EB.PF, PFEC_MASK and PFEC_MATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PfFilter {
    /// Exception bitmap bit 14.
    pub eb_pf: bool,
    /// `PAGE_FAULT_ERROR_CODE_MASK`.
    pub mask: u32,
    /// `PAGE_FAULT_ERROR_CODE_MATCH`.
    pub match_: u32,
}

impl PfFilter {
    /// Every #PF exits.
    pub const ALL: Self = Self::new(true, 0, 0);
    /// No #PF exits.
    pub const NONE: Self = Self::new(false, 0, 0);

    /// A filter from its three fields.
    pub const fn new(eb_pf: bool, mask: u32, match_: u32) -> Self {
        Self {
            eb_pf,
            mask,
            match_,
        }
    }

    /// Field-for-field equality, usable in `const fn`.
    const fn same_as(self, other: Self) -> bool {
        self.eb_pf == other.eb_pf && self.mask == other.mask && self.match_ == other.match_
    }

    /// Whether a #PF with error code `pfec` causes a VM exit (SDM 26.2).
    pub const fn exits(self, pfec: u32) -> bool {
        self.eb_pf == (pfec & self.mask == self.match_)
    }

    /// Whether no #PF exits: EB.PF = 0 with a match set of everything, or
    /// EB.PF = 1 with an empty match set (MATCH has a bit MASK drops).
    pub const fn is_none(self) -> bool {
        if self.eb_pf {
            self.match_ & !self.mask != 0
        } else {
            self.mask == 0 && self.match_ == 0
        }
    }
}

/// A match set `{p : p & mask == value}`, with `value & !mask == 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MatchSet {
    mask: u32,
    value: u32,
}

impl MatchSet {
    /// The match set of a filter's MASK and MATCH, or `None` if it is empty.
    const fn of(f: PfFilter) -> Option<Self> {
        if f.match_ & !f.mask != 0 {
            None
        } else {
            Some(Self {
                mask: f.mask,
                value: f.match_,
            })
        }
    }

    const fn contains(self, other: Self) -> bool {
        other.mask & self.mask == self.mask && other.value & self.mask == self.value
    }

    const fn disjoint(self, other: Self) -> bool {
        (self.value ^ other.value) & self.mask & other.mask != 0
    }

    /// The smallest match set that holds both.
    const fn hull(self, other: Self) -> Self {
        let mask = self.mask & other.mask & !(self.value ^ other.value);
        Self {
            mask,
            value: self.value & mask,
        }
    }

    /// Both: a match set, since they are not disjoint.
    const fn intersect(self, other: Self) -> Self {
        Self {
            mask: self.mask | other.mask,
            value: self.value | other.value,
        }
    }

    const fn exits(self) -> PfFilter {
        PfFilter::new(true, self.mask, self.value)
    }

    const fn exits_outside(self) -> PfFilter {
        PfFilter::new(false, self.mask, self.value)
    }
}

/// What L0 needs of L2's #PFs, as `vmx_update_exception_bitmap()` sets it for
/// vmcs01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg(any(test, kvm_pfec_test))]
pub enum L0Need {
    /// EPT, same MAXPHYADDR: no #PF.
    Nothing,
    /// EPT with `allow_smaller_maxphyaddr` and a guest MAXPHYADDR below the
    /// host's: present, non-reserved #PFs (MASK = P|RSVD, MATCH = P).
    PresentNonRsvd,
    /// Shadow paging (EPT off): every #PF.
    All,
}

#[cfg(any(test, kvm_pfec_test))]
impl L0Need {
    /// L0's filter.
    pub const fn filter(self) -> PfFilter {
        match self {
            Self::Nothing => PfFilter::NONE,
            Self::PresentNonRsvd => PfFilter::new(true, PFERR_PRESENT | PFERR_RSVD, PFERR_PRESENT),
            Self::All => PfFilter::ALL,
        }
    }
}

/// vmcs02's filter as upstream 6.12 computes it: EB.PF is vmcs01's OR
/// vmcs12's, and MASK = MATCH = 0 whenever L0 wants any #PF.  (KVM's own
/// vmcs01 filters are [`L0Need`]'s, where "wants any" is EB.PF; for any
/// other filter it is "exits on some #PF".)
#[cfg(any(test, kvm_pfec_test))]
pub const fn merge_upstream(l0: PfFilter, l1: PfFilter) -> PfFilter {
    if l0.is_none() {
        l1
    } else {
        PfFilter::ALL
    }
}

/// vmcs02's filter: exits at least where `l0` or `l1` exits, and no more
/// than the table in the module documentation says.
pub const fn merge(l0: PfFilter, l1: PfFilter) -> PfFilter {
    if l0.is_none() {
        return l1;
    }
    if l1.is_none() || l0.same_as(l1) {
        return l0;
    }
    // Neither is empty here, so an EB.PF = 1 side has a match set, and an
    // EB.PF = 0 side's match set is what it lets through; a "let through"
    // set that is empty means that side exits on everything.
    let (a, b) = match (MatchSet::of(l0), MatchSet::of(l1)) {
        (Some(a), Some(b)) => (a, b),
        _ => return PfFilter::ALL,
    };
    match (l0.eb_pf, l1.eb_pf) {
        (true, true) => {
            if a.contains(b) {
                l0
            } else if b.contains(a) {
                l1
            } else {
                a.hull(b).exits()
            }
        }
        (false, false) => {
            if a.disjoint(b) {
                PfFilter::ALL
            } else {
                a.intersect(b).exits_outside()
            }
        }
        (true, false) => exits_on_set_or_outside(a, b),
        (false, true) => exits_on_set_or_outside(b, a),
    }
}

/// A filter exiting on `a`, and on everything outside `b`.
const fn exits_on_set_or_outside(a: MatchSet, b: MatchSet) -> PfFilter {
    if a.disjoint(b) {
        return b.exits_outside();
    }
    // Let through only part of b that misses a: b with one of a's bits that
    // b leaves free set opposite to a's value.
    let free = a.mask & !b.mask;
    if free == 0 {
        // b lies inside a: everything exits.
        return PfFilter::ALL;
    }
    let bit = free & free.wrapping_neg();
    PfFilter::new(false, b.mask | bit, b.value | (!a.value & bit))
}

/// Seed 004's sketch, as written in the mail, including its typo: it
/// compares `pfec_match` with vmcs12's *mask*.  `l0_mask`/`l0_match` are
/// KVM's, `l0_wants` is `kvm_needs_pf_intercept`.  Kept to show that the
/// soundness check catches it.
#[cfg(any(test, kvm_pfec_test))]
pub const fn merge_seed004_sketch(
    l0_wants: bool,
    l0_mask: u32,
    l0_match: u32,
    l1: PfFilter,
) -> PfFilter {
    let eb_pf = l0_wants || l1.eb_pf;
    let (mask, match_) = if !l1.eb_pf {
        (l0_mask, l0_match)
    } else if !l0_wants {
        (l1.mask, l1.match_)
    } else if l0_mask != l1.mask || l0_match != l1.mask {
        (0, 0)
    } else {
        (l0_mask, l0_match)
    };
    PfFilter::new(eb_pf, mask, match_)
}

/// Test cases, run by `cargo test` and, sampled, by KUnit.
#[cfg(any(test, kvm_pfec_test))]
pub mod cases {
    use super::*;
    use crate::pfec::check::{check, check_eq};
    use crate::pfec::check::{combinations, xorshift64, Outcome, IN_KERNEL};

    /// Every error code made of [`DEFINED_PFEC_BITS`].
    fn defined_pfecs() -> impl Iterator<Item = u32> {
        combinations(DEFINED_PFEC_BITS.map(u64::from)).map(|p| p as u32)
    }

    /// Every filter over the low `width` bits.
    fn filters(width: u32) -> impl Iterator<Item = PfFilter> {
        let n = 1u32 << width;
        (0..2 * n * n).map(move |i| PfFilter::new(i & 1 != 0, (i >> 1) % n, (i >> 1) / n))
    }

    /// The first `pfec` for which `merged` misses an exit that `l0` or `l1`
    /// wants.
    fn unsound(
        l0: PfFilter,
        l1: PfFilter,
        merged: PfFilter,
        pfecs: impl Iterator<Item = u32>,
    ) -> Option<u32> {
        pfecs
            .into_iter()
            .find(|&p| (l0.exits(p) || l1.exits(p)) && !merged.exits(p))
    }

    /// #PFs that exit although neither side wants them.
    fn unwanted(
        l0: PfFilter,
        l1: PfFilter,
        merged: PfFilter,
        pfecs: impl Iterator<Item = u32>,
    ) -> u32 {
        pfecs
            .filter(|&p| merged.exits(p) && !l0.exits(p) && !l1.exits(p))
            .count() as u32
    }

    /// The SDM rule, spelled out: EB.PF = 1 exits on matches, EB.PF = 0 on
    /// mismatches; `NONE` and `ALL` are what they say.
    pub fn sdm_exit_rule() -> Outcome {
        let f = PfFilter::new(true, PFERR_PRESENT | PFERR_RSVD, PFERR_PRESENT);
        check!(f.exits(PFERR_PRESENT));
        check!(f.exits(PFERR_PRESENT | (1 << 1)));
        check!(!f.exits(0));
        check!(!f.exits(PFERR_PRESENT | PFERR_RSVD));
        let g = PfFilter { eb_pf: false, ..f };
        for p in defined_pfecs() {
            check_eq!(g.exits(p), !f.exits(p));
            check!(PfFilter::ALL.exits(p));
            check!(!PfFilter::NONE.exits(p));
        }
        check!(PfFilter::NONE.is_none());
        check!(PfFilter::new(true, 1, 2).is_none());
        check!(!PfFilter::ALL.is_none());
        Ok(())
    }

    /// Soundness over every filter pair of a 3-bit width, on every error
    /// code of that width: what either side wants exits.  Upstream's merge
    /// passes too.
    pub fn merge_is_sound_exhaustive_3bit() -> Outcome {
        for l0 in filters(3) {
            for l1 in filters(3) {
                check!(unsound(l0, l1, merge(l0, l1), 0..8).is_none());
                check!(unsound(l0, l1, merge_upstream(l0, l1), 0..8).is_none());
            }
        }
        Ok(())
    }

    /// Soundness for KVM's real needs against every vmcs12 filter built from
    /// the defined bits' low five (P, W, U, RSVD, I/D; four in the kernel),
    /// on every defined error code.  Precision, on the host: for the EPT
    /// need, 43904 unwanted exits where upstream has 393216.
    pub fn merge_for_kvm_needs() -> Outcome {
        let width = if IN_KERNEL { 4 } else { 5 };
        for need in [L0Need::Nothing, L0Need::PresentNonRsvd, L0Need::All] {
            let l0 = need.filter();
            let (mut ours, mut theirs) = (0u32, 0u32);
            for l1 in filters(width) {
                let merged = merge(l0, l1);
                check!(unsound(l0, l1, merged, defined_pfecs()).is_none());
                ours += unwanted(l0, l1, merged, defined_pfecs());
                theirs += unwanted(l0, l1, merge_upstream(l0, l1), defined_pfecs());
            }
            check!(ours <= theirs);
            if need == L0Need::PresentNonRsvd && !IN_KERNEL {
                check_eq!(ours, 43904u32);
                check_eq!(theirs, 393216u32);
            }
        }
        Ok(())
    }

    /// Soundness on random full-width filters and error codes.
    pub fn merge_is_sound_sampled_full_width() -> Outcome {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || xorshift64(&mut x);
        for _ in 0..if IN_KERNEL { 2_000 } else { 20_000 } {
            let (a, b, c) = (next(), next(), next());
            // Sparse masks and matches, so that matches happen.
            let l0 = PfFilter::new(
                a & 1 != 0,
                (a >> 8) as u32 & (b >> 40) as u32,
                (a >> 40) as u32 & (c >> 8) as u32,
            );
            let l1 = PfFilter::new(
                b & 1 != 0,
                (b >> 8) as u32 & (c >> 40) as u32,
                (b >> 40) as u32 & (a >> 16) as u32,
            );
            let m = merge(l0, l1);
            let pfecs = [
                c as u32,
                (c >> 32) as u32,
                l0.match_,
                l1.match_,
                l0.match_ | l1.match_,
            ];
            check!(unsound(l0, l1, m, pfecs.into_iter()).is_none());
        }
        Ok(())
    }

    /// Precision: never more unwanted exits than upstream, over every pair of
    /// a 3-bit width, and fewer in total (1248 against upstream's 13312);
    /// exact (zero unwanted) wherever the module documentation's table says
    /// so.
    pub fn merge_is_never_less_precise_than_upstream() -> Outcome {
        let (mut ours, mut theirs) = (0u32, 0u32);
        for l0 in filters(3) {
            for l1 in filters(3) {
                let u = unwanted(l0, l1, merge(l0, l1), 0..8);
                let v = unwanted(l0, l1, merge_upstream(l0, l1), 0..8);
                check!(u <= v);
                ours += u;
                theirs += v;
                let exact = l0.is_none() || l1.is_none() || l0 == l1 || (!l0.eb_pf && !l1.eb_pf);
                if exact {
                    check_eq!(u, 0u32);
                }
            }
        }
        check_eq!(ours, 1248u32);
        check_eq!(theirs, 13312u32);
        Ok(())
    }

    /// Upstream's TODO: L0 and L1 with the same MASK and MATCH.  KVM's EPT
    /// need against an L1 that wants the same: upstream intercepts every
    /// #PF, the merge exactly the wanted ones.
    pub fn identical_filters_are_reused() -> Outcome {
        let l0 = L0Need::PresentNonRsvd.filter();
        check_eq!(merge(l0, l0) == l0, true);
        check_eq!(merge_upstream(l0, l0) == PfFilter::ALL, true);
        check_eq!(unwanted(l0, l0, merge(l0, l0), defined_pfecs()), 0u32);
        check!(unwanted(l0, l0, merge_upstream(l0, l0), defined_pfecs()) > 0);
        // Any filter, in any of its encodings, comes back as it is.
        for f in filters(3) {
            check!(merge(f, f) == f);
        }
        Ok(())
    }

    /// The checker is not vacuous: seed 004's sketch, with its typo, is
    /// unsound, and the exhaustive search finds where.
    pub fn seed004_sketch_typo_is_caught() -> Outcome {
        let mut found = false;
        for l0 in filters(3).filter(|f| f.eb_pf) {
            for l1 in filters(3) {
                let sketch = merge_seed004_sketch(true, l0.mask, l0.match_, l1);
                if unsound(l0, l1, sketch, 0..8).is_some() {
                    found = true;
                }
            }
        }
        check!(found);
        // The counterexample in words: L0 MASK = MATCH = 1; L1 MASK = 1,
        // MATCH = 0.  The typo makes "same mask and match" true, vmcs02
        // keeps L0's filter, and L1's #PFs with bit 0 clear are lost.
        let l0 = PfFilter::new(true, 1, 1);
        let l1 = PfFilter::new(true, 1, 0);
        let sketch = merge_seed004_sketch(true, 1, 1, l1);
        check_eq!(unsound(l0, l1, sketch, 0..8) == Some(0), true);
        Ok(())
    }
}
