//! `/metrics` in the Prometheus text format: builds by status (the queue
//! length is `kiln_builds{status="queued"}`), a histogram of build
//! durations, and endpoint slots in use when the coordinator runs here.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use kiln_farm::store::BuildStatus;

use crate::error::ApiError;
use crate::state::AppState;

/// Upper bounds of the duration histogram, in seconds.
const BOUNDS: [i64; 9] = [10, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200];

/// `GET /metrics`
pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let (counts, hist) = state
        .with_store(|s| Ok((s.build_counts()?, s.build_duration_histogram(&BOUNDS)?)))
        .await?;
    let mut out = String::new();
    let count = |s: BuildStatus| counts.iter().find(|(c, _)| *c == s).map_or(0, |c| c.1);
    let _ = writeln!(out, "# HELP kiln_queue_length Builds waiting to run.");
    let _ = writeln!(out, "# TYPE kiln_queue_length gauge");
    let _ = writeln!(out, "kiln_queue_length {}", count(BuildStatus::Queued));
    let _ = writeln!(out, "# HELP kiln_builds Builds by status.");
    let _ = writeln!(out, "# TYPE kiln_builds gauge");
    for s in BuildStatus::ALL {
        let _ = writeln!(out, "kiln_builds{{status=\"{}\"}} {}", s.as_str(), count(s));
    }
    let _ = writeln!(
        out,
        "# HELP kiln_build_duration_seconds Wall time of builds that ran."
    );
    let _ = writeln!(out, "# TYPE kiln_build_duration_seconds histogram");
    for (bound, n) in &hist.buckets {
        let _ = writeln!(
            out,
            "kiln_build_duration_seconds_bucket{{le=\"{bound}\"}} {n}"
        );
    }
    let _ = writeln!(
        out,
        "kiln_build_duration_seconds_bucket{{le=\"+Inf\"}} {}",
        hist.count
    );
    let _ = writeln!(out, "kiln_build_duration_seconds_sum {}", hist.sum);
    let _ = writeln!(out, "kiln_build_duration_seconds_count {}", hist.count);
    if let Some(c) = state.coordinator() {
        let _ = writeln!(
            out,
            "# HELP kiln_endpoint_slots_in_use Builds running per endpoint."
        );
        let _ = writeln!(out, "# TYPE kiln_endpoint_slots_in_use gauge");
        let load = c.endpoint_load();
        for (name, used, _) in &load {
            let _ = writeln!(
                out,
                "kiln_endpoint_slots_in_use{{endpoint=\"{}\"}} {used}",
                label(name)
            );
        }
        let _ = writeln!(out, "# HELP kiln_endpoint_slots Slots per endpoint.");
        let _ = writeln!(out, "# TYPE kiln_endpoint_slots gauge");
        for (name, _, slots) in &load {
            let _ = writeln!(
                out,
                "kiln_endpoint_slots{{endpoint=\"{}\"}} {slots}",
                label(name)
            );
        }
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    ))
}

/// A label value escaped as the text format wants.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
