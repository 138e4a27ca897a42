//! The labels of a build container: the build it belongs to, and the limits
//! and creation time it runs under, so that a coordinator that restarted
//! can find its builds and finish them under the same limits.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::executor::{BuildJob, Limits};

/// Label holding the build id; every Kiln build container has it.
pub const LABEL_BUILD: &str = "kiln.build";
/// Label holding the recipe name.
pub const LABEL_RECIPE: &str = "kiln.recipe";
/// Label: creation time, Unix seconds (the wall clock counts from it).
pub const LABEL_CREATED: &str = "kiln.created";
/// Label: wall-clock limit in seconds.
pub const LABEL_WALL: &str = "kiln.limit.wall-clock-secs";
/// Label: log-silence limit in seconds.
pub const LABEL_SILENCE: &str = "kiln.limit.silence-secs";
/// Label: grace from stop to kill in seconds.
pub const LABEL_GRACE: &str = "kiln.limit.stop-grace-secs";
/// Label: log cap in bytes.
pub const LABEL_LOG_CAP: &str = "kiln.limit.log-bytes";
/// Label: artifact cap in bytes.
pub const LABEL_ARTIFACT_CAP: &str = "kiln.limit.artifact-bytes";

/// All labels of the container of `job` created at `now`: the job's own,
/// then Kiln's (which win).
pub fn container_labels(job: &BuildJob, now: SystemTime) -> HashMap<String, String> {
    let limits = &job.limits;
    let mut labels: HashMap<String, String> = job
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut set = |key: &str, value: String| {
        labels.insert(key.to_string(), value);
    };
    set(LABEL_BUILD, job.build_id.clone());
    set(LABEL_RECIPE, job.recipe.clone());
    set(LABEL_CREATED, unix_secs(now).to_string());
    set(LABEL_WALL, limits.wall_clock.as_secs().to_string());
    set(LABEL_SILENCE, limits.silence.as_secs().to_string());
    set(LABEL_GRACE, limits.stop_grace.as_secs().to_string());
    set(LABEL_LOG_CAP, limits.log_cap_bytes.to_string());
    set(LABEL_ARTIFACT_CAP, limits.artifact_cap_bytes.to_string());
    labels
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Limits and creation time recorded in a container's labels; missing or
/// unreadable labels fall back to the defaults.
pub fn limits_from_labels(labels: &HashMap<String, String>) -> (Limits, SystemTime) {
    let num = |key: &str| labels.get(key).and_then(|v| v.parse::<u64>().ok());
    let mut limits = Limits::default();
    if let Some(v) = num(LABEL_WALL) {
        limits.wall_clock = Duration::from_secs(v);
    }
    if let Some(v) = num(LABEL_SILENCE) {
        limits.silence = Duration::from_secs(v);
    }
    if let Some(v) = num(LABEL_GRACE) {
        limits.stop_grace = Duration::from_secs(v);
    }
    if let Some(v) = num(LABEL_LOG_CAP) {
        limits.log_cap_bytes = usize::try_from(v).unwrap_or(usize::MAX);
    }
    if let Some(v) = num(LABEL_ARTIFACT_CAP) {
        limits.artifact_cap_bytes = v;
    }
    let created =
        num(LABEL_CREATED).map_or_else(SystemTime::now, |s| UNIX_EPOCH + Duration::from_secs(s));
    (limits, created)
}

/// Parses the engine's timestamps (`2026-11-29T05:51:29.123456789Z`).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.strip_suffix('Z')?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    // Days from civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    let nanos: u32 = format!("{frac:0<9}")[..9].parse().ok()?;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_timestamps_parse() {
        let t = parse_rfc3339("2026-11-29T05:51:29.5Z").unwrap();
        let d = t.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(d.as_secs(), 1_795_931_489);
        assert_eq!(d.subsec_millis(), 500);
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(parse_rfc3339("garbage"), None);
    }

    #[test]
    fn limits_round_trip_through_labels() {
        let job = BuildJob {
            build_id: "b1".into(),
            recipe: "libfoo".into(),
            image: "kiln-build:x".into(),
            files: Vec::new(),
            install: Vec::new(),
            limits: Limits {
                wall_clock: Duration::from_secs(60),
                silence: Duration::from_secs(7),
                log_cap_bytes: 100,
                ..Limits::default()
            },
            labels: [(LABEL_BUILD.to_string(), "spoofed".to_string())].into(),
        };
        let created = UNIX_EPOCH + Duration::from_secs(1000);
        let labels = container_labels(&job, created);
        assert_eq!(labels[LABEL_BUILD], "b1");
        assert_eq!(labels[LABEL_RECIPE], "libfoo");
        assert_eq!(limits_from_labels(&labels), (job.limits, created));
        let (limits, _) = limits_from_labels(&HashMap::new());
        assert_eq!(limits, Limits::default());
    }
}
