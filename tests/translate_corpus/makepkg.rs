//! `makepkg --printsrcinfo` on many PKGBUILDs, a few runs at a time, through
//! the shared runner (`kiln_testsupport::makepkg`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use kiln_testsupport::makepkg::Makepkg;

/// Longest one makepkg run may take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What one run gave: the `.SRCINFO` it printed, or why it failed.
pub type Outcome = Result<String, String>;

/// `makepkg --printsrcinfo` in each directory (each holding a PKGBUILD and
/// handed over to makepkg's user), `jobs` at a time; outcomes in the order
/// of `dirs`.
pub fn printsrcinfo_all(makepkg: &Makepkg, dirs: &[PathBuf], jobs: usize) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; dirs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(dir) = dirs.get(i) else { break };
                let outcome = makepkg.printsrcinfo(dir, dir, TIMEOUT).map(|(out, _)| out);
                results.lock().unwrap()[i] = Some(outcome);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|o| o.expect("every directory was run"))
        .collect()
}
