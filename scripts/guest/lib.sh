# SPDX-License-Identifier: GPL-2.0
#
# What the in-guest scripts share.  Source it after setting $results (the
# results directory) and $ko (kvm_pfec.ko's path).

n=0 failed=0

# The one WARN a test provokes on purpose: pfec_inject_test makes "hardware"
# set KVM's synthetic bits, and the module WARNs once.
GUARD_WARN='kvm_pfec: hardware error code has bits KVM does not define for it'
# A WARN's first line: 6.12's "WARNING: CPU: 1 PID: 42 at ...", or 7.3's
# "WARNING: file.c:12 at func+0x1/0x2, CPU#0: comm/42".
WARN_LINE='WARNING: CPU: |WARNING: [^ ]+ at .*, CPU#'
# Splats: WARN, lockdep, BUG, Oops,
# sanitizers, hung tasks.  (A bare "WARNING:" is not enough: the SRSO
# mitigation notice at boot has one.)
SPLAT='-+\[ cut here \]-+|WARNING: CPU: |WARNING: [^ ]+ at .*, CPU#|WARNING: (possible|suspicious|inconsistent)|BUG: |kernel BUG at|Oops: |UBSAN: |KASAN: |INFO: task .* blocked'

# tap DESCRIPTION COMMAND...: one TAP line for whether COMMAND succeeded;
# its output follows as diagnostics when it failed.
tap() {
	local what=$1 out line
	shift
	n=$((n + 1))
	running "$what"
	if out=$("$@" 2>&1); then
		line="ok $n $what"
	else
		failed=1
		line="not ok $n $what"
		[ -z "$out" ] || line+=$'\n'$(printf '%s\n' "$out" | tail -n 40 | sed 's/^/# /')
	fi
	printf '%s\n' "$line" | tee -a "$results/guest.tap"
}

# running WHAT: note what runs now, for the host to name if the VM dies
# (scripts/lib.sh, last_running).
running() {
	printf '%s\n' "$1" >"$results/running"
}

tap_begin() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	: >"$results/guest.tap"
	echo "TAP version 13" | tee -a "$results/guest.tap"
}

tap_end() {
	running "(finished)"
	echo "1..$n" | tee -a "$results/guest.tap"
	dmesg >"$results/dmesg.txt"
	exit $failed
}

logged() { # PATTERN: the kernel log has a line matching PATTERN
	dmesg | grep -E "$1"
}

# no_splat GUARD_WARNS: the kernel log has no splat but GUARD_WARNS guard
# WARNs (each with its "cut here" line).
no_splat() {
	local want=$1 warns guard splats
	warns=$(dmesg | grep -c -E "$WARN_LINE")
	guard=$(dmesg | grep -c -F "$GUARD_WARN")
	splats=$(dmesg | grep -c -E -- "$SPLAT")
	if [ "$guard" -ne "$want" ] || [ "$warns" -ne "$want" ] || [ "$splats" -ne $((2 * want)) ]; then
		echo "expected $want splat(s), the guard WARN ($GUARD_WARN); got $warns WARNs, $guard of them the guard's:"
		dmesg | grep -E -A20 -- "$SPLAT"
		return 1
	fi
	# A Rust WARN names its Rust caller: the hook in kvm_pfec.rs, not a
	# helper.
	if [ "$want" -gt 0 ] && [ "$(dmesg | grep -F "$GUARD_WARN (" |
		grep -c -E 'rust/kvm_pfec\.rs:[0-9]+\)$')" -ne "$want" ]; then
		echo "the guard's WARN does not name its caller in rust/kvm_pfec.rs:"
		dmesg | grep -F "$GUARD_WARN"
		return 1
	fi
}

# Debug kernels: kmemleak, scanned now (twice, as its documentation advises).
no_leak() {
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	! grep . /sys/kernel/debug/kmemleak
}

tap_no_leak() {
	[ ! -e /sys/kernel/debug/kmemleak ] || tap "kmemleak finds no leak" no_leak
}
