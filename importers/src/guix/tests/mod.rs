//! Unit tests of the Guix importer: the reader on each reader syntax, the
//! interpreter on small inline modules, and bad input (each must give an
//! error naming file and line while the rest goes on).

mod builtins;
mod cycles;

use super::reader::{read_forms, Syntax};
use super::*;

fn module(path: &str, text: &str) -> ModuleFile {
    ModuleFile::new(path, text)
}

/// A minimal `(guix licenses)` as the tree would hold it.
const LICENSES: &str = r#"
(define-module (guix licenses)
  #:export (gpl3+ expat fsf-free))
(define-record-type <license> (license name uri comment) license?)
(define gpl3+ (license "GPL 3+" "https://www.gnu.org/licenses/gpl.html" #f))
(define expat (license "Expat" "http://directory.fsf.org/wiki/License:Expat" #f))
(define* (fsf-free uri #:optional (comment ""))
  (license "FSF-free" uri comment))
"#;

const BUILD_SYSTEM: &str = r#"
(define-module (guix build-system gnu)
  #:export (gnu-build-system))
(define gnu-build-system
  (build-system (name 'gnu) (description "GNU") (lower (lambda args args))))
"#;

fn eval_modules(extra: &[(&str, &str)]) -> Evaluation {
    let mut files = vec![
        module("guix/licenses.scm", LICENSES),
        module("guix/build-system/gnu.scm", BUILD_SYSTEM),
    ];
    files.extend(extra.iter().map(|(p, t)| module(p, t)));
    evaluate(files)
}

fn record(eval: &Evaluation, variable: &str) -> serde_json::Value {
    eval.packages
        .iter()
        .map(|p| p.record_value())
        .find(|r| r["variable"] == variable)
        .unwrap_or_else(|| panic!("no record for {variable}; errors: {:?}", eval.errors))
}

/// The variable of each record, in order.
fn variables(eval: &Evaluation) -> Vec<String> {
    eval.packages
        .iter()
        .map(|p| p.record_value()["variable"].as_str().unwrap().to_owned())
        .collect()
}

fn first_list(text: &str) -> reader::List {
    match read_forms(text, "t.scm").unwrap().remove(0) {
        Syntax::List(l) => l,
        other => panic!("not a list: {other:?}"),
    }
}

#[test]
fn reader_maps_gexp_prefixes_to_lists() {
    let l = first_list("(#~(a #$b #$@c #+d))");
    let mut text = String::new();
    value::write_syntax(&mut text, &Syntax::List(l.clone()));
    assert_eq!(text, "(#~(a #$b #$@c #+d))");
    let gexp = l.items()[0].as_list().unwrap();
    assert_eq!(gexp.items()[0].as_symbol().unwrap().as_str(), "gexp");
    let inner = gexp.items()[1].as_list().unwrap();
    let heads: Vec<&str> = inner.items()[1..]
        .iter()
        .map(|i| {
            i.as_list().unwrap().items()[0]
                .as_symbol()
                .unwrap()
                .as_str()
        })
        .collect();
    assert_eq!(heads, ["ungexp", "ungexp-splicing", "ungexp-native"]);
}

#[test]
fn equal_strings_of_a_module_share_their_text() {
    let l = first_list(r#"("out" "doc" "out" "o\x75;t")"#);
    let Syntax::Str(a) = &l.items()[0] else {
        panic!()
    };
    let Syntax::Str(b) = &l.items()[1] else {
        panic!()
    };
    let Syntax::Str(c) = &l.items()[2] else {
        panic!()
    };
    let Syntax::Str(d) = &l.items()[3] else {
        panic!()
    };
    assert!(arcstr::ArcStr::ptr_eq(a, c));
    // Equal once read, though written otherwise.
    assert!(arcstr::ArcStr::ptr_eq(a, d));
    assert!(!arcstr::ArcStr::ptr_eq(a, b));
    assert_eq!((&**a, &**b), ("out", "doc"));
}

#[test]
fn reader_skips_comments_and_keeps_lines() {
    let forms = read_forms(
        "; line comment\n#| block #| nested |# |#\n(a #;(skipped) b)\n#;x\n(c)\n",
        "t.scm",
    )
    .unwrap();
    assert_eq!(forms.len(), 2);
    assert_eq!(forms[0].line(), 3);
    assert_eq!(forms[0].as_list().unwrap().items().len(), 2);
    assert_eq!(forms[1].line(), 5);
}

#[test]
fn reader_reads_atoms_as_guile_does() {
    let l = first_list(
        r#"(#true #false #t #f #\space #\a #\x41 #{odd sym}# #:key "a\x41;\n" 1/2 -3 . tail)"#,
    );
    assert_eq!(l.items()[0], Syntax::atom(lexpr::Value::Bool(true)));
    assert_eq!(l.items()[1], Syntax::atom(lexpr::Value::Bool(false)));
    assert_eq!(l.items()[4], Syntax::atom(lexpr::Value::Char(' ')));
    assert_eq!(l.items()[6], Syntax::atom(lexpr::Value::Char('A')));
    assert_eq!(l.items()[7].as_symbol().unwrap().as_str(), "odd sym");
    assert!(matches!(&l.items()[8], Syntax::Keyword(k) if k.as_str() == "key"));
    assert_eq!(l.items()[9].as_str(), Some("aA\n"));
    assert_eq!(l.tail().unwrap().as_symbol().unwrap().as_str(), "tail");
    // And the same datum as a plain lexpr value.
    assert_eq!(
        l.items()[10..12]
            .iter()
            .map(|s| s.to_value().to_string())
            .collect::<Vec<_>>(),
        ["0.5", "-3"]
    );
}

#[test]
fn reader_reads_lambda_dot_args_as_guile() {
    let l = first_list("(lambda (. args) args)");
    assert_eq!(l.items()[1].as_symbol().unwrap().as_str(), "args");
}

#[test]
fn reader_errors_name_the_line() {
    for (text, line, what) in [
        ("(a\n(b c)\n", 1, "never closed"),
        ("(a)\n)\n", 2, "unexpected ')'"),
        ("(a\n #<foo>)", 2, "unknown reader syntax"),
        ("(a \"open\n\n", 1, "string never closed"),
        ("(a\n [b)", 2, "closes the list"),
        ("#| never", 1, "block comment never closed"),
    ] {
        let e = read_forms(text, "bad.scm").unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.line),
            ("bad.scm", line),
            "{text:?}: {e}"
        );
        assert!(e.message.contains(what), "{text:?}: {e}");
        assert!(e.to_string().starts_with("reading Guix module bad.scm:"));
    }
}

#[test]
fn reader_refuses_deep_nesting_without_overflow() {
    let deep = "(".repeat(100_000) + &")".repeat(100_000);
    let e = read_forms(&deep, "deep.scm").unwrap_err();
    assert!(e.message.contains("nesting deeper"), "{e}");
    let quotes = "'".repeat(100_000) + "x";
    assert!(read_forms(&quotes, "deep.scm").is_err());
}

#[test]
fn nix_base32_decodes_to_hex() {
    assert_eq!(
        nix_base32_to_hex("1x1m58ckwsprljgmdy93mvgjyg9x3cqrzdf3mysp0mx97zhhj2f9").as_deref(),
        Some("c90909e13fa95770b5afc3b59f311b3d3d2fdfae23f9569fa4f96a3e192a35f4")
    );
    assert_eq!(nix_base32_to_hex("not base32!"), None);
}

const HELLO: &str = r#"
(define-module (gnu packages hello)
  #:use-module (guix packages)
  #:use-module (guix download)
  #:use-module (guix git-download)
  #:use-module ((guix licenses) #:prefix license:)
  #:use-module (guix build-system gnu)
  #:use-module (gnu packages base))

(define-public hello
  (package
    (name "hello")
    (version "2.10")
    (source (origin
              (method url-fetch)
              (uri (string-append "mirror://gnu/hello/hello-" version ".tar.gz"))
              (sha256 (base32 "1x1m58ckwsprljgmdy93mvgjyg9x3cqrzdf3mysp0mx97zhhj2f9"))
              (patches (search-patches "hello-fix.patch"))))
    (build-system gnu-build-system)
    (arguments '(#:tests? #f #:make-flags (list "CC=gcc")))
    (inputs `(("libc" ,libc)
              ,@(if (string=? (%current-system) "x86_64-linux")
                    `(("extra" ,libc "static"))
                    '())))
    (native-inputs (list libc))
    (synopsis "Hello, GNU world")
    (description "Prints a greeting.")
    (home-page "https://www.gnu.org/software/hello/")
    (license license:gpl3+)))

(define-public hello-git
  (let ((commit "0123456789abcdef0123456789abcdef01234567")
        (revision "1"))
    (package
      (inherit hello)
      (name "hello-git")
      (version (git-version (version-major+minor "2.10.3") revision commit))
      (source (origin
                (method git-fetch)
                (uri (git-reference (url "https://example.org/hello") (commit commit)))
                (file-name (git-file-name name version))
                (sha256 (base32 "1x1m58ckwsprljgmdy93mvgjyg9x3cqrzdf3mysp0mx97zhhj2f9"))))
      (inputs (modify-inputs (package-inputs hello)
                (delete "extra")
                (prepend libc-utils)))
      (license (list license:expat (license:fsf-free "https://example.org"))))))

(define (make-greeter suffix)
  (package
    (inherit hello)
    (name (string-append "hello-" suffix))
    (propagated-inputs (list (this-package-input "libc")))))

(define-public hello-fr (make-greeter "fr"))
(define-public hello-alias hello)
"#;

const BASE: &str = r#"
(define-module (gnu packages base)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu)
  #:export (libc-utils))
(define-public libc
  (package (name "libc") (version "2.33") (source #f) (build-system gnu-build-system)
    (outputs '("out" "static")) (synopsis "C library") (description "libc")
    (home-page "https://www.gnu.org/software/libc/") (license #f)))
(define libc-utils
  (package (inherit libc) (name "libc-utils")))
"#;

#[test]
fn evaluates_packages_sources_and_inputs() {
    let eval = eval_modules(&[
        ("gnu/packages/hello.scm", HELLO),
        ("gnu/packages/base.scm", BASE),
    ]);
    assert!(eval.errors.is_empty(), "{:?}", eval.errors);
    let hello = record(&eval, "hello");
    assert_eq!(hello["name"], "hello");
    assert_eq!(hello["line"], 11);
    assert_eq!(hello["definition_line"], 10);
    assert_eq!(hello["build_system"], "gnu");
    assert_eq!(hello["source"]["method"], "url-fetch");
    assert_eq!(
        hello["source"]["uri"],
        serde_json::json!(["mirror://gnu/hello/hello-2.10.tar.gz"])
    );
    assert_eq!(
        hello["source"]["sha256_hex"],
        "c90909e13fa95770b5afc3b59f311b3d3d2fdfae23f9569fa4f96a3e192a35f4"
    );
    assert_eq!(
        hello["source"]["patches"],
        serde_json::json!(["hello-fix.patch"])
    );
    assert_eq!(
        hello["inputs"],
        serde_json::json!([
            ["libc", "libc", "2.33"],
            ["extra", "libc", "2.33", "static"]
        ])
    );
    assert_eq!(
        hello["native_inputs"],
        serde_json::json!([["libc", "libc", "2.33"]])
    );
    assert_eq!(hello["license"], serde_json::json!(["GPL 3+"]));
    assert_eq!(
        hello["argument_keywords"],
        serde_json::json!(["tests?", "make-flags"])
    );
    // The alias is a binding of the same object, not a second record.
    assert_eq!(hello["bindings"].as_array().unwrap().len(), 2);
    assert!(!eval
        .packages
        .iter()
        .any(|p| p.record_value()["variable"] == "hello-alias"));

    let git = record(&eval, "hello-git");
    assert_eq!(git["version"], "2.10-1.0123456");
    assert_eq!(git["source"]["method"], "git-fetch");
    assert_eq!(
        git["source"]["uri"]["commit"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(
        git["source"]["file_name"],
        "hello-git-2.10-1.0123456-checkout"
    );
    assert_eq!(
        git["inputs"],
        serde_json::json!([
            ["libc-utils", "libc-utils", "2.33"],
            ["libc", "libc", "2.33"]
        ])
    );
    assert_eq!(git["license"], serde_json::json!(["Expat", "FSF-free"]));
    assert_eq!(git["synopsis"], "Hello, GNU world");

    let fr = record(&eval, "hello-fr");
    assert_eq!(fr["name"], "hello-fr");
    assert_eq!(
        fr["propagated_inputs"],
        serde_json::json!([["libc", "libc", "2.33"]])
    );

    // The recipe side.
    let recipe = &eval
        .packages
        .iter()
        .find(|p| p.record_value()["variable"] == "hello-git")
        .unwrap()
        .recipe;
    assert_eq!(recipe.pkgbase, "hello-git");
    assert_eq!(recipe.build_system.as_deref(), Some("gnu"));
    let licenses: Vec<String> = recipe
        .base
        .license
        .as_ref()
        .unwrap()
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert_eq!(licenses, ["MIT", "FSF-free"]);
    let source = &recipe.base.source.all.as_ref().unwrap()[0];
    assert_eq!(
        source.as_str(),
        "hello-git-2.10-1.0123456-checkout::git+https://example.org/hello#commit=0123456789abcdef0123456789abcdef01234567"
    );
    let guix = recipe.guix.as_ref().unwrap();
    assert_eq!(guix.module, "gnu/packages/hello.scm");
    assert_eq!(guix.source_method.as_deref(), Some("git-fetch"));
    assert!(recipe.warnings.is_empty());
}

#[test]
fn macros_and_match_evaluate() {
    let text = r#"
(define-module (gnu packages m)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define-syntax-rule (simple-package pkg-name ver)
  (package (name pkg-name) (version ver) (source #f)
    (build-system gnu-build-system) (synopsis "s") (description "d")
    (home-page "h") (license #f)))
(define (pick x)
  (match x
    ((a b . rest) (string-append a b))
    (_ "none")))
(define-public made (simple-package (pick '("ma" "de" "x")) (let loop ((n 3) (acc "")) (if (= n 0) acc (loop (- n 1) (string-append acc "1"))))))
"#;
    let eval = eval_modules(&[("gnu/packages/m.scm", text)]);
    assert!(eval.errors.is_empty(), "{:?}", eval.errors);
    let r = record(&eval, "made");
    assert_eq!(
        (r["name"].as_str(), r["version"].as_str()),
        (Some("made"), Some("111"))
    );
}

#[test]
fn inherit_cycle_is_an_error_and_the_rest_goes_on() {
    let text = r#"
(define-module (gnu packages cyc)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define-public a (package (inherit b) (name "a")))
(define-public b (package (inherit a) (name "b")))
(define-public ok
  (package (name "ok") (version "1") (source #f) (build-system gnu-build-system)
    (synopsis "s") (description "d") (home-page "h") (license #f)))
"#;
    let eval = eval_modules(&[("gnu/packages/cyc.scm", text)]);
    let cycle = eval
        .errors
        .iter()
        .find(|e| e.message.contains("cycle"))
        .unwrap_or_else(|| panic!("no cycle error: {:?}", eval.errors));
    assert_eq!(cycle.file, "gnu/packages/cyc.scm");
    assert!(cycle.line == 5 || cycle.line == 6, "{cycle}");
    assert_eq!(record(&eval, "ok")["name"], "ok");
}

/// Regression: `(content-hash VALUE sha512)` failed on the unbound
/// `sha512`, losing the whole origin; and svn revisions read back quoted.
#[test]
fn content_hash_algorithm_and_svn_revision_read_as_written() {
    let text = r#"
(define-module (gnu packages hashes)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define-public p512
  (package (name "p512") (version "1") (build-system gnu-build-system)
    (source (origin (method url-fetch) (uri "https://example.org/p-1.tar.gz")
              (hash (content-hash
                     (base32 "3nfa454r5gv0z7fr9rpw08rp2xarpdcasnccdb7wp0hqv34b0zkz605p25q4gy53xah23nny94gs2w59ad1gczsa5qw0nmf8l7vmf95")
                     sha512))))
    (synopsis "s") (description "d") (home-page "h") (license #f)))
(define-public psvn
  (package (name "psvn") (version "1505") (build-system gnu-build-system)
    (source (origin (method svn-fetch)
              (uri (svn-reference (url "https://svn.example.org/trunk") (revision 1505)))
              (sha256 #f)))
    (synopsis "s") (description "d") (home-page "h") (license #f)))
"#;
    let eval = eval_modules(&[("gnu/packages/hashes.scm", text)]);
    let p = eval
        .packages
        .iter()
        .find(|p| p.record_value()["variable"] == "p512")
        .unwrap();
    assert!(p.recipe.warnings.is_empty(), "{:?}", p.recipe.warnings);
    assert_eq!(p.record_value()["source"]["hash_algorithm"], "sha512");
    assert_eq!(
        p.record_value()["source"]["sha256"],
        serde_json::Value::Null
    );
    let sums = &p.recipe.base.checksums[&kiln_normalizer::ChecksumKind::Sha512];
    // sha512 of "kiln".
    assert_eq!(
        sums.iter_all().next().unwrap().to_string(),
        "25b9ba0f45ae5ac07151fab3179a4a850bfd48f2d60e01551fc53f828bb805983f3f58646c0cc1e56735c6ac56acddacbab819017e73caee7cb05fc9a410e5ec"
    );
    let svn = eval
        .packages
        .iter()
        .find(|p| p.record_value()["variable"] == "psvn")
        .unwrap();
    let src = svn.recipe.base.source.iter_all().next().unwrap();
    assert_eq!(src.fragment(), Some(("revision", "1505")));
}

#[test]
fn unknown_procedure_marks_the_field_unknown() {
    let text = r#"
(define-module (gnu packages unk)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define-public p
  (package (name "p") (version (compute-version-at-runtime)) (source #f)
    (build-system gnu-build-system) (synopsis "s") (description "d")
    (home-page "h") (license #f)))
"#;
    let eval = eval_modules(&[("gnu/packages/unk.scm", text)]);
    let p = eval
        .packages
        .iter()
        .find(|p| p.record_value()["variable"] == "p")
        .unwrap();
    assert_eq!(p.record_value()["version"], serde_json::Value::Null);
    assert!(p.recipe.unknown.contains("version"));
    let w = &p.recipe.warnings[0];
    assert_eq!((w.file.as_str(), w.line), ("gnu/packages/unk.scm", 6));
    assert!(w.message.contains("compute-version-at-runtime"), "{w}");
    assert_eq!(p.recipe.pkgver, None);
}

#[test]
fn bad_files_are_reported_and_the_rest_goes_on() {
    let good = r#"
(define-module (gnu packages good)
  #:use-module (guix packages)
  #:use-module (gnu packages missing)
  #:use-module (guix build-system gnu))
(define-public good
  (package (name "good") (version "1") (source #f) (build-system gnu-build-system)
    (synopsis "s") (description "d") (home-page "h") (license #f)))
"#;
    let deep = "(define-module (gnu packages deep))\n".to_owned() + &"(".repeat(100_000);
    let eval = eval_modules(&[
        ("gnu/packages/good.scm", good),
        (
            "gnu/packages/unbalanced.scm",
            "(define-module (gnu packages unbalanced))\n(define-public x\n  (list 1 2)",
        ),
        (
            "gnu/packages/syntax.scm",
            "(define-module (gnu packages syntax))\n\n(define x #<foo>)",
        ),
        ("gnu/packages/deep.scm", &deep),
    ]);
    let find = |file: &str| {
        eval.errors
            .iter()
            .find(|e| e.file == file)
            .unwrap_or_else(|| panic!("no error for {file}: {:?}", eval.errors))
    };
    assert_eq!(find("gnu/packages/unbalanced.scm").line, 2);
    assert_eq!(find("gnu/packages/syntax.scm").line, 3);
    assert!(find("gnu/packages/deep.scm").message.contains("nesting"));
    let missing = find("gnu/packages/good.scm");
    assert_eq!(missing.line, 4);
    assert!(
        missing.message.contains("(gnu packages missing)"),
        "{missing}"
    );
    assert_eq!(record(&eval, "good")["name"], "good");
}

#[test]
fn deep_recursion_in_code_is_an_error_not_an_overflow() {
    let text = r#"
(define-module (gnu packages rec)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu))
(define (forever n) (+ 1 (forever n)))
(define-public r
  (package (name "r") (version (number->string (forever 1))) (source #f)
    (build-system gnu-build-system) (synopsis "s") (description "d")
    (home-page "h") (license #f)))
"#;
    let eval = eval_modules(&[("gnu/packages/rec.scm", text)]);
    let p = eval
        .packages
        .iter()
        .find(|p| p.record_value()["variable"] == "r")
        .unwrap();
    assert!(
        p.recipe.warnings[0].message.contains("deeper"),
        "{:?}",
        p.recipe.warnings
    );
}

#[test]
fn read_tree_lists_scm_files_relative_to_the_root() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("gnu/packages")).unwrap();
    std::fs::write(
        dir.path().join("gnu/packages/a.scm"),
        "(define-module (gnu packages a))",
    )
    .unwrap();
    std::fs::write(dir.path().join("README"), "not scheme").unwrap();
    let files = read_tree(dir.path()).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "gnu/packages/a.scm");
    let single = read_tree(&dir.path().join("gnu/packages/a.scm")).unwrap();
    assert_eq!(single[0].path, "a.scm");
    assert!(read_tree(&dir.path().join("nope")).is_err());
}

#[test]
fn tree_texts_are_read_when_evaluated_and_a_file_gone_by_then_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let packages = dir.path().join("gnu/packages");
    std::fs::create_dir_all(&packages).unwrap();
    // A Latin-1 byte in a comment, as Guile tolerates.
    let mut hello = HELLO.as_bytes().to_vec();
    hello.extend_from_slice(b"\n;; caf\xe9\n");
    std::fs::write(packages.join("hello.scm"), &hello).unwrap();
    std::fs::write(packages.join("base.scm"), BASE).unwrap();
    std::fs::write(
        packages.join("gone.scm"),
        "(define-module (gnu packages gone))",
    )
    .unwrap();
    let files = read_tree(dir.path()).unwrap();
    assert_eq!(files.len(), 3);
    assert!(files
        .iter()
        .all(|f| matches!(f.source, ModuleSource::File { .. }) && f.size() > 0));
    // Changed after listing: the text evaluated is the one on disk then.
    std::fs::write(packages.join("base.scm"), BASE.replace("2.33", "2.34")).unwrap();
    std::fs::remove_file(packages.join("gone.scm")).unwrap();
    let eval = evaluate(files);
    assert_eq!(eval.errors.len(), 1, "{:?}", eval.errors);
    assert_eq!(eval.errors[0].file, "gnu/packages/gone.scm");
    assert!(eval.errors[0].message.contains("cannot read"));
    let hello = record(&eval, "hello");
    assert_eq!(
        hello["inputs"][0],
        serde_json::json!(["libc", "libc", "2.34"])
    );
}

#[test]
fn module_ranges_split_the_text_evenly_and_cover_every_module() {
    let files: Vec<ModuleFile> = [10, 10, 10, 10, 40, 20]
        .iter()
        .enumerate()
        .map(|(i, &n)| module(&format!("m{i}.scm"), &"x".repeat(n)))
        .collect();
    assert_eq!(split_by_size(&files, 1), vec![0, 6]);
    assert_eq!(split_by_size(&files, 2), vec![0, 4, 6]);
    assert_eq!(split_by_size(&files, 3), vec![0, 3, 5, 6]);
    // More threads than modules: the last ranges are empty.
    assert_eq!(split_by_size(&files[..2], 4), vec![0, 1, 2, 2, 2]);
    assert_eq!(split_by_size(&[], 2), vec![0, 0, 0]);
}

/// A tree whose packages refer to each other across modules: an alias of a
/// package of another module, inheritance across modules, packages made
/// by a procedure of another module, and a package bound in two modules.
fn cross_module_tree() -> Vec<ModuleFile> {
    let mut files = vec![
        module("guix/licenses.scm", LICENSES),
        module("guix/build-system/gnu.scm", BUILD_SYSTEM),
    ];
    let base = r#"
(define-module (gnu packages base)
  #:use-module (guix packages)
  #:use-module (guix build-system gnu)
  #:use-module ((guix licenses) #:prefix license:))
(define-public (with-suffix p suffix)
  (package (inherit p) (name (string-append (package-name p) suffix))))
(define-public hello
  (package
    (name "hello") (version "2.12") (source #f)
    (build-system gnu-build-system)
    (synopsis "Hi") (description "Hi.") (home-page "https://example.org")
    (license license:gpl3+)))
(define-public hello-static (with-suffix hello "-static"))
"#;
    let padding = ";; padding\n".repeat(40);
    let other = format!(
        r#"
(define-module (gnu packages other)
  #:use-module (guix packages)
  #:use-module (gnu packages base)
  #:use-module (guix build-system gnu)
  #:use-module ((guix licenses) #:prefix license:))
{padding}
(define-public hello-again hello)
(define-public hello-tiny (with-suffix hello "-tiny"))
(define-public greeter
  (package
    (inherit hello) (name "greeter")
    (inputs (list hello hello-static))))
(define-public static-again hello-static)
"#
    );
    files.push(module("gnu/packages/base.scm", base));
    files.push(module("gnu/packages/other.scm", &other));
    files
}

#[test]
fn any_number_of_threads_gives_the_same_packages_and_errors() {
    let one = evaluate_on(cross_module_tree(), 1);
    assert!(one.errors.is_empty(), "{:?}", one.errors);
    let records = |e: &Evaluation| -> Vec<String> {
        e.packages
            .iter()
            .map(|p| p.record.get().to_owned())
            .collect()
    };
    assert_eq!(
        variables(&one),
        ["hello", "hello-static", "hello-tiny", "greeter"],
        "one record per object, in binding order"
    );
    // The modules of the tree are split between the threads: with two,
    // `base` and `other` are evaluated by different interpreters, and the
    // objects both bind (`hello`, `hello-static`) still make one record
    // each, with the bindings of both modules.
    assert_eq!(split_by_size(&cross_module_tree(), 2)[1], 3);
    for threads in 2..=4 {
        let mut many = evaluate_on(cross_module_tree(), threads);
        many.wait_for_freeing();
        assert_eq!(records(&many), records(&one), "{threads} threads");
        assert_eq!(many.errors, one.errors, "{threads} threads");
    }
    let hello = record(&one, "hello");
    let bound: Vec<_> = hello["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["variable"].as_str().unwrap())
        .collect();
    assert_eq!(bound, ["hello", "hello-again"]);
    let greeter = record(&one, "greeter");
    assert_eq!(
        greeter["inputs"],
        serde_json::json!([
            ["hello", "hello", "2.12"],
            ["hello-static", "hello-static", "2.12"]
        ])
    );
}

#[test]
fn packages_handed_out_one_by_one_come_in_tree_order() {
    let all = evaluate_on(cross_module_tree(), 1);
    for threads in 1..=4 {
        let mut seen = Vec::new();
        let mut each = evaluate_each(
            cross_module_tree(),
            threads,
            // Only the variable is kept of each package.
            |p| p.record_value()["variable"].as_str().unwrap().to_owned(),
            |variable| seen.push(variable),
        );
        each.wait_for_freeing();
        assert_eq!(seen, variables(&all), "{threads} threads");
        assert_eq!(each.packages, seen.len());
        assert_eq!(each.errors, all.errors);
    }
}

#[test]
fn a_later_thread_s_packages_wait_for_those_before_it() {
    let mut out = Vec::new();
    let mut in_order = InOrder::new(|p: &str| out.push(p), 3);
    in_order.packages(2, vec!["e"]);
    in_order.packages(1, vec!["c"]);
    in_order.packages(0, vec!["a"]);
    in_order.packages(1, vec!["d"]);
    in_order.done(1);
    in_order.packages(0, vec!["b"]);
    in_order.done(0);
    in_order.packages(2, vec!["f"]);
    // Thread 2 never says it is done (it failed): what it sent still
    // comes, last.
    assert_eq!(in_order.finish(), 6);
    assert_eq!(out, ["a", "b", "c", "d", "e", "f"]);
}

/// A module path that makes every evaluation thread but the first panic
/// before it hands in what it found.
pub(super) const FAIL_OTHER_THREADS: &str = "test/fail-other-threads.scm";

#[test]
fn a_failing_evaluation_thread_is_reported_and_the_others_finish() {
    let mut files = cross_module_tree();
    files.insert(0, module(FAIL_OTHER_THREADS, "(define x 1)"));
    let eval = evaluate_on(files, 2);
    assert!(
        eval.errors
            .iter()
            .any(|e| e.message.contains("an evaluation thread failed")),
        "{:?}",
        eval.errors
    );
    // The first thread's modules (base) still give their packages.
    assert_eq!(variables(&eval), ["hello", "hello-static"]);
}
