//! A real farm for the web tests and benchmarks: a SQLite store in a
//! temporary directory with the sample Arch recipes imported, and builds
//! driven through the store's own lease and finish steps, with their log
//! files and artifacts written where the coordinator writes them.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use kiln_farm::coordinator::Dirs;
use kiln_farm::import::{import_dir, Quiet};
use kiln_farm::scheduler::{queue, QueueOptions};
use kiln_farm::store::{ArtifactRecord, BuildEnd, BuildId, BuildInput, Lease, Store};
use kiln_web::{AppState, StateConfig};

/// A farm on disk.
pub struct Farm {
    /// Holds the files.
    pub dir: tempfile::TempDir,
    /// The database.
    pub db: PathBuf,
    /// Logs and artifacts.
    pub dirs: Dirs,
    /// A writer connection.
    pub store: Store,
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../recipes/samples/arch")
}

impl Farm {
    /// A fresh farm with the sample recipes.
    pub fn new() -> Farm {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiln.db");
        let mut store = Store::open(&db).unwrap();
        let run = import_dir(&mut store, &samples(), &Quiet).unwrap();
        assert!(run.failures.is_empty(), "{:?}", run.failures);
        let dirs = Dirs::under(&dir.path().join("data")).unwrap();
        Farm {
            dir,
            db,
            dirs,
            store,
        }
    }

    /// The web state over this farm.
    pub fn state(&self, token: Option<&str>, protect_reads: bool) -> AppState {
        AppState::new(StateConfig {
            db: self.db.clone(),
            dirs: self.dirs.clone(),
            coordinator: None,
            token: token.map(str::to_owned),
            protect_reads,
        })
    }

    /// Queues a build of `name` and leases and starts it; writes `log` as
    /// its log so far.
    pub fn start(&mut self, name: &str, log: &str) -> Lease {
        let queued = queue(
            &mut self.store,
            &[name.to_owned()],
            &QueueOptions::default(),
        )
        .unwrap();
        let id = queued.last().unwrap().build;
        let (build, lease) = self
            .store
            .lease_next_build("test", "local", 600)
            .unwrap()
            .expect("a build to lease");
        assert_eq!(build.id, id, "{name} should have been leased first");
        self.store.mark_running(lease, "container", 600).unwrap();
        std::fs::write(self.dirs.log_path(id.0), log).unwrap();
        lease
    }

    /// Appends lines to a build's log, as the coordinator does.
    pub fn append(&self, id: BuildId, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.dirs.log_path(id.0))
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    /// Ends a started build, with artifacts `(name, bytes, files)`.
    pub fn finish(
        &mut self,
        lease: Lease,
        succeeded: bool,
        artifacts: &[(&str, &[u8], &[&str])],
    ) -> BuildId {
        let log = self.dirs.log_path(lease.build.0);
        let size = std::fs::metadata(&log).map(|m| m.len() as i64).ok();
        let artifacts = artifacts
            .iter()
            .map(|(name, bytes, files)| {
                let (stored, _) = self.dirs.artifacts.add_bytes(bytes).unwrap();
                ArtifactRecord {
                    name: (*name).to_owned(),
                    sha256: stored.sha256,
                    size: stored.size,
                    files: files.iter().map(|f| (*f).to_owned()).collect(),
                }
            })
            .collect();
        self.store
            .finish_build(
                lease,
                &BuildEnd {
                    succeeded,
                    exit_code: Some(if succeeded { 0 } else { 2 }),
                    message: (!succeeded).then(|| "makepkg failed".to_owned()),
                    log_path: Some(log.display().to_string()),
                    log_size: size,
                    inputs: vec![BuildInput {
                        name: "glibc".into(),
                        version: "2.41-1".into(),
                        build: None,
                        artifact_sha256: None,
                    }],
                    artifacts,
                },
            )
            .unwrap();
        lease.build
    }
}

/// A makepkg-like log with colours, stages and an error.
pub fn makepkg_log(failing: bool) -> String {
    let mut s = String::new();
    s.push_str("\x1b[1m\x1b[32m==>\x1b[m\x1b[1m Making package: hello 1.0-1\x1b[m\n");
    s.push_str("\x1b[1m\x1b[32m==>\x1b[m\x1b[1m Checking runtime dependencies...\x1b[m\n");
    s.push_str("\x1b[1m\x1b[32m==>\x1b[m\x1b[1m Starting build()...\x1b[m\n");
    for i in 0..30 {
        s.push_str(&format!("cc -O2 -c src/file{i}.c -o file{i}.o\n"));
    }
    if failing {
        s.push_str("src/file30.c:12:5: error: expected ';' before '}' token\n");
        s.push_str("make: *** [Makefile:10: all] Error 1\n");
        s.push_str("\x1b[1m\x1b[31m==> ERROR:\x1b[m\x1b[1m A failure occurred in build().\x1b[m\n");
    } else {
        s.push_str("\x1b[1m\x1b[32m==>\x1b[m\x1b[1m Entering fakeroot environment...\x1b[m\n");
        s.push_str("\x1b[1m\x1b[32m==>\x1b[m\x1b[1m Finished making: hello 1.0-1\x1b[m\n");
    }
    s
}
