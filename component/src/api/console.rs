//! The admin console's read-only API (`/admin/api/*`, `docs/console.md`): what each route
//! computes from the stored receipt lines, as accumulators a host feeds one line at a time, newest
//! first (a reverse scan from the end of the receipts file), so memory stays bounded whatever the
//! file's size. Pure: the host reads the lines, keeps the clock and the time budget.
//!
//! - **Receipts page** ([`ConsoleQuery`], [`ConsolePage`]): filters `after`/`before` (RFC 3339,
//!   exclusive), `decision`, `rule` (a matched rule id, exact), `action_type` (case-insensitive),
//!   `entity_type` (a finding's type or a `finding_counts` key, case-insensitive), `actor` (the
//!   recorded `actor_id`, exact), `limit` (1..=[`MAX_PAGE`], default [`DEFAULT_PAGE`]) and
//!   `cursor` (where the previous page stopped). Lines come in file order reversed, so "newest"
//!   means "latest written". The stored lines are answered verbatim: a receipt holds no raw value
//!   (findings carry type, offsets and a keyed digest; the action is redacted by the core).
//! - **Stats** ([`StatsQuery`], [`Stats`]): decisions per `minute` or `hour` by effect within
//!   `after`..`before` (default: the last hour by minute, the last day by hour; at most
//!   [`MAX_BUCKETS`] buckets), the top matched rules, entity types and action types. Counters keep
//!   at most [`MAX_KEYS`] distinct names each (the rest are counted under `(other)`).
//! - **Policy** ([`PolicyView`]): the loaded rules in evaluation order (priority descending, file
//!   order within a priority), without custom detector patterns or allow-list values.
//!
//! The scan stops at the first receipt older than `after` by more than [`CLOCK_SLACK_SECS`]:
//! receipts are written in the order their decisions finished, so timestamps in the file are in
//! order up to the few milliseconds concurrent decisions overlap.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::ApiError;
use super::lists::{Params, lower, params, parse_decision, parse_time, typed, value};
use crate::policy::{Effect, Policy};
use crate::receipt::Receipt;

pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 200;
/// Buckets of one stats answer, at most (a day by minute, two months by hour).
pub const MAX_BUCKETS: i64 = 1440;
/// Distinct names one stats counter keeps.
pub const MAX_KEYS: usize = 1000;
/// How far out of order timestamps may be in the file (see the module docs).
pub const CLOCK_SLACK_SECS: i64 = 60;

/// Where a receipts page continues: `segment` counts back from the current file (0) through the
/// rotated segments (1 is the newest of them); the next page reads the lines that end before
/// byte `offset` of that file. Sent as `<segment>.<offset>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub segment: usize,
    pub offset: u64,
}

impl Cursor {
    pub fn parse(s: &str) -> Option<Cursor> {
        let (a, b) = s.split_once('.')?;
        Some(Cursor {
            segment: a.parse().ok()?,
            offset: b.parse().ok()?,
        })
    }

    pub fn encode(&self) -> String {
        format!("{}.{}", self.segment, self.offset)
    }
}

fn parse_ts(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Whether a scan going back in time may stop at a receipt stamped `ts` (older than `after` by
/// more than the slack).
fn past(after: Option<OffsetDateTime>, ts: OffsetDateTime) -> bool {
    after.is_some_and(|a| ts < a - time::Duration::seconds(CLOCK_SLACK_SECS))
}

/// The receipts page's query (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsoleQuery {
    pub after: Option<OffsetDateTime>,
    pub before: Option<OffsetDateTime>,
    pub decision: Option<String>,
    pub rule: Option<String>,
    pub action_type: Option<String>,
    pub entity_type: Option<String>,
    pub actor: Option<String>,
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

impl ConsoleQuery {
    pub const PARAMETERS: [&'static str; 9] = [
        "after",
        "before",
        "decision",
        "rule",
        "action_type",
        "entity_type",
        "actor",
        "limit",
        "cursor",
    ];

    pub fn from_query(query: &str) -> Result<ConsoleQuery, ApiError> {
        let q = &params(query, &Self::PARAMETERS)?;
        Ok(ConsoleQuery {
            after: parse_time(q, "after")?,
            before: parse_time(q, "before")?,
            decision: parse_decision(q)?,
            rule: value(q, "rule").map(str::to_owned),
            action_type: lower(q, "action_type"),
            entity_type: lower(q, "entity_type"),
            actor: value(q, "actor").map(str::to_owned),
            limit: parse_count(q, "limit", DEFAULT_PAGE, MAX_PAGE)?,
            cursor: match typed(q, "cursor") {
                None => None,
                Some(c) => Some(Cursor::parse(c).ok_or_else(|| {
                    ApiError::invalid_query("cursor", "want the `next_cursor` of a previous page")
                })?),
            },
        })
    }

    /// Whether receipt `r`, stamped `ts`, passes every filter.
    pub fn matches(&self, r: &Receipt, ts: OffsetDateTime) -> bool {
        self.after.is_none_or(|a| ts > a)
            && self.before.is_none_or(|b| ts < b)
            && self
                .decision
                .as_deref()
                .is_none_or(|d| r.decision.as_str() == d)
            && self
                .rule
                .as_deref()
                .is_none_or(|rule| r.matched_rules.iter().any(|m| m == rule))
            && self
                .action_type
                .as_deref()
                .is_none_or(|a| r.action.action_type.eq_ignore_ascii_case(a))
            && self.entity_type.as_deref().is_none_or(|e| {
                r.findings
                    .iter()
                    .any(|f| f.entity_type.eq_ignore_ascii_case(e))
                    || r.finding_counts.keys().any(|k| k.eq_ignore_ascii_case(e))
            })
            && self.actor.as_deref().is_none_or(|a| r.actor_id == a)
    }
}

fn parse_count(q: &Params, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    match typed(q, name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_query(name, format!("want an integer from 1 to {max}"))
            }),
    }
}

