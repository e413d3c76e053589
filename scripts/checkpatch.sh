#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's checkpatch.pl on our patch series (kernel/patches/).
# Known and accepted: "does MAINTAINERS need updating?" (the series adds
# files, and is out of tree) and "EXPORT_SYMBOL(foo); should immediately
# follow its function/variable" on DEFINE_STATIC_KEY_FALSE()'s export, a
# checkpatch false positive that upstream's own x86.c shares.
set -euo pipefail
STAGE=checkpatch
. "$(dirname "$0")/lib.sh"
need_setup

KDIR=$(kernel_dir)
[ -x "$KDIR/scripts/checkpatch.pl" ] || die "no kernel tree: run scripts/kernel.sh first"
patches=("$KVM_PFEC_TOP"/kernel/patches/*.patch)
# Debian's python3 has ply and git for the SPDX check; a pyenv one may not.
out=$(cd "$KDIR" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict "${patches[@]}" 2>&1) || true
printf '%s\n' "$out"

# checkpatch.pl exits non-zero on warnings too, so judge by its report: every
# patch checked, no error, and no warning or check but the accepted ones.
ACCEPTED='added, moved or deleted file\(s\), does MAINTAINERS need updating\?|EXPORT_SYMBOL\(foo\); should immediately follow its function/variable'
checked=$(grep -c '^total: 0 errors' <<<"$out" || true)
[ "$checked" -eq ${#patches[@]} ] ||
	die "checkpatch: $checked of ${#patches[@]} patches checked without errors"
unaccepted=$(grep -E '^(WARNING|CHECK):' <<<"$out" | grep -v -E "$ACCEPTED" || true)
[ -z "$unaccepted" ] || die "checkpatch: not accepted: $unaccepted"
say "checkpatch: ${#patches[@]} patches, no errors, only the accepted warnings"
