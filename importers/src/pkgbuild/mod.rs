//! The PKGBUILD importer: reads a PKGBUILD into a [`Recipe`] the way
//! `makepkg --printsrcinfo` sees it, without ever running it.
//!
//! The text is parsed with tree-sitter-bash ([`syntax`]); the top level is
//! walked statically ([`interp`]), expanding words with [`word`] and
//! [`param`] over known values (`CARCH`, `CHOST` and the PKGBUILD's own
//! variables); `package_*()` overrides are read as makepkg reads them, by
//! the assignment lines of the function text ([`overrides`]); the result is
//! put into the model by [`collect`]. What needs execution becomes an
//! [`ImportWarning`](kiln_normalizer::ImportWarning) and an unknown attribute.

use std::path::Path;

use kiln_normalizer::Recipe;

mod arith;
mod balance;
mod brace;
mod build_system;
mod collect;
mod condition;
mod eval;
mod interp;
mod lex;
mod overrides;
mod param;
mod pattern;
mod syntax;
#[cfg(test)]
mod tests;
mod variables;
mod word;

/// Largest PKGBUILD read, in bytes.
pub const MAX_SIZE: usize = 16 * 1024 * 1024;

/// Deepest nesting of syntax accepted.
pub const MAX_NESTING: usize = 256;

/// A PKGBUILD that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum PkgbuildError {
    /// The file could not be opened or read.
    #[error("reading PKGBUILD at {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A directory or other non-file was given.
    #[error("reading PKGBUILD at {file}: not a regular file")]
    NotAFile {
        /// The path.
        file: String,
    },
    /// Larger than [`MAX_SIZE`].
    #[error("reading PKGBUILD at {file}: {size} bytes is more than the limit of {limit}")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// Contains a NUL byte.
    #[error("reading PKGBUILD at {file}: line {line}: binary data (a NUL byte)")]
    Binary {
        /// The file.
        file: String,
        /// Line of the first NUL byte.
        line: u32,
    },
    /// Not valid UTF-8.
    #[error("reading PKGBUILD at {file}: line {line}: invalid UTF-8")]
    InvalidUtf8 {
        /// The file.
        file: String,
        /// Line of the first invalid byte.
        line: u32,
    },
    /// Nested deeper than [`MAX_NESTING`].
    #[error("reading PKGBUILD at {file}: line {line}: nesting deeper than {limit} levels")]
    TooDeep {
        /// The file.
        file: String,
        /// Line where the limit was passed.
        line: u32,
        /// The limit.
        limit: usize,
    },
    /// The file ends inside a quote, an expansion or an array.
    #[error(
        "reading PKGBUILD at {file}: line {line}: unterminated {what} (the file ends inside it)"
    )]
    Unterminated {
        /// The file.
        file: String,
        /// Line where the construct opens.
        line: u32,
        /// What is left open.
        what: String,
    },
    /// The parser produced no tree.
    #[error("reading PKGBUILD at {file}: the shell parser gave up")]
    Parse {
        /// The file.
        file: String,
    },
    /// The PKGBUILD lacks what every PKGBUILD needs (a `pkgname`).
    #[error("reading PKGBUILD at {file}: line {line}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The line concerned (0 when none).
        line: u32,
        /// What is wrong.
        message: String,
    },
}

fn line_at(bytes: &[u8], offset: usize) -> u32 {
    let n = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Reads a PKGBUILD from `text`; `file` labels warnings and errors.
pub fn parse_str(text: &str, file: &str) -> Result<Recipe, PkgbuildError> {
    if text.len() > MAX_SIZE {
        return Err(PkgbuildError::TooLarge {
            file: file.to_owned(),
            size: text.len() as u64,
            limit: MAX_SIZE,
        });
    }
    if let Some(pos) = text.bytes().position(|b| b == 0) {
        return Err(PkgbuildError::Binary {
            file: file.to_owned(),
            line: line_at(text.as_bytes(), pos),
        });
    }
    balance::check(text, file)?;
    let tree = syntax::parse(text, file)?;
    let syntax_warnings = syntax::check(&tree, text, file)?;
    let mut it = interp::Interpreter::new(text, file, collect::initial_variables());
    it.warnings.extend(syntax_warnings);
    it.block(tree.root_node());
    collect::recipe(it)
}

/// Reads the PKGBUILD at `path`.
pub fn read_file(path: &Path) -> Result<Recipe, PkgbuildError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| PkgbuildError::Io {
        file: file.clone(),
        source,
    })?;
    if !meta.is_file() {
        return Err(PkgbuildError::NotAFile { file });
    }
    if meta.len() > MAX_SIZE as u64 {
        return Err(PkgbuildError::TooLarge {
            file,
            size: meta.len(),
            limit: MAX_SIZE,
        });
    }
    let bytes = std::fs::read(path).map_err(|source| PkgbuildError::Io {
        file: file.clone(),
        source,
    })?;
    if let Some(pos) = bytes.iter().position(|b| *b == 0) {
        return Err(PkgbuildError::Binary {
            file,
            line: line_at(&bytes, pos),
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| PkgbuildError::InvalidUtf8 {
        file: file.clone(),
        line: line_at(&bytes, e.valid_up_to()),
    })?;
    parse_str(text, &file)
}

/// Array attributes that may have `_ARCH` variants.
pub(crate) const ARCH_ARRAYS: [&str; 16] = [
    "source",
    "provides",
    "conflicts",
    "depends",
    "replaces",
    "optdepends",
    "makedepends",
    "checkdepends",
    "cksums",
    "md5sums",
    "sha1sums",
    "sha224sums",
    "sha256sums",
    "sha384sums",
    "sha512sums",
    "b2sums",
];

/// Whether `name` is a PKGBUILD attribute that `.SRCINFO` reports.
pub(crate) fn is_attribute(name: &str) -> bool {
    const OTHERS: [&str; 16] = [
        "pkgname",
        "pkgbase",
        "pkgver",
        "pkgrel",
        "epoch",
        "pkgdesc",
        "url",
        "install",
        "changelog",
        "arch",
        "groups",
        "license",
        "noextract",
        "options",
        "backup",
        "validpgpkeys",
    ];
    if OTHERS.contains(&name) || ARCH_ARRAYS.contains(&name) {
        return true;
    }
    name.split_once('_')
        .is_some_and(|(base, arch)| !arch.is_empty() && ARCH_ARRAYS.contains(&base))
}
