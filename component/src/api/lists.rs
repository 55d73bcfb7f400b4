//! `GET /v1/receipts` and `GET /v1/events`: the query parameters and what each list computes, as
//! accumulators a host feeds one stored line at a time (from a file, a database or a key-value
//! store), so memory is O(`limit`) however many lines there are. Pure: the host reads the lines.
//!
//! Both lists are strict (Go ignored a value it could not parse, so a mistyped date silently
//! returned everything): an unknown parameter, a parameter given twice, a query that is not UTF-8,
//! a `limit` outside 1..=1000 (default 100), an `after`/`before` that is not RFC 3339 or a
//! `decision` that is not an effect answer 400 `invalid_request` naming the parameter (an unknown
//! parameter's name is not echoed: it is the caller's text). An empty value of a typed
//! parameter (`after=`) is invalid like any other; an empty `action_type` or `adapter` is no
//! filter.
//!
//! - **Receipts**: `after`/`before` (RFC 3339, exclusive), `decision`, `action_type` (both
//!   case-insensitive; empty: no filter). Newest first by timestamp, ties by receipt id; `total`
//!   counts every match before `limit`. A line that is not a receipt with an RFC 3339 timestamp is
//!   skipped. The body holds the stored lines verbatim: `{"receipts":[<line>,...],"total":N}`.
//! - **Events**: `after`/`before` (RFC 3339, inclusive; an event whose timestamp does not parse
//!   matches only when neither is given), `decision` (case-insensitive), `adapter` (the event's
//!   `tool` and the filter both canonicalised: `git`, `GIT`, `/usr/bin/git` and `vcs` all match a
//!   `tool` of `git`). The last `limit` matches in stored order, newest first (Go returned the
//!   oldest first); `total` is the number returned. Malformed lines are skipped.
//!
//! Both are bounded by bytes as well as by `limit` ([`bounds::MAX_LIST_BYTES`]): the newest
//! matches that fit are answered, with `"truncated":true` (ours) when the byte bound, not
//! `limit`, left matches out.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::http::parse_query;
use super::types::{DecisionEvent, EventsResponse};
use super::{ApiError, bounds};
use crate::policy::{Effect, adapters};
use crate::receipt::Receipt;

/// The default and the bounds of `limit`.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

pub(super) type Params = HashMap<String, String>;

/// A free-text parameter's value, `None` when absent or empty (no filter).
pub(super) fn value<'a>(q: &'a Params, name: &str) -> Option<&'a str> {
    q.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A typed parameter's value (trimmed), `None` only when absent: an empty value must parse like
/// any other, so `after=` is a 400, as the OpenAPI document's formats say.
pub(super) fn typed<'a>(q: &'a Params, name: &str) -> Option<&'a str> {
    q.get(name).map(|v| v.trim())
}

pub(super) fn parse_time(q: &Params, name: &str) -> Result<Option<OffsetDateTime>, ApiError> {
    typed(q, name)
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339).map_err(|_| {
                ApiError::invalid_query(
                    name,
                    "want an RFC 3339 timestamp such as 2026-01-02T03:04:05Z (a `+` in an offset is sent as %2B)",
                )
            })
        })
        .transpose()
}

fn parse_limit(q: &Params) -> Result<usize, ApiError> {
    match typed(q, "limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_query("limit", format!("want an integer from 1 to {MAX_LIMIT}"))
            }),
    }
}

/// `decision`: one of the policy effects, case-insensitive.
pub(super) fn parse_decision(q: &Params) -> Result<Option<String>, ApiError> {
    typed(q, "decision")
        .map(|v| {
            let v = v.to_ascii_lowercase();
            Effect::parse(&v).map(|_| v).ok_or_else(|| {
                ApiError::invalid_query(
                    "decision",
                    "want allow, transform, allow_with_redaction or deny",
                )
            })
        })
        .transpose()
}

