//! Calling host system calls with guest buffers, safely.
//!
//! Why this module exists: most guest system calls are passed through to the
//! host kernel with guest buffers translated to host pointers. Pointers enter
//! a host call only as a [`HostPtr`], which can only be made from a guest
//! range that [`GuestMemory::host_range`] validated (or as NULL), or from a
//! live host object. So the one `unsafe` call here can only hand the kernel
//! pointers into the guest arena (or to live host values); the kernel itself
//! checks the rest and reports EFAULT, never touching memory outside them.

use std::ffi::{CStr, CString};

use vm_mem::{Errno, GuestMemory, Perm};

/// Result of a system call: the value for `a0`, or a positive errno.
pub type SysResult = Result<u64, Errno>;

/// A host pointer the kernel may use: NULL, inside the guest arena for a
/// validated length, or to a live host object.
#[derive(Clone, Copy, Debug)]
pub struct HostPtr(*mut u8);

impl HostPtr {
    /// NULL.
    pub fn null() -> HostPtr {
        HostPtr(std::ptr::null_mut())
    }

    /// Whether this is NULL.
    pub fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// A pointer [`GuestMemory::host_range`] returned (inside the arena).
    pub fn from_guest(p: *mut u8) -> HostPtr {
        HostPtr(p)
    }

    /// A pointer to a live host value (valid for the duration of the call it is passed to).
    pub fn to<T>(v: &mut T) -> HostPtr {
        HostPtr((v as *mut T).cast())
    }

    /// A pointer to the first element of a live host slice.
    pub fn slice<T>(v: &mut [T]) -> HostPtr {
        HostPtr(v.as_mut_ptr().cast())
    }

    /// The raw pointer (for building host iovecs).
    pub fn raw(self) -> *mut u8 {
        self.0
    }
}

/// Something that can be passed as a host system call argument.
pub trait SysArg {
    /// As a machine word.
    fn word(&self) -> libc::c_long;
}

macro_rules! int_arg {
    ($($t:ty),*) => {$(
        impl SysArg for $t {
            fn word(&self) -> libc::c_long {
                *self as libc::c_long
            }
        }
    )*};
}
int_arg!(i32, u32, i64, u64, usize);

impl SysArg for HostPtr {
    fn word(&self) -> libc::c_long {
        self.0 as libc::c_long
    }
}

impl SysArg for &CStr {
    fn word(&self) -> libc::c_long {
        self.as_ptr() as libc::c_long
    }
}

impl SysArg for &CString {
    fn word(&self) -> libc::c_long {
        self.as_ptr() as libc::c_long
    }
}

/// The calling thread's errno after a failed libc call.
pub fn last_errno() -> Errno {
    Errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// Perform host system call `nr` with up to six arguments.
pub fn call(nr: libc::c_long, args: &[&dyn SysArg]) -> SysResult {
    let mut a = [0 as libc::c_long; 6];
    for (slot, arg) in a.iter_mut().zip(args) {
        *slot = arg.word();
    }
    // SAFETY: every argument is an integer or a `HostPtr`/C string, which by
    // construction is NULL, points into the guest arena (validated for the
    // length the caller passes alongside it), or to a live host value. The
    // kernel validates everything else and reports EFAULT/EINVAL, so the call
    // cannot write outside those objects.
    let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if r == -1 {
        Err(last_errno())
    } else {
        Ok(r as u64)
    }
}

/// `call` with arguments listed inline.
macro_rules! host_sys {
    ($nr:expr $(, $a:expr)* $(,)?) => {
        $crate::syscall::host::call($nr, &[$(&$a as &dyn $crate::syscall::host::SysArg),*])
    };
}
pub(crate) use host_sys;

const EFAULT: Errno = Errno(libc::EFAULT);

/// Host pointer to `len` guest bytes at `addr` with permission `need`;
/// guest NULL (or an empty range) becomes host NULL.
pub fn guest_ptr(mem: &GuestMemory, addr: u64, len: u64, need: Perm) -> Result<HostPtr, Errno> {
    if addr == 0 || len == 0 {
        return Ok(HostPtr::null());
    }
    mem.host_range(addr, len, need)
        .map(HostPtr)
        .map_err(|_| EFAULT)
}

/// As [`guest_ptr`], but if only a prefix of the range is accessible, the
/// prefix (as the kernel copies until the first fault). Returns the length.
pub fn guest_ptr_prefix(
    mem: &GuestMemory,
    addr: u64,
    len: u64,
    need: Perm,
) -> Result<(HostPtr, u64), Errno> {
    match guest_ptr(mem, addr, len, need) {
        Ok(p) => Ok((p, len)),
        Err(e) => match mem.host_range(addr, len, need) {
            Err(f) if f.addr > addr && f.addr - addr < len => {
                let n = f.addr - addr;
                guest_ptr(mem, addr, n, need).map(|p| (p, n))
            }
            _ => Err(e),
        },
    }
}

/// Longest path the guest may pass (PATH_MAX).
pub const PATH_MAX: usize = 4096;

/// A NUL-terminated guest string (a path), as a host C string.
pub fn guest_cstr(mem: &GuestMemory, addr: u64) -> Result<CString, Errno> {
    if addr == 0 {
        return Err(EFAULT);
    }
    let bytes = mem.read_cstr(addr, PATH_MAX).map_err(|_| EFAULT)?;
    if bytes.len() >= PATH_MAX {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    CString::new(bytes).map_err(|_| Errno(libc::EINVAL))
}

/// Copy `bytes` to guest memory at `addr` (needs W).
pub fn put(mem: &GuestMemory, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    mem.write_bytes(addr, bytes).map_err(|_| EFAULT)
}

/// Read `N` guest bytes at `addr` (needs R).
pub fn get<const N: usize>(mem: &GuestMemory, addr: u64) -> Result<[u8; N], Errno> {
    let mut b = [0u8; N];
    mem.read_bytes(addr, &mut b).map_err(|_| EFAULT)?;
    Ok(b)
}

/// Read a little-endian u64 from guest memory.
pub fn get_u64(mem: &GuestMemory, addr: u64) -> Result<u64, Errno> {
    get::<8>(mem, addr).map(u64::from_le_bytes)
}
