//! The coordinator against the real Docker engine and a real SQLite file:
//! the samples built in dependency order with the dependency's artifact
//! installed, a failure blocking only its dependents, a source mismatch
//! failing its build, and a build left running re-attached after a
//! restart. Skips with a notice when the engine or the build image is
//! absent (CI makes the image first).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kiln_normalizer::Origin;
use kiln_workers::ImageSpec;

use super::*;
use crate::config::Config;
use crate::import::{import_dir, Quiet};
use crate::scheduler::{queue, QueueOptions};
use crate::store::{BuildFilter, BuildStatus};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../recipes/samples/arch")
}

/// A coordinator on a fresh store in `tmp`, or `None` (skip).
async fn setup(test: &str, tmp: &Path, tree: &Path) -> Option<Arc<Coordinator>> {
    let config = Config::parse(
        "[farm]\npoll_millis = 100\nallow_download = false\n",
        "test",
    )
    .unwrap();
    let endpoint = match connect(&config.endpoints[0]).await {
        Ok(e) => e,
        Err(e) => {
            println!("skipping {test}: {e}");
            return None;
        }
    };
    let image = ImageSpec::default().tag();
    if endpoint
        .executor
        .docker()
        .inspect_image(&image)
        .await
        .is_err()
    {
        println!("skipping {test}: build image {image} absent (run `kiln image bootstrap`)");
        return None;
    }
    let mut store = Store::open(&tmp.join("kiln.db")).unwrap();
    let run = import_dir(&mut store, tree, &Quiet).unwrap();
    assert!(run.failures.is_empty(), "{:?}", run.failures);
    let dirs = Dirs::under(&tmp.join("data")).unwrap();
    Some(Coordinator::new(
        Arc::new(Mutex::new(store)),
        config,
        dirs,
        image,
        vec![endpoint],
    ))
}

fn copy_samples(to: &Path) {
    for entry in walkdir::WalkDir::new(samples()) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(samples()).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn store(c: &Coordinator) -> std::sync::MutexGuard<'_, Store> {
    c.store().lock().unwrap()
}

