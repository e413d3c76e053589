#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The report of scripts/trace-fault.sh: per function, the instructions one
# fault executed without and with kvm_pfec.ko.
#
# Usage: trace-fault-report.py SYSTEM_MAP RESULTS_DIR VM
import bisect
import re
import sys


def demangle(name):
    """A Rust v0 symbol's path, as its identifiers joined by ::."""
    if not name.startswith("_R"):
        return name
    parts, i = [], 2
    while i < len(name):
        c = name[i]
        if c.isdigit():
            m = re.compile(r"\d+").match(name, i)
            j = m.end()
            if j < len(name) and name[j] == "_":
                j += 1
            parts.append(name[j:j + int(m.group())])
            i = j + int(m.group())
            continue
        # A disambiguator (s<base 62>_) after a crate, impl or namespace
        # tag, or a back reference (B<base 62>_).
        m = re.compile(r"[sB][0-9A-Za-z]*_").match(name, i)
        if m and (c == "B" or name[i - 1] in "CXMYvtI"):
            i = m.end()
            continue
        i += 1
    return "::".join(parts) or name


def symbols(system_map, kallsyms):
    syms = []
    for path in (system_map, kallsyms):
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3 and fields[1] in "tTwW":
                    syms.append((int(fields[0], 16), fields[2]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def per_function(pcs, addrs, names):
    counts = {}
    for pc in pcs:
        i = bisect.bisect_right(addrs, pc) - 1
        name = demangle(names[i]) if i >= 0 else "?"
        counts[name] = counts.get(name, 0) + 1
    return counts


def main():
    system_map, results, vm = sys.argv[1:4]
    faults = {}
    for state in ("off", "on"):
        addrs, names = symbols(system_map, "%s/kallsyms-%s.txt" % (results, state))
        with open("%s/trace-%s.txt" % (results, state)) as f:
            traces = [[int(x, 16) for x in line.split()] for line in f if line.strip()]
        traces.sort(key=len)
        median = traces[len(traces) // 2]
        faults[state] = per_function(median, addrs, names)
        print("%s VM, kvm_pfec %s: %d faults traced, %s instructions each; median %d"
              % (vm, state, len(traces), "/".join(str(len(t)) for t in traces), len(median)))
    off, on = faults["off"], faults["on"]
    print()
    print("functions whose count differs (instructions in the median fault):")
    print("%8s %8s %8s  %s" % ("without", "with", "delta", "function"))
    for name in sorted(set(off) | set(on), key=lambda n: (on.get(n, 0) - off.get(n, 0), n)):
        a, b = off.get(name, 0), on.get(name, 0)
        if a != b:
            print("%8d %8d %+8d  %s" % (a, b, b - a, name))
    total_off, total_on = sum(off.values()), sum(on.values())
    print("%8d %8d %+8d  total, npf_interception() and all it calls"
          % (total_off, total_on, total_on - total_off))


main()
