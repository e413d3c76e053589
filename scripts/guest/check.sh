#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (started by scripts/check.sh through scripts/vm.sh), as
# root: kvm-pfec's in-guest checks, KUnit, then the selftests with the module
# loaded.
#
# Usage: check.sh RESULTS_DIR KSELFTEST_INSTALL UPSTREAM_LIST
#
# Writes to RESULTS_DIR: guest.tap (our checks), kunit.ktap (the module's
# KUnit suites, from debugfs), kselftest.tap (run_kselftest.sh's TAP) and
# dmesg.txt.  Exits non-zero when anything failed.
set -u
results=$1 kselftest=$2 list=$3
ko=$PWD/rust/kvm_pfec.ko
n=0 failed=0

# The one WARN a test provokes on purpose: pfec_inject_test makes "hardware"
# set KVM's synthetic bits, and the module WARNs once.
GUARD_WARN='kvm_pfec: hardware error code has bits KVM does not define for it'

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

# The module's KUnit suites ran at insmod: collect their KTAP from debugfs.
kunit_results() {
	local f found=0
	: >"$results/kunit.ktap"
	for f in /sys/kernel/debug/kunit/kvm_pfec_*/results; do
		[ -r "$f" ] || continue
		cat "$f" >>"$results/kunit.ktap"
		found=1
	done
	[ $found = 1 ] || { echo "no kvm_pfec KUnit results in /sys/kernel/debug/kunit"; return 1; }
	cat "$results/kunit.ktap"
}

# Splats that must never appear: WARN ("WARNING: CPU: 1 PID: 42 at ..."),
# BUG, Oops, sanitizer and lockdep reports.  (A bare "WARNING:" is not
# enough: the SRSO mitigation notice at boot has one.)  The guard WARN that
# pfec_inject_test provokes must appear exactly once, and nothing else.
SPLAT='-+\[ cut here \]-+|WARNING: CPU: |BUG: |kernel BUG at|Oops: |UBSAN: |KASAN: |possible recursive locking|INFO: task .* blocked'
no_splat() {
	local warns guard
	warns=$(dmesg | grep -c -E 'WARNING: CPU: ')
	guard=$(dmesg | grep -c -F "$GUARD_WARN")
	if [ "$guard" -ne 1 ] || [ "$warns" -ne 1 ] ||
		[ "$(dmesg | grep -c -E "$SPLAT")" -ne 2 ]; then
		echo "expected exactly one splat, the guard WARN ($GUARD_WARN); got $warns WARNs, $guard of them the guard's:"
		dmesg | grep -E -A20 -- "$SPLAT"
		return 1
	fi
}

stuck_reported() {
	local n
	n=$(dmesg | grep -c -E 'kvm_pfec: kvm-[0-9]+ vCPU 0: the same memory fault [0-9]+ times in a row')
	[ "$n" -eq 4 ] || { echo "expected 4 stuck-vCPU reports, got $n"; return 1; }
}

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

: >"$results/guest.tap"
echo "TAP version 13" | tee -a "$results/guest.tap"
tap "kvm_amd is loaded with nested paging (npt=Y)" npt_on
tap "/dev/kvm exists" test -c /dev/kvm
tap "kvm_pfec.ko loads, logs its version and unloads" module_cycle
tap "kvm_pfec.ko loads for KUnit and the selftests" insmod "$ko"
tap "kvm_pfec's KUnit suites ran (results in kunit.ktap)" kunit_results

tests=()
while read -r t _; do
	tests+=(-t "kvm:$t")
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
# pfec_reload_test removes and inserts the module.
KVM_PFEC_KO=$ko "$kselftest/run_kselftest.sh" "${tests[@]}" -c kvm-pfec 2>&1 |
	tee "$results/kselftest.tap"
grep -q '^not ok' "$results/kselftest.tap" && failed=1

# pfec_memory_fault_test leaves a vCPU stuck on one fault for 200 runs.
tap "the stuck-vCPU report names the VM and vCPU, rate-limited (16, 32, 64, 128)" \
	stuck_reported
tap "kvm_pfec.ko unloads after the selftests" rmmod kvm_pfec
tap "the kernel log has exactly one WARN, the guard's, and no BUG or Oops" no_splat
echo "1..$n" | tee -a "$results/guest.tap"
dmesg >"$results/dmesg.txt"
exit $failed
