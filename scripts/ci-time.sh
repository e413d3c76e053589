#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make ci-time`: CI's run, timed.  Clones the repository's HEAD into a
# fresh directory (with ../shared beside it, as CI has it), runs
# `bash .ci/run` there with CI=true and KVM_PFEC_CACHE, which must be empty
# (a cold run: every download, tool and kernel build included; Debian's
# packages are what the machine already has, and cargo's and pip's own
# download caches stay as they are), and writes
# results/ci-cold.txt: the total, each step's share, the kernel builds
# and the Intel parts under Bochs, the test line and the cache's size
# afterwards.
#
# CI allows 90 minutes; the project keeps 20 of them spare.
set -euo pipefail
STAGE=ci-time
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"

# The clone runs elsewhere: a relative cache would land inside it.
case $KVM_PFEC_CACHE in /*) ;; *) KVM_PFEC_CACHE=$PWD/$KVM_PFEC_CACHE ;; esac
if [ -d "$KVM_PFEC_CACHE" ] && [ -n "$(ls -A "$KVM_PFEC_CACHE")" ]; then
	die "KVM_PFEC_CACHE ($KVM_PFEC_CACHE) is not empty: a cold run needs an empty cache (KVM_PFEC_CACHE=<empty dir> make ci-time)"
fi
commit=$(git -C "$KVM_PFEC_TOP" rev-parse HEAD)
work=$(mktemp -d /tmp/kvm-pfec-ci.XXXXXX)
git clone -q "$KVM_PFEC_TOP" "$work/main"
git -C "$work/main" checkout -q --detach "$commit"
[ ! -d "$KVM_PFEC_TOP/../shared" ] || ln -s "$(cd "$KVM_PFEC_TOP/../shared" && pwd)" "$work/shared"
log=$work/ci.log
say "cold .ci/run of $(git -C "$KVM_PFEC_TOP" rev-parse --short HEAD) in $work/main, cache $KVM_PFEC_CACHE; log $log"

# Each line of the run, prefixed with the seconds since it started.
start=$(date +%s)
set +e
(cd "$work/main" && CI=true KVM_PFEC_CACHE=$KVM_PFEC_CACHE bash .ci/run </dev/null 2>&1) |
	while IFS= read -r line; do
		printf '%d %s\n' $(($(printf '%(%s)T' -1) - start)) "$line"
	done | tee "$log"
rc=${PIPESTATUS[0]}
set -e
total=$(($(date +%s) - start))

# at TEXT: the second of the first line that contains TEXT, or "none"
at() { awk -v t="$1" 'index($0, t) { print $1; found = 1; exit } END { if (!found) print "none" }' "$log"; }
t_host=$(at '[1/6] host tests')
# Each kernel's Intel part, under Bochs: its last step, found after that
# kernel's own first line.
after() { # FROM TEXT: the second of the first line with TEXT after FROM's
	awk -v from="$1" -v t="$2" 'from != "none" && $1 >= from && index($0, t) { print $1; found = 1; exit }
		END { if (!found) print "none" }' "$log"
}
t_612=$(at '=== Linux 6.12')
t_73=$(at '=== Linux 7.3')
t_vmx_612=$(after "$t_612" '[6/6] booting the kernel under Bochs')
t_vmx_73=$(after "$t_73" '[6/6] booting the kernel under Bochs')
# 6.12's, if it ran, is before 7.3's first line.
[ "$t_vmx_612" = none ] || [ "$t_73" = none ] || [ "$t_vmx_612" -lt "$t_73" ] || t_vmx_612=none
mapfile -t builds < <(sed -n 's/.*kernel built in \([0-9]*\) s$/\1/p' "$log")
# The whole run's summary is the one after the last kernel's line; the
# kernels' own runs print theirs before it.
summary=$(awk '/^[0-9]+ Linux 7\.3: / { last = 1; next }
	last && /^[0-9]+ [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ { $1 = ""; sub(/^ /, ""); s = $0 }
	END { print s }' "$log")
span() { if [ "$1" = none ] || [ "$2" = none ]; then echo none; else echo $(($2 - $1)); fi; }

RESULT_COMMIT=$commit RESULT_KERNEL=$(result_kernel "${KVM_PFEC_KERNELS[@]}") \
	write_result ci-cold "make ci-time" $CHECK_INPUTS <<EOT
exit_status: $rc
summary: ${summary:-none: the run ended without its summary line}
total_s: $total
budget_s: 5400
spare_s: $((5400 - total))
setup_s: $(span 0 "$t_host")
host_tests_s: $(span "$t_host" "$t_612")
linux_6.12_s: $(span "$t_612" "$t_73")
linux_6.12_kernel_build_s: ${builds[0]:-none}
linux_6.12_vmx_s: $(span "$t_vmx_612" "$t_73")
linux_7.3_s: $(span "$t_73" "$total")
linux_7.3_kernel_build_s: ${builds[1]:-none}
linux_7.3_vmx_s: $(span "$t_vmx_73" "$total")
cache_bytes: $(du -sb "$KVM_PFEC_CACHE" | cut -f1)
EOT
say "cold run: ${total} s, exit $rc; the clone stays in $work"
exit "$rc"
