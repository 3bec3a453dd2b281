//! `--strace`: one line per system call on stderr, in qemu's style:
//! `<pid> name(arg,arg,...) = result`, paths quoted, pointers in hex, errors
//! as `-1 errno=N (message)`. The call is printed before it runs and the
//! result after, as qemu does, so output the call itself makes lands between.

use vm_mem::GuestMemory;

use crate::syscall::host::SysResult;
use crate::syscall::nr::{self, Arg};

/// Longest string printed for a path argument.
const STR_MAX: usize = 256;

/// `<pid> name(args)` for call `n` with arguments `a`.
pub fn format_call(pid: i32, n: u64, a: &[u64; 6], mem: &GuestMemory) -> String {
    match nr::info(n) {
        None => format!("{pid} Unknown syscall {n}"),
        Some(info) => {
            let args: Vec<String> = info
                .args
                .iter()
                .zip(a)
                .map(|(&kind, &v)| format_arg(kind, v, Some(mem)))
                .collect();
            format!("{pid} {}({})", info.name, args.join(","))
        }
    }
}

/// One argument; `Path` arguments are read from `mem` when given.
pub fn format_arg(kind: Arg, v: u64, mem: Option<&GuestMemory>) -> String {
    match kind {
        Arg::Int => (v as i64).to_string(),
        Arg::Hex => format!("{v:#x}"),
        Arg::Oct => format!("0{:o}", v as u32),
        Arg::Fd if v as i32 == -100 => "AT_FDCWD".into(),
        Arg::Fd => (v as i32).to_string(),
        Arg::Ptr if v == 0 => "NULL".into(),
        Arg::Ptr => format!("{v:#x}"),
        Arg::Path if v == 0 => "NULL".into(),
        Arg::Path => match mem.map(|m| m.read_cstr(v, STR_MAX)) {
            Some(Ok(bytes)) => quote(&bytes, bytes.len() >= STR_MAX),
            _ => format!("{v:#x}"),
        },
    }
}

/// A byte string as a C-style quoted literal.
fn quote(bytes: &[u8], truncated: bool) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    s.push('"');
    if truncated {
        s.push_str("...");
    }
    s
}

/// ` = result` for call `n`.
pub fn format_result(n: u64, r: SysResult) -> String {
    match r {
        Ok(v) if matches!(n, nr::MMAP | nr::BRK | nr::MREMAP) => format!(" = {v:#x}"),
        Ok(v) => format!(" = {}", v as i64),
        Err(e) => {
            let msg = std::io::Error::from_raw_os_error(e.0).to_string();
            let msg = msg
                .split(" (os error")
                .next()
                .unwrap_or_default()
                .to_string();
            format!(" = -1 errno={} ({msg})", e.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm_mem::Errno;

    #[test]
    fn arguments() {
        assert_eq!(format_arg(Arg::Fd, (-100i64) as u64, None), "AT_FDCWD");
        assert_eq!(format_arg(Arg::Fd, 3, None), "3");
        assert_eq!(format_arg(Arg::Int, u64::MAX, None), "-1");
        assert_eq!(format_arg(Arg::Ptr, 0, None), "NULL");
        assert_eq!(format_arg(Arg::Ptr, 0x1000, None), "0x1000");
        assert_eq!(format_arg(Arg::Oct, 0o644, None), "0644");
        assert_eq!(format_arg(Arg::Path, 0x1234, None), "0x1234");
    }

    #[test]
    fn results() {
        assert_eq!(format_result(nr::WRITE, Ok(13)), " = 13");
        assert_eq!(format_result(nr::MMAP, Ok(0x4000)), " = 0x4000");
        assert_eq!(
            format_result(nr::OPENAT, Err(Errno(libc::ENOENT))),
            " = -1 errno=2 (No such file or directory)"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(b"a\"b\n\x01", false), "\"a\\\"b\\n\\001\"");
        assert_eq!(quote(b"abc", true), "\"abc\"...");
    }
}
