# SPDX-License-Identifier: GPL-2.0
#
# kvm-pfec entry points.  The two that matter:
#   make run     build what is missing, boot, load kvm_pfec.ko, run the demo
#   make check   every test: host, KUnit, KVM selftests; ends "N passed, ..."
#
# The others are the steps those two take, for working on one piece.
# KVM_PFEC_CACHE (default ~/.cache/kvm-pfec) holds the toolchain extras, the
# kernel tree and build, and the test results.

# KERNEL=6.12 or KERNEL=7.3 picks the kernel base: Debian's linux-source-6.12
# (the LTS) or linux-source-7.3 (the current stable), each with its own
# series in kernel/<base>/.  Without it, make check runs both, and the rest
# use 7.3.
ifdef KERNEL
export KVM_PFEC_KERNEL := $(KERNEL)
endif

.PHONY: run check series check-debug check-stress check-soak check-vmx repro-int3 survey bench trace-fault mutants ci-time results setup kernel module clippy checkpatch selftests host-test vm-shell clean help

run:
	@bash scripts/run.sh

check:
	@bash scripts/check.sh

# Benchmarks: the fault path in guest instructions (an icount boot) and in
# wall time, and the decision ratios, each in one boot; LOOP=1 adds the
# development loop's wall times, COLD=1 a cold make check.
bench: kernel
	@bash scripts/bench.sh

# Mutation testing of the pure core (cargo-mutants): ends "mutants: N
# caught, N equivalent, N missed"; writes results/mutants.txt.
mutants: setup
	@bash scripts/mutants.sh

# One fault's instructions, function by function, without and with the
# module, stepped through with gdb under icount: VM=default|protected,
# FAULTS=N.
trace-fault: kernel
	@bash scripts/trace-fault.sh

# The same tests on the debug kernel (KASAN, lockdep, atomic-sleep checks,
# kmemleak), built into a tree of its own.
check-debug:
	@KVM_PFEC_VARIANT=debug bash scripts/check.sh

# The long runs: 100 rmmod/insmod cycles under faulting vCPUs, upstream's
# private_mem_conversions_test with 4 vCPUs and 2 memslots, a 5000-run
# kvm_run scribbler.
check-stress:
	@KVM_PFEC_STRESS=1 bash scripts/check.sh

# The guest part of `make check` 30 times in a row, with two CPU hogs on the
# host: no run may die (SOAK_RUNS, SOAK_HOGS change the figures).
check-soak:
	@bash scripts/soak.sh

# Intel: the kernel under Bochs's emulated VMX with EPT (qemu's TCG has
# none), kvm_intel with kvm_pfec.ko loaded, with EPT and with shadow paging,
# under the "check" entries of scripts/vmx.plan, as make check runs them
# (KVM_PFEC_VMX_SET=limit: the upstream tests that hang under Bochs);
# writes results/check-vmx-<base>.txt.  STOCK=1 boots Debian's own build
# instead, under the plan's upstream tests: selftests/survey/<base>-stock-vmx.txt.
check-vmx:
	@bash scripts/vmx.sh

# The reproducer of the int3 oops under multi-threaded TCG
# (Documentation/testing.rst): RUNS, SECS, CONFIGS, HOGS.
repro-int3:
	@bash scripts/repro-int3.sh

# Every upstream x86 KVM selftest, one at a time, on our kernel (with
# kvm_pfec loaded) or, with STOCK=1, Debian's own build of the same
# version: the evidence behind selftests/upstream-<base>.list.
# TESTS="a a b" picks (and repeats) tests, LIMIT sets seconds a test,
# HOGS busy loops on the host.
survey:
	@bash scripts/survey.sh

# CI's run, timed: a fresh clone of HEAD, `bash .ci/run` with an empty
# KVM_PFEC_CACHE; writes results/ci-cold.txt.
ci-time:
	@bash scripts/ci-time.sh

# Rewrite the README's results blocks and Documentation/results.rst from
# results/*.txt, then list each file with its status.
results:
	@python3 scripts/results.py render && python3 scripts/results.py status

setup:
	@bash scripts/setup.sh

kernel: setup
	@bash scripts/kernel.sh

module: kernel
	@bash scripts/module.sh

# Build the module with clippy, as the kernel does: `make LLVM=-19 CLIPPY=1`.
clippy: kernel
	@bash scripts/module.sh CLIPPY=1 modules

# Each series (kernel/6.12/, kernel/7.3/): cover letter, commits,
# diffstat and checkpatch verdict.
series: setup
	@bash scripts/series.sh

# The kernel's checkpatch.pl over kernel/<base>/patches/.
checkpatch: kernel
	@bash scripts/checkpatch.sh

selftests: kernel
	@bash scripts/selftests.sh

host-test:
	RUSTC_BOOTSTRAP=1 cargo test

# An interactive shell in the VM, with the module built.
vm-shell: module
	@bash scripts/vm.sh

clean:
	-@bash scripts/module.sh clean
	cargo clean

help:
	@sed -n '3,10p' Makefile
