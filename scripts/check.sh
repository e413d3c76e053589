#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every kvm-pfec test, ending with one line
#     N passed, N failed, N skipped
# over everything that ran: the host tests of the pure logic (cargo test),
# the in-guest checks, KUnit and the KVM selftests in the booted kernel.
#
# Installs and builds whatever is missing first (see scripts/setup.sh,
# scripts/kernel.sh); with nothing changed it rebuilds nothing.
#
# KVM_PFEC_STRESS=1 (make check-stress) runs scripts/guest/stress.sh in the
# VM instead; KVM_PFEC_VARIANT=debug (make check-debug) uses the debug kernel.
set -uo pipefail
STAGE=check
# KERNEL= (KVM_PFEC_KERNEL) picks one kernel base; plain `make check` runs
# both.  The stress and debug runs take one: KERNEL=, or lib.sh's default.
chosen=${KVM_PFEC_KERNEL:-}
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"
# all: the whole run; kernel: one kernel's part (steps 2 to 5), which the
# whole run starts once per kernel, in a child of its own.
part=${KVM_PFEC_CHECK_PART:-all}
if [ -n "$chosen" ] || [ -n "${KVM_PFEC_STRESS:-}" ] || [ -n "$KVM_PFEC_VARIANT" ]; then
	kernels=("$KVM_PFEC_KERNEL")
else
	kernels=("${KVM_PFEC_KERNELS[@]}")
fi

pass=0 fail=0 skip=0
declare -a bad=() skipped=()

# A step that could not run at all counts as one failure, and the rest goes on
# where it can: the summary line is always printed.
step_failed() {
	fail=$((fail + 1))
	bad+=("$1")
}

. "$KVM_PFEC_TOP/scripts/tap.sh"

# host_check NAME COMMAND...: a check on the host, counted as one test.
host_check() {
	local name=$1 log
	shift
	log=$results/host-$(echo "$name" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '-').log
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
		say "ok: $name"
	else
		fail=$((fail + 1))
		bad+=("host: $name (see $log)")
		tail -n 20 "$log" >&2
		say "FAILED: $name"
	fi
}

declare -a part_lines=() report_lines=()
summary() {
	local s
	echo
	for s in "${bad[@]}"; do echo "FAILED:  $s"; done
	for s in "${skipped[@]}"; do echo "SKIPPED: $s"; done
	for s in "${part_lines[@]}"; do echo "$s"; done
	[ "$part" != all ] || write_check_result
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
}

# write_check_result: the whole run's outcome in results/: check.txt for
# both kernels, check-<kernel>.txt for one, check-stress-<kernel>.txt and
# check-debug-<kernel>.txt for those runs.  The README's test count is
# check.txt's.
write_check_result() {
	local name=check s
	if [ "${KVM_PFEC_STRESS:-}" = 1 ]; then
		name=check-stress-$KVM_PFEC_KERNEL
	elif [ -n "$KVM_PFEC_VARIANT" ]; then
		name=check-$KVM_PFEC_VARIANT-$KVM_PFEC_KERNEL
	elif [ ${#kernels[@]} -eq 1 ]; then
		name=check-$KVM_PFEC_KERNEL
	fi
	{
		echo "summary: $pass passed, $fail failed, $skip skipped"
		echo "wall_s: $SECONDS"
		for s in "${part_lines[@]}"; do
			case $s in
			"host: "*) echo "host: ${s#host: }" ;;
			"Linux "*": "*) s=${s#Linux }; echo "linux_${s%%: *}: ${s#*: }" ;;
			esac
		done
		echo "results_dir: ${results:-none (the run stopped before it had one)}"
		for s in "${report_lines[@]}"; do echo "$s"; done
		for s in "${bad[@]}"; do echo "failed: $s"; done
		for s in "${skipped[@]}"; do echo "skipped: $s"; done
	} | RESULT_KERNEL="$(result_kernel "${kernels[@]}")" \
		write_result "$name" "make ${name%%-[0-9]*}${chosen:+ KERNEL=$chosen}" $CHECK_INPUTS
}

# kernel_part KERNEL: steps 2 to 5 for KERNEL, in a child; its counts are
# added to the totals, its failures and skips named with the kernel, and
# its own summary line kept for the end.
kernel_part() {
	local k=$1 out line p f sk
	out=$results/$k/check.log
	mkdir -p "$results/$k"
	say "=== Linux $k"
	KVM_PFEC_KERNEL=$k KVM_PFEC_CHECK_PART=kernel KVM_PFEC_RESULTS=$results/$k \
		bash "$KVM_PFEC_TOP/scripts/check.sh" 2>&1 | tee "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		step_failed "Linux $k: the run ended without its summary (see $out)"
		part_lines+=("Linux $k: no summary")
		return
	fi
	read -r p _ f _ sk _ <<<"${line//,/}"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + sk))
	while IFS= read -r line; do
		case $line in
		"FAILED:  "*) bad+=("Linux $k: ${line#FAILED:  }") ;;
		"SKIPPED: "*) skipped+=("Linux $k: ${line#SKIPPED: }") ;;
		esac
	done < <(sed -n '/^[0-9]* passed, [0-9]* failed, [0-9]* skipped$/q; /^\(FAILED:  \|SKIPPED: \)/p' "$out")
	part_lines+=("Linux $k: $p passed, $f failed, $sk skipped")
	# Measured lines of its tests, kept for the results file, each as a
	# figure of its own: nested_pf_exits_<kernel>_<n>.
	local n=0
	while IFS= read -r line; do
		n=$((n + 1))
		report_lines+=("nested_pf_exits_${k}_$n: ${line#nested #PF exits to L0, }")
	done < <(grep -E '^nested #PF exits to L0, ' "$out")
}

