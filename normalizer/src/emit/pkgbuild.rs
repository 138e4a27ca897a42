//! A PKGBUILD from a recipe (normally a Guix-origin one): metadata with
//! names and licenses mapped to Arch's, the origin as `source` with its
//! hash in hex, and `build()`, `check()` and `package()` written for the
//! Guix build system from its `arguments` (`#:configure-flags`,
//! `#:make-flags`, `#:tests?`, `#:test-target`, deleted phases).
//!
//! Scheme that has no shell counterpart (custom phases, flags computed from
//! inputs) is named in a `#` comment and in the warnings.

use std::fmt::Write as _;

use super::nix_base32;
use super::sexp::{self, Sexp};
use super::Emitted;
use crate::mapping::Mappings;
use crate::recipe::{GuixInputKind, Origin, Recipe, Relation};
use crate::source::{Checksum, ChecksumKind, Source};

/// A word for the shell: bare when safe, else single-quoted.
pub fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=:+,@%-".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A double-quoted shell string of `text` with each occurrence of
/// `version` written as `${pkgver}`.
fn with_pkgver(text: &str, version: Option<&str>) -> String {
    let escape = |s: &str| {
        s.replace('\\', r"\\")
            .replace('"', "\\\"")
            .replace('$', r"\$")
            .replace('`', "\\`")
    };
    let pieces: Vec<String> = match version.filter(|v| !v.is_empty()) {
        Some(v) => text.split(v).map(escape).collect(),
        None => vec![escape(text)],
    };
    format!("\"{}\"", pieces.join("${pkgver}"))
}

/// `mirror://` URLs of Guix spelled out for makepkg (one mirror each).
const MIRRORS: [(&str, &str); 18] = [
    ("mirror://gnu/", "https://ftp.gnu.org/gnu/"),
    (
        "mirror://sourceforge/",
        "https://downloads.sourceforge.net/",
    ),
    (
        "mirror://savannah/",
        "https://download.savannah.gnu.org/releases/",
    ),
    ("mirror://gnome/", "https://download.gnome.org/"),
    ("mirror://kernel.org/", "https://www.kernel.org/pub/"),
    ("mirror://cpan/", "https://cpan.metacpan.org/"),
    ("mirror://xorg/", "https://www.x.org/releases/"),
    ("mirror://apache/", "https://archive.apache.org/dist/"),
    ("mirror://hackage/", "https://hackage.haskell.org/"),
    ("mirror://kde/", "https://download.kde.org/"),
    ("mirror://mate/", "https://pub.mate-desktop.org/releases/"),
    ("mirror://debian/", "https://ftp.debian.org/debian/"),
    ("mirror://gnupg/", "https://gnupg.org/ftp/gcrypt/"),
    ("mirror://netfilter.org/", "https://www.netfilter.org/pub/"),
    ("mirror://openbsd/", "https://ftp.openbsd.org/pub/OpenBSD/"),
    ("mirror://gcc/", "https://gcc.gnu.org/pub/gcc/"),
    ("mirror://cran/", "https://cran.r-project.org/"),
    (
        "mirror://imagemagick/",
        "https://sunsite.icm.edu.pl/packages/ImageMagick/releases/",
    ),
];

/// `url` with a Guix `mirror://` prefix spelled out as one mirror makepkg
/// can fetch from; `None` for a mirror Kiln does not know.
pub fn expand_mirror(url: &str) -> Option<String> {
    if !url.starts_with("mirror://") {
        return Some(url.to_owned());
    }
    MIRRORS
        .iter()
        .find_map(|(m, full)| url.strip_prefix(m).map(|rest| format!("{full}{rest}")))
}

/// The directory a source unpacks to, by makepkg's and Guix's shared
/// convention: the archive name without its extension, a checkout's name.
fn unpacked_dir(src: &Source) -> String {
    let name = src.file_name();
    if src.vcs().is_some() {
        return name.to_owned();
    }
    for ext in [
        ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.lz", ".tar.zst", ".tgz", ".tbz2", ".txz", ".tar",
        ".zip",
    ] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem.to_owned();
        }
    }
    name.to_owned()
}

