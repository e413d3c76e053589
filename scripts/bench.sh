#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: ratios measured in one boot, and the development loop's wall
# times.  Separate from make check: it measures, it does not pass or fail.
#
#   - fault path: pfec_fault_bench's faults/s in a default and a
#     software-protected VM, with and without kvm_pfec.ko, alternating in one
#     boot; the medians and their ratio (time per fault, with over without);
#   - decisions: kvm_pfec_bench.ko's ns per call of the Rust decisions and of
#     upstream's C, and their ratio;
#   - the loop: a warm make check, and a module-only edit, build and boot
#     test (make run).  With COLD=1, also a cold make check from an empty
#     cache in a temporary directory (about 20 minutes).
#
# Writes $KVM_PFEC_CACHE/results/<date>-bench/bench.txt.
set -euo pipefail
STAGE=bench
. "$(dirname "$0")/lib.sh"

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

say "booting for the benchmarks"
bash "$top/scripts/vm.sh" --timeout 1800 --results "$results" -- \
	scripts/guest/bench.sh "$results" "$(bash "$top/scripts/selftests.sh" --print-dir)" \
	"$(module_dir)/rust/kvm_pfec.ko" 2>&1 | tee "$results/vm.log" |
	grep -v -E '^(default|protected) (on|off) '
accel=$(sed -n 's/.*booting .* (\(tcg\|kvm\)),.*/\1/p' "$results/vm.log" | head -n 1)

{
	echo
	echo "== development loop, wall time"
	cat "$results/loop.txt"
	echo
	echo "measured on: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); the guest under ${accel:-?}"
} | tee -a "$results/bench.txt"
say "results: $results/bench.txt"
