//! Reading build logs from disk without loading them whole: the last lines
//! (seeking from the end), the lines before an offset (for "load earlier"),
//! a window around a line number (for permalinks), what was appended since
//! an offset (for live following), and a search through the file. A log
//! can be 100 MB: a finished log is numbered through its line index
//! ([`LineIndex`]), reading one block; only a running one is counted
//! through, in blocks.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use kiln_farm::log_index::LineIndex;

/// Block size for reading backwards and counting lines.
const BLOCK: usize = 256 * 1024;

/// Longest line kept for display, in bytes (the rest is cut with a mark).
pub const MAX_LINE_LEN: usize = 16 * 1024;

/// A run of whole lines of a log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Chunk {
    /// Byte offset of the first line.
    pub start: u64,
    /// Byte offset just past the last line.
    pub end: u64,
    /// Line number (1-based) of the first line.
    pub first_line: u64,
    /// The lines, without newlines (cut at [`MAX_LINE_LEN`]).
    pub lines: Vec<String>,
    /// The file's size when read.
    pub size: u64,
}

fn to_line(bytes: &[u8]) -> String {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.len() > MAX_LINE_LEN {
        let mut s = String::from_utf8_lossy(&bytes[..MAX_LINE_LEN]).into_owned();
        s.push_str(" […line cut]");
        s
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// How lines before an offset are counted.
enum Numbering {
    /// The log is final: use its line index, making it if missing.
    Final,
    /// The log may still grow: use a saved index only if it fits.
    Growing,
}

/// Lines before byte `upto` of the log at `path` (open as `file`, of
/// `size` bytes): through the line index when there is one for this size.
fn lines_before(
    path: &Path,
    file: &mut File,
    size: u64,
    upto: u64,
    numbering: Numbering,
) -> io::Result<u64> {
    let index = match numbering {
        Numbering::Final => Some(LineIndex::load_or_make(path, size)?),
        Numbering::Growing => LineIndex::load(path, size),
    };
    match index {
        Some(index) => index.lines_before(file, upto),
        None => count_lines(file, upto),
    }
}

/// Lines counted in the first `upto` bytes of `file` (newlines seen).
fn count_lines(file: &mut File, upto: u64) -> io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut left = upto;
    let mut buf = vec![0u8; BLOCK * 4];
    let mut lines = 0u64;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        left -= n as u64;
    }
    Ok(lines)
}

/// Finds where the `max_lines` lines ending at `end` start, reading
/// backwards in blocks; `end` should be a line boundary.
fn start_of_last_lines(file: &mut File, end: u64, max_lines: usize) -> io::Result<u64> {
    let mut pos = end;
    let mut newlines = 0usize;
    let mut buf = vec![0u8; BLOCK];
    // The newline ending the last line does not start a line.
    let mut skip_last = true;
    while pos > 0 {
        let n = usize::try_from(pos.min(BLOCK as u64)).unwrap_or(BLOCK);
        pos -= n as u64;
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut buf[..n])?;
        for i in (0..n).rev() {
            if buf[i] != b'\n' {
                continue;
            }
            if skip_last && pos + i as u64 + 1 == end {
                skip_last = false;
                continue;
            }
            newlines += 1;
            if newlines == max_lines {
                return Ok(pos + i as u64 + 1);
            }
        }
        skip_last = false;
    }
    Ok(0)
}

fn read_range(file: &mut File, start: u64, end: u64) -> io::Result<Vec<String>> {
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity(usize::try_from(end - start).unwrap_or(0));
    file.take(end - start).read_to_end(&mut bytes)?;
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    if body.is_empty() && bytes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(body.split(|b| *b == b'\n').map(to_line).collect())
}

/// Where the last whole line ends at or before `size` (a running build's
/// last line may still be half-written); `complete` false takes all.
fn line_end(file: &mut File, size: u64, complete: bool) -> io::Result<u64> {
    if !complete || size == 0 {
        return Ok(size);
    }
    let mut pos = size;
    let mut buf = vec![0u8; BLOCK];
    while pos > 0 {
        let n = usize::try_from(pos.min(BLOCK as u64)).unwrap_or(BLOCK);
        pos -= n as u64;
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|b| *b == b'\n') {
            return Ok(pos + i as u64 + 1);
        }
    }
    Ok(0)
}