/// What the Guix `arguments` say, as far as a PKGBUILD can say it.
#[derive(Default)]
struct Arguments {
    configure_flags: Vec<String>,
    make_flags: Vec<String>,
    tests: bool,
    test_target: Option<String>,
    deleted_phases: Vec<String>,
    /// Comments for the PKGBUILD (and warnings).
    lost: Vec<String>,
}

fn phase_name(s: &Sexp) -> String {
    s.unquoted().to_string()
}

fn read_arguments(text: Option<&str>) -> Arguments {
    let mut a = Arguments {
        tests: true,
        ..Arguments::default()
    };
    let Some(text) = text else {
        return a;
    };
    let datum = match sexp::read(text) {
        Ok(d) => d,
        Err(e) => {
            a.lost
                .push(format!("arguments unreadable ({e}), not carried over"));
            return a;
        }
    };
    let Some(pairs) = datum.keyword_arguments() else {
        a.lost.push(format!(
            "arguments are computed ({}), not carried over",
            datum
                .unquoted()
                .to_string()
                .chars()
                .take(60)
                .collect::<String>()
        ));
        return a;
    };
    for (key, value) in pairs {
        let strings = |what: &str, lost: &mut Vec<String>| -> Vec<String> {
            let Some(items) = value.list_items() else {
                lost.push(format!("#:{what} is computed, not carried over"));
                return Vec::new();
            };
            let mut out = Vec::new();
            for item in items {
                match item.eval_string() {
                    Some(s) => out.push(s),
                    None => lost.push(format!(
                        "#:{what} item {item} is computed, not carried over"
                    )),
                }
            }
            out
        };
        match key {
            "configure-flags" => a.configure_flags = strings(key, &mut a.lost),
            "make-flags" => a.make_flags = strings(key, &mut a.lost),
            "tests?" => a.tests = !matches!(value.unquoted(), Sexp::Bool(false)),
            "test-target" => match value.eval_string() {
                Some(t) => a.test_target = Some(t),
                None => a.lost.push(format!("#:test-target {value} is computed")),
            },
            "phases" => {
                let Some(Sexp::List(items)) = Some(value.unquoted()) else {
                    a.lost.push("#:phases is computed, not carried over".into());
                    continue;
                };
                let is_modify =
                    matches!(items.first(), Some(Sexp::Atom(h)) if h == "modify-phases");
                if !is_modify {
                    a.lost.push("#:phases is computed, not carried over".into());
                    continue;
                }
                for clause in items.iter().skip(2) {
                    let Sexp::List(c) = clause else { continue };
                    let head = match c.first() {
                        Some(Sexp::Atom(h)) => h.as_str(),
                        _ => "",
                    };
                    match (head, c.get(1), c.get(2)) {
                        ("delete", Some(p), _) => a.deleted_phases.push(phase_name(p)),
                        ("replace", Some(p), _) => a.lost.push(format!(
                            "phase {} is replaced by Scheme code, not carried over",
                            phase_name(p)
                        )),
                        ("add-after" | "add-before", Some(at), Some(p)) => a.lost.push(format!(
                            "phase {} ({head} {}) is Scheme code, not carried over",
                            phase_name(p),
                            phase_name(at)
                        )),
                        _ => a
                            .lost
                            .push(format!("phase change ({head} ...) not carried over")),
                    }
                }
            }
            "modules" | "imported-modules" | "parallel-build?" | "parallel-tests?" => {}
            other => a.lost.push(format!("#:{other} not carried over")),
        }
    }
    a
}

/// The shell steps of one build system.
struct Steps {
    build: Vec<String>,
    check: Vec<String>,
    package: Vec<String>,
}

