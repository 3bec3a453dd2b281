//! The initial process stack, laid out exactly as Linux's `create_elf_tables`
//! does for riscv64, so glibc's startup code and the dynamic linker find
//! `argc`, `argv`, `envp` and the auxiliary vector where they expect them.
//!
//! Building the image is pure (bytes plus the final `sp`), so its layout is
//! unit-tested without guest memory; [`crate::loader`] copies it in.
//!
//! Layout, from high addresses down:
//! ```text
//! top - 8          8 zero bytes (end marker)
//!                  execfn string, then envp strings, then argv strings (descending)
//!                  16 AT_RANDOM bytes (16-byte aligned)
//!                  padding to make the final sp 16-byte aligned
//!                  auxv pairs ... AT_NULL 0
//!                  NULL, envp[envc-1] ... envp[0]
//!                  NULL, argv[argc-1] ... argv[0]
//! sp ->            argc
//! ```

use crate::elf::LoadError;

/// Auxiliary vector keys (`<linux/auxvec.h>`).
pub mod at {
    /// End of the vector.
    pub const NULL: u64 = 0;
    /// Program headers of the main program.
    pub const PHDR: u64 = 3;
    /// Size of one program header.
    pub const PHENT: u64 = 4;
    /// Number of program headers.
    pub const PHNUM: u64 = 5;
    /// Page size.
    pub const PAGESZ: u64 = 6;
    /// Interpreter load address (0 without one).
    pub const BASE: u64 = 7;
    /// Flags (0).
    pub const FLAGS: u64 = 8;
    /// Main program entry point.
    pub const ENTRY: u64 = 9;
    /// Real uid.
    pub const UID: u64 = 11;
    /// Effective uid.
    pub const EUID: u64 = 12;
    /// Real gid.
    pub const GID: u64 = 13;
    /// Effective gid.
    pub const EGID: u64 = 14;
    /// CPU capability bits.
    pub const HWCAP: u64 = 16;
    /// Clock ticks per second for times(2).
    pub const CLKTCK: u64 = 17;
    /// Secure mode (setuid).
    pub const SECURE: u64 = 23;
    /// Address of 16 random bytes.
    pub const RANDOM: u64 = 25;
    /// Address of the executed file name.
    pub const EXECFN: u64 = 31;
    /// Minimal signal stack size.
    pub const MINSIGSTKSZ: u64 = 51;
}

/// AT_HWCAP for RV64IMAFDC: bit (letter - 'A') for each base extension.
pub const HWCAP_IMAFDC: u64 = {
    let mut bits = 0u64;
    let letters = b"IMAFDC";
    let mut i = 0;
    while i < letters.len() {
        bits |= 1 << (letters[i] - b'A');
        i += 1;
    }
    bits
};

/// Size of the riscv64 signal frame without vector state (siginfo +
/// ucontext with the Q-extension FP area), rounded to 16: what the kernel
/// reports as AT_MINSIGSTKSZ.
pub const MINSIGSTKSZ: u64 = 1088;

/// Facts about the loaded program that go into the auxiliary vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuxInfo {
    /// Guest address of the main program's program headers.
    pub phdr: u64,
    /// Number of program headers.
    pub phnum: u64,
    /// Interpreter base, or 0.
    pub base: u64,
    /// Main program entry (after relocation).
    pub entry: u64,
    /// Real and effective uid, real and effective gid.
    pub ids: [u64; 4],
    /// The 16 bytes AT_RANDOM points to.
    pub random: [u8; 16],
}

/// A built stack: `bytes` go at guest address `sp`, ending at the stack top.
#[derive(Clone, Debug)]
pub struct StackImage {
    /// Initial stack pointer (16-byte aligned), where `argc` lives.
    pub sp: u64,
    /// Contents of `[sp, top)`.
    pub bytes: Vec<u8>,
}

