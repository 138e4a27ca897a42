//! A Guix package form from a recipe (normally a PKGBUILD-origin one),
//! printed the way `guix style` prints package forms: fields in Guix's
//! order, two-space nesting, inputs as `(list ...)`, `license:` symbols,
//! `(base32 "...")` origin hashes.
//!
//! The build system and its `arguments` come from the recipe's
//! [`BuildPlan`]; `depends` become `inputs`, `makedepends` and
//! `checkdepends` become `native-inputs`, through the name mapping. Lines of
//! the shell functions no build system accounts for, unmapped licenses,
//! hashes Guix cannot use and the like stay in the form as `;;` comments
//! and are listed as warnings.

use std::fmt::Write as _;

use super::nix_base32;
use super::Emitted;
use crate::build_plan::BuildPlan;
use crate::mapping::{GuixRef, Mappings};
use crate::recipe::{Origin, PackageFields, Recipe, Relation};
use crate::source::{Checksum, ChecksumKind, Source, Vcs};

/// The architecture whose specific lists are used (Guix forms are written
/// for the native system; Kiln builds x86_64).
const ARCH: &str = "x86_64";

/// Column past which `guix style` breaks an input list onto several lines.
const WIDTH: usize = 80;

/// A Scheme string literal.
pub fn scheme_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A Guix package name for `name`: lower-case, with characters a Scheme
/// symbol or a Guix name cannot hold turned into `-`.
fn guix_symbol(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '+' | '.' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    // A name that reads as a number would not be a symbol.
    if s.is_empty()
        || s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '+' || c == '-')
    {
        s.insert_str(0, "package-");
    }
    s
}

/// `mirror://` prefixes Guix knows, for the URLs PKGBUILDs spell out.
const MIRRORS: [(&str, &str); 8] = [
    ("https://ftp.gnu.org/gnu/", "mirror://gnu/"),
    ("http://ftp.gnu.org/gnu/", "mirror://gnu/"),
    ("https://ftpmirror.gnu.org/", "mirror://gnu/"),
    (
        "https://downloads.sourceforge.net/",
        "mirror://sourceforge/",
    ),
    ("https://download.sourceforge.net/", "mirror://sourceforge/"),
    ("https://download.gnome.org/", "mirror://gnome/"),
    ("https://www.kernel.org/pub/", "mirror://kernel.org/"),
    ("https://cpan.metacpan.org/", "mirror://cpan/"),
];

/// `url` with a `mirror://` prefix Guix knows in place of the spelled-out
/// mirror it starts with, else `url` unchanged.
pub fn mirror_url(url: &str) -> String {
    for (long, short) in MIRRORS {
        if let Some(rest) = url.strip_prefix(long) {
            return format!("{short}{rest}");
        }
    }
    url.to_owned()
}

/// `"text"` or `(string-append "a" version "b")` with the version abstracted.
fn with_version(text: &str, version: Option<&str>) -> String {
    let Some(v) = version.filter(|v| !v.is_empty() && text.contains(*v)) else {
        return scheme_string(text);
    };
    let mut parts = Vec::new();
    for (i, piece) in text.split(v).enumerate() {
        if i > 0 {
            parts.push("version".to_owned());
        }
        if !piece.is_empty() {
            parts.push(scheme_string(piece));
        }
    }
    if parts.len() == 1 {
        return parts.remove(0);
    }
    format!("(string-append {})", parts.join(" "))
}

/// The sources for the build architecture with the best checksum of each.
fn sources_with_sums(fields: &PackageFields) -> Vec<(Source, Option<(ChecksumKind, Checksum)>)> {
    const PREFERENCE: [ChecksumKind; 8] = [
        ChecksumKind::Sha256,
        ChecksumKind::Sha512,
        ChecksumKind::B2,
        ChecksumKind::Sha384,
        ChecksumKind::Sha224,
        ChecksumKind::Sha1,
        ChecksumKind::Md5,
        ChecksumKind::Ck,
    ];
    let mut out = Vec::new();
    let lists = [
        (fields.source.all.as_deref().unwrap_or_default(), None),
        (
            fields
                .source
                .per_arch
                .get(ARCH)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            Some(ARCH),
        ),
    ];
    for (sources, arch) in lists {
        for (i, src) in sources.iter().enumerate() {
            let sum = PREFERENCE.iter().find_map(|kind| {
                let per = fields.checksums.get(kind)?;
                let list = match arch {
                    None => per.all.as_ref()?,
                    Some(a) => per.per_arch.get(a)?,
                };
                let c = list.get(i)?;
                // SKIP under a better kind still beats nothing, but a real
                // digest under a weaker kind is more use to Guix.
                match c {
                    Checksum::Skip => None,
                    Checksum::Digest(_) => Some((*kind, c.clone())),
                }
            });
            out.push((src.clone(), sum));
        }
    }
    out
}

