#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM for scripts/repro-int3.sh: for SECONDS, create and
# destroy VMs (pfec_vm_churn: the scheduler's preempt-notifier static branch
# is rewritten twice per VM) and, with RELOAD=1, remove and insert kvm_pfec
# in a loop (its hook keys in KVM's fault path are rewritten each time).
# Every rewrite is a text_poke_bp() with IPIs to the other vCPU.
#
# Usage: churn.sh SECONDS KSELFTEST_INSTALL KVM_PFEC_KO RELOAD
#
# Exits 0 when the kernel survived (an oops panics the VM: oops=panic).
set -u
secs=$1 kselftest=$2 ko=$3 reload=$4

reloads=0
if [ "$reload" = 1 ]; then
	insmod "$ko" || exit 1
	(
		end=$((SECONDS + secs))
		n=0
		while [ $SECONDS -lt $end ]; do
			rmmod kvm_pfec && insmod "$ko" || exit 1
			n=$((n + 1))
		done
		echo "$n" >/tmp/reloads
	) &
fi
"$kselftest/kvm-pfec/pfec_vm_churn" "$secs" || exit 1
wait || exit 1
[ "$reload" != 1 ] || reloads=$(cat /tmp/reloads)
echo "churn: survived $secs s; kvm_pfec reloaded $reloads times"
if dmesg | grep -E -q 'Oops: |BUG: |WARNING: CPU: |WARNING: [^ ]+ at .*, CPU#'; then
	echo "churn: the kernel log has a splat:"
	dmesg | grep -E -A20 'Oops: |BUG: |WARNING: CPU: |WARNING: [^ ]+ at .*, CPU#'
	exit 1
fi