/// What [`ConsolePage::offer`] tells the scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep reading older lines.
    More,
    /// The page is full: the next page starts at this line.
    Full,
    /// No older line can match (`after` passed).
    Done,
}

/// A receipts page, built while lines stream by newest first.
#[derive(Debug)]
pub struct ConsolePage {
    query: ConsoleQuery,
    lines: Vec<String>,
    scanned: usize,
}

impl ConsolePage {
    pub fn new(query: ConsoleQuery) -> ConsolePage {
        ConsolePage {
            query,
            lines: Vec::new(),
            scanned: 0,
        }
    }

    pub fn query(&self) -> &ConsoleQuery {
        &self.query
    }

    /// One stored line (no newline), newer lines first. After [`Flow::Full`] the line was not
    /// taken: the next page starts with it.
    pub fn offer(&mut self, line: &str) -> Flow {
        if self.lines.len() >= self.query.limit {
            return Flow::Full;
        }
        self.scanned += 1;
        let Ok(r) = serde_json::from_str::<Receipt>(line) else {
            return Flow::More;
        };
        let Some(ts) = parse_ts(&r.timestamp) else {
            return Flow::More;
        };
        if past(self.query.after, ts) {
            return Flow::Done;
        }
        if self.query.matches(&r, ts) {
            self.lines.push(line.to_owned());
        }
        Flow::More
    }

    /// The body: `{"receipts":[<line>...],"next_cursor":"<c>"|null,"scanned":N}`.
    /// `next_cursor` is where to continue: after a full page, or when the host's time budget ran
    /// out before the page filled (`"partial":true`).
    pub fn finish(self, next: Option<Cursor>, partial: bool) -> Vec<u8> {
        let mut body = b"{\"receipts\":[".to_vec();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(line.as_bytes());
        }
        let next = next.map_or("null".to_owned(), |c| format!("\"{}\"", c.encode()));
        body.extend_from_slice(
            format!(
                "],\"next_cursor\":{next},\"scanned\":{},\"partial\":{partial}}}\n",
                self.scanned
            )
            .as_bytes(),
        );
        body
    }
}

// ------------------------------------------------------------------ stats

/// `minute` or `hour`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Minute,
    Hour,
}

impl Bucket {
    fn secs(self) -> i64 {
        match self {
            Bucket::Minute => 60,
            Bucket::Hour => 3600,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Bucket::Minute => "minute",
            Bucket::Hour => "hour",
        }
    }
}

/// The stats query (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatsQuery {
    pub after: OffsetDateTime,
    pub before: OffsetDateTime,
    pub bucket: Bucket,
}

