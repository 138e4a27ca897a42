//! The PKGBUILD corpus translated to Guix forms and read back two ways: by
//! Guile's own reader (each form one well-shaped `define-public`), and by
//! Kiln's Guix reader, which evaluates the forms as modules of a small
//! channel and must give back the name, version, source, source hash and
//! inputs the PKGBUILD stated, mapped to Guix names.
//!
//! The channel holds one module per form (`kiln/translated/pNNNN.scm`, so
//! two PKGBUILDs mapped to the same Guix name do not replace each other),
//! the core modules of the Guix corpus (`guix/*.scm`: licenses, download
//! methods, build systems), Kiln's stand-ins for the build-system modules
//! that tree lacks (`pyproject`), and `kiln/inputs.scm` with a stand-in
//! package for each input variable the forms refer to, carrying the name,
//! version and output the mapping gave. Guix's own package modules are not
//! loaded: whether a mapped name exists in Guix is a property of the
//! mapping table (`mapped_guix_names_exist_in_the_guix_corpus`), not of
//! the translation.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use kiln_importers::guix::{self as guix_reader, GuixPackage, ModuleFile};
use kiln_normalizer::emit::{guix, nix_base32};
use kiln_normalizer::mapping::{GuixRef, Mappings};
use kiln_normalizer::{Checksum, ChecksumKind, GuixInputKind, Recipe, Relation, Vcs};

use super::root;

/// The architecture whose lists the Guix emitter uses.
const ARCH: &str = "x86_64";

/// The least share of corpus PKGBUILDs whose Guix form Guile must read.
const GUILE_READ_FLOOR: f64 = 0.99;
/// The least share whose form Guile reads and Kiln's reader gives back
/// with every compared field equal.
const ROUND_TRIP_FLOOR: f64 = 0.99;

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

