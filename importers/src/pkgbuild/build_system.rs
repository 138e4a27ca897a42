//! Infers the build system from the text of `build()` (or `package()` when
//! there is no `build()`): the first tool whose invocation is plain to see.

/// The build system named in `body`, if one is obvious.
pub(crate) fn infer(body: &str) -> Option<&'static str> {
    let has = |needle: &str| body.contains(needle);
    if has("cmake ") || has("cmake\n") {
        return Some("cmake");
    }
    if has("meson ") || has("arch-meson") {
        return Some("meson");
    }
    if has("cargo build") || has("cargo install") {
        return Some("cargo");
    }
    if has("go build") || has("go install") {
        return Some("go");
    }
    if has("python -m build")
        || has("python -m installer")
        || has("python3 -m build")
        || has("setup.py")
        || has("python -m pip")
    {
        return Some("python");
    }
    if has("./configure") || has("make") {
        return Some("gnu");
    }
    None
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
            ("python -m build --wheel --no-isolation", Some("python")),
            ("./configure --prefix=/usr\nmake", Some("gnu")),
            ("install -Dm644 foo bar", None),
        ];
        for (body, want) in cases {
            assert_eq!(infer(body), want, "{body}");
        }
    }
}
