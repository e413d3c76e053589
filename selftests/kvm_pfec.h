/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kvm-pfec's selftests share: where they put test memory, and reading
 * the per-vCPU stats that kvm_pfec.ko counts into.
 */
#ifndef SELFTEST_KVM_PFEC_H
#define SELFTEST_KVM_PFEC_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"

/* Far above the selftest library's own memory, so nothing else maps here. */
#define PFEC_TEST_GPA	0xc0000000ull
#define PFEC_TEST_SLOT	10

/* The hardware-unused bits KVM uses for its synthetic flags. */
#define PFEC_IMPLICIT_ACCESS	(1ull << 48)
#define PFEC_PRIVATE_ACCESS	(1ull << 49)

/*
 * Skips a test that needs a software-protected VM where KVM offers none,
 * and says why: KVM offers KVM_X86_SW_PROTECTED_VM only with a TDP MMU
 * (EPT or NPT), so not under shadow paging (kvm_intel.ept=0, kvm_amd.npt=0).
 */
#define pfec_require_sw_protected_vm()						\
	__TEST_REQUIRE(kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM), \
		       "no KVM_X86_SW_PROTECTED_VM: KVM offers it only with a TDP MMU%s", \
		       kvm_is_tdp_enabled() ? "" : ", and this host's KVM uses shadow paging")

/* Whether the module parameter file @path reads "Y". */
static inline bool pfec_param_is_y(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == 'Y';
}

/* A guest virtual address (kvm-pfec.mk: PFEC_HAVE_GVA_T). */
#ifdef PFEC_HAVE_GVA_T
typedef gva_t pfec_gva_t;
#else
typedef vm_vaddr_t pfec_gva_t;
#endif

/* x86's PTE R/W bit. */
#define PFEC_PTE_WRITABLE	(1ull << 1)

/* The guest PTE that maps @gva (kvm-pfec.mk: PFEC_HAVE_VM_GET_PTE). */
static inline uint64_t *pfec_guest_pte(struct kvm_vm *vm, uint64_t gva)
{
#ifdef PFEC_HAVE_VM_GET_PTE
	return vm_get_pte(vm, gva);
#else
	return vm_get_page_table_entry(vm, gva);
#endif
}

/* Reads a vCPU stat by name through KVM_GET_STATS_FD; fails if it is absent. */
static inline uint64_t vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *desc = NULL;
	uint64_t value;
	int fd, i;

	fd = vcpu_get_stats_fd(vcpu);
	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		desc = get_stats_descriptor(descs, i, &header);
		if (!strcmp(desc->name, name))
			break;
	}
	TEST_ASSERT(i < header.num_desc, "no vCPU stat '%s'", name);
	read_stat_data(fd, &header, desc, &value, 1);
	free(descs);
	close(fd);
	return value;
}

/*
 * A VM of @type with one vCPU running @guest_code(PFEC_TEST_GPA, @npages),
 * and @npages of test memory at PFEC_TEST_GPA, mapped 1:1, in a memslot with
 * @slot_flags (KVM_MEM_GUEST_MEMFD for private memory).
 */
static inline struct kvm_vm *pfec_vm_create(unsigned long type, uint32_t slot_flags,
					    uint64_t npages, void *guest_code,
					    struct kvm_vcpu **vcpu)
{
	const struct vm_shape shape = { .mode = VM_MODE_DEFAULT, .type = type };
	struct kvm_vm *vm;

	vm = vm_create_shape_with_one_vcpu(shape, vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PFEC_TEST_GPA,
				    PFEC_TEST_SLOT, npages, slot_flags);
	virt_map(vm, PFEC_TEST_GPA, PFEC_TEST_GPA, npages);
	vcpu_args_set(*vcpu, 2, PFEC_TEST_GPA, npages);
	return vm;
}

