// SPDX-License-Identifier: GPL-2.0

//! kvm-pfec decision microbenchmark.
//!
//! Loaded by `make bench` (`scripts/guest/bench.sh`): times the module's Rust
//! decisions against upstream KVM's C for the same inputs, in the same boot,
//! logs ns per call and the ratio, and stays loaded until removed.
//!
//! Both sides are called out of line, as in the fault path, where KVM calls
//! the module through a function pointer and upstream's C through its own
//! call: the Rust ones through `#[inline(never)]` wrappers, the C ones are
//! the exported oracle functions.

use core::hint::black_box;
use kernel::kvm::{oracle, ErrorCodeSource, PrivateSite, VmType};
use kernel::prelude::*;
use pfec::check::xorshift64;
use pfec::error_code::{sanitize_at, Entry};
use pfec::private::{decide, KvmFault, Site, VmKind};

// The same pure logic as kvm_pfec.ko; the benchmark uses only part of it,
// and not the case list, which a kernel with KUnit leaves unused here but
// one without it expects to be unused: `allow`, since `expect` would fail in
// one of the two.
#[allow(dead_code, unreachable_pub, unused_macros, unused_imports)]
mod pfec;

module! {
    type: KvmPfecBench,
    name: "kvm_pfec_bench",
    description: "kvm-pfec decision microbenchmark",
    license: "GPL",
    // KVM's policy API: in this namespace on 6.12; later kernels export it
    // to kvm_pfec* modules by name, and no symbol there is in it.
    imports_ns: ["KVM_PFEC"],
}

/// Calls per measurement.
const CALLS: u32 = 1 << 20;
/// Distinct inputs, cycled through: enough to defeat branch prediction of a
/// single pattern, few enough for the stack.
const INPUTS: usize = 256;

struct KvmPfecBench;

fn inputs() -> [u64; INPUTS] {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut v = [0; INPUTS];
    for e in v.iter_mut() {
        let x = xorshift64(&mut x);
        // Mostly ordinary codes: the low bits and RSVD vary, now and then a
        // synthetic bit, as the decisions see them.
        *e = (x & 0x1f) | (((x >> 20) & 1) << 49);
    }
    v
}

/// Picoseconds per call of `f` over the inputs.
fn time(inputs: &[u64; INPUTS], f: impl Fn(u64) -> u64) -> u64 {
    let mut acc = 0u64;
    let start = kernel::kvm::monotonic_ns();
    for i in 0..CALLS {
        acc ^= f(black_box(inputs[i as usize % INPUTS]));
    }
    let ns = kernel::kvm::monotonic_ns() - start;
    black_box(acc);
    (ns * 1000) / u64::from(CALLS)
}

#[inline(never)]
fn rust_sanitize(raw: u64) -> u64 {
    let s = sanitize_at(raw, Entry::Npf);
    s.code.bits() ^ u64::from(s.warns())
}

#[inline(never)]
fn c_sanitize(raw: u64) -> u64 {
    let (code, warns) = oracle::hw_error_code(raw, ErrorCodeSource::Npf);
    code ^ u64::from(warns)
}

#[inline(never)]
fn rust_private(raw: u64) -> u64 {
    let attr = raw & 1 != 0;
    decide(
        KvmFault::from_kvm(raw),
        VmKind::SwProtected,
        Site::PageFault,
        || attr,
    )
    .map(|d| d.code().to_kvm())
    .unwrap_or(u64::MAX)
}

#[inline(never)]
fn c_private(raw: u64) -> u64 {
    oracle::private_access(
        raw,
        VmType::SwProtected as u8,
        raw & 1 != 0,
        PrivateSite::PageFault,
    )
}

/// Prints one comparison; the ratio in thousandths.
fn report(what: &str, rust_ps: u64, c_ps: u64) {
    let ratio = rust_ps * 1000 / c_ps.max(1);
    pr_info!(
        "{}: rust {}.{:03} ns/call, C {}.{:03} ns/call, ratio {}.{:03}\n",
        what,
        rust_ps / 1000,
        rust_ps % 1000,
        c_ps / 1000,
        c_ps % 1000,
        ratio / 1000,
        ratio % 1000
    );
}

impl kernel::Module for KvmPfecBench {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let inputs = inputs();
        // Alternate, and keep the better of two rounds of each, so a
        // one-off stall does not decide the ratio.
        let mut best = [u64::MAX; 4];
        for _ in 0..2 {
            best[0] = best[0].min(time(&inputs, rust_sanitize));
            best[1] = best[1].min(time(&inputs, c_sanitize));
            best[2] = best[2].min(time(&inputs, rust_private));
            best[3] = best[3].min(time(&inputs, c_private));
        }
        report("decision sanitize (#NPF)", best[0], best[1]);
        report("decision private access", best[2], best[3]);
        Ok(KvmPfecBench)
    }
}
