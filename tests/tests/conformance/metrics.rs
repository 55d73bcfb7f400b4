//! `GET /metrics`: Prometheus text whose decision and receipt counters move with a decide; the
//! per-route request metrics, the Go JSON shape, fsync metrics and per-client rate limits where
//! the host has them (`Caps`).

use serde_json::json;

use crate::client::Request;
use crate::hosts::{Host, Kind, each_host, each_host_where, unique};
use crate::schema;
use crate::support::{assert_error, decide, metrics, sample};

#[test]
fn prometheus_text_and_decision_counters_move() {
    each_host(|h| {
        let r = h.get("/metrics");
        assert_eq!(r.status, 200);
        assert_eq!(
            r.media_type().as_deref(),
            Some("text/plain"),
            "{:?}",
            r.header("content-type")
        );
        assert!(
            r.header("content-type")
                .is_some_and(|ct| ct.contains("version=0.0.4")),
            "content type {:?}: want Prometheus text 0.0.4",
            r.header("content-type")
        );
        // The document's `PrometheusText` holds on every host.
        schema::check("/metrics", "GET", &r);
        let before = r.text();
        let allow = "datafog_decisions_total{effect=\"allow\"}";
        let deny = "datafog_decisions_total{effect=\"deny\"}";
        let receipts = "datafog_receipts_written_total";
        decide(
            h,
            &json!({"action":{"type": format!("annotation.{}", unique("m"))}}),
        );
        decide(h, &json!({"action":{"type": unique("nomatch")}}));
        let after = metrics(h);
        assert!(
            sample(&after, allow) >= sample(&before, allow) + 1.0,
            "{allow} did not move:\n{after}"
        );
        assert!(
            sample(&after, deny) >= sample(&before, deny) + 1.0,
            "{deny} did not move:\n{after}"
        );
        assert!(
            sample(&after, receipts) >= sample(&before, receipts) + 2.0,
            "{receipts} did not move:\n{after}"
        );
        assert!(
            after.contains("# TYPE datafog_decisions_total counter"),
            "{after}"
        );
        // Every sample is one of ours: nothing a client sent became a series.
        for line in after
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            assert!(line.starts_with("datafog_"), "{line}");
        }
    });
}

#[test]
fn request_counters_and_latency_histograms() {
    each_host_where(
        |c| (!c.request_metrics).then_some("no per-route request metrics (Caps::request_metrics)"),
        |h| {
            let r = h.get("/metrics");
            schema::check("/metrics", "GET", &r);
            let series =
                "datafog_http_requests_total{route=\"/v1/scan\",method=\"POST\",status=\"200\"}";
            let before = sample(&r.text(), series);
            let s = h.post("/v1/scan", r#"{"text":"hello"}"#);
            assert_eq!(s.status, 200);
            let after = metrics(h);
            assert!(
                sample(&after, series) >= before + 1.0,
                "{series} did not move:\n{after}"
            );
            assert!(after.contains("# TYPE datafog_http_request_duration_seconds histogram"));
            assert!(
                after.contains("datafog_http_request_duration_seconds_bucket{route=\"/v1/scan\"")
            );
        },
    );
}

#[test]
fn metrics_go_json() {
    each_host_where(
        |c| (!c.metrics_json).then_some("no `?format=json` metrics (Caps::metrics_json)"),
        |h| {
            let r = h.get("/metrics?format=json");
            assert_eq!(r.status, 200);
            assert_eq!(r.media_type().as_deref(), Some("application/json"));
            schema::check("/metrics", "GET", &r);
            assert!(
                r.json()["total_requests"].as_u64().is_some_and(|n| n > 0),
                "{}",
                r.text()
            );
        },
    );
}

#[test]
fn fsync_metrics_move_with_a_decide() {
    each_host_where(
        |c| (!c.durable_fsync).then_some("no fsync durability claim (Caps::durable_fsync)"),
        |h| {
            let series = "datafog_receipt_fsync_duration_seconds_count";
            let before = sample(&metrics(h), series);
            decide(h, &json!({"action":{"type":"annotation.fsync"}}));
            let after = metrics(h);
            assert!(
                sample(&after, series) >= before + 1.0,
                "{series} did not move:\n{after}"
            );
        },
    );
}

/// A host of its own (the shared one has no limit): `DATAFOG_CLIENT_RATE_LIMIT_RPS=2`.
#[test]
fn per_client_rate_limit_is_429_with_retry_after() {
    each_host_where(
        |c| (!c.client_rate_limit).then_some("no per-client rate limit (Caps::client_rate_limit)"),
        |shared| {
            let kind = match shared.name {
                "native" => Kind::Native,
                "spin3" => Kind::Spin3,
                _ => Kind::Edge,
            };
            let h = Host::start(kind, &[("DATAFOG_CLIENT_RATE_LIMIT_RPS", "2")])
                .unwrap_or_else(|e| panic!("{e}"));
            // The start-up `/health` polls took tokens: let the bucket refill.
            std::thread::sleep(std::time::Duration::from_millis(1200));
            let statuses: Vec<u16> = (0..6).map(|_| h.get("/v1/policy/version").status).collect();
            assert_eq!(&statuses[..2], &[200, 200], "{statuses:?}");
            assert!(
                statuses.contains(&429),
                "no 429 in a burst of 6 at 2 rps: {statuses:?}"
            );
            let r = loop {
                let r = h.send(Request::get("/health"));
                if r.status == 429 {
                    break r;
                }
            };
            assert_error(&r, 429, "rate_limited", None, "over the client bucket");
            assert_eq!(r.header("retry-after"), Some("1"));
            schema::check("/health", "GET", &r);
            // Before the bucket: no token is still 401.
            let r = h.send(Request::get("/health").anonymous());
            assert_eq!(r.status, 401);
        },
    );
}

/// `format` is read alike on every host (the core's `metrics_wants_json`): Prometheus text by
/// default and for `prometheus`, JSON for `json` (any case), 400 for another value or another
/// parameter. (The JSON's shape differs: Go's request counters natively, the chain's counters at
/// the edge; see `Caps::metrics_json`.)
#[test]
fn metrics_format_is_read_alike() {
    each_host(|h| {
        for q in ["", "?format=prometheus", "?format=Prometheus"] {
            let r = h.get(&format!("/metrics{q}"));
            assert_eq!(r.status, 200, "{q}");
            assert_eq!(r.media_type().as_deref(), Some("text/plain"), "{q}");
        }
        let r = h.get("/metrics?format=JSON");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.media_type().as_deref(), Some("application/json"));
        assert!(r.json().is_object(), "{}", r.text());
        for q in [
            "?format=xml",
            "?format=",
            "?limit=1",
            "?format=json&format=json",
        ] {
            let r = h.get(&format!("/metrics{q}"));
            assert_error(&r, 400, "invalid_request", None, q);
        }
    });
}
