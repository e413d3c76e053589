#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: build whatever is missing, boot the kvm-pfec kernel, load the
# module, run the demo guests (selftests/kvm_pfec_demo.c) and show what the
# module saw.
set -euo pipefail
STAGE=run
. "$(dirname "$0")/lib.sh"
. "$KVM_PFEC_TOP/scripts/results.sh"

bash "$KVM_PFEC_TOP/scripts/setup.sh"
bash "$KVM_PFEC_TOP/scripts/kernel.sh"
bash "$KVM_PFEC_TOP/scripts/module.sh"
bash "$KVM_PFEC_TOP/scripts/selftests.sh"
bash "$KVM_PFEC_TOP/scripts/l2.sh"
bash "$KVM_PFEC_TOP/scripts/vmm.sh"
# The demo's output also goes to results/run-<kernel>.txt, the transcript
# that the README shows.  Both streams go through one pipe, as make check
# does.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
bash "$KVM_PFEC_TOP/scripts/vm.sh" --timeout 900 -- \
	scripts/guest/demo.sh "$(bash "$KVM_PFEC_TOP/scripts/selftests.sh" --print-dir)" \
	"$(module_dir)/rust/kvm_pfec.ko" "$(kernel_dir)/arch/x86/boot/bzImage" \
	"$(bash "$KVM_PFEC_TOP/scripts/l2.sh" --print-path)" \
	"$(bash "$KVM_PFEC_TOP/scripts/vmm.sh" --print-path)" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || die "the demo failed (status $rc)"
# The transcript is the guest's output, without the host's progress lines.
{ echo "exit_status: $rc"; echo; grep -v -E '^\[[a-z0-9-]+ +[0-9]+:[0-9]{2}\] ' "$log"; } |
	write_result "run-$KVM_PFEC_KERNEL" "make run KERNEL=$KVM_PFEC_KERNEL" \
	$(fault_path_inputs "$KVM_PFEC_KERNEL") scripts/run.sh scripts/l2.sh scripts/l2 \
	scripts/guest/demo.sh scripts/guest/l2.sh scripts/vmm.sh vmm
