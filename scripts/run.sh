#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: build whatever is missing, boot the kvm-pfec kernel, load the
# module, run the demo guests (selftests/kvm_pfec_demo.c) and show what the
# module saw.
set -euo pipefail
STAGE=run
. "$(dirname "$0")/lib.sh"

bash "$KVM_PFEC_TOP/scripts/setup.sh"
bash "$KVM_PFEC_TOP/scripts/kernel.sh"
bash "$KVM_PFEC_TOP/scripts/module.sh"
bash "$KVM_PFEC_TOP/scripts/selftests.sh"
bash "$KVM_PFEC_TOP/scripts/l2.sh"
exec bash "$KVM_PFEC_TOP/scripts/vm.sh" --timeout 900 -- \
	scripts/guest/demo.sh "$(bash "$KVM_PFEC_TOP/scripts/selftests.sh" --print-dir)" \
	"$(module_dir)/rust/kvm_pfec.ko" "$(kernel_dir)/arch/x86/boot/bzImage" \
	"$(bash "$KVM_PFEC_TOP/scripts/l2.sh" --print-path)"
