#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The build refuses a module that takes KVM's policy API without the
# series' leave, on the kernel KVM_PFEC_KERNEL names: this builds copies of
# kvm_pfec.ko's sources that differ from it in one way each, and checks
# that modpost refuses each for using kvm_pfec_register(), and on nothing
# else.
#   6.12 (exports in symbol namespaces): the module without its
#        imports_ns: ["KVM_PFEC"];
#   7.3 (exports to kvm_pfec* modules by name): the module built as
#        other_policy.ko (modpost names a module by its file).
# The unchanged copy must build, so a failure is the change's.
set -euo pipefail
STAGE=export-scope
. "$(dirname "$0")/lib.sh"
need_setup

KDIR=$(kernel_dir)
[ -f "$KDIR/Module.symvers" ] || die "no built kernel at $KDIR: run scripts/kernel.sh first"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# build DIR: builds kvm_pfec.ko alone from DIR's copy; its output in DIR/out.
build() {
	make -C "$KDIR" -s M="$1" "${KMAKE_VARS[@]}" modules >"$1/out" 2>&1
}

copy() {
	mkdir -p "$tmp/$1"
	rsync -a --include='*/' --include='*.rs' --exclude='*' "$KVM_PFEC_TOP/rust" "$tmp/$1/"
	# The project's Kbuild, for kvm_pfec.ko alone: the test modules have
	# the same module! lines, and one module shows it.
	sed 's|^obj-m := .*|obj-m := rust/kvm_pfec.o|' "$KVM_PFEC_TOP/Kbuild" >"$tmp/$1/Kbuild"
	grep -q '^obj-m := rust/kvm_pfec.o$' "$tmp/$1/Kbuild" || die "no obj-m line in Kbuild"
}

copy unchanged
build "$tmp/unchanged" || { cat "$tmp/unchanged/out"; die "the unchanged copy does not build"; }

copy changed
src=$tmp/changed/rust/kvm_pfec.rs
case $KVM_PFEC_KERNEL in
6.12)
	grep -q '^    imports_ns: \["KVM_PFEC"\],$' "$src" || die "no imports_ns line in $src"
	sed -i '/^    imports_ns: \["KVM_PFEC"\],$/d' "$src"
	what='without imports_ns: ["KVM_PFEC"]'
	want='uses symbol kvm_pfec_register from namespace KVM_PFEC, but does not import it'
	;;
7.3)
	grep -q '^    name: "kvm_pfec",$' "$src" || die "no name line in $src"
	sed -i 's/^    name: "kvm_pfec",$/    name: "other_policy",/' "$src"
	mv "$src" "$tmp/changed/rust/other_policy.rs"
	sed -i 's|^obj-m := rust/kvm_pfec.o$|obj-m := rust/other_policy.o|' "$tmp/changed/Kbuild"
	what='other_policy.ko'
	want="rust/other_policy.ko: module uses symbol 'kvm_pfec_register' from namespace 'module:kvm-amd,kvm-intel,kvm_pfec*', but does not import it"
	;;
esac
if build "$tmp/changed"; then
	echo "the module $what built: the policy API is open to it"
	exit 1
fi
errors=$(grep -E 'ERROR: ' "$tmp/changed/out" || true)
grep -q -F -- "$want" <<<"$errors" || {
	printf 'the module %s failed, but not for kvm_pfec_register:\n' "$what"
	cat "$tmp/changed/out"
	exit 1
}
echo "modpost refuses the module $what:"
echo "$errors"
