#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check's TAP counting (scripts/tap.sh), on made-up run_kselftest.sh
# and KUnit output: a subtest's skip makes its test a skip, a failure is a
# failure, a KUnit case is counted at its own level.
set -euo pipefail
. "$(dirname "$0")/tap.sh"
pass=0 fail=0 skip=0 bad=() skipped=()
step_failed() { fail=$((fail + 1)); bad+=("$1"); }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cat >"$t/kselftest.tap" <<'TAP'
TAP version 13
1..4
# timeout set to 120
# selftests: kvm: a_test
# ok 1 one
# ok 2 two
ok 1 selftests: kvm: a_test
# selftests: kvm: b_test
# ok 1 one
#     ok 1 deeper # SKIP no deeper
# ok 2 two # SKIP KVM_PFEC_KO not set
ok 2 selftests: kvm: b_test
# selftests: kvm: c_test
not ok 3 selftests: kvm: c_test # exit=1
# selftests: kvm: d_test
ok 4 selftests: kvm: d_test # SKIP no KVM_CAP_X
TAP
count_tap "$t/kselftest.tap" selftest "" nested
# The guest's own checks print a failed check's output after its result:
# a skip in that output is not the next check's.
cat >"$t/guest.tap" <<'TAP'
not ok 1 a check
# ok 1 something # SKIP printed by the failed check
ok 2 the next check
1..2
TAP
count_tap "$t/guest.tap" guest
cat >"$t/kunit.ktap" <<'TAP'
KTAP version 1
1..1
    KTAP version 1
    # Subtest: suite
    1..3
    ok 1 a
    not ok 2 b
    ok 3 c # SKIP cfg'd out
ok 1 suite
TAP
count_tap "$t/kunit.ktap" kunit "    "
want="3 passed, 3 failed, 3 skipped"
got="$pass passed, $fail failed, $skip skipped"
printf '%s\n' "${bad[@]}" "${skipped[@]}"
[ "$got" = "$want" ] || { echo "counted $got, want $want"; exit 1; }
printf '%s\n' "${skipped[@]}" | grep -q 'selftest: 2 selftests: kvm: b_test (passed, but its subtest skipped: deeper # SKIP no deeper two # SKIP KVM_PFEC_KO not set)' ||
	{ echo "b_test's skip is not named with its subtest"; exit 1; }
echo "ok: $got"
