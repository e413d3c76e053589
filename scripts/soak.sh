#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-soak`: the guest part of `make check` (scripts/guest/check.sh:
# module load and unload, KUnit, our and upstream's selftests, the L2 boot)
# SOAK_RUNS times in a row (default 30), each in a fresh boot, with
# SOAK_HOGS busy loops on the host (default 2) competing for the cores.  It
# is the check that the VM does not die at random (the int3 oops of
# Documentation/testing.rst).
#
# A soak takes hours, longer than one sitting, so it works on a snapshot and
# can be resumed.  A new soak first builds what is missing, then copies
# what the boots use (the kernel image, kvm_pfec.ko and kvm_pfec_test.ko,
# the selftests, the L2 initramfs and these scripts) into RESULTS/snapshot; rebuilding the tree
# afterwards does not change what the soak tests.  RESULTS/boots records
# each finished boot.  SOAK_DIR=RESULTS continues that soak where it
# stopped; a boot that was cut off without a verdict (the host stopped) is
# run again.  To pause a soak cleanly, create RESULTS/stop: the soak ends
# after the boot that is running, and SOAK_DIR=RESULTS resumes it.
#
# Each boot is one test, which passes when the VM lived: that is what the
# soak is for.  A death prints its oops and the test it interrupted.  Tests
# that fail in a boot that lived are listed, by name and count, because
# the host's load is what makes some of them fail (see testing.rst).  Ends
#   soak: N boots ...: D VM deaths, F with failed tests
#   N passed, N failed, 0 skipped
# and exits non-zero when a VM died.
set -uo pipefail
STAGE=soak
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"

top=${SOAK_DIR:-}
if [ -n "$top" ]; then
	[ -f "$top/soak.conf" ] && [ -d "$top/snapshot" ] ||
		die "SOAK_DIR=$top is not a soak's results directory (no soak.conf or snapshot/)"
	# shellcheck source=/dev/null
	. "$top/soak.conf"
	# A soak's kernel is the one it snapshotted (soaks from before
	# SOAK_KERNEL was recorded name it in the "# kernel:" comment).
	SOAK_KERNEL=${SOAK_KERNEL:-$(sed -n 's/^# kernel: linux-\([0-9]*\.[0-9]*\).*/\1/p' "$top/soak.conf")}
	[ "${SOAK_KERNEL:-}" = "$KVM_PFEC_KERNEL" ] ||
		die "$top is a soak of Linux ${SOAK_KERNEL:-?}: resume it with KERNEL=${SOAK_KERNEL:-?}"
	[ -z "${SOAK_RUNS:-}" ] || RUNS=$SOAK_RUNS
else
	RUNS=${SOAK_RUNS:-30} HOGS=${SOAK_HOGS:-2}
fi
case "$RUNS$HOGS" in *[!0-9]* | '') die "SOAK_RUNS and SOAK_HOGS must be numbers" ;; esac

