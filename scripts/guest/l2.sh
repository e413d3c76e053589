#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM: a real VMM on our KVM.  qemu boots a Linux guest (L2:
# our bzImage and the initramfs of scripts/l2.sh, whose init touches memory
# and powers off) while kvm_pfec is loaded, and this script prints the
# module's counters about once a second, as kvm_stat would, then their final
# figures, beside KVM's own count of the faults it handled (pf_taken).
# qemu's VM is a default one, without private memory: KVM asks the module
# for no private-access decision there, so while KVM handles the guest's
# faults the module's decision counters must stay 0, and the module must
# still be loaded at the end.
#
# Usage: l2.sh BZIMAGE INITRAMFS CONSOLE_LOG [TOUCH_MB]
#
# The L2 console goes to CONSOLE_LOG.  Exits 0 when the guest reached its
# init, wrote and read back its memory and powered off, with no splat on its
# console (L2's platform WARNs set aside and named); non-zero otherwise,
# saying why.
set -u
bz=$1 initrd=$2 console=$3 touch_mb=${4:-256}
# TCG runs L1 and L2 in software: the guest reaches its init in 5 to 18 s
# on a quiet host; allow for a busy one.  Seconds of wall time.
TIMEOUT_S=240
STATS=/sys/kernel/debug/kvm
# lib.sh's results directory: the console's.
results=$(dirname "$console")
# shellcheck source=scripts/guest/lib.sh
. "$(dirname "$0")/lib.sh"

# L2's platform WARNs, which console_no_splat, at the end, sets aside only
# after the checks before it have shown that kvm_pfec decided nothing and
# stripped nothing for this VM: the module left every error code of L2's
# faults as KVM had it.
l2_platform_warns

[ -e /sys/module/kvm_pfec ] || { echo "kvm_pfec is not loaded"; exit 1; }
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

stat_line() { # LABEL: one line of the counters, with rates
	local f p s x
	f=$(cat $STATS/pf_taken 2>/dev/null || echo 0)
	p=$(cat $STATS/pfec_private_faults 2>/dev/null || echo 0)
	s=$(cat $STATS/pfec_shared_faults 2>/dev/null || echo 0)
	x=$(cat $STATS/pfec_synthetic_stripped 2>/dev/null || echo 0)
	printf '  %-6s %9s %9s %9s %9s %9s\n' \
		"$1" "$f" "+$((f - last_f))" "$p" "$s" "$x"
	last_f=$f last_p=$p last_s=$s last_x=$x
}

: >"$console"
# -action shutdown=pause: when the guest powers off, qemu stops it but keeps
# the VM, so its counters (which KVM drops with the VM) can still be read.
qemu-system-x86_64 -accel kvm -cpu host -smp 1 -m 512 \
	-kernel "$bz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 pfec_touch_mb=$touch_mb" \
	-nodefaults -nographic -no-reboot -serial "file:$console" -monitor none \
	-action shutdown=pause 2>"$console.qemu" &
qemu=$!

echo "qemu (pid $qemu) boots Linux on KVM; KVM's faults and kvm_pfec's counters, as kvm_stat shows them:"
printf '  %-6s %9s %9s %9s %9s %9s\n' time faults new private shared stripped
last_f=0 last_p=0 last_s=0 last_x=0 state=running start=$SECONDS
# Labelled with the seconds really elapsed: on a busy host a round of this
# loop takes longer than its one-second sleep.
while [ $((SECONDS - start)) -lt $TIMEOUT_S ]; do
	sleep 1
	if ! kill -0 $qemu 2>/dev/null; then
		state=exited
		break
	fi
	if grep -q 'reboot: Power down' "$console"; then
		# The kernel has powered off, and qemu paused the VM: these are
		# the final figures.
		state=powered-off
		break
	fi
	stat_line "$((SECONDS - start))s"
done
if [ $state = powered-off ]; then
	echo "final figures, with the guest powered off and its VM still alive:"
	stat_line final
	final_decisions=$((last_p + last_s)) final_faults=$last_f final_stripped=$last_x
fi
kill $qemu 2>/dev/null
wait $qemu 2>/dev/null

echo "L2 console ($console):"
# Without the terminal controls that the firmware writes.
sed -i 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' "$console"
grep -E 'kvm-pfec L2|Linux version|reboot: Power down' "$console" | sed 's/^/  /'
case $state in
running) echo "the L2 guest did not power off within $TIMEOUT_S s"; exit 1 ;;
exited)
	echo "qemu exited before the guest powered off:"
	cat "$console.qemu"
	tail -n 30 "$console"
	exit 1
	;;
esac
grep -q 'kvm-pfec L2: init reached' "$console" || { echo "the L2 guest never reached its init"; exit 1; }
grep -q 'kvm-pfec L2: powering off (ok)' "$console" || { echo "the L2 init failed"; exit 1; }
[ "${final_faults:-0}" -gt 0 ] || { echo "KVM handled no fault of the L2 guest"; exit 1; }
[ "${final_decisions:-1}" = 0 ] || {
	echo "kvm_pfec decided $final_decisions faults of a VM without private memory, where KVM should not call it"
	exit 1
}
# No hardware sets KVM's synthetic bits, so the guard strips none.
[ "${final_stripped:-1}" = 0 ] || {
	echo "kvm_pfec stripped synthetic bits from $final_stripped error codes of a VM that no test injects into"
	exit 1
}
[ -e /sys/module/kvm_pfec ] || { echo "kvm_pfec is no longer loaded"; exit 1; }
console_no_splat "$console" | sed 's/^/L2: /'
[ "${PIPESTATUS[0]}" = 0 ]
