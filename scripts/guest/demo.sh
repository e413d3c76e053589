#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM for `make run`: load kvm_pfec, run the demo guests, show
# what the module logged, unload.
#
# Usage: demo.sh KSELFTEST_INSTALL KVM_PFEC_KO L2_KERNEL L2_INITRAMFS PFEC_VMM
set -eu
kselftest=$1 ko=$2 l2_kernel=$3 l2_initrd=$4 vmm=$5

echo "== kernel $(uname -r); kvm_amd npt=$(cat /sys/module/kvm_amd/parameters/npt)"
dmesg -C
insmod "$ko"
echo "== demo guests (selftests/kvm_pfec_demo.c)"
"$kselftest/kvm-pfec/kvm_pfec_demo"
echo "== a real VMM: qemu boots Linux on KVM; its init writes 256 MiB and powers off"
"$(dirname "$0")/l2.sh" "$l2_kernel" "$l2_initrd" /tmp/l2-console.log 256
echo "== a Rust VMM on rust-vmm's kvm-ioctls (vmm/): a software-protected VM, both layouts"
"$vmm" default
"$vmm" split
rmmod kvm_pfec
echo "== what kvm_pfec logged"
dmesg | grep kvm_pfec
