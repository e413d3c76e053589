#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM for scripts/trace-fault.sh: loads kvm_pfec.ko or not,
# writes the module's symbols, says it is ready, then runs pfec_fault_bench
# over and over so that the host's gdb can catch a fault and step through it.
#
# Usage: trace-fault.sh RESULTS_DIR KSELFTEST_INSTALL KVM_PFEC_KO off|on VM
set -euo pipefail
results=$1 kselftest=$2 ko=$3 state=$4 vm=$5
bench=$kselftest/kvm-pfec/pfec_fault_bench

if [ "$state" = on ]; then
	insmod "$ko"
fi
grep '\[kvm_pfec\]' /proc/kallsyms >"$results/kallsyms-$state.txt" || true
# Two runs first, as make bench does: a boot's first runs are not typical.
"$bench" "$vm" 4096 >/dev/null
"$bench" "$vm" 4096 >/dev/null
touch "$results/ready-$state"
# The host kills the VM once it has its trace.
while :; do
	"$bench" "$vm" 4096 >/dev/null
done
