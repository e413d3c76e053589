#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every WARN that kvm_pfec.ko and our kernel patches can raise must be listed,
# with its trigger, in Documentation/warnings.rst: this finds them by grep and
# fails, naming it, on any that is not.
#
#   - the module: each warn_once(..., c_str!("<message>"), ...) in rust/;
#   - the patches: each WARN_ON_ONCE(<condition>) a patch adds in C.
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
# WARN_ON_ONCE( up to its matching parenthesis.
while IFS= read -r cond; do
	check "$cond"
done < <(grep -h '^+.*WARN_ON_ONCE(' kernel/patches/*.patch | python3 -c '
import sys
for line in sys.stdin:
    i = line.index("WARN_ON_ONCE(")
    depth = 0
    for j in range(i, len(line)):
        depth += {"(": 1, ")": -1}.get(line[j], 0)
        if line[j] == ")" and depth == 0:
            print(line[i:j + 1])
            break
')

echo "$found WARN sites, $missing not listed"
[ "$found" -gt 0 ] && [ "$missing" -eq 0 ]
