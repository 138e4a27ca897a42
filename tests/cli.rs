//! The `kiln` binary end to end on a real SQLite file: import the bundled
//! samples, then search, show, deps and compare them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn kiln(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("XDG_DATA_HOME", db.parent().unwrap())
        .output()
        .expect("kiln runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn samples(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("recipes/samples")
        .join(sub)
}

#[test]
fn import_search_show_and_deps_on_the_samples() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("kiln.db");
    let arch = samples("arch");
    let (ok, out, err) = kiln(&db, &["import", "dir", arch.to_str().unwrap(), "--json"]);
    assert!(ok, "{out}{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["import"]["added"], 5);

    let (ok, out, _) = kiln(&db, &["search", "deflate"]);
    assert!(ok);
    assert!(out.starts_with("arch/zlib 1:1.2.13-1"), "{out}");

    let (ok, out, _) = kiln(&db, &["show", "libfoo.so", "--format", "json"]);
    assert!(ok, "provides resolve to their recipe");
    let recipe: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(recipe["pkgbase"], "libfoo");

    let (ok, out, _) = kiln(&db, &["deps", "libfoo", "--reverse", "--depth", "2"]);
    assert!(ok);
    assert!(out.contains("<- app") && out.contains("<- tool"), "{out}");

    let (ok, out, _) = kiln(&db, &["show", "zlib", "--format", "srcinfo"]);
    assert!(ok);
    assert!(out.contains("\tepoch = 1\n"), "{out}");

    let (ok, _, err) = kiln(&db, &["show", "no-such-package"]);
    assert!(!ok);
    assert!(err.contains("no-such-package"), "{err}");
}

