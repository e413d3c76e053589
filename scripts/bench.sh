#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: ratios measured in one boot each.  Separate from make check:
# it measures, it does not pass or fail.
#
#   - fault path, in guest instructions: pfec_fault_bench in a default and a
#     software-protected VM, with and without kvm_pfec.ko, alternating in one
#     boot under qemu's icount (KVM_PFEC_ICOUNT=1), where the guest's clock
#     counts instructions; the medians, their ratio and the runs' spread;
#   - the same under shadow paging (a second icount boot, kvm_amd.npt=0),
#     where KVM intercepts every guest #PF and each error code reaches the
#     #PF entry's hook point: the default VM only;
#   - the same on Intel: a Bochs boot with VMX and EPT (scripts/vmx.sh,
#     KVM_PFEC_VMX_SET=bench), in Bochs-clock nanoseconds.  That clock is
#     not one instruction a nanosecond, and the same boot finds different
#     rates for L1's and the nested guest's instructions, so the Intel
#     figure is not an instruction count (scripts/bench-figures.sh);
#   - fault path, in wall time: the same in an ordinary boot, as a secondary
#     figure;
#   - decisions: kvm_pfec_bench.ko's ns per call of the Rust decisions and of
#     upstream's C, and their ratio, in both boots;
#   - with LOOP=1, the development loop's wall times: a warm make check, and
#     a module-only edit, build and boot test (make run).  COLD=1 adds a cold
#     make check from an empty cache in a temporary directory (see
#     results/ci-cold.txt for what a cold run takes).
#
# Under KVM (KVM_PFEC_ACCEL=kvm, on a host that can run our kernel) there is
# no icount: the wall-time boot is the only one.
#
# Writes its figures to results/bench-<kernel>.txt (the logs stay in
# $KVM_PFEC_CACHE/results/<date>-bench/), and fails when a goal is missed
# or not measured (scripts/bench-figures.sh): a fault-path ratio
# (instructions, with / without the module) above 1.010, from the icount
# boots (nested and shadow paging) or the Bochs boot, or a decision ratio
# (Rust / C) above 1.10, from the icount boot.
set -euo pipefail
STAGE=bench
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"

results=$KVM_PFEC_CACHE/results/$(date +%Y%m%d-%H%M%S)-bench
mkdir -p "$results"
top=$KVM_PFEC_TOP

wall() { # LABEL COMMAND...: run COMMAND, log it, print its wall time
	local label=$1 t0=$SECONDS
	shift
	"$@" >"$results/$(echo "$label" | tr -c 'a-z0-9\n' '-').log" 2>&1 ||
		die "$label failed; see $results"
	printf '%-44s %4d s\n' "$label" $((SECONDS - t0)) | tee -a "$results/loop.txt"
}

: >"$results/loop.txt"
: >"$results/bench.txt"
if [ "${COLD:-}" = 1 ] || [ "${LOOP:-}" = 1 ]; then
	if [ "${COLD:-}" = 1 ]; then
		cold=$(mktemp -d)
		git -C "$top" clone -q "$top" "$cold/repo"
		wall "cold make check (empty cache, fresh clone)" \
			env KVM_PFEC_CACHE="$cold/cache" make -C "$cold/repo" check
		rm -rf "$cold"
	fi
	wall "warm make check (nothing to rebuild)" make -C "$top" check
	touch "$top/rust/kvm_pfec.rs"
	wall "module-only edit: build and boot test (make run)" make -C "$top" run
fi
bash "$top/scripts/module.sh" >/dev/null
bash "$top/scripts/selftests.sh" >/dev/null

boot() { # icount|wall
	bash "$top/scripts/vm.sh" --timeout 1800 --results "$results" --console "$results/console-$1.log" -- \
		scripts/guest/bench.sh "$1" "$results" "$(bash "$top/scripts/selftests.sh" --print-dir)" \
		"$(module_dir)/rust/kvm_pfec.ko" 2>&1 | tee "$results/vm-$1.log" |
		grep -v -E '^(default|protected) (on|off) '
	[ "${PIPESTATUS[0]}" = 0 ] || die "the $1 boot failed; see $results/vm-$1.log"
}

if [ "${KVM_PFEC_ACCEL:-auto}" != kvm ]; then
	say "booting under icount for the instruction counts"
	KVM_PFEC_ACCEL=tcg KVM_PFEC_ICOUNT=1 boot icount
	say "booting under icount with shadow paging (kvm_amd.npt=0)"
	KVM_PFEC_ACCEL=tcg KVM_PFEC_ICOUNT=1 KVM_PFEC_APPEND="${KVM_PFEC_APPEND:+$KVM_PFEC_APPEND }kvm_amd.npt=0" \
		boot shadow
fi
say "booting under Bochs (Intel VMX) for its instruction counts"
# The guest's output of the bench entry, less the "# " of TAP.
if KVM_PFEC_VMX_SET=bench bash "$top/scripts/vmx.sh" --results "$results/vmx" >"$results/vmx.log" 2>&1; then
	sed -n '/^# == fault path, bochs boot/,/^\(not \)\?ok /p' "$results/vmx/vmx.tap" |
		sed -n 's/^# //p' | tee -a "$results/bench.txt"
else
	say "the Bochs boot failed; see $results/vmx.log"
	tail -n 20 "$results/vmx.log" >&2
fi
say "booting for the wall-time figures"
boot wall
accel=$(sed -n 's/.*booting .* (\(tcg\|kvm\)[,)].*/\1/p' "$results/vm-wall.log" | head -n 1)

{
	if [ -s "$results/loop.txt" ]; then
		echo
		echo "== development loop, wall time"
		cat "$results/loop.txt"
	fi
	echo
	echo "measured on: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); the wall-time guest under ${accel:-?}; the Intel guest under bochs $(dpkg-query -W -f='${Version}' bochs 2>/dev/null), cpu ${KVM_PFEC_VMX_CPU:-corei7_skylake_x}, count=1, ips=1e9, clock sync=none"
} | tee -a "$results/bench.txt"
say "results: $results/bench.txt"

# The figures and the goals (scripts/bench-figures.sh), then the whole
# bench.txt, in results/bench-<kernel>.txt; fail when a goal was missed or
# could not be measured.
rc=0
figures=$(bash "$top/scripts/bench-figures.sh" "$results/bench.txt") || rc=$?
{
	echo "$figures"
	echo
	cat "$results/bench.txt"
} | write_result "bench-$KVM_PFEC_KERNEL" "make bench KERNEL=$KVM_PFEC_KERNEL" \
	$(fault_path_inputs "$KVM_PFEC_KERNEL") scripts/bench.sh scripts/bench-figures.sh scripts/guest/bench.sh \
	scripts/vmx.sh scripts/vmx.plan scripts/guest/vmx.sh scripts/guest/vmx-init.sh
[ "$rc" -eq 0 ] || die "$(grep '^goals:' <<<"$figures")"
