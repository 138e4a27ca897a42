//! Where the store lives: `--db`, else `$KILN_DB`, else `kiln.db` in Kiln's
//! data directory (`$XDG_DATA_HOME/kiln`, else `~/.local/share/kiln`).
//!
//! The rule is a pure function of its inputs so it can be tested without
//! touching the process environment; [`db_path_from_env`] feeds it.

use std::path::{Path, PathBuf};

use super::error::StoreError;

/// The database file name inside the data directory.
pub const DB_FILE_NAME: &str = "kiln.db";

/// Kiln's data directory: `$XDG_DATA_HOME/kiln` when that is set to an
/// absolute path (the XDG rule: relative values are ignored), else
/// `$HOME/.local/share/kiln`; `None` when neither is usable.
pub fn data_dir(xdg_data_home: Option<&Path>, home: Option<&Path>) -> Option<PathBuf> {
    if let Some(xdg) = xdg_data_home.filter(|p| p.is_absolute()) {
        return Some(xdg.join("kiln"));
    }
    home.filter(|p| !p.as_os_str().is_empty())
        .map(|h| h.join(".local/share/kiln"))
}

/// The database path from the `--db` flag, the value of `$KILN_DB` and the
/// data directory, in that order of preference. Empty values count as unset.
pub fn resolve_db_path(
    flag: Option<&Path>,
    kiln_db: Option<&Path>,
    data_dir: Option<&Path>,
) -> Result<PathBuf, StoreError> {
    let given = |p: Option<&Path>| p.filter(|p| !p.as_os_str().is_empty()).map(Path::to_owned);
    given(flag)
        .or_else(|| given(kiln_db))
        .or_else(|| given(data_dir).map(|d| d.join(DB_FILE_NAME)))
        .ok_or(StoreError::NoDataDir)
}

/// [`resolve_db_path`] with `$KILN_DB`, `$XDG_DATA_HOME` and `$HOME` read
/// from the environment.
pub fn db_path_from_env(flag: Option<&Path>) -> Result<PathBuf, StoreError> {
    let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
    let kiln_db = var("KILN_DB");
    let dir = data_dir(var("XDG_DATA_HOME").as_deref(), var("HOME").as_deref());
    resolve_db_path(flag, kiln_db.as_deref(), dir.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<&Path> {
        Some(Path::new(s))
    }

    /// `--db`, `$KILN_DB`, `$XDG_DATA_HOME`, `$HOME`, expected path.
    type Case<'a> = (
        Option<&'a Path>,
        Option<&'a Path>,
        Option<&'a Path>,
        Option<&'a Path>,
        Option<&'a str>,
    );

    #[test]
    fn resolution_order() {
        let cases: &[Case] = &[
            (
                p("a.db"),
                p("/env.db"),
                p("/xdg"),
                p("/home/u"),
                Some("a.db"),
            ),
            (None, p("/env.db"), p("/xdg"), p("/home/u"), Some("/env.db")),
            (p(""), p("/env.db"), None, None, Some("/env.db")),
            (
                None,
                None,
                p("/xdg"),
                p("/home/u"),
                Some("/xdg/kiln/kiln.db"),
            ),
            (None, p(""), p("/xdg"), None, Some("/xdg/kiln/kiln.db")),
            (
                None,
                None,
                p("relative"),
                p("/home/u"),
                Some("/home/u/.local/share/kiln/kiln.db"),
            ),
            (
                None,
                None,
                None,
                p("/home/u"),
                Some("/home/u/.local/share/kiln/kiln.db"),
            ),
            (None, None, None, p(""), None),
            (None, None, None, None, None),
        ];
        for (i, (flag, env, xdg, home, want)) in cases.iter().enumerate() {
            let dir = data_dir(*xdg, *home);
            let got = resolve_db_path(*flag, *env, dir.as_deref()).ok();
            assert_eq!(got.as_deref(), want.map(Path::new), "case {i}");
        }
    }
}