struct Form<'a> {
    recipe: &'a Recipe,
    maps: &'a Mappings,
    fields: PackageFields,
    version: Option<&'a str>,
    out: String,
    warnings: Vec<String>,
}

impl Form<'_> {
    fn line(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{:indent$}{text}", "");
    }

    fn comment(&mut self, indent: usize, text: &str) {
        for l in text.lines() {
            self.line(indent, format!(";; {l}").trim_end());
        }
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    fn source(&mut self) {
        let sources = sources_with_sums(&self.fields);
        let (patches, others): (Vec<_>, Vec<_>) = sources.into_iter().partition(|(s, _)| {
            s.is_local() && {
                let f = s.file_name();
                f.ends_with(".patch") || f.ends_with(".diff")
            }
        });
        for (s, _) in others.iter().filter(|(s, _)| s.is_local()) {
            self.comment(
                4,
                &format!("Local file not carried over: {}", s.file_name()),
            );
            self.warn(format!("local file {} not carried over", s.file_name()));
        }
        let mut remote = others.iter().filter(|(s, _)| !s.is_local());
        let Some((main, sum)) = remote.next().cloned() else {
            self.comment(4, "The PKGBUILD downloads no source.");
            self.line(4, "(source #f)");
            self.warn("no remote source: the package form has no origin".into());
            return;
        };
        let rest: Vec<_> = remote.cloned().collect();
        let v = self.version;
        self.line(4, "(source (origin");
        let method = |vcs| match vcs {
            Some(Vcs::Git) => "git-fetch",
            Some(Vcs::Hg) => "hg-fetch",
            Some(Vcs::Svn) => "svn-fetch",
            Some(Vcs::Bzr) => "bzr-fetch",
            Some(Vcs::Fossil) | None => "url-fetch",
        };
        self.line(14, &format!("(method {})", method(main.vcs())));
        match main.vcs() {
            None | Some(Vcs::Fossil) => {
                if main.vcs().is_some() {
                    self.warn(format!(
                        "fossil source {} has no Guix fetch method",
                        main.url()
                    ));
                }
                let uri = with_version(&mirror_url(main.url()), v);
                self.line(14, &format!("(uri {uri})"));
                if main.rename().is_some() {
                    self.line(
                        14,
                        &format!("(file-name {})", with_version(main.file_name(), v)),
                    );
                }
            }
            Some(vcs) => {
                let (reference, field) = match vcs {
                    Vcs::Git => ("git-reference", "commit"),
                    Vcs::Hg => ("hg-reference", "changeset"),
                    _ => (
                        if vcs == Vcs::Svn {
                            "svn-reference"
                        } else {
                            "bzr-reference"
                        },
                        "revision",
                    ),
                };
                self.line(14, &format!("(uri ({reference}"));
                self.line(20, &format!("(url {})", scheme_string(main.url())));
                let pinned = main
                    .fragment()
                    .map(|(_, value)| value)
                    .filter(|v| !v.is_empty());
                match pinned {
                    // Subversion revisions are numbers in Guix.
                    Some(p) if vcs == Vcs::Svn && p.bytes().all(|b| b.is_ascii_digit()) => {
                        self.line(20, &format!("({field} {p})))"));
                    }
                    Some(p) => self.line(20, &format!("({field} {})))", with_version(p, v))),
                    None => {
                        self.comment(20, "The PKGBUILD follows the branch head: pin a commit.");
                        self.line(20, &format!("({field} #f)))"));
                        self.warn(format!(
                            "source {} is not pinned to a commit or tag",
                            main.as_str()
                        ));
                    }
                }
                let helper = match vcs {
                    Vcs::Git => "git-file-name",
                    Vcs::Hg => "hg-file-name",
                    Vcs::Svn => "svn-file-name",
                    _ => "bzr-file-name",
                };
                self.line(14, &format!("(file-name ({helper} name version))"));
            }
        }
        let digest = |kind: ChecksumKind, sum: &Checksum| match sum {
            Checksum::Digest(hex) => nix_base32::from_hex(hex).map(|b32| (kind, b32)),
            Checksum::Skip => None,
        };
        let hash = sum.as_ref().and_then(|(k, s)| match k {
            ChecksumKind::Sha256 | ChecksumKind::Sha512 => digest(*k, s),
            _ => None,
        });
        // Closes the origin and the source field, unless patches follow.
        let end = if patches.is_empty() { "))" } else { "" };
        match hash {
            Some((ChecksumKind::Sha256, b32)) => {
                self.line(14, "(sha256");
                self.line(15, "(base32");
                self.line(16, &format!("{})){end}", scheme_string(&b32)));
            }
            Some((_, b32)) => {
                self.line(14, "(hash (content-hash");
                self.line(20, "(base32");
                self.line(21, &format!("{})", scheme_string(&b32)));
                self.line(20, &format!("sha512)){end}"));
            }
            None => {
                let why = match &sum {
                    Some((k, _)) => format!("the PKGBUILD checks it only with {}", k.array_name()),
                    None => "the PKGBUILD gives no checksum for it (SKIP)".to_owned(),
                };
                self.comment(
                    14,
                    &format!("No sha256: {why}; compute it with `guix hash`."),
                );
                self.warn(format!(
                    "source {}: no sha256 or sha512 for Guix: {why}",
                    main.url()
                ));
                self.line(14, &format!("(sha256 #f){end}"));
            }
        }
        if !patches.is_empty() {
            let names: Vec<String> = patches
                .iter()
                .map(|(s, _)| scheme_string(s.file_name()))
                .collect();
            self.line(
                14,
                &format!("(patches (search-patches {}))))", names.join(" ")),
            );
            self.warn(format!(
                "patches {} must be added to the Guix tree (gnu/packages/patches)",
                patches
                    .iter()
                    .map(|(s, _)| s.file_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for (s, _) in &rest {
            self.comment(
                4,
                &format!("Further source not carried over: {}", s.as_str()),
            );
            self.warn(format!(
                "further source {} not carried over (Guix origins fetch one source)",
                s.as_str()
            ));
        }
    }

    fn arguments(&mut self, plan: &BuildPlan, system: &str) {
        let mut args: Vec<String> = Vec::new();
        let flags_of = |this: &mut Self, what: &str, flags: &[String]| {
            let (ok, shell): (Vec<&String>, Vec<&String>) =
                flags.iter().partition(|f| !f.contains('$'));
            for f in shell {
                this.comment(4, &format!("{what} flag refers to shell variables: {f}"));
                this.warn(format!(
                    "{what} flag {f} refers to shell variables and was left out"
                ));
            }
            ok.iter().map(|f| scheme_string(f)).collect::<Vec<_>>()
        };
        if matches!(system, "gnu" | "cmake" | "meson") {
            let flags = flags_of(self, "configure", &plan.configure_flags);
            if !flags.is_empty() {
                args.push(format!("#:configure-flags #~(list {})", flags.join(" ")));
            }
        }
        if matches!(system, "gnu" | "cmake") {
            let flags = flags_of(self, "make", &plan.make_flags);
            if !flags.is_empty() {
                args.push(format!("#:make-flags #~(list {})", flags.join(" ")));
            }
            if let Some(t) = plan.test_target.as_deref().filter(|_| plan.tests) {
                args.push(format!("#:test-target {}", scheme_string(t)));
            }
        }
        if system == "go" {
            let path = self.fields.source.iter_all().find_map(|s| {
                let url = s.url();
                let rest = url.split("://").nth(1)?;
                let parts: Vec<&str> = rest.split('/').take(3).collect();
                (parts.len() == 3 && parts[0].contains('.'))
                    .then(|| parts.join("/").trim_end_matches(".git").to_owned())
            });
            match path {
                Some(p) => args.push(format!("#:import-path {}", scheme_string(&p))),
                None => self.warn("go: no import path could be read from the sources".into()),
            }
        }
        if !plan.tests {
            args.push("#:tests? #f".into());
        }
        if system == "gnu" && !plan.runs_configure && plan.system.as_deref() == Some("gnu") {
            args.push("#:phases #~(modify-phases %standard-phases (delete 'configure))".into());
        }
        if args.is_empty() {
            return;
        }
        self.line(4, "(arguments");
        let last = args.len() - 1;
        for (i, a) in args.iter().enumerate() {
            let close = if i == last { "))" } else { "" };
            if i == 0 {
                self.line(5, &format!("(list {a}{close}"));
            } else {
                self.line(11, &format!("{a}{close}"));
            }
        }
    }

    /// The Guix inputs for some relations, mapped, without the package
    /// itself, implicit inputs and repeats.
    fn input_refs(&self, relations: &[Relation], exclude: &[GuixRef]) -> Vec<GuixRef> {
        let own = self.maps.arch_to_guix_refs(&self.recipe.pkgbase);
        let mut refs: Vec<GuixRef> = Vec::new();
        for r in relations {
            let Some(list) = self.fields.relation(*r) else {
                continue;
            };
            for dep in list.for_arch(ARCH) {
                let Some(g) = self.maps.arch_to_guix_refs(dep.name()).into_iter().next() else {
                    continue;
                };
                if own.first() != Some(&g) && !refs.contains(&g) && !exclude.contains(&g) {
                    refs.push(g);
                }
            }
        }
        refs
    }

    fn inputs(&mut self, field: &str, mut refs: Vec<GuixRef>) {
        if refs.is_empty() {
            return;
        }
        refs.sort_by_key(|g| (g.variable(), g.output.clone()));
        let items: Vec<String> = refs
            .iter()
            .map(|g| match &g.output {
                Some(o) => format!("`(,{} {})", g.variable(), scheme_string(o)),
                None => g.variable(),
            })
            .collect();
        let one_line = format!("({field} (list {}))", items.join(" "));
        if 4 + one_line.len() <= WIDTH {
            self.line(4, &one_line);
            return;
        }
        self.line(4, &format!("({field}"));
        let last = items.len() - 1;
        for (i, item) in items.iter().enumerate() {
            let close = if i == last { "))" } else { "" };
            if i == 0 {
                self.line(5, &format!("(list {item}{close}"));
            } else {
                self.line(11, &format!("{item}{close}"));
            }
        }
    }

    fn license(&mut self) {
        let mut vars: Vec<String> = Vec::new();
        let licenses = self.fields.license.clone().unwrap_or_default();
        for l in &licenses {
            let Some(spdx) = l.spdx() else {
                self.comment(
                    4,
                    &format!("License with no Guix counterpart: {}", l.as_str()),
                );
                self.warn(format!("license {} has no Guix counterpart", l.as_str()));
                continue;
            };
            let g = self.maps.spdx_to_guix(&spdx);
            for id in &g.unmapped {
                self.comment(4, &format!("License with no Guix counterpart: {id}"));
                self.warn(format!("license {id} has no Guix counterpart"));
            }
            for lic in g.licenses {
                let v = format!("license:{}", lic.variable);
                if !vars.contains(&v) {
                    vars.push(v);
                }
            }
        }
        match vars.len() {
            0 => {
                if licenses.is_empty() {
                    self.warn("the PKGBUILD states no license".into());
                }
                self.line(4, "(license #f)))");
            }
            1 => self.line(4, &format!("(license {})))", vars[0])),
            _ => self.line(4, &format!("(license (list {}))))", vars.join(" "))),
        }
    }
}

/// The `(define-public NAME (package ...))` form of `recipe`.
pub fn package_form(recipe: &Recipe, maps: &Mappings) -> Emitted {
    let name = match recipe.origin {
        Origin::Guix => recipe.pkgbase.clone(),
        Origin::Arch => maps
            .arch_to_guix_refs(&recipe.pkgbase)
            .first()
            .map_or_else(|| recipe.pkgbase.clone(), |g| g.name.clone()),
    };
    let name = guix_symbol(&name);
    let fields = recipe.first_package_fields();
    let mut f = Form {
        recipe,
        maps,
        fields,
        version: recipe.pkgver.as_deref(),
        out: String::new(),
        warnings: Vec::new(),
    };
    let _ = writeln!(f.out, "(define-public {name}");
    f.line(2, "(package");
    f.line(4, &format!("(name {})", scheme_string(&name)));
    if !recipe.unknown.is_empty() {
        let unknown: Vec<&str> = recipe.unknown.iter().map(String::as_str).collect();
        f.comment(
            4,
            &format!(
                "Not known without running the PKGBUILD: {}",
                unknown.join(", ")
            ),
        );
        f.warn(format!(
            "values not known statically: {}",
            unknown.join(", ")
        ));
    }
    match recipe.pkgver.as_deref() {
        Some(v) => f.line(4, &format!("(version {})", scheme_string(v))),
        None => {
            f.line(4, "(version #f)");
            f.warn("no pkgver: the version is unknown".into());
        }
    }
    if recipe.packages.len() > 1 {
        let names: Vec<&str> = recipe.packages.iter().map(|p| p.name.as_str()).collect();
        let first = names[0];
        f.comment(
            4,
            &format!(
                "Split PKGBUILD; only {first} is translated. Packages: {}",
                names.join(" ")
            ),
        );
        f.warn(format!(
            "split packages {} are not translated (only {first})",
            names[1..].join(", ")
        ));
    }
    f.source();
    let plan = BuildPlan::from_recipe(recipe);
    let system = match plan.system.as_deref() {
        Some(s @ ("gnu" | "cmake" | "meson" | "python" | "pyproject" | "cargo" | "go")) => {
            s.to_owned()
        }
        other => {
            let what = other.map_or("no build system".to_owned(), |s| {
                format!("build system {s}")
            });
            f.comment(
                4,
                &format!("The PKGBUILD follows {what} Kiln knows; its steps are below."),
            );
            f.warn(format!(
                "{what} recognized in the PKGBUILD; gnu-build-system assumed"
            ));
            "gnu".to_owned()
        }
    };
    f.line(4, &format!("(build-system {system}-build-system)"));
    if !plan.custom.is_empty() {
        f.comment(
            4,
            "Steps of the PKGBUILD with no counterpart here (add them as phases):",
        );
        for step in &plan.custom {
            f.comment(
                4,
                &format!("{}() line {}: {}", step.function, step.line, step.text),
            );
            f.warnings.push(format!(
                "line {}: {}(): `{}` is custom shell, kept as a comment",
                step.line, step.function, step.text
            ));
        }
    }
    f.arguments(&plan, &system);
    // What is needed at run time is an input, which build steps see too.
    let inputs = f.input_refs(&[Relation::Depends], &[]);
    let native = f.input_refs(&[Relation::MakeDepends, Relation::CheckDepends], &inputs);
    f.inputs("native-inputs", native);
    f.inputs("inputs", inputs);
    if let Some(opt) = f
        .fields
        .relation(Relation::OptDepends)
        .filter(|o| !o.is_unset())
    {
        let list: Vec<String> = opt.for_arch(ARCH).map(|d| d.as_str().to_owned()).collect();
        if !list.is_empty() {
            f.comment(4, &format!("Optional dependencies: {}", list.join("; ")));
            f.warn("optdepends have no Guix counterpart, kept as a comment".into());
        }
    }
    for r in [Relation::Provides, Relation::Conflicts, Relation::Replaces] {
        if let Some(list) = f.fields.relation(r).filter(|l| !l.is_unset()) {
            let items: Vec<String> = list.for_arch(ARCH).map(|d| d.as_str().to_owned()).collect();
            if !items.is_empty() {
                f.comment(4, &format!("{}: {}", r.array_name(), items.join(" ")));
                f.warn(format!(
                    "{} has no Guix counterpart, kept as a comment",
                    r.array_name()
                ));
            }
        }
    }
    let home = f.fields.url.clone();
    match home {
        Some(u) => f.line(4, &format!("(home-page {})", scheme_string(&u))),
        None => {
            f.line(4, "(home-page #f)");
            f.warn("no url: home-page unknown".into());
        }
    }
    let synopsis = f.fields.pkgdesc.clone().unwrap_or_default();
    f.line(4, &format!("(synopsis {})", scheme_string(&synopsis)));
    let description = recipe
        .description
        .clone()
        .unwrap_or_else(|| synopsis.clone());
    f.line(4, &format!("(description {})", scheme_string(&description)));
    f.license();
    Emitted {
        text: f.out,
        warnings: f.warnings,
    }
}
