//! ANSI escape sequences in build logs: SGR colours and weights become
//! `<span class=...>` (the text itself escaped by maud), every other
//! escape sequence is dropped. Pure functions over one line.

use maud::{html, Markup};

/// The style in effect at a point of a line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Style {
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    /// 0..=15
    fg: Option<u8>,
    /// 0..=15
    bg: Option<u8>,
}

impl Style {
    fn classes(&self) -> String {
        let mut c = Vec::new();
        if self.bold {
            c.push("a-b".to_owned());
        }
        if self.dim {
            c.push("a-d".to_owned());
        }
        if self.italic {
            c.push("a-i".to_owned());
        }
        if self.underline {
            c.push("a-u".to_owned());
        }
        if let Some(f) = self.fg {
            c.push(format!("a-f{f}"));
        }
        if let Some(b) = self.bg {
            c.push(format!("a-g{b}"));
        }
        c.join(" ")
    }

    fn apply(&mut self, params: &str) {
        let mut codes = params.split(';').map(|p| {
            if p.is_empty() {
                0
            } else {
                p.parse::<u32>().unwrap_or(u32::MAX)
            }
        });
        while let Some(code) = codes.next() {
            match code {
                0 => *self = Style::default(),
                1 => self.bold = true,
                2 => self.dim = true,
                3 => self.italic = true,
                4 => self.underline = true,
                22 => {
                    self.bold = false;
                    self.dim = false;
                }
                23 => self.italic = false,
                24 => self.underline = false,
                30..=37 => self.fg = Some((code - 30) as u8),
                39 => self.fg = None,
                40..=47 => self.bg = Some((code - 40) as u8),
                49 => self.bg = None,
                90..=97 => self.fg = Some((code - 90 + 8) as u8),
                100..=107 => self.bg = Some((code - 100 + 8) as u8),
                38 | 48 => {
                    // 256 colours (5;n) and true colour (2;r;g;b): the first
                    // 16 of 256 map directly, the rest are dropped.
                    let colour = match codes.next() {
                        Some(5) => codes.next().and_then(|n| u8::try_from(n).ok()),
                        Some(2) => {
                            codes.next();
                            codes.next();
                            codes.next();
                            None
                        }
                        _ => None,
                    }
                    .filter(|n| *n < 16);
                    if code == 38 {
                        self.fg = colour;
                    } else {
                        self.bg = colour;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Splits `line` into styled runs of text.
fn runs(line: &str) -> Vec<(Style, &str)> {
    let mut out = Vec::new();
    let mut style = Style::default();
    let bytes = line.as_bytes();
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != 0x1b {
            i += 1;
            continue;
        }
        if text_start < i {
            out.push((style, &line[text_start..i]));
        }
        // ESC [ params final  |  ESC ] ... BEL/ST  |  ESC x
        let mut j = i + 1;
        match bytes.get(j) {
            Some(b'[') => {
                j += 1;
                let params_start = j;
                while j < bytes.len() && (0x30..=0x3f).contains(&bytes[j]) {
                    j += 1;
                }
                while j < bytes.len() && (0x20..=0x2f).contains(&bytes[j]) {
                    j += 1;
                }
                // A final byte outside ASCII is not one: leave it as text
                // (and never cut a character in two).
                if j < bytes.len() && bytes[j].is_ascii() {
                    if bytes[j] == b'm' {
                        style.apply(&line[params_start..j]);
                    }
                    j += 1;
                }
            }
            Some(b']') => {
                while j < bytes.len() && bytes[j] != 0x07 {
                    if bytes[j] == 0x1b && bytes.get(j + 1) == Some(&b'\\') {
                        j += 1;
                        break;
                    }
                    j += 1;
                }
                j = (j + 1).min(bytes.len());
            }
            Some(_) => {
                // ESC, intermediate bytes, one final byte (`ESC ( B`).
                while j < bytes.len() && (0x20..=0x2f).contains(&bytes[j]) {
                    j += 1;
                }
                if j < bytes.len() && bytes[j].is_ascii() {
                    j += 1;
                }
            }
            None => {}
        }
        i = j;
        text_start = j;
    }
    if text_start < bytes.len() {
        out.push((style, &line[text_start..]));
    }
    out
}

/// `line` without escape sequences.
pub fn strip_ansi(line: &str) -> String {
    runs(line).into_iter().map(|(_, t)| t).collect()
}

/// `line` as HTML: text escaped, styled runs in `<span class="a-...">`.
pub fn render_ansi(line: &str) -> Markup {
    html! {
        @for (style, text) in runs(line) {
            @if style == Style::default() {
                (text)
            } @else {
                span class=(style.classes()) { (text) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makepkg_stage_line_is_coloured_and_stripped() {
        let line = "\x1b[1m\x1b[32m==>\x1b[m\x1b[1m Making package: zlib\x1b[m";
        assert_eq!(strip_ansi(line), "==> Making package: zlib");
        let html = render_ansi(line).into_string();
        assert_eq!(
            html,
            "<span class=\"a-b a-f2\">==&gt;</span><span class=\"a-b\"> Making package: zlib</span>"
        );
    }

    #[test]
    fn hostile_text_is_escaped_inside_spans() {
        let html = render_ansi("\x1b[31m<script>alert(1)</script>").into_string();
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn other_sequences_are_dropped() {
        assert_eq!(strip_ansi("a\x1b[2Kb\x1b]0;title\x07c\x1b(Bd"), "abcd");
        assert_eq!(strip_ansi("cut\x1b["), "cut");
        // Never panics on a character boundary.
        assert_eq!(strip_ansi("\x1b[1é\x1bé\x1b(é"), "ééé");
    }

    #[test]
    fn bright_and_256_colours() {
        let html = render_ansi("\x1b[91mx\x1b[38;5;4my\x1b[38;5;200mz").into_string();
        assert!(html.contains("a-f9\">x"), "{html}");
        assert!(html.contains("a-f4\">y"), "{html}");
        assert!(html.ends_with("z"), "{html}");
    }
}
