//! Kiln's importers: they read recipes into the [`kiln_normalizer::Recipe`]
//! model by static evaluation and never execute recipe code.
//!
//! A PKGBUILD is parsed with tree-sitter-bash and evaluated the way makepkg
//! would see its attributes, without running a shell; a Guix module is read
//! with a Scheme reader in front of lexpr and evaluated by a small
//! interpreter for the subset package definitions use. Whatever needs real
//! execution becomes a recorded warning on the recipe.

pub mod git;
pub mod guix;
pub mod guix_prelude;
pub mod pkgbuild;
