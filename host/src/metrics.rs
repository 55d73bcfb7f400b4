//! In-process metrics: Prometheus text at `/metrics`, the Go JSON shape at `/metrics?format=json`.
//! Counters reset on restart. `/metrics` itself is counted after it responds.
//!
//! Label values never come from request data unchecked, so a client can neither grow the series
//! without bound nor inject text: `route` is the matched route pattern, `method` one of the
//! standard methods (anything else is `OTHER`), `entity_type` a built-in entity type or one of the
//! policy's custom detectors (anything else a client supplies is `other`), and every label value
//! is escaped ([`escape_label`]) all the same.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::receipts::WriterStats;
use crate::runtime::Runtime;

/// Upper bounds (seconds) of the request latency histogram.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Route {
    count: u64,
    latency_sum: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
struct Inner {
    total: u64,
    errors: u64,
    latency_sum: f64,
    /// (route, method, status) -> count
    requests: BTreeMap<(String, String, u16), u64>,
    by_status: BTreeMap<u16, u64>,
    by_method: BTreeMap<String, u64>,
    routes: BTreeMap<String, Route>,
    decisions: BTreeMap<String, u64>,
    findings: BTreeMap<String, u64>,
}

/// The counters.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    /// The policy's custom detector names: label values besides the built-in types.
    custom_types: BTreeSet<String>,
    /// Policy reloads (`crate::reload`) applied.
    reloads_ok: AtomicU64,
    /// Policy reloads refused (the previous policy stays).
    reloads_failed: AtomicU64,
}

/// One unlabelled series: its `# HELP` and `# TYPE` lines and its value.
fn scalar(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    let _ = writeln!(out, "{name} {value}");
}

/// A Prometheus label value, escaped (text format 0.0.4: `\\`, `\"`, `\n`).
pub fn escape_label(v: &str) -> Cow<'_, str> {
    if !v.contains(['\\', '"', '\n']) {
        return Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len() + 8);
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The `method` label: a standard method, else `OTHER` (a client picks the method).
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("OTHER")
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Go's `/metrics` JSON.
#[derive(Debug, Serialize)]
pub struct GoMetrics {
    pub total_requests: u64,
    pub error_requests: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_path: BTreeMap<String, u64>,
    pub by_method: BTreeMap<String, u64>,
    pub by_path_avg_latency_ms: BTreeMap<String, f64>,
    pub avg_latency_ms: f64,
    pub started_at: String,
    pub uptime_seconds: f64,
}

impl Metrics {
    /// Metrics whose `entity_type` label also admits `custom_types` (the policy's custom
    /// detector names).
    pub fn new(custom_types: impl IntoIterator<Item = String>) -> Metrics {
        Metrics {
            inner: Mutex::default(),
            custom_types: custom_types.into_iter().collect(),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
        }
    }

    /// A policy reload: `ok` applied, else refused (the old policy stays).
    pub fn record_reload(&self, ok: bool) {
        let n = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        n.fetch_add(1, Ordering::Relaxed);
    }

    /// The `entity_type` label of a finding's type (see the module docs).
    pub fn entity_label<'a>(&'a self, t: &'a str) -> &'a str {
        if let Some(e) = datafog::EntityType::parse(t) {
            return e.as_str();
        }
        match self.custom_types.get(t) {
            Some(name) => name.as_str(),
            None => "other",
        }
    }

    pub fn record_request(&self, method: &str, route: &str, status: u16, latency: Duration) {
        let method = method_label(method);
        let Ok(mut m) = self.inner.lock() else {
            return;
        };
        let secs = latency.as_secs_f64();
        m.total += 1;
        if status >= 400 {
            m.errors += 1;
        }
        m.latency_sum += secs;
        *m.requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        *m.by_status.entry(status).or_default() += 1;
        *m.by_method.entry(method.to_owned()).or_default() += 1;
        let r = m.routes.entry(route.to_owned()).or_default();
        r.count += 1;
        r.latency_sum += secs;
        for (b, le) in r.buckets.iter_mut().zip(BUCKETS) {
            if secs <= le {
                *b += 1;
            }
        }
    }

