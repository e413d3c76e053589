#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A test case that is written but left out of for_each_case! (the one list
# that cargo test and KUnit run) must not compile silently: in
# kvm_pfec_test.ko, which compiles the pure core privately, it is dead code,
# and the module build (-D warnings, as make check builds it) fails.  This
# builds a copy of the sources with one such case added to a cases module
# and checks that the build fails on it, and only on it.
set -euo pipefail
STAGE=forgotten
. "$(dirname "$0")/lib.sh"
need_setup

KDIR=$(kernel_dir)
[ -f "$KDIR/Module.symvers" ] || die "no built kernel at $KDIR: run scripts/kernel.sh first"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rsync -a --include='*/' --include='*.rs' --include=Kbuild --exclude='*' \
	"$KVM_PFEC_TOP/Kbuild" "$KVM_PFEC_TOP/rust" "$tmp/"
file=$tmp/rust/pfec/memory_fault.rs
grep -q '^pub mod cases {$' "$file" || die "no cases module in $file"
sed -i '/^pub mod cases {$/a\
    /// Written, but not in for_each_case!.\
    pub fn forgotten_case() -> Outcome {\
        Ok(())\
    }' "$file"
if out=$(make -C "$KDIR" -s M="$tmp" "${KMAKE_VARS[@]}" CLIPPY=1 modules 2>&1); then
	echo "the build passed with a case that no runner lists"
	exit 1
fi
errors=$(grep -E '^error: ' <<<"$out" | grep -v -E '^error: aborting' || true)
if [ "$errors" != 'error: function `forgotten_case` is never used' ]; then
	printf 'the build failed, but not (only) on the forgotten case:\n%s\n' "$errors"
	exit 1
fi
echo "the build fails on the forgotten case: $errors"