if [ "$part" = kernel ]; then
	results=$KVM_PFEC_RESULTS
else
	bash "$KVM_PFEC_TOP/scripts/setup.sh" || { step_failed "setup"; summary; }

	results=$KVM_PFEC_CACHE/results/$(date +%Y%m%d-%H%M%S)${KVM_PFEC_VARIANT:+-$KVM_PFEC_VARIANT}
	mkdir -p "$results"
	ln -sfn "$results" "$KVM_PFEC_CACHE/results/latest"
	say "results go to $results; kernels: ${kernels[*]}"
fi

if [ "$part" = all ]; then
say "[1/6] host tests of the pure logic (cargo test)"
# RUSTC_BOOTSTRAP=1, as the kernel build sets it: only then does rustdoc
# check that a compile_fail doctest fails with the error code it names, so
# that one failing for another reason fails the check.
if (cd "$KVM_PFEC_TOP" && RUSTC_BOOTSTRAP=1 cargo test --quiet 2>&1) >"$results/cargo-test.log"; then :; else
	tail -n 30 "$results/cargo-test.log" >&2
fi
# "test result: ok. 6 passed; 0 failed; 0 ignored; ..." per test binary.
read -r p f i < <(awk '/^test result:/ { p += $4; f += $6; i += $8 }
	END { print p + 0, f + 0, i + 0 }' "$results/cargo-test.log")
if [ "$p$f$i" = 000 ]; then
	step_failed "cargo test: no tests ran (see $results/cargo-test.log)"
else
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + i))
	[ "$f" -eq 0 ] || bad+=("cargo test: $f failed (see $results/cargo-test.log)")
	[ "$i" -eq 0 ] || skipped+=("cargo test: $i ignored")
	say "host: $p passed, $f failed, $i ignored"
fi

# no_unsafe PATH...: no `unsafe` in the Rust code under PATH, comments
# aside (what the kernel's own macros expand to is theirs).
no_unsafe() {
	if grep -rn --include='*.rs' -E '^[^/]*\bunsafe\b' "$@"; then
		echo "unsafe outside the kernel::kvm overlay (above)"
		return 1
	fi
}

# no_version PATH...: no kernel version in the Rust code under PATH,
# comments aside: neither of our bases, nor a version macro to compare.
no_version() {
	if grep -rn --include='*.rs' -E '^[^/]*(6\.12|7\.3|LINUX_VERSION|KERNEL_VERSION)' "$@"; then
		echo "a kernel version in the module's code (above)"
		return 1
	fi
}

host_check "every WARN is listed in Documentation/warnings.rst" \
	bash "$KVM_PFEC_TOP/scripts/warns.sh"
host_check "make check's TAP counting: a selftest whose subtest skipped is a skip" \
	bash "$KVM_PFEC_TOP/scripts/tap-test.sh"
host_check "make bench's parser and goals: a missed or unreadable goal fails" \
	bash "$KVM_PFEC_TOP/scripts/bench-figures-test.sh"
host_check "the splat check sets aside only the platform's WARNs, by name" \
	bash "$KVM_PFEC_TOP/scripts/splat-test.sh"
host_check "the README and Documentation/results.rst show results/ as make results writes them" \
	python3 "$KVM_PFEC_TOP/scripts/results.py" check
