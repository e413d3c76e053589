#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs of the L2 Linux guest (scripts/l2/init.c as /init)
# that scripts/guest/l2.sh boots with qemu on KVM inside the VM.  The L2
# kernel is our own bzImage.  Incremental: nothing is rebuilt when init.c
# has not changed.
#
# Usage: scripts/l2.sh [--print-path]   (the path of the initramfs)
set -euo pipefail
STAGE=l2
. "$(dirname "$0")/lib.sh"
need_setup

KDIR=$(kernel_dir)
OUT=$KVM_PFEC_CACHE/l2
CPIO=$OUT/initramfs.cpio
if [ "${1:-}" = --print-path ]; then
	echo "$CPIO"
	exit 0
fi
GEN=$KDIR/usr/gen_init_cpio
[ -x "$GEN" ] || die "no $GEN: build the kernel first (scripts/kernel.sh)"
SRC=$KVM_PFEC_TOP/scripts/l2/init.c

mkdir -p "$OUT"
if [ "$CPIO" -nt "$SRC" ] && [ "$CPIO" -nt "$GEN" ]; then
	say "L2 initramfs up to date ($CPIO)"
	exit 0
fi
# Static: the initramfs has no libc.
gcc -static -O2 -Wall -Wextra -Werror -o "$OUT/init" "$SRC"
# The kernel's own tool, so no root is needed for the device node.
cat >"$OUT/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
file /init $OUT/init 0755 0 0
LIST
"$GEN" "$OUT/initramfs.list" >"$CPIO.tmp"
mv "$CPIO.tmp" "$CPIO"
say "L2 initramfs built: $CPIO ($(du -k "$CPIO" | cut -f1) KiB)"
