//! Translation end to end: the sample recipes through both emitters
//! (snapshots), emitted PKGBUILDs read back through the PKGBUILD importer,
//! and the validity of the whole PKGBUILD corpus translated to Guix forms,
//! checked by Guile's own reader.

use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_normalizer::emit::{guix, nix_base32, pkgbuild};
use kiln_normalizer::mapping::Mappings;
use kiln_normalizer::{Recipe, Relation};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn guix_sample(name: &str) -> Recipe {
    let path = root().join(format!("recipes/samples/guix-recipes/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn with_warnings(e: &kiln_normalizer::emit::Emitted) -> String {
    let mut s = e.text.clone();
    for w in &e.warnings {
        s.push_str("# warning: ");
        s.push_str(w);
        s.push('\n');
    }
    s
}

#[test]
fn arch_samples_to_guix_forms() {
    for name in ["hello", "zlib", "app", "libfoo", "tool"] {
        let path = root().join(format!("recipes/samples/arch/{name}/PKGBUILD"));
        let recipe = kiln_importers::pkgbuild::read_file(&path).unwrap();
        let emitted = guix::package_form(&recipe, Mappings::builtin());
        insta::assert_snapshot!(format!("guix_{name}"), with_warnings(&emitted));
    }
}

#[test]
fn guix_samples_to_pkgbuilds() {
    for name in ["hello", "zlib", "pigz"] {
        let emitted = pkgbuild::pkgbuild(&guix_sample(name), Mappings::builtin());
        insta::assert_snapshot!(format!("pkgbuild_{name}"), with_warnings(&emitted));
    }
}

/// `bash -n` on a file: syntax only, nothing is run.
fn bash_syntax_ok(path: &Path) -> Result<(), String> {
    let out = Command::new("bash")
        .arg("-n")
        .arg(path)
        .output()
        .map_err(|e| format!("running bash: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn emitted_pkgbuilds_pass_bash_and_read_back() {
    let maps = Mappings::builtin();
    let dir = tempfile::tempdir().unwrap();
    let expected_urls = [
        ("hello", "https://ftp.gnu.org/gnu/hello/hello-2.10.tar.gz"),
        ("zlib", "http://zlib.net/zlib-1.2.13.tar.gz"),
        ("pigz", "http://zlib.net/pigz/pigz-2.6.tar.gz"),
    ];
    for (name, url) in expected_urls {
        let guix = guix_sample(name);
        let emitted = pkgbuild::pkgbuild(&guix, maps);
        let path = dir.path().join(format!("{name}.PKGBUILD"));
        std::fs::write(&path, &emitted.text).unwrap();
        bash_syntax_ok(&path).unwrap_or_else(|e| panic!("{name}: bash -n: {e}"));

        let back = kiln_importers::pkgbuild::parse_str(&emitted.text, name).unwrap();
        assert!(back.warnings.is_empty(), "{name}: {:?}", back.warnings);
        assert_eq!(back.pkgbase, maps.guix_to_arch(&guix.pkgbase)[0], "{name}");
        assert_eq!(back.pkgver, guix.pkgver, "{name}");
        let sources: Vec<&str> = back.base.source.iter_all().map(|s| s.as_str()).collect();
        assert_eq!(sources, [url], "{name}");
        let sums: Vec<String> = back.base.checksums[&kiln_normalizer::ChecksumKind::Sha256]
            .iter_all()
            .map(ToString::to_string)
            .collect();
        let guix_sum = guix.base.checksums[&kiln_normalizer::ChecksumKind::Sha256]
            .iter_all()
            .next()
            .unwrap()
            .to_string();
        let hex = nix_base32::to_hex(&guix_sum, 32).unwrap_or(guix_sum);
        assert_eq!(sums, [hex], "{name}");
        let deps: Vec<String> = back
            .base
            .relation(Relation::Depends)
            .iter()
            .flat_map(|l| l.iter_all())
            .map(|d| d.name().to_owned())
            .collect();
        let want: Vec<String> = guix
            .guix
            .as_ref()
            .unwrap()
            .inputs
            .iter()
            .map(|i| maps.guix_to_arch(i.name.as_deref().unwrap())[0].clone())
            .collect();
        assert_eq!(deps, want, "{name}");
    }
}

/// Guile reads each form between `;;; kiln-form NAME` markers on its own
/// and prints `ok NAME` for a `(define-public SYMBOL (package FIELD...))`
/// whose fields are all package fields with a string name, or what went
/// wrong. One Guile process for the whole file.
///
/// Guix modules read `#~`, `#$` and `#+` through reader extensions that
/// `(guix gexp)` installs; the script installs the same extensions (each
/// reads the next datum) since Guix itself is not on this machine.
const GUILE_CHECK: &str = r#"
(use-modules (ice-9 textual-ports))
(read-hash-extend #\~ (lambda (chr port) (list 'gexp (read port))))
(read-hash-extend #\$ (lambda (chr port) (list 'ungexp (read port))))
(read-hash-extend #\+ (lambda (chr port) (list 'ungexp-native (read port))))
(define marker "\n;;; kiln-form ")
(define known-fields
  '(name version source build-system arguments native-inputs inputs
    propagated-inputs outputs home-page synopsis description license))
(define text (call-with-input-file FILE get-string-all))
(define (verdict chunk)
  (catch #t
    (lambda ()
      (let* ((port (open-input-string chunk))
             (datum (read port)))
        (cond ((eof-object? datum) "empty")
              ((not (eof-object? (read port))) "extra-datum")
              ((and (list? datum) (= (length datum) 3)
                    (eq? (car datum) 'define-public)
                    (symbol? (cadr datum))
                    (pair? (caddr datum))
                    (eq? (car (caddr datum)) 'package))
               (let ((fields (cdr (caddr datum))))
                 (cond ((not (and-map (lambda (f) (and (pair? f) (memq (car f) known-fields)))
                                      fields))
                        "unknown-field")
                       ((not (string? (cadr (assq 'name fields)))) "name-not-string")
                       (else "ok"))))
              (else "wrong-shape"))))
    (lambda (key . args) (string-append "error:" (symbol->string key)))))
(let loop ((start 0))
  (let ((m (string-contains text marker start)))
    (when m
      (let* ((name-start (+ m (string-length marker)))
             (name-end (string-index text #\newline name-start))
             (name (substring text name-start name-end))
             (next (or (string-contains text marker name-end) (string-length text))))
        (display (verdict (substring text name-end next)))
        (display " ")
        (display name)
        (newline)
        (loop next)))))
"#;

fn guile_available() -> bool {
    Command::new("guile")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The least share of corpus PKGBUILDs whose Guix form Guile must read.
const GUILE_READ_FLOOR: f64 = 0.99;

#[test]
fn corpus_pkgbuilds_translate_to_forms_guile_reads() {
    let corpus = root().join("../shared/corpus/pkgbuild");
    if !corpus.is_dir() {
        eprintln!("skipping: no PKGBUILD corpus at {}", corpus.display());
        return;
    }
    if !guile_available() {
        eprintln!("skipping: guile is not installed");
        return;
    }
    let maps = Mappings::builtin();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("PKGBUILD").is_file())
        .collect();
    dirs.sort();
    let mut forms = String::new();
    let (mut imported, mut import_failed, mut warnings) = (0usize, 0usize, 0usize);
    for dir in &dirs {
        let label = dir.file_name().unwrap().to_string_lossy().into_owned();
        match kiln_importers::pkgbuild::read_file(&dir.join("PKGBUILD")) {
            Ok(recipe) => {
                let emitted = guix::package_form(&recipe, maps);
                warnings += emitted.warnings.len();
                forms.push_str(&format!("\n;;; kiln-form {label}\n"));
                forms.push_str(&emitted.text);
                imported += 1;
            }
            Err(e) => {
                eprintln!("import failed: {e}");
                import_failed += 1;
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forms.scm");
    std::fs::write(&file, &forms).unwrap();
    let script = GUILE_CHECK.replace("FILE", &format!("{:?}", file.to_string_lossy()));
    let out = Command::new("guile")
        .args(["--no-auto-compile", "-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "guile: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut ok = 0usize;
    for line in stdout.lines() {
        if line.starts_with("ok ") {
            ok += 1;
        } else {
            eprintln!("guile: {line}");
        }
    }
    assert_eq!(stdout.lines().count(), imported, "guile judged every form");
    let share = ok as f64 / dirs.len() as f64;
    eprintln!(
        "translate corpus: {} PKGBUILDs, {imported} imported ({import_failed} failed), \
         {ok} Guix forms read by Guile = {:.2}% of all; {warnings} translation warnings",
        dirs.len(),
        share * 100.0
    );
    assert!(
        share >= GUILE_READ_FLOOR,
        "only {:.2}% of the corpus translated to forms Guile reads (floor {:.0}%)",
        share * 100.0,
        GUILE_READ_FLOOR * 100.0
    );
}

/// Every Guix name in `recipes/mappings/names.tsv` is a package name or a
/// package variable of the Guix corpus (a regression guard against typos
/// and names Guix does not have).
#[test]
fn mapped_guix_names_exist_in_the_guix_corpus() {
    let modules = root().join("../shared/corpus/guix/gnu/packages");
    if !modules.is_dir() {
        eprintln!("skipping: no Guix corpus at {}", modules.display());
        return;
    }
    let mut known = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&modules).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "scm") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for (marker, end) in [("(name \"", '"'), ("(define-public ", ' ')] {
            for piece in text.split(marker).skip(1) {
                let name = piece.split([end, '\n', ')']).next().unwrap_or("");
                known.insert(name.to_owned());
            }
        }
    }
    let mut missing = Vec::new();
    for line in kiln_normalizer::mapping::NAMES_TSV.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let guix = line.split('\t').nth(1).unwrap_or("");
        if guix == "-" {
            continue;
        }
        let name = kiln_normalizer::mapping::GuixRef::parse(guix).name;
        if !known.contains(&name) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "not in the Guix corpus: {missing:?}");
}