#[test]
fn sources_add_prints_the_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("kiln.db");
    let file = samples("arch").join("libfoo/foo.c");
    let (ok, out, err) = kiln(&db, &["sources", "add", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let sha = out.split_whitespace().next().unwrap();
    let pkgbuild = std::fs::read_to_string(samples("arch").join("libfoo/PKGBUILD")).unwrap();
    assert!(
        pkgbuild.contains(sha),
        "foo.c's sha256 {sha} is the one its PKGBUILD declares"
    );
    assert!(tmp.path().join("kiln/sources").is_dir());
}

#[test]
fn translations_advisories_and_rebuild_plans_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("kiln.db");
    let arch = samples("arch");
    assert!(kiln(&db, &["import", "dir", arch.to_str().unwrap()]).0);

    let (ok, out, _) = kiln(&db, &["show", "zlib", "--format", "guix"]);
    assert!(ok);
    assert!(out.starts_with("(define-public zlib"), "{out}");
    assert!(out.contains("(license license:zlib)"), "{out}");

    let advisories = samples("advisories");
    let (ok, out, err) = kiln(
        &db,
        &[
            "advisory",
            "add",
            advisories.join("KILN-2026-0001.json").to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("added KILN-2026-0001"), "{out}");
    let (ok, out, _) = kiln(&db, &["advisory", "show", "CVE-2026-00001"]);
    assert!(ok);
    assert!(out.contains("arch/libfoo 1.0-1: vulnerable"), "{out}");

    let (ok, out, _) = kiln(
        &db,
        &["rebuild", "libfoo", "--dependents", "--dry-run", "--json"],
    );
    assert!(ok);
    let plans: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        plans[0]["plan"]["waves"],
        serde_json::json!([["libfoo"], ["app", "tool"]])
    );

    let (ok, out, _) = kiln(
        &db,
        &["rebuild", "--advisory", "KILN-2026-0001", "--dry-run"],
    );
    assert!(ok);
    assert!(
        out.contains("no recipe in the store is at a fixed version yet"),
        "{out}"
    );

    let (ok, _, err) = kiln(
        &db,
        &["advisory", "add", arch.join("app/app.c").to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("app.c: line 1"), "{err}");
}

/// GET `path` from 127.0.0.1:`port` with a plain HTTP/1.0 request.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// `kiln serve` started on the arch samples, imported into a fresh store,
/// with the dashboard on a free port; killed when dropped.
struct Served {
    child: std::process::Child,
    port: u16,
    _tmp: tempfile::TempDir,
}

impl Served {
    /// Starts `kiln serve ARGS` with `[web]` settings `web_extra` beside
    /// the address, and waits until the dashboard answers.
    fn start(args: &[&str], web_extra: &str) -> Served {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("kiln.db");
        let arch = samples("arch");
        assert!(kiln(&db, &["import", "dir", arch.to_str().unwrap()]).0);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = tmp.path().join("kiln.toml");
        std::fs::write(
            &config,
            format!("[web]\naddress = \"127.0.0.1:{port}\"\n{web_extra}"),
        )
        .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
                "serve",
            ])
            .args(args)
            .env("XDG_DATA_HOME", tmp.path())
            .spawn()
            .expect("kiln serve starts");
        let served = Served {
            child,
            port,
            _tmp: tmp,
        };
        for _ in 0..300 {
            if http_get(port, "/").is_some() {
                return served;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("kiln serve's dashboard never answered on port {port}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_web_only_answers_pages_and_the_api() {
    let served = Served::start(&["--web-only"], "");
    let page = http_get(served.port, "/").expect("the dashboard answers");
    let api = http_get(served.port, "/api/v1/recipes?q=zlib");
    drop(served);
    assert!(
        page.starts_with("HTTP/1.") && page.contains(" 200 "),
        "{page}"
    );
    assert!(page.contains("<html"), "{page}");
    let api = api.expect("the API answers");
    assert!(api.contains("zlib"), "{api}");
}

/// Whether the local engine has a Kiln build image (`kiln image bootstrap`).
fn build_image_present() -> bool {
    Command::new("docker")
        .args(["image", "ls", "-q", "kiln-build"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.trim_ascii().is_empty())
}

/// Sends `request` (a whole HTTP/1.0 request) to 127.0.0.1:`port` and
/// returns the response's JSON body.
fn http_json(port: u16, request: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn serve_runs_a_build_queued_through_the_api_and_stops_on_interrupt() {
    if !build_image_present() {
        eprintln!(
            "skipping: no Docker engine with a kiln-build image (run `kiln image bootstrap`)"
        );
        return;
    }
    let mut served = Served::start(&[], "token = \"s3cret\"\n");
    let port = served.port;
    let body = r#"{"names":["libfoo"]}"#;
    let queued = http_json(
        port,
        &format!(
            "POST /api/v1/builds HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    let id = queued["queued"][0]["build"]
        .as_i64()
        .unwrap_or_else(|| panic!("{queued}"));
    let mut status = String::new();
    for _ in 0..600 {
        let b = http_json(
            port,
            &format!("GET /api/v1/builds/{id} HTTP/1.0\r\nHost: x\r\n\r\n"),
        );
        status = b["build"]["status"].as_str().unwrap_or_default().to_owned();
        if status == "succeeded" || status == "failed" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let log = http_get(port, &format!("/builds/{id}/log")).unwrap_or_default();
    // Ctrl-C: the server stops the scheduler and the dashboard and exits.
    let interrupted = Command::new("kill")
        .args(["-INT", &served.child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    let exit = served.child.wait().unwrap();
    assert_eq!(status, "succeeded", "libfoo's build through kiln serve");
    assert!(log.contains("Finished making: libfoo"), "{log}");
    assert!(
        interrupted && exit.success(),
        "kiln serve exits cleanly: {exit}"
    );
}

#[test]
fn guix_dump_gives_the_same_records_on_any_number_of_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("kiln.sqlite");
    let guix = samples("guix");
    let mut dumps = Vec::new();
    for threads in ["1", "2", "3"] {
        let (ok, out, err) = kiln(
            &db,
            &["guix-dump", "--threads", threads, guix.to_str().unwrap()],
        );
        assert!(ok, "{err}");
        dumps.push(out);
    }
    assert_eq!(dumps[0].lines().count(), 3, "{}", dumps[0]);
    assert!(dumps.iter().all(|d| *d == dumps[0]));
    let (ok, _, err) = kiln(
        &db,
        &["guix-dump", "--threads", "0", guix.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("--threads"), "{err}");
}