impl StatsQuery {
    pub const PARAMETERS: [&'static str; 3] = ["after", "before", "bucket"];

    /// `now` (the host's clock) sets the defaults.
    pub fn from_query(query: &str, now: OffsetDateTime) -> Result<StatsQuery, ApiError> {
        let q = &params(query, &Self::PARAMETERS)?;
        let bucket = match typed(q, "bucket").map(str::to_ascii_lowercase).as_deref() {
            None | Some("minute") => Bucket::Minute,
            Some("hour") => Bucket::Hour,
            Some(_) => return Err(ApiError::invalid_query("bucket", "want minute or hour")),
        };
        let before = parse_time(q, "before")?.unwrap_or(now);
        let span = match bucket {
            Bucket::Minute => time::Duration::hours(1),
            Bucket::Hour => time::Duration::days(1),
        };
        let after = parse_time(q, "after")?.unwrap_or(before - span);
        if after >= before {
            return Err(ApiError::invalid_query(
                "after",
                "want a time before `before`",
            ));
        }
        let buckets = (before - after).whole_seconds() / bucket.secs() + 1;
        if buckets > MAX_BUCKETS {
            return Err(ApiError::invalid_query(
                "after",
                format!(
                    "want a range of at most {MAX_BUCKETS} buckets (a day by minute, 60 days by hour)"
                ),
            ));
        }
        Ok(StatsQuery {
            after,
            before,
            bucket,
        })
    }
}

/// Counts by name, at most [`MAX_KEYS`] names (then `(other)`).
#[derive(Debug, Default)]
struct Counter(HashMap<String, u64>);

impl Counter {
    fn add(&mut self, name: &str) {
        if let Some(n) = self.0.get_mut(name) {
            *n += 1;
        } else if self.0.len() < MAX_KEYS {
            self.0.insert(name.to_owned(), 1);
        } else {
            *self.0.entry("(other)".to_owned()).or_insert(0) += 1;
        }
    }

    fn top(self, k: usize) -> Vec<Named> {
        let mut v: Vec<Named> = self
            .0
            .into_iter()
            .map(|(name, count)| Named { name, count })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        v.truncate(k);
        v
    }
}

/// A name and its count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Named {
    pub name: String,
    pub count: u64,
}

/// Decisions in one bucket, by effect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Point {
    /// RFC 3339 start of the bucket.
    pub start: String,
    pub allow: u64,
    pub allow_with_redaction: u64,
    pub transform: u64,
    pub deny: u64,
}

/// The stats answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsResponse {
    pub bucket: &'static str,
    pub after: String,
    pub before: String,
    pub total: u64,
    pub by_decision: BTreeMap<String, u64>,
    pub series: Vec<Point>,
    pub top_rules: Vec<Named>,
    pub top_entity_types: Vec<Named>,
    pub top_action_types: Vec<Named>,
    /// Lines read (including ones outside the range).
    pub scanned: u64,
    /// `false` when the host's time budget stopped the scan before `after` was reached.
    pub complete: bool,
}

/// Names in each top list.
pub const TOP: usize = 10;

/// The stats accumulator, fed newest first.
#[derive(Debug)]
pub struct Stats {
    query: StatsQuery,
    /// Bucket index (from `after`) → counts by effect (allow, redaction, transform, deny).
    buckets: BTreeMap<i64, [u64; 4]>,
    rules: Counter,
    entity_types: Counter,
    action_types: Counter,
    total: u64,
    scanned: u64,
}

impl Stats {
    pub fn new(query: StatsQuery) -> Stats {
        Stats {
            query,
            buckets: BTreeMap::new(),
            rules: Counter::default(),
            entity_types: Counter::default(),
            action_types: Counter::default(),
            total: 0,
            scanned: 0,
        }
    }

    /// One stored line; `false` when no older line can count.
    pub fn offer(&mut self, line: &str) -> bool {
        self.scanned += 1;
        let Ok(r) = serde_json::from_str::<Receipt>(line) else {
            return true;
        };
        let Some(ts) = parse_ts(&r.timestamp) else {
            return true;
        };
        if past(Some(self.query.after), ts) {
            return false;
        }
        if ts < self.query.after || ts >= self.query.before {
            return true;
        }
        self.total += 1;
        let i = (ts - self.query.after).whole_seconds() / self.query.bucket.secs();
        let slot = match r.decision {
            Effect::Allow => 0,
            Effect::AllowWithRedaction => 1,
            Effect::Transform => 2,
            Effect::Deny => 3,
        };
        if let Some(n) = self.buckets.entry(i).or_default().get_mut(slot) {
            *n += 1;
        }
        for m in &r.matched_rules {
            self.rules.add(m);
        }
        let mut types: Vec<&str> = r.findings.iter().map(|f| f.entity_type.as_str()).collect();
        types.extend(r.finding_counts.keys().map(String::as_str));
        types.sort_unstable();
        types.dedup();
        for t in types {
            self.entity_types.add(t);
        }
        self.action_types.add(&r.action.action_type);
        true
    }

