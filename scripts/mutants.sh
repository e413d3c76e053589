#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make mutants`: mutation testing of the pure core (rust/pfec/) with
# cargo-mutants, which changes the code one operator or return value at a
# time and runs `cargo test` against each change.  A change the tests fail on
# is caught; one they pass is missed, unless rust/mutants-equivalent.txt lists
# it, with the reason it cannot change behaviour.  What is not mutated, and
# why, is in .cargo/mutants.toml.
#
# Ends with "mutants: N caught, N equivalent, N missed"; exits non-zero when a
# mutant is missed, or when the equivalents list names a mutant that no longer
# exists (code moved: review the list again).
#
# Writes its figures to results/mutants.txt (cargo-mutants' own output stays
# in $KVM_PFEC_CACHE/results/<date>-mutants/).
set -euo pipefail
STAGE=mutants
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"
need_setup

[ -x "$CARGO_MUTANTS" ] || die "no cargo-mutants at $CARGO_MUTANTS: run make setup"
top=$KVM_PFEC_TOP
results=$KVM_PFEC_CACHE/results/$(date +%Y%m%d-%H%M%S)-mutants
mkdir -p "$results"
equivalent_list=$top/rust/mutants-equivalent.txt

say "cargo mutants over rust/pfec/ ($(nproc) jobs; log: $results/cargo-mutants.log)"
t0=$SECONDS
# cargo-mutants exits 2 when mutants are missed: that is for this script to
# report.  Anything else non-zero is a failure to run.
(cd "$top" && RUSTC_BOOTSTRAP=1 exec "$CARGO_MUTANTS" mutants --no-shuffle -j"$(nproc)" \
	--output "$results") >"$results/cargo-mutants.log" 2>&1 &
pid=$!
last=$SECONDS
while kill -0 "$pid" 2>/dev/null; do
	sleep 2
	if [ $((SECONDS - last)) -ge 30 ]; then
		# One log per mutant tested, and one for the unmutated baseline.
		n=$(find "$results/mutants.out/log" -type f 2>/dev/null | wc -l)
		total=$(sed -n 's/^Found \([0-9]*\) mutants to test.*/\1/p' "$results/cargo-mutants.log")
		say "running: $((n > 0 ? n - 1 : 0)) of ${total:-?} mutants tested, $(grep -c '^MISSED' "$results/cargo-mutants.log") missed so far"
		last=$SECONDS
	fi
done
rc=0
wait "$pid" || rc=$?
case $rc in
0 | 2) ;;
*) tail -n 20 "$results/cargo-mutants.log" >&2; die "cargo mutants failed (exit $rc); see $results/cargo-mutants.log" ;;
esac
out=$results/mutants.out
count() { [ -s "$1" ] && wc -l <"$1" || echo 0; }

# The list: "<mutant as cargo-mutants names it>  # <reason>"; comments and
# blank lines aside.
sed -n 's/^\([^#].*[^ ]\) *# .*/\1/p' "$equivalent_list" | sort >"$results/equivalent-listed.txt"
sort "$out/missed.txt" 2>/dev/null >"$results/missed-all.txt" || : >"$results/missed-all.txt"
comm -12 "$results/missed-all.txt" "$results/equivalent-listed.txt" >"$results/equivalent.txt"
comm -23 "$results/missed-all.txt" "$results/equivalent-listed.txt" >"$results/missed.txt"
comm -13 "$results/missed-all.txt" "$results/equivalent-listed.txt" >"$results/stale.txt"

caught=$(($(count "$out/caught.txt") + $(count "$out/timeout.txt")))
echo "$(count "$out/unviable.txt") mutants do not build (the compiler, or a const assertion, rejects them); $(count "$out/timeout.txt") of the caught ones timed out"
if [ -s "$results/missed.txt" ]; then
	echo "missed (the tests pass with these changes):"
	sed 's/^/  /' "$results/missed.txt"
fi
if [ -s "$results/stale.txt" ]; then
	echo "listed as equivalent in rust/mutants-equivalent.txt but not missed now (moved, caught or gone; review the list):"
	sed 's/^/  /' "$results/stale.txt"
fi
say "ran in $((SECONDS - t0)) s; results: $results"
{
	echo "caught: $caught"
	echo "equivalent: $(count "$results/equivalent.txt")"
	echo "missed: $(count "$results/missed.txt")"
	echo "unviable: $(count "$out/unviable.txt")"
	echo "timed_out: $(count "$out/timeout.txt")"
	echo "stale_equivalents: $(count "$results/stale.txt")"
	echo "wall_s: $((SECONDS - t0))"
	echo "jobs: $(nproc)"
	[ ! -s "$results/missed.txt" ] || sed 's/^/missed mutant: /' "$results/missed.txt"
} | RESULT_KERNEL=none write_result mutants "make mutants" \
	rust/pfec rust/host.rs rust/mutants-equivalent.txt .cargo/mutants.toml Cargo.toml Cargo.lock scripts/mutants.sh
echo "mutants: $caught caught, $(count "$results/equivalent.txt") equivalent, $(count "$results/missed.txt") missed"
[ ! -s "$results/missed.txt" ] && [ ! -s "$results/stale.txt" ]
