# SPDX-License-Identifier: GPL-2.0
#
# Results files: the one home of every measured figure.  Source it (after
# lib.sh); do not run it.
#
# write_result NAME COMMAND INPUTS... <FIGURES
#
# writes results/NAME.txt in the repository: a header that says what ran
# (COMMAND), at which commit, when, on what machine and kernel, and which
# paths of the repository the figures depend on (INPUTS), then the figures
# from standard input, one "key: value" a line, or free text after them.
# scripts/results.py reads the header: a file whose INPUTS changed after its
# commit is shown as "measured at <commit>", never as current, and the
# README and Documentation/results.rst show the figures from these files
# only.
#
# RESULT_COMMIT overrides the commit (a timed run of a fresh clone measures
# the clone's), RESULT_KERNEL names the kernel measured ("none" when none
# was).
# What a run of the code depends on: all that builds and runs.  Not the
# docs, the results and the tools that only write and check them: the
# docs' own checks run afresh in every make check, and a results file that
# counted its own commit's docs as an input would never be current.
CHECK_INPUTS=".ci .cargo scripts kernel rust selftests vmm Makefile Kbuild Cargo.toml Cargo.lock
	:!scripts/results.sh :!scripts/results.py :!scripts/doccheck.py :!selftests/survey"

# fault_path_inputs BASE: what a run on BASE's kernel (make bench, make
# trace-fault, make run) depends on: the module and the pure core, BASE's
# series and config, the selftests' sources, and the scripts that build
# and boot (each adds its own).
fault_path_inputs() {
	echo "rust kernel/$1 kernel/variants Kbuild selftests :!selftests/survey :!selftests/*.list
		scripts/lib.sh scripts/setup.sh scripts/kernel.sh scripts/module.sh scripts/selftests.sh
		scripts/vm.sh scripts/guest/lib.sh"
}

write_result() {
	local name=$1 command=$2 out commit dirty=""
	shift 2
	out=$KVM_PFEC_TOP/results/$name.txt
	mkdir -p "${out%/*}"
	commit=${RESULT_COMMIT:-$(git -C "$KVM_PFEC_TOP" rev-parse HEAD)}
	# Uncommitted changes to the inputs make a measurement of no commit.
	if [ -z "${RESULT_COMMIT:-}" ] && [ -n "$(git -C "$KVM_PFEC_TOP" status --porcelain -- "$@")" ]; then
		dirty=" (with uncommitted changes to its inputs)"
	fi
	{
		echo "# SPDX-License-Identifier: GPL-2.0"
		echo "# Written by '$command'; do not edit: rerun it."
		echo "result: $name"
		echo "command: $command"
		echo "commit: $commit$dirty"
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "machine: $(result_machine)"
		echo "kernel: ${RESULT_KERNEL:-$(result_kernel)}"
		echo "inputs: $*"
		echo "---"
		cat
	} >"$out.tmp"
	mv "$out.tmp" "$out"
	say "results: $out"
}

result_machine() {
	local model mem qemu bochs
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	mem=$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
	qemu=$(qemu-system-x86_64 --version 2>/dev/null | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')
	bochs=$(dpkg-query -W -f='${Version}' bochs 2>/dev/null)
	echo "$(nproc) cores ($model), $mem GiB, $(. /etc/os-release && echo "$PRETTY_NAME"), qemu ${qemu:-not installed}, bochs ${bochs:-not installed}"
}

# result_kernel [BASE...]: each base (default: KVM_PFEC_KERNEL's) with its
# Debian source version, and the variant if any.
result_kernel() {
	local b v out=()
	for b in "${@:-$KVM_PFEC_KERNEL}"; do
		v=$(kernel_version "$b" 2>/dev/null) || v=
		out+=("Linux $b (linux-source ${v:-not installed})")
	done
	echo "${out[*]}${KVM_PFEC_VARIANT:+, variant $KVM_PFEC_VARIANT}"
}
