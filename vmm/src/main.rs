// SPDX-License-Identifier: GPL-2.0

//! pfec-vmm: a VMM on rust-vmm's `kvm-ioctls`, run against kvm_pfec.ko.
//!
//! It does what a confidential-VM VMM does with KVM, on a
//! `KVM_X86_SW_PROTECTED_VM`:
//!
//! - slot 0 holds the guest's code; slot 1 is backed by a guest_memfd and
//!   by plain memory, and its first half is private; slot 2 is plain memory
//!   only, and starts private too;
//! - the guest (32-bit protected mode, flat, no paging) writes each page of
//!   slot 1, says so through port `PORT_TOUCHED`, then writes each page of
//!   slot 2 and says so through port `PORT_CONVERTED`, and halts;
//! - a private access to slot 2, which has no guest_memfd, ends `KVM_RUN`
//!   with `KVM_EXIT_MEMORY_FAULT`: the VMM converts that page to shared with
//!   `KVM_SET_MEMORY_ATTRIBUTES` and enters the guest again.
//!
//! With `default`, the VMM reads each memory fault as `kvm-ioctls` gives it
//! (`VcpuExit::MemoryFault`).  With `split`, it enables
//! `KVM_CAP_MEMORY_FAULT_SPLIT` and reads the record past the exit union's
//! low part, which keeps the port exit that came before.
//!
//! It checks every exit, what the guest's writes left in the VMM's memory
//! (nothing, where the page was private), and kvm_pfec's counters of the VM
//! in debugfs against the faults the guest took.  It prints what it saw, and
//! exits 0 when everything held, 1 when something did not (saying what), 2
//! on bad arguments, and 4 (kselftest's skip) when KVM has no
//! software-protected VMs.

use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::ptr;

use kvm_bindings::{
    kvm_create_guest_memfd, kvm_enable_cap, kvm_memory_attributes, kvm_run,
    kvm_userspace_memory_region2, KVM_CAP_VM_TYPES, KVM_EXIT_IO, KVM_MEMORY_ATTRIBUTE_PRIVATE,
    KVM_MEMORY_EXIT_FLAG_PRIVATE, KVM_MEM_GUEST_MEMFD, KVM_X86_SW_PROTECTED_VM,
};
use kvm_ioctls::{Kvm, VcpuExit, VcpuFd, VmFd};

/// Our uAPI's `KVM_CAP_MEMORY_FAULT_SPLIT` (kernel/*/patches, "KVM: x86: Add
/// KVM_CAP_MEMORY_FAULT_SPLIT"): kvm-bindings does not know it.
const KVM_CAP_MEMORY_FAULT_SPLIT: u32 = 0x4b50_0001;
/// Our uAPI's `KVM_MEMORY_FAULT_SPLIT_LOW_SIZE`: where the split record starts in the
/// exit union.
const KVM_MEMORY_FAULT_SPLIT_LOW_SIZE: usize = 192;

const PAGE: u64 = 4096;
/// Slot 0: the guest's code, at `CODE_GPA`.
const CODE_SLOT_GPA: u64 = 0;
const CODE_SLOT_PAGES: u64 = 16;
const CODE_GPA: u64 = 0x1000;
/// Slot 1: `PROTECTED_PAGES` pages with a guest_memfd, the first
/// `PRIVATE_PAGES` of them private.
const PROTECTED_GPA: u64 = 0x10_0000;
const PROTECTED_PAGES: u64 = 16;
const PRIVATE_PAGES: u64 = 8;
/// Slot 2: `CONVERTED_PAGES` pages of plain memory, private at first.
const CONVERTED_GPA: u64 = 0x20_0000;
const CONVERTED_PAGES: u64 = 4;

const PORT_TOUCHED: u16 = 0x10;
const PORT_CONVERTED: u16 = 0x11;

/// How the VMM reads a memory fault.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Upstream's `memory_fault`, through `VcpuExit::MemoryFault`.
    Default,
    /// `KVM_CAP_MEMORY_FAULT_SPLIT`'s record.
    Split,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::Default => "default",
            Layout::Split => "split",
        }
    }
}

/// `split.memory_fault` of our uAPI's `struct kvm_run`.
#[repr(C)]
#[derive(Clone, Copy)]
struct SplitRecord {
    flags: u64,
    gpa: u64,
    size: u64,
    low_exit_reason: u32,
    pad: u32,
}

