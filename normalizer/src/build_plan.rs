//! What a PKGBUILD's shell functions do, in terms a Guix build system
//! understands: which build system, which configure and make flags, whether
//! and how tests run — and which lines fit none of that.
//!
//! The bodies are read as text, line by line (continuation lines joined),
//! recognizing the invocations of the usual tools; nothing is run. A line
//! that is not recognized becomes a [`CustomStep`], so a translation can
//! say exactly what it could not carry over.

use crate::recipe::Recipe;

/// The build steps of a recipe, as far as they follow a known build system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildPlan {
    /// Guix's name of the build system (`gnu`, `cmake`, `meson`, `python`,
    /// `pyproject`, `cargo`, `go`), when one is recognized.
    pub system: Option<String>,
    /// Flags given to `configure`, `cmake` or `meson setup` beyond the ones
    /// every Arch recipe passes (install prefix, build type ...).
    pub configure_flags: Vec<String>,
    /// `VAR=value` arguments of `make` in `build()`.
    pub make_flags: Vec<String>,
    /// Whether the test suite runs: a `check()` without `!check` in options.
    pub tests: bool,
    /// The make target of the test suite when it is not `check`.
    pub test_target: Option<String>,
    /// Whether `configure` is run (a gnu recipe may build with make alone).
    pub runs_configure: bool,
    /// Lines that follow no recognized pattern, in function order.
    pub custom: Vec<CustomStep>,
}

/// One line of a shell function the plan does not account for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomStep {
    /// The function (`build`, `package_foo` ...).
    pub function: String,
    /// Line in the recipe file (1-based).
    pub line: u32,
    /// The line as written (continuations joined).
    pub text: String,
}

/// The build system named in a shell function body, if one is obvious: the
/// first tool whose invocation is plain to see.
pub fn infer_system(body: &str) -> Option<&'static str> {
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
        || has("python3 -m build")
        || has("python -m installer")
        || has("python3 -m installer")
        || has("python -m pip")
    {
        return Some("pyproject");
    }
    if has("setup.py") {
        return Some("python");
    }
    if has("./configure") || has("make") {
        return Some("gnu");
    }
    None
}

/// Splits a shell line into words, removing quotes (variables are kept as
/// written). Returns `None` for lines with constructs a word list cannot
/// represent (pipes, redirections, command substitution, control flow).
fn words(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                cur.push(n);
                            }
                        }
                        '`' => return None,
                        '$' if chars.peek() == Some(&'(') => return None,
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '|' | '>' | '<' | ';' | '&' | '`' | '(' | ')' | '{' | '}' => return None,
            '$' if chars.peek() == Some(&'(') => return None,
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Some(out)
}

/// Logical lines of a body: continuations joined, comments and blank lines
/// dropped, each with its 0-based offset in the body.
fn logical_lines(body: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in body.lines().enumerate() {
        let trimmed = raw.trim();
        let (start, mut text) = match pending.take() {
            Some((s, t)) => (s, t),
            None => {
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                (i, String::new())
            }
        };
        if let Some(head) = trimmed.strip_suffix('\\') {
            text.push_str(head);
            text.push(' ');
            pending = Some((start, text));
        } else {
            text.push_str(trimmed);
            out.push((start, text));
        }
    }
    if let Some(p) = pending {
        out.push(p);
    }
    out
}

/// Configure flags every Arch recipe passes for the Arch file-system
/// layout; Guix sets its own.
fn is_layout_flag(flag: &str) -> bool {
    const LAYOUT: [&str; 14] = [
        "--prefix",
        "--sysconfdir",
        "--localstatedir",
        "--libdir",
        "--libexecdir",
        "--sbindir",
        "--bindir",
        "--datadir",
        "--mandir",
        "--infodir",
        "--includedir",
        "--build",
        "--host",
        "--disable-dependency-tracking",
    ];
    let name = flag.split('=').next().unwrap_or(flag);
    LAYOUT.contains(&name)
        || flag.starts_with("-DCMAKE_INSTALL_PREFIX")
        || flag.starts_with("-DCMAKE_BUILD_TYPE")
        || flag.starts_with("-DCMAKE_INSTALL_LIBDIR")
        || flag.starts_with("-DCMAKE_INSTALL_LIBEXECDIR")
        || flag.starts_with("-DCMAKE_INSTALL_SYSCONFDIR")
        || flag.starts_with("-DCMAKE_C_FLAGS")
        || flag.starts_with("-DCMAKE_CXX_FLAGS")
        || flag == "-Wno-dev"
        || flag.starts_with("--buildtype")
        || flag.starts_with("--wrap-mode")
        || flag.starts_with("--auto-features")
        || flag.starts_with("-Db_lto")
        || flag.starts_with("-Db_pie")
}

