//! From an evaluated package object to what the importer hands out: the
//! `kiln guix-dump` JSON record (the shape of the corpus oracle) and the
//! normalized [`Recipe`]. Fields that failed to evaluate are `null` in the
//! record, unknown in the recipe, with one warning each.

use std::rc::Rc;

use kiln_normalizer::source::{Checksum, ChecksumKind, Source};
use kiln_normalizer::{
    Dependency, GuixDetails, GuixInput, GuixInputKind, ImportWarning, License, Origin, Recipe,
    Relation, WarningKind,
};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value as Json};

use super::eval::Interp;
use super::licenses::spdx_for;
use super::reader::Syntax;
use super::value::{write_syntax, write_value, EvalError, Field, Package, Value};

/// A top-level binding of a package object.
#[derive(Clone)]
pub struct BindingInfo {
    /// Module index.
    pub module: usize,
    /// Variable name (an interned symbol's: no copy for each package).
    pub variable: &'static str,
    /// `define-public`.
    pub public: bool,
    /// Line of the `define`.
    pub line: u32,
}

/// One binding in the record's `bindings`.
#[derive(Serialize)]
struct BindingJson<'r> {
    define_line: u32,
    module: &'r str,
    public: bool,
    variable: &'r str,
}

/// The record's `location`.
#[derive(Serialize)]
struct LocationJson<'r> {
    file: &'r str,
    line: u32,
}

/// The `kiln guix-dump` record; fields in the order of their names, as the
/// JSON maps of the rest of the record print theirs.
#[derive(Serialize)]
struct RecordJson<'r> {
    argument_keywords: &'r [String],
    arguments: Option<&'r str>,
    bindings: Vec<BindingJson<'r>>,
    bound: bool,
    build_system: Option<&'r str>,
    definition_line: u32,
    description: Option<&'r str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<String>>,
    hidden: bool,
    home_page: Option<&'r str>,
    inputs: Option<&'r [Json]>,
    license: Option<Vec<Option<String>>>,
    line: u32,
    location: LocationJson<'r>,
    module: &'r str,
    name: Option<&'r str>,
    native_inputs: Option<&'r [Json]>,
    outputs: Option<&'r [String]>,
    propagated_inputs: Option<&'r [Json]>,
    properties: Option<&'r str>,
    public: bool,
    source: &'r Json,
    synopsis: Option<&'r str>,
    variable: &'r str,
    version: Option<&'r str>,
}

