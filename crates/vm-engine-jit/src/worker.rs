//! The background compiler: one host thread per process takes region
//! compile requests from a queue, compiles them and installs the code in
//! the shared cache, while the threads that asked keep running the hot
//! block's baseline code; the region replaces it in the entry and in the
//! link slots that led to it.
//!
//! Why a single worker: the machine the VM targets has few cores, and
//! compiles are serialised by the compiler lock anyway. Requests carry
//! the region's IR (planned by the requesting thread, which has the guest
//! memory at hand), so the worker never reads guest memory; a request
//! planned before an invalidation is discarded at install time (see
//! `SharedJit::compile_request`). Guest-visible state never depends on
//! when a compile finishes: interpreted and compiled code give the same
//! results and both stop at the same block boundaries.
//!
//! The worker holds only a weak reference to the shared state and stops
//! when the queue is closed (the state is dropped). It blocks every host
//! signal, so the kernel never picks it to run a guest signal handler.

use crate::region::Region;
use crate::shared::SharedJit;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, Weak};

/// A compile to do: the entry (index and serial) at `pc`, as the head of
/// `region`, planned when invalidations were at `inval_serial`.
pub(crate) struct Request {
    pub idx: u32,
    pub serial: u64,
    pub pc: u64,
    pub region: Region,
    pub hot_at: u64,
    pub inval_serial: u64,
}

#[derive(Default)]
struct Inner {
    reqs: VecDeque<Request>,
    started: bool,
    closed: bool,
}

/// The worker's queue.
#[derive(Default)]
pub(crate) struct Queue {
    inner: Mutex<Inner>,
    ready: Condvar,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stop the worker; requests not yet taken are dropped.
    pub fn close(&self) {
        let mut q = self.lock();
        q.closed = true;
        q.reqs.clear();
        self.ready.notify_all();
    }
}

/// Queue `req` for `shared`'s worker, starting it if needed. If no thread
/// can be started, compile right here.
pub(crate) fn submit(shared: &Arc<SharedJit>, req: Request) {
    let queue = &shared.queue;
    let mut q = queue.lock();
    if q.closed {
        return;
    }
    if !q.started {
        let weak = Arc::downgrade(shared);
        let queue = Arc::clone(queue);
        let spawned = std::thread::Builder::new()
            .name("vm-jit".into())
            .spawn(move || run(weak, &queue));
        if spawned.is_err() {
            drop(q);
            let _ = shared.compile_request(&mut shared.compiler(), req);
            return;
        }
        q.started = true;
    }
    q.reqs.push_back(req);
    queue.ready.notify_one();
}

/// The worker thread's loop.
fn run(shared: Weak<SharedJit>, queue: &Queue) {
    block_signals();
    loop {
        let req = {
            let mut q = queue.lock();
            loop {
                if q.closed {
                    return;
                }
                if let Some(r) = q.reqs.pop_front() {
                    break r;
                }
                q = queue.ready.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        let Some(shared) = shared.upgrade() else {
            return;
        };
        // A flush (`Err`) dropped the entry: the block is translated again
        // at its next lookup.
        let _ = shared.compile_request(&mut shared.compiler(), req);
    }
}

/// Block every host signal on the calling thread.
fn block_signals() {
    // SAFETY: `set` is initialised by sigfillset before use; changing the
    // calling thread's own mask has no memory-safety preconditions.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}
