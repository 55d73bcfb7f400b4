//! The fleet test (`docs/operations.md`, "Running a fleet"): three `datafog-api` processes on one
//! real PostgreSQL database, a client spreading keyed decides across them, one replica killed
//! with SIGKILL mid-load and restarted, the database restarted once mid-load. Then every
//! acknowledged receipt is readable from every replica, every chain verifies, and no idempotency
//! key ran twice.
//!
//! It needs a database: `scripts/test-fleet` starts one in a temp dir on loopback and runs this
//! with `--ignored`, giving `DATAFOG_FLEET_STORE_URL` and `DATAFOG_FLEET_PG_RESTART` (a shell
//! command that restarts the server and waits for it).

// clippy.toml allows these inside `#[test]` functions; the shared helpers need it too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a test failure"
)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Decides the client sends (each retried until acknowledged).
const DECIDES: usize = 1500;
const CLIENTS: usize = 6;
/// Attempts per decide before the test gives up on it.
const ATTEMPTS: usize = 60;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Replica {
    id: String,
    child: Child,
    addr: String,
    log: PathBuf,
}

fn command(id: &str, url: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_datafog-api"));
    cmd.current_dir(repo())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATAFOG_STORE_URL", url)
        .env("DATAFOG_REPLICA_ID", id)
        .env("DATAFOG_ADDR", "127.0.0.1:0")
        .env("DATAFOG_IDEMPOTENCY_LEASE", "2s")
        .env("DATAFOG_GUEST_POOL", "2")
        .env("DATAFOG_RECEIPT_PATH", dir.join(format!("{id}.jsonl")))
        // One token key for the fleet: idempotency digests and tokens agree across replicas.
        .env("DATAFOG_TOKEN_KEY_PATH", dir.join("token.key"))
        .env("DATAFOG_CACHE_DIR", dir.join("cwasm"));
    cmd
}

/// A start that must fail: its exit status is not success and its stderr says `why`.
fn refused(id: &str, url: &str, dir: &Path, why: &str) {
    let out = command(id, url, dir).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{id} started: {err}");
    assert!(err.contains(why), "{id}: want {why:?} in:\n{err}");
}

