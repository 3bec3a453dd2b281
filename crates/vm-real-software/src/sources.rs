//! Where the C sources are: Lua, zstd and SQLite as shipped by the crates
//! `lua-src`, `zstd-sys` and `libsqlite3-sys`, which are dev-dependencies of
//! `vm-cli` only so that cargo downloads them. Their versions are read from
//! the exact pins in `crates/vm-cli/Cargo.toml` (the one place that says
//! which versions are used) and the unpacked crates are looked up in cargo's
//! registry (`$CARGO_HOME/registry/src/*/NAME-VERSION`). `cargo metadata`
//! would be the official route, but it needs every package of the whole
//! workspace downloaded, which fails while a teammate's new dependency is
//! not fetched yet.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};

/// The manifest (relative to the workspace root) whose dev-dependency pins
/// name the source versions.
pub const PIN_MANIFEST: &str = "crates/vm-cli/Cargo.toml";

/// Source directories of the three C code bases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// Directory holding the Lua library sources (`lapi.c`, ...).
    pub lua: PathBuf,
    /// zstd's `lib` directory.
    pub zstd: PathBuf,
    /// Directory holding the SQLite amalgamation `sqlite3.c`.
    pub sqlite: PathBuf,
}

/// One crate to find: its name and a file (relative to the crate root)
/// whose parent directory is the source directory wanted.
struct Wanted {
    package: &'static str,
    marker: &'static str,
}

const LUA: Wanted = Wanted {
    package: "lua-src",
    marker: "lua-5.5.1/lapi.c",
};
const ZSTD: Wanted = Wanted {
    package: "zstd-sys",
    marker: "zstd/lib/zstd.h",
};
const SQLITE: Wanted = Wanted {
    package: "libsqlite3-sys",
    marker: "sqlite3/sqlite3.c",
};

/// The exact version `manifest` pins for `package`, from a line
/// `package = { version = "=X", ... }`.
pub fn pinned_version(manifest: &str, package: &str) -> Option<String> {
    manifest.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(package)?.trim_start();
        let rest = rest.strip_prefix('=')?;
        let at = rest.find("version")?;
        let rest = rest[at + "version".len()..]
            .trim_start()
            .strip_prefix('=')?;
        let rest = rest.trim_start().strip_prefix('"')?;
        let value = &rest[..rest.find('"')?];
        Some(value.trim_start_matches('=').to_string())
    })
}

/// True when a registry directory name is `package-version`, possibly with
/// semver build metadata (`zstd-sys-2.1.3+zstd.1.5.7`).
pub fn is_package_dir(name: &str, package: &str, version: &str) -> bool {
    name.strip_prefix(package)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_prefix(version))
        .is_some_and(|r| r.is_empty() || r.starts_with('+'))
}

/// cargo's registry source directory: `$CARGO_HOME/registry/src`.
pub fn registry_src() -> Result<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .ok_or_else(|| anyhow!("neither CARGO_HOME nor HOME is set"))?;
    Ok(cargo_home.join("registry/src"))
}

/// Looks `wanted` up in every index directory under `registry`.
fn find_in(registry: &Path, manifest: &str, wanted: &Wanted) -> Result<PathBuf> {
    let version = pinned_version(manifest, wanted.package)
        .ok_or_else(|| anyhow!("{PIN_MANIFEST} pins no exact version of {}", wanted.package))?;
    let indexes =
        std::fs::read_dir(registry).with_context(|| format!("reading {}", registry.display()))?;
    indexes
        .filter_map(|e| e.ok())
        .filter_map(|index| std::fs::read_dir(index.path()).ok())
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| is_package_dir(&e.file_name().to_string_lossy(), wanted.package, &version))
        .map(|e| e.path().join(wanted.marker))
        .find(|p| p.is_file())
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .ok_or_else(|| {
            anyhow!(
                "{} {version} with {} not found under {}",
                wanted.package,
                wanted.marker,
                registry.display()
            )
        })
}

/// Finds the three source trees in `registry`, given the pinning manifest's text.
pub fn locate_in(registry: &Path, manifest: &str) -> Result<Sources> {
    Ok(Sources {
        lua: find_in(registry, manifest, &LUA)?,
        zstd: find_in(registry, manifest, &ZSTD)?,
        sqlite: find_in(registry, manifest, &SQLITE)?,
    })
}

