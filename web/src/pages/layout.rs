//! The page frame (head, navigation, assets) and small shared pieces:
//! status badges, times and durations.

use kiln_farm::store::BuildStatus;
use maud::{html, Markup, DOCTYPE};

/// A whole page around `body`.
pub fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Kiln" }
                link rel="stylesheet" href="/static/style.css";
            }
            body {
                nav.top {
                    a.brand href="/" { "Kiln" }
                    a href="/builds" { "Builds" }
                    a href="/recipes" { "Recipes" }
                    a href="/compare" { "Compare" }
                    a href="/advisories" { "Advisories" }
                    a href="/logs/search" { "Search logs" }
                }
                main { (body) }
                script src="/static/app.js" defer {}
            }
        }
    }
}

/// A build status as a coloured badge.
pub fn status_badge(status: BuildStatus) -> Markup {
    html! { span class={ "badge s-" (status.as_str()) } { (status.as_str()) } }
}

/// Unix seconds as UTC `YYYY-MM-DD HH:MM:SS`.
pub fn time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// An optional time, or a dash.
pub fn opt_time(secs: Option<i64>) -> String {
    secs.map_or_else(|| "–".to_owned(), time)
}

/// Seconds as `1h 2m 3s`.
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations() {
        assert_eq!(time(0), "1970-01-01 00:00:00");
        assert_eq!(time(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(61), "1m 1s");
        assert_eq!(duration(3_700), "1h 1m");
    }
}
