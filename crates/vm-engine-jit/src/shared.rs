//! [`SharedJit`]: what every guest thread's engine of one process shares —
//! the translation cache (`code_cache`), the compiler and its code memory,
//! the compile worker's queue, process-wide statistics — and the rules
//! that make it safe to change code while other threads run it.
//!
//! Why one cache: guest threads usually run the same code; with a cache per
//! thread every thread translated and compiled every hot block again.
//!
//! Locks, always taken in this order: `compiler` (held while Cranelift
//! runs, so compiles are serialised and a code-memory reset never races a
//! compile), `state` (the cache, held briefly), `threads`. Threads look
//! blocks up without any lock through their own front tables
//! (`crate::local`), which copy shared entries.
//!
//! Changing code under running threads: compiled code is never freed while
//! a thread may run it. Anything made unreachable (an invalidated entry,
//! code replaced by a region, a whole flush) is *retired*: its link slots
//! elsewhere are reset to the exit stub, its link data goes to a graveyard,
//! and the generation counter is bumped. Each thread announces in its
//! [`ThreadFlag`] whether it is inside compiled code and which generation
//! it last synchronised with: before entering code it sets `in_code`,
//! then re-reads the generation and, if it moved, drops its copies instead
//! (both sequentially consistent: either the thread sees the new
//! generation, or the reclaimer sees the thread inside code). Retired data
//! of generation `g` is freed once every thread is outside code or has
//! synchronised with `g` or later; a full code memory is reset under the
//! same condition (compiles fail cleanly until then and blocks are
//! interpreted).
//!
//! Link slots and inline caches are shared memory that compiled code reads
//! without synchronisation; they are written with single aligned 64-bit
//! stores, so a reader sees the old or the new word, and each is safe: a
//! direct slot holds the stub or code for its one target; an inline cache
//! is filled once (code word first, then the PC word) and when unlinked
//! gets a PC that matches nothing before its code word changes.
//!
//! After a host fork only the forking thread exists in the child, and
//! another thread (or the compile worker) may have held these locks: a
//! child never touches its parent's `SharedJit` again; its engine starts
//! a fresh one (see `JitEngine`), detected through a `pthread_atfork`
//! child handler.

use crate::abi::{EnterFn, IC_EMPTY, LINK_IC, LinkData};
use crate::code_cache::{CodeCache, Entry, Published, SlotRef, Tier, link_execs};
use crate::compiler::{Compiler, JitError};
use crate::region::Region;
use crate::sites::{Site, SiteTable};
use crate::worker::{self, Queue, Request};
use crate::{JitConfig, Mode};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};
use vm_engine::EngineStats;
use vm_engine::interp;
use vm_mem::GuestMemory;

/// One line per process for blocks that fail to compile.
static COMPILE_FAILURE_WARNED: AtomicBool = AtomicBool::new(false);

/// Incremented in a forked child (`pthread_atfork`).
static FORK_GEN: AtomicU64 = AtomicU64::new(0);

/// An inline cache PC of an unlinked cache: matches no guest PC (they are
/// even) and is never filled again, so no reader can pair a PC it read
/// before the unlink with code filled after it.
const IC_DEAD: u64 = 3;

extern "C" fn forked_child() {
    FORK_GEN.fetch_add(1, Ordering::Relaxed);
}

/// How many host forks this process is away from its parent's state.
pub(crate) fn fork_gen() -> u64 {
    FORK_GEN.load(Ordering::Relaxed)
}

/// The state a forked child made for itself (a leaked `Arc`), found
/// without a lock by every engine the child creates later (its threads'
/// engines come from a factory that still holds the parent's state).
static CHILD_SHARED: AtomicPtr<SharedJit> = AtomicPtr::new(std::ptr::null_mut());