    pub fn finish(self, complete: bool) -> StatsResponse {
        let q = &self.query;
        let step = q.bucket.secs();
        let n = (q.before - q.after).whole_seconds() / step + 1;
        let mut by_decision = BTreeMap::new();
        let mut series = Vec::new();
        for i in 0..n {
            let start = q.after + time::Duration::seconds(i * step);
            if start >= q.before {
                break;
            }
            let c = self.buckets.get(&i).copied().unwrap_or_default();
            let [allow, allow_with_redaction, transform, deny] = c;
            series.push(Point {
                start: start.format(&Rfc3339).unwrap_or_default(),
                allow,
                allow_with_redaction,
                transform,
                deny,
            });
        }
        for c in self.buckets.values() {
            for (name, n) in ["allow", "allow_with_redaction", "transform", "deny"]
                .iter()
                .zip(c.iter())
            {
                *by_decision.entry((*name).to_owned()).or_insert(0) += n;
            }
        }
        StatsResponse {
            bucket: q.bucket.as_str(),
            after: q.after.format(&Rfc3339).unwrap_or_default(),
            before: q.before.format(&Rfc3339).unwrap_or_default(),
            total: self.total,
            by_decision,
            series,
            top_rules: self.rules.top(TOP),
            top_entity_types: self.entity_types.top(TOP),
            top_action_types: self.action_types.top(TOP),
            scanned: self.scanned,
            complete,
        }
    }
}

// ------------------------------------------------------------------ policy

/// One rule as the console shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleView {
    pub id: String,
    pub description: String,
    pub priority: i64,
    pub effect: Effect,
    /// The non-empty match lists (`action_types`, `tools`, `resources`, ...).
    #[serde(rename = "match")]
    pub conditions: BTreeMap<&'static str, Vec<String>>,
    pub entity_requirements: Vec<String>,
    pub any_entities: Vec<String>,
    /// `entity_type` → mode.
    pub entity_transforms: Vec<(String, String)>,
    pub require_sensitive_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_confidence: Option<f64>,
}

/// The policy view: identity and rules in evaluation order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyView {
    pub policy_id: String,
    pub policy_version: String,
    pub description: String,
    pub rules: Vec<RuleView>,
}

