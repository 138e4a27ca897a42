//! A line index of a finished build log: how many lines come before each
//! mebibyte of the file, kept beside the log as `N.log.lines`. With it, the
//! dashboard numbers the last lines of a 100 MB log, or finds line 900,000
//! for a permalink, by reading one block instead of the whole file.
//!
//! The index is written when a build ends (the log is final then) and made
//! by the dashboard for a finished log that lacks one. It records the size
//! of the log it describes and is ignored when the log's size differs.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes per indexed block.
pub const BLOCK: u64 = 1 << 20;

/// First bytes of an index file: a name and a format version.
const MAGIC: &[u8; 8] = b"KILNLIX1";

/// Newline counts at every [`BLOCK`] boundary of one log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// Size of the log the index describes.
    size: u64,
    /// `counts[i]`: newlines in the first `(i + 1) * BLOCK` bytes.
    counts: Vec<u64>,
}

fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

impl LineIndex {
    /// The index of a log held in memory.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        let mut counts = Vec::with_capacity(bytes.len() / BLOCK as usize);
        let mut total = 0;
        for block in bytes.chunks_exact(BLOCK as usize) {
            total += newlines(block);
            counts.push(total);
        }
        LineIndex {
            size: bytes.len() as u64,
            counts,
        }
    }

    /// The index of the log at `path`, read through once in blocks.
    pub fn of_file(path: &Path) -> io::Result<Self> {
        let mut file = File::open(path)?;
        let size = file.metadata()?.len();
        let mut buf = vec![0u8; BLOCK as usize];
        let mut counts = Vec::new();
        let mut total = 0;
        for _ in 0..size / BLOCK {
            file.read_exact(&mut buf)?;
            total += newlines(&buf);
            counts.push(total);
        }
        Ok(LineIndex { size, counts })
    }

    /// Where the index of the log at `log` is kept.
    pub fn path_for(log: &Path) -> PathBuf {
        let mut name = log.as_os_str().to_owned();
        name.push(".lines");
        PathBuf::from(name)
    }

    /// Writes the index beside the log at `log` (through a temporary file
    /// renamed into place, so a reader never sees half of it).
    pub fn save(&self, log: &Path) -> io::Result<()> {
        let path = Self::path_for(log);
        let tmp = path.with_extension("lines.tmp");
        let mut bytes = Vec::with_capacity(16 + 8 * self.counts.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&self.size.to_le_bytes());
        for c in &self.counts {
            bytes.extend_from_slice(&c.to_le_bytes());
        }
        let mut f = File::create(&tmp)?;
        f.write_all(&bytes)?;
        drop(f);
        std::fs::rename(&tmp, &path)
    }

    /// The saved index of the log at `log`, if there is one that describes
    /// a log of `size` bytes (a log that grew or was replaced since is not
    /// described by it).
    pub fn load(log: &Path, size: u64) -> Option<Self> {
        let bytes = std::fs::read(Self::path_for(log)).ok()?;
        let body = bytes.strip_prefix(MAGIC)?;
        if body.len() < 8 || body.len() % 8 != 0 {
            return None;
        }
        let mut words = body
            .chunks_exact(8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()));
        let indexed = words.next()?;
        let counts: Vec<u64> = words.collect();
        if indexed != size || counts.len() as u64 != size / BLOCK {
            return None;
        }
        Some(LineIndex {
            size: indexed,
            counts,
        })
    }

    /// The saved index of a finished log, made and saved first if missing
    /// or stale (saving is best effort: a read-only log directory only
    /// costs the next reader the same work).
    pub fn load_or_make(log: &Path, size: u64) -> io::Result<Self> {
        if let Some(index) = Self::load(log, size) {
            return Ok(index);
        }
        let index = Self::of_file(log)?;
        if let Err(e) = index.save(log) {
            tracing::debug!(log = %log.display(), error = %e, "could not save a log's line index");
        }
        Ok(index)
    }

    /// Newlines in the first `offset` bytes of `file` (the log indexed),
    /// reading at most one block.
    pub fn lines_before(&self, file: &mut File, offset: u64) -> io::Result<u64> {
        let offset = offset.min(self.size);
        let whole = usize::try_from(offset / BLOCK).unwrap_or(usize::MAX);
        let (base, from) = match whole.checked_sub(1).and_then(|i| self.counts.get(i)) {
            Some(&c) => (c, whole as u64 * BLOCK),
            None => (0, 0),
        };
        let mut rest = Vec::with_capacity(usize::try_from(offset - from).unwrap_or(0));
        file.seek(SeekFrom::Start(from))?;
        file.take(offset - from).read_to_end(&mut rest)?;
        Ok(base + newlines(&rest))
    }

    /// A block boundary at or before the start of line `line` (1-based) and
    /// the number of lines before that boundary: where to begin reading to
    /// find the line.
    pub fn seek_line(&self, line: u64) -> (u64, u64) {
        let before = line.saturating_sub(1);
        // The last block boundary with fewer than `before` newlines before
        // it, so the line starts at or after it.
        let i = self.counts.partition_point(|&c| c < before);
        match i.checked_sub(1) {
            Some(j) => ((j as u64 + 1) * BLOCK, self.counts[j]),
            None => (0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of_lines(n: usize) -> Vec<u8> {
        let mut s = Vec::new();
        for i in 1..=n {
            s.extend_from_slice(format!("line {i} {}\n", "x".repeat(i % 300)).as_bytes());
        }
        s
    }

    #[test]
    fn counts_before_any_offset_agree_with_counting_everything() {
        let bytes = log_of_lines(40_000);
        assert!(bytes.len() as u64 > 3 * BLOCK, "spans several blocks");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("7.log");
        std::fs::write(&log, &bytes).unwrap();
        let index = LineIndex::of_file(&log).unwrap();
        assert_eq!(index, LineIndex::of_bytes(&bytes));
        let mut f = File::open(&log).unwrap();
        for offset in [
            0,
            1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 17,
            3 * BLOCK,
            bytes.len() as u64,
        ] {
            let want = newlines(&bytes[..offset as usize]);
            assert_eq!(
                index.lines_before(&mut f, offset).unwrap(),
                want,
                "{offset}"
            );
        }
    }

    #[test]
    fn saved_index_is_used_only_for_a_log_of_its_size() {
        let bytes = log_of_lines(30_000);
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("8.log");
        std::fs::write(&log, &bytes).unwrap();
        let size = bytes.len() as u64;
        assert!(LineIndex::load(&log, size).is_none(), "none saved yet");
        let made = LineIndex::load_or_make(&log, size).unwrap();
        assert_eq!(LineIndex::load(&log, size), Some(made));
        assert!(LineIndex::load(&log, size + 1).is_none(), "the log grew");
        std::fs::write(LineIndex::path_for(&log), b"KILNLIX1 garbage").unwrap();
        assert!(
            LineIndex::load(&log, size).is_none(),
            "a damaged index is ignored"
        );
    }

    #[test]
    fn seek_line_starts_at_or_before_the_line() {
        let bytes = log_of_lines(40_000);
        let index = LineIndex::of_bytes(&bytes);
        for line in [1u64, 2, 9_000, 20_000, 39_999, 40_000] {
            let (offset, before) = index.seek_line(line);
            assert_eq!(newlines(&bytes[..offset as usize]), before);
            // Line `line` starts after `line - 1` newlines: at or after `offset`.
            assert!(before < line, "{line}: {before}");
            let start = if line == 1 {
                0
            } else {
                memchr::memchr_iter(b'\n', &bytes)
                    .nth(line as usize - 2)
                    .unwrap()
                    + 1
            };
            assert!(offset as usize <= start, "{line}");
        }
    }
}
