//! The parts of /proc that must describe the guest, not the VM: reading
//! the host's `/proc/self/maps` would show the VM's own memory (glibc reads
//! it to find the main thread's stack), `cmdline` the `vm run ...` command,
//! `auxv` the host's vector, `cpuinfo` the host's x86 CPUs. Such files are
//! generated and handed to the guest as an anonymous in-memory file. Also
//! here: `riscv_hwprobe`, the other way a program asks what the hart is.

use std::ffi::CString;

use vm_mem::{Errno, GuestMemory, Mapping};

use super::Linux;
use super::host::{SysResult, host_sys};

/// One `/proc/<pid>/maps` line, in the kernel's format.
pub fn maps_line(m: &Mapping) -> String {
    let p = |bit: u8, c: char| if m.perm.0 & bit != 0 { c } else { '-' };
    let mut line = format!(
        "{:08x}-{:08x} {}{}{}{} {:08x} 00:00 0",
        m.start,
        m.end,
        p(1, 'r'),
        p(2, 'w'),
        p(4, 'x'),
        if m.shared { 's' } else { 'p' },
        m.offset
    );
    if !m.name.is_empty() {
        // The kernel pads the name to column 73.
        let width = 73usize.saturating_sub(line.len()).max(1);
        line.push_str(&" ".repeat(width));
        line.push_str(&m.name);
    }
    line.push('\n');
    line
}

impl Linux {
    /// Contents of a generated /proc file at `path`, if it is one.
    fn proc_file(&self, path: &[u8], mem: &GuestMemory) -> Option<Vec<u8>> {
        if path == b"/proc/cpuinfo" {
            return Some(cpuinfo(host_cpus()).into_bytes());
        }
        let own = format!("/proc/{}/", self.pid);
        let file = path
            .strip_prefix(b"/proc/self/")
            .or_else(|| path.strip_prefix(own.as_bytes()))
            .or_else(|| path.strip_prefix(b"/proc/thread-self/"))?;
        match file {
            b"maps" => {
                let text: String = mem.mappings().iter().map(maps_line).collect();
                Some(text.into_bytes())
            }
            b"cmdline" => Some(self.cfg.cmdline.clone()),
            b"auxv" => Some(self.cfg.auxv.clone()),
            _ => None,
        }
    }

    /// If `path` is a generated /proc file, an fd open on its contents.
    pub(super) fn open_proc(
        &self,
        path: &[u8],
        flags: i32,
        mem: &GuestMemory,
    ) -> Option<SysResult> {
        let contents = self.proc_file(path, mem)?;
        Some(memfd_with(&contents, flags & libc::O_CLOEXEC != 0))
    }
}

/// Number of host CPUs this process may run on (at least 1).
fn host_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// ISA string of the emulated hart, as Linux prints it.
pub const ISA: &str = "rv64imafdc_zicntr_zicsr_zifencei_zba_zbb_zbs";

/// `/proc/cpuinfo` for `n` RISC-V harts, in the kernel's format.
pub fn cpuinfo(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "processor\t: {i}\nhart\t\t: {i}\nisa\t\t: {ISA}\nmmu\t\t: sv39\n\
                 mvendorid\t: 0x0\nmarchid\t\t: 0x0\nmimpid\t\t: 0x0\n\n"
            )
        })
        .collect()
}

/// `struct riscv_hwprobe` keys and values (`<asm/hwprobe.h>`).
mod hwprobe_keys {
    pub const MVENDORID: i64 = 0;
    pub const MARCHID: i64 = 1;
    pub const MIMPID: i64 = 2;
    pub const BASE_BEHAVIOR: i64 = 3;
    pub const BASE_BEHAVIOR_IMA: u64 = 1;
    pub const IMA_EXT_0: i64 = 4;
    pub const IMA_FD: u64 = 1 << 0;
    pub const IMA_C: u64 = 1 << 1;
    pub const EXT_ZBA: u64 = 1 << 3;
    pub const EXT_ZBB: u64 = 1 << 4;
    pub const EXT_ZBS: u64 = 1 << 5;
    pub const CPUPERF_0: i64 = 5;
    /// Misaligned accesses work (emulated in the VM).
    pub const MISALIGNED_EMULATED: u64 = 1;
}

