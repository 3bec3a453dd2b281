//! Access sites: the guest instruction behind each guest memory access in
//! compiled code, numbered process-wide, so that a host fault at an access
//! (see `crate::hostfault`) can be resumed in the interpreter at the right
//! instruction with the right `instret`.
//!
//! Compiled code stores the number of the access it is about to make in
//! `JitCtx::site`; the numbers index this table. The compiler appends the
//! sites of each function it publishes (under its own lock, so numbers are
//! assigned in order) and empties the table when code memory is reset,
//! which happens only when no thread runs compiled code. A dispatcher reads
//! an entry after a host fault while its thread still counts as running
//! code, so the entry it reads is the one its code stored.

use std::sync::Mutex;

/// One guest memory access in compiled code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Site {
    /// The guest PC of the accessing instruction.
    pub pc: u64,
    /// Guest instructions of its member block retired before it
    /// (`cpu.instret` holds the count at the member's start).
    pub retired: u32,
}

/// The process-wide table of sites.
#[derive(Default)]
pub(crate) struct SiteTable {
    sites: Mutex<Vec<Site>>,
}

impl SiteTable {
    /// The number the next appended site gets.
    pub(crate) fn next(&self) -> usize {
        self.lock().len()
    }

    /// Append the sites of one published function.
    pub(crate) fn append(&self, sites: &[Site]) {
        self.lock().extend_from_slice(sites);
    }

    /// The site numbered `id`.
    pub(crate) fn get(&self, id: u32) -> Option<Site> {
        self.lock().get(id as usize).copied()
    }

    /// Forget every site (code memory was reset).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Site>> {
        // A panic while holding this lock leaves a valid Vec.
        self.sites.lock().unwrap_or_else(|e| e.into_inner())
    }
}
