//! The router against a real SQLite store and real log and artifact files,
//! driven with `tower::ServiceExt::oneshot`: pages, escaping of hostile
//! log text, log chunks and search, artifacts, the API with its token
//! checks and JSON errors, and `/metrics`.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt as _;
use kiln_farm::store::{BuildId, Lease};
use support::{makepkg_log, Farm};
use tower::ServiceExt as _;

async fn send(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, String, axum::http::HeaderMap) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned(), headers)
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let (s, b, _) = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    (s, b)
}

fn post(uri: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut r = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(body.to_owned())).unwrap()
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A farm with a succeeded build (with an artifact), a failed one, and a
/// running one.
fn farm() -> (Farm, BuildId, BuildId, Lease) {
    let mut farm = Farm::new();
    let lease = farm.start("hello", &makepkg_log(false));
    let ok = farm.finish(
        lease,
        true,
        &[(
            "hello-1.0-1-x86_64.pkg.tar.zst",
            b"package bytes",
            &["usr/bin/hello", "usr/share/doc/hello/README"],
        )],
    );
    let lease = farm.start("zlib", &makepkg_log(true));
    let failed = farm.finish(lease, false, &[]);
    let running = farm.start("hello", "==> Making package: hello 1.0-1\ncompiling\n");
    (farm, ok, failed, running)
}

mod pages {
    use super::*;

    #[tokio::test]
    async fn overview_lists_counts_running_and_failures_with_charts() {
        let (farm, _, failed, running) = farm();
        let running = running.build;
        let app = kiln_web::router(farm.state(None, false));
        let (status, body) = get(&app, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains(&format!("href=\"/builds/{running}\"")),
            "running build listed"
        );
        assert!(
            body.contains(&format!("href=\"/builds/{failed}\"")),
            "failure listed"
        );
        assert!(body.contains("id=\"chart-builds\"") && body.contains("id=\"chart-queue\""));
        assert!(
            body.contains("<rect class=\"ok\""),
            "a bar for the finished builds"
        );
    }

