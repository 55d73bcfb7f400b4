//! Signed checkpoints (issue 14): the real binary on a real socket prints its public key, serves
//! the latest checkpoint, writes one at graceful shutdown and reuses its key; a receipts file cut
//! short or a checkpoint altered behind its back refuses to start.

use super::support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command};

use datafog_files::checkpoint::{Checkpoint, PublicKey, parse_many};
use serde_json::Value;

/// Start `datafog-api` on port 0: the child, its base URL and the public key it printed.
fn start(dir: &Path, extra: &[(&str, &str)]) -> (Child, String, String) {
    let (child, base, log) = start_logged(dir, extra);
    let public = log
        .lock()
        .unwrap()
        .lines()
        .find(|l| l.contains("datafog-api checkpoints every "))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_default()
        .to_owned();
    (child, base, public)
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// The `hash` of every receipt in the file, in order.
fn hashes(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("receipts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["hash"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn checkpoints(dir: &Path) -> Vec<Checkpoint> {
    let text = std::fs::read_to_string(dir.join("receipts.jsonl.checkpoints")).unwrap();
    parse_many(&text)
        .into_iter()
        .map(|(_, c)| c.unwrap())
        .collect()
}

async fn decide(c: &reqwest::Client, base: &str) {
    let r = c
        .post(format!("{base}/v1/decide"))
        .header("Content-Type", "application/json")
        .body(r#"{"action":{"type":"file.read","resource":"a.txt"},"text":"no pii"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// `GET /v1/receipts/checkpoint` until it answers a checkpoint of `count` receipts (the writer
/// signs it just after answering the decide that reached it).
async fn checkpoint_of(c: &reqwest::Client, base: &str, count: u64) -> Checkpoint {
    for _ in 0..300 {
        let r = c
            .get(format!("{base}/v1/receipts/checkpoint"))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            let cp = Checkpoint::parse(&r.text().await.unwrap()).unwrap();
            if cp.count == count {
                return cp;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no checkpoint of {count} receipts");
}

#[tokio::test]
async fn issue_14_the_route_serves_a_checkpoint_signed_by_the_printed_key_and_shutdown_writes_one()
{
    warm_cache();
    let dir = temp_dir("checkpoint-socket");
    let every = [("DATAFOG_CHECKPOINT_EVERY", "2")];
    let (child, base, printed) = start(&dir, &every);
    let public = PublicKey::from_hex(&printed).unwrap();
    let c = reqwest::Client::new();

    // None before the first receipts: 404 in the envelope.
    let r = c
        .get(format!("{base}/v1/receipts/checkpoint"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    assert_eq!(v["error"]["message"], "checkpoint not found");

    for _ in 0..3 {
        decide(&c, &base).await;
    }
    // After two receipts: a checkpoint of the first two, signed by the key printed at start.
    let cp = checkpoint_of(&c, &base, 2).await;
    assert_eq!(public.verify(&cp), Ok(()));
    assert_eq!(cp.key_id, public.key_id());
    assert_eq!(cp.public_key, printed);
    assert_eq!(cp.last_hash, hashes(&dir)[1]);

    // Graceful shutdown anchors the third receipt too.
    stop(child);
    let written = checkpoints(&dir);
    assert_eq!(written.len(), 2, "{written:?}");
    let last = written.last().unwrap();
    assert_eq!(last.count, 3);
    assert_eq!(&last.last_hash, hashes(&dir).last().unwrap());
    assert_eq!(public.verify(last), Ok(()));
    // Nothing but counts, hashes, a time and keys.
    let line = std::fs::read_to_string(dir.join("receipts.jsonl.checkpoints")).unwrap();
    assert!(!line.contains("a.txt") && !line.contains("no pii"));

    // The key file: 0600, and the same key after a restart (which serves the last checkpoint
    // and writes none: the chain did not move).
    let key = dir.join("datafog_checkpoint.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::metadata(&key).unwrap().len(), 32);
    let (child, base, again) = start(&dir, &every);
    assert_eq!(again, printed);
    let cp = checkpoint_of(&c, &base, 3).await;
    assert_eq!(&cp, last);
    stop(child);
    assert_eq!(checkpoints(&dir).len(), 2);
}

#[tokio::test]
async fn issue_14_a_receipts_file_cut_short_or_an_altered_checkpoint_refuses_to_start() {
    let dir = temp_dir("checkpoint-start");
    {
        let a = datafog_host::http::app(state_with(&dir, &[]));
        for _ in 0..3 {
            let r = post(&a, "/v1/decide", r#"{"action":{"type":"file.read"}}"#).await;
            assert_eq!(r.status, 200);
        }
        // Dropping the last handle closes the store: the shutdown checkpoint covers all three.
    }
    assert_eq!(checkpoints(&dir).last().unwrap().count, 3);
    let settings = settings_with(&dir, &[]);
    drop(datafog_host::build_state(&settings).unwrap());

    // The last receipt cut off (whole lines, so the chain itself still verifies).
    let receipts = dir.join("receipts.jsonl");
    let full = std::fs::read_to_string(&receipts).unwrap();
    let cut: String = full.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(&receipts, &cut).unwrap();
    let err = datafog_host::build_state(&settings).unwrap_err();
    assert!(
        err.contains("truncated: checkpoint covers 3 receipts, file has 2"),
        "{err}"
    );
    assert!(err.contains("refusing to start"), "{err}");
    std::fs::write(&receipts, &full).unwrap();

    // One byte of the checkpoint's signature flipped.
    let cps = dir.join("receipts.jsonl.checkpoints");
    let original = std::fs::read_to_string(&cps).unwrap();
    let mut cp = Checkpoint::parse(original.lines().last().unwrap()).unwrap();
    let flipped = if cp.signature.starts_with('0') {
        "1"
    } else {
        "0"
    };
    cp.signature.replace_range(..1, flipped);
    std::fs::write(&cps, format!("{}\n", cp.to_line())).unwrap();
    let err = datafog_host::build_state(&settings).unwrap_err();
    assert!(err.contains("bad signature"), "{err}");
    std::fs::write(&cps, &original).unwrap();
    drop(datafog_host::build_state(&settings).unwrap());
}

#[tokio::test]
async fn issue_14_checkpoints_off_writes_no_key_and_answers_404() {
    let dir = temp_dir("checkpoint-off");
    let a = datafog_host::http::app(state_with(&dir, &[("DATAFOG_CHECKPOINT_EVERY", "0")]));
    let r = post(&a, "/v1/decide", r#"{"action":{"type":"file.read"}}"#).await;
    assert_eq!(r.status, 200);
    let r = get(&a, "/v1/receipts/checkpoint").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"]["details"],
        "checkpoints are off (DATAFOG_CHECKPOINT_EVERY=0)"
    );
    assert!(!dir.join("datafog_checkpoint.key").exists());
    assert!(!dir.join("receipts.jsonl.checkpoints").exists());
}