/// A case-insensitive free-text filter value: trimmed, lower-cased; empty is no filter.
pub(super) fn lower(q: &Params, name: &str) -> Option<String> {
    value(q, name).map(str::to_ascii_lowercase)
}

/// The raw query string's parameters, each one the route takes (`known`) and given once.
pub(super) fn params(query: &str, known: &[&str]) -> Result<Params, ApiError> {
    let mut q = Params::new();
    for (k, v) in parse_query(query)? {
        if !known.contains(&k.as_str()) {
            return Err(ApiError::unknown_query_parameter(known));
        }
        if q.contains_key(&k) {
            return Err(ApiError::invalid_query(&k, "given more than once"));
        }
        q.insert(k, v);
    }
    Ok(q)
}

/// `GET /metrics`'s one parameter, `format`: `prometheus` (the default) or `json` (the Go JSON
/// shape; the native host's). `Ok(true)` for JSON.
pub fn metrics_wants_json(query: &str) -> Result<bool, ApiError> {
    let q = params(query, &["format"])?;
    match typed(&q, "format").map(str::to_ascii_lowercase).as_deref() {
        None | Some("prometheus") => Ok(false),
        Some("json") => Ok(true),
        Some(_) => Err(ApiError::invalid_query("format", "want prometheus or json")),
    }
}

/// The `/v1/receipts` query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptsQuery {
    pub after: Option<OffsetDateTime>,
    pub before: Option<OffsetDateTime>,
    pub decision: Option<String>,
    pub action_type: Option<String>,
    pub limit: usize,
}

impl ReceiptsQuery {
    /// The parameters `GET /v1/receipts` takes.
    pub const PARAMETERS: [&'static str; 5] =
        ["after", "before", "decision", "action_type", "limit"];

    /// From the raw query string (no leading `?`; empty when there is none).
    pub fn from_query(query: &str) -> Result<ReceiptsQuery, ApiError> {
        let q = &params(query, &Self::PARAMETERS)?;
        Ok(ReceiptsQuery {
            after: parse_time(q, "after")?,
            before: parse_time(q, "before")?,
            decision: parse_decision(q)?,
            action_type: lower(q, "action_type"),
            limit: parse_limit(q)?,
        })
    }

    /// The receipt's timestamp when it matches.
    pub fn matches(&self, r: &Receipt) -> Option<OffsetDateTime> {
        let ts = OffsetDateTime::parse(&r.timestamp, &Rfc3339).ok()?;
        let keep = self.after.is_none_or(|a| ts > a)
            && self.before.is_none_or(|b| ts < b)
            && self
                .decision
                .as_deref()
                .is_none_or(|d| r.decision.as_str() == d)
            && self
                .action_type
                .as_deref()
                .is_none_or(|a| r.action.action_type.eq_ignore_ascii_case(a));
        keep.then_some(ts)
    }
}

/// The `/v1/receipts` answer, built while the stored lines stream by.
#[derive(Debug)]
pub struct ReceiptsPage {
    query: ReceiptsQuery,
    newest: TopK<(Reverse<OffsetDateTime>, String), String>,
    total: usize,
    /// Bytes of the lines kept (with a separator each), at most `max_bytes`.
    bytes: usize,
    max_bytes: usize,
    /// The byte bound dropped a match `limit` would have kept.
    truncated: bool,
}

impl ReceiptsPage {
    pub fn new(query: ReceiptsQuery) -> ReceiptsPage {
        ReceiptsPage::with_max_bytes(query, bounds::MAX_LIST_BYTES)
    }

    /// [`ReceiptsPage::new`] with another byte bound (tests).
    pub fn with_max_bytes(query: ReceiptsQuery, max_bytes: usize) -> ReceiptsPage {
        ReceiptsPage {
            newest: TopK::new(query.limit),
            query,
            total: 0,
            bytes: 0,
            max_bytes,
            truncated: false,
        }
    }