/// Guile's verdict on each form, by label (`ok` or what went wrong).
fn guile_verdicts(forms: &[(String, String)]) -> BTreeMap<String, String> {
    let mut text = String::new();
    for (label, form) in forms {
        text.push_str(&format!("\n;;; kiln-form {label}\n{form}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forms.scm");
    std::fs::write(&file, &text).unwrap();
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
    let verdicts: BTreeMap<String, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(verdict, label)| (label.to_owned(), verdict.to_owned()))
        .collect();
    assert_eq!(verdicts.len(), forms.len(), "guile judged every form");
    verdicts
}

/// The compared fields of one package, as the PKGBUILD states them (mapped
/// to Guix) or as Kiln's Guix reader gives them back.
#[derive(Debug, Default, PartialEq)]
struct Fields {
    name: Option<String>,
    version: Option<String>,
    /// URL of the origin (with a known mirror as `mirror://`), and the
    /// commit, tag or revision a VCS origin is pinned to.
    source: Option<(String, Option<String>)>,
    /// Hex digest of the origin: sha256, else sha512.
    hash: Option<String>,
    /// `NAME[@VERSION][:OUTPUT]`, sorted.
    inputs: Vec<String>,
    native_inputs: Vec<String>,
}

const FIELD_NAMES: [&str; 6] = [
    "name",
    "version",
    "source",
    "hash",
    "inputs",
    "native-inputs",
];

impl Fields {
    fn agreement(&self, other: &Fields) -> [bool; 6] {
        [
            self.name == other.name,
            self.version == other.version,
            self.source == other.source,
            self.hash == other.hash,
            self.inputs == other.inputs,
            self.native_inputs == other.native_inputs,
        ]
    }

    /// What the Guix form of `recipe` must read back as: the main remote
    /// source and its best sha256/sha512 digest, and the first Guix
    /// candidate of each dependency (implicit ones and the package itself
    /// left out, `makedepends` and `checkdepends` that are also `depends`
    /// only once, as inputs).
    fn expected(recipe: &Recipe, maps: &Mappings) -> Fields {
        let own = maps.arch_to_guix_refs(&recipe.pkgbase).into_iter().next();
        let fields = recipe.first_package_fields();
        let lists = [
            (fields.source.all.clone().unwrap_or_default(), None),
            (
                fields
                    .source
                    .per_arch
                    .get(ARCH)
                    .cloned()
                    .unwrap_or_default(),
                Some(ARCH),
            ),
        ];
        let mut main = None;
        'lists: for (sources, arch) in &lists {
            for (i, src) in sources.iter().enumerate() {
                if src.is_local() {
                    continue;
                }
                let digest = [ChecksumKind::Sha256, ChecksumKind::Sha512]
                    .iter()
                    .find_map(|kind| {
                        let per = fields.checksums.get(kind)?;
                        let list = match arch {
                            None => per.all.as_ref()?,
                            Some(a) => per.per_arch.get(*a)?,
                        };
                        match list.get(i)? {
                            Checksum::Digest(hex) => Some(hex.to_ascii_lowercase()),
                            Checksum::Skip => None,
                        }
                    });
                main = Some((src.clone(), digest));
                break 'lists;
            }
        }
        let source = main.as_ref().map(|(src, _)| match src.vcs() {
            None | Some(Vcs::Fossil) => (guix::mirror_url(src.url()), None),
            Some(_) => (
                src.url().to_owned(),
                src.fragment()
                    .map(|(_, v)| v.to_owned())
                    .filter(|v| !v.is_empty()),
            ),
        });
        let refs = |relations: &[Relation], exclude: &[GuixRef]| {
            let mut out: Vec<GuixRef> = Vec::new();
            for r in relations {
                for dep in fields.relation(*r).iter().flat_map(|l| l.for_arch(ARCH)) {
                    let Some(g) = maps.arch_to_guix_refs(dep.name()).into_iter().next() else {
                        continue;
                    };
                    if own.as_ref() != Some(&g) && !out.contains(&g) && !exclude.contains(&g) {
                        out.push(g);
                    }
                }
            }
            out
        };
        let inputs = refs(&[Relation::Depends], &[]);
        let native = refs(&[Relation::MakeDepends, Relation::CheckDepends], &inputs);
        let sorted = |refs: Vec<GuixRef>| {
            let mut v: Vec<String> = refs.iter().map(ToString::to_string).collect();
            v.sort();
            v
        };
        Fields {
            name: Some(own.map_or_else(|| recipe.pkgbase.clone(), |g| g.name)),
            version: recipe.pkgver.clone(),
            source,
            hash: main.and_then(|(_, d)| d),
            inputs: sorted(inputs),
            native_inputs: sorted(native),
        }
    }

    /// What Kiln's Guix reader gave back for one package.
    fn read_back(p: &GuixPackage) -> Fields {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let source = p
            .recipe
            .base
            .source
            .iter_all()
            .next()
            .map(|s| match s.vcs() {
                None => (s.url().to_owned(), None),
                Some(_) => (s.url().to_owned(), s.fragment().map(|(_, v)| v.to_owned())),
            });
        let record = p.record_value();
        let hash = record["source"]["hash_nix_base32"]
            .as_str()
            .and_then(|nix| nix_base32::to_hex(nix, 32).or_else(|| nix_base32::to_hex(nix, 64)));
        let mut inputs = Vec::new();
        let mut native_inputs = Vec::new();
        for i in p.recipe.guix.iter().flat_map(|g| &g.inputs) {
            let r = GuixRef {
                name: i.name.clone().unwrap_or_else(|| i.label.clone()),
                version: i.version.clone().filter(|v| !v.is_empty()),
                output: i.output.clone(),
            };
            match i.kind {
                GuixInputKind::NativeInputs => native_inputs.push(r.to_string()),
                _ => inputs.push(r.to_string()),
            }
        }
        inputs.sort();
        native_inputs.sort();
        Fields {
            name: text(&record["name"]),
            version: text(&record["version"]),
            source,
            hash,
            inputs,
            native_inputs,
        }
    }
}

