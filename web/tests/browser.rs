//! The dashboard end to end in headless Chromium, driven through WebDriver
//! (fantoccini and chromedriver started here on a free port): open the
//! overview, follow a running build live while lines are appended to its
//! log, open a line's permalink (also one outside the tail), search a log,
//! fold a makepkg stage, download an artifact. Screenshots are saved under
//! `target/web-screenshots/`. Skips with a notice without chromium and
//! chromedriver; needs no Docker (the store is filled directly).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use support::{makepkg_log, Farm};

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn screenshot(c: &Client, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/web-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap()
}

async fn wait_for(c: &Client, id: &str) {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("waiting for #{id}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_headless_chromium() {
    let (Some(driver), Some(chrome)) = (
        on_path(&["chromedriver"]),
        on_path(&["chromium", "chromium-browser", "google-chrome"]),
    ) else {
        println!("skipping the browser test: chromium and chromedriver are not installed");
        return;
    };
    let port = free_port();
    let _driver = Driver(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The farm: a finished build with an artifact, a failed one, a long
    // one, and a running one.
    let mut farm = Farm::new();
    let lease = farm.start("hello", &makepkg_log(false));
    let ok = farm.finish(
        lease,
        true,
        &[(
            "hello-1.0-1-x86_64.pkg.tar.zst",
            b"the package",
            &["usr/bin/hello"],
        )],
    );
    let lease = farm.start("zlib", &makepkg_log(true));
    let failed = farm.finish(lease, false, &[]);
    let long: String = (1..=5_000).map(|i| format!("line {i}\n")).collect();
    let lease = farm.start("libfoo", &long);
    let big = farm.finish(lease, true, &[]);
    let running = farm
        .start("hello", "==> Making package: hello 1.0-1\ncompiling\n")
        .build;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kiln_web::serve_on(
        listener,
        farm.state(None, false),
        async {
            let _ = stopped.await;
        },
    ));

    let downloads = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chrome,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,900"],
            "prefs": {
                "download.default_directory": downloads.path(),
                "download.prompt_for_download": false,
            },
        }),
    );
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a chromium session");

    // The overview.
    c.goto(&format!("{base}/")).await.unwrap();
    wait_for(&c, "counts").await;
    wait_for(&c, "chart-builds").await;
    screenshot(&c, "overview.png").await;

    // Follow the running build live.
    c.goto(&format!("{base}/builds/{running}/log"))
        .await
        .unwrap();
    wait_for(&c, "L2").await;
    // Give the page's EventSource a moment to connect, then write.
    tokio::time::sleep(Duration::from_millis(300)).await;
    farm.append(running, "live <line> three\n");
    wait_for(&c, "L3").await;
    farm.append(
        running,
        "\x1b[1m\x1b[32m==>\x1b[m Entering fakeroot environment...\nlive four\n",
    );
    wait_for(&c, "L5").await;
    let text = c
        .find(Locator::Id("L3"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("live <line> three"), "{text}");
    let sections = js(
        &c,
        "return document.querySelectorAll('#lines details.section').length",
    )
    .await;
    assert_eq!(sections, 2, "the new stage line opened a section");
    screenshot(&c, "live-log.png").await;

    // A permalink in the tail, and one before it.
    c.goto(&format!("{base}/builds/{failed}/log#L10"))
        .await
        .unwrap();
    wait_for(&c, "L10").await;
    let target = js(
        &c,
        "var t = document.querySelector(':target'); return t && t.id",
    )
    .await;
    assert_eq!(target, "L10");
    c.goto(&format!("{base}/builds/{big}/log#L20"))
        .await
        .unwrap();
    wait_for(&c, "L20").await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("around=20"));
    screenshot(&c, "permalink.png").await;

    // Search a log and follow a hit.
    c.goto(&format!("{base}/builds/{failed}/log"))
        .await
        .unwrap();
    let input = c
        .find(Locator::Css("form.search input[name=q]"))
        .await
        .unwrap();
    input.send_keys("expected").await.unwrap();
    c.find(Locator::Css("form.search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "log-search-results").await;
    screenshot(&c, "log-search.png").await;
    c.find(Locator::Css("#log-search-results a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "L34").await;
    let target = js(
        &c,
        "var t = document.querySelector(':target'); return t && t.id",
    )
    .await;
    assert_eq!(target, "L34");
    let first_error = c.find(Locator::Css("#first-error-link a")).await.unwrap();
    assert_eq!(
        first_error.attr("href").await.unwrap().as_deref(),
        Some("#L34")
    );

    // Fold a stage.
    c.goto(&format!("{base}/builds/{failed}/log"))
        .await
        .unwrap();
    wait_for(&c, "L1").await;
    assert_eq!(
        js(&c, "return document.querySelector('details.section').open").await,
        true
    );
    c.find(Locator::Css("details.section > summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        js(&c, "return document.querySelector('details.section').open").await,
        false
    );
    screenshot(&c, "folded.png").await;

    // Download an artifact.
    c.goto(&format!("{base}/builds/{ok}")).await.unwrap();
    screenshot(&c, "build.png").await;
    c.find(Locator::Css("a.download"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let file = downloads.path().join("hello-1.0-1-x86_64.pkg.tar.zst");
    for _ in 0..100 {
        if std::fs::read(&file).is_ok_and(|b| b == b"the package") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        std::fs::read(&file).expect("the artifact downloaded"),
        b"the package"
    );

    c.close().await.unwrap();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
