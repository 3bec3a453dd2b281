//! Delivering a signal to a guest handler and returning from it, with the
//! riscv64 kernel's `struct rt_sigframe` so handlers that inspect or edit
//! the saved context (`ucontext_t`) see what they would under Linux.
//!
//! ```text
//! frame + 0     siginfo_t (128 bytes)
//! frame + 128   ucontext: uc_flags, uc_link, uc_stack (24), uc_sigmask (8 + 120 unused)
//! frame + 304   uc_mcontext.sc_regs: pc, x1..x31
//! frame + 560   uc_mcontext.sc_fpregs: f0..f31 (u64 each), fcsr (u32); 528-byte union
//! frame + 1088  end
//! ```
//! The handler returns to a two-instruction trampoline (`li a7, 139;
//! ecall`) on a `[vdso]` page, as the kernel's vDSO `__vdso_rt_sigreturn`.

use vm_core::CpuState;
use vm_mem::{Backing, GuestMemory, MapFlags, PAGE_SIZE, Perm};

use super::signal::{SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SigAction, UNBLOCKABLE, bit};
use super::{Linux, SyscallOutcome};

/// Size of `siginfo_t`.
pub const SIGINFO_SIZE: u64 = 128;
/// Offset of `uc_sigmask` in the ucontext.
pub const UC_SIGMASK: u64 = 40;
/// Offset of `uc_mcontext` in the ucontext.
pub const UC_MCONTEXT: u64 = 176;
/// Offset of the FP state in `uc_mcontext`.
pub const MC_FPREGS: u64 = 256;
/// Size of the ucontext.
pub const UCONTEXT_SIZE: u64 = 960;
/// Size of the whole frame.
pub const FRAME_SIZE: u64 = SIGINFO_SIZE + UCONTEXT_SIZE;

/// `li a7, 139` (rt_sigreturn) then `ecall`.
const TRAMPOLINE: [u32; 2] = [0x08b0_0893, 0x0000_0073];

/// Who sent a signal, for `siginfo_t`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SigSource {
    /// kill/tgkill from this pid and uid (si_code SI_USER or SI_TKILL).
    User {
        /// `si_code`.
        code: i32,
        /// Sender pid.
        pid: i32,
        /// Sender uid.
        uid: u32,
    },
    /// A fault at an address (SIGSEGV, SIGBUS, SIGILL, SIGTRAP).
    Fault {
        /// `si_code`.
        code: i32,
        /// `si_addr`.
        addr: u64,
    },
}

pub(super) fn siginfo(sig: i32, src: SigSource) -> [u8; SIGINFO_SIZE as usize] {
    let mut b = [0u8; SIGINFO_SIZE as usize];
    b[0..4].copy_from_slice(&sig.to_le_bytes());
    match src {
        SigSource::User { code, pid, uid } => {
            b[8..12].copy_from_slice(&code.to_le_bytes());
            b[16..20].copy_from_slice(&pid.to_le_bytes());
            b[20..24].copy_from_slice(&uid.to_le_bytes());
        }
        SigSource::Fault { code, addr } => {
            b[8..12].copy_from_slice(&code.to_le_bytes());
            b[16..24].copy_from_slice(&addr.to_le_bytes());
        }
    }
    b
}

/// The ucontext bytes saving `cpu` and `mask`, with `stack` as uc_stack.
fn ucontext(cpu: &CpuState, mask: u64, stack: (u64, u32, u64)) -> Vec<u8> {
    let mut b = vec![0u8; UCONTEXT_SIZE as usize];
    let mut put = |off: u64, bytes: &[u8]| {
        b[off as usize..off as usize + bytes.len()].copy_from_slice(bytes);
    };
    put(16, &stack.0.to_le_bytes());
    put(24, &stack.1.to_le_bytes());
    put(32, &stack.2.to_le_bytes());
    put(UC_SIGMASK, &mask.to_le_bytes());
    put(UC_MCONTEXT, &cpu.pc.to_le_bytes());
    for i in 1..32 {
        put(UC_MCONTEXT + 8 * i as u64, &cpu.x[i].to_le_bytes());
    }
    let fp = UC_MCONTEXT + MC_FPREGS;
    for i in 0..32 {
        put(fp + 8 * i as u64, &cpu.f[i].to_le_bytes());
    }
    put(fp + 256, &(cpu.fcsr() as u32).to_le_bytes());
    b
}

impl Linux {
    /// The guest address of the sigreturn trampoline, mapping it on first use.
    fn trampoline(&mut self, mem: &GuestMemory) -> Option<u64> {
        if let Some(a) = self.trampoline {
            return Some(a);
        }
        let a = mem
            .map(
                0,
                PAGE_SIZE,
                Perm::RX,
                MapFlags::default(),
                Backing::Anonymous,
                "[vdso]",
            )
            .ok()?;
        let code: Vec<u8> = TRAMPOLINE.iter().flat_map(|w| w.to_le_bytes()).collect();
        mem.write_bytes_force(a, &code).ok()?;
        self.trampoline = Some(a);
        Some(a)
    }