/// `shared` if it belongs to this process, else (in a forked child) the
/// child's own state, made on first use.
pub(crate) fn for_this_process(shared: &Arc<SharedJit>) -> Arc<SharedJit> {
    let f = fork_gen();
    if shared.fork_gen == f {
        return Arc::clone(shared);
    }
    loop {
        let p = CHILD_SHARED.load(Ordering::Acquire);
        // SAFETY: a non-null pointer here came from `Arc::into_raw` below
        // and that reference is never released, so it is live.
        if !p.is_null() && unsafe { (*p).fork_gen } == f {
            // SAFETY: as above; taking one more reference for the caller.
            unsafe {
                Arc::increment_strong_count(p);
                return Arc::from_raw(p);
            }
        }
        let fresh = match SharedJit::new(shared.config.clone()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("vm: jit: cannot start again after fork: {e}");
                std::process::exit(1);
            }
        };
        let raw = Arc::into_raw(Arc::clone(&fresh)).cast_mut();
        if CHILD_SHARED
            .compare_exchange(p, raw, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // (An older generation's state, if any, stays leaked.)
            return fresh;
        }
        // SAFETY: `raw` was not published; release the reference it holds.
        drop(unsafe { Arc::from_raw(raw) });
    }
}

/// A thread's announcement to reclaimers (own cache line: written on
/// every entry into compiled code).
#[repr(align(64))]
#[derive(Default)]
pub(crate) struct ThreadFlag {
    /// Inside compiled code (or about to enter it).
    pub in_code: AtomicBool,
    /// The generation the thread's local copies are from.
    pub seen_gen: AtomicU64,
}

/// The shared state under the `state` lock.
pub(crate) struct State {
    pub cache: CodeCache,
    /// Process-wide counters: translations, compiles, code bytes, flushes.
    pub stats: EngineStats,
    /// Executions of compiled code already dropped from the cache.
    pub dropped_execs: u64,
    /// Retired link data with the generation that retired it.
    graveyard: Vec<(u64, Box<LinkData>)>,
    /// Code memory is full and waits for a reset (generation of the flush).
    pending_reset: Option<u64>,
    /// Bumped by every invalidation and flush: a compile planned before
    /// one is discarded.
    pub inval_serial: u64,
}

/// The translation cache, compiler and compile worker of one process,
/// shared by the engines of all its guest threads.
pub struct SharedJit {
    pub(crate) config: JitConfig,
    /// `fork_gen()` of the process that made it.
    fork_gen: u64,
    state: Mutex<State>,
    compiler: Mutex<Compiler>,
    /// Bumped whenever something is retired; see the module docs.
    generation: AtomicU64,
    /// Frees of retired data so far (a slot reference taken before one may
    /// name freed link data).
    reclaims: AtomicU64,
    /// The entry trampoline and exit stub of the current code memory.
    enter: AtomicUsize,
    stub: AtomicUsize,
    /// The executable code memory (fixed for the compiler's life).
    code_range: (usize, usize),
    /// Access sites of the published code (see `crate::sites`).
    sites: Arc<SiteTable>,
    threads: Mutex<Vec<Arc<ThreadFlag>>>,
    /// Per-thread counters of every engine, added at the end of each run
    /// (so a thread's work is counted once it returned to the runtime,
    /// e.g. for the exit that another thread's join waits for).
    thread_stats: Mutex<EngineStats>,
    pub(crate) queue: Arc<Queue>,
    /// Set when code memory could not be set up again after a flush.
    compiling_disabled: AtomicBool,
    /// Host address of the guest arena the cached code was compiled for
    /// (0: none yet): code may embed it (see `lower`), so it is bound
    /// before anything is compiled and a change drops every translation
    /// (see [`SharedJit::bind_arena`]).
    arena_base: AtomicUsize,
    /// The entry counters of compiled code, one per cache index below
    /// [`COUNTERS_LEN`] (see `LinkData::counter`); link data of other
    /// indices counts in its own field. The code of an entry counts in
    /// its word; installing new code for the entry moves the count to
    /// `State::dropped_execs` and restarts the word at 0. Written by
    /// compiled code without synchronisation, as the field was.
    counters: Box<[AtomicU64]>,
}

