#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build pfec-vmm (vmm/), the VMM on rust-vmm's kvm-ioctls that
# scripts/guest/check.sh and scripts/guest/demo.sh run inside the VM, with
# the host's cargo and the crates that vmm/Cargo.lock pins.  Incremental.
#
# Usage: scripts/vmm.sh [--print-path | --clippy]
#   --print-path  the binary's path
#   --clippy      clippy over it, warnings as errors, and rustfmt --check
set -euo pipefail
STAGE=vmm
. "$(dirname "$0")/lib.sh"

export CARGO_TARGET_DIR=$KVM_PFEC_CACHE/vmm
BIN=$CARGO_TARGET_DIR/release/pfec-vmm
MANIFEST=$KVM_PFEC_TOP/vmm/Cargo.toml
case ${1:-} in
--print-path)
	echo "$BIN"
	exit 0
	;;
--clippy)
	cargo clippy --quiet --locked --release --manifest-path "$MANIFEST" -- -D warnings
	cargo fmt --check --manifest-path "$MANIFEST"
	exit 0
	;;
'') ;;
*) die "usage: scripts/vmm.sh [--print-path | --clippy]" ;;
esac
say "building pfec-vmm (kvm-ioctls $(sed -n '/^name = "kvm-ioctls"/{n;s/version = "\(.*\)"/\1/p}' "$KVM_PFEC_TOP/vmm/Cargo.lock"))"
cargo build --quiet --locked --release --manifest-path "$MANIFEST"
say "pfec-vmm built: $BIN"
