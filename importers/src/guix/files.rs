//! The module files of a tree: listed first, each read when it is
//! evaluated.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::{GuixError, MAX_FILE_SIZE};

/// One module file: its path relative to the tree root, and its text or
/// where to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFile {
    /// Path relative to the tree root, e.g. `gnu/packages/base.scm`.
    pub path: String,
    /// The text, or the file it is read from.
    pub source: ModuleSource,
}

/// Where a module's text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleSource {
    /// In memory.
    Text(String),
    /// In a file of `size` bytes, read when the module is: [`evaluate`](super::evaluate)
    /// reads each file just before its syntax trees and drops the text just
    /// after, so a whole tree's texts (about 27 MB for Guix) are never all
    /// held at once.
    File {
        /// The file.
        path: PathBuf,
        /// Its size when the tree was listed.
        size: u64,
    },
}

impl ModuleFile {
    /// A module whose text is in memory.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> ModuleFile {
        ModuleFile {
            path: path.into(),
            source: ModuleSource::Text(text.into()),
        }
    }

    /// The text's size in bytes.
    pub fn size(&self) -> u64 {
        match &self.source {
            ModuleSource::Text(t) => t.len() as u64,
            ModuleSource::File { size, .. } => *size,
        }
    }

    /// The text, read from its file if need be. Guile reads Latin-1 bytes
    /// in comments without complaint; so does this (they become U+FFFD).
    pub fn text(&self) -> Result<Cow<'_, str>, GuixError> {
        match &self.source {
            ModuleSource::Text(t) => Ok(Cow::Borrowed(t)),
            ModuleSource::File { path, .. } => {
                // A file grown since it was listed is read no further than
                // the limit.
                let mut bytes = Vec::new();
                std::fs::File::open(path)
                    .and_then(|f| {
                        std::io::Read::read_to_end(
                            &mut std::io::Read::take(f, MAX_FILE_SIZE + 1),
                            &mut bytes,
                        )
                    })
                    .map_err(|e| GuixError::new(&self.path, 0, format!("cannot read: {e}")))?;
                if bytes.len() as u64 > MAX_FILE_SIZE {
                    return Err(GuixError::new(
                        &self.path,
                        0,
                        format!("more than the limit of {MAX_FILE_SIZE} bytes"),
                    ));
                }
                Ok(Cow::Owned(match String::from_utf8(bytes) {
                    Ok(t) => t,
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                }))
            }
        }
    }
}

/// Every `*.scm` file under `root` (a Guix checkout or channel root), or
/// `root` itself when it is a file; paths relative to `root` (for a single
/// file, its name). The texts are read when the modules are evaluated; a
/// file over the size limit is an error here.
pub fn read_tree(root: &Path) -> Result<Vec<ModuleFile>, GuixError> {
    let shown = root.display().to_string();
    let meta = std::fs::metadata(root)
        .map_err(|e| GuixError::new(&shown, 0, format!("cannot read: {e}")))?;
    let mut paths = Vec::new();
    if meta.is_file() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        paths.push((root.to_owned(), name));
    } else {
        let mut dirs = vec![root.to_owned()];
        while let Some(dir) = dirs.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                GuixError::new(dir.display().to_string(), 0, format!("cannot list: {e}"))
            })?;
            for entry in entries {
                let entry = entry.map_err(|e| {
                    GuixError::new(dir.display().to_string(), 0, format!("cannot list: {e}"))
                })?;
                let path = entry.path();
                let kind = entry.file_type().map_err(|e| {
                    GuixError::new(path.display().to_string(), 0, format!("cannot stat: {e}"))
                })?;
                if kind.is_dir() {
                    if entry.file_name() != ".git" {
                        dirs.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "scm") {
                    let rel = path
                        .strip_prefix(root)
                        .unwrap_or(&path)
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    paths.push((path, rel));
                }
            }
        }
    }
    paths.sort_by(|a, b| a.1.cmp(&b.1));
    paths
        .into_iter()
        .map(|(path, rel)| {
            let size = std::fs::metadata(&path)
                .map_err(|e| GuixError::new(&rel, 0, format!("cannot read: {e}")))?
                .len();
            if size > MAX_FILE_SIZE {
                return Err(GuixError::new(
                    &rel,
                    0,
                    format!("{size} bytes is more than the limit of {MAX_FILE_SIZE}"),
                ));
            }
            Ok(ModuleFile {
                path: rel,
                source: ModuleSource::File { path, size },
            })
        })
        .collect()
}
