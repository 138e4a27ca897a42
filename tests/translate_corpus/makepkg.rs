//! Running `makepkg --printsrcinfo` on many PKGBUILDs: as an unprivileged
//! user when the tests run as root (makepkg refuses root), with a clean
//! environment, a wall-clock limit per run, and a few runs at a time.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The unprivileged user makepkg runs as when the tests run as root.
const BUILD_USER: &str = "builder";
/// Longest one makepkg run may take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// How makepkg is started here: the command words before `makepkg`.
pub struct Makepkg {
    prefix: Vec<String>,
}

/// What one run gave: the `.SRCINFO` it printed, or why it failed.
pub type Outcome = Result<String, String>;

impl Makepkg {
    /// makepkg as it can be run here, or why it cannot.
    pub fn find() -> Result<Self, String> {
        let found = Command::new("makepkg")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !found.is_ok_and(|s| s.success()) {
            return Err("makepkg is not installed".into());
        }
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| format!("running id: {e}"))?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Ok(Self { prefix: Vec::new() });
        }
        let user = Command::new("id")
            .arg(BUILD_USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !user.is_ok_and(|s| s.success()) {
            return Err(format!(
                "running as root and user `{BUILD_USER}` does not exist (useradd -m {BUILD_USER})"
            ));
        }
        Ok(Self {
            prefix: ["runuser", "-u", BUILD_USER, "--"]
                .map(String::from)
                .to_vec(),
        })
    }

    /// Makes `dir` and everything below it the build user's.
    pub fn hand_over(&self, dir: &Path) {
        if self.prefix.is_empty() {
            return;
        }
        let status = Command::new("chown")
            .args(["-R", BUILD_USER])
            .arg(dir)
            .status()
            .unwrap();
        assert!(status.success(), "chown -R {BUILD_USER} {}", dir.display());
    }

    /// `makepkg --printsrcinfo` in each directory (each holding a PKGBUILD
    /// and handed over), `jobs` at a time; outcomes in the order of `dirs`.
    /// `progress` is called after each run with the number done.
    pub fn printsrcinfo_all(
        &self,
        dirs: &[PathBuf],
        jobs: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<Outcome> {
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; dirs.len()]);
        std::thread::scope(|scope| {
            for _ in 0..jobs.max(1) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(dir) = dirs.get(i) else { break };
                    let outcome = self.printsrcinfo(dir);
                    results.lock().unwrap()[i] = Some(outcome);
                    progress(done.fetch_add(1, Ordering::SeqCst) + 1);
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

    fn printsrcinfo(&self, dir: &Path) -> Outcome {
        let mut cmd = match self.prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg("makepkg");
                c
            }
            None => Command::new("makepkg"),
        };
        cmd.arg("--printsrcinfo")
            .current_dir(dir)
            .env_clear()
            .env("HOME", dir)
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd.spawn().map_err(|e| format!("starting makepkg: {e}"))?;
        // Read output on threads so a full pipe cannot stall the child.
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let out_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
            s
        });
        let err_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
            s
        });
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| format!("waiting: {e}"))? {
                break status;
            }
            if start.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let out = out_thread.join().unwrap_or_default();
        let err = err_thread.join().unwrap_or_default();
        if status.success() {
            Ok(out)
        } else {
            Err(format!("{status}: {}", err.trim()))
        }
    }
}
