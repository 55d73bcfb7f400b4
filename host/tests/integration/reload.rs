//! Issue 13: hot policy reload on the real `datafog-api` process. SIGHUP with a new policy changes
//! decisions and the version in receipts and `/health`; a bad file keeps the old policy answering
//! and is counted; reloads under a steady stream of decides fail no request; the file watch
//! (`DATAFOG_POLICY_WATCH`) picks up a change without a signal.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{repo, start_logged, temp_dir};

/// The starter policy with another version and, when `allow_db`, a rule allowing `db.query`.
fn policy(version: &str, allow_db: bool) -> String {
    let mut p: Value =
        serde_json::from_slice(&std::fs::read(repo().join("config/policy.json")).unwrap()).unwrap();
    p["policy_version"] = json!(version);
    if allow_db {
        p["rules"].as_array_mut().unwrap().push(json!({
            "id": "allow-db-query",
            "priority": 10,
            "effect": "allow",
            "match": {"action_types": ["db.query"]}
        }));
    }
    serde_json::to_string_pretty(&p).unwrap()
}

/// Replace the file the way an editor or a ConfigMap update does: write aside, rename over.
fn write_policy(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn sighup(child: &std::process::Child) {
    // SAFETY: kill(2) on our own child's pid.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGHUP) };
    assert_eq!(rc, 0);
}

async fn decide(c: &reqwest::Client, base: &str, action_type: &str) -> Value {
    let r = c
        .post(format!("{base}/v1/decide"))
        .json(&json!({"action": {"type": action_type}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn health(c: &reqwest::Client, base: &str) -> Value {
    c.get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_for_version(c: &reqwest::Client, base: &str, version: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let h = health(c, base).await;
        if h["policy_version"] == version {
            return h;
        }
        assert!(
            Instant::now() < deadline,
            "never reloaded to {version}: {h}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn reload_count(c: &reqwest::Client, base: &str, result: &str) -> u64 {
    let text = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = format!("datafog_policy_reload_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_sighup_reloads_the_policy_and_a_bad_file_keeps_the_old_one() {
    let dir = temp_dir("reload");
    let path = dir.join("policy.json");
    let v1 = policy("v1", false);
    write_policy(&path, &v1);
    let path_s = path.display().to_string();
    let (mut child, base, log) = start_logged(&dir, &[("DATAFOG_POLICY_PATH", &path_s)]);
    let c = reqwest::Client::new();

    let h = health(&c, &base).await;
    assert_eq!(h["policy_version"], "v1");
    assert_eq!(h["policy_hash"], format!("sha256:{}", sha256_hex(&v1)));
    assert!(
        h["policy_loaded_at"].as_str().unwrap().ends_with('Z'),
        "{h}"
    );
    let d = decide(&c, &base, "db.query").await;
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["policy_version"], "v1");

    // A new policy and SIGHUP: new decision, new version in the answer and the receipt.
    let v2 = policy("v2", true);
    write_policy(&path, &v2);
    sighup(&child);
    let h = wait_for_version(&c, &base, "v2").await;
    assert_eq!(h["policy_hash"], format!("sha256:{}", sha256_hex(&v2)));
    let d = decide(&c, &base, "db.query").await;
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(d["matched_rules"], json!(["allow-db-query"]));
    assert_eq!(d["policy_version"], "v2");
    let receipt: Value = c
        .get(format!(
            "{base}/v1/receipts/{}",
            d["receipt_id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["policy_version"], "v2", "{receipt}");
    let pv: Value = c
        .get(format!("{base}/v1/policy/version"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pv["policy_version"], "v2");
    assert_eq!(reload_count(&c, &base, "ok").await, 1);

    // A bad file: an unknown effect. The old policy keeps answering; the refusal is counted and
    // logged with the rule and field.
    let mut bad: Value = serde_json::from_str(&policy("v3", true)).unwrap();
    bad["rules"][0]["effect"] = json!("permit");
    let bad_rule = bad["rules"][0]["id"].as_str().unwrap().to_owned();
    write_policy(&path, &serde_json::to_string(&bad).unwrap());
    sighup(&child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while reload_count(&c, &base, "error").await < 1 {
        assert!(Instant::now() < deadline, "the refusal was not counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let d = decide(&c, &base, "db.query").await;
    assert_eq!(d["decision"], "allow");
    assert_eq!(d["policy_version"], "v2");
    assert_eq!(health(&c, &base).await["policy_version"], "v2");
    // Not JSON at all: refused too.
    write_policy(&path, "{ not json");
    sighup(&child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while reload_count(&c, &base, "error").await < 2 {
        assert!(
            Instant::now() < deadline,
            "the second refusal was not counted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(decide(&c, &base, "db.query").await["policy_version"], "v2");
    assert_eq!(reload_count(&c, &base, "ok").await, 1);
    let text = log.lock().unwrap().clone();
    assert!(text.contains("policy reload refused"), "{text}");
    assert!(
        text.contains(&format!("rule `{bad_rule}`")) && text.contains("effect"),
        "{text}"
    );

    child.kill().unwrap();
    child.wait().unwrap();
}

/// Reloads while a client hammers decides: every request answers 200, and every answer's
/// `policy_version` is one of the versions loaded (the decision matches that version's rules).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_reloads_under_load_fail_no_request() {
    let dir = temp_dir("reload-load");
    let path = dir.join("policy.json");
    write_policy(&path, &policy("v0", false));
    let path_s = path.display().to_string();
    let (mut child, base, _log) = start_logged(
        &dir,
        &[
            ("DATAFOG_POLICY_PATH", &path_s),
            ("DATAFOG_GUEST_POOL", "4"),
        ],
    );
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (stop, ok, failed, base) = (stop.clone(), ok.clone(), failed.clone(), base.clone());
        clients.push(tokio::spawn(async move {
            let c = reqwest::Client::new();
            let mut versions = std::collections::BTreeSet::new();
            while !stop.load(Ordering::Relaxed) {
                let r = c
                    .post(format!("{base}/v1/decide"))
                    .json(
                        &json!({"action": {"type": "db.query"}, "text": "mail jane@corp.example"}),
                    )
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => {
                        let v: Value = r.json().await.unwrap();
                        let version = v["policy_version"].as_str().unwrap().to_owned();
                        // Even versions deny db.query, odd ones allow it.
                        let n: u32 = version.trim_start_matches('v').parse().unwrap();
                        let want = if n % 2 == 1 { "allow" } else { "deny" };
                        assert_eq!(v["decision"], want, "{v}");
                        versions.insert(n);
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            versions
        }));
    }
    let c = reqwest::Client::new();
    for n in 1..=6 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        write_policy(&path, &policy(&format!("v{n}"), n % 2 == 1));
        sighup(&child);
        wait_for_version(&c, &base, &format!("v{n}")).await;
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.store(true, Ordering::Relaxed);
    let mut seen = std::collections::BTreeSet::new();
    for t in clients {
        seen.extend(t.await.unwrap());
    }
    assert_eq!(failed.load(Ordering::Relaxed), 0, "failed requests");
    assert!(ok.load(Ordering::Relaxed) > 50, "too few requests: {ok:?}");
    assert!(seen.len() >= 4, "answers came from versions {seen:?}");
    assert!(seen.contains(&6), "{seen:?}");
    assert_eq!(reload_count(&c, &base, "ok").await, 6);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `DATAFOG_POLICY_WATCH=1`: a changed file is reloaded without a signal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_the_file_watch_reloads_a_changed_policy() {
    let dir = temp_dir("reload-watch");
    let path = dir.join("policy.json");
    write_policy(&path, &policy("w1", false));
    let path_s = path.display().to_string();
    let (mut child, base, _log) = start_logged(
        &dir,
        &[
            ("DATAFOG_POLICY_PATH", &path_s),
            ("DATAFOG_POLICY_WATCH", "1"),
        ],
    );
    let c = reqwest::Client::new();
    assert_eq!(decide(&c, &base, "db.query").await["decision"], "deny");
    write_policy(&path, &policy("w2", true));
    wait_for_version(&c, &base, "w2").await;
    assert_eq!(decide(&c, &base, "db.query").await["decision"], "allow");
    child.kill().unwrap();
    child.wait().unwrap();
}