    /// Push a signal frame for `sig` and point `cpu` at its handler.
    /// Returns false if the frame cannot be written (the process must die
    /// with SIGSEGV, as Linux does).
    pub(super) fn push_frame(
        &mut self,
        cpu: &mut CpuState,
        mem: &GuestMemory,
        sig: i32,
        act: SigAction,
        src: SigSource,
    ) -> bool {
        let Some(ret) = self.trampoline(mem) else {
            return false;
        };
        let alt = self.signals.altstack;
        let sp = cpu.x[2];
        let on_alt = alt.1 == 0 && sp > alt.0 && sp <= alt.0 + alt.2;
        let top = if act.flags & SA_ONSTACK != 0 && alt.1 == 0 && !on_alt {
            alt.0 + alt.2
        } else {
            sp
        };
        let frame = (top.wrapping_sub(FRAME_SIZE)) & !15;
        let saved_mask = self.suspend_restore.take().unwrap_or(self.signals.mask);
        let uc = ucontext(cpu, saved_mask, (alt.0, self.altstack_flags(sp), alt.2));
        if mem.write_bytes(frame, &siginfo(sig, src)).is_err()
            || mem.write_bytes(frame + SIGINFO_SIZE, &uc).is_err()
        {
            return false;
        }
        let mut block = act.mask;
        if act.flags & SA_NODEFER == 0 {
            block |= bit(sig);
        }
        self.signals.mask = (self.signals.mask | block) & !UNBLOCKABLE;
        if act.flags & SA_RESETHAND != 0 {
            self.signals.actions[sig as usize - 1] = SigAction::default();
        }
        cpu.x[1] = ret;
        cpu.x[2] = frame;
        cpu.x[10] = sig as u64;
        cpu.x[11] = frame;
        cpu.x[12] = frame + SIGINFO_SIZE;
        cpu.pc = act.handler;
        true
    }

    /// rt_sigreturn: restore the state saved by [`Linux::push_frame`] (as
    /// the handler may have edited it).
    pub(super) fn sigreturn(&mut self, cpu: &mut CpuState, mem: &GuestMemory) -> SyscallOutcome {
        let uc = cpu.x[2] + SIGINFO_SIZE;
        let mut b = vec![0u8; UCONTEXT_SIZE as usize];
        if mem.read_bytes(uc, &mut b).is_err() {
            return SyscallOutcome::Killed(libc::SIGSEGV);
        }
        let word = |off: u64| {
            let o = off as usize;
            u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default())
        };
        self.signals.mask = word(UC_SIGMASK) & !UNBLOCKABLE;
        cpu.pc = word(UC_MCONTEXT);
        for i in 1..32 {
            cpu.x[i] = word(UC_MCONTEXT + 8 * i as u64);
        }
        let fp = UC_MCONTEXT + MC_FPREGS;
        for i in 0..32 {
            cpu.f[i] = word(fp + 8 * i as u64);
        }
        cpu.set_fcsr(word(fp + 256) & 0xffff_ffff);
        cpu.res_addr = vm_core::cpu::NO_RESERVATION;
        SyscallOutcome::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trampoline_encodes_li_a7_139_and_ecall() {
        let li = TRAMPOLINE[0];
        assert_eq!(li & 0x7f, 0x13, "OP-IMM");
        assert_eq!((li >> 7) & 0x1f, 17, "rd = a7");
        assert_eq!((li >> 12) & 7, 0, "addi");
        assert_eq!((li >> 15) & 0x1f, 0, "rs1 = zero");
        assert_eq!(li >> 20, super::super::nr::RT_SIGRETURN as u32);
        assert_eq!(TRAMPOLINE[1], 0x73, "ecall");
    }

    #[test]
    fn ucontext_saves_registers_at_kernel_offsets() {
        let mut cpu = CpuState {
            pc: 0x1234,
            ..CpuState::default()
        };
        for i in 1..32 {
            cpu.x[i] = 100 + i as u64;
            cpu.f[i] = 200 + i as u64;
        }
        cpu.set_fcsr(0xe5);
        let b = ucontext(&cpu, 0x55, (7, 2, 9));
        let w = |o: u64| u64::from_le_bytes(b[o as usize..o as usize + 8].try_into().unwrap());
        assert_eq!(w(16), 7);
        assert_eq!(w(24) as u32, 2);
        assert_eq!(w(32), 9);
        assert_eq!(w(UC_SIGMASK), 0x55);
        assert_eq!(w(UC_MCONTEXT), 0x1234);
        assert_eq!(w(UC_MCONTEXT + 8 * 2), 102, "sp");
        assert_eq!(w(UC_MCONTEXT + 8 * 31), 131, "t6");
        assert_eq!(w(UC_MCONTEXT + MC_FPREGS + 8 * 3), 203);
        assert_eq!(w(UC_MCONTEXT + MC_FPREGS + 256) as u32, 0xe5);
    }

    #[test]
    fn frame_size_is_the_reported_minimum() {
        assert_eq!(FRAME_SIZE, crate::stack::MINSIGSTKSZ);
    }
}