/// The value of hwprobe key `key`, or `None` for a key this kernel
/// does not know (answered as key -1, value 0).
pub fn hwprobe_value(key: i64) -> Option<u64> {
    use hwprobe_keys::*;
    match key {
        MVENDORID | MARCHID | MIMPID => Some(0),
        BASE_BEHAVIOR => Some(BASE_BEHAVIOR_IMA),
        IMA_EXT_0 => Some(IMA_FD | IMA_C | EXT_ZBA | EXT_ZBB | EXT_ZBS),
        CPUPERF_0 => Some(MISALIGNED_EMULATED),
        _ => None,
    }
}

/// riscv_hwprobe(pairs, pair_count, cpusetsize, cpus, flags): fill in each
/// `{key, value}` pair (all harts are alike, so the CPU set only matters
/// for its validity).
pub(super) fn riscv_hwprobe(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    use super::host::{get, put};
    let (pairs, count, flags) = (a[0], a[1], a[4]);
    if flags != 0 {
        return Err(Errno(libc::EINVAL));
    }
    for i in 0..count {
        let at = pairs.wrapping_add(16 * i);
        let key: [u8; 8] = get(mem, at)?;
        let key = i64::from_le_bytes(key);
        let (k, v) = match hwprobe_value(key) {
            Some(v) => (key, v),
            None => (-1, 0),
        };
        put(mem, at, &k.to_le_bytes())?;
        put(mem, at + 8, &v.to_le_bytes())?;
    }
    Ok(0)
}

/// A read-only-by-convention memfd holding `bytes`, positioned at 0.
fn memfd_with(bytes: &[u8], cloexec: bool) -> SysResult {
    let name = CString::new("vm-proc").map_err(|_| Errno(libc::EINVAL))?;
    let flags = if cloexec { libc::MFD_CLOEXEC } else { 0 };
    let fd = host_sys!(libc::SYS_memfd_create, &name, flags)? as i32;
    let mut done = 0;
    while done < bytes.len() {
        let chunk = &bytes[done..];
        // SAFETY: `chunk` is a live host slice of `chunk.len()` bytes.
        let n = unsafe { libc::write(fd, chunk.as_ptr().cast(), chunk.len()) };
        if n <= 0 {
            let e = super::host::last_errno();
            host_sys!(libc::SYS_close, fd).ok();
            return Err(e);
        }
        done += n as usize;
    }
    host_sys!(libc::SYS_lseek, fd, 0i64, libc::SEEK_SET)?;
    Ok(fd as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm_mem::Perm;

    #[test]
    fn cpuinfo_describes_each_hart() {
        let text = cpuinfo(2);
        assert_eq!(text.matches("processor\t: ").count(), 2);
        assert!(text.contains("hart\t\t: 1\n"));
        assert!(text.contains("isa\t\t: rv64imafdc"));
        assert!(text.contains("_zba_zbb_zbs\n"));
    }

    #[test]
    fn hwprobe_reports_ima_fd_c_and_bitmanip() {
        assert_eq!(hwprobe_value(3), Some(1));
        assert_eq!(hwprobe_value(4), Some(0b11_1011));
        assert_eq!(hwprobe_value(99), None);
    }

    #[test]
    fn lines_match_the_kernel_format() {
        let m = Mapping {
            start: 0x10000,
            end: 0x72000,
            perm: Perm::RX,
            shared: false,
            offset: 0,
            name: "/bin/prog".into(),
        };
        let line = maps_line(&m);
        assert_eq!(
            &line[..73],
            format!("{:<73}", "00010000-00072000 r-xp 00000000 00:00 0")
        );
        assert!(line.ends_with(" /bin/prog\n"));
        let anon = Mapping {
            name: String::new(),
            shared: true,
            perm: Perm::RW,
            ..m
        };
        assert_eq!(
            maps_line(&anon),
            "00010000-00072000 rw-s 00000000 00:00 0\n"
        );
    }
}
