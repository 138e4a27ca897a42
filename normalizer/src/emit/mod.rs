//! Emitters: a recipe written out in the other tradition's form.
//!
//! - [`guix`]: a Guix `(define-public NAME (package ...))` form from a
//!   PKGBUILD-origin recipe, shaped as `guix style` prints package forms.
//! - [`pkgbuild`]: a PKGBUILD from a Guix-origin recipe, with `build()`,
//!   `check()` and `package()` written for its build system.
//!
//! Both go through [`Mappings`](crate::mapping::Mappings) for names and
//! licenses. What has no counterpart on the other side is never dropped
//! silently: it stays in the text as a comment and is listed in
//! [`Emitted::warnings`].

pub mod guix;
pub mod nix_base32;
pub mod pkgbuild;
pub mod sexp;

/// Emitted text and what could not be carried over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Emitted {
    /// The text, ending with a newline.
    pub text: String,
    /// One lower-case sentence per thing that did not translate.
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests;
