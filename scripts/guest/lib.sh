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

# Platform WARNs: warnings seen on an emulated machine (from its firmware
# tables, its CPUID or its clocks) in code that kvm-pfec does not touch,
# each "FILE:LINE REASON"
# or "FILE:FIRST-LAST REASON" (a WARN macro over several lines, which
# compilers attribute to different ones).  A guest script sets the ones its
# platform has (scripts/guest/vmx.sh, for Bochs; l2_platform_warns, for
# the L2 guest of scripts/guest/l2.sh); no_splat and console_no_splat set
# exactly those aside, by the file and line of their WARNING line, and name
# them.  Empty for the VM under qemu.
PLATFORM_WARNS=()

# platform_places ENTRY: the FILE:LINE places of a PLATFORM_WARNS entry.
platform_places() {
	local place=${1%% *} file lines l
	file=${place%:*} lines=${place##*:}
	case $lines in
	*-*) for ((l = ${lines%-*}; l <= ${lines#*-}; l++)); do echo "$file:$l"; done ;;
	*) echo "$place" ;;
	esac
}

# kernel_log ASIDE [LOG]: the kernel log (the file LOG, or dmesg), less each
# WARN block ("cut here" to "end trace") whose WARNING line is at a
# PLATFORM_WARNS place; the places of the set-aside WARNs go to the file
# ASIDE.
kernel_log() {
	local aside=$1 log=${2:-} places=() w
	# (No process substitution: the Bochs guest's /dev has no fd/.)
	for w in "${PLATFORM_WARNS[@]}"; do
		# shellcheck disable=SC2207 # places have no spaces
		places+=($(platform_places "$w"))
	done
	if [ -n "$log" ]; then cat "$log"; else dmesg; fi |
		awk -v places="${places[*]}" -v aside="$aside" '
		BEGIN { n = split(places, p, " ") }
		function platform(line, i) {
			for (i = 1; i <= n; i++)
				if (index(line, " at " p[i] " ") || index(line, " " p[i] " at "))
					return p[i]
			return ""
		}
		/-+\[ cut here \]-+/ { inblock = 1; nb = 0 }
		inblock { b[++nb] = $0
			if ($0 ~ /WARNING: / && platform($0) != "") { drop = 1; wp = platform($0) }
			if ($0 ~ /---\[ end trace/) {
				if (drop) print wp > aside
				else for (i = 1; i <= nb; i++) print b[i]
				inblock = 0; drop = 0
			}
			next }
		{ print }
		END { if (inblock && !drop) for (i = 1; i <= nb; i++) print b[i] }'
}

# l2_platform_warns: PLATFORM_WARNS for the L2 guest of scripts/guest/l2.sh.
l2_platform_warns() {
	PLATFORM_WARNS=(
		"kernel/time/hrtimer.c:2101 7.3's hrtimer base ran another timer than the one whose callback had returned, at L2's boot under TCG's nested SVM, where L2's clocks jump by seconds; not root-caused (Documentation/testing.rst, 'A real VMM')"
	)
}

# named_aside ASIDE: a line naming each PLATFORM_WARNS entry, with its
# reason, that kernel_log set aside into the file ASIDE.
named_aside() {
	local w
	for w in "${PLATFORM_WARNS[@]}"; do
		! platform_places "$w" | grep -q -x -F -f - "$1" ||
			echo "set aside, a platform WARN at ${w%% *}: ${w#* }"
	done
}

# console_no_splat CONSOLE: a guest's console log, the file CONSOLE, has no
# splat and no panic, the platform's WARNs set aside (their places go to
# CONSOLE.platform-warns) and named.
console_no_splat() {
	local console=$1 log
	: >"$console.platform-warns"
	log=$(kernel_log "$console.platform-warns" "$console")
	named_aside "$console.platform-warns"
	if grep -E -q -- "$SPLAT|Kernel panic|general protection fault" <<<"$log"; then
		echo "the kernel logged a splat:"
		grep -E -A20 -- "$SPLAT|Kernel panic|general protection fault" <<<"$log"
		return 1
	fi
}

# no_splat GUARD_WARNS: the kernel log has no splat but GUARD_WARNS guard
# WARNs (each with its "cut here" line), the platform's WARNs set aside.
no_splat() {
	local want=$1 warns guard splats log
	: >"$results/platform-warns"
	log=$(kernel_log "$results/platform-warns")
	named_aside "$results/platform-warns"
	warns=$(grep -c -E "$WARN_LINE" <<<"$log")
	guard=$(grep -c -F "$GUARD_WARN" <<<"$log")
	splats=$(grep -c -E -- "$SPLAT" <<<"$log")
	if [ "$guard" -ne "$want" ] || [ "$warns" -ne "$want" ] || [ "$splats" -ne $((2 * want)) ]; then
		echo "expected $want splat(s), the guard WARN ($GUARD_WARN); got $warns WARNs, $guard of them the guard's:"
		grep -E -A20 -- "$SPLAT" <<<"$log"
		return 1
	fi
	# A Rust WARN names its Rust caller: the hook in kvm_pfec.rs, not a
	# helper.
	if [ "$want" -gt 0 ] && [ "$(grep -F "$GUARD_WARN (" <<<"$log" |
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

# kvm_pfec_test.ko's kvm_pfec_registration suite leaks a registration, as
# safe Rust may: its removal must have ended it, with KVM's word for it, and
# left KVM free for another policy (kvm_pfec.ko, loaded next).
leaked_registration_ended() {
	logged 'module kvm_pfec_test went away with its page-fault error-code policy registered; KVM unregistered it' >/dev/null || {
		echo "no line from KVM that it unregistered the policy kvm_pfec_test.ko leaked"
		return 1
	}
	insmod "$ko" && rmmod kvm_pfec
}

# The module ($ko) loads, logs its version, and says it unloaded after its
# hooks are gone.
module_cycle() {
	local last
	insmod "$ko" && logged 'kvm_pfec: kvm-pfec [0-9.]+ loaded' >/dev/null &&
		rmmod kvm_pfec || return 1
	# "unloaded" comes once KVM has unregistered the hooks, not before.
	last=$(dmesg | grep -E -o 'page-fault error-code policy unregistered|kvm-pfec [0-9.]+ unloaded' |
		tail -n 2 | sed 's/[0-9.]* unloaded/unloaded/' | tr '\n' ';')
	[ "$last" = "page-fault error-code policy unregistered;kvm-pfec unloaded;" ] || {
		echo "the last two lines of unloading, in order: $last"
		return 1
	}
}
