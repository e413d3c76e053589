#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the initramfs that scripts/vmx.sh boots under Bochs: mount what
# the tests need, then run scripts/guest/vmx.sh; power off when it ends.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ln -s /proc/self/fd /dev/fd
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/shm /dev/hugepages
mount -t tmpfs tmpfs /dev/shm
/bin/bash /vmx/vmx.sh
echo "vmx-init.sh: the test script ended (status $?); powering off"
# Let the serial ports drain the last lines before the machine goes.
sync
sleep 2
poweroff -f
