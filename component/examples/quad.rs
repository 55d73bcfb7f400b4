//! Scaling check: scan time for repeated pathological fragments at two sizes (4x apart).
//!
//! `cargo run --release -p datafog-component --example quad [secrets [FRAGMENT]]`
//!
//! A linear detector shows a time ratio of about 4. With the argument `secrets`, only the secret
//! detectors run (`detect::secrets::find`), over a longer list of secret-specific fragments.

use std::time::{Duration, Instant};

/// Fragments for the whole pipeline.
const PIPELINE: &[&str] = &[
    "api_key=",
    "password=",
    "token: ",
    "Bearer ",
    "AKIA",
    "eyJ",
    "-----BEGIN PRIVATE KEY-----\\n",
    "://u:",
    "@",
    "1",
    "1.",
    "1-",
    "Mr. ",
    "In ",
    "12 Main ",
    "a@",
    "ghp_",
    "sk-",
    "xoxb-",
    "SG.",
    "=",
    ":",
    "::",
    "Aa ",
    "a.b@",
    "1:",
    "a:",
    "-----BEGIN PRIVATE KEY-----\nMIIB\n",
];

/// Fragments for the secret detectors alone.
const SECRETS: &[&str] = &[
    "api_key=",
    "password=",
    "token: ",
    "Bearer ",
    "Bearer",
    "bearer a",
    "AKIA",
    "eyJ",
    "eyJ.",
    "eyJa.",
    "ghp_",
    "ghp_a",
    "gho_1",
    "github_pat_",
    "glpat-",
    "glpat-a.",
    "xoxb-",
    "xoxb-1",
    "xapp-1-",
    "sk-",
    "sk-proj-",
    "sk-ant-api03-",
    "sk_live_",
    "rk_test_a",
    "whsec_",
    "AIza",
    "npm_",
    "SG.",
    "SG.a",
    "secret=",
    "secret",
    "key",
    "token",
    "api_key=ABCD1234EFGH5678 ",
    "Api_key=1",
    "api_key=aaaaaB1",
    "auth=",
    "token=Ab1.",
    "pwd=ab",
    "password=hunter22 ",
    "Authorization: Basic ",
    "Authorization: Basic dXNlcjpwYXNz ",
    "-----BEGIN",
    "-----BEGIN PRIVATE KEY-----\n",
    "-----BEGIN PRIVATE KEY-----\\n",
    "-----BEGIN PRIVATE KEY-----\nMIIB\n",
    "-----END PRIVATE KEY-----\n",
    "https://hooks.slack.com/services/",
    "hooks.slack.com/services/T12345678/",
    "postgres://",
    "://u:",
    "://u:p@",
    "a://",
    "https://x/?sv=1&sig=",
    "https://x/?X-Amz-Credential=1&X-Amz-Signature=",
    "https://x/?Key-Pair-Id=1&Signature=",
    "glcbt-",
    "credential=",
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..",
    "a",
    "A",
    "a_",
    "a-",
    "a.",
    "Aa1",
    "a=",
    "\"",
    "\"password\": \"",
];

/// Best of `reps` runs, so a busy machine distorts less.
fn time(f: impl Fn(&[u8]) -> usize, text: &[u8], reps: usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..reps {
        let t = Instant::now();
        n = f(std::hint::black_box(text));
        best = best.min(t.elapsed());
    }
    (best, n)
}

fn main() {
    let secrets_only = std::env::args().nth(1).as_deref() == Some("secrets");
    let only = std::env::args().nth(2);
    let pats = if secrets_only { SECRETS } else { PIPELINE };
    let scan = |t: &[u8]| -> usize {
        if secrets_only {
            let mut out = Vec::new();
            datafog::detect::secrets::find(t, &mut out);
            out.len()
        } else {
            datafog::scan_all(t).len()
        }
    };
    for p in pats {
        if only.as_deref().is_some_and(|o| o != *p) {
            continue;
        }
        let mut times = Vec::new();
        for n in [50_000usize, 200_000] {
            let text = p.repeat(n / p.len());
            times.push(time(
                scan,
                text.as_bytes(),
                if secrets_only { 3 } else { 1 },
            ));
        }
        let (small, big) = match times.as_slice() {
            [a, b] => (*a, *b),
            _ => continue,
        };
        let ratio = big.0.as_secs_f64() / small.0.as_secs_f64().max(1e-9);
        println!(
            "{p:?}: 50K {:?} 200K {:?} ratio {ratio:.1} findings {}",
            small.0, big.0, big.1
        );
    }
}