impl PolicyView {
    pub fn of(p: &Policy) -> PolicyView {
        PolicyView {
            policy_id: p.policy_id.clone(),
            policy_version: p.policy_version.clone(),
            description: p.description.clone(),
            rules: p
                .rules_in_order()
                .map(|r| {
                    let c = &r.conditions;
                    let conditions = [
                        ("action_types", &c.action_types),
                        ("tools", &c.tools),
                        ("resource_prefixes", &c.resource_prefixes),
                        ("resources", &c.resources),
                        ("commands", &c.commands),
                        ("args", &c.args),
                        ("adapters", &c.adapters),
                    ]
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k, v.clone()))
                    .collect();
                    RuleView {
                        id: r.id.clone(),
                        description: r.description.clone(),
                        priority: r.priority,
                        effect: r.effect,
                        conditions,
                        entity_requirements: r.entity_requirements.clone(),
                        any_entities: r.any_entities.clone(),
                        entity_transforms: r
                            .entity_transforms
                            .iter()
                            .map(|t| (t.entity_type.clone(), t.mode.as_str().to_owned()))
                            .collect(),
                        require_sensitive_only: r.require_sensitive_only,
                        min_confidence: r.min_confidence,
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        ts: &str,
        decision: &str,
        rule: &str,
        action: &str,
        entity: &str,
        actor: &str,
    ) -> String {
        let findings = if entity.is_empty() {
            String::new()
        } else {
            format!(
                r#"{{"entity_type":"{entity}","start":0,"end":4,"confidence":0.9,"value_digest":"00"}}"#
            )
        };
        format!(
            r#"{{"receipt_id":"r-{ts}","timestamp":"{ts}","actor_id":"{actor}","policy_version":"v","policy_id":"p","action_hash":"a","input_hash":"i","decision":"{decision}","action":{{"type":"{action}"}},"matched_rules":["{rule}"],"findings":[{findings}],"prev_hash":"","hash":"h"}}"#
        )
    }

    #[test]
    fn page_filters_and_stops() {
        let q =
            ConsoleQuery::from_query("decision=deny&rule=r1&entity_type=EMAIL&actor=bob&limit=1")
                .unwrap();
        let mut page = ConsolePage::new(q);
        assert_eq!(
            page.offer(&line(
                "2026-01-01T00:00:03Z",
                "allow",
                "r1",
                "x",
                "email",
                "bob"
            )),
            Flow::More
        );
        assert_eq!(
            page.offer(&line(
                "2026-01-01T00:00:02Z",
                "deny",
                "r1",
                "x",
                "email",
                "bob"
            )),
            Flow::More
        );
        assert_eq!(
            page.offer(&line(
                "2026-01-01T00:00:01Z",
                "deny",
                "r1",
                "x",
                "email",
                "bob"
            )),
            Flow::Full
        );
        let body = String::from_utf8(page.finish(
            Some(Cursor {
                segment: 0,
                offset: 7,
            }),
            false,
        ))
        .unwrap();
        assert!(body.contains("2026-01-01T00:00:02Z"), "{body}");
        assert!(!body.contains("2026-01-01T00:00:03Z"), "{body}");
        assert!(body.contains("\"next_cursor\":\"0.7\""), "{body}");

        let q = ConsoleQuery::from_query("after=2026-01-01T01:00:00Z").unwrap();
        let mut page = ConsolePage::new(q);
        assert_eq!(
            page.offer(&line("2026-01-01T00:58:59Z", "deny", "r", "x", "", "")),
            Flow::Done
        );
    }

    #[test]
    fn bad_queries_name_the_parameter() {
        for (q, param) in [
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("cursor=zz", "cursor"),
            ("decision=maybe", "decision"),
            ("nope=1", ""),
        ] {
            let e = ConsoleQuery::from_query(q).unwrap_err();
            assert!(e.message.contains(param), "{q}: {}", e.message);
        }
        let now = OffsetDateTime::parse("2026-01-02T00:00:00Z", &Rfc3339).unwrap();
        assert!(StatsQuery::from_query("bucket=day", now).is_err());
        assert!(StatsQuery::from_query("after=2025-01-01T00:00:00Z", now).is_err());
        assert!(StatsQuery::from_query("after=2025-01-01T00:00:00Z&bucket=hour", now).is_err());
        assert!(StatsQuery::from_query("after=2026-01-01T00:00:00Z&bucket=hour", now).is_ok());
    }

    #[test]
    fn stats_buckets_and_tops() {
        let now = OffsetDateTime::parse("2026-01-01T00:10:00Z", &Rfc3339).unwrap();
        let q = StatsQuery::from_query("after=2026-01-01T00:00:00Z", now).unwrap();
        let mut s = Stats::new(q);
        assert!(s.offer(&line(
            "2026-01-01T00:10:00Z",
            "deny",
            "r1",
            "shell.exec",
            "",
            ""
        )));
        assert!(s.offer(&line(
            "2026-01-01T00:09:30Z",
            "deny",
            "r1",
            "shell.exec",
            "email",
            ""
        )));
        assert!(s.offer(&line(
            "2026-01-01T00:01:00Z",
            "allow",
            "r2",
            "file.read",
            "",
            ""
        )));
        assert!(s.offer(&line(
            "2025-12-31T23:59:30Z",
            "allow",
            "r2",
            "file.read",
            "",
            ""
        )));
        assert!(!s.offer(&line(
            "2025-12-31T23:58:00Z",
            "allow",
            "r2",
            "file.read",
            "",
            ""
        )));
        let out = s.finish(true);
        assert_eq!(out.total, 2);
        assert_eq!(out.series.len(), 10);
        assert_eq!(out.series[9].deny, 1);
        assert_eq!(out.series[1].allow, 1);
        assert_eq!(
            out.top_rules[0],
            Named {
                name: "r1".into(),
                count: 1
            }
        );
        assert_eq!(out.top_entity_types[0].name, "email");
        assert_eq!(out.by_decision["deny"], 1);
    }

    #[test]
    fn counters_are_bounded() {
        let mut c = Counter::default();
        for i in 0..(MAX_KEYS + 50) {
            c.add(&format!("k{i}"));
        }
        assert_eq!(c.0.len(), MAX_KEYS + 1);
        assert_eq!(c.0["(other)"], 50);
    }

    #[test]
    fn policy_view_is_in_evaluation_order() {
        let p = Policy::from_json(include_bytes!("../../../config/policy.json")).unwrap();
        let v = PolicyView::of(&p);
        let prios: Vec<i64> = v.rules.iter().map(|r| r.priority).collect();
        let mut sorted = prios.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(prios, sorted);
        // The starter's highest priority (200): credential files by path (issue 15).
        assert_eq!(v.rules[0].id, "deny-sensitive-files");
    }
}