/// Cache indices with a word in the dense counter table (1 MiB of
/// address space, committed as touched).
const COUNTERS_LEN: usize = 1 << 17;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves data that is still
    // consistent enough for our uses (counters, a cache whose entries are
    // checked on use).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Store `v` into slot word `word` of `link` (ignored when out of range),
/// and point the direct jumps that mirror the word at it.
pub(crate) fn store_slot(link: &mut LinkData, word: usize, v: usize) {
    if let Some(w) = link.slots.get_mut(word) {
        // SAFETY: `w` is a live, aligned word; compiled code in other
        // threads reads it concurrently, which an atomic store allows.
        unsafe { AtomicUsize::from_ptr(w) }.store(v, Ordering::Release);
        for p in link.patches.iter().filter(|p| p.word == word) {
            p.point(v, link.stub);
        }
    }
}

/// Read slot word `word` of `link`.
fn load_slot(link: &mut LinkData, word: usize) -> Option<usize> {
    let w = link.slots.get_mut(word)?;
    // SAFETY: as in `store_slot`.
    Some(unsafe { AtomicUsize::from_ptr(w) }.load(Ordering::Relaxed))
}

/// The compile could not be installed because code memory was full and
/// has been flushed (every entry is gone).
pub(crate) struct Flushed;

impl SharedJit {
    /// A fresh shared state (empty cache, new code memory) for `config`.
    pub fn new(config: JitConfig) -> Result<Arc<SharedJit>, JitError> {
        static ATFORK: Once = Once::new();
        ATFORK.call_once(|| {
            // SAFETY: registers a handler that only increments an atomic
            // (async-signal-safe), as the child of fork requires.
            unsafe {
                libc::pthread_atfork(None, None, Some(forked_child));
            }
        });
        let compiler = Compiler::from_config(&config)?;
        let (enter, stub) = (compiler.enter() as usize, compiler.stub());
        let (code_range, sites) = (compiler.code_range(), compiler.sites());
        Ok(Arc::new(SharedJit {
            config,
            fork_gen: fork_gen(),
            state: Mutex::new(State {
                cache: CodeCache::new(),
                stats: EngineStats::default(),
                dropped_execs: 0,
                graveyard: Vec::new(),
                pending_reset: None,
                inval_serial: 0,
            }),
            compiler: Mutex::new(compiler),
            generation: AtomicU64::new(0),
            reclaims: AtomicU64::new(0),
            enter: AtomicUsize::new(enter),
            stub: AtomicUsize::new(stub),
            code_range,
            sites,
            threads: Mutex::new(Vec::new()),
            thread_stats: Mutex::new(EngineStats::default()),
            queue: Arc::new(Queue::default()),
            compiling_disabled: AtomicBool::new(false),
            arena_base: AtomicUsize::new(0),
            counters: (0..COUNTERS_LEN).map(|_| AtomicU64::new(0)).collect(),
        }))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub(crate) fn compiler(&self) -> MutexGuard<'_, Compiler> {
        lock(&self.compiler)
    }

    /// The current generation (see the module docs).
    #[inline(always)]
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Frees of retired data so far.
    pub(crate) fn reclaims(&self) -> u64 {
        self.reclaims.load(Ordering::SeqCst)
    }

    /// Make `base` the arena the code is compiled for; returns whether
    /// that changed it from another arena, in which case the caller drops
    /// every translation before running code (the shared code serves one
    /// guest memory at a time: that of the process's threads).
    pub(crate) fn bind_arena(&self, base: usize) -> bool {
        let old = self.arena_base.swap(base, Ordering::AcqRel);
        old != 0 && old != base
    }

    /// The executable code memory, `[start, end)`.
    pub(crate) fn code_range(&self) -> (usize, usize) {
        self.code_range
    }

    /// The access site of a host fault at `rip` with `JitCtx::site` equal
    /// to `stored` (look it up before leaving the in-code state the code
    /// ran in: see `crate::sites`).
    pub(crate) fn fault_site(&self, rip: usize, stored: u32) -> Option<Site> {
        self.sites.lookup(rip, stored)
    }

