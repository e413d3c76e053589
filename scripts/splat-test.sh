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

# expect_check NAME WANT(0|1) CHECK...: the check CHECK... passes (WANT 0)
# or fails (WANT 1); its output is left in LAST.
expect_check() {
	local what=$1 want=$2 rc=0 out
	shift 2
	out=$("$@") || rc=$?
	if { [ "$want" = 0 ] && [ "$rc" != 0 ]; } || { [ "$want" = 1 ] && [ "$rc" = 0 ]; }; then
		echo "$what: $* returned $rc"
		echo "$out"
		exit 1
	fi
	echo "ok: $what"
	LAST=$out
}

fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:57 'platform')"
expect_check "a platform WARN alone is set aside" 0 no_splat 0
grep -q '^set aside, a platform WARN at arch/x86/kernel/cpu/topology_common.c:57: made-up reason$' <<<"$LAST" ||
	{ echo "the set-aside WARN is not named with its reason: $LAST"; exit 1; }
fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:57 'platform')
$(guard)"
expect_check "a platform WARN and the guard's" 0 no_splat 1
fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:57 'platform')
$(warn arch/x86/kvm/mmu/mmu.c:4683 'ours')"
expect_check "a platform WARN does not hide another WARN" 1 no_splat 0
fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:570 'a nearby line')"
expect_check "a WARN at another line of the platform's file counts" 1 no_splat 0
fake_log="$(warn arch/x86/kernel/cpu/topology_common.c:57 'platform')
[    1.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000"
expect_check "a BUG beside a platform WARN counts" 1 no_splat 0
# 7.3's WARNING line: "WARNING: FILE:LINE at FUNC+0x.../0x..., CPU#0: COMM/PID".
fake_log="[    0.100000] ------------[ cut here ]------------
[    0.100001] WARNING: arch/x86/kernel/cpu/topology_common.c:57 at parse_legacy+0x1/0x2, CPU#0: swapper/0
[    0.100002] ---[ end trace 0000000000000000 ]---"
expect_check "a platform WARN in 7.3's format is set aside" 0 no_splat 0
# A place given as a range of lines: each line of it, and no other.
fake_log="$(warn arch/x86/kernel/fpu/xstate.c:606 'macro')"
expect_check "a WARN within a platform place's range is set aside" 0 no_splat 0
grep -q '^set aside, a platform WARN at arch/x86/kernel/fpu/xstate.c:605-606: a macro over two lines$' <<<"$LAST" ||
	{ echo "the set-aside WARN of a range is not named: $LAST"; exit 1; }
fake_log="$(warn arch/x86/kernel/fpu/xstate.c:607 'past the range')"
expect_check "a WARN past a platform place's range counts" 1 no_splat 0

# The L2 console check (console_no_splat, for scripts/guest/l2.sh), with
# L2's platform WARNs, on a console log of the form that L2's boot wrote.
l2_platform_warns
console=$results/l2-console.log
hrtimer_warn() { # FILE:LINE
	cat <<LOG
[   18.072980] IPI shorthand broadcast: enabled
[   18.293532] ------------[ cut here ]------------
[   18.293532] WARNING: $1 at __hrtimer_run_queues+0x186/0x250, CPU#0: swapper/0/1
[   18.293532] Call Trace:
[   18.293532]  hrtimer_interrupt+0x105/0x320
[   18.293532] ---[ end trace 0000000000000000 ]---
[   22.203834] sched_clock: Marking stable (12185287960, 10017940443)->(31002012206, -8798783803)
LOG
}
hrtimer_warn kernel/time/hrtimer.c:2101 >"$console"
expect_check "L2's platform WARN is set aside" 0 console_no_splat "$console"
grep -q "^set aside, a platform WARN at kernel/time/hrtimer.c:2101: 7.3's hrtimer base" <<<"$LAST" ||
	{ echo "L2's set-aside WARN is not named with its reason: $LAST"; exit 1; }
grep -q -x kernel/time/hrtimer.c:2101 "$console.platform-warns" ||
	{ echo "L2's set-aside place is not kept in $console.platform-warns"; exit 1; }
hrtimer_warn kernel/time/hrtimer.c:2102 >"$console"
expect_check "an L2 WARN at another line of hrtimer.c counts" 1 console_no_splat "$console"
{ hrtimer_warn kernel/time/hrtimer.c:2101; echo '[   30.000000] Kernel panic - not syncing: Attempted to kill init!'; } >"$console"
expect_check "an L2 panic beside L2's platform WARN counts" 1 console_no_splat "$console"
echo '[    5.000000] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP' >"$console"
expect_check "an L2 general protection fault counts" 1 console_no_splat "$console"
printf '%s\n' '[    1.000000] Linux version 7.3.4+' '[   29.790514] reboot: Power down' >"$console"
expect_check "a clean L2 console passes" 0 console_no_splat "$console"
[ -z "$LAST" ] || { echo "a clean L2 console named something: $LAST"; exit 1; }
