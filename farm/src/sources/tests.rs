//! Tests of the source store on real files, a local HTTP server and local
//! git repositories.

use std::io::{Read, Write};
use std::net::TcpListener;

use git2::Repository;
use kiln_normalizer::srcinfo;

use super::*;

const HELLO: &[u8] = b"hello, world\n";

fn recipe(sources: &str, sums: &str) -> Recipe {
    let text = format!(
        "pkgbase = t\n\tpkgver = 1\n\tpkgrel = 1\n\tarch = x86_64\n{sources}{sums}\npkgname = t\n"
    );
    srcinfo::parse(&text).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    digest_reader(bytes, |_| Ok(()))
        .unwrap()
        .sha256()
        .to_owned()
}

#[test]
fn added_files_are_kept_once_under_their_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let store = SourceStore::open(dir.path()).unwrap();
    let (a, _) = store.add_bytes(HELLO).unwrap();
    let (b, _) = store.add_bytes(HELLO).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.sha256, sha256_hex(HELLO));
    assert!(a
        .path
        .ends_with(format!("sha256/{}/{}", &a.sha256[..2], a.sha256)));
    assert_eq!(store.get(&a.sha256), Some(a.path.clone()));
    assert_eq!(store.get("not-a-digest"), None);
    assert_eq!(
        fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0,
        "no temporary file left"
    );
}

#[test]
fn local_sources_are_verified_against_every_declared_kind() {
    let dir = tempfile::tempdir().unwrap();
    let store = SourceStore::open(dir.path()).unwrap();
    let d = digest_reader(HELLO, |_| Ok(())).unwrap();
    let sums = format!(
        "\tsha256sums = {}\n\tb2sums = {}\n",
        d.sha256(),
        d.get(ChecksumKind::B2)
    );
    let r = recipe("\tsource = hello.txt\n", &sums);
    let files = vec![("hello.txt".to_owned(), HELLO.to_vec())];
    let ctx = SourceContext {
        local_files: &files,
        allow_download: false,
    };
    let prepared = store.prepare(&r, "x86_64", &ctx).unwrap();
    assert!(matches!(&prepared[0], PreparedSource::File { name, .. } if name == "hello.txt"));

    let bad = recipe(
        "\tsource = hello.txt\n",
        &format!(
            "\tsha256sums = {}\n\tb2sums = {}\n",
            d.sha256(),
            "0".repeat(128)
        ),
    );
    let e = store.prepare(&bad, "x86_64", &ctx).unwrap_err();
    assert!(e.to_string().contains("b2sums mismatch"), "{e}");
}

#[test]
fn remote_sources_need_the_store_or_a_download() {
    let dir = tempfile::tempdir().unwrap();
    let store = SourceStore::open(dir.path()).unwrap();
    let sums = format!("\tsha256sums = {}\n", sha256_hex(HELLO));
    let r = recipe("\tsource = https://example.org/hello-1.tar.gz\n", &sums);
    let ctx = SourceContext::default();
    let e = store.prepare(&r, "x86_64", &ctx).unwrap_err();
    assert!(e.to_string().contains("kiln sources add"), "{e}");
    store.add_bytes(HELLO).unwrap();
    let prepared = store.prepare(&r, "x86_64", &ctx).unwrap();
    assert!(matches!(&prepared[0], PreparedSource::File { name, .. } if name == "hello-1.tar.gz"));
}

/// Serves `body` once over HTTP on a loopback port.
fn serve_once(body: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body);
        }
    });
    format!("http://{addr}/hello-1.tar.gz")
}

#[test]
fn http_downloads_land_in_the_store_and_are_verified() {
    let dir = tempfile::tempdir().unwrap();
    let store = SourceStore::open(dir.path()).unwrap();
    let url = serve_once(HELLO);
    let r = recipe(
        &format!("\tsource = {url}\n"),
        &format!("\tsha256sums = {}\n", sha256_hex(HELLO)),
    );
    let ctx = SourceContext {
        local_files: &[],
        allow_download: true,
    };
    let prepared = store.prepare(&r, "x86_64", &ctx).unwrap();
    let PreparedSource::File { path, .. } = &prepared[0] else {
        panic!("expected a file")
    };
    assert_eq!(fs::read(path).unwrap(), HELLO);

    let url = serve_once(b"tampered\n");
    let r = recipe(
        &format!("\tsource = {url}\n"),
        &format!("\tsha256sums = {}\n", "1".repeat(64)),
    );
    let e = store.prepare(&r, "x86_64", &ctx).unwrap_err();
    assert!(e.to_string().contains("sha256sums mismatch"), "{e}");
}

#[test]
fn git_sources_are_mirrored_bare_then_reused_offline() {
    let upstream = tempfile::tempdir().unwrap();
    let repo = Repository::init(upstream.path()).unwrap();
    fs::write(upstream.path().join("README"), "x").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("README")).unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.org").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = SourceStore::open(dir.path()).unwrap();
    let url = format!("git+file://{}#branch=master", upstream.path().display());
    let r = recipe(
        &format!("\tsource = proj::{url}\n"),
        "\tsha256sums = SKIP\n",
    );
    let offline = SourceContext::default();
    assert!(store.prepare(&r, "x86_64", &offline).is_err());
    let online = SourceContext {
        local_files: &[],
        allow_download: true,
    };
    let prepared = store.prepare(&r, "x86_64", &online).unwrap();
    let PreparedSource::Git { name, path } = &prepared[0] else {
        panic!("expected a git mirror")
    };
    assert_eq!(name, "proj");
    assert!(Repository::open_bare(path).unwrap().head().is_ok() || path.join("refs").exists());
    assert!(
        store.prepare(&r, "x86_64", &offline).is_ok(),
        "the mirror serves offline builds"
    );
}
