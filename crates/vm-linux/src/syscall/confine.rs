//! `--fs-root DIR`: the guest sees DIR as `/`.
//!
//! Why this way: rewriting path strings cannot confine a guest (`..`,
//! symlinks — absolute or relative — and races defeat any prefix check).
//! The host kernel can: `openat2(2)` with `RESOLVE_IN_ROOT` resolves a
//! path as if DIR were the root, `..` and symlinks included. So every
//! guest path becomes an absolute guest path (relative paths are joined
//! to the guest view of their directory: the cwd or the `dirfd`), which is
//! resolved from DIR with `openat2` into an `O_PATH` descriptor:
//!
//! - calls that follow the last component (stat, access, chdir, chmod,
//!   truncate, execve...) operate on the resolved object itself, named
//!   `/proc/self/fd/N` (which the kernel follows to exactly that object);
//! - calls that act on the last component itself (unlink, mkdir, rename,
//!   readlink, lstat, symlink...) resolve its parent directory and act on
//!   the plain last name relative to it (`*at` calls), which cannot leave
//!   the parent;
//! - openat is an `openat2` from DIR with the guest's flags.
//!
//! The guest's cwd is a host directory inside DIR; `getcwd` reports it
//! with DIR stripped. Magic links (`/proc/self/fd/..`, if DIR holds a
//! procfs) are not followed for the guest.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use vm_mem::{Errno, GuestMemory, Perm};

use super::Linux;
use super::host::{HostPtr, SysResult, guest_cstr, guest_ptr, host_sys, put};

const ENOENT: Errno = Errno(libc::ENOENT);

/// How guest paths are resolved: inside the root, no magic links.
const RESOLVE: u64 = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;

/// A guest path made ready for a host `*at` call: `(dirfd, path)`, and the
/// descriptor that `dirfd` or `path` refers to, kept open until the call.
#[derive(Debug)]
pub struct AtPath {
    /// The host `dirfd` argument.
    pub dirfd: i32,
    /// The host path argument.
    pub path: CString,
    /// Keeps the resolved descriptor open.
    _keep: Option<OwnedFd>,
}

impl AtPath {
    /// A path passed through unchanged.
    fn plain(dirfd: i32, path: CString) -> AtPath {
        AtPath {
            dirfd,
            path,
            _keep: None,
        }
    }
}

