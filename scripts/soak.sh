#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-soak`: the guest part of `make check` (scripts/guest/check.sh:
# module load and unload, KUnit, our and upstream's selftests, the L2 boot)
# SOAK_RUNS times in a row (default 30), each in a fresh boot, with
# SOAK_HOGS busy loops on the host (default 2) competing for the cores.  It
# is the check that the VM does not die at random (the int3 oops of
# Documentation/testing.rst).
#
# Each boot is one test: it passes when its VM lived and all its tests
# passed.  A death prints its oops and the test it interrupted.  Ends with
#   soak: N boots, D VM deaths, F with failed tests
#   N passed, N failed, 0 skipped
set -uo pipefail
STAGE=soak
. "$(dirname "$0")/lib.sh"

RUNS=${SOAK_RUNS:-30} HOGS=${SOAK_HOGS:-2}
case "$RUNS$HOGS" in *[!0-9]*) die "SOAK_RUNS and SOAK_HOGS must be numbers" ;; esac

bash "$KVM_PFEC_TOP/scripts/setup.sh" &&
	bash "$KVM_PFEC_TOP/scripts/kernel.sh" &&
	bash "$KVM_PFEC_TOP/scripts/module.sh" &&
	bash "$KVM_PFEC_TOP/scripts/selftests.sh" &&
	bash "$KVM_PFEC_TOP/scripts/l2.sh" || die "build failed"
kselftest=$(bash "$KVM_PFEC_TOP/scripts/selftests.sh" --print-dir)
ko=$(module_dir)/rust/kvm_pfec.ko
l2=("$(kernel_dir)/arch/x86/boot/bzImage" "$(bash "$KVM_PFEC_TOP/scripts/l2.sh" --print-path)")
top=$KVM_PFEC_CACHE/results/soak-$(date +%Y%m%d-%H%M%S)
mkdir -p "$top"
say "results go to $top"

trap stop_hogs EXIT

pass=0 died=0 failed=0
t0=$SECONDS
for i in $(seq 1 "$RUNS"); do
	results=$top/$i
	mkdir -p "$results"
	start_hogs "$HOGS"
	t=$SECONDS
	bash "$KVM_PFEC_TOP/scripts/vm.sh" --timeout 1800 --results "$results" -- \
		scripts/guest/check.sh "$results" "$kselftest" selftests/upstream.list "$ko" "${l2[@]}" \
		>"$results/vm.log" 2>&1
	rc=$?
	stop_hogs
	if vm_died "$results"; then
		died=$((died + 1))
		say "boot $i of $RUNS: the VM DIED (status $rc) while running: $(last_running "$results")"
		explain_death "$results/console.log" >&2 || tail -n 15 "$results/console.log" >&2
	elif [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		say "boot $i of $RUNS: tests FAILED ($((SECONDS - t)) s):"
		grep -h '^not ok' "$results/guest.tap" "$results/kselftest.tap" >&2
	else
		pass=$((pass + 1))
		say "boot $i of $RUNS: ok ($((SECONDS - t)) s)"
	fi
done
echo
echo "soak: $RUNS boots with $HOGS host CPU hogs in $(((SECONDS - t0) / 60)) min: $died VM deaths, $failed with failed tests"
echo "$pass passed, $((died + failed)) failed, 0 skipped"
[ $((died + failed)) -eq 0 ]
