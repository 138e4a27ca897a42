//! Translation end to end: the sample recipes through both emitters
//! (snapshots) and emitted PKGBUILDs read back through the PKGBUILD
//! importer; the validity of the corpora translated, measured in
//! [`arch_to_guix`] (the PKGBUILD corpus as Guix forms, read back by Guile
//! and by Kiln's Guix reader) and [`guix_to_arch`] (the Guix corpus as
//! PKGBUILDs, checked by `bash -n`, `makepkg --printsrcinfo` and the
//! PKGBUILD importer).

use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_normalizer::emit::{guix, nix_base32, pkgbuild};
use kiln_normalizer::mapping::Mappings;
use kiln_normalizer::{Recipe, Relation};

#[path = "translate_corpus/arch_to_guix.rs"]
mod arch_to_guix;
#[path = "translate_corpus/guix_to_arch.rs"]
mod guix_to_arch;
#[path = "translate_corpus/makepkg.rs"]
mod makepkg;

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