/// The Scheme variable a translated form binds, from its first line.
fn form_variable(form: &str) -> &str {
    form.strip_prefix("(define-public ")
        .and_then(|rest| rest.lines().next())
        .unwrap_or("")
        .trim()
}

/// The module of one translated form: every module a form may refer to
/// is imported (download methods, build systems, licenses under
/// `license:`, `search-patches`, the input stand-ins).
fn translated_module(index: usize, form: &str) -> ModuleFile {
    let mut text = format!("(define-module (kiln translated p{index:04})\n");
    for m in [
        "guix packages",
        "guix gexp",
        "guix utils",
        "guix download",
        "guix git-download",
        "guix hg-download",
        "guix svn-download",
        "guix bzr-download",
        "gnu packages",
        "guix build-system gnu",
        "guix build-system cmake",
        "guix build-system meson",
        "guix build-system python",
        "guix build-system pyproject",
        "guix build-system cargo",
        "guix build-system go",
        "kiln inputs",
    ] {
        text.push_str(&format!("  #:use-module ({m})\n"));
    }
    text.push_str("  #:use-module ((guix licenses) #:prefix license:))\n\n");
    text.push_str(form);
    ModuleFile::new(format!("kiln/translated/p{index:04}.scm"), text)
}

/// `kiln/inputs.scm`: a package for each input variable, with the name,
/// version (empty when the reference names none) and nothing else.
fn input_stand_ins(refs: &BTreeMap<String, GuixRef>) -> ModuleFile {
    let mut text = String::from(
        "(define-module (kiln inputs)\n  #:use-module (guix packages)\n  \
         #:use-module (guix build-system gnu))\n",
    );
    for (variable, r) in refs {
        text.push_str(&format!(
            "\n(define-public {variable}\n  (package (name {}) (version {}) (source #f)\n    \
             (build-system gnu-build-system) (home-page #f) (synopsis \"\")\n    \
             (description \"\") (license #f)))\n",
            guix::scheme_string(&r.name),
            guix::scheme_string(r.version.as_deref().unwrap_or("")),
        ));
    }
    ModuleFile::new("kiln/inputs.scm", text)
}