/// Lay out the stack below `top` (which must be 16-byte aligned), using at
/// most `limit` bytes.
pub fn build(
    top: u64,
    limit: u64,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    aux: &AuxInfo,
) -> Result<StackImage, LoadError> {
    let strings_len: u64 = argv
        .iter()
        .chain(envp)
        .chain(std::iter::once(&execfn.to_vec()))
        .map(|s| s.len() as u64 + 1)
        .sum();
    let words = 1 + argv.len() as u64 + 1 + envp.len() as u64 + 1 + 2 * AUXV_ENTRIES;
    let needed = 8 + strings_len + 16 + 32 + words * 8;
    if needed > limit || needed > top {
        return Err(LoadError::StackOverflow {
            bytes: needed,
            limit,
        });
    }

    // Strings, top-down: end marker, execfn, envp (last first), argv (last first),
    // so that in ascending memory order they read argv..., envp..., execfn.
    let mut p = top - 8;
    let mut place = |s: &[u8], out: &mut Vec<(u64, Vec<u8>)>| {
        p -= s.len() as u64 + 1;
        let mut z = s.to_vec();
        z.push(0);
        out.push((p, z));
        p
    };
    let mut blobs: Vec<(u64, Vec<u8>)> = Vec::new();
    let execfn_addr = place(execfn, &mut blobs);
    let mut env_addrs: Vec<u64> = envp.iter().rev().map(|s| place(s, &mut blobs)).collect();
    env_addrs.reverse();
    let mut arg_addrs: Vec<u64> = argv.iter().rev().map(|s| place(s, &mut blobs)).collect();
    arg_addrs.reverse();

    let random_addr = (p & !15) - 16;
    blobs.push((random_addr, aux.random.to_vec()));

    let auxv = [
        (at::HWCAP, HWCAP_IMAFDC),
        (at::PAGESZ, vm_mem::PAGE_SIZE),
        (at::CLKTCK, 100),
        (at::PHDR, aux.phdr),
        (at::PHENT, crate::elf::PHENT_SIZE),
        (at::PHNUM, aux.phnum),
        (at::BASE, aux.base),
        (at::FLAGS, 0),
        (at::ENTRY, aux.entry),
        (at::UID, aux.ids[0]),
        (at::EUID, aux.ids[1]),
        (at::GID, aux.ids[2]),
        (at::EGID, aux.ids[3]),
        (at::SECURE, 0),
        (at::RANDOM, random_addr),
        (at::EXECFN, execfn_addr),
        (at::MINSIGSTKSZ, MINSIGSTKSZ),
        (at::NULL, 0),
    ];
    debug_assert_eq!(auxv.len() as u64, AUXV_ENTRIES);
    let mut table: Vec<u64> = Vec::with_capacity(words as usize);
    table.push(argv.len() as u64);
    table.extend(&arg_addrs);
    table.push(0);
    table.extend(&env_addrs);
    table.push(0);
    for (k, v) in auxv {
        table.push(k);
        table.push(v);
    }
    let sp = (random_addr - table.len() as u64 * 8) & !15;

    let mut bytes = vec![0u8; (top - sp) as usize];
    for (i, w) in table.iter().enumerate() {
        let off = i * 8;
        bytes[off..off + 8].copy_from_slice(&w.to_le_bytes());
    }
    for (addr, blob) in blobs {
        let off = (addr - sp) as usize;
        bytes[off..off + blob.len()].copy_from_slice(&blob);
    }
    Ok(StackImage { sp, bytes })
}

/// Number of (key, value) pairs [`build`] writes, AT_NULL included.
const AUXV_ENTRIES: u64 = 18;

