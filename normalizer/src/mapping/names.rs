//! Package names across Arch and Guix: the explicit table (`names.tsv`) for
//! names that diverge, then the conventions (`name-rules.tsv`): language
//! prefixes (`python-`, `haskell-` -> `ghc-` ...), font prefixes, AUR
//! suffixes (`-git`, `-bin` ...) and the optional `lib` prefix.

use std::fmt;

use super::table::{rows, Direction};
use super::MappingError;

/// A Guix package as an input refers to it: a name, optionally a version
/// prefix choosing among packages of that name, and an output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GuixRef {
    /// The package name (`qtbase`).
    pub name: String,
    /// Version prefix (`5` in `qtbase@5`), when the name alone is ambiguous.
    pub version: Option<String>,
    /// Output other than `out` (`lib` in `util-linux:lib`).
    pub output: Option<String>,
}

impl GuixRef {
    /// Reads `NAME[@VERSION][:OUTPUT]`.
    pub fn parse(spec: &str) -> Self {
        let (rest, output) = match spec.rsplit_once(':') {
            Some((r, o)) if !o.is_empty() => (r, Some(o.to_owned())),
            _ => (spec, None),
        };
        let (name, version) = match rest.split_once('@') {
            Some((n, v)) if !v.is_empty() => (n, Some(v.to_owned())),
            _ => (rest, None),
        };
        Self {
            name: name.to_owned(),
            version,
            output,
        }
    }

