//! `GET /v1/receipts` and `GET /v1/events`: the query parameters and what each list computes, as
//! accumulators a host feeds one stored line at a time (from a file, a database or a key-value
//! store), so memory is O(`limit`) however many lines there are. Pure: the host reads the lines.
//!
//! Both lists ignore a parameter whose value does not parse (Go's behaviour: a mistyped date is no
//! filter), and `limit` is 1..=1000 (default 100).
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

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::types::{DecisionEvent, EventsResponse};
use crate::policy::adapters;
use crate::receipt::Receipt;

/// The default and the bounds of `limit`.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

fn parse_time(v: Option<&String>) -> Option<OffsetDateTime> {
    v.and_then(|v| OffsetDateTime::parse(v, &Rfc3339).ok())
}

fn parse_limit(v: Option<&String>) -> usize {
    v.and_then(|v| v.parse::<usize>().ok())
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .unwrap_or(DEFAULT_LIMIT)
}

/// A case-insensitive filter value: trimmed, lower-cased; `None` or empty is no filter.
fn lower(v: Option<&String>) -> Option<String> {
    v.map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
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
    /// From the decoded query string (a value that does not parse is no filter).
    pub fn from_params(q: &HashMap<String, String>) -> ReceiptsQuery {
        ReceiptsQuery {
            after: parse_time(q.get("after")),
            before: parse_time(q.get("before")),
            decision: lower(q.get("decision")),
            action_type: lower(q.get("action_type")),
            limit: parse_limit(q.get("limit")),
        }
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
}

impl ReceiptsPage {
    pub fn new(query: ReceiptsQuery) -> ReceiptsPage {
        ReceiptsPage {
            newest: TopK::new(query.limit),
            query,
            total: 0,
        }
    }

    /// One stored receipt line (no newline).
    pub fn offer(&mut self, line: &str) {
        let Ok(r) = serde_json::from_str::<Receipt>(line) else {
            return;
        };
        if let Some(ts) = self.query.matches(&r) {
            self.total += 1;
            self.newest
                .offer((Reverse(ts), r.receipt_id), || line.to_owned());
        }
    }

    /// The response body (with Go's trailing newline).
    pub fn finish(self) -> Vec<u8> {
        let mut body = b"{\"receipts\":[".to_vec();
        for (i, (_, line)) in self.newest.into_sorted().iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(line.as_bytes());
        }
        body.extend_from_slice(format!("],\"total\":{}}}\n", self.total).as_bytes());
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
    /// From the decoded query string (a value that does not parse is no filter).
    pub fn from_params(q: &HashMap<String, String>) -> EventsQuery {
        EventsQuery {
            after: parse_time(q.get("after")),
            before: parse_time(q.get("before")),
            decision: lower(q.get("decision")),
            adapter: q
                .get("adapter")
                .filter(|v| !adapters::normalize(v).is_empty())
                .cloned(),
            limit: parse_limit(q.get("limit")),
        }
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
    kept: VecDeque<DecisionEvent>,
}

impl EventsPage {
    pub fn new(query: EventsQuery) -> EventsPage {
        EventsPage {
            kept: VecDeque::with_capacity(query.limit.min(1024)),
            query,
        }
    }

    /// One stored event line, in stored (oldest first) order.
    pub fn offer(&mut self, line: &str) {
        let Ok(ev) = serde_json::from_str::<DecisionEvent>(line) else {
            return;
        };
        if self.query.limit > 0 && self.query.matches(&ev) {
            if self.kept.len() == self.query.limit {
                self.kept.pop_front();
            }
            self.kept.push_back(ev);
        }
    }

    pub fn finish(self) -> EventsResponse {
        let events: Vec<DecisionEvent> = self.kept.into_iter().rev().collect();
        let total = events.len();
        EventsResponse { events, total }
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

    pub fn offer(&mut self, key: K, make: impl FnOnce() -> V) {
        if self.heap.len() < self.k {
            self.heap.push(Ranked(key, make()));
        } else if self.heap.peek().is_some_and(|top| key < top.0) {
            self.heap.pop();
            self.heap.push(Ranked(key, make()));
        }
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

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn invalid_parameters_are_no_filter_and_limit_is_bounded() {
        let q = ReceiptsQuery::from_params(&params(&[
            ("after", "yesterday"),
            ("limit", "0"),
            ("decision", "  "),
        ]));
        assert_eq!(
            q,
            ReceiptsQuery {
                limit: DEFAULT_LIMIT,
                ..ReceiptsQuery::default()
            }
        );
        assert_eq!(
            ReceiptsQuery::from_params(&params(&[("limit", "1000")])).limit,
            1000
        );
        assert_eq!(
            EventsQuery::from_params(&params(&[("limit", "1001")])).limit,
            DEFAULT_LIMIT
        );
    }

    #[test]
    fn events_keep_the_last_matches_newest_first() {
        let mut page = EventsPage::new(EventsQuery::from_params(&params(&[
            ("limit", "2"),
            ("decision", "DENY"),
        ])));
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
}
