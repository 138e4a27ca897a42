//! Reading advisories from JSON text: an OSV record, an Arch tracker AVG
//! group, or an array of either (the tracker's `all.json`).

use serde_json::Value;

use super::{origin_of_ecosystem, Advisory, Affected, Format, Range};

/// Text that is not an advisory at all.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON.
    #[error("{file}: line {line}, column {column}: not valid JSON: {message}")]
    Json {
        /// The file.
        file: String,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// JSON, but neither OSV nor an AVG group.
    #[error("{file}: {what} is neither an OSV record (id, affected) nor an Arch tracker group (name AVG-..., packages)")]
    Unknown {
        /// The file.
        file: String,
        /// Which value (`the document`, `element 3`).
        what: String,
    },
}

/// Reads every advisory in `text`, read from `file`.
pub fn parse_advisories(text: &str, file: &str) -> Result<Vec<Advisory>, ParseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ParseError::Json {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    match &value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| one(v, file, &format!("element {i}")))
            .collect(),
        v => Ok(vec![one(v, file, "the document")?]),
    }
}

fn one(v: &Value, file: &str, what: &str) -> Result<Advisory, ParseError> {
    let unknown = || ParseError::Unknown {
        file: file.to_owned(),
        what: what.to_owned(),
    };
    let obj = v.as_object().ok_or_else(unknown)?;
    if obj
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| n.starts_with("AVG-"))
        && obj.contains_key("packages")
    {
        return Ok(arch_tracker(v));
    }
    if obj.get("id").and_then(Value::as_str).is_some()
        && (obj.contains_key("affected") || obj.contains_key("schema_version"))
    {
        return Ok(osv(v));
    }
    Err(unknown())
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// An AVG group: every listed package is affected below `fixed` (or, with
/// no fix yet, at every version).
fn arch_tracker(v: &Value) -> Advisory {
    let id = text(v, "name").unwrap_or_default();
    let mut problems = Vec::new();
    let fixed = text(v, "fixed");
    let affected_version = text(v, "affected");
    let range = Range {
        introduced: None,
        fixed: fixed.clone(),
        last_affected: None,
    };
    if fixed.is_none() && affected_version.is_none() {
        problems.push("no affected and no fixed version: every version taken as affected".into());
    }
    let packages = strings(v, "packages");
    if packages.is_empty() {
        problems.push("no packages listed".into());
    }
    let affected = packages
        .into_iter()
        .map(|name| Affected {
            ecosystem: "Arch Linux".into(),
            origin: origin_of_ecosystem("Arch Linux"),
            name,
            ranges: vec![range.clone()],
            versions: Vec::new(),
        })
        .collect();
    Advisory {
        summary: text(v, "type").map(|t| format!("{t} in {}", strings(v, "packages").join(", "))),
        aliases: strings(v, "issues"),
        severity: text(v, "severity"),
        status: text(v, "status"),
        id,
        format: Format::ArchTracker,
        affected,
        problems,
    }
}

fn osv(v: &Value) -> Advisory {
    let id = text(v, "id").unwrap_or_default();
    let mut problems = Vec::new();
    let mut affected = Vec::new();
    let entries = v
        .get("affected")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if entries.is_empty() {
        problems.push("no affected packages".into());
    }
    for (i, a) in entries.iter().enumerate() {
        let package = a.get("package").cloned().unwrap_or(Value::Null);
        let (Some(ecosystem), Some(name)) = (text(&package, "ecosystem"), text(&package, "name"))
        else {
            problems.push(format!("affected[{i}]: no package ecosystem and name"));
            continue;
        };
        let origin = origin_of_ecosystem(&ecosystem);
        if origin.is_none() {
            problems.push(format!(
                "affected[{i}]: ecosystem {ecosystem:?} is not one Kiln builds (kept, matched by name across origins only through the comparison)"
            ));
        }
        let mut ranges = Vec::new();
        for (j, r) in a
            .get("ranges")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let kind = text(r, "type").unwrap_or_default();
            if kind == "GIT" {
                problems.push(format!(
                    "affected[{i}].ranges[{j}]: a GIT range names commits, not versions: kept, not judged"
                ));
                continue;
            }
            if kind != "ECOSYSTEM" && kind != "SEMVER" {
                problems.push(format!(
                    "affected[{i}].ranges[{j}]: unknown range type {kind:?}: kept, not judged"
                ));
                continue;
            }
            ranges.extend(events(
                r,
                &format!("affected[{i}].ranges[{j}]"),
                &mut problems,
            ));
        }
        let versions = strings(a, "versions");
        if ranges.is_empty() && versions.is_empty() {
            problems.push(format!(
                "affected[{i}] ({name}): no usable range or version: every version taken as affected"
            ));
            ranges.push(Range::default());
        }
        affected.push(Affected {
            ecosystem,
            origin,
            name,
            ranges,
            versions,
        });
    }
    let severity = v
        .get("severity")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|s| text(s, "score"))
        .or_else(|| v.get("database_specific").and_then(|d| text(d, "severity")));
    Advisory {
        summary: text(v, "summary").or_else(|| text(v, "details")),
        aliases: strings(v, "aliases"),
        severity,
        status: None,
        id,
        format: Format::Osv,
        affected,
        problems,
    }
}

/// Turns OSV events (introduced, fixed, last_affected, limit, in order)
/// into ranges; an event list that does not start with `introduced` is
/// malformed and reported.
fn events(r: &Value, at: &str, problems: &mut Vec<String>) -> Vec<Range> {
    let mut out = Vec::new();
    let mut open: Option<Range> = None;
    let list = r
        .get("events")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        problems.push(format!("{at}: no events"));
    }
    for (k, e) in list.iter().enumerate() {
        if let Some(i) = text(e, "introduced") {
            if let Some(prev) = open.take() {
                out.push(prev);
            }
            open = Some(Range {
                introduced: Some(i),
                ..Range::default()
            });
        } else if let Some(f) = text(e, "fixed") {
            match open.take() {
                Some(mut range) => {
                    range.fixed = Some(f);
                    out.push(range);
                }
                None => {
                    problems.push(format!(
                        "{at}.events[{k}]: fixed {f:?} with no introduced before it: kept as a range from the start"
                    ));
                    out.push(Range {
                        fixed: Some(f),
                        ..Range::default()
                    });
                }
            }
        } else if let Some(l) = text(e, "last_affected") {
            match open.take() {
                Some(mut range) => {
                    range.last_affected = Some(l);
                    out.push(range);
                }
                None => problems.push(format!(
                    "{at}.events[{k}]: last_affected {l:?} with no introduced before it"
                )),
            }
        } else if text(e, "limit").is_some() {
            // A limit bounds the search for commits; it does not end a range.
        } else {
            problems.push(format!("{at}.events[{k}]: unknown event {e}"));
        }
    }
    if let Some(range) = open {
        out.push(range);
    }
    out
}
