#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM for `make check-stress`, as root: the long runs that
# make check keeps short.
#
# Usage: stress.sh RESULTS_DIR KSELFTEST_INSTALL KVM_PFEC_KO STRESS_LIST
#
# STRESS_LIST names the upstream KVM selftests that pass but are too slow
# for make check (selftests/upstream-stress-<base>.list); they run with the module
# loaded, under kselftest's runner, into kselftest.tap.
#
# Writes RESULTS_DIR/guest.tap, kselftest.tap and dmesg.txt; exits non-zero
# when anything failed.
set -u
results=$1 kselftest=$2 ko=$3 list=$4
. "$(dirname "$0")/lib.sh"

# Long enough to matter, short enough for TCG: minutes, not hours.
RELOAD_CYCLES=100
SCRIBBLE_RUNS=5000

tap_begin
tap "kvm_pfec.ko loads" insmod "$ko"
tap "$RELOAD_CYCLES rmmod/insmod cycles while 2 vCPUs fault on private and shared memory" \
	env KVM_PFEC_KO="$ko" PFEC_RELOAD_CYCLES=$RELOAD_CYCLES \
	timeout 1200 "$kselftest/kvm-pfec/pfec_reload_test"
tap "upstream private_mem_conversions_test, 4 vCPUs and 2 memslots, module loaded" \
	timeout 600 "$kselftest/kvm/private_mem_conversions_test" -n 4 -m 2
tap "kvm_run scribbler, $SCRIBBLE_RUNS runs, every record right, stuck reports at 16, 32, ..." \
	env KVM_PFEC_KO="$ko" PFEC_SCRIBBLE_RUNS=$SCRIBBLE_RUNS \
	timeout 1200 "$kselftest/kvm-pfec/pfec_memory_fault_test"
tests=()
while read -r t _; do
	tests+=(-t "kvm:$t")
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
running kselftests
# The slow ones take minutes each under TCG: 10 minutes at most.
"$kselftest/run_kselftest.sh" "${tests[@]}" -o 600 2>&1 | tee "$results/kselftest.tap"
grep -q '^not ok' "$results/kselftest.tap" && failed=1
tap "kvm_pfec.ko unloads" rmmod kvm_pfec
tap_no_leak
tap "the kernel log has no WARN, BUG, Oops or sanitizer report" no_splat 0
tap_end