host_check "the docs' lists, numbers, references and counts match the code and data" \
	python3 "$KVM_PFEC_TOP/scripts/doccheck.py"
host_check "rustfmt: the Rust sources are formatted" \
	rustfmt --check --config-path "$KVM_PFEC_TOP/.rustfmt.toml" \
	"$KVM_PFEC_TOP"/rust/*.rs "$KVM_PFEC_TOP"/rust/pfec/*.rs
host_check "pfec-vmm (vmm/) is clippy-clean and formatted" \
	bash "$KVM_PFEC_TOP/scripts/vmm.sh" --clippy
host_check "the module's Rust has no unsafe: only the kernel::kvm overlay does" \
	no_unsafe "$KVM_PFEC_TOP"/rust/*.rs "$KVM_PFEC_TOP"/rust/pfec
host_check "the module's Rust names no kernel version: both kernels build the same code" \
	no_version "$KVM_PFEC_TOP"/rust/*.rs "$KVM_PFEC_TOP"/rust/pfec
part_lines+=("host: $pass passed, $fail failed, $skip skipped")

for k in "${kernels[@]}"; do
	kernel_part "$k"
done
summary
fi

# no_test_symbols KO: KO has no symbol of KUnit, of the cases (any
# `cases` module of rust/pfec/) or of seed 003's model checker; the test
# module, built from the same sources, must have them, or the check proves
# nothing.
no_test_symbols() {
	local test_ko=${1%/*}/kvm_pfec_test.ko pattern='kunit|5cases|cases::|5model|model::'
	local test_syms ko_syms
	# Whole outputs first: `nm | grep -q` under pipefail fails when grep
	# stops reading early.
	test_syms=$(nm "$test_ko") && ko_syms=$(nm "$1") || return 1
	grep -q -E "$pattern" <<<"$test_syms" || {
		echo "$test_ko has no test symbols either: the pattern is stale"
		return 1
	}
	if grep -E "$pattern" <<<"$ko_syms"; then
		echo "$1 holds test code (above)"
		return 1
	fi
}

# series_rustfmt: the Rust files that the series adds or changes are
# formatted as the tree's own rustfmt.toml wants (rustfmt also checks the
# modules a changed crate root declares).
series_rustfmt() {
	local kdir files
	kdir=$(kernel_dir)
	mapfile -t files < <(series_patches | xargs sed -n 's|^+++ b/\(.*\.rs\)$|\1|p' | sort -u)
	[ ${#files[@]} -gt 0 ] || { echo "no Rust file in the series: the pattern is stale"; return 1; }
	(cd "$kdir" && rustfmt --check --edition 2021 --config-path .rustfmt.toml "${files[@]}")
}

# trace_calls KO: KO calls the rust_do_trace_*() function of the event that
# only a policy fires; on 7.3, whose declare_trace!() uses static branches,
# its __jump_table refers to the tracepoint's key.  KO fires no split-record
# event: KVM does, for every writer of a split record.
trace_calls() {
	local e syms relocs
	syms=$(nm "$1") || return 1
	relocs=$(readelf -rW "$1") || return 1
	if grep -q -E "kvm_pfec_split_record" <<<"$syms"; then
		echo "$1 fires kvm_pfec_split_record itself"
		return 1
	fi
	for e in kvm_pfec_stuck; do
		grep -q -E " U rust_do_trace_$e\$" <<<"$syms" || {
			echo "$1 does not call rust_do_trace_$e"
			return 1
		}
		[ "$KVM_PFEC_KERNEL" = 6.12 ] && continue
		awk '/^Relocation section/ { s = ($3 == "'"'"'.rela__jump_table'"'"'") } s' <<<"$relocs" |
			grep -q " __tracepoint_$e + " || {
			echo "$1's __jump_table does not refer to __tracepoint_$e"
			return 1
		}
	done
}

# internal_exports KO: the hook points' state (the static key, the bits that
# select hw_error_code calls) and their out-of-line entries are exported to
# KVM's own modules only, if at all, so that no policy module can write them:
# on 7.3 with EXPORT_SYMBOL_FOR_KVM_INTERNAL (not at all with KVM built in),
# on 6.12, which has no exports to named modules, in the KVM_PFEC_INTERNAL
# namespace, which KO does not import.  The policy API is exported to
# kvm_pfec* modules by name (7.3) or in the KVM_PFEC namespace (6.12), which
# KO imports.
internal_exports() {
	local ko=$1 symvers sym ns n=0 imports
	symvers=$(kernel_dir)/Module.symvers
	for sym in kvm_pfec_enabled kvm_pfec_hw_bits __kvm_pfec_hw_error_code \
		__kvm_pfec_private_access __kvm_pfec_nested_pf_filter; do
		ns=$(awk -v s="$sym" '$2 == s { print $5 }' "$symvers")
		case $KVM_PFEC_KERNEL:$ns in
		7.3: | 7.3:module:kvm-amd,kvm-intel | 6.12:KVM_PFEC_INTERNAL) ;;
		*) echo "$sym is exported to '$ns'"; return 1 ;;
		esac
	done
	# Every other export of the hooks is the policy API.
	while read -r sym ns; do
		case $sym in
		kvm_pfec_enabled | kvm_pfec_hw_bits | __kvm_pfec_*) continue ;;
		esac
		case $KVM_PFEC_KERNEL:$ns in
		7.3:module:kvm-amd,kvm-intel,kvm_pfec\* | 6.12:KVM_PFEC) n=$((n + 1)) ;;
		*) echo "$sym is exported to '$ns'"; return 1 ;;
		esac
	done < <(awk '$2 ~ /kvm_pfec/ { print $2, $5 }' "$symvers")
	# The check sees the exports: registration and the writer at least.
	[ "$n" -ge 3 ] || { echo "only $n exports of the policy API found"; return 1; }
	imports=$(modinfo -F import_ns "$ko") || return 1
	[ "$imports" = KVM_PFEC ] || { echo "$ko imports '$imports', not KVM_PFEC alone"; return 1; }
	echo "$n exports of the policy API; $ko imports $imports"
}

say "[2/6] kernel: Linux $KVM_PFEC_KERNEL"
bash "$KVM_PFEC_TOP/scripts/kernel.sh" || { step_failed "kernel build"; summary; }
say "[3/6] module"
ko=$(module_dir)/rust/kvm_pfec.ko
rm -f "$ko"
host_check "kvm_pfec.ko, kvm_pfec_test.ko and kvm_pfec_bench.ko build with clippy, warning-free (CLIPPY=1)" \
	bash "$KVM_PFEC_TOP/scripts/module.sh" CLIPPY=1 modules
[ -f "$ko" ] || { step_failed "module build"; summary; }
host_check "kvm_pfec.ko holds no test code (nm: no KUnit suite, case or model checker)" \
	no_test_symbols "$ko"
host_check "kvm_pfec.ko fires its event through rust_do_trace_kvm_pfec_stuck(), on 7.3 behind a static branch, and no split-record event" \
	trace_calls "$ko"
host_check "a test case left out of the case list fails the build" \
	bash "$KVM_PFEC_TOP/scripts/forgotten-case.sh"
host_check "the series keeps arm64's Rust build (CONFIG_RUST=y, KVM=y) working" \
	bash "$KVM_PFEC_TOP/scripts/cross-check.sh"
host_check "the hook points' static key, bits and entries are exported to KVM's own modules only" \
	internal_exports "$ko"
host_check "modpost refuses a module outside the policy API's scope (6.12: no KVM_PFEC import; 7.3: not kvm_pfec*)" \
	bash "$KVM_PFEC_TOP/scripts/export-scope.sh"
host_check "checkpatch: no errors in kernel/$KVM_PFEC_KERNEL/patches/" \
	bash "$KVM_PFEC_TOP/scripts/checkpatch.sh"
host_check "rustfmt: the Rust files of kernel/$KVM_PFEC_KERNEL/patches/ are formatted" \
	series_rustfmt
# 6.12's #[kunit_tests] is the series' own (7.3's is upstream's).
[ "$KVM_PFEC_KERNEL" != 6.12 ] ||
	host_check "6.12's #[kunit_tests]: one case a test, a #[cfg]'d-out test skipped, CONFIG_KUNIT only, the 255-byte limit" \
		bash "$KVM_PFEC_TOP/scripts/kunit-macro.sh"
host_check "a dead VM explains itself: a guest crashed by sysrq-c is reported with its trace and test" \
	bash "$KVM_PFEC_TOP/scripts/test-death.sh"
say "[4/6] selftests, the L2 guest's initramfs and pfec-vmm"
bash "$KVM_PFEC_TOP/scripts/selftests.sh" || { step_failed "selftest build"; summary; }
bash "$KVM_PFEC_TOP/scripts/l2.sh" || { step_failed "L2 initramfs build"; summary; }
bash "$KVM_PFEC_TOP/scripts/vmm.sh" || { step_failed "pfec-vmm build"; summary; }
# After selftests.sh, whose make headers_install it reads.
host_check "the uAPI keeps every member of struct kvm_run at its path and offset in bindgen's bindings" \
	bash "$KVM_PFEC_TOP/scripts/uapi-layout.sh"
l2=("$(kernel_dir)/arch/x86/boot/bzImage" "$(bash "$KVM_PFEC_TOP/scripts/l2.sh" --print-path)")

kselftest=$(bash "$KVM_PFEC_TOP/scripts/selftests.sh" --print-dir)
if [ "${KVM_PFEC_STRESS:-}" = 1 ]; then
	say "[5/6] booting the kernel: the stress runs (scripts/guest/stress.sh)"
	bash "$KVM_PFEC_TOP/scripts/vm.sh" --timeout 3600 --results "$results" -- \
		scripts/guest/stress.sh "$results" "$kselftest" "$ko" selftests/upstream-stress-$KVM_PFEC_KERNEL.list \
		2>&1 | tee "$results/vm.log"
else
	# The debug kernel runs several times slower under TCG: give selftests
	# longer, and reload the module less.
	slow=()
	[ -z "$KVM_PFEC_VARIANT" ] || slow=(env PFEC_KSELFTEST_TIMEOUT=600 PFEC_RELOAD_CYCLES=4)
	say "[5/6] booting the kernel: module load/unload, KUnit, KVM selftests"
	bash "$KVM_PFEC_TOP/scripts/vm.sh" --timeout 3600 --results "$results" -- \
		"${slow[@]}" scripts/guest/check.sh "$results" "$kselftest" selftests/upstream-$KVM_PFEC_KERNEL.list "$ko" "${l2[@]}" \
		"$(bash "$KVM_PFEC_TOP/scripts/vmm.sh" --print-path)" 2>&1 | tee "$results/vm.log"
fi
vm_rc=${PIPESTATUS[0]}

count_tap "$results/guest.tap" guest
[ "${KVM_PFEC_STRESS:-}" = 1 ] || count_tap "$results/kunit.ktap" kunit "    "
count_tap "$results/kselftest.tap" selftest "" nested
# A VM that died (oops, panic, timeout) is one more failure, whatever ran
# before: the guest script ends guest.tap with its plan line, so a missing
# plan means it never finished.
if vm_died "$results"; then
	running=$(last_running "$results")
	step_failed "the VM died (status $vm_rc) while running: ${running:-nothing yet} (console: $results/console.log)"
	# scripts/vm.sh has printed the oops, if there is one.
	if ! explain_death "$results/console.log" >/dev/null; then
		echo "the guest kernel's console shows no oops; its last lines:" >&2
		tail -n 15 "$results/console.log" >&2
	fi
	say "last test running: ${running:-none (before the first test)}"
fi
# Intel: the same kernel under Bochs's VMX, with the plan's make check
# entries (scripts/vmx.plan); not for the stress and debug runs.
if [ -z "${KVM_PFEC_STRESS:-}" ] && [ -z "$KVM_PFEC_VARIANT" ]; then
	say "[6/6] booting the kernel under Bochs (Intel VMX): scripts/vmx.sh"
	# Its progress and result lines show; its own summary and lists do
	# not, since this kernel's come from the counts below.  The plan's
	# knobs are make check-vmx's, not make check's.
	env -u STOCK -u KVM_PFEC_VMX_ONLY -u KVM_PFEC_VMX_BOOTS -u KVM_PFEC_VMX_APPEND \
		KVM_PFEC_VMX_SET=check bash "$KVM_PFEC_TOP/scripts/vmx.sh" --results "$results/vmx" 2>&1 |
		tee "$results/vmx.log" |
		grep --line-buffered -v -E '^([0-9]+ passed, [0-9]+ failed, [0-9]+ skipped|FAILED: .*|SKIPPED: .*|)$' || true
	# A run that stopped early has no plan line: that is a failure, even
	# when every line it wrote passed.
	grep -q -E '^1\.\.[0-9]+$' "$results/vmx/vmx.tap" 2>/dev/null ||
		step_failed "vmx: the run under Bochs ended before its last entry (see $results/vmx.log)"
	count_tap "$results/vmx/vmx.tap" vmx "" nested
	count_tap "$results/vmx/vmx-kunit.ktap" "vmx kunit" "    "
fi
summary