snapshot() {
	local snap=$1 kdir
	kdir=$(kernel_dir)
	mkdir -p "$snap/tree/selftests" &&
		cp "$kdir/arch/x86/boot/bzImage" "$snap/bzImage" &&
		cp -a "$(bash "$KVM_PFEC_TOP/scripts/selftests.sh" --print-dir)" "$snap/kselftest" &&
		cp "$(module_dir)/rust/kvm_pfec.ko" "$(module_dir)/rust/kvm_pfec_test.ko" "$snap/" &&
		cp "$(bash "$KVM_PFEC_TOP/scripts/l2.sh" --print-path)" "$snap/l2-initramfs.cpio" &&
		cp -a "$KVM_PFEC_TOP/scripts" "$snap/tree/" &&
		cp "$KVM_PFEC_TOP"/selftests/*.list "$snap/tree/selftests/"
}

if [ -z "$top" ]; then
	bash "$KVM_PFEC_TOP/scripts/setup.sh" &&
		bash "$KVM_PFEC_TOP/scripts/kernel.sh" &&
		bash "$KVM_PFEC_TOP/scripts/module.sh" &&
		bash "$KVM_PFEC_TOP/scripts/selftests.sh" &&
		bash "$KVM_PFEC_TOP/scripts/l2.sh" || die "build failed"
	top=$KVM_PFEC_CACHE/results/soak-$(date +%Y%m%d-%H%M%S)
	mkdir -p "$top"
	snapshot "$top/snapshot" || die "could not copy the build into $top/snapshot"
	cat >"$top/soak.conf" <<-EOF
		# kvm-pfec soak, started $(date -u '+%Y-%m-%d %H:%M UTC')
		# source: $(git -C "$KVM_PFEC_TOP" describe --always --dirty 2>/dev/null || echo unknown)
		# commit: $(git -C "$KVM_PFEC_TOP" rev-parse HEAD)$(git -C "$KVM_PFEC_TOP" status --porcelain -- $CHECK_INPUTS | grep -q . && echo " (with uncommitted changes to its inputs)")
		# kernel: $(basename "$(kernel_dir)"); $(qemu-system-x86_64 --version | head -n 1)
		RUNS=$RUNS HOGS=$HOGS SOAK_KERNEL=$KVM_PFEC_KERNEL
	EOF
	: >"$top/boots"
	say "results go to $top (resume with SOAK_DIR=$top)"
else
	say "resuming the soak in $top: $(wc -l <"$top/boots") of $RUNS boots done"
fi
need_setup
snap=$top/snapshot
vm=("$snap/tree/scripts/vm.sh")

trap stop_hogs EXIT

t0=$SECONDS
rm -f "$top/stop"
for i in $(seq $(($(wc -l <"$top/boots") + 1)) "$RUNS"); do
	if [ -e "$top/stop" ]; then
		say "paused after $((i - 1)) of $RUNS boots ($top/stop); resume with SOAK_DIR=$top"
		break
	fi
	results=$top/$i
	if [ -e "$results" ]; then
		say "boot $i was cut off before its verdict; running it again"
		rm -rf "$results"
	fi
	mkdir -p "$results"
	start_hogs "$HOGS"
	t=$SECONDS
	KVM_PFEC_KIMG=$snap/bzImage bash "${vm[@]}" --timeout 1800 --results "$results" -- \
		scripts/guest/check.sh "$results" "$snap/kselftest" selftests/upstream-$KVM_PFEC_KERNEL.list \
		"$snap/kvm_pfec.ko" "$snap/bzImage" "$snap/l2-initramfs.cpio" \
		>"$results/vm.log" 2>&1
	rc=$?
	stop_hogs
	secs=$((SECONDS - t))
	if vm_died "$results"; then
		echo "$i died $secs $(last_running "$results")" >>"$top/boots"
		say "boot $i of $RUNS: the VM DIED (status $rc) while running: $(last_running "$results")"
		explain_death "$results/console.log" >&2 || tail -n 15 "$results/console.log" >&2
	elif [ "$rc" -ne 0 ]; then
		mapfile -t bad < <(grep -h '^not ok' "$results/guest.tap" "$results/kselftest.tap" |
			sed -e 's/^not ok [0-9]* //' -e 's/^selftests: [^:]*: //' -e 's/ # .*//' -e 's/ /_/g')
		echo "$i failed $secs ${bad[*]}" >>"$top/boots"
		say "boot $i of $RUNS: lived, with failed tests ($secs s): ${bad[*]}"
	else
		echo "$i ok $secs" >>"$top/boots"
		say "boot $i of $RUNS: ok ($secs s)"
	fi
done

n=$(wc -l <"$top/boots")
died=$(awk '$2 == "died"' "$top/boots" | wc -l)
failed=$(awk '$2 == "failed"' "$top/boots" | wc -l)
echo
echo "soak: $n boots with $HOGS host CPU hogs ($(grep '^# source' "$top/soak.conf" | cut -c3-)), $(awk '{ s += $3 } END { printf "%d", s / 60 }' "$top/boots") min in all: $died VM deaths, $failed with failed tests"
if [ "$failed" -gt 0 ]; then
	echo "tests that failed in boots that lived (boots out of $n):"
	awk '$2 == "failed" { for (f = 4; f <= NF; f++) c[$f]++ } END { for (t in c) printf "  %s: %d\n", t, c[t] }' \
		"$top/boots" | sort
fi
# The soak's figures, as of the snapshot's commit (soak.conf), in
# results/soak-<kernel>.txt: a paused soak writes what it has so far.
{
	echo "boots: $n of $RUNS"
	echo "host_hogs: $HOGS"
	echo "minutes: $(awk '{ s += $3 } END { printf "%d", s / 60 }' "$top/boots")"
	echo "vm_deaths: $died"
	echo "boots_with_failed_tests: $failed"
	echo
	echo "boot verdict seconds [failed tests | test running at death]"
	cat "$top/boots"
} | RESULT_COMMIT=$(sed -n 's/^# commit: //p' "$top/soak.conf" | grep . || echo "unknown (a soak started before soak.conf recorded its commit)") \
	write_result "soak-$KVM_PFEC_KERNEL" "make check-soak KERNEL=$KVM_PFEC_KERNEL" $CHECK_INPUTS
echo "$((n - died)) passed, $died failed, 0 skipped"
[ "$died" -eq 0 ]
