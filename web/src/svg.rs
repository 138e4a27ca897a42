//! Charts and graphs drawn on the server as inline SVG: builds per hour
//! (stacked bars), queue depth (a line), and a wave's builds layered by
//! wave with their waits as edges. Labels go through maud's escaping.

use std::collections::BTreeMap;

use kiln_farm::store::{ActivityBucket, Build, BuildId, BuildStatus};
use maud::{html, Markup};

const W: f64 = 720.0;
const H: f64 = 160.0;
const PAD: f64 = 28.0;

fn hour_label(secs: i64) -> String {
    format!("{:02}:00", secs.rem_euclid(86_400) / 3_600)
}

/// Builds finished per bucket, succeeded and failed stacked.
pub fn builds_per_hour(buckets: &[ActivityBucket]) -> Markup {
    let max = buckets
        .iter()
        .map(|b| b.succeeded + b.failed)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = buckets.len().max(1) as f64;
    let bw = (W - 2.0 * PAD) / n;
    let y = |v: f64| H - PAD - v / max * (H - 2.0 * PAD);
    html! {
        svg.chart #chart-builds xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (W) " " (H) } role="img" aria-label="builds finished per hour" {
            line.axis x1=(PAD) y1=(H - PAD) x2=(W - PAD) y2=(H - PAD) {}
            text.label x=(PAD) y=(PAD - 10.0) { "builds per hour (max " (max as u64) ")" }
            @for (i, b) in buckets.iter().enumerate() {
                @let x = PAD + i as f64 * bw;
                @let ok_top = y(b.succeeded as f64);
                @let fail_top = y((b.succeeded + b.failed) as f64);
                rect.ok x=(x + 1.0) y=(ok_top) width=(bw - 2.0) height=(H - PAD - ok_top) {
                    title { (hour_label(b.start)) ": " (b.succeeded) " succeeded, " (b.failed) " failed" }
                }
                rect.fail x=(x + 1.0) y=(fail_top) width=(bw - 2.0) height=(ok_top - fail_top) {}
                @if i % 4 == 0 {
                    text.tick x=(x) y=(H - PAD + 14.0) { (hour_label(b.start)) }
                }
            }
        }
    }
}

/// Queue depth at the end of each bucket, as a line.
pub fn queue_depth(buckets: &[ActivityBucket]) -> Markup {
    let max = buckets
        .iter()
        .map(|b| b.queue_depth)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = buckets.len().max(2) as f64 - 1.0;
    let points: Vec<String> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let x = PAD + i as f64 / n * (W - 2.0 * PAD);
            let y = H - PAD - b.queue_depth as f64 / max * (H - 2.0 * PAD);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    html! {
        svg.chart #chart-queue xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (W) " " (H) } role="img" aria-label="queue depth" {
            line.axis x1=(PAD) y1=(H - PAD) x2=(W - PAD) y2=(H - PAD) {}
            text.label x=(PAD) y=(PAD - 10.0) { "queue depth (max " (max as u64) ")" }
            polyline.depth points=(points.join(" ")) {}
            @for (i, b) in buckets.iter().enumerate() {
                @if i % 4 == 0 {
                    text.tick x=(PAD + i as f64 / n * (W - 2.0 * PAD)) y=(H - PAD + 14.0) { (hour_label(b.start)) }
                }
            }
        }
    }
}

/// A wave's builds: one column per layer (builds that wait on nothing in
/// the wave first), edges for waits, nodes linking to builds and coloured
/// by status.
pub fn wave_graph(builds: &[Build], edges: &[(BuildId, BuildId)]) -> Markup {
    let mut layer: BTreeMap<BuildId, usize> = builds.iter().map(|b| (b.id, 0)).collect();
    // Longest path from a root; edges only go to earlier ids, bounded
    // passes guard against cycles.
    for _ in 0..builds.len().min(64) {
        let mut changed = false;
        for (b, on) in edges {
            if let (Some(&lo), Some(&lb)) = (layer.get(on), layer.get(b)) {
                if lb < lo + 1 {
                    layer.insert(*b, lo + 1);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut columns: BTreeMap<usize, Vec<&Build>> = BTreeMap::new();
    for b in builds {
        columns.entry(layer[&b.id]).or_default().push(b);
    }
    let (cw, rh, nw, nh) = (190.0, 34.0, 160.0, 24.0);
    let rows = columns.values().map(Vec::len).max().unwrap_or(1);
    let width = columns.len().max(1) as f64 * cw + 20.0;
    let height = rows as f64 * rh + 40.0;
    let mut pos: BTreeMap<BuildId, (f64, f64)> = BTreeMap::new();
    for (c, list) in &columns {
        for (r, b) in list.iter().enumerate() {
            pos.insert(b.id, (10.0 + *c as f64 * cw, 30.0 + r as f64 * rh));
        }
    }
    html! {
        svg.graph #wave-graph xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height) {
            @for c in columns.keys() {
                text.label x=(10.0 + *c as f64 * cw) y="16" { "layer " (c) }
            }
            @for (b, on) in edges {
                @if let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(on), pos.get(b)) {
                    line.edge x1=(x1 + nw) y1=(y1 + nh / 2.0) x2=(x2) y2=(y2 + nh / 2.0) {}
                }
            }
            @for b in builds {
                @let (x, y) = pos[&b.id];
                a href={ "/builds/" (b.id) } {
                    rect class={ "node s-" (b.status.as_str()) } x=(x) y=(y) width=(nw) height=(nh) rx="4" {
                        title { "build " (b.id) ": " (b.name) " " (b.version) " — " (b.status) }
                    }
                    text.nodelabel x=(x + 6.0) y=(y + 16.0) { (b.name) " #" (b.id) }
                }
            }
        }
    }
}

/// Builds of a wave by status, for its progress bar.
pub fn progress(builds: &[Build]) -> Markup {
    let total = builds.len().max(1) as f64;
    let mut x = 0.0;
    let mut bars = Vec::new();
    for s in BuildStatus::ALL {
        let n = builds.iter().filter(|b| b.status == s).count();
        if n > 0 {
            let w = n as f64 / total * 600.0;
            bars.push((s, n, x, w));
            x += w;
        }
    }
    html! {
        svg.progress xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 20" {
            @for (s, n, x, w) in &bars {
                rect class={ "s-" (s.as_str()) } x=(x) y="0" width=(w) height="20" { title { (s.as_str()) ": " (n) } }
            }
        }
    }
}