/* Opens the kernel log (/dev/kmsg, root only) after its last record. */
static inline int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	TEST_ASSERT(fd >= 0, "open(/dev/kmsg) failed, errno %d", errno);
	TEST_ASSERT(lseek(fd, 0, SEEK_END) >= 0, "lseek(/dev/kmsg) failed, errno %d", errno);
	return fd;
}

/*
 * Reads the next record logged since kmsg_open_at_end() into @buf: false
 * when there is none.  Fails if the log overran, which would hide records.
 */
static inline bool kmsg_next(int fd, char *buf, size_t size)
{
	ssize_t r = read(fd, buf, size - 1);

	if (r < 0 && errno == EAGAIN)
		return false;
	TEST_ASSERT(r > 0, "read(/dev/kmsg) failed, errno %d%s", errno,
		    errno == EPIPE ? " (the log overran)" : "");
	buf[r] = 0;
	return true;
}

/* Counts the records logged since, whose text has @what. */
static inline int kmsg_count(int fd, const char *what)
{
	char record[8192];
	int n = 0;

	while (kmsg_next(fd, record, sizeof(record)))
		n += !!strstr(record, what);
	return n;
}

/*
 * Stores the times (in microseconds, the kernel log's) of the records logged
 * since, whose text has @what, in @usecs, at most @max of them; returns how
 * many there were, which may be more.
 */
static inline int kmsg_times(int fd, const char *what, uint64_t *usecs, int max)
{
	char record[8192];
	unsigned long long usec;
	int n = 0;

	while (kmsg_next(fd, record, sizeof(record))) {
		if (!strstr(record, what))
			continue;
		/* A record is "prio,seq,usec,flags;text". */
		TEST_ASSERT(sscanf(record, "%*u,%*u,%llu", &usec) == 1,
			    "unreadable kernel log record: %s", record);
		if (n < max)
			usecs[n] = usec;
		n++;
	}
	return n;
}

/*
 * Writes @val to the VM's test knob @name.  Returns 0, or the errno of a
 * refused write.
 */
static inline int __write_named_knob(struct kvm_vm *vm, const char *name, uint64_t val)
{
	char path[96], buf[32];
	int fd, n, r;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s", getpid(), vm->fd,
		 name);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		/* Without CONFIG_KVM_PFEC_INJECT no knob exists. */
		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/pfec_inject",
			 getpid(), vm->fd);
		__TEST_REQUIRE(!access(path, F_OK), "no %s (CONFIG_KVM_PFEC_INJECT=n)", path);
		TEST_FAIL("%s exists, but not %s", path, name);
	}
	n = snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)val);
	r = write(fd, buf, n) == n ? 0 : errno;
	close(fd);
	return r;
}

/* Writes @val to the tracefs file @dir/@file. */
static inline void tracefs_write(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	TEST_ASSERT(fd >= 0, "open(%s) failed, errno %d", path, errno);
	TEST_ASSERT_EQ(write(fd, val, strlen(val)), (ssize_t)strlen(val));
	close(fd);
}

/*
 * Where tracefs has the kvm_pfec events: /sys/kernel/tracing, or its
 * automount in debugfs.  Skips the test if neither has them.
 */
static inline const char *pfec_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events/kvm_pfec/enable", dirs[i]);
		if (!access(path, W_OK))
			return dirs[i];
	}
	__TEST_REQUIRE(0, "no tracefs with the kvm_pfec events");
	return NULL;
}

/*
 * Empties the trace buffer and turns on @events, a directory under events/:
 * a system ("kvm_pfec") or one event ("kvm/kvm_nested_vmexit").
 */
static inline void pfec_trace_start_event(const char *dir, const char *events)
{
	char enable[128];

	snprintf(enable, sizeof(enable), "events/%s/enable", events);
	tracefs_write(dir, enable, "0");
	tracefs_write(dir, "trace", "");
	tracefs_write(dir, "tracing_on", "1");
	tracefs_write(dir, enable, "1");
}

/* Empties the trace buffer and turns on the kvm_pfec events. */
static inline void pfec_trace_start(const char *dir)
{
	pfec_trace_start_event(dir, "kvm_pfec");
}