/// The auxiliary vector (key/value pairs up to and including AT_NULL, as
/// raw little-endian words) of the initial stack at `sp`, which points at
/// argc: what `/proc/self/auxv` shows. Empty if the stack is unreadable.
pub fn auxv_at(mem: &vm_mem::GuestMemory, sp: u64) -> Vec<u8> {
    /// Most words scanned (argv, envp and auxv together).
    const WORDS_MAX: u64 = 1 << 16;
    let word = |a: u64| mem.load(a, 8).ok();
    let mut at = sp + 8;
    // Skip argv and envp, each ending in a NULL.
    for _ in 0..2 {
        loop {
            match word(at) {
                Some(0) => break,
                Some(_) if at < sp + 8 * WORDS_MAX => at += 8,
                _ => return Vec::new(),
            }
        }
        at += 8;
    }
    let mut out = Vec::new();
    while at < sp + 8 * WORDS_MAX {
        let (Some(k), Some(v)) = (word(at), word(at + 8)) else {
            return Vec::new();
        };
        out.extend_from_slice(&k.to_le_bytes());
        out.extend_from_slice(&v.to_le_bytes());
        if k == 0 {
            break;
        }
        at += 16;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(img: &StackImage, addr: u64) -> u64 {
        let off = (addr - img.sp) as usize;
        u64::from_le_bytes(img.bytes[off..off + 8].try_into().unwrap())
    }

    fn cstr(img: &StackImage, addr: u64) -> Vec<u8> {
        let off = (addr - img.sp) as usize;
        img.bytes[off..]
            .iter()
            .take_while(|&&b| b != 0)
            .copied()
            .collect()
    }

    fn aux() -> AuxInfo {
        AuxInfo {
            phdr: 0x10040,
            phnum: 7,
            base: 0x2000000000,
            entry: 0x10100,
            ids: [1000, 1001, 1002, 1003],
            random: *b"0123456789abcdef",
        }
    }

    #[test]
    fn hwcap_has_exactly_imafdc() {
        for (i, letter) in (b'A'..=b'Z').enumerate() {
            let expected = b"IMAFDC".contains(&letter);
            assert_eq!(HWCAP_IMAFDC & (1 << i) != 0, expected, "{}", letter as char);
        }
    }

    #[test]
    fn layout_matches_linux() {
        let top = 0x4000000000;
        let argv = vec![b"./prog".to_vec(), b"-x".to_vec(), b"".to_vec()];
        let envp = vec![b"A=1".to_vec(), b"PATH=/bin".to_vec()];
        let img = build(top, 1 << 20, &argv, &envp, b"./prog", &aux()).unwrap();
        assert_eq!(img.sp % 16, 0);
        assert_eq!(img.sp + img.bytes.len() as u64, top);
        let mut a = img.sp;
        assert_eq!(word(&img, a), 3);
        a += 8;
        for s in &argv {
            assert_eq!(&cstr(&img, word(&img, a)), s);
            a += 8;
        }
        assert_eq!(word(&img, a), 0);
        a += 8;
        for s in &envp {
            assert_eq!(&cstr(&img, word(&img, a)), s);
            a += 8;
        }
        assert_eq!(word(&img, a), 0);
        a += 8;
        let mut auxv = std::collections::HashMap::new();
        loop {
            let (k, v) = (word(&img, a), word(&img, a + 8));
            a += 16;
            if k == at::NULL {
                break;
            }
            assert!(auxv.insert(k, v).is_none(), "duplicate key {k}");
        }
        assert_eq!(auxv[&at::PHDR], 0x10040);
        assert_eq!(auxv[&at::PHENT], 56);
        assert_eq!(auxv[&at::PHNUM], 7);
        assert_eq!(auxv[&at::PAGESZ], 4096);
        assert_eq!(auxv[&at::BASE], 0x2000000000);
        assert_eq!(auxv[&at::ENTRY], 0x10100);
        assert_eq!(auxv[&at::UID], 1000);
        assert_eq!(auxv[&at::EUID], 1001);
        assert_eq!(auxv[&at::GID], 1002);
        assert_eq!(auxv[&at::EGID], 1003);
        assert_eq!(auxv[&at::CLKTCK], 100);
        assert_eq!(auxv[&at::SECURE], 0);
        assert_eq!(auxv[&at::HWCAP], HWCAP_IMAFDC);
        let r = auxv[&at::RANDOM];
        assert_eq!(r % 16, 0);
        let off = (r - img.sp) as usize;
        assert_eq!(&img.bytes[off..off + 16], b"0123456789abcdef");
        assert_eq!(cstr(&img, auxv[&at::EXECFN]), b"./prog");
        // The strings lie above the tables, the end marker is zero.
        assert!(auxv[&at::RANDOM] >= a);
        assert_eq!(word(&img, top - 8), 0);
        // argv strings come first in memory, execfn last.
        assert!(word(&img, img.sp + 8) < auxv[&at::EXECFN]);
    }

    #[test]
    fn sp_aligned_for_every_argc() {
        for n in 0..6 {
            let argv: Vec<Vec<u8>> = (0..n).map(|i| vec![b'a'; i + 1]).collect();
            let img = build(0x4000000000, 1 << 20, &argv, &[], b"p", &aux()).unwrap();
            assert_eq!(img.sp % 16, 0, "argc {n}");
            assert_eq!(word(&img, img.sp), n as u64);
        }
    }

    #[test]
    fn too_large_is_an_error() {
        let argv = vec![vec![b'x'; 5000]];
        let e = build(0x4000000000, 4096, &argv, &[], b"p", &aux()).unwrap_err();
        assert!(
            matches!(e, LoadError::StackOverflow { limit: 4096, .. }),
            "{e}"
        );
    }
}
