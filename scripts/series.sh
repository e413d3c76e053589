#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make series`: each kernel base's patch series as upstream would review
# it: its cover letter's subject, its diffstat against Debian's pristine
# tree, and checkpatch's verdict (scripts/checkpatch.sh).  Fails if either
# series does not pass checkpatch.  KERNEL= picks one series.
set -uo pipefail
STAGE=series
chosen=${KVM_PFEC_KERNEL:-}
. "$(dirname "$0")/lib.sh"

kernels=("${KVM_PFEC_KERNELS[@]}")
[ -z "$chosen" ] || kernels=("$chosen")
rc=0
for k in "${kernels[@]}"; do
	(
		export KVM_PFEC_KERNEL=$k
		. "$KVM_PFEC_TOP/scripts/lib.sh"
		need_setup
		kdir=$(kernel_dir)
		bash "$KVM_PFEC_TOP/scripts/kernel.sh" --apply >/dev/null ||
			die "kernel/$k/patches does not apply"
		echo "== Linux $k: kernel/$k/patches, on Debian's linux-source-$k $(kernel_version)"
		sed -n 's/^Subject: //p' "$KERNEL_SRC/patches/0000-cover-letter.patch"
		git -C "$kdir" log --reverse --format='  %s' pristine..HEAD
		git -C "$kdir" diff --stat=72 pristine HEAD | sed 's/^/ /'
		if out=$(bash "$KVM_PFEC_TOP/scripts/checkpatch.sh" 2>&1); then
			echo "checkpatch: $(tail -n 1 <<<"$out" | sed 's/^\[[^]]*\] //; s/^checkpatch: //')"
		else
			printf '%s\n' "$out" | tail -n 15
			echo "checkpatch: FAILED"
			exit 1
		fi
		echo
	) || rc=1
done
exit $rc