fn build_of(c: &Coordinator, name: &str) -> Build {
    store(c)
        .builds(&BuildFilter {
            name: Some(name.into()),
            ..Default::default()
        })
        .unwrap()
        .remove(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn samples_build_in_dependency_order_against_the_dependency_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy_samples(&tree);
    std::fs::remove_dir_all(tree.join("hello")).unwrap();
    std::fs::remove_dir_all(tree.join("zlib")).unwrap();
    let Some(c) = setup("samples_build", tmp.path(), &tree).await else {
        return;
    };
    let mut events = c.subscribe();
    let queued = queue(
        &mut store(&c),
        &["app".into(), "tool".into()],
        &QueueOptions::default(),
    )
    .unwrap();
    assert_eq!(queued.len(), 3);
    c.run(true).await.unwrap();

    let libfoo = build_of(&c, "libfoo");
    assert_eq!(
        libfoo.status,
        BuildStatus::Succeeded,
        "{:?}",
        libfoo.message
    );
    let artifacts = store(&c).artifacts_of(libfoo.id).unwrap();
    assert_eq!(artifacts.len(), 1);
    assert!(artifacts[0]
        .files
        .iter()
        .any(|f| f == "usr/lib/libfoo.so.1"));
    assert!(c.dirs().artifacts.get(&artifacts[0].sha256).is_some());

    for name in ["app", "tool"] {
        let b = build_of(&c, name);
        assert_eq!(b.status, BuildStatus::Succeeded, "{name}: {:?}", b.message);
        let inputs = store(&c).build_inputs(b.id).unwrap();
        assert_eq!(inputs.len(), 1, "{inputs:?}");
        assert_eq!(inputs[0].name, "libfoo");
        assert_eq!(inputs[0].version, "1.0-1");
        assert_eq!(inputs[0].build, Some(libfoo.id));
        assert_eq!(
            inputs[0].artifact_sha256.as_ref(),
            Some(&artifacts[0].sha256)
        );
        let log_path = std::path::PathBuf::from(b.log_path.unwrap());
        let log = std::fs::read_to_string(&log_path).unwrap();
        assert!(log.contains("installing 1 dependency package"), "{log}");
        assert!(
            crate::log_index::LineIndex::load(&log_path, log.len() as u64).is_some(),
            "the finished log has its line index"
        );
    }
    // Subscribers saw the log lines as they came.
    let mut lines = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(e, Event::Log(_)) {
            lines += 1;
        }
    }
    assert!(lines > 10, "{lines} log lines streamed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_build_blocks_only_its_dependents_and_a_bad_source_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy_samples(&tree);
    // libfoo no longer compiles; zlib's sha256 is wrong and its source is
    // not in the store (downloads off): both fail with their reason.
    let foo = tree.join("libfoo/foo.c");
    let text = std::fs::read_to_string(&foo).unwrap();
    std::fs::write(&foo, format!("{text}\n#error kiln test breaks libfoo\n")).unwrap();
    let pkgbuild = tree.join("libfoo/PKGBUILD");
    let sha = crate::store::content_hash(&std::fs::read(&foo).unwrap());
    let p = std::fs::read_to_string(&pkgbuild).unwrap();
    std::fs::write(
        &pkgbuild,
        p.replace(
            "b4ba2299ff609ae02437f614b2bef79133083be82e7bf5d1400e501767952123",
            &sha,
        ),
    )
    .unwrap();
    std::fs::remove_dir_all(tree.join("hello")).unwrap();
    let Some(c) = setup("failing_build", tmp.path(), &tree).await else {
        return;
    };
    queue(
        &mut store(&c),
        &["app".into(), "tool".into(), "zlib".into()],
        &QueueOptions::default(),
    )
    .unwrap();
    c.run(true).await.unwrap();
    let libfoo = build_of(&c, "libfoo");
    assert_eq!(libfoo.status, BuildStatus::Failed);
    assert!(
        libfoo
            .message
            .as_deref()
            .unwrap_or("")
            .contains("kiln test breaks libfoo"),
        "{:?}",
        libfoo.message
    );
    for name in ["app", "tool"] {
        let b = build_of(&c, name);
        assert_eq!(b.status, BuildStatus::DependencyFailed);
        assert_eq!(b.cause, Some(libfoo.id));
    }
    let zlib = build_of(&c, "zlib");
    assert_eq!(zlib.status, BuildStatus::Failed);
    let msg = zlib.message.unwrap();
    assert!(msg.contains("zlib-1.2.13.tar.gz"), "{msg}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_left_running_is_reattached_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("slow")).unwrap();
    std::fs::write(
        tree.join("slow/PKGBUILD"),
        "pkgname=slow\npkgver=1\npkgrel=1\narch=(x86_64)\nlicense=(MIT)\n\
         build() { echo starting; sleep 3; echo done; }\n\
         package() { mkdir -p \"$pkgdir/usr/share/slow\"; echo ok > \"$pkgdir/usr/share/slow/ok\"; }\n",
    )
    .unwrap();
    let Some(first) = setup("reattach", tmp.path(), &tree).await else {
        return;
    };
    queue(
        &mut store(&first),
        &["slow".into()],
        &QueueOptions::default(),
    )
    .unwrap();
    // The first coordinator leases and starts the build, then "dies".
    let (build, lease) = store(&first)
        .lease_next_build("dead", "local", 1)
        .unwrap()
        .unwrap();
    let prepared = {
        let s = store(&first);
        prepare(&s, first.dirs(), &build, false).unwrap()
    };
    let job = BuildJob {
        build_id: first.container_build_id(build.id.0),
        recipe: build.name.clone(),
        image: first.image.clone(),
        files: prepared.files,
        install: prepared.install,
        limits: first.limits(),
        labels: BTreeMap::new(),
    };
    let container = first.endpoints[0].executor.start(&job).await.unwrap();
    store(&first).mark_running(lease, &container, 1).unwrap();
    let store_handle = Arc::clone(first.store());
    drop(first);

    // A new coordinator on the same store re-attaches and collects it.
    let config = Config::parse("[farm]\npoll_millis = 100\n", "test").unwrap();
    let endpoint = connect(&config.endpoints[0]).await.unwrap();
    let second = Coordinator::new(
        store_handle,
        config,
        Dirs::under(&tmp.path().join("data")).unwrap(),
        ImageSpec::default().tag(),
        vec![endpoint],
    );
    assert_eq!(second.recover().await.unwrap(), 1);
    second.run(true).await.unwrap();
    let b = build_of(&second, "slow");
    assert_eq!(b.status, BuildStatus::Succeeded, "{:?}", b.message);
    assert!(b.lease_epoch > lease.epoch, "taken over with a new epoch");
    let log = std::fs::read_to_string(b.log_path.unwrap()).unwrap();
    assert!(log.contains("starting") && log.contains("done"), "{log}");
    assert!(
        store(&second)
            .finish_build(
                lease,
                &BuildEnd {
                    succeeded: false,
                    exit_code: None,
                    message: None,
                    log_path: None,
                    log_size: None,
                    inputs: Vec::new(),
                    artifacts: Vec::new(),
                }
            )
            .is_err(),
        "the dead coordinator's lease can no longer finish it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn importing_a_fix_starts_a_wave_whose_dependents_carry_it() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy_samples(&tree);
    std::fs::remove_dir_all(tree.join("hello")).unwrap();
    std::fs::remove_dir_all(tree.join("zlib")).unwrap();
    // A plugin of tool: tool's own dependent.
    std::fs::create_dir_all(tree.join("tool-plugin")).unwrap();
    std::fs::write(
        tree.join("tool-plugin/PKGBUILD"),
        "pkgname=tool-plugin\npkgver=1\npkgrel=1\narch=(x86_64)\nlicense=(MIT)\n\
         depends=(tool)\npackage() { mkdir -p \"$pkgdir/usr/share/tool\"; command -v tool > \"$pkgdir/usr/share/tool/plugin\"; }\n",
    )
    .unwrap();
    let Some(c) = setup("advisory_wave", tmp.path(), &tree).await else {
        return;
    };
    queue(
        &mut store(&c),
        &["app".into(), "tool-plugin".into()],
        &QueueOptions::default(),
    )
    .unwrap();
    c.run(true).await.unwrap();
    for name in ["libfoo", "app", "tool", "tool-plugin"] {
        assert_eq!(build_of(&c, name).status, BuildStatus::Succeeded, "{name}");
    }
    let advisory_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../recipes/samples/advisories/KILN-2026-0001.json"),
    )
    .unwrap();
    for a in crate::advisory::parse_advisories(&advisory_text, "a.json").unwrap() {
        store(&c).upsert_advisory(&a).unwrap();
    }

    // libfoo 1.1 lands; tool's build is broken in the same import.
    let p = tree.join("libfoo/PKGBUILD");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace("pkgver=1.0", "pkgver=1.1")).unwrap();
    let p = tree.join("tool/PKGBUILD");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace("cc -o tool", "false && cc -o tool")).unwrap();
    let triggered = {
        let mut s = store(&c);
        let run = import_dir(&mut s, &tree, &Quiet).unwrap();
        crate::scheduler::waves_after_import(
            &mut s,
            crate::store::RunId(run.run),
            kiln_normalizer::mapping::Mappings::builtin(),
            2,
        )
        .unwrap()
    };
    assert_eq!(triggered.len(), 1);
    let wave = &triggered[0];
    assert_eq!(wave.advisory, "KILN-2026-0001");
    let order: Vec<&str> = wave.builds.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(order, ["libfoo", "app", "tool", "tool-plugin"]);
    c.run(true).await.unwrap();

    let in_wave = |name: &str| {
        store(&c)
            .builds(&BuildFilter {
                name: Some(name.into()),
                wave: Some(wave.wave),
                ..Default::default()
            })
            .unwrap()
            .remove(0)
    };
    let libfoo = in_wave("libfoo");
    assert_eq!(libfoo.status, BuildStatus::Succeeded);
    assert_eq!(libfoo.version, "1.1-1");
    let app = in_wave("app");
    assert_eq!(app.status, BuildStatus::Succeeded, "{:?}", app.message);
    assert!(app.started_at >= libfoo.finished_at, "app after libfoo");
    let inputs = store(&c).build_inputs(app.id).unwrap();
    assert_eq!(inputs[0].version, "1.1-1");
    let log = std::fs::read_to_string(app.log_path.unwrap()).unwrap();
    assert!(log.contains("app linked against libfoo 1.1"), "{log}");
    let tool = in_wave("tool");
    assert_eq!(tool.status, BuildStatus::Failed);
    let plugin = in_wave("tool-plugin");
    assert_eq!(plugin.status, BuildStatus::DependencyFailed);
    assert_eq!(plugin.cause, Some(tool.id));
}

