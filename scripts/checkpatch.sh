#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's checkpatch.pl on our patch series (kernel/<base>/patches/).
# Known and accepted: "does MAINTAINERS need updating?" (checkpatch asks
# it of every patch that adds a file without touching MAINTAINERS; each
# series' last patch adds the MAINTAINERS entry, whose patterns cover the
# files the others add) and "EXPORT_SYMBOL(foo); should immediately
# follow its function/variable" on DEFINE_STATIC_KEY_FALSE()'s export, a
# checkpatch false positive that upstream's own x86.c shares, and on the
# exports of the policies' tracepoints (__tracepoint_<event>,
# rust_do_trace_<event>), which the trace header defines, and which take
# the series' scoped export macros rather than EXPORT_TRACEPOINT_SYMBOL_GPL(),
# which would export them to every GPL module; and, in the
# trace header only, the CHECKs that TRACE_EVENT()'s layout gets everywhere.
set -euo pipefail
STAGE=checkpatch
. "$(dirname "$0")/lib.sh"
need_setup

KDIR=$(kernel_dir)
[ -x "$KDIR/scripts/checkpatch.pl" ] || die "no kernel tree: run scripts/kernel.sh first"
mapfile -t patches < <(series_patches)
# Debian's python3 has ply and git for the SPDX check; a pyenv one may not.
out=$(cd "$KDIR" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict "${patches[@]}" 2>&1) || true
printf '%s\n' "$out"

# checkpatch.pl exits non-zero on warnings too, so judge by its report: every
# patch checked, no error, and no warning or check but the accepted ones.
ACCEPTED='added, moved or deleted file\(s\), does MAINTAINERS need updating\?|EXPORT_SYMBOL\(foo\); should immediately follow its function/variable'
checked=$(grep -c '^total: 0 errors' <<<"$out" || true)
[ "$checked" -eq ${#patches[@]} ] ||
	die "checkpatch: $checked of ${#patches[@]} patches checked without errors"
# TRACE_EVENT()'s layout, in a trace header only: upstream's own
# arch/x86/kvm/trace.h gets the same three CHECKs, over a hundred times.
TRACE_HEADER='arch/x86/include/asm/trace/kvm_pfec\.h'
TRACE_ACCEPTED="Alignment should match open parenthesis|Lines should not end with a '\\('|spaces preferred around that '/'"
# A finding and the "#N: FILE: path:line" after it, on one line each.
findings=$(awk '/^(WARNING|CHECK):/ { if (f) print f; f = $0; next }
	f && /^#[0-9]+: FILE: / { print f " @ " $3; f = ""; next }
	f && /^$/ { print f; f = "" }
	END { if (f) print f }' <<<"$out")
# __union_group() takes a member list, like __struct_group(): the members
# keep their indentation rather than align with the '(' (as upstream's
# struct_group() users do), and ATTRS, attributes and not an expression, is
# used twice, as in __struct_group().  kvm.h's __KVM_RUN_LOW_EXITS(), which
# is that group for the kernel and the bare members for userspace, opens
# with its '(' alone, as the member list follows, and its kernel expansion
# carries the group's semicolon: with the ';' after the invocation instead,
# userspace would see an empty declaration in the union.
GROUP_ACCEPTED="^CHECK: Alignment should match open parenthesis @ include/uapi/linux/kvm\.h:|^CHECK: Macro argument reuse 'ATTRS' - possible side-effects\? @ include/linux/stddef\.h:|^CHECK: Lines should not end with a '\\(' @ include/uapi/linux/kvm\.h:|^WARNING: macros should not use a trailing semicolon @ include/uapi/linux/kvm\.h:"
# 6.12's tracepoint support (patch 0013): the no-op
# DEFINE_RUST_DO_TRACE(name, proto, args) ignores its arguments, as the
# no-op DECLARE_TRACE(name, proto, args) in define_trace.h does, and
# __DECLARE_TRACE() declares rust_do_trace_<name>() extern, as it declares
# the tracepoint's other symbols.
NOOP_ACCEPTED="^WARNING: Argument '(name|proto|args)' is not used in function-like macro @ include/(linux/tracepoint|trace/define_trace)\.h:|^CHECK: extern prototypes should be avoided in \.h files @ include/linux/tracepoint\.h:"
unaccepted=$(grep -v -E "$ACCEPTED" <<<"$findings" | grep -v -E "$NOOP_ACCEPTED" |
	grep -v -E "^CHECK: ($TRACE_ACCEPTED).* @ $TRACE_HEADER:" |
	grep -v -E "$GROUP_ACCEPTED" | grep . || true)
[ -z "$unaccepted" ] || die "checkpatch: not accepted: $unaccepted"
say "checkpatch: ${#patches[@]} patches, no errors, only the accepted warnings"
