#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM for `make bench`: the fault-path benchmark with and
# without kvm_pfec.ko, alternating in this one boot, then the decision
# microbenchmark.  Prints the results and writes RESULTS_DIR/bench.txt.
#
# Usage: bench.sh RESULTS_DIR KSELFTEST_INSTALL KVM_PFEC_KO
set -euo pipefail
results=$1 kselftest=$2 ko=$3
bench=$kselftest/kvm-pfec/pfec_fault_bench
dir=$(dirname "$ko")
# Rounds of off/on pairs; the order flips every round (off-on, on-off, ...)
# so that drift during the boot falls on both sides alike.  Under TCG single
# runs scatter by 10% and more, so many rounds, and medians.
ROUNDS=10

loaded() { [ -e /sys/module/kvm_pfec ]; }
state() { # on|off
	if [ "$1" = on ]; then loaded || insmod "$ko"; else ! loaded || rmmod kvm_pfec; fi
}

: >"$results/fault-bench.txt"
# A boot's first runs are slower (cold caches, first use of KVM): one of each,
# thrown away.
for vm in default protected; do
	"$bench" "$vm" >/dev/null
done
for round in $(seq 1 $ROUNDS); do
	if [ $((round % 2)) = 1 ]; then order="off on"; else order="on off"; fi
	for s in $order; do
		state "$s"
		for vm in default protected; do
			rate=$("$bench" "$vm" | sed -n 's/^faults_per_sec=//p')
			[ -n "$rate" ] || { echo "pfec_fault_bench $vm printed no rate" >&2; exit 1; }
			echo "$vm $s $rate" | tee -a "$results/fault-bench.txt"
		done
	done
done
state off

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

{
	echo "== fault path: median faults/s over $ROUNDS runs each, same boot"
	for vm in default protected; do
		off=$(awk -v vm=$vm '$1 == vm && $2 == "off" { print $3 }' "$results/fault-bench.txt" | median)
		on=$(awk -v vm=$vm '$1 == vm && $2 == "on" { print $3 }' "$results/fault-bench.txt" | median)
		# The cost ratio: time per fault with the module over without.
		awk -v vm=$vm -v off="$off" -v on="$on" 'BEGIN {
			printf "%-9s VM: without kvm_pfec %.0f, with %.0f faults/s; ratio %.3f\n", vm, off, on, off / on }'
	done
	echo "== decisions: ns per call, Rust against upstream's C, same boot"
	dmesg -C
	insmod "$dir/kvm_pfec_bench.ko"
	rmmod kvm_pfec_bench
	dmesg | sed -n 's/.*kvm_pfec_bench: //p'
} | tee "$results/bench.txt"