fn steps(system: &str, args: &Arguments, lost: &mut Vec<String>) -> Steps {
    let words = |v: &[String]| v.iter().map(|s| shell_word(s)).collect::<Vec<_>>();
    let join = |head: &str, rest: Vec<String>| {
        let mut parts = vec![head.to_owned()];
        parts.extend(rest);
        parts.join(" ")
    };
    let configure_flags: Vec<String> = args
        .configure_flags
        .iter()
        .filter(|f| !f.starts_with("--prefix="))
        .cloned()
        .collect();
    let deleted = |p: &str| args.deleted_phases.iter().any(|d| d == p);
    let mut s = Steps {
        build: Vec::new(),
        check: Vec::new(),
        package: Vec::new(),
    };
    match system {
        "gnu" | "glib-or-gtk" => {
            if !deleted("configure") {
                let mut w = vec!["--prefix=/usr".to_owned()];
                w.extend(words(&configure_flags));
                s.build.push(join("./configure", w));
            }
            if !deleted("build") {
                s.build.push(join("make", words(&args.make_flags)));
            }
            let target = args.test_target.clone().unwrap_or_else(|| "check".into());
            let mut w = words(&args.make_flags);
            w.push(shell_word(&target));
            s.check.push(join("make", w));
            let mut w = vec!["DESTDIR=\"$pkgdir\"".to_owned()];
            w.extend(words(&args.make_flags));
            w.push("install".into());
            s.package.push(join("make", w));
        }
        "cmake" => {
            let mut w = vec![
                "-B build".to_owned(),
                "-S .".to_owned(),
                "-DCMAKE_INSTALL_PREFIX=/usr".to_owned(),
                "-DCMAKE_BUILD_TYPE=None".to_owned(),
            ];
            w.extend(words(&configure_flags));
            s.build.push(join("cmake", w));
            s.build
                .push(join("cmake --build build", words(&args.make_flags)));
            s.check
                .push("ctest --test-dir build --output-on-failure".into());
            s.package
                .push("DESTDIR=\"$pkgdir\" cmake --install build".into());
        }
        "meson" => {
            let mut w = vec!["--prefix=/usr".to_owned(), "--buildtype=plain".to_owned()];
            w.extend(words(&configure_flags));
            w.push(". build".into());
            s.build.push(join("meson setup", w));
            s.build.push("meson compile -C build".into());
            s.check.push("meson test -C build --print-errorlogs".into());
            s.package
                .push("meson install -C build --destdir \"$pkgdir\"".into());
        }
        "python" => {
            s.build.push("python setup.py build".into());
            s.check.push("python -m pytest".into());
            s.package.push(
                "python setup.py install --root=\"$pkgdir\" --optimize=1 --skip-build".into(),
            );
        }
        "pyproject" => {
            s.build
                .push("python -m build --wheel --no-isolation".into());
            s.check.push("python -m pytest".into());
            s.package
                .push("python -m installer --destdir=\"$pkgdir\" dist/*.whl".into());
        }
        "cargo" => {
            s.build.push("cargo build --release --locked".into());
            s.check.push("cargo test --release --locked".into());
            s.package
                .push("cargo install --no-track --locked --root \"$pkgdir/usr\" --path .".into());
        }
        "go" => {
            s.build.push("go build -o \"$pkgname\" .".into());
            s.check.push("go test ./...".into());
            s.package
                .push("install -Dm755 \"$pkgname\" \"$pkgdir/usr/bin/$pkgname\"".into());
        }
        "copy" => {
            lost.push("copy-build-system's #:install-plan is not carried over".into());
        }
        other => {
            lost.push(format!("build system {other} has no PKGBUILD counterpart"));
        }
    }
    if !args.tests || deleted("check") {
        s.check.clear();
    }
    s
}

