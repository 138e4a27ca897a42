//! Running `makepkg --printsrcinfo`, the reference for the PKGBUILD
//! importer: as an unprivileged user when run as root (makepkg refuses
//! root), with a clean environment and a wall-clock limit per run.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The unprivileged user makepkg runs as when the caller is root.
pub const BUILD_USER: &str = "builder";

/// How makepkg is started here: the command words before `makepkg`.
#[derive(Debug, Clone)]
pub struct Makepkg {
    prefix: Vec<String>,
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Makepkg {
    /// makepkg as it can be run here, or why it cannot.
    pub fn find() -> Result<Self, String> {
        if !succeeds(Command::new("makepkg").arg("--version")) {
            return Err("makepkg is not installed".into());
        }
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| format!("running id: {e}"))?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Ok(Self { prefix: Vec::new() });
        }
        if !succeeds(Command::new("id").arg(BUILD_USER)) {
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

    /// The user makepkg runs as, when not the caller.
    pub fn user(&self) -> Option<&str> {
        (!self.prefix.is_empty()).then_some(BUILD_USER)
    }

    /// Makes `dir` and everything below it the user's makepkg runs as.
    pub fn hand_over(&self, dir: &Path) -> Result<(), String> {
        let Some(user) = self.user() else {
            return Ok(());
        };
        let status = Command::new("chown")
            .args(["-R", user])
            .arg(dir)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("chown -R {user} {} failed", dir.display()))
        }
    }

    /// `makepkg --printsrcinfo` in `dir` (which holds a PKGBUILD and is the
    /// user's), with `home` as HOME; the `.SRCINFO` printed and the wall
    /// time, or why it failed (the head of makepkg's error output).
    pub fn printsrcinfo(
        &self,
        dir: &Path,
        home: &Path,
        timeout: Duration,
    ) -> Result<(String, Duration), String> {
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
            .env("HOME", home)
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
        let mut stdout = child.stdout.take().ok_or("makepkg's stdout")?;
        let mut stderr = child.stderr.take().ok_or("makepkg's stderr")?;
        let out_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let err_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| format!("waiting: {e}"))? {
                break status;
            }
            if start.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let took = start.elapsed();
        let out = out_thread.join().unwrap_or_default();
        let err = err_thread.join().unwrap_or_default();
        if status.success() {
            Ok((out, took))
        } else {
            let head: String = err.trim().chars().take(300).collect();
            Err(format!("{status}: {head}"))
        }
    }
}