    /// One stored receipt line (no newline).
    pub fn offer(&mut self, line: &str) {
        let Ok(r) = serde_json::from_str::<Receipt>(line) else {
            return;
        };
        let Some(ts) = self.query.matches(&r) else {
            return;
        };
        self.total += 1;
        let before = self.newest.len();
        let out = self
            .newest
            .offer((Reverse(ts), r.receipt_id), || line.to_owned());
        let pushed_out = out.is_some();
        if let Some((_, old)) = out {
            self.bytes -= old.len() + 1;
        }
        if self.newest.len() > before || pushed_out {
            self.bytes += line.len() + 1;
        }
        // Past the byte bound the oldest kept lines go (the newest that fit stay), and from then
        // on the page holds no more lines than it does now.
        while self.bytes > self.max_bytes {
            match self.newest.shrink_by_one() {
                Some((_, old)) => self.bytes -= old.len() + 1,
                None => break,
            }
            self.truncated = true;
        }
    }

    /// The response body (with Go's trailing newline). `truncated` (ours) is there only when the
    /// byte bound cut the list.
    pub fn finish(self) -> Vec<u8> {
        let mut body = b"{\"receipts\":[".to_vec();
        for (i, (_, line)) in self.newest.into_sorted().iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(line.as_bytes());
        }
        let truncated = if self.truncated {
            ",\"truncated\":true"
        } else {
            ""
        };
        body.extend_from_slice(format!("],\"total\":{}{truncated}}}\n", self.total).as_bytes());
        body
    }
}

/// The `/v1/events` query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventsQuery {
    pub after: Option<OffsetDateTime>,
    pub before: Option<OffsetDateTime>,
    pub decision: Option<String>,
    /// Kept as sent; canonicalised when compared.
    pub adapter: Option<String>,
    pub limit: usize,
}

impl EventsQuery {
    /// The parameters `GET /v1/events` takes.
    pub const PARAMETERS: [&'static str; 5] = ["after", "before", "decision", "adapter", "limit"];

    /// From the raw query string (no leading `?`; empty when there is none).
    pub fn from_query(query: &str) -> Result<EventsQuery, ApiError> {
        let q = &params(query, &Self::PARAMETERS)?;
        Ok(EventsQuery {
            after: parse_time(q, "after")?,
            before: parse_time(q, "before")?,
            decision: parse_decision(q)?,
            // An adapter name is free text (`git`, `/usr/bin/git`, `vcs`); one that normalises
            // to nothing is no filter.
            adapter: value(q, "adapter")
                .filter(|v| !adapters::normalize(v).is_empty())
                .map(str::to_owned),
            limit: parse_limit(q)?,
        })
    }

    pub fn matches(&self, ev: &DecisionEvent) -> bool {
        let ts = OffsetDateTime::parse(&ev.timestamp, &Rfc3339).ok();
        let in_range = match (ts, self.after, self.before) {
            (None, None, None) => true,
            (None, _, _) => false,
            (Some(t), a, b) => a.is_none_or(|a| t >= a) && b.is_none_or(|b| t <= b),
        };
        in_range
            && self
                .decision
                .as_deref()
                .is_none_or(|d| ev.decision.eq_ignore_ascii_case(d))
            && self
                .adapter
                .as_deref()
                .is_none_or(|a| adapters::matches(&ev.tool, &[a]))
    }
}

/// The `/v1/events` answer, built while the stored lines stream by.
#[derive(Debug)]
pub struct EventsPage {
    query: EventsQuery,
    /// Matches and the length of their stored line, oldest first.
    kept: VecDeque<(DecisionEvent, usize)>,
    bytes: usize,
    max_bytes: usize,
    truncated: bool,
}

impl EventsPage {
    pub fn new(query: EventsQuery) -> EventsPage {
        EventsPage::with_max_bytes(query, bounds::MAX_LIST_BYTES)
    }