/// The text of the pinning manifest of the workspace at `root`.
fn read_manifest(root: &Path) -> Result<String> {
    let path = root.join(PIN_MANIFEST);
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// Finds the sources for the workspace at `root` without downloading
/// anything: for vm-cli's own test, whose build has unpacked them.
pub fn locate(root: &Path) -> Result<Sources> {
    locate_in(&registry_src()?, &read_manifest(root)?)
        .context("the sources are vm-cli's dev-dependencies: `cargo test -p vm-cli` downloads them")
}

/// Finds the sources for the workspace at `root`, running `cargo fetch`
/// once if they are not unpacked yet (vm-cli's tests were never built).
pub fn locate_or_fetch(root: &Path) -> Result<Sources> {
    let manifest = read_manifest(root)?;
    let registry = registry_src()?;
    if let Ok(sources) = locate_in(&registry, &manifest) {
        return Ok(sources);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("program sources not in the cargo registry yet: cargo fetch");
    let status = Command::new(&cargo)
        .current_dir(root)
        .arg("fetch")
        .status()
        .context("running cargo fetch")?;
    if !status.success() {
        bail!("cargo fetch failed ({status}); the program sources are needed");
    }
    locate_in(&registry, &manifest)
        .context("the program sources (dev-dependencies of vm-cli) are missing after cargo fetch")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_versions_are_read_from_the_manifest() {
        let manifest = "[dev-dependencies]\n\
            lua-src = { version = \"=551.1.0\", default-features = false }\n\
            zstd-sys = { version = \"=2.1.3\" }\n\
            libsqlite3-sys-extra = { version = \"=9\" }\n\
            libsqlite3-sys = { version = \"=0.40.0\", features = [\"x\"] }\n";
        assert_eq!(
            pinned_version(manifest, "lua-src").as_deref(),
            Some("551.1.0")
        );
        assert_eq!(
            pinned_version(manifest, "zstd-sys").as_deref(),
            Some("2.1.3")
        );
        assert_eq!(
            pinned_version(manifest, "libsqlite3-sys").as_deref(),
            Some("0.40.0")
        );
        assert_eq!(pinned_version(manifest, "lua"), None);
    }

    #[test]
    fn package_dirs_match_version_and_build_metadata() {
        assert!(is_package_dir(
            "zstd-sys-2.1.3+zstd.1.5.7",
            "zstd-sys",
            "2.1.3"
        ));
        assert!(is_package_dir("lua-src-551.1.0", "lua-src", "551.1.0"));
        assert!(!is_package_dir("lua-src-551.1.01", "lua-src", "551.1.0"));
        assert!(!is_package_dir("lua-src-547.0.0", "lua-src", "551.1.0"));
        assert!(!is_package_dir(
            "libsqlite3-sys-0.40.0",
            "sqlite3-sys",
            "0.40.0"
        ));
    }

    /// A fake registry with two indexes: the wanted versions are found in
    /// whichever index holds them, other versions are ignored.
    #[test]
    fn sources_are_found_in_any_registry_index() {
        let tmp = tempfile::tempdir().unwrap();
        let reg = tmp.path();
        let touch = |rel: &str| {
            let p = reg.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        };
        touch("a/lua-src-551.1.0/lua-5.5.1/lapi.c");
        touch("a/zstd-sys-2.1.2/zstd/lib/zstd.h");
        touch("b/zstd-sys-2.1.3+zstd.1.5.7/zstd/lib/zstd.h");
        let manifest = "lua-src = { version = \"=551.1.0\" }\n\
            zstd-sys = { version = \"=2.1.3\" }\n\
            libsqlite3-sys = { version = \"=0.40.0\" }\n";
        let e = locate_in(reg, manifest).unwrap_err().to_string();
        assert!(e.contains("libsqlite3-sys 0.40.0"), "{e}");
        touch("b/libsqlite3-sys-0.40.0/sqlite3/sqlite3.c");
        let s = locate_in(reg, manifest).unwrap();
        assert_eq!(s.lua, reg.join("a/lua-src-551.1.0/lua-5.5.1"));
        assert_eq!(s.zstd, reg.join("b/zstd-sys-2.1.3+zstd.1.5.7/zstd/lib"));
        assert_eq!(s.sqlite, reg.join("b/libsqlite3-sys-0.40.0/sqlite3"));
    }

    #[test]
    fn the_workspace_pins_every_source_crate() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let manifest = read_manifest(&root).unwrap();
        for w in [LUA, ZSTD, SQLITE] {
            assert!(
                pinned_version(&manifest, w.package).is_some(),
                "{} not pinned",
                w.package
            );
        }
    }
}
