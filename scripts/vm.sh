#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the kvm-pfec kernel with virtme-ng and run one command in it, as root.
# The guest sees the host's file system read-only, plus RESULTS read-write.
#
# Usage: scripts/vm.sh [--timeout SECONDS] [--results DIR] [--console FILE]
#                      [--] [COMMAND...]
#
# Exits with the command's status; 124 when the timeout ended the VM.
# Without a command: an interactive shell in the VM (no timeout).
#
# The guest kernel's console (all of it, at loglevel 7) goes to FILE: by
# default RESULTS/console.log, or $KVM_PFEC_CACHE/logs/console.log without
# --results.  The command's output (stdout and stderr) is what this script
# prints.  When the guest kernel oopses or panics, this script prints the
# report with its call trace from that log, so a dead VM explains itself.
#
# KVM_PFEC_APPEND adds kernel command-line arguments.
#
# Acceleration (KVM_PFEC_ACCEL=auto|kvm|tcg, default auto): KVM only when the
# host can run kvm_amd with nested SVM in the guest; otherwise qemu's TCG with
# an emulated EPYC, whose SVM and NPT run kvm_amd (see Documentation/).
# The VM has KVM_PFEC_CPUS vCPUs: by default 2 under KVM and 1 under TCG,
# because multi-threaded TCG can run stale code after one vCPU patches
# kernel text that another runs (Documentation/testing.rst, "The int3
# oops").  KVM_PFEC_TCG_THREAD=multi|single (default multi) picks qemu's
# multi-threaded or round-robin TCG; round-robin also avoids the oops, but
# makes a nested guest's boot about 40 times slower.
#
# KVM_PFEC_ICOUNT=1 (TCG only) adds qemu's -icount shift=0,sleep=off: the
# guest's clocks then advance exactly 1 ns per guest instruction, L1 and
# nested guests together, so a time measured in the guest is an instruction
# count.  icount needs round-robin TCG, which it then gets.
#
# KVM_PFEC_QEMU_OPTS adds qemu options, e.g. "-s" for a gdb stub on port
# 1234 (Documentation/reliability.rst traces a fault with it).
set -euo pipefail
STAGE=vm
. "$(dirname "$0")/lib.sh"
need_setup

timeout_s=900
results=
console=
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--console) console=$2; shift 2 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (usage: scripts/vm.sh [--timeout S] [--results DIR] [--console FILE] [--] [COMMAND...])" ;;
	*) break ;;
	esac
done

# KVM_PFEC_KIMG boots another kernel image instead (scripts/survey.sh boots
# Debian's stock kernel, unpacked with its modules beside it).
if [ -n "${KVM_PFEC_KIMG:-}" ]; then
	KDIR=$KVM_PFEC_KIMG
	[ -f "$KDIR" ] || die "no kernel image $KDIR"
else
	KDIR=$(kernel_dir)
	[ -f "$KDIR/arch/x86/boot/bzImage" ] || die "no kernel at $KDIR: run scripts/kernel.sh (make kernel) first"
fi

# Can /dev/kvm run our guest kernel with kvm_amd inside it?  It needs real
# SVM on the host and nested SVM enabled.  (A PVM /dev/kvm, as on the
# machines this project is developed on, shows neither.)
host_kvm_works() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qw svm /proc/cpuinfo &&
		case $(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null) in
		1 | Y) true ;;
		*) false ;;
		esac
}

accel=${KVM_PFEC_ACCEL:-auto}
if [ "$accel" = auto ]; then
	if host_kvm_works; then accel=kvm; else accel=tcg; fi
fi
tcg_thread=${KVM_PFEC_TCG_THREAD:-multi}
icount=${KVM_PFEC_ICOUNT:-0}
case $icount in
0) ;;
1) [ "$accel" = tcg ] || die "KVM_PFEC_ICOUNT=1 needs TCG (KVM_PFEC_ACCEL=tcg), not $accel"
   tcg_thread=single ;;