/// `openat2(dirfd, path, how)` for a new descriptor.
fn openat2(dirfd: i32, path: &CString, flags: u64, mode: u64) -> Result<OwnedFd, Errno> {
    // SAFETY: open_how is plain data; all-zero is a valid value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = flags;
    how.mode = mode;
    how.resolve = RESOLVE;
    let size = std::mem::size_of::<libc::open_how>();
    let fd = host_sys!(libc::SYS_openat2, dirfd, path, HostPtr::to(&mut how), size)?;
    // SAFETY: the kernel just returned this new descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The root directory as a fresh `O_PATH` descriptor.
fn open_root(root: &Path) -> Result<OwnedFd, Errno> {
    let c = CString::new(root.as_os_str().as_bytes()).map_err(|_| ENOENT)?;
    let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
    let fd = host_sys!(libc::SYS_openat, libc::AT_FDCWD, &c, flags, 0u32)?;
    // SAFETY: the kernel just returned this new descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The guest's view of host path `host` (inside `root`), or None if it is
/// outside.
pub fn guest_view(root: &Path, host: &[u8]) -> Option<Vec<u8>> {
    let r = root.as_os_str().as_bytes();
    let r = r.strip_suffix(b"/").unwrap_or(r);
    let rest = host.strip_prefix(r)?;
    if rest.is_empty() {
        return Some(b"/".to_vec());
    }
    rest.starts_with(b"/").then(|| rest.to_vec())
}

/// The host path of the directory `dirfd` (AT_FDCWD: the cwd).
fn host_dir(dirfd: i32) -> Result<Vec<u8>, Errno> {
    let p = if dirfd == libc::AT_FDCWD {
        std::env::current_dir()
    } else {
        std::fs::read_link(format!("/proc/self/fd/{dirfd}"))
    };
    match p {
        Ok(p) => Ok(p.as_os_str().as_bytes().to_vec()),
        Err(e) => Err(Errno(e.raw_os_error().unwrap_or(libc::EBADF))),
    }
}

/// `path` as an absolute guest path: relative paths are joined to the
/// guest view of `dirfd`'s directory.
fn absolute(root: &Path, dirfd: i32, path: &[u8]) -> Result<Vec<u8>, Errno> {
    if path.starts_with(b"/") {
        return Ok(path.to_vec());
    }
    let mut dir = guest_view(root, &host_dir(dirfd)?).ok_or(ENOENT)?;
    if !dir.ends_with(b"/") {
        dir.push(b'/');
    }
    dir.extend_from_slice(path);
    Ok(dir)
}

/// Split an absolute path into its parent and last component (trailing
/// slashes dropped); None if there is no plain last name (`/`, `.`, `..`).
fn split_last(path: &[u8]) -> Option<(&[u8], &[u8])> {
    let trimmed = {
        let mut end = path.len();
        while end > 1 && path[end - 1] == b'/' {
            end -= 1;
        }
        &path[..end]
    };
    let cut = trimmed.iter().rposition(|&c| c == b'/')?;
    let (parent, last) = (&trimmed[..cut.max(1)], &trimmed[cut + 1..]);
    if last.is_empty() || last == b"." || last == b".." {
        return None;
    }
    Some((parent, last))
}

fn cstring(b: &[u8]) -> Result<CString, Errno> {
    CString::new(b).map_err(|_| Errno(libc::EINVAL))
}

/// Resolve guest `path` (relative to guest `dirfd`) inside `root`.
/// `follow`: whether a symlink in the last component is followed.
pub fn resolve(root: &Path, dirfd: i32, path: &[u8], follow: bool) -> Result<AtPath, Errno> {
    if path.is_empty() {
        // AT_EMPTY_PATH acts on the descriptor itself; otherwise ENOENT.
        return Ok(AtPath::plain(dirfd, cstring(path)?));
    }
    let abs = absolute(root, dirfd, path)?;
    let rootfd = open_root(root)?;
    let o_path = (libc::O_PATH | libc::O_CLOEXEC) as u64;
    if !follow && let Some((parent, last)) = split_last(&abs) {
        let dir = openat2(
            rootfd.as_raw_fd(),
            &cstring(parent)?,
            o_path | libc::O_DIRECTORY as u64,
            0,
        )?;
        return Ok(AtPath {
            dirfd: dir.as_raw_fd(),
            path: cstring(last)?,
            _keep: Some(dir),
        });
    }
    let fd = openat2(rootfd.as_raw_fd(), &cstring(&abs)?, o_path, 0)?;
    if follow {
        Ok(AtPath {
            dirfd: libc::AT_FDCWD,
            path: cstring(format!("/proc/self/fd/{}", fd.as_raw_fd()).as_bytes())?,
            _keep: Some(fd),
        })
    } else {
        // `/`, `.` or `..` last: the directory itself, which is inside.
        Ok(AtPath {
            dirfd: fd.as_raw_fd(),
            path: cstring(b".")?,
            _keep: Some(fd),
        })
    }
}

/// openat(dirfd, path, flags, mode) inside `root`.
pub fn open(root: &Path, dirfd: i32, path: &[u8], flags: i32, mode: u32) -> SysResult {
    if path.is_empty() {
        return Err(ENOENT);
    }
    let abs = absolute(root, dirfd, path)?;
    let rootfd = open_root(root)?;
    // openat2 refuses a mode without O_CREAT/O_TMPFILE, where open ignores it.
    let creating = flags & libc::O_CREAT != 0 || flags & libc::O_TMPFILE == libc::O_TMPFILE;
    let mode = if creating {
        u64::from(mode & 0o7777)
    } else {
        0
    };
    let fd = openat2(
        rootfd.as_raw_fd(),
        &cstring(&abs)?,
        flags as u32 as u64,
        mode,
    )?;
    // The guest owns the descriptor now.
    Ok(std::os::fd::IntoRawFd::into_raw_fd(fd) as u64)
}

impl Linux {
    /// The guest path at `addr`, relative to guest `dirfd`, ready for a
    /// host `*at` call: under `--fs-root` resolved inside the root (see the
    /// module doc), else looked up as [`Linux::host_path`] says.
    pub(super) fn at_path(
        &self,
        mem: &GuestMemory,
        dirfd: u64,
        addr: u64,
        follow: bool,
    ) -> Result<AtPath, Errno> {
        let raw = guest_cstr(mem, addr)?;
        self.at_path_of(dirfd as i32, raw, follow)
    }

    /// [`Linux::at_path`] for a path already read.
    pub(super) fn at_path_of(
        &self,
        dirfd: i32,
        raw: CString,
        follow: bool,
    ) -> Result<AtPath, Errno> {
        let Some(root) = &self.cfg.sandbox.fs_root else {
            return Ok(AtPath::plain(dirfd, self.host_path(raw)));
        };
        let bytes = if super::is_proc_self_exe(&raw) {
            cstring(self.cfg.exe_path.as_os_str().as_bytes())?
        } else {
            raw
        };
        resolve(root, dirfd, bytes.as_bytes(), follow)
    }

    /// The host path of the file guest path `raw` names (following
    /// symlinks), for the VM to open itself (execve's program and
    /// interpreter).
    pub(super) fn host_file(&self, raw: CString) -> Result<CString, Errno> {
        if self.cfg.sandbox.fs_root.is_none() {
            return Ok(self.host_path(raw));
        }
        let at = self.at_path_of(libc::AT_FDCWD, raw, true)?;
        let real = std::fs::read_link(Path::new(std::ffi::OsStr::from_bytes(at.path.as_bytes())))
            .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::ENOENT)))?;
        cstring(real.as_os_str().as_bytes())
    }

    /// getcwd: under `--fs-root`, the cwd as the guest sees it.
    pub(super) fn getcwd(&self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let Some(root) = &self.cfg.sandbox.fs_root else {
            let p = guest_ptr(mem, a[0], a[1], Perm::W)?;
            return host_sys!(libc::SYS_getcwd, p, a[1]);
        };
        let mut view = guest_view(root, &host_dir(libc::AT_FDCWD)?).ok_or(ENOENT)?;
        view.push(0);
        if view.len() as u64 > a[1] {
            return Err(Errno(libc::ERANGE));
        }
        put(mem, a[0], &view)?;
        Ok(view.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_view_strips_the_root() {
        let root = Path::new("/srv/root");
        assert_eq!(guest_view(root, b"/srv/root"), Some(b"/".to_vec()));
        assert_eq!(guest_view(root, b"/srv/root/a/b"), Some(b"/a/b".to_vec()));
        assert_eq!(guest_view(root, b"/srv/rootx"), None);
        assert_eq!(guest_view(root, b"/etc"), None);
        assert_eq!(guest_view(Path::new("/"), b"/etc"), Some(b"/etc".to_vec()));
    }

    #[test]
    fn last_component_split() {
        assert_eq!(split_last(b"/a/b"), Some((&b"/a"[..], &b"b"[..])));
        assert_eq!(split_last(b"/a/b//"), Some((&b"/a"[..], &b"b"[..])));
        assert_eq!(split_last(b"/a"), Some((&b"/"[..], &b"a"[..])));
        assert_eq!(split_last(b"/"), None);
        assert_eq!(split_last(b"/a/.."), None);
        assert_eq!(split_last(b"/a/."), None);
    }

    /// The escapes of the issue, resolved from a real directory: `..`,
    /// absolute paths and symlinks (absolute and relative) stay inside.
    #[test]
    fn escapes_stay_inside_the_root() {
        let base = std::env::temp_dir().join(format!("vm-confine-{}", std::process::id()));
        let root = base.join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap_or_default();
        std::fs::write(root.join("etc/passwd"), b"inner").unwrap_or_default();
        std::fs::write(base.join("outside"), b"outer").unwrap_or_default();
        let _ = std::os::unix::fs::symlink("/etc/passwd", root.join("abs"));
        let _ = std::os::unix::fs::symlink("../../..", root.join("up"));
        let _ = std::os::unix::fs::symlink("../outside", root.join("rel"));
        let root = root.canonicalize().unwrap_or_default();
        let read = |p: &str| -> Result<Vec<u8>, Errno> {
            let fd = open(&root, libc::AT_FDCWD, p.as_bytes(), libc::O_RDONLY, 0)?;
            // SAFETY: `open` returned a new descriptor that we now own.
            let f = unsafe { std::fs::File::from_raw_fd(fd as i32) };
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut &f, &mut v).map_err(|_| Errno(libc::EIO))?;
            Ok(v)
        };
        assert_eq!(read("/etc/passwd"), Ok(b"inner".to_vec()));
        assert_eq!(read("/../../etc/passwd"), Ok(b"inner".to_vec()));
        assert_eq!(read("/abs"), Ok(b"inner".to_vec()));
        assert_eq!(read("/up/etc/passwd"), Ok(b"inner".to_vec()));
        assert_eq!(read("/rel"), Err(ENOENT));
        let at = resolve(&root, libc::AT_FDCWD, b"/up/x/y", false);
        assert!(at.is_err(), "parent /up/x does not exist inside");
        std::fs::remove_dir_all(&base).unwrap_or_default();
    }
}