    pub fn record_decision(&self, effect: &str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.decisions.entry(effect.to_owned()).or_default() += 1;
        }
    }

    /// Count a scan's or a decide's findings by type: `counts` (its `finding_counts`) when the
    /// findings cap cut the list, else each of `findings`.
    pub fn record_found(
        &self,
        findings: &[datafog::api::ScanFinding],
        counts: &std::collections::BTreeMap<String, u64>,
    ) {
        if counts.is_empty() {
            self.record_findings(findings.iter().map(|f| (f.entity_type.as_str(), 1)));
        } else {
            self.record_findings(counts.iter().map(|(t, n)| (t.as_str(), *n)));
        }
    }

    /// Count findings by type: `(type, how many)` pairs.
    pub fn record_findings<'a>(&self, types: impl Iterator<Item = (&'a str, u64)>) {
        if let Ok(mut m) = self.inner.lock() {
            for (t, count) in types {
                let label = self.entity_label(t);
                match m.findings.get_mut(label) {
                    Some(n) => *n += count,
                    None => {
                        m.findings.insert(label.to_owned(), count);
                    }
                }
            }
        }
    }

    pub fn go_json(&self, started_at: &str, uptime: Duration) -> GoMetrics {
        let m = self.inner.lock().ok();
        let Some(m) = m else {
            return GoMetrics {
                total_requests: 0,
                error_requests: 0,
                by_status: BTreeMap::new(),
                by_path: BTreeMap::new(),
                by_method: BTreeMap::new(),
                by_path_avg_latency_ms: BTreeMap::new(),
                avg_latency_ms: 0.0,
                started_at: started_at.to_owned(),
                uptime_seconds: uptime.as_secs_f64(),
            };
        };
        let avg = |sum: f64, n: u64| if n == 0 { 0.0 } else { sum * 1000.0 / n as f64 };
        GoMetrics {
            total_requests: m.total,
            error_requests: m.errors,
            by_status: m
                .by_status
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            by_path: m.routes.iter().map(|(k, r)| (k.clone(), r.count)).collect(),
            by_method: m.by_method.clone(),
            by_path_avg_latency_ms: m
                .routes
                .iter()
                .map(|(k, r)| (k.clone(), avg(r.latency_sum, r.count)))
                .collect(),
            avg_latency_ms: avg(m.latency_sum, m.total),
            started_at: started_at.to_owned(),
            uptime_seconds: uptime.as_secs_f64(),
        }
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn prometheus(
        &self,
        runtime: &Runtime,
        stats: &WriterStats,
        disk: &crate::disk::DiskFloor,
    ) -> String {
        let mut out = String::new();
        if let Ok(m) = self.inner.lock() {
            let _ = writeln!(
                out,
                "# HELP datafog_http_requests_total HTTP requests by route, method and status."
            );
            let _ = writeln!(out, "# TYPE datafog_http_requests_total counter");
            for ((route, method, status), n) in &m.requests {
                let (route, method) = (escape_label(route), escape_label(method));
                let _ = writeln!(
                    out,
                    "datafog_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "# HELP datafog_http_request_duration_seconds Request latency by route."
            );
            let _ = writeln!(
                out,
                "# TYPE datafog_http_request_duration_seconds histogram"
            );
            for (route, r) in &m.routes {
                let route = escape_label(route);
                for (le, n) in BUCKETS.iter().zip(r.buckets) {
                    let _ = writeln!(
                        out,
                        "datafog_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "datafog_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    r.count
                );
                let _ = writeln!(
                    out,
                    "datafog_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    r.latency_sum
                );
                let _ = writeln!(
                    out,
                    "datafog_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    r.count
                );
            }
            let _ = writeln!(out, "# HELP datafog_decisions_total Decisions by effect.");
            let _ = writeln!(out, "# TYPE datafog_decisions_total counter");
            for (effect, n) in &m.decisions {
                let effect = escape_label(effect);
                let _ = writeln!(out, "datafog_decisions_total{{effect=\"{effect}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "# HELP datafog_findings_total Findings by entity type (scan and decide; types that are neither built in nor a policy custom detector count as `other`)."
            );
            let _ = writeln!(out, "# TYPE datafog_findings_total counter");
            for (t, n) in &m.findings {
                let t = escape_label(t);
                let _ = writeln!(out, "datafog_findings_total{{entity_type=\"{t}\"}} {n}");
            }
        }
        let s = stats;
        let batches = s.batches.load(Ordering::Relaxed);
        let written = s.receipts.load(Ordering::Relaxed);
        let fsync_total = s.fsync_micros_total.load(Ordering::Relaxed) as f64 / 1e6;
        let fsync_max = s.fsync_micros_max.load(Ordering::Relaxed) as f64 / 1e6;
        scalar(
            &mut out,
            "datafog_receipt_batches_total",
            "counter",
            "Group commits (one write + fsync each).",
            batches,
        );
        scalar(
            &mut out,
            "datafog_receipts_written_total",
            "counter",
            "Receipts made durable (receipts / batches = mean batch size).",
            written,
        );
        scalar(
            &mut out,
            "datafog_receipt_fsync_seconds_total",
            "counter",
            "Time in write + fsync.",
            fsync_total,
        );
        scalar(
            &mut out,
            "datafog_receipt_fsync_seconds_max",
            "gauge",
            "Slowest write + fsync.",
            fsync_max,
        );
        s.batch_sizes.render(
            &mut out,
            "datafog_receipt_batch_size",
            "Receipts per group commit (one write + fsync each).",
            1.0,
        );
        s.fsync_micros.render(
            &mut out,
            "datafog_receipt_fsync_duration_seconds",
            "Latency of one group commit (write + fsync).",
            1e6,
        );
        scalar(
            &mut out,
            "datafog_receipt_write_failures_total",
            "counter",
            "Group commits whose write or fsync failed (a full disk; none of their receipts was acknowledged).",
            s.write_failures.load(Ordering::Relaxed),
        );
        // The last reading (at most `disk::RECHECK` old while decides arrive; taken now if older).
        let _ = disk.is_below();
        if disk.free_bytes() != u64::MAX {
            scalar(
                &mut out,
                "datafog_receipts_disk_free_bytes",
                "gauge",
                "Free space of the receipts file system (statvfs, unprivileged).",
                disk.free_bytes(),
            );
        }
        scalar(
            &mut out,
            "datafog_receipts_disk_floor_bytes",
            "gauge",
            "DATAFOG_MIN_FREE_DISK_MB: below it decisions are refused (507 insufficient_storage); 0: no floor.",
            disk.floor_bytes(),
        );
        scalar(
            &mut out,
            "datafog_decides_refused_disk_total",
            "counter",
            "Decisions refused because the receipts disk was below its free-space floor.",
            disk.refused.load(Ordering::Relaxed),
        );
        for (name, help, n) in [
            (
                "datafog_guest_traps_total",
                "Guest calls that trapped (instance dropped).",
                runtime.trap_count(),
            ),
            (
                "datafog_guest_timeouts_total",
                "Guest calls past their deadline (instance dropped).",
                runtime.timeout_count(),
            ),
            (
                "datafog_guest_unavailable_total",
                "Guest calls that got no instance (instantiation or policy load failed; 500 guest_error).",
                runtime.unavailable_count(),
            ),
            (
                "datafog_guest_busy_total",
                "Guest calls that waited past the write timeout for an instance slot (503 guest_timeout).",
                runtime.busy_count(),
            ),
        ] {
            scalar(&mut out, name, "counter", help, n);
        }
        let _ = writeln!(
            out,
            "# HELP datafog_policy_reload_total Policy reloads (SIGHUP or the file watch) by result: ok (applied) or error (refused; the previous policy stays)."
        );
        let _ = writeln!(out, "# TYPE datafog_policy_reload_total counter");
        for (result, n) in [("ok", &self.reloads_ok), ("error", &self.reloads_failed)] {
            let _ = writeln!(
                out,
                "datafog_policy_reload_total{{result=\"{result}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("/v1/scan"), "/v1/scan");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn only_known_types_and_methods_become_labels() {
        let m = Metrics::new(["employee_id".to_owned()]);
        assert_eq!(m.entity_label("email"), "email");
        assert_eq!(m.entity_label(" EMAIL "), "email");
        assert_eq!(m.entity_label("employee_id"), "employee_id");
        assert_eq!(m.entity_label("Employee_ID"), "other");
        assert_eq!(m.entity_label("jane@example.com"), "other");
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("BREW"), "OTHER");
    }
}
