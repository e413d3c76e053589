#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The check that a dead VM explains itself, on a real death: boot the kernel
# with scripts/vm.sh, note a test as running the way the guest scripts do,
# and crash the guest kernel with sysrq-c.  Then scripts/vm.sh must fail,
# print the panic with its call trace, and the results must show a dead VM
# (vm_died) that was running that test (last_running), as make check and
# make check-soak read them.
#
# Usage: scripts/test-death.sh   (make check runs it; it prints what failed)
set -uo pipefail
STAGE=test-death
. "$(dirname "$0")/lib.sh"

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
out=$(bash "$KVM_PFEC_TOP/scripts/vm.sh" --timeout 300 --results "$results" -- \
	sh -c 'echo "pretend_test" >"$1/running"; echo c >/proc/sysrq-trigger; sleep 60' \
	_ "$results" 2>&1)
rc=$?
ok=1
check() { # WHAT COMMAND...
	local what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; ok=0; fi
}
check "scripts/vm.sh fails when the guest dies (status $rc)" test "$rc" -ne 0
check "it prints the panic" grep -q 'Kernel panic - not syncing: sysrq triggered crash' <<<"$out"
check "with the call trace" grep -q 'sysrq_handle_crash' <<<"$out"
check "the results show a dead VM" vm_died "$results"
check "and name the test it was running" test "$(last_running "$results")" = pretend_test
[ $ok = 1 ] || { echo "$out" | tail -n 40; exit 1; }
