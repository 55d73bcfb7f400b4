//! How long loading a policy takes at and past the size limits (issue 14), natively:
//! `cargo run --release -p datafog-component --example policy_load_cost`.
//!
//! Prints, for each generated document, its size, the load time (best of 3) and the outcome. An
//! argument runs only the cases whose label contains it (to measure one case's peak memory with
//! `/usr/bin/time -v`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a command-line probe"
)]

use std::time::{Duration, Instant};

use datafog::policy::{MAX_LIST_ENTRIES, MAX_POLICY_BYTES, MAX_RULES, Policy};

/// A realistic rule: globs, an entity gate, a plan step.
fn rule(i: usize) -> String {
    format!(
        r#"{{"id":"rule-{i}","description":"generated rule {i}","priority":{p},"effect":"{e}",
"match":{{"action_types":["shell.exec","file.*"],"tools":["git","kube*"],"resources":["/srv/app{i}/**"],"args":["--force*"]}},
"any_entities":["secret","email"],"entity_transforms":[{{"entity_type":"email","mode":"mask"}}]}}"#,
        p = i % 100,
        e = ["deny", "transform", "allow_with_redaction", "allow"]
            .get(i % 4)
            .unwrap()
    )
}

fn policy(rules: impl Iterator<Item = String>, extra: &str) -> String {
    let rules: Vec<String> = rules.collect();
    format!(
        r#"{{"policy_id":"p","policy_version":"1"{extra},"rules":[{}]}}"#,
        rules.join(",\n")
    )
}

fn time(label: &str, doc: &[u8]) {
    if std::env::args()
        .nth(1)
        .is_some_and(|only| !label.contains(&only))
    {
        return;
    }
    let mut best = Duration::MAX;
    let mut outcome = String::new();
    for _ in 0..3 {
        let t = Instant::now();
        let r = Policy::from_json(doc);
        best = best.min(t.elapsed());
        outcome = match r {
            Ok(p) => format!(
                "loaded, {} rules, {} warnings",
                p.rules().len(),
                p.warnings().len()
            ),
            Err(e) => {
                let first = e.errors().first().map_or("", |x| x.message.as_str());
                let first: String = first.chars().take(90).collect();
                format!("rejected, {} errors: {first}", e.errors().len())
            }
        };
    }
    println!(
        "{label:<44} {:>9} bytes {:>10.2} ms  {outcome}",
        doc.len(),
        best.as_secs_f64() * 1e3
    );
}

fn main() {
    let max = policy((0..MAX_RULES).map(rule), "");
    assert!(max.len() <= MAX_POLICY_BYTES, "{} bytes", max.len());
    time("10,000 realistic rules (MAX_RULES)", max.as_bytes());
    let minimal = |n: usize| {
        policy(
            (0..n).map(|i| format!(r#"{{"id":"r{i}","effect":"allow"}}"#)),
            "",
        )
    };
    time("100,000 minimal rules (audit)", minimal(100_000).as_bytes());
    time("10,001 minimal rules", minimal(MAX_RULES + 1).as_bytes());
    let huge = policy((0..20_000).map(rule), "");
    time("20,000 realistic rules (over 4 MiB)", huge.as_bytes());
    // Worst shapes within the byte limit.
    let list: Vec<String> = (0..MAX_LIST_ENTRIES)
        .map(|i| format!(r#""/a/{i}/**""#))
        .collect();
    let fat = format!(
        r#"{{"id":"r{{}}","effect":"deny","match":{{"resources":[{}]}}}}"#,
        list.join(",")
    );
    let n = (MAX_POLICY_BYTES - 100) / (fat.len() + 2);
    time(
        &format!("{n} rules x 1,000 globs"),
        policy((0..n).map(|i| fat.replace("r{}", &format!("r{i}"))), "").as_bytes(),
    );
    let bad: Vec<&str> = vec!["1"; MAX_LIST_ENTRIES];
    let bad = format!(
        r#"{{"id":"r{{}}","effect":"deny","match":{{"tools":[{}]}}}}"#,
        bad.join(",")
    );
    let n = (MAX_POLICY_BYTES - 100) / (bad.len() + 8);
    time(
        &format!("{n} rules x 1,000 type errors"),
        policy((0..n).map(|i| bad.replace("r{}", &format!("r{i}"))), "").as_bytes(),
    );
    let bad: Vec<&str> = vec![r#""x""#; MAX_LIST_ENTRIES];
    let bad = format!(
        r#"{{"id":"r{{}}","effect":"deny","entity_requirements":[{}]}}"#,
        bad.join(",")
    );
    let n = (MAX_POLICY_BYTES - 100) / (bad.len() + 8);
    time(
        &format!("{n} rules x 1,000 unknown entity names"),
        policy((0..n).map(|i| bad.replace("r{}", &format!("r{i}"))), "").as_bytes(),
    );
    let unknown: Vec<String> = (0..(MAX_POLICY_BYTES / 12))
        .map(|i| format!(r#""u{i}":0"#))
        .collect();
    let extra = format!(",{}", unknown.join(","));
    let doc = policy(std::iter::once(rule(0)), &extra);
    if doc.len() <= MAX_POLICY_BYTES {
        time("~350k unknown top-level fields", doc.as_bytes());
        let lenient = policy(
            std::iter::once(rule(0)),
            &format!(r#","lenient":true{extra}"#),
        );
        time("~350k unknown fields, lenient", lenient.as_bytes());
    }
    let heavy: Vec<String> = (0..64)
        .map(|i| format!(r#"{{"name":"d{i}","pattern":"[a-z]{{1,40}}\\w{{1,20}}[0-9]{{3,30}}"}}"#))
        .collect();
    let allow: Vec<String> = (0..64)
        .map(|i| format!(r#""[a-z]{{1,40}}\\w{{1,20}}x{i}""#))
        .collect();
    time(
        "64 heavy detectors",
        policy(
            std::iter::once(rule(0)),
            &format!(r#","custom_detectors":[{}]"#, heavy.join(",")),
        )
        .as_bytes(),
    );
    time(
        "64 heavy allow patterns",
        policy(
            std::iter::once(rule(0)),
            &format!(r#","allow_list":{{"patterns":[{}]}}"#, allow.join(",")),
        )
        .as_bytes(),
    );
    time(
        "64 heavy detectors + 64 heavy allow patterns",
        policy(
            std::iter::once(rule(0)),
            &format!(
                r#","custom_detectors":[{}],"allow_list":{{"patterns":[{}]}}"#,
                heavy.join(","),
                allow.join(",")
            ),
        )
        .as_bytes(),
    );
}
