#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build rust/kvm_pfec.ko against the kvm-pfec kernel tree.  Extra arguments
# go to make, e.g. `scripts/module.sh CLIPPY=1` or `scripts/module.sh clean`.
set -euo pipefail
STAGE=module
. "$(dirname "$0")/lib.sh"
need_setup

KDIR=$(kernel_dir)
MDIR=$(module_dir)
[ -f "$KDIR/Module.symvers" ] || die "no built kernel at $KDIR: run scripts/kernel.sh (make kernel) first"
if [ "$MDIR" != "$KVM_PFEC_TOP" ]; then
	mkdir -p "$MDIR"
	# Sources only; --delete leaves excluded files, Kbuild's output, alone.
	rsync -a --delete --include='*/' --include='*.rs' --include=Kbuild --exclude='*' \
		"$KVM_PFEC_TOP/Kbuild" "$KVM_PFEC_TOP/rust" "$MDIR/"
fi
make -C "$KDIR" -s M="$MDIR" "${KMAKE_VARS[@]}" "${@:-modules}"
[ $# -gt 0 ] || say "built $MDIR/rust/kvm_pfec.ko"
