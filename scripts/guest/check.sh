#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (started by scripts/check.sh through scripts/vm.sh), as
# root: kvm-pfec's in-guest checks, then the selftests with the module loaded.
#
# Usage: check.sh RESULTS_DIR KSELFTEST_INSTALL UPSTREAM_LIST
#
# Writes RESULTS_DIR/guest.tap (our checks), RESULTS_DIR/kselftest.tap
# (run_kselftest.sh's TAP) and RESULTS_DIR/dmesg.txt.  Exits non-zero when
# anything failed.
set -u
results=$1 kselftest=$2 list=$3
ko=$PWD/rust/kvm_pfec.ko
n=0 failed=0

# tap DESCRIPTION COMMAND...: one TAP line for whether COMMAND succeeded.
tap() {
	local what=$1 out line
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		line="ok $n $what"
	else
		failed=1
		line="not ok $n $what"
		[ -z "$out" ] || line+=$'\n'$(printf '%s\n' "$out" | sed 's/^/# /')
	fi
	printf '%s\n' "$line" | tee -a "$results/guest.tap"
}

logged() { # PATTERN: the kernel log has a line matching PATTERN
	dmesg | grep -E "$1"
}

npt_on() {
	[ "$(cat /sys/module/kvm_amd/parameters/npt)" = Y ]
}

module_cycle() {
	insmod "$ko" && logged 'kvm_pfec: kvm-pfec [0-9.]+ loaded' >/dev/null &&
		rmmod kvm_pfec && logged 'kvm_pfec: kvm-pfec [0-9.]+ unloaded' >/dev/null
}

# Splats that must never appear: WARN ("WARNING: CPU: 1 PID: 42 at ..."),
# BUG, Oops, sanitizer and lockdep reports.  (A bare "WARNING:" is not
# enough: the SRSO mitigation notice at boot has one.)
no_splat() {
	! dmesg | grep -E -A20 -- '-+\[ cut here \]-+|WARNING: CPU: |BUG: |kernel BUG at|Oops: |UBSAN: |KASAN: |possible recursive locking|INFO: task .* blocked'
}

: >"$results/guest.tap"
echo "TAP version 13" | tee -a "$results/guest.tap"
tap "kvm_amd is loaded with nested paging (npt=Y)" npt_on
tap "/dev/kvm exists" test -c /dev/kvm
tap "kvm_pfec.ko loads, logs its version and unloads" module_cycle
tap "kvm_pfec.ko loads for the selftests" insmod "$ko"

tests=()
while read -r t _; do
	tests+=(-t "kvm:$t")
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
"$kselftest/run_kselftest.sh" "${tests[@]}" -c kvm-pfec 2>&1 |
	tee "$results/kselftest.tap"
grep -q '^not ok' "$results/kselftest.tap" && failed=1

tap "kvm_pfec.ko unloads after the selftests" rmmod kvm_pfec
tap "the kernel log has no WARNING, BUG or Oops" no_splat
echo "1..$n" | tee -a "$results/guest.tap"
dmesg >"$results/dmesg.txt"
exit $failed
