//! The PKGBUILD importer on input it cannot or must not take as fact.
//!
//! Broken files (binary, oversized, invalid UTF-8, unterminated quotes or
//! arrays, absurd nesting, a directory) give an error that names the file,
//! and the line where there is one: never a panic, never a hang. Constructs
//! that need execution give warnings with file and line.

use std::path::Path;
use std::time::{Duration, Instant};

use kiln_importers::pkgbuild::{self, PkgbuildError};
use kiln_normalizer::{Recipe, WarningKind};

const HEADER: &str = "pkgname=demo\npkgver=1.0\npkgrel=1\narch=(x86_64)\n";

/// Writes `bytes` as `PKGBUILD` in a fresh directory and reads it, within a
/// time limit (a hang fails the test instead of blocking it).
fn read_bytes(bytes: &[u8]) -> (tempfile::TempDir, Result<Recipe, PkgbuildError>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("PKGBUILD");
    std::fs::write(&path, bytes).expect("writing PKGBUILD");
    let start = Instant::now();
    let result = pkgbuild::read_file(&path);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "reading took {:?}",
        start.elapsed()
    );
    (dir, result)
}

/// The error for `bytes`, checked to name the file (and `line` when given).
fn error_for(bytes: &[u8], line: Option<u32>) -> String {
    let (dir, result) = read_bytes(bytes);
    let message = match result {
        Ok(r) => panic!("expected an error, got a recipe for {}", r.pkgbase),
        Err(e) => e.to_string(),
    };
    let file = dir.path().join("PKGBUILD").display().to_string();
    assert!(message.contains(&file), "{message:?} does not name {file}");
    if let Some(line) = line {
        assert!(
            message.contains(&format!("line {line}:")),
            "{message:?} does not name line {line}"
        );
    }
    message
}

fn warnings_of(text: &str) -> Vec<(WarningKind, u32, Option<String>, String)> {
    let (dir, result) = read_bytes(text.as_bytes());
    let recipe = result.expect("the PKGBUILD reads");
    let file = dir.path().join("PKGBUILD").display().to_string();
    recipe
        .warnings
        .iter()
        .map(|w| {
            assert_eq!(w.file, file, "warning names its file");
            (w.kind, w.line, w.attribute.clone(), w.message.clone())
        })
        .collect()
}

fn has(
    warnings: &[(WarningKind, u32, Option<String>, String)],
    kind: WarningKind,
    line: u32,
) -> bool {
    warnings.iter().any(|(k, l, _, _)| *k == kind && *l == line)
}

#[test]
fn binary_file_is_an_error_with_the_line_of_the_nul_byte() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"\x7fELF\x02\x01\x01\x00\x00\x00");
    let message = error_for(&bytes, Some(5));
    assert!(message.contains("binary"), "{message}");
}

#[test]
fn fifty_megabyte_file_is_refused_before_it_is_read() {
    let mut text = String::from(HEADER);
    let line = "# padding padding padding padding padding padding padding padding\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    let message = error_for(text.as_bytes(), None);
    assert!(message.contains("more than the limit"), "{message}");
}

#[test]
fn invalid_utf8_is_an_error_with_its_line() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"pkgdesc=\"caf\xe9 \xff\"\n");
    let message = error_for(&bytes, Some(5));
    assert!(message.contains("UTF-8"), "{message}");
}

#[test]
fn unterminated_double_quote_is_an_error_at_its_line() {
    let text = format!("{HEADER}pkgdesc=\"never closed\nurl=https://example.org\n");
    let message = error_for(text.as_bytes(), Some(5));
    assert!(message.contains("unterminated"), "{message}");
}

#[test]
fn unterminated_single_quote_is_an_error_at_its_line() {
    let text = format!("{HEADER}depends=(glibc)\nsource=('https://example.org/a.tar.gz)\n");
    let message = error_for(text.as_bytes(), Some(6));
    assert!(message.contains("unterminated"), "{message}");
}

#[test]
fn unterminated_array_is_an_error_at_its_line() {
    let text = format!("{HEADER}depends=(glibc\n  zlib\n");
    let message = error_for(text.as_bytes(), Some(5));
    assert!(message.contains("unterminated array"), "{message}");
}

#[test]
fn array_running_into_a_function_is_an_error_naming_both_lines() {
    let text = format!("{HEADER}depends=(glibc\n  zlib\n\nbuild() {{\n  make\n}}\n");
    let message = error_for(text.as_bytes(), Some(8));
    assert!(message.contains("array opened at line 5"), "{message}");
}

