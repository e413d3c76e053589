#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make survey`: run every upstream x86 KVM selftest of the tree, one at a
# time with a time limit, in one boot of
#   KERNEL=ours    our kernel, with kvm_pfec loaded (the default), or
#   KERNEL=stock   Debian's stock linux-image of the same version, with its
#                  own KVM modules,
# both under the same qemu (scripts/vm.sh).  This is the evidence behind
# selftests/upstream.list: what passes on the stock kernel must pass on
# ours, and a test is left out only where the stock kernel fails or skips
# it the same way.
#
# Settings: LIMIT=150 (seconds a test), TESTS="a b" (default: all of them;
# a name given N times runs N times, to measure a flaky test), HOGS=0 (busy
# loops on the host while the tests run, as make check-soak has).
# Writes $KVM_PFEC_CACHE/results/survey-<kernel>-<date>/survey.txt and
# prints it: NAME RESULT SECONDS EXIT, RESULT one of pass fail skip timeout.
set -euo pipefail
STAGE=survey
. "$(dirname "$0")/lib.sh"

KERNEL=${KERNEL:-ours} LIMIT=${LIMIT:-150} HOGS=${HOGS:-0}
case $LIMIT in '' | *[!0-9]*) die "LIMIT must be a number of seconds" ;; esac
case $HOGS in '' | *[!0-9]*) die "HOGS must be a number of busy loops" ;; esac

bash "$KVM_PFEC_TOP/scripts/setup.sh"
bash "$KVM_PFEC_TOP/scripts/kernel.sh"
bash "$KVM_PFEC_TOP/scripts/module.sh"
bash "$KVM_PFEC_TOP/scripts/selftests.sh"
KDIR=$(kernel_dir)
kselftest=$(bash "$KVM_PFEC_TOP/scripts/selftests.sh" --print-dir)
out=$KVM_PFEC_CACHE/results/survey-$KERNEL-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

list=$out/tests.txt
if [ -n "${TESTS:-}" ]; then
	printf '%s\n' $TESTS >"$list"
else
	# Every x86 program of the tree's KVM selftest Makefile.
	sed -n 's/^TEST_\(GEN_\)\{0,1\}PROGS_x86_64 *+\{0,1\}= *//p' \
		"$KDIR/tools/testing/selftests/kvm/Makefile" | sed 's#.*/##' | sort >"$list"
fi

env=() ko=()
case $KERNEL in
ours)
	ko=("$(module_dir)/rust/kvm_pfec.ko")
	;;
stock)
	# Debian's build of the very source we patch: linux-source-6.12 version
	# V has linux-image-<upstream>+deb12-amd64-unsigned at version V.
	v=$(kernel_version)
	kver=${v%%-*}+deb12-amd64
	stock=$KVM_PFEC_CACHE/stock-$v
	if [ ! -f "$stock/boot/vmlinuz-$kver" ]; then
		command -v busybox >/dev/null || {
			say "installing busybox (virtme-ng's initramfs for a distribution kernel needs it)"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
		}
		say "fetching Debian's linux-image-$kver-unsigned $v"
		rm -rf "$stock.tmp"
		mkdir -p "$stock.tmp"
		(cd "$stock.tmp" && apt-get download -q "linux-image-$kver-unsigned=$v" >/dev/null 2>&1) ||
			die "apt-get download linux-image-$kver-unsigned=$v failed"
		dpkg -x "$stock.tmp"/*.deb "$stock.tmp/root"
		depmod -b "$stock.tmp/root" "$kver"
		mv "$stock.tmp/root" "$stock"
		rm -rf "$stock.tmp"
	fi
	export KVM_PFEC_KIMG=$stock/boot/vmlinuz-$kver
	env=(env PFEC_MODROOT="$stock")
	;;
*) die "KERNEL must be ours or stock, not '$KERNEL'" ;;
esac

say "running $(grep -c . "$list") selftests on the $KERNEL kernel, at most $LIMIT s each, $HOGS host hogs"
trap stop_hogs EXIT
start_hogs "$HOGS"
bash "$KVM_PFEC_TOP/scripts/vm.sh" --timeout 7200 --results "$out" -- \
	"${env[@]}" scripts/guest/survey.sh "$out" "$kselftest" "$list" "$LIMIT" "${ko[@]}" \
	2>&1 | tee "$out/vm.log" >/dev/null
stop_hogs
say "results: $out/survey.txt"
cat "$out/survey.txt"
awk '{ n[$2]++ } END { for (r in n) printf "%s %d  ", r, n[r]; print "" }' "$out/survey.txt"