/// Skips leading `VAR=value` environment assignments.
fn command_start(w: &[String]) -> usize {
    w.iter()
        .position(|x| {
            !(x.contains('=')
                && x.split('=').next().is_some_and(|n| {
                    !n.is_empty() && n.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
                }))
        })
        .unwrap_or(w.len())
}

struct Reader<'a> {
    plan: BuildPlan,
    function: &'a str,
}

impl Reader<'_> {
    fn set_system(&mut self, s: &str) {
        if self.plan.system.is_none() {
            self.plan.system = Some(s.to_owned());
        }
    }

    fn add_configure_flags<'w>(&mut self, flags: impl Iterator<Item = &'w String>) {
        for f in flags {
            if !is_layout_flag(f) && !self.plan.configure_flags.contains(f) {
                self.plan.configure_flags.push(f.clone());
            }
        }
    }

    /// Whether the line is understood; records what it says.
    fn line(&mut self, text: &str) -> bool {
        let Some(all) = words(text) else {
            return false;
        };
        let w = &all[command_start(&all)..];
        let Some(cmd) = w.first().map(String::as_str) else {
            return false;
        };
        let args = &w[1..];
        let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
        let in_check = self.function == "check";
        match cmd {
            "cd" | "true" | ":" => true,
            // Patches listed as sources become the origin's patches.
            "patch" => self.function == "prepare",
            c if c == "configure" || c.ends_with("/configure") => {
                self.set_system("gnu");
                self.plan.runs_configure = true;
                self.add_configure_flags(args.iter().filter(|a| a.starts_with('-')));
                args.iter().all(|a| a.starts_with('-'))
            }
            "autoreconf" | "./autogen.sh" | "./bootstrap" | "autoreconf-fi" => true,
            "make" | "gmake" => {
                self.set_system("gnu");
                let targets: Vec<&String> = args
                    .iter()
                    .filter(|a| !a.contains('=') && !a.starts_with('-'))
                    .collect();
                if in_check {
                    if let Some(t) = targets.first().filter(|t| t.as_str() != "check") {
                        self.plan.test_target = Some((*t).clone());
                    }
                    return targets.len() <= 1;
                }
                if self.function.starts_with("package") {
                    return targets.iter().all(|t| t.starts_with("install"));
                }
                for a in args
                    .iter()
                    .filter(|a| a.contains('=') && !a.starts_with('-'))
                {
                    if !self.plan.make_flags.contains(a) {
                        self.plan.make_flags.push(a.clone());
                    }
                }
                targets.is_empty() || targets.iter().all(|t| *t == "all")
            }
            "cmake" => {
                self.set_system("cmake");
                if arg(0) == "--build" || arg(0) == "--install" {
                    return true;
                }
                let mut i = 0;
                let mut flags = Vec::new();
                while i < args.len() {
                    match args[i].as_str() {
                        "-B" | "-S" | "-G" => i += 1,
                        a if a.starts_with("-D") || a.starts_with("-W") => flags.push(&args[i]),
                        a if a.starts_with("-B") || a.starts_with("-S") || a.starts_with("-G") => {}
                        _ => {}
                    }
                    i += 1;
                }
                self.plan.runs_configure = true;
                self.add_configure_flags(flags.into_iter());
                true
            }
            "ctest" => in_check,
            "arch-meson" | "meson" => {
                self.set_system("meson");
                match arg(0) {
                    "compile" | "install" => true,
                    "test" => in_check,
                    _ => {
                        self.plan.runs_configure = true;
                        let mut flags = Vec::new();
                        let mut it = args.iter();
                        while let Some(a) = it.next() {
                            if a == "-D" {
                                if let Some(v) = it.next() {
                                    flags.push(format!("-D{v}"));
                                }
                            } else if a.starts_with('-') {
                                flags.push(a.clone());
                            }
                        }
                        self.add_configure_flags(flags.iter());
                        true
                    }
                }
            }
            "ninja" | "samu" => {
                if in_check {
                    args.iter().any(|a| a == "test")
                } else {
                    true
                }
            }
            "python" | "python3" => match (arg(0), arg(1)) {
                ("-m", "build") | ("-m", "installer") => {
                    self.set_system("pyproject");
                    true
                }
                ("-m", "pytest") | ("-m", "unittest") => in_check,
                ("setup.py", "build") | ("setup.py", "install") => {
                    self.set_system("python");
                    true
                }
                ("setup.py", "test") | ("setup.py", "check") => in_check,
                _ => false,
            },
            "pytest" => in_check,
            "cargo" => {
                self.set_system("cargo");
                matches!(arg(0), "build" | "fetch" | "install") || (in_check && arg(0) == "test")
            }
            "go" => {
                self.set_system("go");
                matches!(arg(0), "build" | "install" | "mod" | "generate")
                    || (in_check && arg(0) == "test")
            }
            "export" => args.iter().all(|a| {
                let name = a.split('=').next().unwrap_or("");
                matches!(
                    name,
                    "RUSTUP_TOOLCHAIN" | "CARGO_TARGET_DIR" | "GOPATH" | "GOFLAGS"
                ) || name.starts_with("CGO_")
            }),
            // Guix installs license files itself.
            "install" => args
                .last()
                .is_some_and(|t| t.contains("/usr/share/licenses/")),
            _ => false,
        }
    }
}

