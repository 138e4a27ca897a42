//! Infers the build system from the text of `build()` (or `package()` when
//! there is no `build()`), with the model's own reading of shell bodies
//! ([`kiln_normalizer::build_plan::infer_system`]), so import and
//! translation agree.

/// The build system named in `body`, if one is obvious.
pub(crate) fn infer(body: &str) -> Option<&'static str> {
    kiln_normalizer::build_plan::infer_system(body)
}
