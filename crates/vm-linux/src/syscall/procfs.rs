//! The parts of /proc that must describe the guest, not the VM: reading
//! the host's `/proc/self/maps` would show the VM's own memory (glibc reads
//! it to find the main thread's stack). Such files are generated and
//! handed to the guest as an anonymous in-memory file.

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
        let own = format!("/proc/{}/maps", self.pid);
        if path == b"/proc/self/maps" || path == own.as_bytes() {
            let text: String = mem.mappings().iter().map(maps_line).collect();
            return Some(text.into_bytes());
        }
        None
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
