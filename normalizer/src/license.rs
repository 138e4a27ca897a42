//! Licenses: the text a recipe states, and its SPDX reading where it has one.
//!
//! Arch PKGBUILDs increasingly use SPDX identifiers (`GPL-3.0-or-later`) but
//! many still carry older names (`GPL3`, `custom:foo`); Guix names license
//! records (`gpl3+`). The original text is always kept; the SPDX expression
//! is derived when the text parses as one, directly or through the common
//! legacy Arch names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One license entry as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct License {
    text: String,
}

/// Arch's pre-SPDX license names and their SPDX equivalents.
const LEGACY_ARCH: &[(&str, &str)] = &[
    ("GPL", "GPL-2.0-or-later"),
    ("GPL2", "GPL-2.0-only"),
    ("GPL3", "GPL-3.0-only"),
    ("LGPL", "LGPL-2.1-or-later"),
    ("LGPL2.1", "LGPL-2.1-only"),
    ("LGPL3", "LGPL-3.0-only"),
    ("AGPL", "AGPL-3.0-or-later"),
    ("AGPL3", "AGPL-3.0-only"),
    ("FDL", "GFDL-1.3-or-later"),
    ("FDL1.2", "GFDL-1.2-only"),
    ("FDL1.3", "GFDL-1.3-only"),
    ("APACHE", "Apache-2.0"),
    ("Apache", "Apache-2.0"),
    ("MPL", "MPL-1.1"),
    ("MPL2", "MPL-2.0"),
    ("PerlArtistic", "Artistic-1.0-Perl"),
    ("Artistic2.0", "Artistic-2.0"),
    ("PSF", "PSF-2.0"),
    ("PHP", "PHP-3.01"),
    ("ZLIB", "Zlib"),
    ("zlib", "Zlib"),
    ("BOOST", "BSL-1.0"),
    ("Boost", "BSL-1.0"),
    ("CCPL", "CC-BY-SA-4.0"),
    ("CDDL", "CDDL-1.0"),
    ("CPL", "CPL-1.0"),
    ("EPL", "EPL-1.0"),
    ("FDL1.1", "GFDL-1.1-only"),
    ("RUBY", "Ruby"),
    ("Unlicense", "Unlicense"),
    ("W3C", "W3C"),
    ("WTFPL", "WTFPL"),
    ("BSD", "BSD-3-Clause"),
    ("MIT", "MIT"),
    ("ISC", "ISC"),
    ("Python", "PSF-2.0"),
];

impl License {
    /// Takes a license entry as written.
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    /// The entry as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The SPDX expression this entry stands for, if it has one: the text
    /// itself when it parses as SPDX, else the equivalent of a legacy Arch
    /// name. `custom:` licenses have none.
    pub fn spdx(&self) -> Option<String> {
        let text = self.text.trim();
        if let Some(&(_, id)) = LEGACY_ARCH.iter().find(|(name, _)| *name == text) {
            return Some(id.to_owned());
        }
        spdx::Expression::parse(text).ok().map(|e| e.to_string())
    }

    /// Whether this is a `custom` license (no standard text).
    pub fn is_custom(&self) -> bool {
        self.text.starts_with("custom")
    }
}

impl fmt::Display for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<License> for String {
    fn from(l: License) -> String {
        l.text
    }
}

impl From<String> for License {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_readings() {
        assert_eq!(
            License::new("GPL-3.0-or-later").spdx().as_deref(),
            Some("GPL-3.0-or-later")
        );
        assert_eq!(License::new("GPL3").spdx().as_deref(), Some("GPL-3.0-only"));
        assert_eq!(
            License::new("MIT OR Apache-2.0").spdx().as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(License::new("custom:foo").spdx(), None);
        assert!(License::new("custom:foo").is_custom());
    }
}
