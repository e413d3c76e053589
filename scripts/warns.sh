#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every WARN that kvm_pfec.ko and our kernel patches can raise must be listed,
# with its trigger, in Documentation/warnings.rst: this finds them by grep and
# fails, naming it, on any that is not.
#
#   - the module: each warn_once(..., c_str!("<message>"), ...) in rust/,
#     and no other kernel::warn_on!;
#   - the patches: each WARN, WARN_ON, WARN_ONCE, WARN_ON_ONCE and
#     KVM_BUG_ON(<condition>) a patch adds, up to its closing parenthesis.
set -euo pipefail
cd "$(dirname "$0")/.."
doc=Documentation/warnings.rst
missing=0 found=0

check() {
	found=$((found + 1))
	if grep -qF -- "$1" "$doc"; then
		echo "listed: $1"
	else
		echo "NOT LISTED in $doc: $1"
		missing=$((missing + 1))
	fi
}

while IFS= read -r msg; do
	check "$msg"
done < <(grep -A2 -h 'warn_once(' rust/*.rs | sed -n 's/.*c_str!("\(.*\)").*/\1/p')
# warn_once() is the module's only way to warn.
others=$(grep -n 'warn_on!(' rust/*.rs | grep -v '^[^:]*:[0-9]*: *kernel::warn_on!(true);' || true)
[ -z "$others" ] || { echo "a WARN outside warn_once(): $others"; missing=$((missing + 1)); }

while IFS= read -r cond; do
	check "$cond"
done < <(grep -h -E '^\+.*\b(WARN|WARN_ON|WARN_ONCE|WARN_ON_ONCE|KVM_BUG_ON)\(' kernel/*/patches/*.patch |
	# Not comments, and not the call inside 6.12's kernel::warn_on!, whose
	# helper's WARN_ON(cond) is the site.
	grep -v -E '^\+\s*(//|/\*|\*)|bindings::WARN_ON\(' |
	python3 -c '
import re, sys
for line in sys.stdin:
    for m in re.finditer(r"\b(WARN_ON_ONCE|WARN_ONCE|WARN_ON|WARN|KVM_BUG_ON)\(", line):
        depth = 0
        for j in range(m.start(), len(line)):
            depth += {"(": 1, ")": -1}.get(line[j], 0)
            if line[j] == ")" and depth == 0:
                print(line[m.start():j + 1])
                break
        else:
            print(line[m.start():].strip())
')

echo "$found WARN sites, $missing not listed"
[ "$found" -gt 0 ] && [ "$missing" -eq 0 ]
