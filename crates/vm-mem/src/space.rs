//! The mapping system calls: `mmap`, `munmap`, `mprotect`, `mremap`, with
//! Linux's argument checks and errno values.
//!
//! Each call runs under the bookkeeping lock and keeps three things in step:
//! the host backing in the arena, the permission table and the region map.
//! Order matters because accesses read the permission table without the
//! lock: new memory is mapped on the host before its pages are marked
//! accessible, and pages are marked inaccessible before their host memory is
//! replaced. Publishing a file region reads the file's size: its pages
//! wholly beyond the end stay inaccessible whatever the permissions (`eof`).
//!
//! Placement without MAP_FIXED follows Linux on riscv64: the hint if its
//! range is free, else the highest free range below [`MMAP_TOP`] (mmaps grow
//! down from below the stack), else the highest free range anywhere above
//! [`MMAP_MIN_ADDR`].

use std::sync::Arc;

use crate::arena::{self, HostBacking};
use crate::perms::{BEYOND_EOF, BEYOND_EOF_ENTRY, entry};
use crate::regions::{MappedFile, Region, RegionBacking, Regions};
use crate::{Backing, Errno, GUEST_SPACE_BYTES, GuestMemory, MapFlags, PAGE_SIZE, Perm};

/// Top of the area searched first for mappings placed by the VM (below the
/// stack region at the top of the guest space).
pub const MMAP_TOP: u64 = 0x3f_0000_0000;

/// Lowest address a mapping may have (Linux's default `mmap_min_addr`);
/// MAP_FIXED below it fails with EPERM.
pub const MMAP_MIN_ADDR: u64 = 0x1_0000;

const EINVAL: Errno = Errno(libc::EINVAL);
const ENOMEM: Errno = Errno(libc::ENOMEM);

