//! A Guix package form from a recipe (normally a PKGBUILD-origin one).
