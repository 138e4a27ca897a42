//! Dashboard figures, printed: a page of 100 builds rendered with 100,000
//! builds in the store (target < 50 ms); the first screen of a 100 MB log
//! (target < 200 ms); SSE delivering a newly written log line over a real
//! socket (target < 1 s). Run: `cargo bench -j 1 -p kiln-web`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use kiln_farm::store::{BuildId, Lane, NewBuild, RecipeId};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tower::ServiceExt as _;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn time_get(app: &axum::Router, uri: &str, runs: usize) -> (Duration, Duration, usize) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let resp = app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{uri}");
        size = resp.into_body().collect().await.unwrap().to_bytes().len();
        times.push(t.elapsed());
    }
    let max = *times.iter().max().unwrap();
    (median(times), max, size)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut farm = support::Farm::new();

    // A 100 MB log on a finished build.
    let lease = farm.start("zlib", "");
    let log = farm.dirs.log_path(lease.build.0);
    {
        use std::io::Write as _;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        let mut written = 0usize;
        let mut i = 0u64;
        while written < 100 << 20 {
            let line = format!(
                "\x1b[1m[{i:>8}]\x1b[0m cc -O2 -pipe -c src/module_{i}.c -o module_{i}.o\n"
            );
            written += line.len();
            f.write_all(line.as_bytes()).unwrap();
            i += 1;
        }
    }
    let big = farm.finish(lease, true, &[]);
    let lease = farm.start("zlib", "==> Making package: zlib\n");
    let running: BuildId = lease.build;

    // 100,000 builds: queued through the store, one transaction each.
    let recipe = farm
        .store
        .recipe_by_name(None, "hello")
        .unwrap()
        .unwrap()
        .id;
    let t = Instant::now();
    for _ in 0..100_000 {
        farm.store
            .queue_build(&NewBuild {
                recipe: RecipeId(recipe.0),
                priority: 0,
                lane: Lane::Normal,
                wave: None,
                waits_on: Vec::new(),
            })
            .unwrap();
    }
    println!("filled 100,000 builds in {:.1?}", t.elapsed());

    let state = farm.state(None, false);
    let app = kiln_web::router(state.clone());
    runtime.block_on(async {
        let (med, max, size) = time_get(&app, "/builds", 20).await;
        println!("builds page (100 of 100,000): median {med:.1?}, max {max:.1?}, {size} bytes  [target < 50 ms]");
        let (med, max, _) = time_get(&app, "/builds?page=500", 10).await;
        println!("builds page 500 (offset 49,900): median {med:.1?}, max {max:.1?}");
        let (med, max, _) = time_get(&app, "/api/v1/builds", 20).await;
        println!("api builds (100 of 100,000): median {med:.1?}, max {max:.1?}");
        // The build was finished without the coordinator, so its log has
        // no line index yet: the first view makes it.
        let (first, _, _) = time_get(&app, &format!("/builds/{big}/log"), 1).await;
        println!("first screen of a 100 MB log without its line index (the view makes it): {first:.1?}");
        let (med, max, size) = time_get(&app, &format!("/builds/{big}/log"), 10).await;
        println!("first screen of a 100 MB log (last 2,000 lines): median {med:.1?}, max {max:.1?}, {size} bytes  [target < 200 ms]");
        let (med, max, _) =
            time_get(&app, &format!("/builds/{big}/log?around=750000"), 10).await;
        println!("permalink to line 750,000 of the 100 MB log: median {med:.1?}, max {max:.1?}");

        // SSE over a real socket.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(kiln_web::serve_on(listener, state, async {
            let _ = stopped.await;
        }));
        let mut times = Vec::new();
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let size = std::fs::metadata(farm.dirs.log_path(running.0)).unwrap().len();
        stream
            .write_all(
                format!(
                    "GET /builds/{running}/log/events?offset={size}&line=2 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let mut buf = vec![0u8; 65536];
        let mut seen = String::new();
        tokio::time::sleep(Duration::from_millis(300)).await;
        for i in 0..20 {
            let marker = format!("sse-marker-{i}");
            let t = Instant::now();
            farm.append(running, &format!("{marker}\n"));
            while !seen.contains(&marker) {
                let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
                    .await
                    .expect("an SSE line within 5 s")
                    .unwrap();
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            times.push(t.elapsed());
            tokio::time::sleep(Duration::from_millis(37)).await;
        }
        let max = *times.iter().max().unwrap();
        println!("SSE: written line to browser event: median {:.1?}, max {max:.1?} over 20 lines  [target < 1 s]", median(times));
        let _ = stop.send(());
        drop(stream);
        let _ = server.await;
    });
}