const _: () = assert!(
    core::mem::size_of::<SplitRecord>() == 32
        && KVM_MEMORY_FAULT_SPLIT_LOW_SIZE + core::mem::size_of::<SplitRecord>()
            <= core::mem::size_of::<kvm_bindings::kvm_run__bindgen_ty_1>()
);

/// A memory fault, as the VMM read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fault {
    flags: u64,
    gpa: u64,
    size: u64,
}

/// An exit, copied out of `kvm_run` so that the vCPU is free again.
enum Exit {
    Out(u16),
    MemoryFault(Fault),
    Hlt,
    Other(String),
}

/// Anonymous memory that backs a slot, unmapped on drop.
struct Mapping {
    addr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(pages: u64) -> io::Result<Self> {
        let len = (pages * PAGE) as usize;
        // SAFETY: a fresh anonymous private mapping, at an address the
        // kernel picks: it aliases nothing of this process.
        let addr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            addr: addr.cast(),
            len,
        })
    }

    /// The 32-bit word at `offset`, as the guest may have written it.
    fn read_u32(&self, offset: u64) -> u32 {
        let offset = usize::try_from(offset).expect("offset fits a usize");
        assert!(offset % 4 == 0 && offset.checked_add(4).is_some_and(|end| end <= self.len));
        // SAFETY: aligned (the mapping is page-aligned and `offset` a
        // multiple of 4) and in bounds (both checked above) of a live
        // mapping; the guest writes it only while KVM_RUN runs, which only
        // this thread calls, so no write races this read.
        unsafe { ptr::read_volatile(self.addr.add(offset).cast::<u32>()) }
    }

    fn write(&self, offset: usize, bytes: &[u8]) {
        assert!(offset
            .checked_add(bytes.len())
            .is_some_and(|end| end <= self.len));
        // SAFETY: in bounds (checked above) of a live mapping that no vCPU
        // runs on yet; `bytes` is this process's own memory, outside it.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), self.addr.add(offset), bytes.len()) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping that new() made, unmapped once.  The VM whose
        // slots name it is dropped before it: after it in Vm's fields, and
        // made after it in Vm::new(), whose locals drop in reverse order.
        unsafe { libc::munmap(self.addr.cast(), self.len) };
    }
}

/// The guest, 32-bit code at `CODE_GPA`: it writes each page's address to
/// its first word.
fn guest_code() -> Vec<u8> {
    let mut code = Vec::new();
    // Writes the pages of one slot, then reports through a port.
    let mut touch = |gpa: u64, pages: u64, port: u16| {
        code.push(0xbf); // mov edi, gpa
        code.extend_from_slice(&(gpa as u32).to_le_bytes());
        code.push(0xb9); // mov ecx, pages
        code.extend_from_slice(&(pages as u32).to_le_bytes());
        code.extend_from_slice(&[0x89, 0x3f]); // 1: mov [edi], edi
        code.extend_from_slice(&[0x81, 0xc7]); // add edi, PAGE
        code.extend_from_slice(&(PAGE as u32).to_le_bytes());
        code.extend_from_slice(&[0xe2, 0xf6]); // loop 1b
        code.extend_from_slice(&[0xe6, port as u8]); // out port, al
    };
    touch(PROTECTED_GPA, PROTECTED_PAGES, PORT_TOUCHED);
    touch(CONVERTED_GPA, CONVERTED_PAGES, PORT_CONVERTED);
    code.push(0xf4); // hlt
    code
}

/// The VM and its memory.  The fields drop in order: the vCPU and the VM
/// go before the memory their slots name.
struct Vm {
    vcpu: VcpuFd,
    vm: VmFd,
    _guest_memfd: fs::File,
    _code: Mapping,
    protected: Mapping,
    converted: Mapping,
    layout: Layout,
}