/// Builds the record (as JSON text) and the recipe of one package object.
pub fn build<'a>(
    it: &Interp<'a>,
    pkg: &Rc<Package<'a>>,
    primary: &BindingInfo,
    bindings: &[BindingInfo],
) -> (Box<RawValue>, Recipe) {
    let module_path = |m: usize| it.modules[m].path;
    let file = module_path(primary.module);
    let mut warnings: Vec<(Field, EvalError)> = Vec::new();
    let mut get = |f: Field| match it.field(pkg, f) {
        Ok(v) => Some(v),
        Err(e) => {
            warnings.push((f, e));
            None
        }
    };
    let name = get(Field::Name);
    let version = get(Field::Version);
    let source = get(Field::Source);
    let build_system = get(Field::BuildSystem);
    let inputs = [
        (Field::Inputs, get(Field::Inputs)),
        (Field::NativeInputs, get(Field::NativeInputs)),
        (Field::PropagatedInputs, get(Field::PropagatedInputs)),
    ];
    let outputs = get(Field::Outputs);
    let license = get(Field::License);
    let home_page = get(Field::HomePage);
    let synopsis = get(Field::Synopsis);
    let description = get(Field::Description);
    let properties = get(Field::Properties);
    let arguments = get(Field::Arguments);

    let text = |v: &Option<Value<'_>>| v.as_ref().and_then(|v| v.as_str().map(str::to_owned));
    let name_s = text(&name);
    let version_s = text(&version);

    // Source.
    let origin = source.as_ref().and_then(|s| s.as_record("origin"));
    let source_json = match (&source, origin) {
        (_, Some(o)) => origin_json(o),
        (Some(Value::Bool(false)), None) | (None, None) => Json::Null,
        (Some(other), None) => json!({"type": other.type_name(), "repr": format!("{other:?}")}),
    };

    let bs_name = build_system
        .as_ref()
        .and_then(|b| b.as_record("build-system"))
        .and_then(|r| r.get("name"))
        .map(|n| match n {
            Value::Sym(s) => s.as_str().to_owned(),
            Value::Str(s) => s.to_string(),
            other => format!("{other:?}"),
        });

    let mut guix_inputs = Vec::new();
    // inputs, native-inputs, propagated-inputs as the record gives them.
    let mut inputs_json: [Option<Vec<Json>>; 3] = [None, None, None];
    for ((field, list), slot) in inputs.iter().zip(&mut inputs_json) {
        let Some(list) = list else { continue };
        let mut out = Vec::new();
        for item in list.as_slice().unwrap_or_default() {
            match input_entry(it, item) {
                Ok((json, gi)) => {
                    out.push(json);
                    guix_inputs.push(GuixInput {
                        kind: match field {
                            Field::Inputs => GuixInputKind::Inputs,
                            Field::NativeInputs => GuixInputKind::NativeInputs,
                            _ => GuixInputKind::PropagatedInputs,
                        },
                        ..gi
                    });
                }
                Err(e) => {
                    warnings.push((*field, e));
                }
            }
        }
        *slot = Some(out);
    }

    let outputs_v: Option<Vec<String>> = outputs.as_ref().and_then(|o| {
        o.as_slice().map(|xs| {
            xs.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
    });

    // Each license's name, null for what is not a license (`(license #f)`),
    // as Guix's own records show it; the recipe keeps the names.
    let license_json: Option<Vec<Option<String>>> = license.as_ref().map(|l| {
        let one = |v: &Value<'_>| {
            v.as_record("license")
                .and_then(|r| r.get("name"))
                .and_then(|n| n.as_str().map(str::to_owned))
        };
        match l.as_slice() {
            Some(xs) => xs.iter().map(one).collect(),
            None => vec![one(l)],
        }
    });
    let license_names: Option<Vec<String>> = license_json
        .as_ref()
        .map(|names| names.iter().flatten().cloned().collect());
    let home_s = text(&home_page);
    let synopsis_s = text(&synopsis);
    let description_s = text(&description);

    let (args_text, keywords) = match &arguments {
        Some(Value::Code(s)) => arguments_text(s),
        Some(Value::Null) | None => (None, Vec::new()),
        Some(other) => {
            let mut s = String::new();
            write_value(&mut s, other);
            (Some(s), Vec::new())
        }
    };
    let props_text = properties.as_ref().and_then(|p| match p {
        Value::Null => None,
        p => {
            let mut s = String::new();
            write_value(&mut s, p);
            Some(s)
        }
    });
    let hidden = pkg.hidden
        || properties
            .as_ref()
            .and_then(Value::as_slice)
            .is_some_and(|xs| {
                xs.iter().any(|e| {
                    matches!(e, Value::Pair(p) if matches!(&p.0, Value::Sym(s) if s.as_str() == "hidden?") && p.1.is_true())
                })
            });

    // Known (not failed to evaluate), as opposed to empty.
    let outputs_known = outputs_v.is_some();

    // The recipe.
    let pkgname = name_s
        .clone()
        .unwrap_or_else(|| primary.variable.to_owned());
    let mut recipe = Recipe::new(Origin::Guix, pkgname);
    recipe.pkgver = version_s;
    recipe.base.url = home_s;
    recipe.base.pkgdesc = synopsis_s;
    recipe.description = description_s;
    recipe.build_system = bs_name;
    if let Some(names) = &license_names {
        recipe.base.license = Some(
            names
                .iter()
                .map(|n| License::new(spdx_for(n).unwrap_or(n.as_str())))
                .collect(),
        );
    }
    if origin.is_some() {
        if let Some(src) = recipe_source(&source_json) {
            recipe.base.source.all = Some(vec![src]);
            let kind = match source_json.get("hash_algorithm").and_then(Json::as_str) {
                Some("sha512") => ChecksumKind::Sha512,
                _ => ChecksumKind::Sha256,
            };
            let hex = source_json
                .get("hash_nix_base32")
                .and_then(Json::as_str)
                .and_then(nix_base32_to_hex);
            recipe.base.checksums.entry(kind).or_default().all = Some(vec![match hex {
                Some(h) => Checksum::Digest(h),
                None => Checksum::Skip,
            }]);
        }
    }
    let mut depends = Vec::new();
    let mut makedepends = Vec::new();
    for gi in &guix_inputs {
        let Some(n) = &gi.name else { continue };
        let dep = Dependency::new(n.clone());
        match gi.kind {
            GuixInputKind::NativeInputs => makedepends.push(dep),
            _ => depends.push(dep),
        }
    }
    if !depends.is_empty() {
        recipe.base.relation_mut(Relation::Depends).all = Some(depends);
    }
    if !makedepends.is_empty() {
        recipe.base.relation_mut(Relation::MakeDepends).all = Some(makedepends);
    }
    recipe.guix = Some(GuixDetails {
        module: file.to_owned(),
        variable: primary.variable.to_owned(),
        public: primary.public,
        line: pkg.line,
        source_method: source_json
            .get("method")
            .and_then(Json::as_str)
            .map(str::to_owned),
        patches: source_json
            .get("patches")
            .and_then(Json::as_array)
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        inputs: guix_inputs,
        license_names: license_names.unwrap_or_default(),
        outputs: outputs_v.unwrap_or_default(),
        arguments: args_text,
        argument_keywords: keywords,
        properties: props_text,
    });
    for (field, e) in warnings {
        recipe.warn(ImportWarning {
            file: it.modules[e.module].path.to_owned(),
            line: e.line,
            kind: WarningKind::NeedsEvaluation,
            attribute: Some(field.name().to_owned()),
            message: e.message,
        });
    }

    let guix = recipe.guix.as_ref().expect("set above");
    let [inputs_json, native_inputs_json, propagated_inputs_json] = &inputs_json;
    let record = RecordJson {
        argument_keywords: &guix.argument_keywords,
        arguments: guix.arguments.as_deref(),
        bindings: bindings
            .iter()
            .map(|b| BindingJson {
                define_line: b.line,
                module: module_path(b.module),
                public: b.public,
                variable: b.variable,
            })
            .collect(),
        bound: true,
        build_system: recipe.build_system.as_deref(),
        definition_line: primary.line,
        description: recipe.description.as_deref(),
        errors: (!recipe.warnings.is_empty())
            .then(|| recipe.warnings.iter().map(ToString::to_string).collect()),
        hidden,
        home_page: recipe.base.url.as_deref(),
        inputs: inputs_json.as_deref(),
        license: license_json,
        line: pkg.line,
        location: LocationJson {
            file: module_path(pkg.module),
            line: pkg.line,
        },
        module: file,
        name: name_s.as_deref(),
        native_inputs: native_inputs_json.as_deref(),
        outputs: outputs_known.then_some(&guix.outputs[..]),
        propagated_inputs: propagated_inputs_json.as_deref(),
        properties: guix.properties.as_deref(),
        public: primary.public,
        source: &source_json,
        synopsis: recipe.base.pkgdesc.as_deref(),
        variable: primary.variable,
        version: recipe.pkgver.as_deref(),
    };
    let record =
        serde_json::value::to_raw_value(&record).unwrap_or_else(|_| RawValue::NULL.to_owned());
    (record, recipe)
}

fn recipe_source(source: &Json) -> Option<Source> {
    let uri = source.get("uri")?;
    let file_name = source.get("file_name").and_then(Json::as_str);
    match uri {
        Json::Array(urls) => {
            let url = urls.first()?.as_str()?;
            Source::from_url(url, None).ok()
        }
        Json::Object(r) => {
            let url = r.get("url").and_then(Json::as_str)?;
            let (prefix, frag) = match r.get("type").and_then(Json::as_str)? {
                "git-reference" => (
                    "git+",
                    r.get("commit").and_then(Json::as_str).map(|c| {
                        if c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()) {
                            format!("#commit={c}")
                        } else {
                            format!("#tag={c}")
                        }
                    }),
                ),
                "hg-reference" => (
                    "hg+",
                    r.get("changeset")
                        .and_then(Json::as_str)
                        .map(|c| format!("#revision={c}")),
                ),
                "svn-reference" => (
                    "svn+",
                    r.get("revision").map(|c| match c {
                        Json::String(s) => format!("#revision={s}"),
                        number => format!("#revision={number}"),
                    }),
                ),
                "bzr-reference" => (
                    "bzr+",
                    r.get("revision")
                        .and_then(Json::as_str)
                        .map(|c| format!("#revision={c}")),
                ),
                _ => return None,
            };
            let text = format!("{prefix}{url}{}", frag.unwrap_or_default());
            Source::from_url(&text, file_name).ok()
        }
        _ => None,
    }
}

