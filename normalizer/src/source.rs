//! Sources of a recipe and the checksums that pin them.
//!
//! makepkg writes a source as `[name::]url[#fragment][?signed]`: an optional
//! rename of the downloaded file, the URL (prefixed with `git+`, `hg+` ... for
//! version-control sources), a VCS fragment such as `#tag=v1.2` or
//! `#commit=abc`, and `?signed` to ask for signature verification. The text
//! as written is kept, so emitting it again reproduces it exactly; the parts
//! are derived from it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// One entry of a `source` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Source {
    text: String,
}

/// The version-control system a source is fetched with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vcs {
    /// `git+https://...` or `git://...`
    Git,
    /// `hg+...`
    Hg,
    /// `svn+...`
    Svn,
    /// `bzr+...`
    Bzr,
    /// `fossil+...`
    Fossil,
}

impl Vcs {
    /// The Arch package of the client makepkg runs for this system (its
    /// `VCSCLIENTS` in makepkg.conf): what a PKGBUILD fetching such a
    /// source lists in `makedepends`. For bzr, `bzr`, as makepkg 6.0.2
    /// (the reference here, and the build image's) names it; newer makepkg
    /// names `breezy`, which provides `bzr`.
    pub fn arch_client(self) -> &'static str {
        match self {
            Vcs::Git => "git",
            Vcs::Hg => "mercurial",
            Vcs::Svn => "subversion",
            Vcs::Bzr => "bzr",
            Vcs::Fossil => "fossil",
        }
    }

    /// The makepkg protocol prefix of this system.
    pub fn prefix(self) -> &'static str {
        match self {
            Vcs::Git => "git",
            Vcs::Hg => "hg",
            Vcs::Svn => "svn",
            Vcs::Bzr => "bzr",
            Vcs::Fossil => "fossil",
        }
    }
}

impl Source {
    /// Takes a source entry as makepkg reads it. Any non-empty text is
    /// accepted, as makepkg accepts it; the parts are derived on demand.
    pub fn new(text: impl Into<String>) -> Result<Self, ModelError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(ModelError::EmptySource);
        }
        Ok(Self { text })
    }

    /// Builds a source from a URL and an optional file name.
    pub fn from_url(url: &str, file_name: Option<&str>) -> Result<Self, ModelError> {
        match file_name {
            Some(name) => Self::new(format!("{name}::{url}")),
            None => Self::new(url),
        }
    }

    /// The entry as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The `name::` rename, if any.
    pub fn rename(&self) -> Option<&str> {
        self.text.split_once("::").map(|(name, _)| name)
    }

    /// Everything after the rename: URL with fragment and query.
    fn location(&self) -> &str {
        self.text
            .split_once("::")
            .map_or(&self.text, |(_, rest)| rest)
    }

    /// The URL without VCS prefix, fragment or `?signed`; a local file name
    /// for sources shipped beside the PKGBUILD.
    pub fn url(&self) -> &str {
        let mut loc = self.location();
        if let Some(vcs) = self.vcs() {
            if let Some(rest) = loc
                .strip_prefix(vcs.prefix())
                .and_then(|r| r.strip_prefix('+'))
            {
                loc = rest;
            }
        }
        let loc = loc.split('#').next().unwrap_or(loc);
        loc.strip_suffix("?signed").unwrap_or(loc)
    }

    /// makepkg's protocol of a location: the scheme before `://` without
    /// any `+...`, or for Launchpad's `bzr+lp:NAME` what comes before
    /// `+lp:` (as makepkg's `get_protocol`).
    fn protocol(&self) -> Option<&str> {
        let loc = self.location();
        if let Some((scheme, _)) = loc.split_once("://") {
            return Some(scheme.split('+').next().unwrap_or(scheme));
        }
        loc.split_once("+lp:").map(|(proto, _)| proto)
    }

    /// The version-control system, from the `git+` style prefix or a
    /// `git://` scheme (or `bzr+lp:`).
    pub fn vcs(&self) -> Option<Vcs> {
        let proto = self.protocol()?;
        match proto {
            "git" => Some(Vcs::Git),
            "hg" => Some(Vcs::Hg),
            "svn" => Some(Vcs::Svn),
            "bzr" => Some(Vcs::Bzr),
            "fossil" => Some(Vcs::Fossil),
            _ => None,
        }
    }

    /// The VCS fragment as `(kind, value)`, e.g. `("tag", "v1.2")`.
    pub fn fragment(&self) -> Option<(&str, &str)> {
        let frag = self.location().split_once('#')?.1;
        let frag = frag.strip_suffix("?signed").unwrap_or(frag);
        Some(frag.split_once('=').unwrap_or((frag, "")))
    }

    /// Whether `?signed` asks for signature verification.
    pub fn signed(&self) -> bool {
        self.location().ends_with("?signed")
    }

    /// Whether this is a file beside the PKGBUILD rather than a download.
    pub fn is_local(&self) -> bool {
        self.protocol().is_none()
    }

    /// The file name makepkg saves the source as: the rename, else the last
    /// path segment of the URL (for VCS sources, the repository name).
    pub fn file_name(&self) -> &str {
        if let Some(name) = self.rename() {
            return name;
        }
        let url = self.url().trim_end_matches('/');
        let last = url.rsplit('/').next().unwrap_or(url);
        if self.vcs().is_some() {
            last.strip_suffix(".git").unwrap_or(last)
        } else {
            last
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Source {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl From<Source> for String {
    fn from(s: Source) -> String {
        s.text
    }
}

impl TryFrom<String> for Source {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

/// Every checksum kind makepkg knows, in the order makepkg prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumKind {
    /// `cksums`: POSIX `cksum` CRC.
    Ck,
    /// `md5sums`
    Md5,
    /// `sha1sums`
    Sha1,
    /// `sha224sums`
    Sha224,
    /// `sha256sums`
    Sha256,
    /// `sha384sums`
    Sha384,
    /// `sha512sums`
    Sha512,
    /// `b2sums`: BLAKE2b-512.
    B2,
}

impl ChecksumKind {
    /// All kinds, in makepkg's order.
    pub const ALL: [ChecksumKind; 8] = [
        ChecksumKind::Ck,
        ChecksumKind::Md5,
        ChecksumKind::Sha1,
        ChecksumKind::Sha224,
        ChecksumKind::Sha256,
        ChecksumKind::Sha384,
        ChecksumKind::Sha512,
        ChecksumKind::B2,
    ];

    /// The PKGBUILD array name, e.g. `sha256sums`.
    pub fn array_name(self) -> &'static str {
        match self {
            ChecksumKind::Ck => "cksums",
            ChecksumKind::Md5 => "md5sums",
            ChecksumKind::Sha1 => "sha1sums",
            ChecksumKind::Sha224 => "sha224sums",
            ChecksumKind::Sha256 => "sha256sums",
            ChecksumKind::Sha384 => "sha384sums",
            ChecksumKind::Sha512 => "sha512sums",
            ChecksumKind::B2 => "b2sums",
        }
    }

    /// The kind for a PKGBUILD array name.
    pub fn from_array_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.array_name() == name)
    }

    /// Length in hex digits of a digest of this kind (`None` for `cksums`,
    /// which are decimal).
    pub fn hex_len(self) -> Option<usize> {
        match self {
            ChecksumKind::Ck => None,
            ChecksumKind::Md5 => Some(32),
            ChecksumKind::Sha1 => Some(40),
            ChecksumKind::Sha224 => Some(56),
            ChecksumKind::Sha256 => Some(64),
            ChecksumKind::Sha384 => Some(96),
            ChecksumKind::Sha512 | ChecksumKind::B2 => Some(128),
        }
    }
}

