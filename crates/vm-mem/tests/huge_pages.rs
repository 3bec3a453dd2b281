//! Large private anonymous mappings are advised to the host as huge-page
//! memory (`madvise(MADV_HUGEPAGE)`), small ones and all mappings made
//! with the option off are not. Read from the host's own record of the
//! advice: the `hg` flag of the mapping in `/proc/self/smaps`, which the
//! kernel sets whatever its THP mode (`always`, `madvise` or `never`).

use vm_mem::{Backing, GuestMemory, HUGE_PAGE_BYTES, MapFlags, Perm};

/// Whether the host kernel has transparent huge pages at all (without
/// them, madvise refuses the advice and no mapping is flagged).
fn host_has_thp() -> bool {
    std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists()
}

/// The `VmFlags` of the host mapping containing `addr`.
fn vm_flags(addr: usize) -> Vec<String> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("read /proc/self/smaps");
    let mut inside = false;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((lo, hi)) = first.split_once('-')
            && let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
        {
            inside = (lo..hi).contains(&addr);
        } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
            return flags.split_whitespace().map(str::to_string).collect();
        }
    }
    panic!("no host mapping holds {addr:#x}");
}

/// Map `len` anonymous bytes, touch the first page, and return whether the
/// host flagged the mapping for huge pages.
fn advised(mem: &GuestMemory, len: u64) -> bool {
    let addr = mem
        .map(
            0,
            len,
            Perm::RW,
            MapFlags::default(),
            Backing::Anonymous,
            "t",
        )
        .expect("map");
    mem.write_bytes(addr, &[1]).expect("write");
    let host = mem.base() as usize + addr as usize;
    let hg = vm_flags(host).iter().any(|f| f == "hg");
    mem.unmap(addr, len).expect("unmap");
    hg
}

#[test]
fn large_anonymous_mappings_are_advised_as_huge_pages() {
    let mem = GuestMemory::new().expect("guest memory");
    let thp = host_has_thp();
    assert_eq!(advised(&mem, 8 * HUGE_PAGE_BYTES), thp);
    assert_eq!(advised(&mem, HUGE_PAGE_BYTES), thp);
    assert!(!advised(&mem, HUGE_PAGE_BYTES - 4096));
    mem.set_huge_pages(false);
    assert!(!advised(&mem, 8 * HUGE_PAGE_BYTES));
    mem.set_huge_pages(true);
    assert_eq!(advised(&mem, 8 * HUGE_PAGE_BYTES), thp);
}
