#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guests' splat check (no_splat, scripts/guest/lib.sh) on made-up
# kernel logs: a platform WARN (PLATFORM_WARNS) is set aside and named,
# the guard's WARN still counts, and any other WARN, one at a nearby line
# of the same file included, still fails it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# shellcheck source=scripts/guest/lib.sh
. "$top/scripts/guest/lib.sh"

PLATFORM_WARNS=("arch/x86/kernel/cpu/topology_common.c:57 made-up reason"
	"arch/x86/kernel/fpu/xstate.c:605-606 a macro over two lines")

# warn FILE:LINE TEXT: a 6.12-style WARN block.
warn() {
	cat <<LOG
[    0.100000] ------------[ cut here ]------------
[    0.100001] WARNING: CPU: 0 PID: 1 at $1 some_function+0x1/0x2
[    0.100002] $2
[    0.100003] ---[ end trace 0000000000000000 ]---
LOG
}
guard() {
	cat <<LOG
[    9.000000] ------------[ cut here ]------------
[    9.000001] $GUARD_WARN (rust/kvm_pfec.rs:140)
[    9.000002] WARNING: CPU: 0 PID: 99 at rust/kvm_pfec.rs:140 hw_error_code+0x1/0x2
[    9.000003] ---[ end trace 0000000000000000 ]---
LOG
}

fake_log=
dmesg() { printf '%s\n' "$fake_log"; }

expect() { # NAME WANT(0|1) GUARD_WARNS
	local rc=0 out
	out=$(no_splat "$3") || rc=$?
	if { [ "$2" = 0 ] && [ "$rc" != 0 ]; } || { [ "$2" = 1 ] && [ "$rc" = 0 ]; }; then
		echo "$1: no_splat $3 returned $rc"
		echo "$out"
		exit 1
	fi
	echo "ok: $1"
	LAST=$out
}

fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:57 'platform')"
expect "a platform WARN alone is set aside" 0 0
grep -q '^set aside, a platform WARN at arch/x86/kernel/cpu/topology_common.c:57: made-up reason$' <<<"$LAST" ||
	{ echo "the set-aside WARN is not named with its reason: $LAST"; exit 1; }
fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:57 'platform')
$(guard)"
expect "a platform WARN and the guard's" 0 1
fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:57 'platform')
$(warn arch/x86/kvm/mmu/mmu.c:4683 'ours')"
expect "a platform WARN does not hide another WARN" 1 0
fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:570 'a nearby line')"
expect "a WARN at another line of the platform's file counts" 1 0
fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:57 'platform')
[    1.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000"
expect "a BUG beside a platform WARN counts" 1 0
# 7.3's WARNING line: "WARNING: FILE:LINE at FUNC+0x.../0x..., CPU#0: COMM/PID".
fake_log="[    0.100000] ------------[ cut here ]------------
[    0.100001] WARNING: arch/x86/kernel/cpu/topology_common.c:57 at parse_legacy+0x1/0x2, CPU#0: swapper/0
[    0.100002] ---[ end trace 0000000000000000 ]---"
expect "a platform WARN in 7.3's format is set aside" 0 0
# A place given as a range of lines: each line of it, and no other.
fake_log="$(warn arch/x86/kernel/fpu/xstate.c:606 'macro')"
expect "a WARN within a platform place's range is set aside" 0 0
grep -q '^set aside, a platform WARN at arch/x86/kernel/fpu/xstate.c:605-606: a macro over two lines$' <<<"$LAST" ||
	{ echo "the set-aside WARN of a range is not named: $LAST"; exit 1; }
fake_log="$(warn arch/x86/kernel/fpu/xstate.c:607 'past the range')"
expect "a WARN past a platform place's range counts" 1 0
