//! A progress bar on a terminal (items, rate, ETA) for long imports; nothing
//! when stderr is not a terminal or `--json` asks for quiet output.

use std::io::IsTerminal as _;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use kiln_farm::import::Progress;

/// Shows each phase of an import as a bar on stderr.
pub struct Bar {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bar {
    /// A bar when stderr is a terminal and `quiet` is false, else `None`.
    pub fn for_terminal(quiet: bool) -> Option<Self> {
        (!quiet && std::io::stderr().is_terminal()).then(|| Bar {
            bar: Mutex::new(None),
        })
    }
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{msg:20} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, ETA {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Progress for Bar {
    fn start(&self, phase: &str, total: u64) {
        let bar = ProgressBar::new(total).with_style(style());
        bar.set_message(phase.to_owned());
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(slot) = self.bar.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.inc(n);
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(bar) = slot.take() {
                bar.finish();
            }
        }
    }
}
