//! The guest environment: the host's, edited by `-U` and `-E`, as qemu does.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// Apply `-U` removals, then `-E` settings, to `base` (in order, keeping the
/// original order of surviving variables; new ones are appended). Each
/// entry is `NAME=value`.
pub fn guest_env(
    base: impl IntoIterator<Item = (OsString, OsString)>,
    set: &[String],
    unset: &[String],
) -> Result<Vec<Vec<u8>>, String> {
    let mut vars: Vec<(Vec<u8>, Vec<u8>)> = base
        .into_iter()
        .map(|(k, v)| (k.into_vec(), v.into_vec()))
        .collect();
    for name in unset {
        if name.is_empty() || name.contains('=') {
            return Err(format!("-U expects a variable name, got '{name}'"));
        }
        vars.retain(|(k, _)| k != name.as_bytes());
    }
    for kv in set {
        let Some((k, v)) = kv.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(format!("-E expects VAR=VALUE, got '{kv}'"));
        };
        match vars.iter_mut().find(|(name, _)| name == k.as_bytes()) {
            Some(slot) => slot.1 = v.as_bytes().to_vec(),
            None => vars.push((k.as_bytes().to_vec(), v.as_bytes().to_vec())),
        }
    }
    Ok(vars
        .into_iter()
        .map(|(mut k, v)| {
            k.push(b'=');
            k.extend(v);
            k
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(OsString, OsString)> {
        vec![("A".into(), "1".into()), ("B".into(), "2".into())]
    }

    #[test]
    fn set_replaces_and_appends_unset_removes() {
        let env = guest_env(base(), &["B=x=y".into(), "C=".into()], &["A".into()]).unwrap();
        assert_eq!(env, vec![b"B=x=y".to_vec(), b"C=".to_vec()]);
    }

    #[test]
    fn host_environment_kept_by_default() {
        assert_eq!(
            guest_env(base(), &[], &[]).unwrap(),
            vec![b"A=1".to_vec(), b"B=2".to_vec()]
        );
    }

    #[test]
    fn malformed_options_are_errors() {
        assert!(guest_env(base(), &["NOEQUALS".into()], &[]).is_err());
        assert!(guest_env(base(), &["=v".into()], &[]).is_err());
        assert!(guest_env(base(), &[], &["A=1".into()]).is_err());
    }
}