    /// [`EventsPage::new`] with another byte bound (tests).
    pub fn with_max_bytes(query: EventsQuery, max_bytes: usize) -> EventsPage {
        EventsPage {
            kept: VecDeque::with_capacity(query.limit.min(1024)),
            query,
            bytes: 0,
            max_bytes,
            truncated: false,
        }
    }

    /// One stored event line, in stored (oldest first) order.
    pub fn offer(&mut self, line: &str) {
        let Ok(ev) = serde_json::from_str::<DecisionEvent>(line) else {
            return;
        };
        if self.query.limit > 0 && self.query.matches(&ev) {
            if self.kept.len() == self.query.limit
                && let Some((_, n)) = self.kept.pop_front()
            {
                self.bytes -= n;
            }
            self.kept.push_back((ev, line.len() + 1));
            self.bytes += line.len() + 1;
            // The newest that fit in the byte bound stay (a stored line is about its JSON).
            while self.bytes > self.max_bytes {
                match self.kept.pop_front() {
                    Some((_, n)) => self.bytes -= n,
                    None => break,
                }
                self.truncated = true;
            }
        }
    }

    pub fn finish(self) -> EventsResponse {
        let events: Vec<DecisionEvent> = self.kept.into_iter().rev().map(|(e, _)| e).collect();
        let total = events.len();
        EventsResponse {
            events,
            total,
            truncated: self.truncated,
        }
    }
}

/// The `k` smallest items by key of a stream, kept while streaming: a max-heap of at most `k`
/// entries whose top is the next to drop, so memory is O(k) however many are offered. The value
/// is only made (`make`) for an item that is kept.
#[derive(Debug)]
pub struct TopK<K: Ord, V> {
    k: usize,
    heap: BinaryHeap<Ranked<K, V>>,
}

/// A heap entry ordered by its key only.
#[derive(Debug)]
struct Ranked<K, V>(K, V);

impl<K: Ord, V> PartialEq for Ranked<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<K: Ord, V> Eq for Ranked<K, V> {}
impl<K: Ord, V> PartialOrd for Ranked<K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: Ord, V> Ord for Ranked<K, V> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl<K: Ord, V> TopK<K, V> {
    pub fn new(k: usize) -> TopK<K, V> {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1024).saturating_add(1)),
        }
    }

    /// Keep `key` if it is among the `k` smallest so far; returns the item it pushed out, if any.
    /// Returns `None` both when it was kept without pushing anything out and when it was not kept.
    pub fn offer(&mut self, key: K, make: impl FnOnce() -> V) -> Option<(K, V)> {
        if self.heap.len() < self.k {
            self.heap.push(Ranked(key, make()));
            None
        } else if self.heap.peek().is_some_and(|top| key < top.0) {
            let out = self.heap.pop().map(|Ranked(k, v)| (k, v));
            self.heap.push(Ranked(key, make()));
            out
        } else {
            None
        }
    }

    /// Drop the largest item kept, and keep at most as many as are left from now on.
    pub fn shrink_by_one(&mut self) -> Option<(K, V)> {
        let out = self.heap.pop().map(|Ranked(k, v)| (k, v));
        self.k = self.heap.len();
        out
    }

    /// Items held (at most `k`).
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The kept items, smallest key first.
    pub fn into_sorted(self) -> Vec<(K, V)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Ranked(k, v)| (k, v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streaming top-k keeps exactly what sorting everything and cutting would.
    #[test]
    fn top_k_matches_sort_and_truncate() {
        // A small deterministic shuffle with many ties on the first key element.
        let items: Vec<(u32, u32)> = (0..200u32)
            .map(|i| ((i * 37) % 11, (i * 53) % 200))
            .collect();
        for k in [0usize, 1, 2, 7, 50, 199, 200, 500] {
            let mut top = TopK::new(k);
            for &(a, b) in &items {
                top.offer((Reverse(a), b), || format!("{a}-{b}"));
                assert!(top.len() <= k, "memory bounded by k");
            }
            let got: Vec<String> = top.into_sorted().into_iter().map(|(_, v)| v).collect();
            let mut all = items.clone();
            all.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
            all.truncate(k);
            let want: Vec<String> = all.iter().map(|(a, b)| format!("{a}-{b}")).collect();
            assert_eq!(got, want, "k={k}");
        }
    }

    /// Issue 14, finding 7: a value that does not parse is a 400 naming the parameter, not "no
    /// filter" (a mistyped date used to return every receipt).
    #[test]
    fn invalid_parameters_are_errors_naming_the_parameter() {
        for (query, param) in [
            ("after=yesterday", "after"),
            ("before=2026-13-01T00:00:00Z", "before"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=ten", "limit"),
            ("limit=-1", "limit"),
            ("decision=block", "decision"),
        ] {
            let e = ReceiptsQuery::from_query(query).unwrap_err();
            assert_eq!(
                (e.status(), e.message.as_str()),
                (400, &*format!("invalid query parameter `{param}`")),
                "{query}"
            );
            assert!(
                !e.details.contains("yesterday") && !e.details.contains("block"),
                "{}",
                e.details
            );
            if param != "before" {
                let e = EventsQuery::from_query(query).unwrap_err();
                assert_eq!(e.status(), 400, "events {query}");
            }
        }
        // Unknown parameters (names not echoed), repeats and undecodable queries.
        let e = ReceiptsQuery::from_query("limit=5&219-47-8312=1").unwrap_err();
        assert_eq!(e.message, "unknown query parameter");
        assert!(!e.details.contains("219"), "{}", e.details);
        assert!(
            e.details
                .contains("after, before, decision, action_type, limit")
        );
        assert!(
            EventsQuery::from_query("action_type=x").is_err(),
            "events take no action_type"
        );
        assert!(
            ReceiptsQuery::from_query("adapter=git").is_err(),
            "receipts take no adapter"
        );
        let e = ReceiptsQuery::from_query("limit=5&limit=6").unwrap_err();
        assert_eq!(e.message, "invalid query parameter `limit`");
        assert!(ReceiptsQuery::from_query("decision=%FF").is_err());
    }

    #[test]
    fn metrics_takes_format_only() {
        assert_eq!(metrics_wants_json(""), Ok(false));
        assert_eq!(metrics_wants_json("format=JSON"), Ok(true));
        assert_eq!(metrics_wants_json("format=prometheus"), Ok(false));
        assert_eq!(
            metrics_wants_json("format=xml").unwrap_err().message,
            "invalid query parameter `format`"
        );
        assert!(metrics_wants_json("limit=1").is_err());
    }

    #[test]
    fn valid_and_empty_parameters() {
        assert_eq!(
            ReceiptsQuery::from_query("").unwrap(),
            ReceiptsQuery {
                limit: DEFAULT_LIMIT,
                ..ReceiptsQuery::default()
            }
        );
        // An empty typed value is invalid; an empty free-text filter is no filter.
        for q in ["after=", "before=", "limit=", "decision="] {
            assert!(ReceiptsQuery::from_query(q).is_err(), "{q}");
        }
        assert_eq!(
            ReceiptsQuery::from_query("action_type=").unwrap(),
            ReceiptsQuery::from_query("").unwrap()
        );
        assert!(metrics_wants_json("format=").is_err());
        let q = ReceiptsQuery::from_query(
            "limit=1000&decision=DENY&action_type=Shell.Exec&after=2026-01-02T03:04:05%2B01:00",
        )
        .unwrap();
        assert_eq!(q.limit, 1000);
        assert_eq!(q.decision.as_deref(), Some("deny"));
        assert_eq!(q.action_type.as_deref(), Some("shell.exec"));
        assert!(q.after.is_some());
        let q = EventsQuery::from_query("adapter=%2Fusr%2Fbin%2Fgit&limit=1").unwrap();
        assert_eq!((q.adapter.as_deref(), q.limit), (Some("/usr/bin/git"), 1));
    }

    #[test]
    fn events_keep_the_last_matches_newest_first() {
        let mut page = EventsPage::new(EventsQuery::from_query("limit=2&decision=DENY").unwrap());
        for (i, d) in ["deny", "allow", "deny", "deny"].iter().enumerate() {
            page.offer(&format!(
                r#"{{"timestamp":"2026-01-01T00:00:0{i}Z","decision":"{d}","receipt_id":"r{i}"}}"#
            ));
        }
        page.offer("not json");
        let out = page.finish();
        let ids: Vec<&str> = out.events.iter().map(|e| e.receipt_id.as_str()).collect();
        assert_eq!(ids, ["r3", "r2"]);
        assert_eq!(out.total, 2);
    }

    /// Issue 14, finding 1: a list is bounded by bytes as well as by `limit`; the newest that fit
    /// are answered, and `truncated` says the byte bound left matches out.
    #[test]
    fn lists_are_bounded_by_bytes_newest_first() {
        let receipt = |i: usize, pad: usize| {
            let mut r = crate::receipt::build(crate::receipt::ReceiptInput {
                receipt_id: format!("{i:032x}"),
                timestamp: format!("2026-01-01T00:00:{:02}Z", i % 60),
                request_id: "x".repeat(pad),
                trace_id: String::new(),
                tenant_id: String::new(),
                actor_id: String::new(),
                session_id: String::new(),
                policy_id: "p".into(),
                policy_version: "v".into(),
                action: crate::policy::Action::default(),
                input_hash: String::new(),
                decision: crate::policy::Decision {
                    effect: Effect::Allow,
                    matched_rules: Vec::new(),
                    plan: Vec::new(),
                    reason: String::new(),
                },
                findings: Vec::new(),
                prev_hash: crate::receipt::GENESIS_HASH.into(),
            });
            r.hash = r.compute_hash();
            r.canonical_json()
        };
        let lines: Vec<String> = (0..50).map(|i| receipt(i, 1000)).collect();
        let each = lines[0].len() + 1;
        let mut page =
            ReceiptsPage::with_max_bytes(ReceiptsQuery::from_query("limit=40").unwrap(), each * 10);
        for l in &lines {
            page.offer(l);
        }
        let body: serde_json::Value = serde_json::from_slice(&page.finish()).unwrap();
        let kept = body["receipts"].as_array().unwrap();
        assert_eq!(kept.len(), 10);
        assert_eq!(body["total"], 50);
        assert_eq!(body["truncated"], true);
        // The newest ten (timestamps 40..49), newest first.
        assert_eq!(kept[0]["receipt_id"], format!("{:032x}", 49));
        assert_eq!(kept[9]["receipt_id"], format!("{:032x}", 40));
        // Within the bound nothing changes: no `truncated` member.
        let mut page =
            ReceiptsPage::with_max_bytes(ReceiptsQuery::from_query("limit=5").unwrap(), each * 10);
        for l in &lines {
            page.offer(l);
        }
        let body = String::from_utf8(page.finish()).unwrap();
        assert!(!body.contains("truncated"), "{body}");

        let mut events =
            EventsPage::with_max_bytes(EventsQuery::from_query("limit=100").unwrap(), 1000);
        for i in 0..50 {
            events.offer(&format!(
                r#"{{"timestamp":"2026-01-01T00:00:{i:02}Z","decision":"deny","receipt_id":"r{i}","command":"{}"}}"#,
                "c".repeat(100)
            ));
        }
        let out = events.finish();
        assert!(out.truncated);
        assert!(
            out.events.len() < 10 && !out.events.is_empty(),
            "{}",
            out.events.len()
        );
        assert_eq!(out.events[0].receipt_id, "r49");
        assert_eq!(out.total, out.events.len());
    }
}
