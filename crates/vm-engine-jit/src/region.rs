//! Regions: the unit of compilation. A region is a guest block (its head,
//! where compiled code is entered) plus static successors reachable from
//! it, compiled as one host function in which guest registers stay in
//! Cranelift variables across guest blocks and loops are host loops.
//!
//! Why: a guest basic block is ~5 instructions; compiled alone, every block
//! boundary stores the registers it wrote, updates `instret` in memory and
//! tail-calls the next block. Inside a region a block boundary is an add,
//! a compare against the budget limit and a jump.
//!
//! Membership follows jumps and both branch directions, breadth first from
//! the head, taking only blocks that have already run (they have a cache
//! entry: cold paths stay out) and stopping at [`REGION_BLOCKS_MAX`]
//! blocks or [`REGION_INSNS_MAX`] guest instructions, which bounds compile
//! time. Indirect jumps and traps end a member block without adding
//! successors.

use std::collections::HashMap;
use vm_ir::{Block, Global, Inst, Terminator};

/// Most return sites an indirect jump tests for (see
/// [`Region::return_sites`]).
pub const RETURN_SITES_MAX: usize = 4;

/// Most member blocks of a region. Cranelift's compile time grows faster
/// than linearly with the region (every register is a variable in every
/// block): on zstd (hundreds of regions), 16 blocks / 200 instructions
/// took 1.6-1.9 ms per region, 8 / 100 0.8 ms, 6 / 80 0.65 ms, and 8 / 100
/// ran fastest overall (1.38 s against 1.80 s, compiles included); the
/// kernels' hot loops fit in 8 blocks.
pub const REGION_BLOCKS_MAX: usize = 8;

/// Most guest instructions in a region (all members).
pub const REGION_INSNS_MAX: usize = 100;

/// Guest blocks compiled together; `blocks[0]` is the head.
pub(crate) struct Region {
    pub blocks: Vec<Block>,
    index: HashMap<u64, usize>,
}

impl Region {
    /// A region of `head` alone.
    pub fn single(head: Block) -> Region {
        let mut r = Region {
            blocks: Vec::new(),
            index: HashMap::new(),
        };
        r.push(head);
        r
    }

    /// Add a member (its start PC must not be a member yet), optimized
    /// with [`vm_ir::optimize`]: every block the JIT compiles passes here.
    pub fn push(&mut self, mut b: Block) {
        vm_ir::optimize(&mut b);
        self.index.insert(b.start_pc, self.blocks.len());
        self.blocks.push(b);
    }

    /// The member starting at `pc`.
    pub fn member(&self, pc: u64) -> Option<usize> {
        self.index.get(&pc).copied()
    }

    /// The head block.
    pub fn head(&self) -> &Block {
        &self.blocks[0]
    }

    /// Guest instructions in all members.
    pub fn insns(&self) -> usize {
        self.blocks.iter().map(Block::guest_insn_count).sum()
    }

    /// Members that are return sites of calls made by members (at most
    /// [`RETURN_SITES_MAX`]): indirect jumps test for them before leaving
    /// the region, so calls and returns inside a region stay inside it.
    pub fn return_sites(&self) -> Vec<(u64, usize)> {
        let mut sites = Vec::new();
        for b in &self.blocks {
            if !is_call(b) {
                continue;
            }
            if let Some(j) = self.member(b.end_pc)
                && !sites.contains(&(b.end_pc, j))
            {
                sites.push((b.end_pc, j));
            }
        }
        sites.truncate(RETURN_SITES_MAX);
        sites
    }

    /// For each member, the members its terminator may continue to inside
    /// the region: its static targets that are members, and after an
    /// indirect jump the return sites (see [`Region::return_sites`]).
    pub fn member_successors(&self) -> Vec<Vec<usize>> {
        let sites = self.return_sites();
        self.blocks
            .iter()
            .map(|blk| match blk.term {
                Terminator::Jump { target } => self.member(target).into_iter().collect(),
                Terminator::Branch {
                    taken, fallthrough, ..
                } => [taken, fallthrough]
                    .into_iter()
                    .filter_map(|pc| self.member(pc))
                    .collect(),
                Terminator::JumpIndirect { .. } => sites.iter().map(|&(_, j)| j).collect(),
                Terminator::Trap { .. } => Vec::new(),
            })
            .collect()
    }

    /// The guest address range covering every member (for invalidation).
    pub fn span(&self) -> (u64, u64) {
        let lo = self.blocks.iter().map(|b| b.start_pc).min().unwrap_or(0);
        let hi = self.blocks.iter().map(|b| b.end_pc).max().unwrap_or(0);
        (lo, hi)
    }

    /// Grow the region breadth first from its members' static successors:
    /// `fetch(pc)` returns the block at `pc` if it may join (it has run),
    /// else `None`.
    pub fn grow(&mut self, mut fetch: impl FnMut(u64) -> Option<Block>) {
        let mut queue: std::collections::VecDeque<u64> =
            self.blocks.iter().flat_map(successors).collect();
        let mut insns = self.insns();
        while let Some(pc) = queue.pop_front() {
            if self.blocks.len() >= REGION_BLOCKS_MAX || insns >= REGION_INSNS_MAX {
                break;
            }
            if self.member(pc).is_some() {
                continue;
            }
            let Some(b) = fetch(pc) else { continue };
            if b.start_pc != pc {
                continue;
            }
            insns += b.guest_insn_count();
            queue.extend(successors(&b));
            self.push(b);
        }
    }
}

/// Whether `b` ends in a call: a jump that writes a link register
/// (`ra` or `t0`, the RISC-V conventions).
pub(crate) fn is_call(b: &Block) -> bool {
    matches!(
        b.term,
        Terminator::Jump { .. } | Terminator::JumpIndirect { .. }
    ) && b.insts.iter().any(|i| {
        matches!(
            i,
            Inst::Set {
                reg: Global::X(1 | 5),
                ..
            }
        )
    })
}

/// Successors of `b` worth compiling with it: its static targets, and
/// after a call the return site (where the callee's return, an indirect
/// jump, is likely to go; see `Region::return_sites`).
fn successors(b: &Block) -> Vec<u64> {
    let mut s = match b.term {
        Terminator::Jump { target } => vec![target],
        Terminator::Branch {
            taken, fallthrough, ..
        } => vec![taken, fallthrough],
        Terminator::JumpIndirect { .. } | Terminator::Trap { .. } => Vec::new(),
    };
    if is_call(b) {
        s.push(b.end_pc);
    }
    s
}