#[test]
fn corpus_pkgbuilds_translate_to_forms_guile_and_kiln_read_back() {
    let corpus = root().join("../shared/corpus/pkgbuild");
    let guix_core = root().join("../shared/corpus/guix/guix");
    if !corpus.is_dir() || !guix_core.is_dir() {
        eprintln!(
            "skipping: no PKGBUILD corpus at {} or Guix corpus at {}",
            corpus.display(),
            guix_core.display()
        );
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

    // Translate; remember what each form must read back as.
    let mut forms: Vec<(String, String)> = Vec::new();
    let mut expected: Vec<Fields> = Vec::new();
    let mut stand_ins: BTreeMap<String, GuixRef> = BTreeMap::new();
    let mut warnings = 0usize;
    for dir in &dirs {
        let label = dir.file_name().unwrap().to_string_lossy().into_owned();
        let recipe = match kiln_importers::pkgbuild::read_file(&dir.join("PKGBUILD")) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("import failed: {e}");
                continue;
            }
        };
        let emitted = guix::package_form(&recipe, maps);
        warnings += emitted.warnings.len();
        let want = Fields::expected(&recipe, maps);
        for spec in want.inputs.iter().chain(&want.native_inputs) {
            let r = GuixRef::parse(spec);
            stand_ins
                .entry(r.variable())
                .or_insert(GuixRef { output: None, ..r });
        }
        forms.push((label, emitted.text));
        expected.push(want);
    }
    let imported = forms.len();

    // Guile's reader.
    let verdicts = guile_verdicts(&forms);

    // Kiln's reader, on a channel holding every form.
    let mut files = guix_reader::read_tree(&guix_core).unwrap();
    for f in &mut files {
        f.path = format!("guix/{}", f.path);
    }
    for (i, (_, form)) in forms.iter().enumerate() {
        files.push(translated_module(i, form));
    }
    files.push(input_stand_ins(&stand_ins));
    files.extend(kiln_importers::guix_prelude::channel_prelude(&files));
    let evaluation = guix_reader::evaluate(files);
    let mut read: BTreeMap<String, &GuixPackage> = BTreeMap::new();
    for p in &evaluation.packages {
        let module = p.recipe.guix.as_ref().map_or("", |g| g.module.as_str());
        if module.starts_with("kiln/translated/") {
            assert!(
                read.insert(module.to_owned(), p).is_none(),
                "one package per module: {module}"
            );
        }
    }
    for e in evaluation
        .errors
        .iter()
        .filter(|e| e.file.starts_with("kiln/"))
        .take(20)
    {
        eprintln!("kiln reader: {e}");
    }

    let mut field_ok = [0usize; 6];
    let (mut guile_ok, mut kiln_read, mut kiln_equal, mut both) = (0, 0, 0, 0);
    let mut shown = 0;
    for (i, ((label, form), want)) in forms.iter().zip(&expected).enumerate() {
        let by_guile = verdicts[label] == "ok";
        guile_ok += usize::from(by_guile);
        if !by_guile {
            eprintln!("guile: {} {label}", verdicts[label]);
        }
        let module = format!("kiln/translated/p{i:04}.scm");
        let Some(p) = read.get(&module) else {
            eprintln!(
                "kiln reader: {label}: no package bound to {} came back",
                form_variable(form)
            );
            continue;
        };
        kiln_read += 1;
        let got = Fields::read_back(p);
        let agree = want.agreement(&got);
        for (n, ok) in field_ok.iter_mut().zip(agree) {
            *n += usize::from(ok);
        }
        let all = agree.iter().all(|a| *a);
        kiln_equal += usize::from(all);
        both += usize::from(all && by_guile);
        if !all && shown < 40 {
            shown += 1;
            let off: Vec<&str> = FIELD_NAMES
                .iter()
                .zip(agree)
                .filter(|(_, ok)| !ok)
                .map(|(n, _)| *n)
                .collect();
            let why: Vec<String> = p.recipe.warnings.iter().map(ToString::to_string).collect();
            eprintln!(
                "round trip: {label}: {} differ\n  want {want:?}\n  got  {got:?}\n  reader: {why:?}",
                off.join(", ")
            );
        }
    }

    let total = dirs.len();
    let pct = |n: usize| format!("{n} / {total} = {:.2}%", n as f64 * 100.0 / total as f64);
    eprintln!(
        "arch -> guix: {total} PKGBUILDs, {imported} imported, {warnings} translation warnings"
    );
    let hashed = expected.iter().filter(|f| f.hash.is_some()).count();
    let sha512 = expected
        .iter()
        .filter(|f| f.hash.as_ref().is_some_and(|h| h.len() == 128))
        .count();
    eprintln!("  with a source hash to carry: {hashed} ({sha512} of them sha512, the rest sha256)");
    eprintln!("  Guile reads the form:                  {}", pct(guile_ok));
    eprintln!(
        "  Kiln's Guix reader gives a package:    {}",
        pct(kiln_read)
    );
    for (name, n) in FIELD_NAMES.iter().zip(field_ok) {
        eprintln!("    {name:<14} equal:               {}", pct(n));
    }
    eprintln!(
        "  every field equal (Kiln's reader):     {}",
        pct(kiln_equal)
    );
    eprintln!("  Guile reads it and every field equal:  {}", pct(both));
    let share = |n: usize| n as f64 / total as f64;
    assert!(
        share(guile_ok) >= GUILE_READ_FLOOR,
        "only {} of the corpus translated to forms Guile reads (floor {:.0}%)",
        pct(guile_ok),
        GUILE_READ_FLOOR * 100.0
    );
    assert!(
        share(both) >= ROUND_TRIP_FLOOR,
        "only {} of the corpus round-trips through Guix forms (floor {:.1}%)",
        pct(both),
        ROUND_TRIP_FLOOR * 100.0
    );
}
