#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM for scripts/survey.sh: every upstream x86 KVM selftest
# named in LIST, one at a time, each with a time limit, with kvm_pfec loaded
# when KVM_PFEC_KO is given.  Writes RESULTS/survey.txt, a line a test:
#   NAME RESULT SECONDS EXIT
# RESULT is pass, fail, skip (exit 4, KSFT_SKIP) or timeout.  A test named
# more than once runs that many times; its logs are survey-NAME.log,
# survey-NAME.2.log, ...
#
# Usage: survey.sh RESULTS KSELFTEST_INSTALL LIST LIMIT_S [KVM_PFEC_KO]
set -u
results=$1 kselftest=$2 list=$3 limit=$4 ko=${5:-}
. "$(dirname "$0")/lib.sh"

# Debian's stock kernel has KVM as modules, unpacked outside /lib/modules.
[ -z "${PFEC_MODROOT:-}" ] || modprobe -d "$PFEC_MODROOT" kvm_amd || exit 1
[ -z "$ko" ] || insmod "$ko" || exit 1
echo "kernel $(uname -r); kvm_amd npt=$(cat /sys/module/kvm_amd/parameters/npt)${ko:+; kvm_pfec loaded}"
out=$results/survey.txt
: >"$out"
declare -A runs=()
while read -r t _; do
	running "$t"
	runs[$t]=$((${runs[$t]:-0} + 1))
	log=$results/survey-$t.log
	[ "${runs[$t]}" = 1 ] || log=$results/survey-$t.${runs[$t]}.log
	start=$(date +%s%N)
	(cd "$kselftest/kvm" && timeout -k 5 "$limit" "./$t" >"$log" 2>&1)
	rc=$?
	secs=$((($(date +%s%N) - start) / 1000000000))
	case $rc in
	0) r=pass ;;
	4) r=skip ;;
	124 | 137) r=timeout ;;
	*) r=fail ;;
	esac
	printf '%s %s %s %s\n' "$t" "$r" "$secs" "$rc" | tee -a "$out"
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
running "(finished)"
[ -z "$ko" ] || rmmod kvm_pfec
dmesg >"$results/dmesg.txt"
