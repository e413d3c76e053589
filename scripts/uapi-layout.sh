#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every VMM's generated bindings keep working: runs bindgen, as rust-vmm's
# kvm-bindings, crosvm, Firecracker and cloud-hypervisor do, over the uAPI
# <linux/kvm.h> of the unpatched and of the patched tree (KVM_PFEC_KERNEL),
# both as `make headers_install` gives them to userspace, and checks with
# scripts/uapi-layout.py that every member of struct kvm_run keeps its path
# (e.g. run.__bindgen_anon_1.io.port) and its offset.  The series may add
# members, never move one.
#
# Needs the tree's installed headers (usr/include), which scripts/selftests.sh
# makes, for the headers the series leaves alone.
set -euo pipefail
STAGE=uapi-layout
. "$(dirname "$0")/lib.sh"

kdir=$(kernel_dir) || die "no Linux $KVM_PFEC_KERNEL tree: run scripts/kernel.sh first"
[ -f "$kdir/usr/include/linux/kvm.h" ] ||
	die "$kdir/usr/include has no linux/kvm.h: run scripts/selftests.sh (make headers_install) first"
[ -x "$kdir/scripts/unifdef" ] || die "$kdir/scripts/unifdef is not built"
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm${LLVM_SUFFIX}/lib}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Both views: the installed headers, with every uAPI header that the series
# changes installed as the pristine tree (old) and the series (new) have it,
# so that neither depends on when headers_install last ran.
changed=$(git -C "$kdir" diff --name-only pristine..HEAD -- include/uapi arch/x86/include/uapi)
echo "uAPI headers the series changes: ${changed:-none}"
for v in old new; do
	rev=pristine
	[ "$v" = old ] || rev=HEAD
	cp -r "$kdir/usr/include" "$tmp/$v"
	for f in $changed; do
		rel=${f#include/uapi/}
		rel=${rel#arch/x86/include/uapi/}
		if git -C "$kdir" cat-file -e "$rev:$f" 2>/dev/null; then
			git -C "$kdir" show "$rev:$f" >"$tmp/in.h"
			(cd "$kdir" && scripts/headers_install.sh "$tmp/in.h" "$tmp/$v/$rel")
		else
			rm -f "$tmp/$v/$rel"
		fi
	done
	"$BINDGEN" "$tmp/$v/linux/kvm.h" --allowlist-type kvm_run -- -I"$tmp/$v" >"$tmp/$v.rs" ||
		die "bindgen failed on the $v uAPI"
done
python3 "$KVM_PFEC_TOP/scripts/uapi-layout.py" kvm_run "$tmp/old.rs" "$tmp/new.rs"
