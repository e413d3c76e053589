#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs as the init's script in the Bochs guest of scripts/vmx.sh: the
# entries of /vmx/plan ("NAME LIMIT COMMAND..."), from the entry that the
# kernel command line's vmx.start= names.  Each entry's TAP goes to the
# host over com2 (/dev/ttyS1):
#     @vmx run I NAME          before it
#     # ...                    its output
#     ok I NAME | not ok I NAME | ok I NAME # SKIP   after it
# The host keeps the wall-clock limits: a guest-side timeout would count
# guest time, which under Bochs advances with instructions, not seconds.
set -u
results=/tmp/results
mkdir -p "$results"
ko=/vmx/kvm_pfec.ko
. /vmx/lib.sh

# The TAP channel, raw: no \r before each \n.
stty -F /dev/ttyS1 raw -echo 115200 2>/dev/null
exec 3>/dev/ttyS1

start=1
for a in $(cat /proc/cmdline); do
	case $a in vmx.start=*) start=${a#vmx.start=} ;; esac
done

# A selftest's status: 0 pass, 4 skip (KSFT_SKIP), anything else a failure.
selftest() {
	KVM_PFEC_KO=$ko "/vmx/$1" "${@:2}"
}

# bochs_irq_exits PFEC_SPIN_TEST: Bochs 2.7's VMX takes no external-interrupt
# exit while a guest that entered with RFLAGS.IF clear spins with it clear,
# though the SDM's external-interrupt exiting ignores the guest's IF.
# pfec_spin_test shows it, and so fails here: no exit counted in the spin
# with interrupts disabled since entry, some with them enabled (its middle
# count, after an sti;cli, says whether a change of IF matters).  Exactly
# that failure passes; anything else, a pass included (a Bochs that exits
# there), fails, and then the plan's "limit" entries, which hang for it,
# can join "check".
bochs_irq_exits() {
	local out rc
	out=$(selftest "$1" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" -ne 0 ] && grep -q -E '^irq exits in [0-9]+ ms spins: 0 with interrupts disabled since entry, [0-9]+ disabled after sti;cli, [1-9][0-9]* enabled$' <<<"$out"
}

# make bench's boot (scripts/guest/bench.sh, in bochs mode): the fault path
# without and with the module, and the decisions.  Its argument is the
# benchmark's path in /vmx, where bench.sh looks for it.
bench_bochs() {
	[ "$1" = kvm-pfec/pfec_fault_bench ] || return 1
	bash /vmx/bench.sh bochs "$results" /vmx "$ko"
}

# The end of a boot: no splat but the guard WARN, if pfec_inject_test made
# it in this boot (it says "stripped at the ..." when it did; on VMX with
# EPT it injects where nothing strips).
no_splat_boot() {
	no_splat "$([ -e "$results/guard-warned" ] && echo 1 || echo 0)"
}

# Debian's kernel (STOCK=1): its KVM modules, in /vmx/stock in load order,
# with the kvm.* and kvm_intel.* parameters of the command line (modprobe
# would pass them; busybox's insmod does not).
stock_modules() {
	local m mod args a
	while read -r m; do
		mod=${m%.ko}
		mod=${mod//-/_}
		args=()
		for a in $(cat /proc/cmdline); do
			case $a in "$mod".*=*) args+=("${a#"$mod".}") ;; esac
		done
		insmod "/vmx/stock/$m" "${args[@]}" || echo "vmx: insmod $m ${args[*]} failed"
	done </vmx/stock/order
}

# kvm_intel's parameter $1 is $2.
param() {
	local v
	v=$(cat "/sys/module/kvm_intel/parameters/$1") || return 1
	echo "kvm_intel.$1=$v"
	[ "$v" = "$2" ]
}

# KUnit: the series' built-in C suite ran at boot, kvm_pfec_test.ko's
# suites run at insmod; their KTAP goes to the host between markers.
kunit() {
	local f found=0
	insmod /vmx/kvm_pfec_test.ko || return 1
	echo "@vmx ktap begin" >&3
	for f in /sys/kernel/debug/kunit/kvm_pfec_*/results; do
		[ -r "$f" ] || continue
		cat "$f" >&3
		found=1
	done
	echo "@vmx ktap end" >&3
	rmmod kvm_pfec_test || return 1
	[ $found = 1 ] || { echo "no kvm_pfec KUnit results in /sys/kernel/debug/kunit"; return 1; }
	leaked_registration_ended
}

load_module() {
	[ -e /sys/module/kvm_pfec ] || insmod "$ko"
}

unload_module() {
	rmmod kvm_pfec
}

# Bochs's CPUID, which the kernel checks at boot and WARNs about; neither
# place is on KVM's or kvm-pfec's path (Documentation/testing.rst, "Intel,
# under Bochs").
# 6.12 and 7.3 number the lines differently.
PLATFORM_WARNS=(
	"arch/x86/kernel/cpu/topology_common.c:57 Bochs's CPUID leaf 1 gives fewer logical-CPU bits (EBX[23:16]) than its leaf 4 gives cores, which parse_legacy() checks (6.12)"
	"arch/x86/kernel/cpu/topology_common.c:95 Bochs's CPUID leaf 1 gives fewer logical-CPU bits (EBX[23:16]) than its leaf 4 gives cores, which parse_legacy() checks (7.3)"
	"arch/x86/kernel/fpu/xstate.c:605-606 Bochs's CPUID leaf 0xd gives an XSAVE area size that differs from the sum of its components' (6.12; 7.3 boots with noxsave)"
)

[ ! -f /vmx/stock/order ] || stock_modules

echo "@vmx ready start=$start end" >&3
i=0
while read -r name limit cmd; do
	i=$((i + 1))
	if [ "$i" -lt "$start" ]; then
		# An earlier boot ran it; state that later entries need is
		# set up again.
		[ "$cmd" != load_module ] || load_module >/dev/null 2>&1
		continue
	fi
	echo "@vmx run $i $name" >&3
	printf '%s\n' "$name" >"$results/running"
	# shellcheck disable=SC2086 # the plan's command is words
	# Its stdin is not the plan's: a program that read it would shift
	# the entries' numbers away from the host's.
	$cmd </dev/null 2>&1 | tee "$results/out" | sed 's/^/# /' >&3
	rc=${PIPESTATUS[0]}
	[ "$rc" != 0 ] || ! grep -q '^stripped at the ' "$results/out" || touch "$results/guard-warned"
	case $rc in
	0) echo "ok $i $name" >&3 ;;
	4)
		# The reason: the test's own last SKIP line.
		why=$(grep -E 'SKIP|[Ss]kip' "$results/out" | tail -n 1 | sed -E 's/^.*# SKIP *-? *//')
		echo "ok $i $name # SKIP ${why:-its exit status was 4 (KSFT_SKIP)}" >&3
		;;
	*) echo "not ok $i $name # exit status $rc" >&3 ;;
	esac
	echo "@vmx done $i end" >&3
done </vmx/plan
echo "@vmx end" >&3