    /// The entry trampoline of the current code memory (read it only
    /// after the generation check that precedes entering code).
    pub(crate) fn enter_fn(&self) -> EnterFn {
        let p = self.enter.load(Ordering::Acquire);
        // SAFETY: `enter` always holds the address of the trampoline the
        // compiler built with exactly the `EnterFn` signature, in code
        // memory that stays valid until a reset, which only happens while
        // no thread is in compiled code and which updates this word first.
        unsafe { std::mem::transmute::<usize, EnterFn>(p) }
    }

    /// The exit stub's address.
    pub(crate) fn stub(&self) -> usize {
        self.stub.load(Ordering::Acquire)
    }

    pub(crate) fn compiling_disabled(&self) -> bool {
        self.compiling_disabled.load(Ordering::Relaxed)
    }

    /// A new thread's flag, synchronised with the current generation.
    pub(crate) fn register(&self) -> (Arc<ThreadFlag>, u64) {
        let flag = Arc::new(ThreadFlag::default());
        let g = self.generation();
        flag.seen_gen.store(g, Ordering::SeqCst);
        lock(&self.threads).push(Arc::clone(&flag));
        (flag, g)
    }

    /// A thread is done: forget its flag.
    pub(crate) fn unregister(&self, flag: &Arc<ThreadFlag>) {
        lock(&self.threads).retain(|f| !Arc::ptr_eq(f, flag));
    }

    /// Add a thread's counters (since it last did) to the totals.
    pub(crate) fn add_thread_stats(&self, s: &EngineStats) {
        add_thread_stats(&mut lock(&self.thread_stats), s);
    }

