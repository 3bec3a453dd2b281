//! Mapping bookkeeping: which guest ranges are mapped, with what permissions
//! and backing, as a map of disjoint page-aligned regions keyed by start.
//!
//! This is pure data (no host calls), so splitting, merging and free-range
//! search are tested on their own. Adjacent regions that Linux would show as
//! one line of /proc/self/maps (same permissions, name and backing, file
//! offsets contiguous) are merged on insertion, so repeated `brk` growth or
//! `mprotect` round trips do not grow the map.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use crate::{Mapping, Perm};

/// What backs a region.
#[derive(Clone, Debug)]
pub(crate) enum RegionBacking {
    /// Private zero-filled memory.
    AnonPrivate,
    /// Shared anonymous memory, held in a memfd (`offset` is into it).
    AnonShared(Arc<OwnedFd>),
    /// A private file mapping, with a duplicate of the file's descriptor (to
    /// re-read the file's size and to map more of it when grown).
    FilePrivate(MappedFile),
    /// A shared file mapping, with a duplicate of the file's descriptor.
    FileShared(Arc<OwnedFd>),
}

/// A privately mapped file: a descriptor the VM owns and the file's
/// identity.
#[derive(Clone, Debug)]
pub(crate) struct MappedFile {
    /// Duplicate of the guest's descriptor, valid after the guest closes it.
    pub(crate) fd: Arc<OwnedFd>,
    /// `(st_dev, st_ino)`: pieces mapped through different descriptors of
    /// one file may merge, pieces of different files never do (their sizes,
    /// which decide which pages lie beyond the end, differ).
    pub(crate) id: (u64, u64),
}

impl RegionBacking {
    /// Whether a file (not anonymous memory) backs the region.
    pub(crate) fn is_file(&self) -> bool {
        matches!(
            self,
            RegionBacking::FilePrivate(_) | RegionBacking::FileShared(_)
        )
    }

    /// The file whose end bounds the region's accessible pages, if any (the
    /// memfd of shared anonymous memory is sized by the VM itself).
    pub(crate) fn file_fd(&self) -> Option<&OwnedFd> {
        match self {
            RegionBacking::FilePrivate(f) => Some(&f.fd),
            RegionBacking::FileShared(fd) => Some(fd),
            _ => None,
        }
    }

    /// Whether the region is MAP_SHARED.
    pub(crate) fn is_shared(&self) -> bool {
        matches!(
            self,
            RegionBacking::AnonShared(_) | RegionBacking::FileShared(_)
        )
    }

    /// The shared file to map again when moving or growing, if any.
    pub(crate) fn shared_fd(&self) -> Option<&Arc<OwnedFd>> {
        match self {
            RegionBacking::AnonShared(fd) | RegionBacking::FileShared(fd) => Some(fd),
            _ => None,
        }
    }

    /// Whether the host memory of a region with guest permissions `perm` is
    /// writable (see the arena's module doc).
    pub(crate) fn host_writable(&self, perm: Perm) -> bool {
        match self {
            RegionBacking::FileShared(_) => perm.contains(Perm::W),
            _ => true,
        }
    }

    /// Host protection for a region with guest permissions `perm`: the
    /// guest's own, with write or execute implying read (see
    /// `perms::entry`). Compiled code accesses guest memory with no
    /// permission check of its own: a host fault on these protections is
    /// its check (see the arena's module doc).
    pub(crate) fn host_prot(&self, perm: Perm) -> i32 {
        let perm = crate::perms::effective(perm);
        if perm.contains(Perm::W) && self.host_writable(perm) {
            libc::PROT_READ | libc::PROT_WRITE
        } else if perm.contains(Perm::R) {
            libc::PROT_READ
        } else {
            libc::PROT_NONE
        }
    }