fn input_entry<'a>(it: &Interp<'a>, item: &Value<'a>) -> Result<(Json, GuixInput), EvalError> {
    let err = |m: String| EvalError {
        module: 0,
        line: 0,
        message: m,
    };
    let Some([label, thing, rest @ ..]) = item.as_slice() else {
        return Err(err(format!("input {item:?} is not a labelled list")));
    };
    let label = match label {
        Value::Str(s) => s.to_string(),
        other => return Err(err(format!("input label {other:?} is not a string"))),
    };
    match thing {
        Value::Package(p) => {
            let name = it.field(p, Field::Name)?;
            let version = it.field(p, Field::Version)?;
            let (name, version) = (
                name.as_str().map(str::to_owned),
                version.as_str().map(str::to_owned),
            );
            let output = match rest.first() {
                Some(Value::Str(o)) if &**o != "out" => Some(o.to_string()),
                _ => None,
            };
            let mut j = vec![json!(label), json!(name), json!(version)];
            if let Some(o) = &output {
                j.push(json!(o));
            }
            Ok((
                Json::Array(j),
                GuixInput {
                    kind: GuixInputKind::Inputs,
                    label,
                    name,
                    version,
                    output,
                },
            ))
        }
        other => {
            let desc = match other.as_record("origin") {
                Some(o) => {
                    json!({"origin": origin_json(o).get("uri").cloned().unwrap_or(Json::Null)})
                }
                None => match other {
                    Value::Str(s) => json!(format!("{s:?}")),
                    Value::Record(r) if r.kind.as_str() == "local-file" => {
                        json!(r
                            .get("name")
                            .and_then(Value::as_str)
                            .map(|s| format!("{s:?}")))
                    }
                    _ => json!(format!("{other:?}")),
                },
            };
            let text = match &desc {
                Json::String(s) => s.clone(),
                d => d.to_string(),
            };
            Ok((
                json!([label, null, null, desc]),
                GuixInput {
                    kind: GuixInputKind::Inputs,
                    label,
                    name: None,
                    version: None,
                    output: Some(text),
                },
            ))
        }
    }
}

