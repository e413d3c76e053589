#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make repro-int3`: the reproducer of the "int3" oops (see
# Documentation/testing.rst).  Boots the kvm-pfec kernel RUNS times for each
# configuration, with two CPU hogs on the host, and in each boot runs
# scripts/guest/churn.sh for SECS seconds.  Counts the boots whose guest
# kernel died, and shows each death's report.
#
# Settings (environment):
#   RUNS=5 SECS=60         boots per configuration, churn time per boot
#   CONFIGS="multi:1 single:1 multi:0 multi:1:1"
#                          THREAD:RELOAD[:CPUS]: TCG threading (multi,
#                          single), whether kvm_pfec is reloaded during the
#                          churn (1, 0), and the VM's vCPUs (default 2)
#   HOGS=2                 busy loops on the host while the VM runs
#
# Ends with one line per configuration:
#   int3 repro, tcg thread=multi, kvm_pfec reloads: 3 of 5 boots died
set -euo pipefail
STAGE=repro
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"

RUNS=${RUNS:-5} SECS=${SECS:-60} HOGS=${HOGS:-2}
CONFIGS=${CONFIGS:-multi:1 single:1 multi:0}
case "$RUNS$SECS$HOGS" in *[!0-9]*) die "RUNS, SECS and HOGS must be numbers" ;; esac

bash "$KVM_PFEC_TOP/scripts/setup.sh"
bash "$KVM_PFEC_TOP/scripts/kernel.sh"
bash "$KVM_PFEC_TOP/scripts/module.sh"
bash "$KVM_PFEC_TOP/scripts/selftests.sh"
kselftest=$(bash "$KVM_PFEC_TOP/scripts/selftests.sh" --print-dir)
ko=$(module_dir)/rust/kvm_pfec.ko
out=$KVM_PFEC_CACHE/results/repro-int3-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

trap stop_hogs EXIT

declare -a lines=()
for c in $CONFIGS; do
	IFS=: read -r thread reload cpus <<<"$c"
	cpus=${cpus:-2}
	case "$thread:$reload:$cpus" in
	single:[01]:[1-9] | multi:[01]:[1-9]) ;;
	*) die "bad configuration '$c' in CONFIGS (want single|multi:0|1[:CPUS])" ;;
	esac
	died=0
	for i in $(seq 1 "$RUNS"); do
		start_hogs "$HOGS"
		log=$out/$thread-reload$reload-cpus$cpus-$i
		say "tcg thread=$thread, $cpus vCPUs, reload=$reload: boot $i of $RUNS ($SECS s of churn, $HOGS hogs)"
		KVM_PFEC_TCG_THREAD=$thread KVM_PFEC_CPUS=$cpus bash "$KVM_PFEC_TOP/scripts/vm.sh" --timeout $((SECS + 300)) \
			--console "$log.console" -- \
			scripts/guest/churn.sh "$SECS" "$kselftest" "$ko" "$reload" >"$log.out" 2>&1 || true
		stop_hogs
		if explain_death "$log.console" >"$log.death"; then
			died=$((died + 1))
			say "boot $i died: $(grep -m1 -E 'Oops: |BUG: |kernel BUG at|Kernel panic' "$log.death" | sed 's/^ *//')"
			grep -m1 -E 'RIP: ' "$log.death" | sed 's/^ */    /' >&2 || true
		else
			rm -f "$log.death"
			grep -h '^churn:\|^pfec_vm_churn:' "$log.out" | sed 's/^/    /' >&2 || true
		fi
	done
	lines+=("int3 repro, tcg thread=$thread, $cpus vCPUs, kvm_pfec $([ "$reload" = 1 ] && echo reloading || echo not loaded): $died of $RUNS boots died")
done
say "logs: $out"
printf '%s\n' "${lines[@]}"
{
	echo "configs: $CONFIGS"
	echo "runs_each: $RUNS"
	echo "churn_s: $SECS"
	echo "host_hogs: $HOGS"
	echo
	printf '%s\n' "${lines[@]}"
} | write_result "repro-int3-$KVM_PFEC_KERNEL" "make repro-int3 KERNEL=$KVM_PFEC_KERNEL" $CHECK_INPUTS