    /// A plain package name, no version or output.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            version: None,
            output: None,
        }
    }

    /// The Scheme variable Guix modules conventionally bind this package
    /// to: the name, with `-VERSION` appended for a versioned reference
    /// (`qtbase@5` -> `qtbase-5`, `python@2` -> `python-2`).
    pub fn variable(&self) -> String {
        match &self.version {
            Some(v) => format!("{}-{v}", self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for GuixRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(v) = &self.version {
            write!(f, "@{v}")?;
        }
        if let Some(o) = &self.output {
            write!(f, ":{o}")?;
        }
        Ok(())
    }
}

/// What an Arch name maps to in one table line.
#[derive(Debug, Clone)]
enum Target {
    /// Implicit in Guix build environments.
    Implicit,
    /// A Guix package.
    Package(GuixRef),
}

#[derive(Debug, Clone)]
struct Pair {
    arch: String,
    guix: Target,
    direction: Direction,
}

#[derive(Debug, Clone)]
enum Rule {
    Prefix {
        arch: String,
        guix: String,
        direction: Direction,
    },
    Suffix {
        arch: String,
    },
    OptionalPrefix {
        prefix: String,
    },
}

/// The name table and conventions.
#[derive(Debug, Clone, Default)]
pub struct NameTable {
    pairs: Vec<Pair>,
    rules: Vec<Rule>,
}

/// Guix names are lower-case with hyphens where Arch may keep upstream's
/// case, underscores or dots (`python-Babel`, `r-data.table`).
fn guixify(rest: &str) -> String {
    rest.chars()
        .map(|c| match c {
            '_' | '.' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn push_unique<T: PartialEq>(out: &mut Vec<T>, item: T) {
    if !out.contains(&item) {
        out.push(item);
    }
}

/// `rust-serde-1`, `rust-rand-0.8`: Guix crate packages carry the
/// semver-compatible version in the name; Arch never does.
fn strip_crate_version(name: &str) -> Option<&str> {
    if !name.starts_with("rust-") {
        return None;
    }
    let (head, tail) = name.rsplit_once('-')?;
    let versionish = !tail.is_empty() && tail.chars().all(|c| c.is_ascii_digit() || c == '.');
    (versionish && head.len() > "rust-".len()).then_some(head)
}

impl NameTable {
    /// Reads `names.tsv` and `name-rules.tsv` texts.
    pub fn parse(names: &str, rules_text: &str) -> Result<Self, MappingError> {
        let mut pairs = Vec::new();
        for row in rows(names, "names.tsv", 2, 2)? {
            let guix = match row.columns[1] {
                "-" => Target::Implicit,
                "" => {
                    return Err(MappingError {
                        file: "names.tsv".into(),
                        line: row.line,
                        message: "the Guix name is empty (write - for an implicit input)".into(),
                    })
                }
                spec => Target::Package(GuixRef::parse(spec)),
            };
            if matches!(guix, Target::Implicit) && row.direction.to_arch() {
                return Err(MappingError {
                    file: "names.tsv".into(),
                    line: row.line,
                    message: "an implicit input (-) can only be mapped to-guix".into(),
                });
            }
            pairs.push(Pair {
                arch: row.columns[0].to_owned(),
                guix,
                direction: row.direction,
            });
        }
        let mut rules = Vec::new();
        for row in rows(rules_text, "name-rules.tsv", 2, 3)? {
            let (kind, arch, guix) = (row.columns[0], row.columns[1], row.columns[2]);
            let rule = match kind {
                "prefix" => Rule::Prefix {
                    arch: arch.to_owned(),
                    guix: guix.to_owned(),
                    direction: row.direction,
                },
                "suffix" => Rule::Suffix {
                    arch: arch.to_owned(),
                },
                "optional-prefix" => Rule::OptionalPrefix {
                    prefix: arch.to_owned(),
                },
                other => {
                    return Err(MappingError {
                        file: "name-rules.tsv".into(),
                        line: row.line,
                        message: format!(
                        "unknown rule kind {other:?} (expected prefix, suffix or optional-prefix)"
                    ),
                    })
                }
            };
            rules.push(rule);
        }
        Ok(Self { pairs, rules })
    }

    /// Whether Guix provides this Arch package implicitly (libc, the
    /// toolchain, the shell): it is not listed as an input.
    pub fn is_implicit_in_guix(&self, arch: &str) -> bool {
        let name = arch.strip_suffix(".so").unwrap_or(arch);
        self.pairs
            .iter()
            .any(|p| p.arch == name && p.direction.to_guix() && matches!(p.guix, Target::Implicit))
    }

    /// The Guix packages an Arch name may stand for, best first: explicit
    /// pairs, the same after an AUR suffix is dropped, the prefix
    /// conventions, the name itself, then with or without `lib`. Empty for
    /// an implicit input.
    pub fn arch_to_guix(&self, arch: &str) -> Vec<GuixRef> {
        // A shared-library provision (`libfoo.so`, `libfoo.so=1-64`) names its package.
        let arch = arch.split_once(".so").map_or(arch, |(n, _)| n);
        if self.is_implicit_in_guix(arch) {
            return Vec::new();
        }
        let mut out = Vec::new();
        // An AUR variant (`foo-git`, `foo-bin`) is the same software as `foo`,
        // which is what Guix packages: the stem's candidates come first.
        for rule in &self.rules {
            if let Rule::Suffix { arch: suffix } = rule {
                if let Some(stem) = arch.strip_suffix(suffix.as_str()).filter(|s| !s.is_empty()) {
                    if self.is_implicit_in_guix(stem) {
                        return Vec::new();
                    }
                    self.arch_candidates(stem, &mut out);
                }
            }
        }
        self.arch_candidates(arch, &mut out);
        out
    }

    fn arch_candidates(&self, arch: &str, out: &mut Vec<GuixRef>) {
        for p in &self.pairs {
            if p.arch == arch && p.direction.to_guix() {
                if let Target::Package(g) = &p.guix {
                    push_unique(out, g.clone());
                }
            }
        }
        for rule in &self.rules {
            if let Rule::Prefix {
                arch: ap,
                guix: gp,
                direction,
            } = rule
            {
                if let Some(rest) = arch.strip_prefix(ap.as_str()).filter(|r| !r.is_empty()) {
                    if direction.to_guix() {
                        push_unique(out, GuixRef::named(&format!("{gp}{}", guixify(rest))));
                    }
                }
            }
        }
        push_unique(out, GuixRef::named(arch));
        for rule in &self.rules {
            if let Rule::OptionalPrefix { prefix } = rule {
                match arch.strip_prefix(prefix.as_str()) {
                    Some(rest) if !rest.is_empty() => push_unique(out, GuixRef::named(rest)),
                    _ => push_unique(out, GuixRef::named(&format!("{prefix}{arch}"))),
                }
            }
        }
    }

    /// The Arch packages a Guix name (`NAME[@VERSION]`) may stand for, best
    /// first: explicit pairs (those naming the version first), crate names
    /// without their version, the prefix conventions backwards, the name
    /// itself, then with or without `lib`.
    pub fn guix_to_arch(&self, guix: &str) -> Vec<String> {
        let wanted = GuixRef::parse(guix);
        let mut out = Vec::new();
        let explicit = |exact: bool, out: &mut Vec<String>| {
            for p in &self.pairs {
                if let Target::Package(g) = &p.guix {
                    let same = g.name == wanted.name
                        && (!exact || g.version == wanted.version)
                        && (exact || g.version.is_none() || wanted.version.is_none());
                    if same && p.direction.to_arch() {
                        push_unique(out, p.arch.clone());
                    }
                }
            }
        };
        explicit(true, &mut out);
        explicit(false, &mut out);
        let name = strip_crate_version(&wanted.name).unwrap_or(&wanted.name);
        for rule in &self.rules {
            if let Rule::Prefix {
                arch: ap,
                guix: gp,
                direction,
            } = rule
            {
                if gp.is_empty() || !direction.to_arch() {
                    continue;
                }
                if let Some(rest) = name.strip_prefix(gp.as_str()).filter(|r| !r.is_empty()) {
                    push_unique(&mut out, format!("{ap}{rest}"));
                }
            }
        }
        push_unique(&mut out, name.to_owned());
        for rule in &self.rules {
            if let Rule::OptionalPrefix { prefix } = rule {
                match name.strip_prefix(prefix.as_str()) {
                    Some(rest) if !rest.is_empty() => push_unique(&mut out, rest.to_owned()),
                    _ => push_unique(&mut out, format!("{prefix}{name}")),
                }
            }
        }
        out
    }
}