impl BuildPlan {
    /// Reads the plan from a recipe's `prepare`, `build`, `check` and
    /// `package*` functions and its `options`.
    pub fn from_recipe(recipe: &Recipe) -> Self {
        let mut reader = Reader {
            plan: BuildPlan::default(),
            function: "",
        };
        let order = |name: &str| match name {
            "prepare" => 0,
            "build" => 1,
            "check" => 2,
            _ => 3,
        };
        let mut functions: Vec<_> = recipe
            .functions
            .iter()
            .filter(|f| f.name != "pkgver")
            .collect();
        functions.sort_by_key(|f| order(&f.name));
        for f in functions {
            reader.function = &f.name;
            for (offset, text) in logical_lines(&f.body) {
                if !reader.line(&text) {
                    reader.plan.custom.push(CustomStep {
                        function: f.name.clone(),
                        line: f.line + u32::try_from(offset).unwrap_or(0),
                        text,
                    });
                }
            }
        }
        let check_disabled = recipe.base.options.iter().flatten().any(|o| o == "!check");
        reader.plan.tests = recipe.function("check").is_some() && !check_disabled;
        if reader.plan.system.is_none() {
            reader.plan.system = recipe.build_system.clone();
        }
        reader.plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::{BuildFunction, Origin};

    fn recipe(functions: &[(&str, &str)]) -> Recipe {
        let mut r = Recipe::new(Origin::Arch, "x");
        r.functions = functions
            .iter()
            .enumerate()
            .map(|(i, (name, body))| BuildFunction {
                name: (*name).into(),
                body: (*body).into(),
                line: 10 * (i as u32 + 1),
            })
            .collect();
        r
    }

    #[test]
    fn infer_system_cases() {
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
            assert_eq!(infer_system(body), want, "{body}");
        }
    }

    #[test]
    fn gnu_plan_with_flags_and_custom_lines() {
        let r = recipe(&[
            (
                "build",
                "\n  cd foo-$pkgver\n  ./configure --prefix=/usr --sysconfdir=/etc \\\n    --disable-static --with-zlib\n  make V=1\n  sed -i 's/a/b/' x\n",
            ),
            ("check", "\n  cd foo\n  make -k test\n"),
            (
                "package",
                "\n  cd foo\n  make DESTDIR=\"$pkgdir\" install\n  install -Dm644 COPYING \"$pkgdir/usr/share/licenses/$pkgname/COPYING\"\n",
            ),
        ]);
        let p = BuildPlan::from_recipe(&r);
        assert_eq!(p.system.as_deref(), Some("gnu"));
        assert_eq!(p.configure_flags, ["--disable-static", "--with-zlib"]);
        assert_eq!(p.make_flags, ["V=1"]);
        assert!(p.tests && p.runs_configure);
        assert_eq!(p.test_target.as_deref(), Some("test"));
        assert_eq!(p.custom.len(), 1);
        assert_eq!(p.custom[0].text, "sed -i 's/a/b/' x");
        assert_eq!(p.custom[0].line, 15);
    }

    #[test]
    fn cmake_meson_and_disabled_tests() {
        let mut r = recipe(&[
            (
                "build",
                "\n  cmake -B build -S src -G Ninja -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=None -DWITH_X=ON\n  cmake --build build\n",
            ),
            ("check", "\n  ctest --test-dir build\n"),
            ("package", "\n  DESTDIR=\"$pkgdir\" cmake --install build\n"),
        ]);
        r.base.options = Some(vec!["!check".into()]);
        let p = BuildPlan::from_recipe(&r);
        assert_eq!(p.system.as_deref(), Some("cmake"));
        assert_eq!(p.configure_flags, ["-DWITH_X=ON"]);
        assert!(!p.tests);
        assert!(p.custom.is_empty(), "{:?}", p.custom);

        let r = recipe(&[
            (
                "build",
                "\n  arch-meson src build -D docs=false -Dtests=true\n  meson compile -C build\n",
            ),
            (
                "package",
                "\n  meson install -C build --destdir \"$pkgdir\"\n",
            ),
        ]);
        let p = BuildPlan::from_recipe(&r);
        assert_eq!(p.system.as_deref(), Some("meson"));
        assert_eq!(p.configure_flags, ["-Ddocs=false", "-Dtests=true"]);
        assert!(!p.tests);
    }

    #[test]
    fn pipes_and_substitutions_are_custom() {
        let r = recipe(&[("build", "\n  make | tee log\n  ./configure $(foo)\n")]);
        let p = BuildPlan::from_recipe(&r);
        assert_eq!(p.custom.len(), 2);
    }
}
