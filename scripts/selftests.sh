#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build and install the KVM selftests for the VM run, incrementally:
#   - upstream's, from the kernel tree, as kselftest collection "kvm";
#   - ours (selftests/*.c), with upstream's rules and library, as "kvm-pfec".
# Both go to $KDIR/kselftest_install, which run_kselftest.sh runs.
#
# Usage: scripts/selftests.sh [--print-dir]
set -euo pipefail
STAGE=selftests
. "$(dirname "$0")/lib.sh"
need_setup

KDIR=$(kernel_dir)
INSTALL=$KDIR/kselftest_install
if [ "${1:-}" = --print-dir ]; then
	echo "$INSTALL"
	exit 0
fi
[ -f "$KDIR/.config" ] || die "no configured kernel tree: run scripts/kernel.sh first"
LOGDIR=$(log_dir)
mkdir -p "$LOGDIR"
KVM=$KDIR/tools/testing/selftests/kvm
PFEC_OUT=$KDIR/kselftest_build/kvm-pfec

run_logged "$LOGDIR/headers_install.log" "make headers_install" \
	make -C "$KDIR" "${KMAKE_VARS[@]}" headers_install
# The selftests are userspace, built with the host's gcc like upstream's CI.
run_logged "$LOGDIR/kselftest.log" "building and installing the upstream KVM selftests" \
	make -C "$KDIR/tools/testing/selftests" -j"$(nproc)" TARGETS=kvm \
	INSTALL_PATH="$INSTALL" install
# make goes by timestamps, which do not tell one checkout's sources from
# another's: built from another checkout, our selftests are built again.
if [ "$(cat "$PFEC_OUT/.source" 2>/dev/null)" != "$KVM_PFEC_TOP" ]; then
	rm -rf "$PFEC_OUT"
	mkdir -p "$PFEC_OUT"
	echo "$KVM_PFEC_TOP" >"$PFEC_OUT/.source"
fi
run_logged "$LOGDIR/kvm-pfec-selftests.log" "building the kvm-pfec selftests" \
	make -C "$KVM" -j"$(nproc)" -f Makefile -f "$KVM_PFEC_TOP/selftests/kvm-pfec.mk" \
	OUTPUT="$KVM" PFEC_SRC="$KVM_PFEC_TOP/selftests" PFEC_OUT="$PFEC_OUT" kvm-pfec

# Install ours as collection "kvm-pfec", beside upstream's "kvm".
# (Upstream's CFLAGS have -MD: skip the .d files beside the programs.)
tests=()
for t in "$PFEC_OUT"/*; do
	[ "${t%.d}" != "$t" ] || tests+=("$t")
done
rm -rf "$INSTALL/kvm-pfec"
mkdir -p "$INSTALL/kvm-pfec"
cp "$KVM/settings" "${tests[@]}" "$INSTALL/kvm-pfec/"
# The collection, which make check runs, is the tests and the demo; the
# benchmarks (*_bench) are installed beside them for make bench.
grep -v '^kvm-pfec:' "$INSTALL/kselftest-list.txt" >"$INSTALL/kselftest-list.txt.new" || true
for t in "${tests[@]##*/}"; do
	case $t in
	*_test | kvm_pfec_demo) echo "kvm-pfec:$t" ;;
	esac
done >>"$INSTALL/kselftest-list.txt.new"
mv "$INSTALL/kselftest-list.txt.new" "$INSTALL/kselftest-list.txt"
say "installed $(grep -c . "$INSTALL/kselftest-list.txt") selftests in $INSTALL"
