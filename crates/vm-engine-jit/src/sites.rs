//! Access sites: the guest instruction behind each guest memory access in
//! compiled code, so that a host fault at an access (see
//! `crate::hostfault`) resumes in the interpreter at the right instruction
//! with the right `instret`.
//!
//! How an access is found, at no cost to the code: each function's first
//! [`TRAP_CODES`] accesses carry a distinct Cranelift trap code (`user(k)`
//! for its `k-1`-th access), and Cranelift records the code offset of every
//! instruction that carries one, even where it merged the load into another
//! instruction. The table keeps, per published function, its address, its
//! first site number and those records: the faulting host instruction's
//! address gives the function, its offset the trap code, the code the
//! site. A function with more accesses stores the site number of each
//! further access in `JitCtx::site` before making it.
//!
//! Lifetime: the compiler appends each function it publishes (under its
//! own lock, so site numbers are assigned in order) and empties the table
//! when code memory is reset, which happens only when no thread runs
//! compiled code. A dispatcher looks a fault up while its thread still
//! counts as running code, so what it finds is what its code was.

use std::sync::Mutex;

use cranelift_codegen::ir::TrapCode;

/// Accesses per function numbered by trap code (Cranelift's user trap
/// codes are 1 to 250).
pub(crate) const TRAP_CODES: usize = 250;

/// The trap code of a function's `local`-th access, if it gets one.
pub(crate) fn trap_code(local: usize) -> Option<TrapCode> {
    if local < TRAP_CODES {
        TrapCode::user(local as u8 + 1)
    } else {
        None
    }
}

/// Whether an access at guest address `addr + offset` needs no test that
/// it lies in the guest space because an earlier one on every path here
/// passed the test at `addr + k` (`tested`, IR value and offset): with
/// `k <= offset` and the difference plus the access (at most 8 bytes)
/// within the arena's guard, the access lies in the space or in the
/// guard, which faults like a refused access. (A smaller offset could
/// wrap below the arena, so it is tested.)
pub(crate) fn tested_before(
    tested: &[(vm_ir::Value, i32)],
    addr: vm_ir::Value,
    offset: i32,
) -> bool {
    let reach = vm_mem::ARENA_GUARD_BYTES as i64 - 8;
    tested
        .iter()
        .any(|&(v, k)| v == addr && (0..=reach).contains(&(offset as i64 - k as i64)))
}

/// One guest memory access in compiled code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Site {
    /// The guest PC where the interpreter resumes after a fault there: the
    /// accessing instruction's, or its member block's start for an
    /// access made before the member changed anything but registers
    /// (the member restarts: see `lower`).
    pub pc: u64,
    /// Guest instructions of its member block retired before `pc`
    /// (`cpu.instret` holds the count at the member's start).
    pub retired: u32,
}

/// A published function's part of the table.
struct Func {
    /// Its first byte (executable address).
    start: usize,
    /// Its length in bytes.
    len: usize,
    /// The number of its first site.
    first_site: u32,
    /// (code offset, trap code) of each instruction carrying a trap code.
    traps: Box<[(u32, u8)]>,
}

#[derive(Default)]
struct Inner {
    sites: Vec<Site>,
    /// In increasing `start` order (code memory is filled upwards).
    funcs: Vec<Func>,
}

/// The process-wide table of sites.
#[derive(Default)]
pub(crate) struct SiteTable {
    inner: Mutex<Inner>,
}

impl SiteTable {
    /// The number the next appended site gets.
    pub(crate) fn next(&self) -> usize {
        self.lock().sites.len()
    }

    /// Record a published function at `start`, `len` bytes long, with its
    /// `sites` (numbered from [`SiteTable::next`] on) and the trap records
    /// Cranelift made for it.
    pub(crate) fn append(&self, start: usize, len: usize, sites: &[Site], traps: &[(u32, u8)]) {
        let mut t = self.lock();
        let first_site = t.sites.len() as u32;
        t.sites.extend_from_slice(sites);
        let mut traps: Box<[(u32, u8)]> = traps.into();
        traps.sort_unstable();
        t.funcs.push(Func {
            start,
            len,
            first_site,
            traps,
        });
    }

    /// The site of the access that faulted at host address `rip`; `stored`
    /// is the value of `JitCtx::site` (for accesses without a trap code).
    pub(crate) fn lookup(&self, rip: usize, stored: u32) -> Option<Site> {
        let t = self.lock();
        let i = t.funcs.partition_point(|f| f.start <= rip).checked_sub(1)?;
        let f = &t.funcs[i];
        if rip - f.start >= f.len {
            return None;
        }
        let off = (rip - f.start) as u32;
        let id = match t.funcs[i].traps.binary_search_by_key(&off, |&(o, _)| o) {
            Ok(k) => match f.traps[k].1 as usize {
                c @ 1..=TRAP_CODES => f.first_site + c as u32 - 1,
                _ => stored,
            },
            Err(_) => stored,
        };
        t.sites.get(id as usize).copied()
    }

    /// Forget everything (code memory was reset).
    pub(crate) fn clear(&self) {
        let mut t = self.lock();
        t.sites.clear();
        t.funcs.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves valid vectors.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_map_to_sites_by_trap_code_or_stored_number() {
        let t = SiteTable::default();
        let s = |pc| Site { pc, retired: 0 };
        t.append(0x1000, 0x100, &[s(1), s(2)], &[(0x40, 2), (0x10, 1)]);
        assert_eq!(t.next(), 2);
        t.append(0x1100, 0x80, &[s(3)], &[(0x20, 1), (0x30, 253)]);
        assert_eq!(t.lookup(0x1010, 99), Some(s(1)));
        assert_eq!(t.lookup(0x1040, 99), Some(s(2)));
        assert_eq!(t.lookup(0x1120, 99), Some(s(3)));
        // A reserved code or an untrapped offset: the stored number.
        assert_eq!(t.lookup(0x1130, 1), Some(s(2)));
        assert_eq!(t.lookup(0x1011, 0), Some(s(1)));
        // Outside every function, or a number not in the table.
        assert_eq!(t.lookup(0x0fff, 0), None);
        assert_eq!(t.lookup(0x1180, 0), None);
        assert_eq!(t.lookup(0x1010 + 0x300, 0), None);
        t.clear();
        assert_eq!(t.lookup(0x1010, 0), None);
        assert_eq!(t.next(), 0);
    }
}