*) die "KVM_PFEC_ICOUNT must be 0 or 1, not '$icount'" ;;
esac
case $tcg_thread in
single | multi) ;;
*) die "KVM_PFEC_TCG_THREAD must be single or multi, not '$tcg_thread'" ;;
esac
case $accel in
kvm) vng_accel=(--qemu-opts="-cpu host${KVM_PFEC_QEMU_OPTS:+ $KVM_PFEC_QEMU_OPTS}")
     cpus=${KVM_PFEC_CPUS:-2} ;;
tcg) qopts="-cpu EPYC -accel tcg,thread=$tcg_thread"
     [ "$icount" = 0 ] || qopts+=" -icount shift=0,sleep=off"
     qopts+=${KVM_PFEC_QEMU_OPTS:+ $KVM_PFEC_QEMU_OPTS}
     vng_accel=(--disable-kvm --qemu-opts="$qopts")
     # KVM is built in, so it takes the TSC rate that the kernel first
     # calibrated, before the refinement a second later.  Under TCG the two
     # differ by 700 to 1200 ppm when the host is busy, past KVM's 250 ppm
     # tolerance, and KVM then runs every vCPU in TSC catch-up mode, whose
     # kvm-clock jumps by the VM's uptime (Documentation/testing.rst).
     vng_accel+=(--append kvm.tsc_tolerance_ppm=5000)
     cpus=${KVM_PFEC_CPUS:-1}
     accel="tcg, thread=$tcg_thread"
     [ "$icount" = 0 ] || accel+=", icount" ;;
*) die "KVM_PFEC_ACCEL must be auto, kvm or tcg, not '$accel'" ;;
esac

case $cpus in '' | *[!0-9]* | 0) die "KVM_PFEC_CPUS must be a number of vCPUs, not '$cpus'" ;; esac
args=(--run "$KDIR" "${vng_accel[@]}" --memory 3G --cpus "$cpus"
      --append panic=-1 --append oops=panic --cwd "$KVM_PFEC_TOP")
[ -z "$results" ] || args+=(--rwdir "$results")
# Extra kernel command line, e.g. KVM_PFEC_APPEND=mitigations=off.
for a in ${KVM_PFEC_APPEND:-}; do
	args+=(--append "$a")
done
if [ $# -eq 0 ]; then
	say "booting $(basename "$KDIR") ($accel, $cpus vCPU$([ "$cpus" = 1 ] || echo s)), interactive shell"
	exec env PATH="$VENV/bin:$PATH" vng "${args[@]}"
fi
if [ -z "$console" ]; then
	if [ -n "$results" ]; then
		console=$results/console.log
	else
		mkdir -p "$KVM_PFEC_CACHE/logs"
		console=$KVM_PFEC_CACHE/logs/console.log
	fi
fi
# The command's stderr joins its stdout; vng's stderr is then the kernel
# console alone (with --verbose, vng sends it there) and qemu's messages.
cmd="exec 2>&1; $(printf '%q ' "$@")"
say "booting $(basename "$KDIR") ($accel, $cpus vCPU$([ "$cpus" = 1 ] || echo s)), running: ${cmd#exec 2>&1; }"
say "guest console: $console"
# Pipe, do not redirect, each stream: qemu reopens stdout and stderr
# separately, and with both on one file stderr overwrites stdout.
# qemu repeats, per vCPU, each EPYC feature that TCG lacks (nrip-save, ...):
# known and harmless, so keep them out of the log.  No --foreground: on
# expiry timeout then signals its whole process group, qemu included.
exec 3> >(grep --line-buffered -v "TCG doesn't support requested feature" >"$console")
console_writer=$!
set +e
timeout -k 10 "$timeout_s" \
	env PATH="$VENV/bin:$PATH" vng "${args[@]}" --verbose --exec "$cmd" 2>&3 | cat
rc=${PIPESTATUS[0]}
set -e
# Let the console's writer finish before reading the log.
exec 3>&-
wait "$console_writer" || true
[ "$rc" -ne 124 ] || say "the VM did not finish within $timeout_s s and was stopped"
if [ "$rc" -ne 0 ] && explain_death "$console" >&2; then
	say "the guest kernel died; its console is in $console"
fi
exit "$rc"
