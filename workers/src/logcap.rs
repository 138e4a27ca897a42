//! A build log kept within a size cap, and split into lines as it arrives.
//!
//! The start of a log says what was built and how; the end says why it
//! failed. So when a log outgrows its cap, [`LogCapture`] keeps the first and
//! the last half of the cap and replaces the middle with one marker line.

use std::collections::VecDeque;

/// Longest line handed to the live log; longer lines are split.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// Collects a log under a cap and cuts it into lines.
#[derive(Debug)]
pub struct LogCapture {
    head_cap: usize,
    tail_cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
    partial: Vec<u8>,
}

impl LogCapture {
    /// A capture keeping at most `cap` bytes (plus the marker line).
    pub fn new(cap: usize) -> Self {
        let head_cap = cap / 2;
        LogCapture {
            head_cap,
            tail_cap: cap - head_cap,
            head: Vec::new(),
            tail: VecDeque::new(),
            total: 0,
            partial: Vec::new(),
        }
    }

    /// Adds a chunk of output; returns the lines it completed, without their
    /// newline (invalid UTF-8 is replaced).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.store(chunk);
        let mut lines = Vec::new();
        for &byte in chunk {
            if byte == b'\n' {
                lines.push(take_line(&mut self.partial));
            } else {
                self.partial.push(byte);
                if self.partial.len() >= MAX_LINE_BYTES {
                    lines.push(take_line(&mut self.partial));
                }
            }
        }
        lines
    }

    /// Ends the capture: the last unterminated line (if any), the capped log
    /// and whether bytes were dropped.
    pub fn finish(mut self) -> (Option<String>, Vec<u8>, bool) {
        let last = (!self.partial.is_empty()).then(|| take_line(&mut self.partial));
        let kept = (self.head.len() + self.tail.len()) as u64;
        let omitted = self.total - kept;
        let mut log = self.head;
        if omitted > 0 {
            if !log.ends_with(b"\n") {
                log.push(b'\n');
            }
            log.extend_from_slice(format!("[kiln: {omitted} bytes of log omitted]\n").as_bytes());
        }
        log.extend(self.tail);
        (last, log, omitted > 0)
    }

    /// Bytes seen so far, kept or not.
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    fn store(&mut self, mut chunk: &[u8]) {
        self.total += chunk.len() as u64;
        let room = self.head_cap - self.head.len();
        if room > 0 {
            let n = room.min(chunk.len());
            self.head.extend_from_slice(&chunk[..n]);
            chunk = &chunk[n..];
        }
        if self.tail_cap == 0 {
            return;
        }
        if chunk.len() >= self.tail_cap {
            self.tail.clear();
            self.tail.extend(&chunk[chunk.len() - self.tail_cap..]);
            return;
        }
        let overflow = (self.tail.len() + chunk.len()).saturating_sub(self.tail_cap);
        self.tail.drain(..overflow);
        self.tail.extend(chunk);
    }
}

fn take_line(buf: &mut Vec<u8>) -> String {
    let line = String::from_utf8_lossy(buf).into_owned();
    buf.clear();
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_log_is_kept_whole_and_split_into_lines() {
        let mut cap = LogCapture::new(1024);
        assert_eq!(cap.push(b"one\ntw"), vec!["one"]);
        assert_eq!(cap.push(b"o\nthree"), vec!["two"]);
        let (last, log, truncated) = cap.finish();
        assert_eq!(last.as_deref(), Some("three"));
        assert_eq!(log, b"one\ntwo\nthree");
        assert!(!truncated);
    }

    #[test]
    fn long_log_keeps_head_and_tail_with_marker() {
        let mut cap = LogCapture::new(20);
        for i in 0..100 {
            cap.push(format!("line {i:03}\n").as_bytes());
        }
        assert_eq!(cap.total_bytes(), 900);
        let (last, log, truncated) = cap.finish();
        assert!(last.is_none());
        assert!(truncated);
        let text = String::from_utf8(log).unwrap();
        assert!(text.starts_with("line 000\nl"), "{text}");
        assert!(text.ends_with("]\n\nline 099\n"), "{text}");
        assert!(text.contains("[kiln: 880 bytes of log omitted]"), "{text}");
    }

    #[test]
    fn chunk_larger_than_tail_keeps_its_end() {
        let mut cap = LogCapture::new(4);
        cap.push(b"abcdefghij");
        let (_, log, truncated) = cap.finish();
        assert!(truncated);
        assert_eq!(log, b"ab\n[kiln: 6 bytes of log omitted]\nij");
    }

    #[test]
    fn overlong_line_is_split() {
        let mut cap = LogCapture::new(1 << 20);
        let lines = cap.push(&vec![b'x'; MAX_LINE_BYTES * 2 + 5]);
        assert_eq!(lines.len(), 2);
        assert_eq!(cap.finish().0.map(|l| l.len()), Some(5));
    }
}
