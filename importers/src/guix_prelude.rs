//! Modules of Guix itself that a channel uses but does not hold: a channel
//! tree has its package modules only, while `(guix licenses)` and the
//! `(guix build-system NAME)` modules come with Guix. When a tree lacks
//! them, Kiln supplies small stand-ins, written from its own license table
//! (`recipes/mappings/licenses.tsv`) and the build-system names the tree
//! imports, so a channel's packages evaluate with their licenses and build
//! systems.

use std::collections::BTreeSet;

use kiln_normalizer::mapping::Mappings;

use crate::guix::ModuleFile;

/// The stand-in modules `files` needs and lacks.
pub fn channel_prelude(files: &[ModuleFile]) -> Vec<ModuleFile> {
    let has = |path: &str| files.iter().any(|f| f.path == path);
    let mut out = Vec::new();
    if !has("guix/licenses.scm") {
        out.push(licenses_module());
    }
    let mut systems = BTreeSet::new();
    for f in files {
        // A file that cannot be read is reported when it is evaluated.
        let Ok(text) = f.text() else { continue };
        let mut rest = &*text;
        while let Some(at) = rest.find("(guix build-system ") {
            rest = &rest[at + "(guix build-system ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if !name.is_empty() {
                systems.insert(name);
            }
        }
    }
    for name in systems {
        let path = format!("guix/build-system/{name}.scm");
        if !has(&path) {
            out.push(ModuleFile::new(
                path,
                format!(
                    ";; Kiln's stand-in for Guix's (guix build-system {name}).\n\
                     (define-module (guix build-system {name})\n  #:export ({name}-build-system))\n\
                     (define {name}-build-system\n  (build-system (name '{name}) (description \"{name}\") (lower #f)))\n"
                ),
            ));
        }
    }
    out
}

fn licenses_module() -> ModuleFile {
    let table = Mappings::builtin().licenses.guix_licenses();
    let mut text = String::from(
        ";; Kiln's stand-in for Guix's (guix licenses), from Kiln's license table.\n\
         (define-module (guix licenses)\n  #:export (",
    );
    for l in &table {
        text.push_str(l.variable);
        text.push(' ');
    }
    text.push_str("fsf-free non-copyleft))\n");
    text.push_str("(define-record-type <license> (license name uri comment) license?)\n");
    for l in &table {
        text.push_str(&format!(
            "(define {} (license \"{}\" \"\" #f))\n",
            l.variable,
            l.name.replace('\\', "\\\\").replace('"', "\\\"")
        ));
    }
    text.push_str(
        "(define* (fsf-free uri #:optional (comment \"\")) (license \"FSF-free\" uri comment))\n\
         (define* (non-copyleft uri #:optional (comment \"\")) (license \"non-copyleft\" uri comment))\n",
    );
    ModuleFile::new("guix/licenses.scm", text)
}