fn start(id: &str, url: &str, dir: &Path) -> Replica {
    let log = dir.join(format!("{id}-{}.log", std::process::id()));
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap();
    let child = command(id, url, dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = child;
    // The port from the listening line; every stderr line also goes to the log file.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut log_file = log_file;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            use std::io::Write;
            let _ = writeln!(log_file, "{line}");
            if let Some(at) = line.find("listening on ") {
                let _ = tx.send(line[at + "listening on ".len()..].trim().to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(240))
        .unwrap_or_else(|_| {
            panic!(
                "replica {id} did not start; its log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
    Replica {
        id: id.to_owned(),
        child,
        addr,
        log,
    }
}

fn payload(key: usize) -> String {
    serde_json::json!({
        "action": {"type": "shell.exec", "command": format!("notify customer {key}")},
        "text": format!("ticket {key}: reach user{key}@example.com or 555-01{:02}", key % 100),
        "idempotency_key": format!("fleet-key-{key}"),
    })
    .to_string()
}

#[derive(Default)]
struct Tally {
    /// Key -> every acknowledged answer (the whole body).
    acked: HashMap<usize, Vec<serde_json::Value>>,
    /// Status -> count, of every answer that was not a 200.
    refused: BTreeMap<String, usize>,
    gave_up: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: run by scripts/test-fleet"]
async fn fleet_keeps_every_acknowledged_receipt() {
    let url = std::env::var("DATAFOG_FLEET_STORE_URL")
        .expect("DATAFOG_FLEET_STORE_URL (scripts/test-fleet sets it)");
    let restart_db = std::env::var("DATAFOG_FLEET_PG_RESTART").expect("DATAFOG_FLEET_PG_RESTART");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // The first start compiles the component into the shared cache; the others reuse it.
    let first = start("replica-1", &url, &dir);
    let (second, third) = std::thread::scope(|s| {
        let a = s.spawn(|| start("replica-2", &url, &dir));
        let b = s.spawn(|| start("replica-3", &url, &dir));
        (a.join().unwrap(), b.join().unwrap())
    });
    let replicas = Arc::new(Mutex::new(vec![first, second, third]));
    let addrs = || -> Vec<String> {
        replicas
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.addr.clone())
            .collect()
    };

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let current = Arc::new(Mutex::new(addrs()));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (http, tally, next, current) =
            (http.clone(), tally.clone(), next.clone(), current.clone());
        clients.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= DECIDES {
                    break;
                }
                // New keys arrive all through the load (so the kill and the database restart hit
                // first decisions too), each sent three times at once by different clients to
                // different replicas; every fourth decide repeats an older key.
                let key = if i % 4 == 3 {
                    (i / 3 * 7919) % (i / 3 + 1)
                } else {
                    i / 3
                };
                let body = payload(key);
                let mut done = false;
                for attempt in 0..ATTEMPTS {
                    let addr = {
                        let a = current.lock().unwrap();
                        a[(i + c + attempt) % a.len()].clone()
                    };
                    let sent = http
                        .post(format!("http://{addr}/v1/decide"))
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    let outcome = match sent {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let v: serde_json::Value = r.json().await.unwrap_or_default();
                            if status == 200 {
                                Ok(v)
                            } else {
                                Err(format!(
                                    "{status} {}",
                                    v["error"]["code"].as_str().unwrap_or("?")
                                ))
                            }
                        }
                        Err(_) => Err("connection".to_owned()),
                    };
                    match outcome {
                        Ok(answer) => {
                            tally
                                .lock()
                                .unwrap()
                                .acked
                                .entry(key)
                                .or_default()
                                .push(answer);
                            done = true;
                            break;
                        }
                        Err(why) => {
                            *tally.lock().unwrap().refused.entry(why).or_default() += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
                if !done {
                    tally.lock().unwrap().gave_up += 1;
                }
            }
        }));
    }

    // A third of the way: kill -9 replica 2 and start it again (it continues its chain).
    let wait_for = |n: usize| {
        let next = next.clone();
        async move {
            while next.load(Ordering::Relaxed) < n {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(DECIDES / 3).await;
    let (id, log) = {
        let mut r = replicas.lock().unwrap();
        r[1].child.kill().unwrap();
        let _ = r[1].child.wait();
        (r[1].id.clone(), r[1].log.clone())
    };
    eprintln!(
        "fleet: killed {id} (SIGKILL) at decide {}",
        next.load(Ordering::Relaxed)
    );
    let (url2, dir2) = (url.clone(), dir.clone());
    let restarted = tokio::task::spawn_blocking(move || start(&id, &url2, &dir2))
        .await
        .unwrap();
    assert_eq!(restarted.log, log);
    replicas.lock().unwrap()[1] = restarted;
    *current.lock().unwrap() = addrs();
    eprintln!(
        "fleet: restarted replica-2 at decide {}",
        next.load(Ordering::Relaxed)
    );

    // Two thirds: restart the database under load.
    wait_for(2 * DECIDES / 3).await;
    eprintln!(
        "fleet: restarting the database at decide {}",
        next.load(Ordering::Relaxed)
    );
    let status =
        tokio::task::spawn_blocking(move || Command::new("sh").arg("-c").arg(&restart_db).status())
            .await
            .unwrap()
            .unwrap();
    assert!(status.success(), "restarting the database failed");
    eprintln!(
        "fleet: database back at decide {}",
        next.load(Ordering::Relaxed)
    );

    let started = Instant::now();
    for c in clients {
        c.await.unwrap();
    }
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    eprintln!(
        "fleet: load done in {:?} after the restart; refused answers: {:?}",
        started.elapsed(),
        tally.refused
    );
    assert_eq!(tally.gave_up, 0, "decides never acknowledged");

    // No key ran twice, as the clients saw it: every answer for a key is the same answer (the
    // same receipt; a replay on another replica, rebuilt from the receipt, equals the first).
    let mut acked_ids = Vec::new();
    for (key, answers) in &tally.acked {
        let ids: Vec<&str> = answers
            .iter()
            .map(|a| a["receipt_id"].as_str().unwrap_or_default())
            .collect();
        assert!(
            ids.iter().all(|id| *id == ids[0]),
            "key {key} was answered with different receipts: {ids:?}"
        );
        assert!(
            answers.iter().all(|a| a == &answers[0]),
            "key {key}: a replay differs from the first answer"
        );
        assert!(
            answers[0]["findings"]
                .as_array()
                .is_some_and(|f| !f.is_empty() && f.iter().all(|f| f["value"] != "")),
            "key {key}: the answers carry the findings with their values"
        );
        acked_ids.push(ids[0].to_owned());
    }
    let acks: usize = tally.acked.values().map(Vec::len).sum();
    assert_eq!(acks, DECIDES);
    eprintln!(
        "fleet: {acks} decides acknowledged, {} distinct keys",
        acked_ids.len()
    );

    // Every acknowledged receipt is readable from every replica.
    for addr in addrs() {
        for id in &acked_ids {
            let r = http
                .get(format!("http://{addr}/v1/receipts/{id}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "receipt {id} from {addr}");
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["receipt_id"], id.as_str());
        }
    }

    // The list routes answer from any replica, over every chain.
    let get_json = |url: String| {
        let http = http.clone();
        async move {
            let r = http.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    for addr in addrs() {
        let v = get_json(format!("http://{addr}/v1/receipts?limit=100")).await;
        let listed = v["receipts"].as_array().unwrap();
        assert_eq!(listed.len(), 100, "{addr}: {v}");
        let chains: std::collections::BTreeSet<&str> = listed
            .iter()
            .map(|r| r["chain_id"].as_str().unwrap())
            .collect();
        assert!(chains.len() > 1, "{addr}: the list shows one chain only");
        let v = get_json(format!("http://{addr}/v1/events?limit=10")).await;
        assert_eq!(v["events"].as_array().unwrap().len(), 10, "{addr}: {v}");
    }

    // The database: no key ran twice, and every chain verifies (the server's verifier).
    let (mut db, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let twice = db
        .query(
            "SELECT line::jsonb ->> 'idempotency_key_digest', count(*) FROM datafog_receipts
             GROUP BY 1 HAVING count(*) > 1",
            &[],
        )
        .await
        .unwrap();
    assert!(
        twice.is_empty(),
        "{} idempotency keys have more than one receipt",
        twice.len()
    );
    let total: i64 = db
        .query_one("SELECT count(*) FROM datafog_receipts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(total as usize, acked_ids.len(), "receipts vs distinct keys");
    let chains = datafog_host::pg::chains(&db).await.unwrap();
    assert_eq!(chains, ["replica-1", "replica-2", "replica-3"]);
    for chain in &chains {
        let (count, _) = datafog_host::pg::verify_chain(&mut db, chain)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        eprintln!("fleet: chain {chain}: {count} receipts verify");
    }
    // An export of a chain verifies offline.
    let addr = addrs()[0].clone();
    let export = http
        .get(format!(
            "http://{addr}/v1/receipts/export?chain_id=replica-2"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sum = datafog::receipt::verify_chain(export.lines()).unwrap();
    assert!(sum.count > 0);

    // Events were committed with their receipts.
    let events: i64 = db
        .query_one("SELECT count(*) FROM datafog_events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, total);

    // Starts that must be refused: a second live process on a chain, and a database whose schema
    // is newer than the binary.
    refused(
        "replica-3",
        &url,
        &dir,
        "is being written by another process",
    );
    for mut r in std::mem::take(&mut *replicas.lock().unwrap()) {
        let _ = r.child.kill();
        let _ = r.child.wait();
    }
    db.execute(
        "INSERT INTO datafog_schema (version, description) VALUES (999, 'from the future')",
        &[],
    )
    .await
    .unwrap();
    refused("replica-1", &url, &dir, "newer than this binary's");
    db.execute("DELETE FROM datafog_schema WHERE version = 999", &[])
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