/// One checksum entry: a digest, or `SKIP`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Checksum {
    /// Verification is skipped (VCS sources, signatures).
    Skip,
    /// A digest as written (lower-case hex for the hash kinds).
    Digest(String),
}

impl Checksum {
    /// Reads an entry as a PKGBUILD states it.
    pub fn parse(text: &str) -> Self {
        if text == "SKIP" {
            Checksum::Skip
        } else {
            Checksum::Digest(text.to_owned())
        }
    }

    /// Whether this digest is well-formed for its kind.
    pub fn is_valid_for(&self, kind: ChecksumKind) -> bool {
        match self {
            Checksum::Skip => true,
            Checksum::Digest(d) => match kind.hex_len() {
                Some(n) => d.len() == n && d.bytes().all(|b| b.is_ascii_hexdigit()),
                None => !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()),
            },
        }
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Checksum::Skip => f.write_str("SKIP"),
            Checksum::Digest(d) => f.write_str(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_parts() {
        let s = Source::new("foo-1.0.tar.gz::https://example.org/v1.0.tar.gz").unwrap();
        assert_eq!(s.rename(), Some("foo-1.0.tar.gz"));
        assert_eq!(s.url(), "https://example.org/v1.0.tar.gz");
        assert_eq!(s.file_name(), "foo-1.0.tar.gz");
        assert!(s.vcs().is_none());

        let g = Source::new("git+https://github.com/a/b.git#tag=v1.2?signed").unwrap();
        assert_eq!(g.vcs(), Some(Vcs::Git));
        assert_eq!(g.vcs().map(Vcs::arch_client), Some("git"));
        assert_eq!(Vcs::Hg.arch_client(), "mercurial");
        assert_eq!(Vcs::Svn.arch_client(), "subversion");
        assert_eq!(Vcs::Bzr.arch_client(), "bzr");
        assert_eq!(g.url(), "https://github.com/a/b.git");
        assert_eq!(g.fragment(), Some(("tag", "v1.2")));
        assert!(g.signed());
        assert_eq!(g.file_name(), "b");

        let c = Source::new("git://example.org/x.git#commit=abc").unwrap();
        assert_eq!(c.vcs(), Some(Vcs::Git));
        assert_eq!(c.fragment(), Some(("commit", "abc")));

        let l = Source::new("fix-build.patch").unwrap();
        assert!(l.is_local());
        assert_eq!(l.file_name(), "fix-build.patch");

        // Launchpad's short form, which makepkg reads as bzr.
        let lp = Source::new("dvc-checkout::bzr+lp:dvc#revision=591").unwrap();
        assert_eq!(lp.vcs(), Some(Vcs::Bzr));
        assert!(!lp.is_local());
        assert_eq!(lp.url(), "lp:dvc");
        assert_eq!(lp.fragment(), Some(("revision", "591")));
        assert_eq!(lp.file_name(), "dvc-checkout");
    }

    #[test]
    fn checksum_kinds_round_trip_names() {
        for k in ChecksumKind::ALL {
            assert_eq!(ChecksumKind::from_array_name(k.array_name()), Some(k));
        }
        assert!(Checksum::parse("SKIP").is_valid_for(ChecksumKind::Sha256));
        assert!(!Checksum::parse("abc").is_valid_for(ChecksumKind::Sha256));
        assert!(Checksum::parse("1234567").is_valid_for(ChecksumKind::Ck));
    }
}
