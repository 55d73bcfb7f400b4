//! Issue 14 (part 9), a fast first start: `datafog-api precompile` writes the compiled component
//! into the cache directory ahead of time, so the first start loads it instead of compiling.

use super::support::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `datafog-api precompile` with `base_env(dir)` and `cache` as `DATAFOG_CACHE_DIR`: its exit
/// status and stderr. A binary that does not know the subcommand would serve instead of exiting:
/// it is killed after ten minutes (a debug build's Cranelift on a busy machine takes one or two).
fn precompile(dir: &Path, cache: &Path) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_datafog-api"))
        .arg("precompile")
        .envs(base_env(dir))
        .env("DATAFOG_CACHE_DIR", cache)
        .env("DATAFOG_ADDR", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let began = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if began.elapsed() > Duration::from_secs(600) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`datafog-api precompile` did not exit within 600 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status, stderr)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Issue 14: after `datafog-api precompile` into an empty cache directory (one `.cwasm`, no
/// temporary file left; a second run has nothing to do), the server's first start loads that
/// file, never compiles, answers `/health` within a second of exec (a debug build; compiling
/// takes many seconds there), and scans correctly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_after_precompile_the_first_start_loads_and_does_not_compile() {
    let dir = temp_dir("precompile");
    let cache = dir.join("cache");
    let (status, log) = precompile(&dir, &cache);
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("compiled the component in"), "{log}");
    let files = files_in(&cache);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].starts_with("datafog-") && files[0].ends_with(".cwasm"),
        "{files:?}"
    );
    let (status, again) = precompile(&dir, &cache);
    assert!(status.success(), "{status}: {again}");
    assert!(again.contains("nothing to do"), "{again}");
    assert_eq!(files_in(&cache), files);

    let began = Instant::now();
    let cache_env = cache.display().to_string();
    let (mut child, base, log) = start_logged(&dir, &[("DATAFOG_CACHE_DIR", &cache_env)]);
    let c = reqwest::Client::new();
    let r = c.get(format!("{base}/health")).send().await.unwrap();
    let ready = began.elapsed();
    assert_eq!(r.status(), 200);
    let r = c
        .post(format!("{base}/v1/scan"))
        .header("Content-Type", "application/json")
        .body(r#"{"text":"write to alice@example.com"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["findings"][0]["entity_type"], "email", "{v}");
    child.kill().unwrap();
    child.wait().unwrap();
    let log = log.lock().unwrap().clone();
    let loaded = format!("loaded the precompiled component from {}", cache.display());
    assert!(log.contains(&loaded), "{log}");
    assert!(!log.contains("compiled the component in"), "{log}");
    assert!(
        ready < Duration::from_secs(1),
        "ready after {ready:?}; {log}"
    );
}

/// `datafog-api` with `base_env(dir)` and `extra`, expected to exit at start: its stderr.
fn start_failing(dir: &Path, extra: &[(&str, &str)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_datafog-api"))
        .envs(base_env(dir))
        .envs(extra.iter().copied())
        .env("DATAFOG_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    err
}

/// Issue 14: the start-up log says whether the component was compiled (and where the result was
/// cached for the next start) or loaded, so an operator sees why a first start was slow. An empty
/// component (8 bytes) compiles in no time; it exports nothing, so each start fails right after
/// the step under test. `precompile` with the cache off is an error naming the setting.
#[test]
fn issue_14_a_start_says_whether_it_compiled_or_loaded_the_component() {
    let dir = temp_dir("compiles");
    let empty = dir.join("empty.wasm");
    std::fs::write(&empty, b"\0asm\x0d\0\x01\0").unwrap();
    let cache = dir.join("cache");
    let env = [
        ("DATAFOG_COMPONENT_PATH", empty.to_str().unwrap()),
        ("DATAFOG_CACHE_DIR", cache.to_str().unwrap()),
    ];
    let first = start_failing(&dir, &env);
    assert!(first.contains("compiled the component in"), "{first}");
    assert!(first.contains("for the next start"), "{first}");
    assert!(first.contains("does not fit"), "{first}");
    let second = start_failing(&dir, &env);
    let loaded = format!("loaded the precompiled component from {}", cache.display());
    assert!(second.contains(&loaded), "{second}");
    assert!(!second.contains("compiled the component in"), "{second}");
    let off = [
        ("DATAFOG_COMPONENT_PATH", empty.to_str().unwrap()),
        ("DATAFOG_CACHE_DIR", "off"),
    ];
    let uncached = start_failing(&dir, &off);
    assert!(uncached.contains("compiled the component in"), "{uncached}");
    assert!(uncached.contains("no cache"), "{uncached}");

    let out = Command::new(env!("CARGO_BIN_EXE_datafog-api"))
        .arg("precompile")
        .envs(base_env(&dir))
        .envs(off)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("DATAFOG_CACHE_DIR"), "{err}");
}

/// `datafog-api` refuses an unknown argument (exit code 2, the usage on stderr) instead of
/// ignoring it and serving.
#[test]
fn an_unknown_argument_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_datafog-api"))
        .arg("precompiel")
        .env("DATAFOG_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`precompiel`") && err.contains("datafog-api precompile"),
        "{err}"
    );
}
