//! Kiln's recipe model.
//!
//! Every recipe Kiln reads — an Arch PKGBUILD, a `.SRCINFO`, a Guix package
//! definition — becomes a [`Recipe`]; every recipe Kiln writes is emitted from
//! one. This crate is pure: it reads only the text it is handed and does no
//! I/O, so importers, the store, the farm and the web all share one model.
//!
//! - [`version`]: versions and pacman's `vercmp` order.
//! - [`source`]: sources (`name::url#fragment?signed`) and checksums.
//! - [`dependency`]: dependencies and relations with version constraints.
//! - [`license`]: licenses as written, with their SPDX reading.
//! - [`recipe`]: the recipe, split packages and overrides, warnings.
//! - [`srcinfo`]: the `.SRCINFO` emitter and reader.
//! - [`guix_version`]: Guix's version order (glibc `strverscmp`).
//! - [`build_plan`]: what a PKGBUILD's shell functions do, for translation.
//! - [`compare`]: the same software as an Arch recipe and a Guix package.
//! - [`emit`]: a recipe as a Guix package form or as a PKGBUILD.
//! - [`mapping`]: Arch <-> Guix package names and SPDX <-> Guix licenses.

pub mod build_plan;
pub mod compare;
pub mod dependency;
pub mod emit;
pub mod guix_version;
pub mod license;
pub mod mapping;
pub mod recipe;
pub mod source;
pub mod srcinfo;
pub mod version;

pub use dependency::{Constraint, ConstraintOp, Dependency, DependencyKind};
pub use license::License;
pub use recipe::{
    BuildFunction, GuixDetails, GuixInput, GuixInputKind, ImportWarning, Origin, PackageFields,
    PerArch, Recipe, Relation, SplitPackage, WarningKind,
};
pub use source::{Checksum, ChecksumKind, Source, Vcs};
pub use version::{vercmp, Version};

/// A value that breaks one of the model's invariants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A version that libalpm would not accept.
    #[error("invalid version {0:?}")]
    InvalidVersion(String),
    /// A source entry with no text.
    #[error("empty source entry")]
    EmptySource,
}