/// Real upstream tarballs fetched by `ci/fetch-sources`.
fn test_sources() -> PathBuf {
    std::env::var_os("KILN_TEST_SOURCES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-sources"),
        PathBuf::from,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn arch_and_guix_hello_build_from_the_same_upstream_tarball() {
    let tarball = test_sources().join("hello_2.10.orig.tar.gz");
    if !tarball.is_file() {
        println!(
            "skipping: {} absent (run ci/fetch-sources)",
            tarball.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("hello")).unwrap();
    std::fs::copy(
        samples().join("hello/PKGBUILD"),
        tree.join("hello/PKGBUILD"),
    )
    .unwrap();
    let Some(c) = setup("hello_both_ways", tmp.path(), &tree).await else {
        return;
    };
    {
        let mut s = store(&c);
        let guix = samples().join("../guix");
        let run = crate::import::import_guix(
            &mut s,
            guix.to_str().unwrap(),
            None,
            &tmp.path().join("cache"),
            &Quiet,
        )
        .unwrap();
        assert_eq!(run.added, 3);
        let (stored, _) = c.dirs().sources.add_file(&tarball).unwrap();
        assert_eq!(
            stored.sha256,
            "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b"
        );
        for origin in [Origin::Arch, Origin::Guix] {
            queue(
                &mut s,
                &["hello".into()],
                &QueueOptions {
                    origin: Some(origin),
                    ..QueueOptions::default()
                },
            )
            .unwrap();
        }
    }
    c.run(true).await.unwrap();
    for origin in [Origin::Arch, Origin::Guix] {
        let b = store(&c)
            .builds(&BuildFilter {
                name: Some("hello".into()),
                origin: Some(origin),
                ..Default::default()
            })
            .unwrap()
            .remove(0);
        assert_eq!(
            b.status,
            BuildStatus::Succeeded,
            "{origin}: {:?}",
            b.message
        );
        let artifacts = store(&c).artifacts_of(b.id).unwrap();
        assert!(
            artifacts[0].files.iter().any(|f| f == "usr/bin/hello"),
            "{origin}: {:?}",
            artifacts[0].files
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tcp_endpoint_reaches_the_engine() {
    // The local engine listens on its unix socket only; a loopback TCP
    // relay in front of it stands for a remote engine at tcp://HOST:PORT.
    let socket = Path::new("/var/run/docker.sock");
    if !socket.exists() {
        println!(
            "skipping a_tcp_endpoint_reaches_the_engine: no {}",
            socket.display()
        );
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut unix) = tokio::net::UnixStream::connect("/var/run/docker.sock").await
                {
                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix).await;
                }
            });
        }
    });
    let config = Config::parse(
        &format!("[[endpoints]]\nname = \"relay\"\nurl = \"tcp://127.0.0.1:{port}\"\nslots = 1\n"),
        "kiln.toml",
    )
    .unwrap();
    let endpoint = connect(&config.endpoints[0]).await.unwrap();
    assert_eq!(endpoint.config.name, "relay");
    endpoint.executor.running_builds().await.unwrap();
    // An endpoint nothing listens on is a clear error naming it.
    let config = Config::parse(
        "[[endpoints]]\nname = \"gone\"\nurl = \"tcp://127.0.0.1:1\"\n",
        "kiln.toml",
    )
    .unwrap();
    let err = connect(&config.endpoints[0])
        .await
        .err()
        .expect("unreachable");
    assert!(err.to_string().starts_with("endpoint gone:"), "{err}");
}

