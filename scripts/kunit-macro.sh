#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 6.12's #[kunit_tests] (patch 0005 of the 6.12 series) is ours, written
# without syn: check what it promises by expanding it on the host with the
# tree's own macros crate.  A module with a test and a test that a #[cfg]
# leaves out becomes a suite of two cases, the left-out one reported
# skipped without running; the module exists only with CONFIG_KUNIT=y; a
# suite name over 255 bytes fails the build.  (7.3's attribute is
# upstream's.)
set -euo pipefail
STAGE=kunit-macro
. "$(dirname "$0")/lib.sh"

KDIR=$(kernel_dir)
[ -f "$KDIR/rust/macros/kunit.rs" ] || die "no rust/macros/kunit.rs in $KDIR: run scripts/kernel.sh first"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rustc --edition 2021 --crate-type proc-macro --extern proc_macro --crate-name macros \
	-o "$tmp/libmacros.so" "$KDIR/rust/macros/lib.rs"

# expand NAME [CFG...]: the expanded sample.  rustc then fails to resolve
# ::kernel, which this crate lacks, and prints the kernel crate's macros
# unexpanded (as errors): what the VM's KUnit run checks, not this.
expand() {
	local name=$1
	shift
	cat >"$tmp/t.rs" <<EOF
#[macros::kunit_tests($name)]
mod tests {
    #[test]
    fn runs() {}

    #[cfg(CONFIG_OFF)]
    #[test]
    fn left_out() {}
}
EOF
	RUSTC_BOOTSTRAP=1 rustc --edition 2021 --crate-type lib -Zunpretty=expanded "$@" \
		--extern macros="$tmp/libmacros.so" "$tmp/t.rs" 2>&1 || true
}

fail() { echo "$1"; printf '%s\n' "$out"; exit 1; }

out=$(expand sample --cfg 'CONFIG_KUNIT="y"')
# One wrapper per test, as its own paragraph: from its fn to the next item.
wrapper() { awk -v f="fn kunit_rust_wrapper_$1(" 'index($0, f) { p = 1 } p && /^    (static|unsafe extern|fn) / && !index($0, f) { p = 0 } p' <<<"$out"; }
runs=$(wrapper runs) left=$(wrapper left_out)
grep -q 'kunit_status_KUNIT_SUCCESS' <<<"$runs" || fail "the wrapper of a test does not pass it"
grep -q 'kunit_status_KUNIT_SKIPPED' <<<"$left" || fail "a test left out by #[cfg] is not reported skipped"
! grep -q 'KUNIT_SUCCESS' <<<"$left" || fail "a test left out by #[cfg] still runs"
grep -q 'kunit_case; 3]' <<<"$out" || fail "the suite does not hold two cases and the terminator"
grep -q 'kunit_rust_wrapper_runs)' <<<"$out" && grep -q 'kunit_rust_wrapper_left_out)' <<<"$out" ||
	fail "the suite's cases are not the two wrappers"

out=$(expand sample)
! grep -q 'mod tests' <<<"$out" || fail "the module exists without CONFIG_KUNIT=y"

out=$(expand "$(printf 'a%.0s' {1..256})" --cfg 'CONFIG_KUNIT="y"')
grep -q 'cannot exceed the maximum length of 255 bytes' <<<"$out" ||
	fail "a suite name of 256 bytes does not fail the build"
echo "6.12's #[kunit_tests]: cases, a skipped #[cfg] case, CONFIG_KUNIT, the 255-byte limit"