    fn same(&self, other: &RegionBacking) -> bool {
        match (self, other) {
            (RegionBacking::AnonPrivate, RegionBacking::AnonPrivate) => true,
            (RegionBacking::FilePrivate(a), RegionBacking::FilePrivate(b)) => a.id == b.id,
            (RegionBacking::AnonShared(a), RegionBacking::AnonShared(b))
            | (RegionBacking::FileShared(a), RegionBacking::FileShared(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// One mapped range (its start is the map key).
#[derive(Clone, Debug)]
pub(crate) struct Region {
    /// One past the last byte.
    pub(crate) end: u64,
    /// Guest permissions.
    pub(crate) perm: Perm,
    /// Offset of the start in the backing file or memfd (0 for private anon).
    pub(crate) offset: u64,
    /// Label for /proc/self/maps.
    pub(crate) name: String,
    /// What backs it.
    pub(crate) backing: RegionBacking,
}

impl Region {
    /// The part of this region (starting at `start`) from `at` on.
    fn tail(&self, start: u64, at: u64) -> Region {
        let mut r = self.clone();
        if !matches!(r.backing, RegionBacking::AnonPrivate) {
            r.offset += at - start;
        }
        r
    }
}

/// Whether region `b` at `b_start` continues region `a` at `a_start` so the
/// two can be one.
fn mergeable(a_start: u64, a: &Region, b_start: u64, b: &Region) -> bool {
    a.end == b_start
        && a.perm == b.perm
        && a.name == b.name
        && a.backing.same(&b.backing)
        && (matches!(a.backing, RegionBacking::AnonPrivate)
            || a.offset + (a.end - a_start) == b.offset)
}

/// The set of mapped regions.
#[derive(Default)]
pub(crate) struct Regions {
    map: BTreeMap<u64, Region>,
}

impl Regions {
    /// The region containing `addr`, with its start.
    pub(crate) fn containing(&self, addr: u64) -> Option<(u64, &Region)> {
        let (&start, r) = self.map.range(..=addr).next_back()?;
        (addr < r.end).then_some((start, r))
    }

    /// Split the region containing `at` (if `at` is strictly inside) in two.
    pub(crate) fn split_at(&mut self, at: u64) {
        let Some((start, r)) = self.containing(at) else {
            return;
        };
        if start == at {
            return;
        }
        let tail = r.tail(start, at);
        if let Some(head) = self.map.get_mut(&start) {
            head.end = at;
        }
        self.map.insert(at, tail);
    }

    /// Starts of the regions overlapping `[start, end)`.
    fn overlapping(&self, start: u64, end: u64) -> Vec<u64> {
        let mut keys = Vec::new();
        if let Some((s, _)) = self.containing(start) {
            keys.push(s);
        }
        keys.extend(
            self.map
                .range((Bound::Excluded(start), Bound::Excluded(end)))
                .map(|(&s, _)| s),
        );
        keys
    }

    /// The parts of regions inside `[start, end)`: (region start, part
    /// start, part end, region).
    pub(crate) fn clipped(&self, start: u64, end: u64) -> Vec<(u64, u64, u64, &Region)> {
        self.overlapping(start, end)
            .into_iter()
            .filter_map(|s| {
                self.map
                    .get(&s)
                    .map(|r| (s, s.max(start), r.end.min(end), r))
            })
            .collect()
    }

    /// Remove everything in `[start, end)`, splitting regions at the edges;
    /// returns the removed pieces with their starts.
    pub(crate) fn remove(&mut self, start: u64, end: u64) -> Vec<(u64, Region)> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&s, _)| s).collect();
        keys.into_iter()
            .filter_map(|s| self.map.remove(&s).map(|r| (s, r)))
            .collect()
    }

    /// Add a region at `start` (the range must be free), merged with equal
    /// neighbours.
    pub(crate) fn insert(&mut self, start: u64, region: Region) {
        self.map.insert(start, region);
        self.merge_around(start, start);
    }

    /// Merge mergeable neighbours among the regions touching `[start, end]`.
    pub(crate) fn merge_around(&mut self, start: u64, end: u64) {
        let first = self
            .map
            .range(..start)
            .next_back()
            .map_or(start, |(&s, _)| s);
        let mut keys: Vec<u64> = self.map.range(first..=end).map(|(&s, _)| s).collect();
        if let Some((&next, _)) = self
            .map
            .range((Bound::Excluded(end), Bound::Unbounded))
            .next()
        {
            keys.push(next);
        }
        let mut cur = None::<u64>;
        for k in keys {
            let Some(c) = cur else {
                cur = Some(k);
                continue;
            };
            let can = match (self.map.get(&c), self.map.get(&k)) {
                (Some(a), Some(b)) => mergeable(c, a, k, b),
                _ => false,
            };
            if can {
                if let Some(b) = self.map.remove(&k)
                    && let Some(a) = self.map.get_mut(&c)
                {
                    a.end = b.end;
                }
            } else {
                cur = Some(k);
            }
        }
    }

    /// Whether no region overlaps `[start, end)`.
    pub(crate) fn is_free(&self, start: u64, end: u64) -> bool {
        self.overlapping(start, end).is_empty()
    }

    /// Whether every byte of `[start, end)` is mapped.
    pub(crate) fn is_fully_mapped(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        while at < end {
            match self.containing(at) {
                Some((_, r)) => at = r.end,
                None => return false,
            }
        }
        true
    }

    /// Set the permissions of `[start, end)` (all mapped), splitting at the
    /// edges; returns the affected pieces (start, region) after the change.
    pub(crate) fn set_perm(&mut self, start: u64, end: u64, perm: Perm) -> Vec<(u64, Region)> {
        self.split_at(start);
        self.split_at(end);
        let mut out = Vec::new();
        for (&s, r) in self.map.range_mut(start..end) {
            r.perm = perm;
            out.push((s, r.clone()));
        }
        self.merge_around(start, end);
        out
    }

    /// The highest `len`-byte free range inside `[lo, hi)`, if any.
    pub(crate) fn find_free_top_down(&self, len: u64, lo: u64, hi: u64) -> Option<u64> {
        let mut gap_end = hi;
        for (&s, r) in self.map.range(..hi).rev() {
            let gap_start = r.end.max(lo);
            if gap_end > gap_start && gap_end - gap_start >= len {
                return Some(gap_end - len);
            }
            gap_end = gap_end.min(s);
            if gap_end <= lo {
                return None;
            }
        }
        (gap_end >= lo && gap_end - lo >= len).then(|| gap_end - len)
    }

    /// Every region, ascending, in the public form, with mergeable
    /// neighbours joined.
    pub(crate) fn mappings(&self) -> Vec<Mapping> {
        let mut out: Vec<Mapping> = Vec::new();
        let mut prev: Option<(u64, Region)> = None;
        for (&s, r) in &self.map {
            if let Some((ps, p)) = prev.as_mut()
                && mergeable(*ps, p, s, r)
                && let Some(last) = out.last_mut()
            {
                last.end = r.end;
                p.end = r.end;
                continue;
            }
            out.push(Mapping {
                start: s,
                end: r.end,
                perm: r.perm,
                shared: r.backing.is_shared(),
                offset: if r.backing.is_file() { r.offset } else { 0 },
                name: r.name.clone(),
            });
            prev = Some((s, r.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(end: u64, perm: Perm) -> Region {
        Region {
            end,
            perm,
            offset: 0,
            name: String::new(),
            backing: RegionBacking::AnonPrivate,
        }
    }

    fn file(end: u64, offset: u64) -> Region {
        Region {
            end,
            perm: Perm::R,
            offset,
            name: "f".into(),
            backing: RegionBacking::FilePrivate(MappedFile {
                fd: Arc::new(crate::arena::memfd(0).expect("memfd")),
                id: (1, 2),
            }),
        }
    }

    fn starts(r: &Regions) -> Vec<(u64, u64)> {
        r.map.iter().map(|(&s, r)| (s, r.end)).collect()
    }

    #[test]
    fn split_and_remove_middle() {
        let mut r = Regions::default();
        r.insert(0x1000, file(0x5000, 0x10000));
        let removed = r.remove(0x2000, 0x3000);
        assert_eq!(removed.len(), 1);
        assert_eq!(
            (removed[0].0, removed[0].1.end, removed[0].1.offset),
            (0x2000, 0x3000, 0x11000)
        );
        assert_eq!(starts(&r), vec![(0x1000, 0x2000), (0x3000, 0x5000)]);
        assert_eq!(
            r.map[&0x3000].offset, 0x12000,
            "tail offset follows its start"
        );
    }

    #[test]
    fn insert_merges_only_compatible_neighbours() {
        let mut r = Regions::default();
        r.insert(0x1000, anon(0x2000, Perm::RW));
        r.insert(0x3000, anon(0x4000, Perm::RW));
        r.insert(0x2000, anon(0x3000, Perm::RW));
        assert_eq!(starts(&r), vec![(0x1000, 0x4000)]);
        r.insert(0x4000, anon(0x5000, Perm::R));
        assert_eq!(starts(&r), vec![(0x1000, 0x4000), (0x4000, 0x5000)]);
        // File pieces merge only with contiguous offsets.
        r.insert(0x10000, file(0x11000, 0));
        r.insert(0x11000, file(0x12000, 0x2000));
        assert_eq!(r.map.len(), 4);
        r.insert(0x12000, file(0x13000, 0x3000));
        assert_eq!(r.map.len(), 4, "0x11000 and 0x12000 merged");
    }

    #[test]
    fn pieces_of_different_files_never_merge() {
        let mut r = Regions::default();
        r.insert(0x1000, file(0x2000, 0));
        let mut other = file(0x3000, 0x1000);
        if let RegionBacking::FilePrivate(f) = &mut other.backing {
            f.id = (1, 3);
        }
        r.insert(0x2000, other);
        assert_eq!(starts(&r), vec![(0x1000, 0x2000), (0x2000, 0x3000)]);
        // The same file through another descriptor merges.
        r.insert(0x3000, file(0x4000, 0x2000));
        r.insert(0x4000, file(0x5000, 0x3000));
        assert_eq!(
            starts(&r),
            vec![(0x1000, 0x2000), (0x2000, 0x3000), (0x3000, 0x5000)]
        );
    }

    #[test]
    fn free_and_mapped_queries() {
        let mut r = Regions::default();
        r.insert(0x2000, anon(0x4000, Perm::RW));
        r.insert(0x5000, anon(0x6000, Perm::R));
        assert!(r.is_free(0x0, 0x2000));
        assert!(!r.is_free(0x1000, 0x2001));
        assert!(!r.is_free(0x3000, 0x3001));
        assert!(r.is_free(0x4000, 0x5000));
        assert!(r.is_fully_mapped(0x2000, 0x4000));
        assert!(!r.is_fully_mapped(0x2000, 0x5001));
        assert!(r.containing(0x4000).is_none());
        assert_eq!(r.containing(0x5fff).map(|(s, _)| s), Some(0x5000));
    }

    #[test]
    fn top_down_search() {
        let mut r = Regions::default();
        r.insert(0x8000, anon(0x9000, Perm::RW));
        r.insert(0xb000, anon(0x10000, Perm::RW)); // straddles `hi`
        assert_eq!(r.find_free_top_down(0x1000, 0x1000, 0xc000), Some(0xa000));
        assert_eq!(r.find_free_top_down(0x2000, 0x1000, 0xc000), Some(0x9000));
        assert_eq!(r.find_free_top_down(0x3000, 0x1000, 0xc000), Some(0x5000));
        assert_eq!(r.find_free_top_down(0x7000, 0x1000, 0xc000), Some(0x1000));
        assert_eq!(r.find_free_top_down(0x8000, 0x1000, 0xc000), None);
    }

    #[test]
    fn set_perm_splits_and_rejoins() {
        let mut r = Regions::default();
        r.insert(0x1000, anon(0x4000, Perm::RW));
        let pieces = r.set_perm(0x2000, 0x3000, Perm::R);
        assert_eq!(
            pieces.iter().map(|p| (p.0, p.1.end)).collect::<Vec<_>>(),
            vec![(0x2000, 0x3000)]
        );
        assert_eq!(
            starts(&r),
            vec![(0x1000, 0x2000), (0x2000, 0x3000), (0x3000, 0x4000)]
        );
        r.set_perm(0x2000, 0x3000, Perm::RW);
        assert_eq!(starts(&r), vec![(0x1000, 0x4000)]);
        let maps = r.mappings();
        assert_eq!(
            (maps[0].start, maps[0].end, maps[0].perm),
            (0x1000, 0x4000, Perm::RW)
        );
    }
}