    #[tokio::test]
    async fn builds_list_filters_and_paginates() {
        let (farm, ok, failed, _) = farm();
        let app = kiln_web::router(farm.state(None, false));
        let (status, body) = get(&app, "/builds?status=failed").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&format!("href=\"/builds/{failed}\"")));
        assert!(!body.contains(&format!("href=\"/builds/{ok}\"")));
        let (_, body) = get(&app, "/builds?name=hello&origin=arch&since=24h").await;
        assert!(body.contains("2 builds"), "{body}");
        let (status, body) = get(&app, "/builds?status=exploded").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("unknown status"));
    }

    #[tokio::test]
    async fn build_page_shows_inputs_artifacts_and_the_log_tail() {
        let (farm, ok, _, _) = farm();
        let app = kiln_web::router(farm.state(None, false));
        let (status, body) = get(&app, &format!("/builds/{ok}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("glibc") && body.contains("2.41-1"));
        assert!(body.contains("usr/bin/hello"));
        assert!(body.contains(&format!(
            "/builds/{ok}/artifacts/hello-1.0-1-x86_64.pkg.tar.zst"
        )));
        assert!(body.contains("Finished making"));
        let (status, _) = get(&app, "/builds/999999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn artifact_downloads_from_the_artifact_store() {
        let (farm, ok, _, _) = farm();
        let app = kiln_web::router(farm.state(None, false));
        let (status, body, headers) = send(
            &app,
            Request::get(format!(
                "/builds/{ok}/artifacts/hello-1.0-1-x86_64.pkg.tar.zst"
            ))
            .body(Body::empty())
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "package bytes");
        assert!(headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment"));
        let (status, _) = get(&app, &format!("/builds/{ok}/artifacts/nope.pkg")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn recipe_page_translates_and_lists_builds() {
        let (farm, ok, _, _) = farm();
        let app = kiln_web::router(farm.state(None, false));
        let (status, body) = get(&app, "/recipes/arch/hello").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("(package"), "a Guix translation");
        assert!(body.contains(&format!("href=\"/builds/{ok}\"")));
        let (_, body) = get(&app, "/recipes?q=hello").await;
        assert!(body.contains("href=\"/recipes/arch/hello\""));
        let (status, _) = get(&app, "/recipes/debian/hello").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = get(&app, "/compare").await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn unknown_page_is_404() {
        let (farm, ..) = farm();
        let app = kiln_web::router(farm.state(None, false));
        assert_eq!(get(&app, "/nope").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, "/static/style.css").await.0, StatusCode::OK);
        assert_eq!(get(&app, "/static/evil.js").await.0, StatusCode::NOT_FOUND);
    }
}

mod logs {
    use super::*;

    #[tokio::test]
    async fn hostile_log_text_is_escaped_everywhere() {
        let (mut farm, ..) = farm();
        let hostile = "<script>alert('x')</script> \x1b[31m<img src=x onerror=alert(1)>\x1b[0m\n\
                       error: <b>bold</b> & \"quotes\"\n";
        let lease = farm.start("zlib", hostile);
        let id = farm.finish(lease, false, &[]);
        let app = kiln_web::router(farm.state(None, false));
        for uri in [
            format!("/builds/{id}/log"),
            format!("/builds/{id}"),
            format!("/builds/{id}/log?q=script"),
            "/logs/search?q=script".to_owned(),
        ] {
            let (status, body) = get(&app, &uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert!(!body.contains("<script>alert"), "{uri} leaks a script tag");
            assert!(!body.contains("<img"), "{uri} leaks an img tag");
            assert!(!body.contains("<b>bold"), "{uri} leaks markup");
            assert!(
                body.contains("&lt;script&gt;"),
                "{uri} shows the text escaped"
            );
        }
        let (_, chunk) = get(&app, &format!("/builds/{id}/log/chunk?end=100000")).await;
        let html = json(&chunk)["html"].as_str().unwrap().to_owned();
        assert!(html.contains("&lt;img") && !html.contains("<img"));
    }

    #[tokio::test]
    async fn log_page_folds_stages_anchors_lines_and_marks_the_first_error() {
        let (farm, _, failed, _) = farm();
        let app = kiln_web::router(farm.state(None, false));
        let (_, body) = get(&app, &format!("/builds/{failed}/log")).await;
        assert!(body.contains("id=\"L1\""));
        assert!(body.contains("href=\"#L5\""));
        assert!(body.contains("<details class=\"section\" open>"));
        // Line 34 is the compiler error (3 stage lines, 30 cc lines).
        assert!(
            body.contains("<a href=\"#L34\">first error: line 34</a>"),
            "{body}"
        );
        assert!(body.contains("class=\"l err\" id=\"L34\""));
        assert!(body.contains("<span class=\"a-b a-f2\">==&gt;</span>"));
    }

    #[tokio::test]
    async fn a_big_log_shows_its_tail_and_earlier_chunks_on_request() {
        let (mut farm, ..) = farm();
        let text: String = (1..=5_000).map(|i| format!("line {i}\n")).collect();
        let lease = farm.start("zlib", &text);
        let id = farm.finish(lease, true, &[]);
        let app = kiln_web::router(farm.state(None, false));
        let (_, body) = get(&app, &format!("/builds/{id}/log")).await;
        assert!(body.contains("id=\"L5000\"") && body.contains("id=\"L3001\""));
        assert!(!body.contains("id=\"L3000\""), "only the tail is sent");
        assert!(body.contains("Load earlier lines"));
        let start = text.find("line 3001\n").unwrap();
        let (_, chunk) = get(
            &app,
            &format!("/api/v1/builds/{id}/log?end={start}&lines=10"),
        )
        .await;
        let c = json(&chunk);
        assert_eq!(c["first_line"], 2991);
        assert_eq!(c["lines"][9], "line 3000");
        let (_, around) = get(&app, &format!("/builds/{id}/log?around=10")).await;
        assert!(around.contains("id=\"L10\"") && around.contains("id=\"L1\""));
        let (_, found) = get(&app, &format!("/builds/{id}/log?q=line%204999")).await;
        assert!(
            found.contains("?around=4999#L4999"),
            "search links to the line"
        );
        let (status, raw, _) = send(
            &app,
            Request::get(format!("/builds/{id}/log/raw"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(raw, text);
    }

    #[tokio::test]
    async fn search_across_logs_indexes_finished_logs_lazily() {
        let (farm, ok, failed, _) = farm();
        let app = kiln_web::router(farm.state(None, false));
        let (status, body) = get(&app, "/api/v1/logs/search?q=expected%20token").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let hits = json(&body);
        assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
        assert_eq!(hits[0]["build"], failed.0);
        assert_eq!(hits[0]["line_no"], 34);
        let (_, body) = get(&app, "/logs/search?q=fakeroot").await;
        assert!(body.contains(&format!("/builds/{ok}/log?around=")));
    }

    #[tokio::test]
    async fn sse_sends_appended_lines_and_the_end() {
        let (mut farm, _, _, lease) = farm();
        let running = lease.build;
        let app = kiln_web::router(farm.state(None, false));
        let size = std::fs::metadata(farm.dirs.log_path(running.0))
            .unwrap()
            .len();
        let resp = app
            .clone()
            .oneshot(
                Request::get(format!("/builds/{running}/log/events?offset={size}&line=3"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
        let mut body = resp.into_body();
        farm.append(running, "new <line>\n");
        let mut seen = String::new();
        while !seen.contains("new &lt;line&gt;") {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
                .await
                .expect("a live line within 5 s")
                .unwrap()
                .unwrap();
            if let Ok(data) = frame.into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
            }
        }
        assert!(
            seen.contains("event: lines") && seen.contains("id=\\\"L3\\\""),
            "{seen}"
        );
        farm.finish(lease, true, &[]);
        while !seen.contains("event: end") {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
                .await
                .expect("the end within 5 s")
                .unwrap()
                .unwrap();
            if let Ok(data) = frame.into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
            }
        }
        assert!(seen.contains("succeeded"));
    }
}

mod api {
    use super::*;

    #[tokio::test]
    async fn reads_return_json() {
        let (farm, ok, _, _) = farm();
        let app = kiln_web::router(farm.state(None, false));
        let (status, body) = get(&app, "/api/v1/builds?status=succeeded").await;
        assert_eq!(status, StatusCode::OK);
        let v = json(&body);
        assert_eq!(v["total"], 1);
        assert_eq!(v["builds"][0]["id"], ok.0);
        let v = json(&get(&app, &format!("/api/v1/builds/{ok}")).await.1);
        assert_eq!(v["artifacts"][0]["files"][0], "usr/bin/hello");
        let v = json(&get(&app, &format!("/api/v1/builds/{ok}/artifacts")).await.1);
        assert!(v[0]["url"].as_str().unwrap().ends_with(".pkg.tar.zst"));
        let v = json(&get(&app, "/api/v1/recipes/arch/hello").await.1);
        assert!(v["translation"]["text"]
            .as_str()
            .unwrap()
            .contains("(package"));
        for uri in [
            "/api/v1/overview",
            "/api/v1/compare",
            "/api/v1/advisories",
            "/api/v1/waves",
            "/api/v1/recipes?q=zlib",
        ] {
            assert_eq!(get(&app, uri).await.0, StatusCode::OK, "{uri}");
        }
    }

    #[tokio::test]
    async fn errors_are_json_with_status() {
        let (farm, ..) = farm();
        let app = kiln_web::router(farm.state(Some("s3cret"), false));
        let (status, body) = get(&app, "/api/v1/builds/424242").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let v = json(&body);
        assert_eq!(v["status"], 404);
        assert_eq!(v["error"], "no build 424242");
        let (status, body) = get(&app, "/api/v1/nothing").await;
        assert_eq!(
            (status, json(&body)["status"].clone()),
            (StatusCode::NOT_FOUND, 404.into())
        );
        let (status, body, _) =
            send(&app, post("/api/v1/builds", Some("s3cret"), "{not json")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(json(&body)["error"].as_str().unwrap().contains("JSON"));
        let (status, body, _) = send(
            &app,
            post(
                "/api/v1/builds",
                Some("s3cret"),
                r#"{"names":["no-such-recipe"]}"#,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }

    #[tokio::test]
    async fn queueing_needs_the_token() {
        let (farm, ..) = farm();
        let app = kiln_web::router(farm.state(Some("s3cret"), false));
        let body = r#"{"names":["zlib"],"origin":"arch"}"#;
        let (status, resp, _) = send(&app, post("/api/v1/builds", None, body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(json(&resp)["status"], 401);
        let (status, _, _) = send(&app, post("/api/v1/builds", Some("wrong"), body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, resp, _) = send(&app, post("/api/v1/builds", Some("s3cret"), body)).await;
        assert_eq!(status, StatusCode::CREATED, "{resp}");
        let queued = json(&resp);
        let id = queued["queued"][0]["build"].as_i64().unwrap();
        let v = json(&get(&app, &format!("/api/v1/builds/{id}")).await.1);
        assert_eq!(v["build"]["status"], "queued");
    }

    #[tokio::test]
    async fn writes_are_refused_without_a_configured_token() {
        let (farm, ..) = farm();
        let app = kiln_web::router(farm.state(None, false));
        let (status, _, _) = send(
            &app,
            post("/api/v1/builds", Some(""), r#"{"names":["zlib"]}"#),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn rebuild_with_dependents_queues_a_wave() {
        let (farm, ..) = farm();
        let app = kiln_web::router(farm.state(Some("t"), false));
        let (status, resp, _) = send(
            &app,
            post(
                "/api/v1/rebuilds",
                Some("t"),
                r#"{"name":"libfoo","dependents":true}"#,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{resp}");
        let v = json(&resp);
        let wave = v["waves"][0]["wave"].as_i64().unwrap();
        let names: Vec<&str> = v["waves"][0]["queued"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"libfoo") && names.contains(&"tool"),
            "{names:?}"
        );
        let (status, page) = get(&app, &format!("/waves/{wave}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("id=\"wave-graph\"") && page.contains("class=\"edge\""),
            "{page}"
        );
        assert!(
            page.contains("id=\"wave-live\" data-live=\"wave\""),
            "a wave not over refreshes itself"
        );
        let (status, _, _) = send(&app, post("/api/v1/rebuilds", Some("t"), r#"{}"#)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn protect_reads_guards_pages_and_api_but_not_assets() {
        let (farm, ..) = farm();
        let app = kiln_web::router(farm.state(Some("t"), true));
        assert_eq!(
            get(&app, "/api/v1/builds").await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(get(&app, "/").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(get(&app, "/metrics").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(get(&app, "/static/app.js").await.0, StatusCode::OK);
        let (status, _, _) = send(
            &app,
            Request::get("/api/v1/builds")
                .header(header::AUTHORIZATION, "Bearer t")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn metrics_in_prometheus_text_format() {
        let (farm, ..) = farm();
        let app = kiln_web::router(farm.state(None, false));
        let (status, body) = get(&app, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("kiln_queue_length 0"), "{body}");
        assert!(body.contains("kiln_builds{status=\"succeeded\"} 1"));
        assert!(body.contains("kiln_builds{status=\"running\"} 1"));
        assert!(body.contains("kiln_build_duration_seconds_count 2"));
        assert!(body.contains("kiln_build_duration_seconds_bucket{le=\"+Inf\"} 2"));
    }
}
