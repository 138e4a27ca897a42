//! Package versions and their order.
//!
//! Arch orders versions with libalpm's `alpm_pkg_vercmp`, an adaptation of
//! rpm's `rpmvercmp`: a version is split into alternating runs of digits and
//! letters, separators only mark boundaries, numeric runs compare as numbers,
//! and a numeric run is newer than an alphabetic one (so `1.0a < 1.0 < 1.0.1`
//! and `1.0rc1 < 1.0`). The epoch comes first, the pkgrel last and only when
//! both sides have one. This module is a faithful port so that Kiln sorts the
//! way pacman does.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// A full Arch version: `[epoch:]pkgver[-pkgrel]`.
///
/// Equality and order follow `vercmp`, so `1.0` equals `1.00` even though the
/// text differs; the text as written is kept for display.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    epoch: Option<String>,
    pkgver: String,
    pkgrel: Option<String>,
}

impl Version {
    /// Builds a version from its three parts, as a PKGBUILD states them.
    ///
    /// The pkgver must be non-empty and must not contain `:`, `-`, `/` or
    /// white space (makepkg's own rule); the epoch must be a whole number.
    pub fn new(
        epoch: Option<&str>,
        pkgver: &str,
        pkgrel: Option<&str>,
    ) -> Result<Self, ModelError> {
        if pkgver.is_empty()
            || pkgver.contains([':', '-', '/'])
            || pkgver.contains(char::is_whitespace)
        {
            return Err(ModelError::InvalidVersion(pkgver.to_owned()));
        }
        let epoch = epoch.filter(|e| !e.is_empty());
        if let Some(e) = epoch {
            if !e.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ModelError::InvalidVersion(format!("{e}:{pkgver}")));
            }
        }
        let pkgrel = pkgrel.filter(|r| !r.is_empty());
        if let Some(r) = pkgrel {
            if r.contains(['-', ':']) || r.contains(char::is_whitespace) {
                return Err(ModelError::InvalidVersion(format!("{pkgver}-{r}")));
            }
        }
        Ok(Self {
            epoch: epoch.map(str::to_owned),
            pkgver: pkgver.to_owned(),
            pkgrel: pkgrel.map(str::to_owned),
        })
    }

    /// Parses `[epoch:]pkgver[-pkgrel]` the way libalpm splits it.
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let (epoch, rest) = split_epoch(text);
        let (pkgver, pkgrel) = match rest.rfind('-') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        Self::new(epoch, pkgver, pkgrel)
    }

    /// The epoch as written, if any.
    pub fn epoch(&self) -> Option<&str> {
        self.epoch.as_deref()
    }

    /// The upstream version.
    pub fn pkgver(&self) -> &str {
        &self.pkgver
    }

    /// The package release, if any.
    pub fn pkgrel(&self) -> Option<&str> {
        self.pkgrel.as_deref()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.epoch {
            write!(f, "{e}:")?;
        }
        f.write_str(&self.pkgver)?;
        if let Some(r) = &self.pkgrel {
            write!(f, "-{r}")?;
        }
        Ok(())
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        vercmp(&self.to_string(), &other.to_string())
    }
}

/// Splits a leading `digits:` epoch off, as libalpm's `parseEVR` does.
fn split_epoch(text: &str) -> (Option<&str>, &str) {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if text.as_bytes().get(digits) == Some(&b':') {
        (Some(&text[..digits]), &text[digits + 1..])
    } else {
        (None, text)
    }
}

/// Compares two full version strings exactly as pacman's `vercmp` does.
pub fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (e1, rest1) = split_epoch(a);
    let (e2, rest2) = split_epoch(b);
    let e1 = e1.filter(|e| !e.is_empty()).unwrap_or("0");
    let e2 = e2.filter(|e| !e.is_empty()).unwrap_or("0");
    let (v1, r1) = split_release(rest1);
    let (v2, r2) = split_release(rest2);
    rpmvercmp(e1, e2)
        .then_with(|| rpmvercmp(v1, v2))
        .then_with(|| match (r1, r2) {
            (Some(r1), Some(r2)) => rpmvercmp(r1, r2),
            _ => Ordering::Equal,
        })
}

fn split_release(text: &str) -> (&str, Option<&str>) {
    match text.rfind('-') {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    }
}

