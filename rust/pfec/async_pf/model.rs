// SPDX-License-Identifier: GPL-2.0

//! The model checker of seed 003's protocols: test code, which only the
//! tests compile (`cargo test`, and `kvm_pfec_test.ko` with
//! `--cfg kvm_pfec_test`).

use super::*;

/// The protocols [`explore`] models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The shared reason flag, token in CR2.
    ReasonFlag,
    /// The marker error code, token in CR2 (no busy flag): shows why the
    /// busy flag is needed.
    MarkerOnly,
    /// The marker error code, token in memory behind a busy flag.
    MarkerBusy,
}

/// What [`explore`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Report {
    /// Final states reached (distinct interleavings).
    pub runs: u64,
    /// Runs in which a real #PF was taken as async or the reverse.
    pub misclassified: u64,
    /// Runs in which a token was not received exactly once, or not readied
    /// exactly once.
    pub lost: u64,
}

const MAX_TOKENS: usize = 3;
const MAX_FRAMES: usize = MAX_TOKENS * 2 + 2;
/// Where the NMI handler's real #PF faults: not a token.
const FAULT_ADDRESS: u32 = 0xdead;
/// A real #PF's error code: a write to a not-present page.
const REGULAR_ERROR_CODE: u32 = 1 << 1;
const REASON_NOT_PRESENT: u8 = 1;
const REASON_READY: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    /// KVM's async "page not present" for a token.
    NotPresent(u32),
    /// KVM's "page ready" for a token.
    Ready(u32),
    /// A real #PF.
    Regular,
    /// The NMI handler.
    Nmi,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    truth: Truth,
    error_code: u32,
    step: u8,
    /// What the handler read in its first step.
    seen: u32,
}

#[derive(Debug, Clone, Copy)]
struct State {
    cr2: u32,
    /// The reason flag (reason protocol).
    reason: u8,
    /// The token slot (marker protocols).
    slot: TokenSlot,
    /// "Page ready" slot and its busy flag (marker protocols: an interrupt).
    ready_slot: TokenSlot,
    frames: [Frame; MAX_FRAMES],
    depth: usize,
    sent: u32,
    readied: u32,
    nmi_taken: bool,
    nested_pf_taken: bool,
    received: [u8; MAX_TOKENS + 1],
    woken: [u8; MAX_TOKENS + 1],
    misclassified: bool,
}

struct Explorer {
    protocol: Protocol,
    tokens: u32,
    report: Report,
}

impl State {
    const fn new() -> Self {
        let frame = Frame {
            truth: Truth::Regular,
            error_code: 0,
            step: 0,
            seen: 0,
        };
        Self {
            cr2: 0,
            reason: 0,
            slot: TokenSlot {
                token: 0,
                busy: false,
            },
            ready_slot: TokenSlot {
                token: 0,
                busy: false,
            },
            frames: [frame; MAX_FRAMES],
            depth: 0,
            sent: 0,
            readied: 0,
            nmi_taken: false,
            nested_pf_taken: false,
            received: [0; MAX_TOKENS + 1],
            woken: [0; MAX_TOKENS + 1],
            misclassified: false,
        }
    }

    fn push(&mut self, truth: Truth, error_code: u32) {
        self.frames[self.depth] = Frame {
            truth,
            error_code,
            step: 0,
            seen: 0,
        };
        self.depth += 1;
    }

    fn top(&mut self) -> &mut Frame {
        &mut self.frames[self.depth - 1]
    }

    fn in_nmi(&self) -> bool {
        self.frames[..self.depth]
            .iter()
            .any(|f| f.truth == Truth::Nmi)
    }

    /// The guest takes `token` as a "page not present" it must wait for.
    fn receive(&mut self, token: u32, truth: Truth) {
        if !matches!(truth, Truth::NotPresent(_)) {
            self.misclassified = true;
        }
        if let Some(n) = self.received.get_mut(token as usize) {
            *n += 1;
        }
    }

    /// The guest wakes whoever waits for `token`.
    fn wake(&mut self, token: u32, truth: Truth) {
        if !matches!(truth, Truth::Ready(_)) {
            self.misclassified = true;
        }
        if let Some(n) = self.woken.get_mut(token as usize) {
            *n += 1;
        }
    }

    /// The guest handles a real #PF at CR2.
    fn regular(&mut self, truth: Truth) {
        if truth != Truth::Regular {
            self.misclassified = true;
        }
    }
}

