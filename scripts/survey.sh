#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make survey`: run every upstream x86 KVM selftest of the tree, one at a
# time with a time limit, in one boot of
#   our kernel     (KERNEL=6.12 or 7.3), with kvm_pfec loaded (the default), or
#   STOCK=1        Debian's own build of the same kernel version (6.12
#                  from bookworm, 7.3 from trixie-backports), with its
#                  own KVM modules,
# both under the same qemu (scripts/vm.sh).  This is the evidence behind
# selftests/upstream-<base>.list: what passes on the stock kernel must pass on
# ours, and a test is left out only where the stock kernel fails or skips
# it the same way.
#
# Settings: LIMIT=150 (seconds a test), TESTS="a b" (default: all of them;
# a name given N times runs N times, to measure a flaky test), HOGS=0 (busy
# loops on the host while the tests run, as make check-soak has).
# Writes selftests/survey/<base>-<ours|stock>.txt, or <base>-<ours|stock>-tests.txt
# for a TESTS= run (SURVEY_NAME=<name> for selftests/survey/<name>.txt): a header that says
# what ran, at which commit, when and where, then NAME RESULT SECONDS EXIT a
# line, RESULT one of pass fail skip timeout; and prints it.  The logs stay
# in $KVM_PFEC_CACHE/results/survey-<kernel>-<date>/.
set -euo pipefail
STAGE=survey
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"

STOCK=${STOCK:-0} LIMIT=${LIMIT:-150} HOGS=${HOGS:-0}
case $STOCK in
0) which=$KVM_PFEC_KERNEL ;;
1) which=stock-$KVM_PFEC_KERNEL ;;
*) die "STOCK must be 0 or 1, not '$STOCK'" ;;
esac
case $LIMIT in '' | *[!0-9]*) die "LIMIT must be a number of seconds" ;; esac
case $HOGS in '' | *[!0-9]*) die "HOGS must be a number of busy loops" ;; esac

bash "$KVM_PFEC_TOP/scripts/setup.sh"
bash "$KVM_PFEC_TOP/scripts/kernel.sh"
bash "$KVM_PFEC_TOP/scripts/module.sh"
bash "$KVM_PFEC_TOP/scripts/selftests.sh"
KDIR=$(kernel_dir)
kselftest=$(bash "$KVM_PFEC_TOP/scripts/selftests.sh" --print-dir)
out=$KVM_PFEC_CACHE/results/survey-$which-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

list=$out/tests.txt
if [ -n "${TESTS:-}" ]; then
	printf '%s\n' $TESTS >"$list"
else
	# Every x86 program of the tree's KVM selftest Makefile: 6.12's
	# Makefile lists them as TEST_(GEN_)PROGS_x86_64; 7.3's Makefile.kvm as
	# TEST_(GEN_)PROGS_x86 and, for the ones every architecture builds,
	# TEST_GEN_PROGS_COMMON.
	mk=$KDIR/tools/testing/selftests/kvm/Makefile.kvm
	[ -f "$mk" ] || mk=$KDIR/tools/testing/selftests/kvm/Makefile
	sed -n 's/^TEST_\(GEN_\)\{0,1\}PROGS_\(x86_64\|x86\|COMMON\) *+\{0,1\}= *//p' "$mk" |
		grep -v '\$(' | sed 's#.*/##' | sort -u >"$list"
fi

env=() ko=()
case $STOCK in
0)
	ko=("$(module_dir)/rust/kvm_pfec.ko")
	;;
1)
	fetch_stock_kernel
	export KVM_PFEC_KIMG=$stock/$img
	env=(env PFEC_MODROOT="$modroot")
	;;
esac

say "running $(grep -c . "$list") selftests on the $which kernel, at most $LIMIT s each, $HOGS host hogs"
trap stop_hogs EXIT
start_hogs "$HOGS"
bash "$KVM_PFEC_TOP/scripts/vm.sh" --timeout 7200 --results "$out" -- \
	"${env[@]}" scripts/guest/survey.sh "$out" "$kselftest" "$list" "$LIMIT" "${ko[@]}" \
	2>&1 | tee "$out/vm.log" >/dev/null
stop_hogs
case $STOCK in 0) side=ours ;; *) side=stock ;; esac
# A partial run (TESTS=) never takes the name of the full survey, which
# the lists cite.
file=$KVM_PFEC_TOP/selftests/survey/${SURVEY_NAME:-$KVM_PFEC_KERNEL-$side${TESTS:+-tests}}.txt
{
	echo "# SPDX-License-Identifier: GPL-2.0"
	echo "#"
	echo "# make survey$([ "$STOCK" = 0 ] || echo " STOCK=1") KERNEL=$KVM_PFEC_KERNEL LIMIT=$LIMIT HOGS=$HOGS${TESTS:+ TESTS=\"$TESTS\"}"
	echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# commit: $(git -C "$KVM_PFEC_TOP" rev-parse HEAD)$(git -C "$KVM_PFEC_TOP" status --porcelain -- $CHECK_INPUTS | grep -q . && echo ' (with uncommitted changes to its inputs)')"
	echo "# machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB; the guest under $(qemu-system-x86_64 --version | head -n 1) ($(sed -n 's/.*booting .* (\([^)]*\)).*/\1/p' "$out/vm.log" | head -n 1))"
	case $STOCK in
	0) echo "# kernel: ours, Linux $KVM_PFEC_KERNEL (linux-source $(kernel_version)) with kvm_pfec loaded" ;;
	*) echo "# kernel: Debian's own build of the same source, $kver $(kernel_version), its own KVM modules" ;;
	esac
	echo "# selftests: the tree's own, $(sort -u "$list" | grep -c .) programs, $(grep -c . "$list") runs"
	echo "#"
	echo "# test result seconds exit"
	cat "$out/survey.txt"
} >"$file"
say "results: $file"
cat "$out/survey.txt"
awk '{ n[$2]++ } END { for (r in n) printf "%s %d  ", r, n[r]; print "" }' "$out/survey.txt"
