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

PFEC_TESTS := $(patsubst $(PFEC_SRC)/%.c,$(PFEC_OUT)/%,$(wildcard $(PFEC_SRC)/*.c))

kvm-pfec: $(PFEC_TESTS)

$(PFEC_OUT)/%: $(PFEC_SRC)/%.c $(LIBKVM_OBJS) $(wildcard $(PFEC_SRC)/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Werror $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH) $< $(LIBKVM_OBJS) $(LDLIBS) -o $@

.PHONY: kvm-pfec