/// The last `max_lines` lines of the log at `path`. With `complete` (the
/// build is running), a last line without its newline yet is left for
/// later; without it the log is final and gets a line index if it has none.
pub fn tail(path: &Path, max_lines: usize, complete: bool) -> io::Result<Chunk> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let end = line_end(&mut file, size, complete)?;
    let numbering = if complete {
        Numbering::Growing
    } else {
        Numbering::Final
    };
    chunk_before(path, &mut file, size, end, max_lines, numbering)
}

/// The `max_lines` lines ending at byte `end` (clamped to a line boundary
/// at or before it).
pub fn read_before(path: &Path, end: u64, max_lines: usize) -> io::Result<Chunk> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let end = line_end(&mut file, end.min(size), true)?;
    chunk_before(path, &mut file, size, end, max_lines, Numbering::Growing)
}

fn chunk_before(
    path: &Path,
    file: &mut File,
    size: u64,
    end: u64,
    max_lines: usize,
    numbering: Numbering,
) -> io::Result<Chunk> {
    let start = start_of_last_lines(file, end, max_lines.max(1))?;
    let lines = read_range(file, start, end)?;
    let first_line = lines_before(path, file, size, start, numbering)? + 1;
    Ok(Chunk {
        start,
        end,
        first_line,
        lines,
        size,
    })
}

/// Up to `context` lines either side of line `line_no` (from the nearest
/// block boundary before them when the log has a line index).
pub fn read_around(path: &Path, line_no: u64, context: usize) -> io::Result<Chunk> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let first = line_no.saturating_sub(context as u64).max(1);
    let last = line_no + context as u64;
    let (mut offset, mut n) = LineIndex::load(path, size).map_or((0, 0), |i| i.seek_line(first));
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::with_capacity(BLOCK, file);
    let mut start = 0u64;
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let read = reader.read_until(b'\n', &mut buf)?;
        if read == 0 {
            break;
        }
        n += 1;
        if n == first {
            start = offset;
        }
        offset += read as u64;
        if n >= first {
            lines.push(to_line(buf.strip_suffix(b"\n").unwrap_or(&buf)));
        }
        if n >= last {
            break;
        }
    }
    Ok(Chunk {
        start,
        end: offset,
        first_line: first,
        lines,
        size,
    })
}

/// The whole lines appended at or after byte `offset`, at most `max_bytes`
/// of them; with `complete` false a last unterminated line is included (the
/// build is over). `None` when the file shrank below `offset` (replaced by
/// its capped version).
pub fn read_from(
    path: &Path,
    offset: u64,
    max_bytes: u64,
    complete: bool,
) -> io::Result<Option<(Vec<String>, u64)>> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    if size < offset {
        return Ok(None);
    }
    let limit = size.min(offset + max_bytes);
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    (&mut file).take(limit - offset).read_to_end(&mut bytes)?;
    let whole = if !complete && limit == size {
        bytes.len()
    } else {
        bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
    };
    let taken = &bytes[..whole];
    let body = taken.strip_suffix(b"\n").unwrap_or(taken);
    let lines = if taken.is_empty() {
        Vec::new()
    } else {
        body.split(|b| *b == b'\n').map(to_line).collect()
    };
    Ok(Some((lines, offset + whole as u64)))
}