/// rpm's segment-wise comparison of one version component.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut one, mut two) = (0usize, 0usize);
    let (mut ptr1, mut ptr2) = (0usize, 0usize);
    while one < a.len() && two < b.len() {
        while one < a.len() && !a[one].is_ascii_alphanumeric() {
            one += 1;
        }
        while two < b.len() && !b[two].is_ascii_alphanumeric() {
            two += 1;
        }
        if one >= a.len() || two >= b.len() {
            break;
        }
        // Separators of different length decide on their own.
        if one - ptr1 != two - ptr2 {
            return (one - ptr1).cmp(&(two - ptr2));
        }
        ptr1 = one;
        ptr2 = two;
        let isnum = a[ptr1].is_ascii_digit();
        let class = |c: u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        while ptr1 < a.len() && class(a[ptr1]) {
            ptr1 += 1;
        }
        while ptr2 < b.len() && class(b[ptr2]) {
            ptr2 += 1;
        }
        if two == ptr2 {
            // The segments are of different kinds: a number beats letters.
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let mut s1 = &a[one..ptr1];
        let mut s2 = &b[two..ptr2];
        if isnum {
            while s1.first() == Some(&b'0') {
                s1 = &s1[1..];
            }
            while s2.first() == Some(&b'0') {
                s2 = &s2[1..];
            }
            match s1.len().cmp(&s2.len()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        match s1.cmp(s2) {
            Ordering::Equal => {}
            other => return other,
        }
        one = ptr1;
        two = ptr2;
    }
    let rest1 = &a[one..];
    let rest2 = &b[two..];
    if rest1.is_empty() && rest2.is_empty() {
        return Ordering::Equal;
    }
    // A remaining alphabetic run never beats an empty string.
    let alpha1 = rest1.first().is_some_and(u8::is_ascii_alphabetic);
    let alpha2 = rest2.first().is_some_and(u8::is_ascii_alphabetic);
    if (rest1.is_empty() && !alpha2) || alpha1 {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from pacman's own `test/util/vercmptest.sh`.
    const CASES: &[(&str, &str, i8)] = &[
        ("1.5.0", "1.5.0", 0),
        ("1.5.1", "1.5.0", 1),
        ("1.5.1", "1.5", 1),
        ("1.5.0-1", "1.5.0-1", 0),
        ("1.5.0-1", "1.5.0-2", -1),
        ("1.5.0-1", "1.5.1-1", -1),
        ("1.5.0-2", "1.5.1-1", -1),
        ("1.5-1", "1.5", 0),
        ("1.5-1", "1.5-1", 0),
        ("1.5-1", "1.5-2", -1),
        ("1.5-2", "1.5", 0),
        ("1.1-1", "1.1", 0),
        ("1.0-1", "1.1", -1),
        ("1.1-1", "1.0", 1),
        ("1.5b-1", "1.5-1", -1),
        ("1.5b", "1.5", -1),
        ("1.5b-1", "1.5", -1),
        ("1.5b", "1.5.1", -1),
        ("1.0a", "1.0alpha", -1),
        ("1.0alpha", "1.0b", -1),
        ("1.0b", "1.0beta", -1),
        ("1.0beta", "1.0rc", -1),
        ("1.0rc", "1.0", -1),
        ("1.5.a", "1.5", 1),
        ("1.5.b", "1.5.a", 1),
        ("1.5.1", "1.5.b", 1),
        ("1.5.b-1", "1.5.b", 0),
        ("1.5-1", "1.5.b", -1),
        ("2.0", "2_0", 0),
        ("2.0_a", "2_0.a", 0),
        ("2.0a", "2.0.a", -1),
        ("2___a", "2_a", 1),
        ("0:1.0", "0:1.0", 0),
        ("0:1.0", "0:1.1", -1),
        ("1:1.0", "0:1.0", 1),
        ("1:1.0", "0:1.1", 1),
        ("1:1.0", "2:1.1", -1),
        ("0:1.0", "1.0", 0),
        ("0:1.0", "1.1", -1),
        ("0:1.1", "1.0", 1),
        ("1:1.0", "1.0", 1),
        ("1:1.0", "1.1", 1),
        ("1:1.1", "1.1", 1),
        ("1.0", "1.0.1", -1),
        ("1.0a", "1.0", -1),
        ("1.0rc1", "1.0", -1),
        ("1.0.0", "1.0", 1),
        ("1.0.1", "1.0a", 1),
        ("001", "1", 0),
        ("1.0-1", "1.0-2", -1),
        ("1.0-10", "1.0-9", 1),
        ("1.0.a", "1.0a", 1),
        ("1.2.3alpha", "1.2.3", -1),
        ("2:0.1", "1:9.9", 1),
    ];

    #[test]
    fn vercmp_agrees_with_pacman_cases() {
        for &(a, b, want) in CASES {
            let want = want.cmp(&0);
            assert_eq!(vercmp(a, b), want, "vercmp({a}, {b})");
            assert_eq!(vercmp(b, a), want.reverse(), "vercmp({b}, {a})");
        }
    }

    #[test]
    fn version_parse_and_display_round_trip() {
        let v = Version::parse("2:1.4.3-7").unwrap();
        assert_eq!(v.epoch(), Some("2"));
        assert_eq!(v.pkgver(), "1.4.3");
        assert_eq!(v.pkgrel(), Some("7"));
        assert_eq!(v.to_string(), "2:1.4.3-7");
        assert!(Version::parse("").is_err());
        assert!(Version::parse("1.0 beta").is_err());
    }

    #[test]
    fn versions_sort_in_pacman_order() {
        let mut v: Vec<Version> = ["1.0.1", "1.0", "1:0.1", "1.0a", "1.0rc1", "1.0-2"]
            .iter()
            .map(|s| Version::parse(s).unwrap())
            .collect();
        v.sort();
        let shown: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["1.0a", "1.0rc1", "1.0", "1.0-2", "1.0.1", "1:0.1"]);
    }

    proptest::proptest! {
        #[test]
        fn vercmp_is_antisymmetric(a in "[0-9a-z._:-]{0,12}", b in "[0-9a-z._:-]{0,12}") {
            proptest::prop_assert_eq!(vercmp(&a, &b), vercmp(&b, &a).reverse());
        }
    }
}