    /// Bump the generation after retiring something; returns the new one.
    fn bump(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Remove every translation overlapping `[start, end)`.
    pub(crate) fn invalidate(&self, start: u64, end: u64) {
        let mut st = self.lock();
        st.inval_serial += 1;
        let gone = st.cache.remove_overlapping(start, end);
        if gone.is_empty() {
            return;
        }
        self.retire(&mut st, gone);
    }

    /// Retire removed entries: reset links to them, account, bump the
    /// generation, keep their link data until reclaimed.
    fn retire(&self, st: &mut State, gone: Vec<Entry>) {
        let stub = self.stub();
        for e in &gone {
            e.cell.code.store(0, Ordering::Release);
            unlink(st, e, stub);
        }
        let g = self.bump();
        for e in gone {
            st.dropped_execs += e.exec_count();
            if let Some(c) = e.code {
                st.stats.code_bytes -= c.bytes as u64;
            }
            st.graveyard.push((g, e.link));
        }
    }

    /// Drop every translation (code memory is full); the memory is reset
    /// as soon as no thread can be running its code.
    fn flush(&self, comp: &mut Compiler, st: &mut State) {
        st.inval_serial += 1;
        let gone = st.cache.clear();
        self.retire(st, gone);
        st.stats.code_flushes += 1;
        st.pending_reset = Some(self.generation());
        self.try_reclaim(comp, st);
    }

    /// Free retired data no thread can be using, and reset code memory if
    /// it waits for that. Returns whether code memory is usable.
    fn try_reclaim(&self, comp: &mut Compiler, st: &mut State) -> bool {
        let safe = lock(&self.threads)
            .iter()
            .filter(|f| f.in_code.load(Ordering::SeqCst))
            .map(|f| f.seen_gen.load(Ordering::SeqCst))
            .min()
            .unwrap_or(u64::MAX);
        let before = st.graveyard.len();
        st.graveyard.retain(|(g, _)| *g > safe);
        if st.graveyard.len() != before {
            self.reclaims.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(g) = st.pending_reset
            && g <= safe
        {
            st.pending_reset = None;
            match comp.reset() {
                Ok(()) => {
                    self.enter.store(comp.enter() as usize, Ordering::Release);
                    self.stub.store(comp.stub(), Ordering::Release);
                    self.reclaims.fetch_add(1, Ordering::SeqCst);
                    self.bump();
                }
                Err(e) => {
                    eprintln!("vm: warning: jit: {e}; interpreting from now on");
                    self.compiling_disabled.store(true, Ordering::Relaxed);
                }
            }
        }
        st.pending_reset.is_none() && !self.compiling_disabled()
    }

    /// What to compile for the entry of `cell` at `pc`: the block (`fresh`
    /// if just translated, else translated again from `mem`) alone
    /// (`grow` false) or with the blocks that join its region. `None` when
    /// the entry is gone or its code changed (then it stays interpreted).
    pub(crate) fn plan(
        &self,
        cell: &Published,
        mem: &GuestMemory,
        fresh: Option<vm_ir::Block>,
        grow: bool,
        hot_at: u64,
    ) -> Option<Request> {
        let block = match fresh {
            Some(b) => Ok(b),
            None => interp::translate(cell.start, mem, false),
        };
        let mut st = self.lock();
        let e = st.cache.get_live(cell.idx, cell.serial)?;
        let block = match block {
            Ok(b) if b.end_pc == cell.end => b,
            // The code changed without an invalidation since the block
            // was translated: keep running the translation the guest has
            // seen.
            _ => {
                e.tier = Tier::Failed;
                return None;
            }
        };
        let mut region = Region::single(block);
        if grow {
            let cache = &st.cache;
            region.grow(|pc| {
                let idx = cache.lookup(pc)?;
                let end = cache.get(idx).cell.end;
                let b = interp::translate(pc, mem, false).ok()?;
                (b.end_pc == end).then_some(b)
            });
        }
        Some(Request {
            idx: cell.idx,
            serial: cell.serial,
            pc: cell.start,
            region,
            hot_at,
            inval_serial: st.inval_serial,
        })
    }

    /// The region headed by the compiled entry at `pc`, for an upgrade
    /// (`jit` mode, on `EXIT_HOT`): `None` unless at least two blocks join
    /// or the block alone gets better code as a region (another register
    /// allocator than the baseline's).
    pub(crate) fn plan_upgrade(&self, pc: u64, mem: &GuestMemory) -> Option<Request> {
        let cell = {
            let st = self.lock();
            let e = st.cache.get(st.cache.lookup(pc)?);
            if e.members > 1 {
                // Another thread upgraded it already.
                return None;
            }
            Arc::clone(&e.cell)
        };
        let req = self.plan(&cell, mem, None, true, 0)?;
        let better_alone = self.config.baseline_regalloc != self.config.regalloc;
        (req.region.blocks.len() >= 2 || better_alone).then_some(req)
    }

    /// Hand `req` to the compile worker (started on first use).
    pub(crate) fn submit(self: &Arc<Self>, req: Request) {
        worker::submit(self, req);
    }

    /// Compile `req` with `comp` (the locked compiler) and install the
    /// code. `Err` means code memory was full and has been flushed.
    pub(crate) fn compile_request(&self, comp: &mut Compiler, req: Request) -> Result<(), Flushed> {
        {
            let mut st = self.lock();
            let stale = st.inval_serial != req.inval_serial;
            let Some(e) = st.cache.get_live(req.idx, req.serial) else {
                return Ok(());
            };
            if stale {
                e.cell.requested.store(false, Ordering::Relaxed);
                return Ok(());
            }
            let cell = Arc::clone(&e.cell);
            if st.pending_reset.is_some() && !self.try_reclaim(comp, &mut st) {
                // No room until the threads leave the old code: stay
                // interpreted and ask again later.
                cell.requested.store(false, Ordering::Relaxed);
                return Ok(());
            }
        }
        let n = req.region.blocks.len();
        let mut link = Box::new(LinkData::new(comp.stub(), n, req.idx, req.pc));
        let counter = self.counters.get(req.idx as usize);
        if let Some(w) = counter {
            link.counter = w.as_ptr() as usize;
        }
        let arena = self.arena_base.load(Ordering::Acquire);
        match comp.compile(&req.region, &mut link, req.hot_at, arena) {
            Ok(code) => {
                let mut st = self.lock();
                let ns = code.time.as_nanos() as u64;
                st.stats.compile_time_ns += ns;
                st.stats.compile_time_max_ns = st.stats.compile_time_max_ns.max(ns);
                if code.baseline {
                    st.stats.baseline_compiled += 1;
                    st.stats.baseline_time_ns += ns;
                    st.stats.baseline_direct += code.direct as u64;
                }
                if st.inval_serial != req.inval_serial {
                    // Invalidated while compiling: the code is unreachable
                    // (its memory is reclaimed by the next reset).
                    if let Some(e) = st.cache.get_live(req.idx, req.serial) {
                        e.cell.requested.store(false, Ordering::Relaxed);
                    }
                    return Ok(());
                }
                let Some(e) = st.cache.get_live(req.idx, req.serial) else {
                    return Ok(());
                };
                let old = e.code.replace(code);
                let old_link = std::mem::replace(&mut e.link, link);
                // The old code's count (in the entry's table word, or its
                // own field; a placeholder's is 0) is dropped, and the new
                // code counts from 0 (its `hot_at` is counted from there).
                let old_execs = link_execs(&old_link);
                if let Some(w) = counter {
                    w.store(0, Ordering::Relaxed);
                }
                e.tier = Tier::Compiled;
                e.members = n as u32;
                let (lo, hi) = req.region.span();
                e.span = (e.span.0.min(lo), e.span.1.max(hi));
                e.cell.code.store(code.ptr as usize, Ordering::Release);
                st.stats.blocks_compiled += 1;
                st.stats.code_bytes += code.bytes as u64;
                st.dropped_execs += old_execs;
                match old {
                    Some(old) => {
                        st.stats.code_bytes -= old.bytes as u64;
                        repoint(&mut st, req.idx, old.ptr as usize, code.ptr as usize);
                        // Jump caches may still name the old code.
                        let g = self.bump();
                        st.graveyard.push((g, old_link));
                    }
                    // Placeholder link data no code ever addressed.
                    None => drop(old_link),
                }
                Ok(())
            }
            Err(JitError::Full) => {
                let mut st = self.lock();
                self.flush(comp, &mut st);
                Err(Flushed)
            }
            Err(err) => {
                if !COMPILE_FAILURE_WARNED.swap(true, Ordering::Relaxed) {
                    eprintln!("vm: warning: jit: {err}; interpreting such blocks");
                }
                let mut st = self.lock();
                st.stats.compile_failures += 1;
                if let Some(e) = st.cache.get_live(req.idx, req.serial)
                    && e.code.is_none()
                {
                    // (A region that failed keeps the block's code.)
                    e.tier = Tier::Failed;
                }
                Ok(())
            }
        }
    }

    /// Point slot `s` (taken while reclaims were at `epoch`) at the
    /// compiled code of `target`, and record it there.
    pub(crate) fn link(&self, s: SlotRef, epoch: u64, target: &Published) {
        let mut st = self.lock();
        if self.reclaims() != epoch {
            // The link data `s` names may have been freed and reused.
            return;
        }
        let t_code = match st.cache.get_live(target.idx, target.serial) {
            Some(t) => match t.code {
                Some(c) => c.ptr as usize,
                None => return,
            },
            None => return,
        };
        let Some(owner) = st.cache.get_if_mut(s.idx, s.pc) else {
            return;
        };
        if &*owner.link as *const LinkData as usize != s.link {
            // The owner was recompiled: the slot is in retired link data.
            return;
        }
        let word = LinkData::word(s.block, s.kind);
        if s.kind == LINK_IC {
            if load_slot(&mut owner.link, word + 2) != Some(IC_EMPTY as usize) {
                // Filled (or unlinked) already: the jump cache serves
                // further targets.
                return;
            }
            store_slot(&mut owner.link, word, t_code);
            store_slot(&mut owner.link, word + 2, target.start as usize);
        } else {
            if word >= owner.link.slots.len() {
                return;
            }
            store_slot(&mut owner.link, word, t_code);
        }
        let incoming = &mut st.cache.get_mut(target.idx).incoming;
        if !incoming.contains(&s) {
            incoming.push(s);
        }
    }

    /// Every counter: `own` (the asking thread's, not yet added), every
    /// thread's, and the process-wide ones.
    pub(crate) fn stats(&self, own: &EngineStats) -> EngineStats {
        let st = self.lock();
        let mut s = st.stats.clone();
        add_thread_stats(&mut s, own);
        add_thread_stats(&mut s, &lock(&self.thread_stats));
        s.blocks_executed = st.dropped_execs + st.cache.iter().map(Entry::exec_count).sum::<u64>();
        s
    }

    /// Compile a block for measurement only (see
    /// `JitEngine::compile_detached`).
    pub(crate) fn compile_detached(&self, block: vm_ir::Block) -> Result<u32, JitError> {
        let pc = block.start_pc;
        let region = Region::single(block);
        let mut comp = self.compiler();
        for _ in 0..2 {
            let mut link = Box::new(LinkData::new(comp.stub(), 1, u32::MAX, pc));
            let arena = self.arena_base.load(Ordering::Acquire);
            match comp.compile(&region, &mut link, u64::MAX, arena) {
                Err(JitError::Full) => {
                    let mut st = self.lock();
                    self.flush(&mut comp, &mut st);
                }
                r => return r.map(|code| code.bytes),
            }
        }
        Err(JitError::Full)
    }

    /// The compile mode's threshold (0: compile before the first run).
    pub(crate) fn threshold(&self) -> u64 {
        match self.config.mode {
            Mode::Jit => 0,
            Mode::Tiered { threshold } => threshold,
        }
    }
}

impl Drop for SharedJit {
    fn drop(&mut self) {
        self.queue.close();
    }
}

/// Add the per-thread counters of `from` to `to`.
fn add_thread_stats(to: &mut EngineStats, from: &EngineStats) {
    to.insns += from.insns;
    to.cache_hits += from.cache_hits;
    to.cache_misses += from.cache_misses;
    to.ic_lookups += from.ic_lookups;
    to.ic_misses += from.ic_misses;
    to.insns_interp += from.insns_interp;
    to.insns_compiled += from.insns_compiled;
    to.insns_region += from.insns_region;
}

/// Point every recorded slot that links to `old` (the former code of
/// entry `idx`) at `new`.
fn repoint(st: &mut State, idx: u32, old: usize, new: usize) {
    let incoming = std::mem::take(&mut st.cache.get_mut(idx).incoming);
    for s in &incoming {
        let Some(owner) = st.cache.get_if_mut(s.idx, s.pc) else {
            continue;
        };
        let word = LinkData::word(s.block, s.kind);
        if load_slot(&mut owner.link, word) == Some(old) {
            store_slot(&mut owner.link, word, new);
        }
    }
    st.cache.get_mut(idx).incoming = incoming;
}

/// Reset every slot still pointing at the code of removed entry `e`.
fn unlink(st: &mut State, e: &Entry, stub: usize) {
    let Some(code) = e.code else { return };
    let code = code.ptr as usize;
    for s in &e.incoming {
        let Some(owner) = st.cache.get_if_mut(s.idx, s.pc) else {
            continue;
        };
        let word = LinkData::word(s.block, s.kind);
        if load_slot(&mut owner.link, word) != Some(code) {
            continue;
        }
        if s.kind == LINK_IC {
            store_slot(&mut owner.link, word + 2, IC_DEAD as usize);
        }
        store_slot(&mut owner.link, word, stub);
    }
}

/// Make sure `cell` has its interpreter form (from `fresh` if given, else
/// translated from `mem`).
pub(crate) fn interp_form<'a>(
    cell: &'a Published,
    mem: &GuestMemory,
    fresh: Option<&vm_ir::Block>,
) -> Result<&'a interp::InterpBlock, vm_core::Exit> {
    if let Some(ib) = cell.interp.get() {
        return Ok(ib);
    }
    let ib = match fresh {
        Some(b) => interp::InterpBlock::from_ir(b),
        None => interp::InterpBlock::from_ir(&interp::translate(cell.start, mem, false)?),
    };
    Ok(cell.interp.get_or_init(|| ib))
}
