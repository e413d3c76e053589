#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM for `make bench`: the fault-path benchmark with and
# without kvm_pfec.ko, alternating in this one boot, then the decision
# microbenchmark.  Prints the results and appends them to
# RESULTS_DIR/bench.txt.
#
# Usage: bench.sh icount|shadow|bochs|wall RESULTS_DIR KSELFTEST_INSTALL KVM_PFEC_KO
#
# icount: the boot runs under qemu's -icount shift=0,sleep=off, where the
#   guest's clock advances 1 ns per guest instruction, so pfec_fault_bench's
#   ns_per_fault is instructions per fault, L1 and L2 together.  Prints
#   "fault path, <vm> VM: <I0> -> <I1> instructions per fault, ratio <R>".
# shadow: the same, in a boot with kvm_amd.npt=0 (shadow paging, where
#   KVM intercepts the guest's #PFs, and hands their error codes to the
#   hook point at the #PF entry), for the default VM only: a
#   software-protected VM needs nested paging.  No decisions.
# bochs: the same on Intel, under Bochs with "clock: sync=none"
#   (scripts/vmx.sh), whose guest clock advances with the instructions
#   Bochs runs.  The boot measures first how (pfec_fault_bench clock): ns
#   per instruction of this program (L1) and of a guest (L2), printed under
#   the heading as "clock: ns_per_l1_insn=<a> ns_per_l2_insn=<b>".  The
#   fault path is printed in that clock's ns; scripts/bench-figures.sh
#   takes its ratios for instruction ratios only if the two rates agree.
# wall: an ordinary boot; the same runs in faults/s of wall time.
set -euo pipefail
mode=$1 results=$2 kselftest=$3 ko=$4
bench=$kselftest/kvm-pfec/pfec_fault_bench
dir=$(dirname "$ko")
case $mode in
# Under icount a run is exact to a few instructions in a thousand: few rounds
# and 4096 pages (a few seconds a run) do.  Under wall time single runs
# scatter by 10% and more: many rounds, and the full 16384 pages.
icount | shadow | bochs) ROUNDS=${BENCH_ROUNDS:-7} NPAGES=4096 field=ns_per_fault ;;
wall) ROUNDS=${BENCH_ROUNDS:-10} NPAGES=16384 field=faults_per_sec ;;
*) echo "usage: bench.sh icount|shadow|bochs|wall RESULTS_DIR KSELFTEST_INSTALL KVM_PFEC_KO" >&2; exit 2 ;;
esac
vms="default protected"
if [ "$mode" = shadow ]; then
	vms=default
	npt=$(cat /sys/module/kvm_amd/parameters/npt)
	[ "$npt" = N ] || { echo "shadow: kvm_amd has npt=$npt, not N (boot with kvm_amd.npt=0)" >&2; exit 1; }
fi
raw=$results/fault-bench-$mode.txt
# Under Bochs, how its clock counts the L1's and a guest's instructions.
clock=
[ "$mode" != bochs ] ||
	clock=$("$bench" clock | sed -n 's/^\(ns_per_l[12]_insn=[0-9.]*\)$/\1/p' | tr '\n' ' ')

loaded() { [ -e /sys/module/kvm_pfec ]; }
state() { # on|off
	if [ "$1" = on ]; then loaded || insmod "$ko"; else ! loaded || rmmod kvm_pfec; fi
}

# Each run starts from the same page allocator: caches dropped, memory
# compacted, per-CPU free lists drained (a write of vm.percpu_pagelist_high_fraction
# drains them), so that no run pays for another's refill or drain work.
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/compact_memory
	echo 0 >/proc/sys/vm/percpu_pagelist_high_fraction
}

: >"$raw"
# One VM type after the other: the runs of a type then find the page
# allocator as the runs before them left it.  Runs of the other type in
# between move pages in and out of its per-CPU lists, and the protected VM's
# count then scatters by up to 3% (Documentation/reliability.rst).  For each
# type, two runs are thrown away first: a boot's first runs are slower, and
# so are the first after the other type.  Then rounds of off/on pairs, the
# order flipping every round (off-on, on-off, ...), so that drift falls on
# both sides alike.
for vm in $vms; do
	"$bench" "$vm" "$NPAGES" >/dev/null
	"$bench" "$vm" "$NPAGES" >/dev/null
	for round in $(seq 1 "$ROUNDS"); do
		if [ $((round % 2)) = 1 ]; then order="off on"; else order="on off"; fi
		for s in $order; do
			state "$s"
			settle
			v=$("$bench" "$vm" "$NPAGES" | sed -n "s/^$field=//p")
			[ -n "$v" ] || { echo "pfec_fault_bench $vm printed no $field" >&2; exit 1; }
			echo "$vm $s $v" | tee -a "$raw"
		done
	done
done
state off

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
values() { awk -v vm="$1" -v s="$2" '$1 == vm && $2 == s { print $3 }' "$raw"; }
# "min-max (spread S%)": the range of one side's runs, relative to its median.
spread() {
	sort -g | awk -v m="$1" '{ v[NR] = $1 } END { printf "%s-%s (spread %.2f%%)", v[1], v[NR], 100 * (v[NR] - v[1]) / m }'
}

# The fault path's line for each VM type.  Both figures are a cost ratio,
# with the module over without: instructions per fault under icount, time
# per fault (the inverse of faults/s) in wall time.
if [ "$mode" = icount ] || [ "$mode" = shadow ]; then
	title="icount boot: median guest instructions per fault"
	[ "$mode" = icount ] || title="shadow-paging $title (kvm_amd npt=0)"
	line='fault path, %s VM: %.0f -> %.0f instructions per fault, ratio %.3f\n' cost='on / off'
elif [ "$mode" = bochs ]; then
	title="bochs boot (Intel, VMX with EPT): median ns per fault of Bochs's clock"
	line='fault path, %s VM: %.0f -> %.0f ns per fault, ratio %.3f\n' cost='on / off'
else
	title="wall-time boot: median faults/s"
	line='fault path, %s VM, wall time: %.0f -> %.0f faults/s, ratio %.3f\n' cost='off / on'
fi

{
	echo "== fault path, $title over $ROUNDS runs each, $NPAGES pages a run"
	[ "$mode" != bochs ] || echo "clock: ${clock% }"
	for vm in $vms; do
		off=$(values $vm off | median)
		on=$(values $vm on | median)
		awk -v vm=$vm -v off="$off" -v on="$on" -v line="$line" \
			"BEGIN { printf line, vm, off, on, $cost }"
		echo "  runs without: $(values $vm off | spread "$off"); with: $(values $vm on | spread "$on")"
	done
	# The decisions do not depend on the paging mode.
	[ "$mode" != shadow ] || exit 0
	if [ "$mode" = bochs ]; then
		echo "== decisions, bochs boot: ns per call, at the clock above"
	elif [ "$mode" = icount ]; then
		echo "== decisions, icount boot: ns per call are guest instructions per call"
	else
		echo "== decisions: ns per call, Rust against upstream's C, same boot"
	fi
	# busybox's dmesg (the Bochs guest's) has no -C.
	dmesg -c >/dev/null
	insmod "$dir/kvm_pfec_bench.ko"
	rmmod kvm_pfec_bench
	dmesg | sed -n 's/.*kvm_pfec_bench: //p'
} | tee -a "$results/bench.txt"
