//! Dependencies and package relations.
//!
//! A PKGBUILD writes a relation as `name[op version]` (`glibc>=2.38`,
//! `sh`), and an optional dependency as `name: reason`. The same shape serves
//! `provides`, `conflicts` and `replaces`. The text as written is kept so the
//! .SRCINFO emitter reproduces it; name, constraint and reason are derived.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::version::vercmp;

/// What a dependency is needed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DependencyKind {
    /// `depends`: needed at run time (Guix: inputs and propagated inputs).
    Runtime,
    /// `makedepends`: needed to build (Guix: native inputs).
    Build,
    /// `checkdepends`: needed to run the test suite.
    Check,
    /// `optdepends`: enhances the package, with a reason.
    Optional,
}

impl DependencyKind {
    /// All kinds, in .SRCINFO order.
    pub const ALL: [DependencyKind; 4] = [
        DependencyKind::Check,
        DependencyKind::Build,
        DependencyKind::Runtime,
        DependencyKind::Optional,
    ];

    /// The PKGBUILD array name of this kind.
    pub fn array_name(self) -> &'static str {
        match self {
            DependencyKind::Runtime => "depends",
            DependencyKind::Build => "makedepends",
            DependencyKind::Check => "checkdepends",
            DependencyKind::Optional => "optdepends",
        }
    }
}

/// A version comparison operator in a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstraintOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `=`
    Eq,
    /// `>=`
    Ge,
    /// `>`
    Gt,
}

impl ConstraintOp {
    /// The operator as written in a PKGBUILD.
    pub fn as_str(self) -> &'static str {
        match self {
            ConstraintOp::Lt => "<",
            ConstraintOp::Le => "<=",
            ConstraintOp::Eq => "=",
            ConstraintOp::Ge => ">=",
            ConstraintOp::Gt => ">",
        }
    }
}

/// A version constraint: operator and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// The comparison.
    pub op: ConstraintOp,
    /// The version compared against, as written.
    pub version: String,
}

impl Constraint {
    /// Whether `version` satisfies this constraint under `vercmp`.
    pub fn accepts(&self, version: &str) -> bool {
        let ord = vercmp(version, &self.version);
        match self.op {
            ConstraintOp::Lt => ord.is_lt(),
            ConstraintOp::Le => ord.is_le(),
            ConstraintOp::Eq => ord.is_eq(),
            ConstraintOp::Ge => ord.is_ge(),
            ConstraintOp::Gt => ord.is_gt(),
        }
    }
}

/// One entry of `depends`, `makedepends`, `optdepends`, `provides` ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct Dependency {
    text: String,
}

impl Dependency {
    /// Takes an entry as written. makepkg accepts any text here, so does this.
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    /// Builds an entry from its parts.
    pub fn from_parts(name: &str, constraint: Option<&Constraint>, reason: Option<&str>) -> Self {
        let mut text = name.to_owned();
        if let Some(c) = constraint {
            text.push_str(c.op.as_str());
            text.push_str(&c.version);
        }
        if let Some(r) = reason {
            text.push_str(": ");
            text.push_str(r);
        }
        Self { text }
    }

    /// The entry as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `name[op version]` without an optdepends reason.
    fn relation(&self) -> &str {
        match self.text.split_once(':') {
            // `name: reason`; a colon inside a version is an epoch, and an
            // epoch follows an operator, so only a colon before any operator
            // starts a reason.
            Some((head, _)) if !head.contains(['<', '>', '=']) => head,
            _ => &self.text,
        }
    }

    /// The package (or virtual provision) named.
    pub fn name(&self) -> &str {
        let rel = self.relation();
        let end = rel.find(['<', '>', '=']).unwrap_or(rel.len());
        rel[..end].trim()
    }

    /// The version constraint, if any.
    pub fn constraint(&self) -> Option<Constraint> {
        let rel = self.relation();
        let start = rel.find(['<', '>', '='])?;
        let rest = &rel[start..];
        let (op, len) = if rest.starts_with(">=") {
            (ConstraintOp::Ge, 2)
        } else if rest.starts_with("<=") {
            (ConstraintOp::Le, 2)
        } else if rest.starts_with('>') {
            (ConstraintOp::Gt, 1)
        } else if rest.starts_with('<') {
            (ConstraintOp::Lt, 1)
        } else {
            (ConstraintOp::Eq, 1)
        };
        Some(Constraint {
            op,
            version: rest[len..].trim().to_owned(),
        })
    }

    /// The reason of an optional dependency (`name: reason`).
    pub fn reason(&self) -> Option<&str> {
        let (head, tail) = self.text.split_once(':')?;
        if head.contains(['<', '>', '=']) {
            return None;
        }
        Some(tail.trim())
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<Dependency> for String {
    fn from(d: Dependency) -> String {
        d.text
    }
}

impl From<String> for Dependency {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<&str> for Dependency {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_parts() {
        let d = Dependency::new("glibc>=2.38");
        assert_eq!(d.name(), "glibc");
        let c = d.constraint().unwrap();
        assert_eq!((c.op, c.version.as_str()), (ConstraintOp::Ge, "2.38"));
        assert!(c.accepts("2.39") && !c.accepts("2.37"));

        let o = Dependency::new("python-numpy: for arrays");
        assert_eq!(o.name(), "python-numpy");
        assert_eq!(o.reason(), Some("for arrays"));
        assert!(o.constraint().is_none());

        let e = Dependency::new("foo=1:2.0-1");
        assert_eq!(e.name(), "foo");
        assert_eq!(e.constraint().unwrap().version, "1:2.0-1");
        assert_eq!(e.reason(), None);

        let p = Dependency::from_parts("sh", None, None);
        assert_eq!(p.as_str(), "sh");
    }
}