/// `len` rounded up to whole pages; None if that overflows.
pub(crate) fn page_up(len: u64) -> Option<u64> {
    Some(len.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

/// The bookkeeping guarded by the lock.
#[derive(Default)]
pub(crate) struct Space {
    /// Mapped regions.
    pub(crate) regions: Regions,
    /// Where the heap starts (brk can not go below).
    pub(crate) brk_start: u64,
    /// The current program break.
    pub(crate) brk_cur: u64,
}

impl GuestMemory {
    /// Mark `region` (starting at `start`) accessible in the permission table.
    pub(crate) fn publish(&self, start: u64, region: &Region) {
        self.publish_range(start, region, start, region.end);
    }

    /// Mark `[from, to)`, a part of `region` (which starts at
    /// `region_start`), accessible per its permissions, except the pages
    /// wholly beyond the end of its file (read now), which get
    /// [`BEYOND_EOF_ENTRY`].
    fn publish_range(&self, region_start: u64, region: &Region, from: u64, to: u64) {
        let byte = entry(region.perm, region.backing.host_writable(region.perm));
        let eof = crate::eof::boundary(region_start, region, from, to);
        self.perms
            .set(from / PAGE_SIZE, (eof - from) / PAGE_SIZE, byte);
        self.perms
            .set(eof / PAGE_SIZE, (to - eof) / PAGE_SIZE, BEYOND_EOF_ENTRY);
    }

    /// Mark `[start, end)` unmapped in the permission table.
    pub(crate) fn unpublish(&self, start: u64, end: u64) {
        self.perms
            .set(start / PAGE_SIZE, (end - start) / PAGE_SIZE, 0);
    }

    /// Host-map a new region at `start` and record it. The range must be
    /// free in `space` (the caller removed what was there).
    pub(crate) fn install(
        &self,
        space: &mut Space,
        start: u64,
        region: Region,
    ) -> Result<(), Errno> {
        self.host_map(start, &region)?;
        self.publish(start, &region);
        space.regions.insert(start, region);
        Ok(())
    }

    /// Back `region` (starting at `start`) with host memory.
    fn host_map(&self, start: u64, region: &Region) -> Result<(), Errno> {
        let len = region.end - start;
        let prot = region.backing.host_prot(region.perm);
        self.arena.map(
            start,
            len,
            prot,
            host_backing(&region.backing, region.offset),
        )
    }

    /// Move private pages `[from, from+len)` to `to` by mapping `moved`'s
    /// backing afresh there and copying the pages that may differ from it
    /// (pages beyond the end of a file are never written, and touching
    /// them would raise SIGBUS); the new pages end with host protection
    /// `prot`. The host protection mirrors the guest's, so both ranges are
    /// opened up for the copy (the old one is discarded right after).
    pub(crate) fn copy_private(
        &self,
        from: u64,
        to: u64,
        len: u64,
        moved: &Region,
        prot: i32,
    ) -> Result<(), Errno> {
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        self.arena
            .map(to, len, rw, host_backing(&moved.backing, moved.offset))?;
        self.arena.protect(from, len, libc::PROT_READ)?;
        let mut page = 0;
        while page < len {
            if self.perms.get((from + page) / PAGE_SIZE) & BEYOND_EOF == 0 {
                self.arena.copy(from + page, to + page, PAGE_SIZE)?;
            }
            page += PAGE_SIZE;
        }
        self.arena.protect(to, len, prot)
    }

    /// Unmap `[start, end)` (page-aligned, inside the guest space) in all three places.
    pub(crate) fn discard(&self, space: &mut Space, start: u64, end: u64) -> Result<(), Errno> {
        if start >= end {
            return Ok(());
        }
        self.unpublish(start, end);
        self.arena.release(start, end - start)?;
        space.regions.remove(start, end);
        Ok(())
    }

    /// mmap(2): map `len` bytes. Without `fixed`, `addr` is a hint and a free
    /// range is chosen (top-down below the stack, as Linux does). Returns the
    /// guest address. `name` labels the mapping in [`GuestMemory::mappings`].
    ///
    /// Errors as Linux: EINVAL for `len == 0`, a misaligned fixed address or
    /// file offset; ENOMEM when the range does not fit the guest space; EPERM
    /// for a fixed address below [`MMAP_MIN_ADDR`]; EEXIST for an occupied
    /// MAP_FIXED_NOREPLACE range; host errors of mapping a file (EACCES,
    /// EBADF, ENODEV) as the host reports them.
    pub fn map(
        &self,
        addr: u64,
        len: u64,
        perm: Perm,
        flags: MapFlags,
        backing: Backing,
        name: &str,
    ) -> Result<u64, Errno> {
        if len == 0 {
            return Err(EINVAL);
        }
        let perm = Perm(perm.0 & Perm::RWX.0);
        let len = page_up(len).ok_or(ENOMEM)?;
        if len > GUEST_SPACE_BYTES {
            return Err(ENOMEM);
        }
        if let Backing::File { offset, .. } = backing {
            if offset % PAGE_SIZE != 0 {
                return Err(EINVAL);
            }
            if offset.checked_add(len).is_none_or(|e| e > i64::MAX as u64) {
                return Err(Errno(libc::EOVERFLOW));
            }
        }
        let fixed = flags.fixed || flags.fixed_noreplace;
        let mut space = self.lock();
        let start = if fixed {
            if !addr.is_multiple_of(PAGE_SIZE) {
                return Err(EINVAL);
            }
            if addr.checked_add(len).is_none_or(|e| e > GUEST_SPACE_BYTES) {
                return Err(ENOMEM);
            }
            if addr < MMAP_MIN_ADDR {
                return Err(Errno(libc::EPERM));
            }
            if flags.fixed_noreplace && !space.regions.is_free(addr, addr + len) {
                return Err(Errno(libc::EEXIST));
            }
            addr
        } else {
            choose(&space.regions, addr, len).ok_or(ENOMEM)?
        };
        let (region_backing, offset) = match backing {
            Backing::Anonymous if flags.shared => {
                (RegionBacking::AnonShared(Arc::new(arena::memfd(len)?)), 0)
            }
            Backing::Anonymous => (RegionBacking::AnonPrivate, 0),
            Backing::File { fd, offset } if flags.shared => (
                RegionBacking::FileShared(Arc::new(arena::dup_fd(fd)?)),
                offset,
            ),
            Backing::File { fd, offset } => {
                let fd = arena::dup_fd(fd)?;
                let st = arena::file_stat(&fd)?;
                let file = MappedFile {
                    fd: Arc::new(fd),
                    id: (st.st_dev, st.st_ino),
                };
                (RegionBacking::FilePrivate(file), offset)
            }
        };
        let region = Region {
            end: start + len,
            perm,
            offset,
            name: name.to_string(),
            backing: region_backing,
        };
        // Hide the range, map the new memory over it, then fix the books. The
        // host checks a file mapping (EACCES, EBADF, ENODEV) before replacing
        // anything, so on failure the old mapping is still there, as on Linux,
        // and becomes visible again.
        self.unpublish(start, start + len);
        if let Err(e) = self.host_map(start, &region) {
            for (rs, s, e, r) in space.regions.clipped(start, start + len) {
                self.publish_range(rs, r, s, e);
            }
            return Err(e);
        }
        space.regions.remove(start, start + len);
        self.publish(start, &region);
        space.regions.insert(start, region);
        Ok(start)
    }

    /// munmap(2). EINVAL for a misaligned address, `len == 0` or a range
    /// beyond the guest space; unmapping holes is fine.
    pub fn unmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(EINVAL);
        }
        let len = page_up(len).ok_or(EINVAL)?;
        let end = addr
            .checked_add(len)
            .filter(|&e| e <= GUEST_SPACE_BYTES)
            .ok_or(EINVAL)?;
        let mut space = self.lock();
        self.discard(&mut space, addr, end)
    }

    /// mprotect(2). EINVAL for a misaligned address; ENOMEM if the range
    /// leaves the guest space or any page of it is unmapped (then nothing
    /// changes; Linux may have changed the part before the hole); EACCES if
    /// the host refuses write access to a shared file opened read-only.
    pub fn protect(&self, addr: u64, len: u64, perm: Perm) -> Result<(), Errno> {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let perm = Perm(perm.0 & Perm::RWX.0);
        let len = page_up(len).ok_or(ENOMEM)?;
        let end = addr
            .checked_add(len)
            .filter(|&e| e <= GUEST_SPACE_BYTES)
            .ok_or(ENOMEM)?;
        let mut space = self.lock();
        if !space.regions.is_fully_mapped(addr, end) {
            return Err(ENOMEM);
        }
        // The host protection mirrors the guest's (compiled code relies on
        // it). Granting host access goes before the table update (the host
        // may refuse it: then nothing changes), revoking it after (so no
        // access that passed the table check meets a protected host page).
        let mut pieces = Vec::new();
        let mut at = addr;
        while at < end {
            let Some((_, r)) = space.regions.containing(at) else {
                break;
            };
            let piece_end = r.end.min(end);
            let old = r.backing.host_prot(r.perm);
            let new = r.backing.host_prot(perm);
            if old != new {
                pieces.push((at, piece_end, old, new));
            }
            at = piece_end;
        }
        let grants = |p: &&(u64, u64, i32, i32)| p.3 & !p.2 != 0;
        for &(s, e, _, new) in pieces.iter().filter(grants) {
            self.arena.protect(s, e - s, new)?;
        }
        // Pages beyond the end of a file stay inaccessible whatever the
        // new permissions (publishing re-reads the file's size).
        for (s, region) in space.regions.set_perm(addr, end, perm) {
            self.publish(s, &region);
        }
        for &(s, e, _, new) in pieces.iter().filter(|p| !grants(p)) {
            self.arena.protect(s, e - s, new)?;
        }
        Ok(())
    }

    /// mremap(2) with MREMAP_MAYMOVE (`may_move`) and MREMAP_FIXED (`fixed_to`).
    ///
    /// Shrinks in place, grows in place when the following range is free,
    /// else moves when allowed. Errors as Linux: EINVAL for a misaligned
    /// address, `new_len == 0`, `fixed_to` without `may_move`, a misaligned
    /// or overlapping target; EFAULT if the old range is not inside one
    /// mapping; ENOMEM if it cannot grow in place and may not move, or no
    /// room is found. `old_len == 0` (duplicating a shared mapping) is not
    /// supported and gives EINVAL.
    ///
    /// Growing a file mapping maps more of the file; pages beyond its end
    /// are inaccessible (see `eof`), as on Linux.
    pub fn remap(
        &self,
        old_addr: u64,
        old_len: u64,
        new_len: u64,
        may_move: bool,
        fixed_to: Option<u64>,
    ) -> Result<u64, Errno> {
        if !old_addr.is_multiple_of(PAGE_SIZE) || (fixed_to.is_some() && !may_move) {
            return Err(EINVAL);
        }
        let old_len = page_up(old_len).ok_or(EINVAL)?;
        let new_len = page_up(new_len).ok_or(EINVAL)?;
        if new_len == 0 || old_len == 0 {
            return Err(EINVAL);
        }
        let mut space = self.lock();
        let old_end = old_addr.checked_add(old_len).ok_or(Errno(libc::EFAULT))?;
        let (region_start, region) = match space.regions.containing(old_addr) {
            Some((s, r)) if old_end <= r.end => (s, r.clone()),
            _ => return Err(Errno(libc::EFAULT)),
        };
        if let Some(to) = fixed_to {
            let to_end = to
                .checked_add(new_len)
                .filter(|&e| e <= GUEST_SPACE_BYTES)
                .ok_or(EINVAL)?;
            if to % PAGE_SIZE != 0 || (to < old_end && old_addr < to_end) {
                return Err(EINVAL);
            }
            if to < MMAP_MIN_ADDR {
                return Err(Errno(libc::EPERM));
            }
            self.discard(&mut space, to, to_end)?;
            let keep = old_len.min(new_len);
            self.discard(&mut space, old_addr + keep, old_end)?;
            self.move_region(
                &mut space,
                region_start,
                &region,
                old_addr,
                keep,
                to,
                new_len,
            )?;
            return Ok(to);
        }
        if new_len <= old_len {
            self.discard(&mut space, old_addr + new_len, old_end)?;
            return Ok(old_addr);
        }
        let new_end = old_addr
            .checked_add(new_len)
            .filter(|&e| e <= GUEST_SPACE_BYTES);
        if let Some(new_end) = new_end
            && old_end == region.end
            && space.regions.is_free(old_end, new_end)
        {
            let mut ext = region.clone();
            if !matches!(ext.backing, RegionBacking::AnonPrivate) {
                ext.offset += old_end - region_start;
            }
            ext.end = new_end;
            if let RegionBacking::AnonShared(fd) = &ext.backing {
                arena::grow_file(fd, ext.offset + (new_end - old_end))?;
            }
            self.install(&mut space, old_end, ext)?;
            return Ok(old_addr);
        }
        if !may_move {
            return Err(ENOMEM);
        }
        let to = choose(&space.regions, 0, new_len).ok_or(ENOMEM)?;
        self.move_region(
            &mut space,
            region_start,
            &region,
            old_addr,
            old_len,
            to,
            new_len,
        )?;
        Ok(to)
    }

    /// Move the `len` bytes at `from` (inside `region`, which starts at
    /// `region_start`) to the free range `[to, to+new_len)`, `new_len >= len`,
    /// keeping contents; the tail beyond `len` is new memory of the same kind.
    #[allow(clippy::too_many_arguments)]
    fn move_region(
        &self,
        space: &mut Space,
        region_start: u64,
        region: &Region,
        from: u64,
        len: u64,
        to: u64,
        new_len: u64,
    ) -> Result<(), Errno> {
        let mut moved = region.clone();
        moved.end = to + new_len;
        if !matches!(moved.backing, RegionBacking::AnonPrivate) {
            moved.offset += from - region_start;
        }
        if let Some(fd) = moved.backing.shared_fd() {
            // Shared memory: map the same file pages at the new place.
            if let RegionBacking::AnonShared(_) = moved.backing {
                arena::grow_file(fd, moved.offset + new_len)?;
            }
            self.install(space, to, moved)?;
        } else {
            // Private memory: move the pages without copying when the host
            // can, else map the same backing afresh and copy the pages that
            // may differ from it (pages beyond the end of a file are never
            // written, and touching them would raise SIGBUS).
            let tail = new_len - len;
            let prot = moved.backing.host_prot(moved.perm);
            if self.arena.move_private(from, to, len).is_err() {
                self.copy_private(from, to, len, &moved, prot)?;
            }
            if tail > 0 {
                let backing = host_backing(&moved.backing, moved.offset + len);
                self.arena.map(to + len, tail, prot, backing)?;
            }
            self.publish(to, &moved);
            space.regions.insert(to, moved);
        }
        self.discard(space, from, from + len)
    }
}

/// What backs a region on the host, `offset` bytes into its file or memfd.
fn host_backing(backing: &RegionBacking, offset: u64) -> HostBacking<'_> {
    match backing {
        RegionBacking::AnonPrivate => HostBacking::AnonPrivate,
        RegionBacking::FilePrivate(file) => HostBacking::Fd {
            fd: &file.fd,
            offset,
            shared: false,
        },
        RegionBacking::AnonShared(fd) | RegionBacking::FileShared(fd) => HostBacking::Fd {
            fd,
            offset,
            shared: true,
        },
    }
}

/// Where to place a `len`-byte mapping with address hint `hint`.
fn choose(regions: &Regions, hint: u64, len: u64) -> Option<u64> {
    if let Some(h) = page_up(hint)
        && h >= MMAP_MIN_ADDR
        && h.checked_add(len).is_some_and(|e| e <= GUEST_SPACE_BYTES)
        && regions.is_free(h, h + len)
    {
        return Some(h);
    }
    regions
        .find_free_top_down(len, MMAP_MIN_ADDR, MMAP_TOP)
        .or_else(|| regions.find_free_top_down(len, MMAP_MIN_ADDR, GUEST_SPACE_BYTES))
}