fn origin_json(o: &super::value::Record<'_>) -> Json {
    let method = match o.get("method") {
        Some(Value::Record(m)) if m.kind.as_str() == "fetch-method" => m
            .get("name")
            .and_then(Value::as_str)
            .map(|s| if s == "url-fetch*" { "url-fetch" } else { s })
            .unwrap_or("anonymous")
            .to_owned(),
        Some(Value::Procedure(_)) => "anonymous".to_owned(),
        _ => "unknown".to_owned(),
    };
    let uri = match o.get("uri") {
        Some(Value::Str(s)) => json!([s.to_string()]),
        Some(v @ (Value::List(_) | Value::Null)) => Json::Array(
            v.as_slice()
                .unwrap_or_default()
                .iter()
                .map(|u| match u {
                    Value::Str(s) => json!(s.to_string()),
                    other => json!(format!("{other:?}")),
                })
                .collect(),
        ),
        Some(Value::Record(r)) => {
            let mut m = Map::new();
            m.insert("type".into(), json!(r.kind.as_str()));
            let kind = r.kind.as_str();
            let get = |n: &str| r.get(n).map(value_json).unwrap_or(Json::Null);
            match kind {
                "git-reference" => {
                    m.insert("url".into(), get("url"));
                    m.insert("commit".into(), get("commit"));
                    m.insert(
                        "recursive".into(),
                        r.get("recursive?").map(value_json).unwrap_or(json!(false)),
                    );
                }
                "hg-reference" => {
                    m.insert("url".into(), get("url"));
                    m.insert("changeset".into(), get("changeset"));
                }
                "svn-reference" | "svn-multi-reference" => {
                    m.insert("url".into(), get("url"));
                    m.insert("revision".into(), get("revision"));
                    m.insert(
                        "recursive".into(),
                        r.get("recursive?").map(value_json).unwrap_or(json!(true)),
                    );
                    if kind == "svn-multi-reference" {
                        m.insert("locations".into(), get("locations"));
                    }
                }
                "cvs-reference" => {
                    m.insert("root-directory".into(), get("root-directory"));
                    m.insert("module".into(), get("module"));
                    m.insert("revision".into(), get("revision"));
                }
                "bzr-reference" => {
                    m.insert("url".into(), get("url"));
                    m.insert("revision".into(), get("revision"));
                }
                _ => {}
            }
            Json::Object(m)
        }
        Some(other) => json!(format!("{other:?}")),
        None => Json::Null,
    };
    let hash = o
        .get("sha256")
        .or_else(|| o.get("hash"))
        .and_then(|h| h.as_record("hash"));
    let nix = hash
        .filter(|h| h.get("encoding").and_then(Value::as_str) == Some("nix-base32"))
        .and_then(|h| h.get("text"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let algorithm = hash
        .and_then(|h| h.get("algorithm"))
        .and_then(Value::as_str)
        .unwrap_or("sha256")
        .to_owned();
    let hex = nix.as_deref().and_then(nix_base32_to_hex);
    let is_sha256 = algorithm == "sha256";
    let patches: Vec<Json> = match o.get("patches") {
        Some(v) => v
            .as_slice()
            .unwrap_or_default()
            .iter()
            .map(|p| match p {
                Value::Str(s) => json!(s.rsplit('/').next().unwrap_or(s)),
                Value::Record(r) if r.kind.as_str() == "local-file" => json!(r
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|s| s.rsplit('/').next().unwrap_or(s).to_owned())),
                Value::Record(r) if r.kind.as_str() == "origin" => {
                    let inner = origin_json(r);
                    json!({"type": "origin", "uri": inner.get("uri"), "file-name": inner.get("file_name")})
                }
                other => json!(format!("{other:?}")),
            })
            .collect(),
        None => Vec::new(),
    };
    let snippet = o.get("snippet").map(|s| match s {
        Value::Code(c) => {
            let mut t = String::new();
            write_syntax(&mut t, c);
            t
        }
        other => format!("{other:?}"),
    });
    json!({
        "type": "origin",
        "method": method,
        "uri": uri,
        "file_name": o.get("file-name").and_then(Value::as_str),
        "hash_algorithm": algorithm,
        "sha256": nix.clone().filter(|_| is_sha256),
        "sha256_hex": hex.filter(|_| is_sha256),
        "hash_nix_base32": nix,
        "patches": patches,
        "snippet": snippet,
    })
}

fn value_json(v: &Value<'_>) -> Json {
    match v {
        Value::Str(s) => json!(s.to_string()),
        Value::Bool(b) => json!(b),
        Value::Int(n) => json!(n),
        Value::Float(f) => json!(f),
        Value::Sym(s) => json!(s.as_str()),
        Value::Null | Value::List(_) => Json::Array(
            v.as_slice()
                .unwrap_or_default()
                .iter()
                .map(value_json)
                .collect(),
        ),
        other => json!(format!("{other:?}")),
    }
}

/// The `arguments` expression as text and its top-level keywords.
fn arguments_text(s: &Syntax) -> (Option<String>, Vec<String>) {
    let mut text = String::new();
    write_syntax(&mut text, s);
    let body = match s.as_list().map(|l| l.items()) {
        Some([Syntax::Symbol(q), inner]) if matches!(q.as_str(), "quote" | "quasiquote") => {
            inner.as_list().map(|l| l.items())
        }
        Some([Syntax::Symbol(l), rest @ ..]) if l.as_str() == "list" => Some(rest),
        _ => None,
    };
    let keywords = body
        .map(|items| {
            items
                .iter()
                .filter_map(|i| match i {
                    Syntax::Keyword(k) => Some(k.as_str().to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    (Some(text), keywords)
}

/// Decodes Nix's base32 (its own alphabet, least significant first) to hex.
pub fn nix_base32_to_hex(s: &str) -> Option<String> {
    const ALPHABET: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";
    /// Digit of each byte, or 0xff for bytes outside the alphabet.
    const DIGITS: [u8; 256] = {
        let mut t = [0xff_u8; 256];
        let mut i = 0;
        while i < ALPHABET.len() {
            t[ALPHABET[i] as usize] = i as u8;
            i += 1;
        }
        t
    };
    let len = s.len();
    let size = len * 5 / 8;
    let mut out = vec![0u8; size];
    for (n, c) in s.bytes().rev().enumerate() {
        let digit = DIGITS[c as usize];
        if digit == 0xff {
            return None;
        }
        let b = n * 5;
        let (i, j) = (b / 8, b % 8);
        let shifted = u16::from(digit) << j;
        *out.get_mut(i)? |= (shifted & 0xff) as u8;
        let carry = (shifted >> 8) as u8;
        if i + 1 < size {
            out[i + 1] |= carry;
        } else if carry != 0 {
            return None;
        }
    }
    Some(hex::encode(out))
}