impl Explorer {
    fn explore(&mut self, s: &State) {
        let mut moved = false;
        // KVM injects "page not present" for the next token.
        let may_inject = match self.protocol {
            Protocol::MarkerBusy => !s.slot.busy,
            _ => true,
        };
        if s.sent < self.tokens && may_inject && s.depth < MAX_FRAMES {
            let mut n = *s;
            n.sent += 1;
            let token = n.sent;
            n.cr2 = token;
            match self.protocol {
                Protocol::ReasonFlag => {
                    n.reason = REASON_NOT_PRESENT;
                    n.push(Truth::NotPresent(token), 0);
                }
                Protocol::MarkerOnly => n.push(Truth::NotPresent(token), ASYNC_PF_MARKER),
                Protocol::MarkerBusy => {
                    n.slot = TokenSlot { token, busy: true };
                    n.push(Truth::NotPresent(token), ASYNC_PF_MARKER);
                }
            }
            self.explore(&n);
            moved = true;
        }
        // KVM injects "page ready" for a token the guest has received.
        let ready_free = match self.protocol {
            Protocol::ReasonFlag => true,
            _ => !s.ready_slot.busy,
        };
        if s.readied < s.sent
            && s.received[s.readied as usize + 1] > 0
            && ready_free
            && !s.in_nmi()
            && s.depth < MAX_FRAMES
        {
            let mut n = *s;
            n.readied += 1;
            let token = n.readied;
            match self.protocol {
                Protocol::ReasonFlag => {
                    n.cr2 = token;
                    n.reason = REASON_READY;
                    n.push(Truth::Ready(token), 0);
                }
                _ => {
                    // An interrupt, with the token in its own slot.
                    n.ready_slot = TokenSlot { token, busy: true };
                    n.push(Truth::Ready(token), 0);
                }
            }
            self.explore(&n);
            moved = true;
        }
        // An NMI arrives (once; NMIs do not nest).
        if !s.nmi_taken && s.depth < MAX_FRAMES {
            let mut n = *s;
            n.nmi_taken = true;
            n.push(Truth::Nmi, 0);
            self.explore(&n);
            moved = true;
        }
        // The innermost handler takes a step.
        if s.depth > 0 {
            let mut n = *s;
            self.step(&mut n, s);
            self.explore(&n);
            moved = true;
        }
        if !moved {
            self.finish(s);
        }
    }

    /// One step of the innermost handler, which sees only what the guest can:
    /// its error code, CR2 and shared memory.
    fn step(&self, n: &mut State, s: &State) {
        let frame = *n.top();
        if frame.truth == Truth::Nmi {
            if !s.nested_pf_taken && n.depth < MAX_FRAMES {
                // The NMI handler touches a not-present page.
                n.nested_pf_taken = true;
                n.cr2 = FAULT_ADDRESS;
                n.push(Truth::Regular, REGULAR_ERROR_CODE);
            } else {
                n.depth -= 1;
            }
            return;
        }
        if let (Truth::Ready(_), Protocol::MarkerOnly | Protocol::MarkerBusy) =
            (frame.truth, self.protocol)
        {
            // The "page ready" interrupt: read the slot, ack.
            let token = n.ready_slot.token;
            n.ready_slot.busy = false;
            n.wake(token, frame.truth);
            n.depth -= 1;
            return;
        }
        match self.protocol {
            Protocol::ReasonFlag => {
                if frame.step == 0 {
                    // kvm_read_and_reset_pf_reason()
                    n.top().seen = u32::from(n.reason);
                    n.reason = 0;
                    n.top().step = 1;
                } else {
                    let cr2 = n.cr2;
                    match frame.seen as u8 {
                        REASON_NOT_PRESENT => n.receive(cr2, frame.truth),
                        REASON_READY => n.wake(cr2, frame.truth),
                        _ => n.regular(frame.truth),
                    }
                    n.depth -= 1;
                }
            }
            Protocol::MarkerOnly => {
                let cr2 = n.cr2;
                match classify(frame.error_code) {
                    PfKind::Async => n.receive(cr2, frame.truth),
                    PfKind::Regular => n.regular(frame.truth),
                }
                n.depth -= 1;
            }
            Protocol::MarkerBusy => match (classify(frame.error_code), frame.step) {
                (PfKind::Async, 0) => {
                    n.top().seen = n.slot.token;
                    n.top().step = 1;
                }
                (PfKind::Async, _) => {
                    n.slot.busy = false;
                    n.receive(frame.seen, frame.truth);
                    n.depth -= 1;
                }
                (PfKind::Regular, _) => {
                    n.regular(frame.truth);
                    n.depth -= 1;
                }
            },
        }
    }

    fn finish(&mut self, s: &State) {
        self.report.runs += 1;
        if s.misclassified {
            self.report.misclassified += 1;
        }
        let every_token_once =
            (1..=self.tokens as usize).all(|t| s.received[t] == 1 && s.woken[t] == 1);
        if !every_token_once {
            self.report.lost += 1;
        }
    }
}

/// Runs every interleaving of up to `tokens` async #PFs (at most 3), each
/// followed by its "page ready", one NMI and one real #PF in the NMI
/// handler, under `protocol`.
pub fn explore(protocol: Protocol, tokens: u32) -> Report {
    let mut explorer = Explorer {
        protocol,
        tokens: if tokens as usize > MAX_TOKENS {
            MAX_TOKENS as u32
        } else {
            tokens
        },
        report: Report::default(),
    };
    explorer.explore(&State::new());
    explorer.report
}
