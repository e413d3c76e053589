# SPDX-License-Identifier: GPL-2.0
#
# Builds kvm-pfec's selftests with the rules, CFLAGS and libkvm objects of the
# kernel tree's own KVM selftests.  Read after that Makefile:
#
#   make -C $KDIR/tools/testing/selftests/kvm -f Makefile -f <this file> \
#        OUTPUT=$KDIR/tools/testing/selftests/kvm \
#        PFEC_SRC=<repo>/selftests PFEC_OUT=<dir> kvm-pfec
#
# so every variable below ($(CC), $(CFLAGS), $(LIBKVM_OBJS), ...) is
# upstream's.  Pass OUTPUT (the directory of upstream's build): lib.mk only
# defaults it at make level 0.
#
# Ours, unlike upstream's, build with -Werror.
#
# Where the selftest library's API changed between the bases, a feature
# test here picks the call (in kvm_pfec.h, or in the test that makes it):
# PFEC_HAVE_VM_GET_PTE where it has vm_get_pte(), which replaced
# vm_get_page_table_entry(); PFEC_HAVE_GVA_T where gva_t replaced
# vm_vaddr_t; PFEC_PREPARE_VMCS_TAKES_RSP where prepare_vmcs() takes L2's
# stack, which later bases allocate themselves.  And where KVM itself
# changed: PFEC_KVM_NO_CPUID_IN_L2 where the tree's KVM refuses
# KVM_SET_CPUID2 while L2 is active (kvm_can_set_cpuid_and_feature_msrs()).
PFEC_FEATURES := $(if $(shell grep -lw vm_get_pte include/x86*/processor.h 2>/dev/null),-DPFEC_HAVE_VM_GET_PTE)
PFEC_FEATURES += $(if $(shell grep -lw 'typedef u64 gva_t' include/*.h 2>/dev/null),-DPFEC_HAVE_GVA_T)
PFEC_FEATURES += $(if $(shell grep -l 'void prepare_vmcs.*guest_rsp' include/x86*/vmx.h 2>/dev/null),-DPFEC_PREPARE_VMCS_TAKES_RSP)
PFEC_FEATURES += $(if $(shell grep -lw kvm_can_set_cpuid_and_feature_msrs ../../../../arch/x86/kvm/x86.h 2>/dev/null),-DPFEC_KVM_NO_CPUID_IN_L2)

PFEC_TESTS := $(patsubst $(PFEC_SRC)/%.c,$(PFEC_OUT)/%,$(wildcard $(PFEC_SRC)/*.c))

kvm-pfec: $(PFEC_TESTS)

$(PFEC_OUT)/%: $(PFEC_SRC)/%.c $(LIBKVM_OBJS) $(wildcard $(PFEC_SRC)/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Werror $(PFEC_FEATURES) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH) $< $(LIBKVM_OBJS) $(LDLIBS) -o $@

.PHONY: kvm-pfec
