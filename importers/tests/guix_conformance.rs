//! Conformance of the static Guix importer with Guix's own evaluation:
//! evaluates the shared corpus tree (`../shared/corpus/guix` from the
//! workspace root) and scores the records against `oracle.jsonl` the way
//! `guix-compare` does (same fields, inputs compared as sorted
//! `name@version:output`, licenses sorted). Fails below the floor reached;
//! skips with a notice when the corpus is absent.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

/// Share of oracle records that must agree on every field.
const RECORD_FLOOR: f64 = 0.9997;
/// Share of compared fields that must agree.
const FIELD_FLOOR: f64 = 0.9998;

const FIELDS: [&str; 14] = [
    "name",
    "version",
    "build_system",
    "home_page",
    "synopsis",
    "outputs",
    "source.method",
    "source.uri",
    "source.sha256_hex",
    "source.patches",
    "inputs",
    "native_inputs",
    "propagated_inputs",
    "license",
];

fn input_key(item: &Value) -> String {
    let Some(items) = item.as_array().filter(|a| !a.is_empty()) else {
        return item.to_string();
    };
    let get = |i: usize| items.get(i).cloned().unwrap_or(Value::Null);
    let (label, name, version) = (get(0), get(1), get(2));
    if name.is_null() {
        return format!("{label} (not a package)");
    }
    let output = items.get(3).and_then(Value::as_str).unwrap_or("out");
    format!("{name}@{version}:{output}")
}

/// The comparable form of one field, as the scorer computes it.
fn field(rec: &Value, name: &str) -> Value {
    let mut cur = rec;
    for part in name.split('.') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => {
                cur = &Value::Null;
                break;
            }
        }
    }
    if name.ends_with("inputs") {
        let mut keys: Vec<String> = cur
            .as_array()
            .map(|a| a.iter().map(input_key).collect())
            .unwrap_or_default();
        keys.sort();
        return Value::from(keys);
    }
    if name == "license" {
        let mut names: Vec<Value> = match cur {
            Value::Array(a) => a.clone(),
            Value::Null => Vec::new(),
            v => vec![v.clone()],
        };
        names.sort_by_key(|v| v.to_string());
        return Value::Array(names);
    }
    if matches!(name, "source.uri" | "source.patches") {
        if let Value::String(_) = cur {
            return Value::Array(vec![cur.clone()]);
        }
        if cur.as_array().is_some_and(Vec::is_empty) {
            return Value::Null;
        }
    }
    cur.clone()
}

fn key(rec: &Value) -> Option<(String, String)> {
    Some((
        rec.get("module")?.as_str()?.to_owned(),
        rec.get("variable")?.as_str()?.to_owned(),
    ))
}

#[test]
fn guix_corpus_agrees_with_guix_evaluation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/guix");
    let oracle_path = root.join("oracle.jsonl");
    if !oracle_path.is_file() {
        println!(
            "guix conformance: corpus not found at {}, skipping",
            root.display()
        );
        return;
    }
    let files = kiln_importers::guix::read_tree(&root).expect("corpus reads");
    assert_eq!(
        files
            .iter()
            .filter(|f| f.path.starts_with("gnu/packages/"))
            .count(),
        534,
        "all package modules found"
    );
    let eval = kiln_importers::guix::evaluate(files);
    // The reader accepts every module of the tree.
    let unreadable: Vec<_> = eval
        .errors
        .iter()
        .filter(|e| e.message.contains("never closed") || e.message.contains("reader syntax"))
        .collect();
    assert!(unreadable.is_empty(), "{unreadable:?}");

    let mut actual: HashMap<(String, String), Value> = HashMap::new();
    for p in &eval.packages {
        let record = p.record_value();
        if let Some(k) = key(&record) {
            actual.entry(k).or_insert(record);
        }
    }
    let oracle_text = std::fs::read_to_string(&oracle_path).expect("oracle reads");
    let (mut records, mut exact, mut fields_ok, mut fields) = (0usize, 0usize, 0usize, 0usize);
    let mut worst: HashMap<&str, usize> = HashMap::new();
    for line in oracle_text.lines().filter(|l| !l.trim().is_empty()) {
        let exp: Value = serde_json::from_str(line).expect("oracle line is JSON");
        let Some(k) = key(&exp) else { continue };
        records += 1;
        let empty = Value::Object(Default::default());
        let act = actual.get(&k).unwrap_or(&empty);
        let mut all = true;
        for f in FIELDS {
            fields += 1;
            if field(&exp, f) == field(act, f) {
                fields_ok += 1;
            } else {
                all = false;
                *worst.entry(f).or_default() += 1;
            }
        }
        exact += usize::from(all);
    }
    let record_share = exact as f64 / records.max(1) as f64;
    let field_share = fields_ok as f64 / fields.max(1) as f64;
    let mut worst: Vec<_> = worst.into_iter().collect();
    worst.sort_by_key(|w| std::cmp::Reverse(w.1));
    println!(
        "guix conformance: records agree exactly {exact}/{records} ({:.2}%), fields {fields_ok}/{fields} ({:.2}%); most disagreeing: {worst:?}",
        100.0 * record_share,
        100.0 * field_share
    );
    assert!(records > 13_000, "oracle has {records} records");
    assert!(
        record_share >= RECORD_FLOOR,
        "records agree {record_share:.4} < {RECORD_FLOOR}"
    );
    assert!(
        field_share >= FIELD_FLOOR,
        "fields agree {field_share:.4} < {FIELD_FLOOR}"
    );
}
