#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (started by scripts/check.sh through scripts/vm.sh), as
# root: kvm-pfec's in-guest checks, KUnit, then the selftests with the module
# loaded.
#
# Usage: check.sh RESULTS_DIR KSELFTEST_INSTALL UPSTREAM_LIST KVM_PFEC_KO
#                 L2_KERNEL L2_INITRAMFS PFEC_VMM
#
# Writes to RESULTS_DIR: guest.tap (our checks), kunit.ktap (the module's
# KUnit suites, from debugfs), kselftest.tap (run_kselftest.sh's TAP),
# l2-console.log (the L2 guest's console), vmm-default.log and
# vmm-split.log (pfec-vmm's output) and dmesg.txt.  Exits non-zero
# when anything failed.
set -u
results=$1 kselftest=$2 list=$3 ko=$4 l2_kernel=$5 l2_initrd=$6 vmm=$7
. "$(dirname "$0")/lib.sh"

# kvm_pfec_test.ko's KUnit suites run at insmod: collect their KTAP from
# debugfs (with the series' built-in C suite), then remove the module.
kunit_module() {
	insmod "${ko%/*}/kvm_pfec_test.ko" && kunit_results && rmmod kvm_pfec_test
}

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

tap_begin
tap "kvm_amd is loaded with nested paging (npt=Y)" test "$(cat /sys/module/kvm_amd/parameters/npt)" = Y
tap "/dev/kvm exists" test -c /dev/kvm
tap "kvm_pfec.ko loads, logs its version, and says it unloaded after its hooks are gone" module_cycle
tap "kvm_pfec_test.ko loads and KUnit runs its suites (results in kunit.ktap)" \
	kunit_module
tap "the registration kvm_pfec_test.ko leaked ended as it went: KVM said so, and kvm_pfec.ko registers" \
	leaked_registration_ended
tap "kvm_pfec.ko loads for the selftests" insmod "$ko"

tests=()
while read -r t _; do
	tests+=(-t "kvm:$t")
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
running kselftests
# pfec_reload_test removes and inserts the module.  PFEC_KSELFTEST_TIMEOUT
# (seconds) overrides the kselftest timeout, for slow (debug) kernels.
KVM_PFEC_KO=$ko "$kselftest/run_kselftest.sh" "${tests[@]}" -c kvm-pfec \
	${PFEC_KSELFTEST_TIMEOUT:+-o "$PFEC_KSELFTEST_TIMEOUT"} 2>&1 |
	tee "$results/kselftest.tap"
grep -q '^not ok' "$results/kselftest.tap" && failed=1
# A test that removes the module and then fails may leave it out: the test
# has failed already; put the module back for the checks after it.
[ -e /sys/module/kvm_pfec ] || insmod "$ko"

tap "a real VMM: qemu boots Linux on KVM to its init, which writes 256 MiB, and powers off; a VM without private memory asks kvm_pfec for no decision" \
	"$(dirname "$0")/l2.sh" "$l2_kernel" "$l2_initrd" "$results/l2-console.log" 256
# rust_vmm LAYOUT: pfec-vmm's run in LAYOUT, its output kept as
# vmm-LAYOUT.log.
rust_vmm() {
	local rc=0
	"$vmm" "$1" >"$results/vmm-$1.log" 2>&1 || rc=$?
	cat "$results/vmm-$1.log"
	return $rc
}
tap "a Rust VMM on rust-vmm's kvm-ioctls runs a software-protected VM: private pages in its guest_memfd, shared ones in its memory, each KVM_EXIT_MEMORY_FAULT (read through kvm-ioctls) answered by converting the page, and kvm_pfec's counters agree" \
	rust_vmm default
tap "the same Rust VMM with KVM_CAP_MEMORY_FAULT_SPLIT reads each memory fault from the split record, with the port exit before it intact" \
	rust_vmm split
tap "kvm_pfec.ko unloads after the selftests" rmmod kvm_pfec
tap_no_leak
tap "the kernel log has exactly one WARN, the guard's, which names its Rust caller, and no other splat" no_splat 1
tap_end
