#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the kvm-pfec kernel with virtme-ng and run one command in it, as root.
# The guest sees the host's file system read-only, plus RESULTS read-write.
#
# Usage: scripts/vm.sh [--timeout SECONDS] [--results DIR] [--] [COMMAND...]
#
# Exits with the command's status; 124 when the timeout ended the VM.
# Without a command: an interactive shell in the VM (no timeout).
#
# KVM_PFEC_APPEND adds kernel command-line arguments.
#
# Acceleration (KVM_PFEC_ACCEL=auto|kvm|tcg, default auto): KVM only when the
# host can run kvm_amd with nested SVM in the guest; otherwise qemu's TCG with
# an emulated EPYC, whose SVM and NPT run kvm_amd (see Documentation/).
set -euo pipefail
STAGE=vm
. "$(dirname "$0")/lib.sh"
need_setup

timeout_s=900
results=
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (usage: scripts/vm.sh [--timeout S] [--results DIR] [--] [COMMAND...])" ;;
	*) break ;;
	esac
done

KDIR=$(kernel_dir)
[ -f "$KDIR/arch/x86/boot/bzImage" ] || die "no kernel at $KDIR: run scripts/kernel.sh (make kernel) first"

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
case $accel in
kvm) vng_accel=(--qemu-opts='-cpu host') ;;
tcg) vng_accel=(--disable-kvm --qemu-opts='-cpu EPYC') ;;
*) die "KVM_PFEC_ACCEL must be auto, kvm or tcg, not '$accel'" ;;
esac

args=(--run "$KDIR" "${vng_accel[@]}" --memory 3G --cpus 2
      --append panic=-1 --append oops=panic --cwd "$KVM_PFEC_TOP")
[ -z "$results" ] || args+=(--rwdir "$results")
# Extra kernel command line, e.g. KVM_PFEC_APPEND=mitigations=off.
for a in ${KVM_PFEC_APPEND:-}; do
	args+=(--append "$a")
done
if [ $# -eq 0 ]; then
	say "booting $(basename "$KDIR") ($accel), interactive shell"
	exec env PATH="$VENV/bin:$PATH" vng "${args[@]}"
fi
cmd=$(printf '%q ' "$@")
say "booting $(basename "$KDIR") ($accel), running: $cmd"
# Pipe, do not redirect: qemu reopens stdout and stderr separately, and with
# both on one file stderr overwrites stdout.
# qemu repeats, per vCPU, each EPYC feature that TCG lacks (nrip-save, ...):
# known and harmless, so keep them out of the output.  No --foreground: on
# expiry timeout then signals its whole process group, qemu included.
set +e
timeout -k 10 "$timeout_s" \
	env PATH="$VENV/bin:$PATH" vng "${args[@]}" --exec "$cmd" 2>&1 |
	grep --line-buffered -v "TCG doesn't support requested feature"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -ne 124 ] || say "the VM did not finish within $timeout_s s and was stopped"
exit "$rc"