/// Lines containing `needle` (case-insensitive, escape sequences ignored),
/// at most `limit`, as `(line number, line)`.
pub fn search(path: &Path, needle: &str, limit: usize) -> io::Result<Vec<(u64, String)>> {
    let needle = needle.to_lowercase();
    let mut out = Vec::new();
    if needle.is_empty() {
        return Ok(out);
    }
    let mut reader = BufReader::with_capacity(BLOCK, File::open(path)?);
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        n += 1;
        let line = to_line(buf.strip_suffix(b"\n").unwrap_or(&buf));
        if crate::ansi::strip_ansi(&line)
            .to_lowercase()
            .contains(&needle)
        {
            out.push((n, line));
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Every line of the log, for the search index.
pub fn lines(path: &Path) -> io::Result<impl Iterator<Item = io::Result<String>>> {
    let reader = BufReader::with_capacity(BLOCK, File::open(path)?);
    Ok(reader
        .split(b'\n')
        .map(|l| l.map(|b| crate::ansi::strip_ansi(&to_line(&b)))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn log(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn tail_numbers_lines_from_the_start() {
        let text: String = (1..=10).map(|i| format!("line {i}\n")).collect();
        let f = log(&text);
        let c = tail(f.path(), 3, true).unwrap();
        assert_eq!(c.lines, ["line 8", "line 9", "line 10"]);
        assert_eq!(c.first_line, 8);
        assert_eq!(c.end, text.len() as u64);
        let before = read_before(f.path(), c.start, 2).unwrap();
        assert_eq!(before.lines, ["line 6", "line 7"]);
        assert_eq!(before.first_line, 6);
        assert_eq!(before.end, c.start);
    }

    #[test]
    fn tail_of_short_and_empty_logs() {
        let f = log("only\n");
        let c = tail(f.path(), 100, true).unwrap();
        assert_eq!(
            (c.lines.clone(), c.first_line, c.start),
            (vec!["only".to_owned()], 1, 0)
        );
        let e = log("");
        assert!(tail(e.path(), 100, true).unwrap().lines.is_empty());
    }

    #[test]
    fn half_written_line_waits_while_running() {
        let f = log("a\nb\npart");
        let c = tail(f.path(), 10, true).unwrap();
        assert_eq!(c.lines, ["a", "b"]);
        let (more, next) = read_from(f.path(), c.end, 1 << 20, true).unwrap().unwrap();
        assert!(more.is_empty());
        assert_eq!(next, c.end);
        let (rest, end) = read_from(f.path(), c.end, 1 << 20, false).unwrap().unwrap();
        assert_eq!(rest, ["part"]);
        assert_eq!(end, 8);
        assert!(read_from(f.path(), 100, 10, true).unwrap().is_none());
    }

    #[test]
    fn around_and_search() {
        let text: String = (1..=50).map(|i| format!("line {i}\n")).collect();
        let f = log(&text);
        let c = read_around(f.path(), 20, 2).unwrap();
        assert_eq!(c.first_line, 18);
        assert_eq!(
            c.lines,
            ["line 18", "line 19", "line 20", "line 21", "line 22"]
        );
        let hits = search(f.path(), "LINE 4", 100).unwrap();
        assert_eq!(hits.first().map(|h| h.0), Some(4));
        assert_eq!(hits.len(), 11);
    }

    #[test]
    fn finished_log_is_numbered_through_its_line_index() {
        // Long enough for several index blocks, with lines that straddle them.
        let text: String = (1..=150_000)
            .map(|i| format!("line {i} {}\n", "y".repeat(i % 40)))
            .collect();
        assert!(text.len() as u64 > 3 * kiln_farm::log_index::BLOCK);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1.log");
        std::fs::write(&path, &text).unwrap();
        let index_path = LineIndex::path_for(&path);

        let running = tail(&path, 3, true).unwrap();
        assert_eq!(running.first_line, 149_998);
        assert!(!index_path.exists(), "a growing log gets no index");

        let done = tail(&path, 3, false).unwrap();
        assert_eq!(done.first_line, 149_998);
        assert!(done.lines[0].starts_with("line 149998 "));
        assert!(index_path.exists(), "a finished log is indexed");
        let earlier = read_before(&path, done.start, 2).unwrap();
        assert_eq!(earlier.first_line, 149_996);

        for line in [1u64, 40_000, 99_999, 150_000] {
            let c = read_around(&path, line, 1).unwrap();
            let want = line.saturating_sub(1).max(1);
            assert_eq!(c.first_line, want, "{line}");
            assert!(
                c.lines[0].starts_with(&format!("line {want} ")),
                "{line}: {:?}",
                c.lines
            );
            assert!(text[c.start as usize..].starts_with(&c.lines[0]), "{line}");
        }
    }
}