/// The PKGBUILD of `recipe`.
pub fn pkgbuild(recipe: &Recipe, maps: &Mappings) -> Emitted {
    let mut warnings = Vec::new();
    let from_guix = recipe.origin == Origin::Guix;
    let arch_name = |guix: &str| {
        if from_guix {
            maps.guix_to_arch(guix)
                .into_iter()
                .next()
                .unwrap_or_else(|| guix.to_owned())
        } else {
            guix.to_owned()
        }
    };
    let pkgname = arch_name(&recipe.pkgbase);
    let version = recipe.pkgver.clone();
    let pkgver = version.as_deref().map(|v| {
        let fixed: String = v
            .chars()
            .map(|c| {
                if c == '-' || c == ':' || c == '/' || c.is_whitespace() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        if fixed != v {
            warnings.push(format!(
                "version {v} is not a valid pkgver; written as {fixed}"
            ));
        }
        fixed
    });
    // `${pkgver}` may stand for the version only where both are the same text.
    let subst = version.as_deref().filter(|v| Some(*v) == pkgver.as_deref());
    let mut out = String::new();
    let module = recipe
        .guix
        .as_ref()
        .map(|g| format!(" ({}, {})", g.variable, g.module));
    let _ = writeln!(
        out,
        "# Translated by Kiln from the {} recipe {}{}.",
        recipe.origin,
        recipe.pkgbase,
        module.unwrap_or_default()
    );
    let _ = writeln!(out, "pkgname={}", shell_word(&pkgname));
    match &pkgver {
        Some(v) => {
            let _ = writeln!(out, "pkgver={}", shell_word(v));
        }
        None => {
            warnings.push("no version: pkgver=0 written".into());
            let _ = writeln!(out, "# The recipe states no version.\npkgver=0");
        }
    }
    let _ = writeln!(out, "pkgrel=1");
    if let Some(d) = &recipe.base.pkgdesc {
        let _ = writeln!(out, "pkgdesc={}", shell_word(d));
    }
    let _ = writeln!(out, "arch=(x86_64)");
    if let Some(u) = &recipe.base.url {
        let _ = writeln!(out, "url={}", shell_word(u));
    }

    // Licenses, as SPDX.
    let mut licenses: Vec<String> = Vec::new();
    let mut stated: Vec<String> = recipe
        .base
        .license
        .iter()
        .flatten()
        .map(|l| l.as_str().to_owned())
        .collect();
    if stated.is_empty() {
        stated = recipe
            .guix
            .as_ref()
            .map(|g| g.license_names.clone())
            .unwrap_or_default();
    }
    for l in &stated {
        let spdx = maps
            .guix_to_spdx(l)
            .map(str::to_owned)
            .or_else(|| crate::License::new(l.as_str()).spdx());
        let id = spdx.unwrap_or_else(|| {
            let clean: String = l
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            warnings.push(format!(
                "license {l} has no SPDX identifier; written as LicenseRef-{clean}"
            ));
            format!("LicenseRef-{clean}")
        });
        if !licenses.contains(&id) {
            licenses.push(id);
        }
    }
    if !licenses.is_empty() {
        let words: Vec<String> = licenses.iter().map(|l| shell_word(l)).collect();
        let _ = writeln!(out, "license=({})", words.join(" "));
    }

    // Dependencies.
    let mut depends: Vec<String> = Vec::new();
    let mut makedepends: Vec<String> = Vec::new();
    let push = |list: &mut Vec<String>, name: String| {
        if name != pkgname && !list.contains(&name) {
            list.push(name);
        }
    };
    match recipe.guix.as_ref().filter(|g| !g.inputs.is_empty()) {
        Some(g) => {
            for input in &g.inputs {
                let Some(name) = &input.name else {
                    warnings.push(format!(
                        "input {} is not a package ({}), not carried over",
                        input.label,
                        input.output.as_deref().unwrap_or("origin or file")
                    ));
                    continue;
                };
                let list = match input.kind {
                    GuixInputKind::NativeInputs => &mut makedepends,
                    GuixInputKind::Inputs | GuixInputKind::PropagatedInputs => &mut depends,
                };
                push(list, arch_name(name));
            }
        }
        None => {
            for (rel, list) in [
                (Relation::Depends, &mut depends),
                (Relation::MakeDepends, &mut makedepends),
            ] {
                for d in recipe
                    .base
                    .relation(rel)
                    .iter()
                    .flat_map(|l| l.for_arch("x86_64"))
                {
                    push(list, arch_name(d.name()));
                }
            }
        }
    }
    // makepkg needs the client of a version-controlled source to fetch it.
    for source in recipe.base.source.for_arch("x86_64") {
        if let Some(vcs) = source.vcs() {
            push(&mut makedepends, vcs.arch_client().to_owned());
        }
    }
    makedepends.retain(|m| !depends.contains(m));
    for (name, list) in [("depends", &depends), ("makedepends", &makedepends)] {
        if !list.is_empty() {
            let words: Vec<String> = list.iter().map(|d| shell_word(d)).collect();
            let _ = writeln!(out, "{name}=({})", words.join(" "));
        }
    }

    // Sources and their sha256 in hex.
    let sources: Vec<Source> = recipe.base.source.for_arch("x86_64").cloned().collect();
    let sums = recipe.base.checksums.get(&ChecksumKind::Sha256);
    let sum_at = |i: usize| {
        let all_len = recipe.base.source.all.as_ref().map_or(0, Vec::len);
        let per = sums?;
        if i < all_len {
            per.all.as_ref()?.get(i)
        } else {
            per.per_arch.get("x86_64")?.get(i - all_len)
        }
    };
    let mut source_words = Vec::new();
    let mut sum_words = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        let Some(text) = expand_mirror(src.as_str()) else {
            warnings.push(format!(
                "source {}: unknown mirror, written as is",
                src.as_str()
            ));
            source_words.push(with_pkgver(src.as_str(), subst));
            sum_words.push("'SKIP'".to_owned());
            continue;
        };
        source_words.push(with_pkgver(&text, subst));
        let sum = match (src.vcs(), sum_at(i)) {
            (Some(_), _) => {
                warnings.push(format!(
                    "source {}: Guix hashes the checkout, which makepkg cannot check (SKIP)",
                    src.as_str()
                ));
                "SKIP".to_owned()
            }
            (None, Some(Checksum::Digest(d))) if d.len() == 64 => d.to_ascii_lowercase(),
            (None, Some(Checksum::Digest(d))) => match nix_base32::to_hex(d, 32) {
                Some(hex) => hex,
                None => {
                    warnings.push(format!(
                        "source {}: checksum {d} is not a sha256",
                        src.as_str()
                    ));
                    "SKIP".to_owned()
                }
            },
            (None, _) => {
                warnings.push(format!("source {}: no sha256 (SKIP)", src.as_str()));
                "SKIP".to_owned()
            }
        };
        sum_words.push(format!("'{sum}'"));
    }
    let patches = recipe
        .guix
        .as_ref()
        .map(|g| g.patches.clone())
        .unwrap_or_default();
    for p in &patches {
        source_words.push(shell_word(p));
        sum_words.push("'SKIP'".into());
    }
    if !patches.is_empty() {
        warnings.push(format!(
            "patches {} must be copied beside the PKGBUILD from Guix's gnu/packages/patches",
            patches.join(", ")
        ));
    }
    if !source_words.is_empty() {
        let _ = writeln!(out, "source=({})", source_words.join("\n        "));
        let _ = writeln!(out, "sha256sums=({})", sum_words.join("\n            "));
    }

    // Build functions.
    let args = read_arguments(recipe.guix.as_ref().and_then(|g| g.arguments.as_deref()));
    let mut lost = args.lost.clone();
    let system = recipe
        .build_system
        .clone()
        .unwrap_or_else(|| "gnu".to_owned());
    if recipe.build_system.is_none() {
        lost.push("no build system stated; gnu assumed".into());
    }
    let st = steps(&system, &args, &mut lost);
    let dir = sources
        .iter()
        .find(|s| !s.is_local())
        .map(|s| with_pkgver(&unpacked_dir(s), subst));
    let cd = dir.map(|d| format!("cd {d}"));
    if !lost.is_empty() {
        out.push('\n');
        for l in &lost {
            let _ = writeln!(out, "# Not carried over from Guix: {l}");
        }
    }
    warnings.extend(lost);
    let mut function = |name: &str, body: &[String]| {
        if body.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{name}() {{");
        if let Some(cd) = &cd {
            let _ = writeln!(out, "  {cd}");
        }
        for l in body {
            let _ = writeln!(out, "  {l}");
        }
        out.push_str("}\n");
    };
    let prepare: Vec<String> = patches
        .iter()
        .map(|p| {
            format!(
                "patch -Np1 -i {}",
                with_pkgver(&format!("$srcdir/{p}"), None).replace(r"\$srcdir", "$srcdir")
            )
        })
        .collect();
    function("prepare", &prepare);
    function("build", &st.build);
    function("check", &st.check);
    if st.package.is_empty() {
        function(
            "package",
            &[": # nothing Kiln could carry over; see the comments above".to_owned()],
        );
    } else {
        function("package", &st.package);
    }
    Emitted {
        text: out,
        warnings,
    }
}
