#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The series must not break another architecture's CONFIG_RUST=y build: the
# Rust bindings (rust/bindings/bindings_helper.h) and helpers are shared by
# every architecture, and ours include x86-only KVM headers.  Builds the
# kernel's Rust crates (make rust/) for arm64, with KVM and Rust on, from
# the same patched tree: a git worktree of it in the cache, built in place
# with the same LLVM toolchain.  About 1.5 minutes the first time, seconds
# after.
#
# Usage: scripts/cross-check.sh
set -euo pipefail
STAGE=cross-check
. "$(dirname "$0")/lib.sh"
need_setup

KDIR=$(kernel_dir)
git -C "$KDIR" rev-parse -q --verify HEAD >/dev/null || die "no kernel tree: run scripts/kernel.sh first"
head=$(git -C "$KDIR" rev-parse HEAD)
SRC=$KDIR-arm64
LOG=$(log_dir)/cross-check.log
mkdir -p "$(dirname "$LOG")"

if ! git -C "$SRC" rev-parse -q --verify HEAD >/dev/null 2>&1; then
	say "making an arm64 worktree of the kernel tree in $SRC"
	rm -rf "$SRC"
	git -C "$KDIR" worktree prune
	git -C "$KDIR" worktree add -q --detach "$SRC" "$head"
elif [ "$(git -C "$SRC" rev-parse HEAD)" != "$head" ]; then
	git -C "$SRC" checkout -q --detach "$head"
fi

kmake() {
	make -C "$SRC" -s ARCH=arm64 "${KMAKE_VARS[@]}" "$@"
}
{
	if [ ! -f "$SRC/.config" ]; then
		kmake defconfig
		"$SRC/scripts/config" --file "$SRC/.config" -e RUST -e KVM \
			-d MODVERSIONS -d DEBUG_INFO_BTF
		kmake olddefconfig
	fi
	grep -q '^CONFIG_RUST=y' "$SRC/.config" && grep -q '^CONFIG_KVM=y' "$SRC/.config" ||
		{ echo "arm64 config lacks CONFIG_RUST=y or CONFIG_KVM=y"; exit 1; }
	kmake -j"$(nproc)" rust/
} >"$LOG" 2>&1 || { tail -n 20 "$LOG" >&2; die "the arm64 Rust build failed (log: $LOG)"; }
say "arm64, CONFIG_RUST=y and CONFIG_KVM=y: the Rust crates build with the series"
