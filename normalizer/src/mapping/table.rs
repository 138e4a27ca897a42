//! Reading the tab-separated mapping tables: comments, blank lines, a fixed
//! number of columns and an optional direction, with errors naming the
//! table file and line.

use super::MappingError;

/// Which way a table line may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Arch -> Guix and Guix -> Arch.
    Both,
    /// Only Arch -> Guix.
    ToGuix,
    /// Only Guix -> Arch.
    ToArch,
}

impl Direction {
    pub(crate) fn to_guix(self) -> bool {
        matches!(self, Direction::Both | Direction::ToGuix)
    }

    pub(crate) fn to_arch(self) -> bool {
        matches!(self, Direction::Both | Direction::ToArch)
    }
}

/// One data line: its columns and direction.
pub(crate) struct Row<'a> {
    pub(crate) line: u32,
    pub(crate) columns: Vec<&'a str>,
    pub(crate) direction: Direction,
}

/// Splits `text` (the table `file`) into rows of `min..=columns` columns
/// (missing trailing ones read as empty) plus an optional direction column
/// (`both`, `to-guix`, `to-arch`) after at least `min` columns.
pub(crate) fn rows<'a>(
    text: &'a str,
    file: &str,
    min: usize,
    columns: usize,
) -> Result<Vec<Row<'a>>, MappingError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        let err = |message: String| MappingError {
            file: file.to_owned(),
            line,
            message,
        };
        let mut cols: Vec<&str> = raw.split('\t').collect();
        let mut direction = Direction::Both;
        if cols.len() > min {
            let last = cols[cols.len() - 1];
            let parsed = match last {
                "both" => Some(Direction::Both),
                "to-guix" => Some(Direction::ToGuix),
                "to-arch" => Some(Direction::ToArch),
                _ => None,
            };
            match parsed {
                Some(d) => {
                    direction = d;
                    cols.pop();
                }
                None if cols.len() > columns => {
                    return Err(err(format!(
                        "unknown direction {last:?} (expected both, to-guix or to-arch)"
                    )))
                }
                None => {}
            }
        }
        if cols.len() < min || cols.len() > columns {
            return Err(err(format!(
                "{} tab-separated columns where {min} to {columns} (and an optional direction) are expected",
                cols.len()
            )));
        }
        cols.resize(columns, "");
        if cols[0].trim().is_empty() {
            return Err(err("the first column is empty".into()));
        }
        if cols.iter().any(|c| c.trim() != *c) {
            return Err(err("a column has leading or trailing spaces".into()));
        }
        out.push(Row {
            line,
            columns: cols,
            direction,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_directions_and_reject_bad_lines() {
        let rows = rows("# c\n\na\tb\nc\td\tto-arch\n", "t.tsv", 2, 2).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[1].direction, Direction::ToArch);

        let e = super::rows("a\tb\tsideways\n", "t.tsv", 2, 2)
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "reading mapping table t.tsv: line 1: unknown direction \"sideways\" (expected both, to-guix or to-arch)");
        let e = super::rows("ok\tok\nonly-one\n", "t.tsv", 2, 2)
            .err()
            .unwrap();
        assert_eq!(e.line, 2);
    }
}