fn err(what: &str) -> impl Fn(kvm_ioctls::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl Vm {
    fn new(kvm: &Kvm, layout: Layout) -> Result<Vm, String> {
        // The memory first, so that on an error below the VM, made later,
        // goes first.
        let map = |pages| Mapping::new(pages).map_err(|e| format!("mmap: {e}"));
        let (code, protected, converted) = (
            map(CODE_SLOT_PAGES)?,
            map(PROTECTED_PAGES)?,
            map(CONVERTED_PAGES)?,
        );
        code.write((CODE_GPA - CODE_SLOT_GPA) as usize, &guest_code());

        let vm = kvm
            .create_vm_with_type(u64::from(KVM_X86_SW_PROTECTED_VM))
            .map_err(err("KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM)"))?;
        if layout == Layout::Split {
            if vm.check_extension_raw(KVM_CAP_MEMORY_FAULT_SPLIT.into()) != 1 {
                return Err("this KVM has no KVM_CAP_MEMORY_FAULT_SPLIT".into());
            }
            let mut cap = kvm_enable_cap {
                cap: KVM_CAP_MEMORY_FAULT_SPLIT,
                ..Default::default()
            };
            cap.args[0] = 1;
            vm.enable_cap(&cap)
                .map_err(err("KVM_ENABLE_CAP(KVM_CAP_MEMORY_FAULT_SPLIT)"))?;
        }

        let fd = vm
            .create_guest_memfd(kvm_create_guest_memfd {
                size: PROTECTED_PAGES * PAGE,
                ..Default::default()
            })
            .map_err(err("KVM_CREATE_GUEST_MEMFD"))?;
        // SAFETY: KVM_CREATE_GUEST_MEMFD returned a new file descriptor,
        // which nothing else owns.
        let guest_memfd = unsafe { <fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };

        let slot = |slot, gpa, mapping: &Mapping, gmem: Option<&fs::File>| {
            let region = kvm_userspace_memory_region2 {
                slot,
                flags: if gmem.is_some() {
                    KVM_MEM_GUEST_MEMFD
                } else {
                    0
                },
                guest_phys_addr: gpa,
                memory_size: mapping.len as u64,
                userspace_addr: mapping.addr as u64,
                guest_memfd: gmem.map_or(0, |f| f.as_raw_fd() as u32),
                ..Default::default()
            };
            // SAFETY: kvm-ioctls asks for memory that stays mapped while the
            // slot exists, slots that do not overlap, and a guest_memfd of
            // this VM.  The slot names a whole Mapping, which outlives the
            // VM (see Mapping's drop); the three slots' ranges are disjoint
            // (the consts); the guest_memfd is the one this VM made, bound
            // to this slot alone.
            unsafe { vm.set_user_memory_region2(region) }
                .map_err(err("KVM_SET_USER_MEMORY_REGION2"))
        };
        slot(0, CODE_SLOT_GPA, &code, None)?;
        slot(1, PROTECTED_GPA, &protected, Some(&guest_memfd))?;
        slot(2, CONVERTED_GPA, &converted, None)?;

        let private = |gpa, pages| {
            vm.set_memory_attributes(kvm_memory_attributes {
                address: gpa,
                size: pages * PAGE,
                attributes: KVM_MEMORY_ATTRIBUTE_PRIVATE.into(),
                flags: 0,
            })
            .map_err(err("KVM_SET_MEMORY_ATTRIBUTES"))
        };
        private(PROTECTED_GPA, PRIVATE_PAGES)?;
        private(CONVERTED_GPA, CONVERTED_PAGES)?;

        let vcpu = vm.create_vcpu(0).map_err(err("KVM_CREATE_VCPU"))?;
        Self::flat_protected_mode(&vcpu)?;
        Ok(Vm {
            vcpu,
            vm,
            _guest_memfd: guest_memfd,
            _code: code,
            protected,
            converted,
            layout,
        })
    }

    /// 32-bit protected mode with flat segments and no paging, at CODE_GPA.
    fn flat_protected_mode(vcpu: &VcpuFd) -> Result<(), String> {
        let mut sregs = vcpu.get_sregs().map_err(err("KVM_GET_SREGS"))?;
        let flat = |selector, type_| kvm_bindings::kvm_segment {
            base: 0,
            limit: 0xffff_ffff,
            selector,
            type_,
            present: 1,
            dpl: 0,
            db: 1,
            s: 1,
            l: 0,
            g: 1,
            avl: 0,
            unusable: 0,
            padding: 0,
        };
        sregs.cs = flat(0x8, 0xb);
        sregs.ds = flat(0x10, 0x3);
        sregs.es = sregs.ds;
        sregs.ss = sregs.ds;
        sregs.cr0 |= 1;
        vcpu.set_sregs(&sregs).map_err(err("KVM_SET_SREGS"))?;
        let regs = kvm_bindings::kvm_regs {
            rip: CODE_GPA,
            rflags: 2,
            ..Default::default()
        };
        vcpu.set_regs(&regs).map_err(err("KVM_SET_REGS"))
    }

    fn run(&mut self) -> Exit {
        let exit = match self.vcpu.run() {
            Ok(VcpuExit::IoOut(port, _)) => Exit::Out(port),
            Ok(VcpuExit::MemoryFault { flags, gpa, size }) => {
                Exit::MemoryFault(Fault { flags, gpa, size })
            }
            Ok(VcpuExit::Hlt) => Exit::Hlt,
            Ok(other) => Exit::Other(format!("{other:?}")),
            Err(e) => Exit::Other(format!("KVM_RUN failed: {e}")),
        };
        match (exit, self.layout) {
            // kvm-ioctls read the low part, which the split layout leaves
            // to the exit before; the fault is in the record.
            (Exit::MemoryFault(_), Layout::Split) => self.split_fault(),
            (exit, _) => exit,
        }
    }

    /// The split layout's record, checked against the low part it says it
    /// kept.
    fn split_fault(&mut self) -> Exit {
        let run: &kvm_run = self.vcpu.get_kvm_run();
        let union = ptr::addr_of!(run.__bindgen_anon_1).cast::<u8>();
        // SAFETY: the record lies within the exit union (the const assert
        // below SplitRecord), read unaligned; KVM writes kvm_run only in
        // this vCPU's ioctls, which only this thread, holding the VcpuFd,
        // makes, and none is running.
        let record = unsafe {
            ptr::read_unaligned(
                union
                    .add(KVM_MEMORY_FAULT_SPLIT_LOW_SIZE)
                    .cast::<SplitRecord>(),
            )
        };
        if record.low_exit_reason != KVM_EXIT_IO {
            return Exit::Other(format!(
                "the split record says the low part holds exit {}, not the port exit before it",
                record.low_exit_reason
            ));
        }
        // SAFETY: reading a union member: any bits make a valid `u16`, and
        // the record says that the low part holds a KVM_EXIT_IO's data.
        let port = unsafe { run.__bindgen_anon_1.io.port };
        if port != PORT_TOUCHED {
            return Exit::Other(format!(
                "the low part's port exit says port {port:#x}, not {PORT_TOUCHED:#x}: the memory fault clobbered it"
            ));
        }
        if record.pad != 0 {
            return Exit::Other(format!("the split record's pad is {:#x}", record.pad));
        }
        Exit::MemoryFault(Fault {
            flags: record.flags,
            gpa: record.gpa,
            size: record.size,
        })
    }

    /// One of kvm_pfec's counters for this VM (the sum over its vCPUs).
    fn stat(&self, name: &str) -> Result<u64, String> {
        let path = format!(
            "/sys/kernel/debug/kvm/{}-{}/{name}",
            std::process::id(),
            self.vm.as_raw_fd()
        );
        let text = fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        text.trim()
            .parse()
            .map_err(|e| format!("{path}: {text:?}: {e}"))
    }

    fn counters(&self) -> Result<Counters, String> {
        Ok(Counters {
            private: self.stat("pfec_private_faults")?,
            shared: self.stat("pfec_shared_faults")?,
            stripped: self.stat("pfec_synthetic_stripped")?,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counters {
    private: u64,
    shared: u64,
    stripped: u64,
}

fn expect_exit(vm: &mut Vm, want: &str, ok: impl Fn(&Exit) -> bool) -> Result<(), String> {
    match vm.run() {
        exit if ok(&exit) => Ok(()),
        Exit::Out(port) => Err(format!("wanted {want}, got a write to port {port:#x}")),
        Exit::MemoryFault(f) => Err(format!("wanted {want}, got a memory fault: {f:x?}")),
        Exit::Hlt => Err(format!("wanted {want}, got HLT")),
        Exit::Other(what) => Err(format!("wanted {want}, got {what}")),
    }
}

fn run(kvm: &Kvm, layout: Layout) -> Result<(), String> {
    let mut vm = Vm::new(kvm, layout)?;
    let name = layout.name();

    // Slot 1: one fault per page, private where the attributes say so, and
    // one for the code page.
    expect_exit(&mut vm, "the port write after slot 1", |e| {
        matches!(e, Exit::Out(PORT_TOUCHED))
    })?;
    let touched = vm.counters()?;
    let want = Counters {
        private: PRIVATE_PAGES,
        shared: PROTECTED_PAGES - PRIVATE_PAGES + 1,
        stripped: 0,
    };
    if touched != want {
        return Err(format!(
            "after slot 1, kvm_pfec counted {touched:?}, not {want:?}"
        ));
    }
    for page in 0..PROTECTED_PAGES {
        let gpa = PROTECTED_GPA + page * PAGE;
        let seen = vm.protected.read_u32(page * PAGE);
        // A private page's write went to the guest_memfd.
        let want = if page < PRIVATE_PAGES { 0 } else { gpa as u32 };
        if seen != want {
            return Err(format!(
                "slot 1's page at {gpa:#x} holds {seen:#x} in the VMM's memory, not {want:#x}"
            ));
        }
    }
    println!(
        "pfec-vmm ({name}): slot 1: {} private and {} shared faults, as kvm_pfec counted them; the private pages' writes went to the guest_memfd",
        touched.private, touched.shared
    );

    // Slot 2: each private access fails with a memory fault, which the
    // VMM answers by converting the page.
    let mut faults = 0;
    loop {
        match vm.run() {
            Exit::Out(PORT_CONVERTED) => break,
            Exit::MemoryFault(fault) => {
                let want = Fault {
                    flags: KVM_MEMORY_EXIT_FLAG_PRIVATE.into(),
                    gpa: CONVERTED_GPA + faults * PAGE,
                    size: PAGE,
                };
                if fault != want || faults == CONVERTED_PAGES {
                    return Err(format!(
                        "memory fault {} of slot 2 is {fault:x?}, not {want:x?}",
                        faults + 1
                    ));
                }
                vm.vm
                    .set_memory_attributes(kvm_memory_attributes {
                        address: fault.gpa,
                        size: fault.size,
                        attributes: 0,
                        flags: 0,
                    })
                    .map_err(err("KVM_SET_MEMORY_ATTRIBUTES (to shared)"))?;
                faults += 1;
            }
            Exit::Out(port) => return Err(format!("a write to port {port:#x} in slot 2")),
            Exit::Hlt => return Err("HLT before slot 2 was written".into()),
            Exit::Other(what) => return Err(format!("in slot 2: {what}")),
        }
    }
    if faults != CONVERTED_PAGES {
        return Err(format!(
            "{faults} memory faults in slot 2, not one for each of its {CONVERTED_PAGES} pages"
        ));
    }
    for page in 0..CONVERTED_PAGES {
        let gpa = CONVERTED_GPA + page * PAGE;
        let seen = vm.converted.read_u32(page * PAGE);
        if seen != gpa as u32 {
            return Err(format!(
                "slot 2's converted page at {gpa:#x} holds {seen:#x}, not the guest's write"
            ));
        }
    }
    // Each page: a private decision that failed the fault, then a shared
    // one after the conversion.
    let converted = vm.counters()?;
    let want = Counters {
        private: touched.private + CONVERTED_PAGES,
        shared: touched.shared + CONVERTED_PAGES,
        stripped: 0,
    };
    if converted != want {
        return Err(format!(
            "after slot 2, kvm_pfec counted {converted:?}, not {want:?}"
        ));
    }
    println!(
        "pfec-vmm ({name}): slot 2: {faults} KVM_EXIT_MEMORY_FAULTs, each read {}; the VMM converted each page to shared and entered again; kvm_pfec counted {} private and {} shared faults for them",
        match layout {
            Layout::Default => "through kvm-ioctls' VcpuExit::MemoryFault",
            Layout::Split => "from the split record (the port exit before it intact)",
        },
        converted.private - touched.private,
        converted.shared - touched.shared
    );

    expect_exit(&mut vm, "HLT", |e| matches!(e, Exit::Hlt))?;
    println!("pfec-vmm ({name}): the guest halted; ok");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let layout = match args.get(1).map(String::as_str) {
        Some("default") if args.len() == 2 => Layout::Default,
        Some("split") if args.len() == 2 => Layout::Split,
        _ => {
            eprintln!("usage: pfec-vmm default|split");
            return ExitCode::from(2);
        }
    };
    let kvm = match Kvm::new() {
        Ok(kvm) => kvm,
        Err(e) => {
            eprintln!("pfec-vmm: /dev/kvm: {e}");
            return ExitCode::from(1);
        }
    };
    if kvm.check_extension_raw(KVM_CAP_VM_TYPES.into()) & (1 << KVM_X86_SW_PROTECTED_VM) == 0 {
        println!("pfec-vmm: SKIP: this KVM offers no KVM_X86_SW_PROTECTED_VM");
        return ExitCode::from(4);
    }
    match run(&kvm, layout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            println!("pfec-vmm ({}): FAILED: {why}", layout.name());
            ExitCode::from(1)
        }
    }
}
