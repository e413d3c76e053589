#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make trace-fault`: where the instructions of one fault go, function by
# function, without and with kvm_pfec.ko.
#
# Two boots under qemu's icount with a gdb stub (-s) and nokaslr, one without
# the module and one with it, each running pfec_fault_bench in a VM=default
# or VM=protected (default: protected) VM.  gdb stops at npf_interception(),
# where the nested guest's #NPF enters KVM, and single-steps until it
# returns, for FAULTS (default 5) faults on the benchmark's pages.  The fault of each boot with the median
# count is then split by function (System.map, and the module's symbols from
# /proc/kallsyms), and the two are compared.
#
# Writes its figures to results/trace-fault-<kernel>-<vm>.txt (the traces
# stay in $KVM_PFEC_CACHE/results/<date>-trace/).
set -euo pipefail
STAGE=trace
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"
need_setup

vm=${VM:-protected}
faults=${FAULTS:-5}
case $vm in default | protected) ;; *) die "VM must be default or protected, not '$vm'" ;; esac
case $faults in '' | *[!0-9]* | 0) die "FAULTS must be a number of faults, not '$faults'" ;; esac
command -v gdb >/dev/null || die "gdb is not installed (make setup installs it)"

top=$KVM_PFEC_TOP
KDIR=$(kernel_dir)
bash "$top/scripts/module.sh" >/dev/null
bash "$top/scripts/selftests.sh" >/dev/null
kselftest=$(bash "$top/scripts/selftests.sh" --print-dir)
results=$KVM_PFEC_CACHE/results/$(date +%Y%m%d-%H%M%S)-trace
mkdir -p "$results"
entry=$(awk '$3 == "npf_interception" { print $1 }' "$KDIR/System.map")
fault_fn=$(awk '$3 == "kvm_mmu_page_fault" { print $1 }' "$KDIR/System.map")
[ -n "$entry" ] && [ -n "$fault_fn" ] || die "no npf_interception or kvm_mmu_page_fault in $KDIR/System.map"
# The benchmark's pages: PFEC_TEST_GPA (selftests/kvm_pfec.h), 4096 of them.
gpa_start=$(sed -n 's/^#define PFEC_TEST_GPA[[:space:]]*\(0x[0-9a-f]*\)ull$/\1/p' "$top/selftests/kvm_pfec.h")
[ -n "$gpa_start" ] || die "no PFEC_TEST_GPA in selftests/kvm_pfec.h"
gpa_end=$(printf '%#x' $((gpa_start + 4096 * 4096)))

for state in off on; do
	say "boot with kvm_pfec $state: tracing $faults faults of a $vm VM"
	setsid env KVM_PFEC_ACCEL=tcg KVM_PFEC_ICOUNT=1 KVM_PFEC_QEMU_OPTS=-s \
		KVM_PFEC_APPEND=nokaslr \
		bash "$top/scripts/vm.sh" --timeout 1200 --results "$results" \
		--console "$results/console-$state.log" -- \
		scripts/guest/trace-fault.sh "$results" "$kselftest" "$(module_dir)/rust/kvm_pfec.ko" "$state" "$vm" \
		>"$results/vm-$state.log" 2>&1 &
	vmpid=$!
	for _ in $(seq 600); do
		[ -e "$results/ready-$state" ] && break
		kill -0 $vmpid 2>/dev/null || die "the VM ended before it was ready; see $results/vm-$state.log"
		sleep 1
	done
	[ -e "$results/ready-$state" ] || die "the VM was not ready within 600 s; see $results/vm-$state.log"
	TRACE_ENTRY=$entry TRACE_FAULT_FN=$fault_fn TRACE_GPA_START=$gpa_start TRACE_GPA_END=$gpa_end \
		TRACE_FAULTS=$faults TRACE_OUT=$results/trace-$state.txt \
		timeout 1200 gdb -nx -batch -x "$top/scripts/trace-fault.py" >"$results/gdb-$state.log" 2>&1 ||
		{ kill -- -$vmpid 2>/dev/null; die "gdb failed; see $results/gdb-$state.log"; }
	kill -- -$vmpid 2>/dev/null || true
	wait $vmpid 2>/dev/null || true
done

python3 "$top/scripts/trace-fault-report.py" "$KDIR/System.map" "$results" "$vm" | tee "$results/trace.txt"
# "   4984     5042      +58  total, npf_interception() and all it calls"
total=$(grep ' total, npf_interception' "$results/trace.txt") ||
	die "the report has no total line; see $results/trace.txt"
read -r without with added _ <<<"$total"
{
	echo "faults_traced: $faults a boot"
	echo "instructions_without: $without"
	echo "instructions_with: $with"
	echo "instructions_added: $added"
	echo
	cat "$results/trace.txt"
} | write_result "trace-fault-$KVM_PFEC_KERNEL-$vm" "make trace-fault KERNEL=$KVM_PFEC_KERNEL VM=$vm" \
	$(fault_path_inputs "$KVM_PFEC_KERNEL") scripts/trace-fault.sh scripts/trace-fault.py \
	scripts/trace-fault-report.py scripts/guest/trace-fault.sh
