//! A PKGBUILD from a recipe (normally a Guix-origin one).