#[test]
fn ten_thousand_deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 10_000;
    let cases = [
        ("{ ".repeat(depth), " }".repeat(depth)),
        ("( ".repeat(depth), " )".repeat(depth)),
        ("x=${a:-".repeat(depth), "}".repeat(depth)),
        ("x=$(".repeat(depth), ")".repeat(depth)),
        (
            "if true; then ".repeat(depth),
            " fi;".repeat(depth).to_string(),
        ),
    ];
    for (n, (open, close)) in cases.iter().enumerate() {
        let text = format!("{HEADER}{open}true{close}\n");
        let (_dir, result) = read_bytes(text.as_bytes());
        let message = match result {
            Ok(_) => panic!("case {n}: expected an error"),
            Err(e) => e.to_string(),
        };
        assert!(message.contains("nesting deeper"), "case {n}: {message}");
        assert!(message.contains("line 5:"), "case {n}: {message}");
    }
}

#[test]
fn deep_expansion_inside_quotes_is_bounded() {
    // One word, nested in quotes and expansions, below the syntax limit
    // but past the expander's: an unknown value, not a crash.
    let depth = 200;
    let text = format!(
        "{HEADER}pkgdesc=\"{}x{}\"\n",
        "${a:-\"".repeat(depth),
        "\"}".repeat(depth)
    );
    let (_dir, result) = read_bytes(text.as_bytes());
    if let Ok(recipe) = result {
        assert!(recipe.unknown.contains("pkgdesc") || recipe.base.pkgdesc.is_some());
    }
}

#[test]
fn a_directory_named_pkgbuild_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("PKGBUILD");
    std::fs::create_dir(&path).expect("creating the directory");
    let message = pkgbuild::read_file(&path).unwrap_err().to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("not a regular file"), "{message}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let path = Path::new("no/such/dir/PKGBUILD");
    let message = pkgbuild::read_file(path).unwrap_err().to_string();
    assert!(message.contains("no/such/dir/PKGBUILD"), "{message}");
}

#[test]
fn command_substitution_warns_with_line_and_attribute() {
    let w = warnings_of(&format!(
        "{HEADER}_date=$(date +%Y%m%d)\npkgdesc=\"built on $_date\"\nurl=`cat url.txt`\n"
    ));
    assert!(has(&w, WarningKind::CommandSubstitution, 5), "{w:?}");
    assert!(
        w.iter()
            .any(|(k, l, a, _)| *k == WarningKind::CommandSubstitution
                && *l == 5
                && a.as_deref() == Some("pkgdesc")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|(k, l, a, _)| *k == WarningKind::CommandSubstitution
                && *l == 7
                && a.as_deref() == Some("url")),
        "{w:?}"
    );
}

#[test]
fn pkgver_function_warns_at_its_line() {
    let w = warnings_of(&format!(
        "{HEADER}\npkgver() {{\n  git describe --tags\n}}\n"
    ));
    assert!(has(&w, WarningKind::PkgverFunction, 6), "{w:?}");
}

#[test]
fn source_and_unknown_eval_warn_at_their_lines() {
    let w = warnings_of(&format!(
        "{HEADER}source ./common.sh\neval \"$(cat extra.sh)\"\n. /etc/makepkg.conf\n"
    ));
    assert!(has(&w, WarningKind::SourceOrEval, 5), "{w:?}");
    assert!(has(&w, WarningKind::CommandSubstitution, 6), "{w:?}");
    assert!(has(&w, WarningKind::SourceOrEval, 7), "{w:?}");
}

#[test]
fn loops_that_assign_warn_and_leave_the_attribute_unknown() {
    let w = warnings_of(&format!(
        "{HEADER}while read -r d; do\n  depends+=(\"$d\")\ndone < deps.txt\nfor f in $(ls); do source+=(\"$f\"); done\n"
    ));
    assert!(
        w.iter().any(|(k, l, a, _)| *k == WarningKind::Loop
            && *l == 5
            && a.as_deref() == Some("depends")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|(k, l, a, _)| *k == WarningKind::CommandSubstitution
                && *l == 8
                && a.as_deref() == Some("source")),
        "{w:?}"
    );
}

#[test]
fn a_loop_over_known_words_is_evaluated_without_a_warning() {
    let (_dir, result) =
        read_bytes(format!("{HEADER}for d in zlib bzip2; do depends+=(\"$d\"); done\n").as_bytes());
    let recipe = result.expect("reads");
    let deps: Vec<String> = recipe
        .base
        .relations
        .values()
        .flat_map(|p| p.iter_all().map(ToString::to_string))
        .collect();
    assert_eq!(deps, ["zlib", "bzip2"]);
    assert!(recipe.warnings.is_empty(), "{:?}", recipe.warnings);
}