/*
 * Turns @events off and returns the trace (malloc'ed).  Fails if the buffer
 * dropped events: its header must say that every event written is in it.
 */
static inline char *pfec_trace_stop_event(const char *dir, const char *events)
{
	unsigned long in_buffer, written;
	size_t size = 0, cap = 1 << 16;
	char path[256], enable[128], *buf, *p;
	ssize_t r;
	int fd;

	snprintf(enable, sizeof(enable), "events/%s/enable", events);
	tracefs_write(dir, enable, "0");
	snprintf(path, sizeof(path), "%s/trace", dir);
	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open(%s) failed, errno %d", path, errno);
	buf = malloc(cap);
	while ((r = read(fd, buf + size, cap - size - 1)) > 0) {
		size += r;
		if (cap - size < 4096)
			buf = realloc(buf, cap *= 2);
		TEST_ASSERT(buf, "out of memory reading %s", path);
	}
	close(fd);
	buf[size] = 0;
	p = strstr(buf, "entries-in-buffer/entries-written: ");
	TEST_ASSERT(p && sscanf(p, "entries-in-buffer/entries-written: %lu/%lu",
				&in_buffer, &written) == 2, "no entry counts in %s", path);
	TEST_ASSERT(in_buffer == written, "the trace buffer dropped events: %lu of %lu kept",
		    in_buffer, written);
	return buf;
}

/* Turns the kvm_pfec events off and returns the trace (malloc'ed). */
static inline char *pfec_trace_stop(const char *dir)
{
	return pfec_trace_stop_event(dir, "kvm_pfec");
}

/* Counts the lines of @trace that record event @event ("kvm_pfec_stuck"). */
static inline int pfec_trace_count(const char *trace, const char *event)
{
	char tag[64];
	int n = 0;

	snprintf(tag, sizeof(tag), " %s: ", event);
	for (const char *p = trace; (p = strstr(p, tag)); p++)
		n++;
	return n;
}

/*
 * A KVM_X86_SW_PROTECTED_VM, in the split memory-fault layout if @split,
 * with one vCPU running @guest_code(PFEC_TEST_GPA, @npages) and @npages of
 * test memory at PFEC_TEST_GPA, mapped 1:1, in a memslot without
 * guest_memfd: a page the caller makes private by attribute faults with
 * KVM_EXIT_MEMORY_FAULT on every access.
 */
static inline struct kvm_vm *pfec_fault_vm_create(bool split, uint64_t npages,
						  void *guest_code,
						  struct kvm_vcpu **vcpu)
{
	const struct vm_shape shape = {
		.mode = VM_MODE_DEFAULT,
		.type = KVM_X86_SW_PROTECTED_VM,
	};
	const struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MEMORY_FAULT_SPLIT,
		.args = { 1 },
	};
	struct kvm_vm *vm = __vm_create(shape, 1, 0);

	/* Only before the VM has vCPUs. */
	if (split)
		vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	*vcpu = vm_vcpu_add(vm, 0, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PFEC_TEST_GPA,
				    PFEC_TEST_SLOT, npages, 0);
	virt_map(vm, PFEC_TEST_GPA, PFEC_TEST_GPA, npages);
	vcpu_args_set(*vcpu, 2, PFEC_TEST_GPA, npages);
	return vm;
}

/* Runs "@cmd @arg" ("rmmod kvm_pfec", "insmod $KVM_PFEC_KO"); fails if it fails. */
static inline void pfec_module_cmd(const char *cmd, const char *arg)
{
	char line[512];

	snprintf(line, sizeof(line), "%s %s", cmd, arg);
	TEST_ASSERT(!system(line), "'%s' failed", line);
}

static inline bool kvm_pfec_loaded(void)
{
	return !access("/sys/module/kvm_pfec", F_OK);
}

#endif /* SELFTEST_KVM_PFEC_H */
