//! Infers the build system from the text of `build()` (or `package()` when
//! there is no `build()`), with the model's own reading of shell bodies
//! ([`kiln_normalizer::build_plan::infer_system`]), so import and
//! translation agree.

/// The build system named in `body`, if one is obvious.
pub(crate) fn infer(body: &str) -> Option<&'static str> {
    kiln_normalizer::build_plan::infer_system(body)
}

#[cfg(test)]
mod tests {
    use super::infer;

    #[test]
    fn build_system_cases() {
        let cases = [
            ("cmake -B build -S src\ncmake --build build", Some("cmake")),
            (
                "arch-meson src build\nmeson compile -C build",
                Some("meson"),
            ),
            ("cargo build --release --locked", Some("cargo")),
            ("go build -o foo .", Some("go")),
            ("python -m build --wheel --no-isolation", Some("pyproject")),
            ("python setup.py build", Some("python")),
            ("./configure --prefix=/usr\nmake", Some("gnu")),
            ("install -Dm644 foo bar", None),
        ];
        for (body, want) in cases {
            assert_eq!(infer(body), want, "{body}");
        }
    }
}
