# SPDX-License-Identifier: GPL-2.0
#
# gdb script for scripts/trace-fault.sh: attaches to qemu's gdb stub, stops
# at TRACE_ENTRY (an address), and single-steps until that function returns,
# for TRACE_FAULTS faults on the benchmark's pages: a fault counts when it
# calls TRACE_FAULT_FN (an address) with a gpa (its second argument) in
# [TRACE_GPA_START, TRACE_GPA_END); others run on to their return unstepped.
# Writes every executed instruction's address, one fault a line, to
# TRACE_OUT.  qemu masks interrupts and timers while gdb steps, so a trace is
# the fault's own instructions, unless the vCPU thread schedules mid-fault
# (a default VM's fault can, in get_user_pages()): then gdb would step
# whatever runs next, so that fault is dropped too, when the stack pointer
# leaves the thread's stack.
import os

import gdb

entry = int(os.environ["TRACE_ENTRY"], 16)
faults = int(os.environ["TRACE_FAULTS"])
out = os.environ["TRACE_OUT"]
fault_fn = int(os.environ["TRACE_FAULT_FN"], 16)
gpa_start = int(os.environ["TRACE_GPA_START"], 16)
gpa_end = int(os.environ["TRACE_GPA_END"], 16)

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set architecture i386:x86-64")
gdb.execute("target remote :" + os.environ.get("TRACE_PORT", "1234"))
gdb.execute("break *%#x" % entry, to_string=True)


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & (2**64 - 1)


# Kernel stacks are 16 KiB, aligned to their size.
STACK_SHIFT = 14


def trace():
    """Steps one call of the entry function; None if not a benchmark fault,
    or if the thread scheduled."""
    sp = reg("rsp")
    ret = int(gdb.parse_and_eval("*(unsigned long *)%#x" % sp)) & (2**64 - 1)
    pcs = []
    while True:
        pc = reg("pc")
        rsp = reg("rsp")
        # Back in the caller, with the frame popped.
        if pc == ret and rsp > sp:
            return pcs
        if (pc == fault_fn and not gpa_start <= reg("rsi") < gpa_end) or \
                rsp >> STACK_SHIFT != sp >> STACK_SHIFT:
            gdb.execute("tbreak *%#x" % ret, to_string=True)
            gdb.execute("continue", to_string=True)
            return None
        pcs.append(pc)
        if len(pcs) > 200000:
            raise gdb.GdbError("no return after 200000 instructions")
        gdb.execute("stepi", to_string=True)


with open(out, "w") as f:
    done = dropped = 0
    while done < faults:
        gdb.execute("continue", to_string=True)
        pcs = trace()
        if pcs is None:
            dropped += 1
            if dropped > 1000:
                raise gdb.GdbError("1000 faults dropped, %d traced" % done)
            continue
        f.write(" ".join("%x" % pc for pc in pcs) + "\n")
        f.flush()
        done += 1
gdb.execute("kill")