/// Makes a CA, a server certificate for localhost and a client
/// certificate with the openssl command; `None` when it is absent.
fn make_certs(dir: &Path) -> Option<()> {
    let run = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let ok = run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=kiln-test-ca",
    ]);
    let stranger = run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "stranger.key",
        "-out",
        "stranger.pem",
        "-days",
        "1",
        "-subj",
        "/CN=stranger",
    ]);
    if !ok || !stranger {
        return None;
    }
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .ok()?;
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").ok()?;
    for who in ["server", "client"] {
        let key = format!("{who}.key");
        let csr = format!("{who}.csr");
        let pem = format!("{who}.pem");
        let ext = format!("{who}.ext");
        let subj = format!("/CN={}", if who == "server" { "localhost" } else { "kiln" });
        let made = run(&[
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj", &subj,
        ]) && run(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "1",
            "-extfile",
            &ext,
        ]);
        if !made {
            return None;
        }
    }
    Some(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_endpoint_with_client_certificates_reaches_the_engine() {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::{self, server::WebPkiClientVerifier, RootCertStore};

    let socket = Path::new("/var/run/docker.sock");
    let tmp = tempfile::tempdir().unwrap();
    if !socket.exists() || make_certs(tmp.path()).is_none() {
        println!("skipping the tls endpoint test: no docker socket or no openssl");
        return;
    }
    let dir = tmp.path();
    // A TLS relay that requires a client certificate signed by the CA, in
    // front of the engine's unix socket: a remote engine at https://HOST:PORT.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("ca.pem")).unwrap())
        .unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_file(dir.join("server.pem")).unwrap()],
            PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut unix) = tokio::net::UnixStream::connect("/var/run/docker.sock").await
                {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut unix).await;
                }
            });
        }
    });
    let endpoint_toml = |cert: &str| {
        format!(
            "[[endpoints]]\nname = \"remote\"\nurl = \"https://localhost:{port}\"\nslots = 1\n\
             tls = {{ key = \"{d}/{cert}.key\", cert = \"{d}/{cert}.pem\", ca = \"{d}/ca.pem\" }}\n",
            d = dir.display()
        )
    };
    let config = Config::parse(&endpoint_toml("client"), "kiln.toml").unwrap();
    let endpoint = connect(&config.endpoints[0]).await.unwrap();
    endpoint.executor.running_builds().await.unwrap();
    // A self-signed client certificate the CA never signed is refused.
    let config = Config::parse(&endpoint_toml("stranger"), "kiln.toml").unwrap();
    assert!(
        connect(&config.endpoints[0]).await.is_err(),
        "a client certificate the CA did not sign is refused"
    );
}
