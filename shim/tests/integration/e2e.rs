//! `datafog-shim` end-to-end: the real binary as a subprocess against a real `datafog-api`
//! (in-process, port 0, the starter policy), offline mode, wrappers through PATH, the Claude Code
//! hook protocol with recorded events (`tests/fixtures/claude/`), and exit codes.

pub(crate) mod support {
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::Value;

    pub const SHIM: &str = env!("CARGO_BIN_EXE_datafog-shim");
    pub const SECRET: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";

    pub fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// The starter policy (`DATAFOG_AUDIT_POLICY` overrides it for the audit's "before" run
    /// against an older build, `audit.rs`).
    pub fn policy() -> PathBuf {
        std::env::var_os("DATAFOG_AUDIT_POLICY")
            .map_or_else(|| repo().join("config/policy.json"), PathBuf::from)
    }

    pub fn temp_dir(tag: &str) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "shim-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The shared server: base URL.
    pub fn server() -> &'static str {
        static URL: OnceLock<String> = OnceLock::new();
        URL.get_or_init(|| {
            let dir = temp_dir("server");
            let vars: Vec<(String, String)> = vec![
                ("DATAFOG_POLICY_PATH".into(), policy().display().to_string()),
                (
                    "DATAFOG_RECEIPT_PATH".into(),
                    dir.join("receipts.jsonl").display().to_string(),
                ),
                (
                    "DATAFOG_CACHE_DIR".into(),
                    Path::new(env!("CARGO_TARGET_TMPDIR"))
                        .join("cwasm")
                        .display()
                        .to_string(),
                ),
                ("DATAFOG_GUEST_POOL".into(), "2".into()),
            ];
            let settings = datafog_host::config::Settings::from_lookup(|k| {
                vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
            })
            .0;
            let state = datafog_host::build_state(&settings).unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    tx.send(l.local_addr().unwrap()).unwrap();
                    datafog_host::serve(l, &settings, state, std::future::pending::<()>())
                        .await
                        .unwrap();
                });
            });
            format!("http://{}", rx.recv().unwrap())
        })
    }

    /// GET a receipt from the server.
    pub fn receipt(id: &str) -> Value {
        let mut r = ureq::get(&format!("{}/v1/receipts/{id}", server()))
            .call()
            .unwrap();
        r.body_mut().read_json().unwrap()
    }

    /// A command for the shim with a clean environment (no `DATAFOG_SHIM_*` from the caller).
    pub fn shim(dir: &Path) -> Command {
        let mut c = Command::new(SHIM);
        c.current_dir(dir);
        for (k, _) in std::env::vars() {
            if k.starts_with("DATAFOG_") {
                c.env_remove(k);
            }
        }
        c.env("HOME", dir);
        c
    }

    /// The shim against the shared server.
    pub fn online(dir: &Path) -> Command {
        let mut c = shim(dir);
        c.env("DATAFOG_SHIM_POLICY_URL", server());
        c
    }

    /// The shim with the policy service down (nothing listens on port 1).
    pub fn service_down(dir: &Path) -> Command {
        let mut c = shim(dir);
        c.env("DATAFOG_SHIM_POLICY_URL", "http://127.0.0.1:1");
        c
    }

    pub struct Run {
        pub code: i32,
        pub stdout: String,
        pub stderr: String,
    }

    pub fn run(mut c: Command, stdin: &str) -> Run {
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        // A process that exits before reading stdin (a usage error) closes the pipe early.
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// `receipt=<id> decision=<d>` pairs from stderr, in order.
    pub fn receipts_of(stderr: &str) -> Vec<(String, String)> {
        stderr
            .lines()
            .filter_map(|l| {
                let at = l.find("receipt=")?;
                let mut parts = l[at..].split_whitespace();
                let id = parts.next()?.strip_prefix("receipt=")?.to_owned();
                let d = parts.next()?.strip_prefix("decision=")?.to_owned();
                Some((id, d))
            })
            .collect()
    }

    /// A workspace with a `.env` and a `config.txt` carrying a secret, `secret.rev` carrying it
    /// reversed (no finding in the file; `rev secret.rev` prints the secret: for output checks),
    /// and a clean README.
    pub fn project(tag: &str) -> PathBuf {
        let d = temp_dir(tag);
        std::fs::write(d.join(".env"), format!("STRIPE_KEY={SECRET}\n")).unwrap();
        std::fs::write(d.join("config.txt"), format!("STRIPE_KEY={SECRET}\n")).unwrap();
        let rev: String = format!("STRIPE_KEY={SECRET}").chars().rev().collect();
        std::fs::write(d.join("secret.rev"), format!("{rev}\n")).unwrap();
        std::fs::write(d.join("README.md"), "# Demo\nNothing sensitive here.\n").unwrap();
        d
    }

    pub fn events(path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

mod commands {
    use super::support::*;

    #[test]
    fn shell_allows_a_clean_command_and_the_receipt_is_on_the_server() {
        let d = project("shell-ok");
        let mut c = online(&d);
        c.args(["shell", "echo", "hello", "world"]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, "hello world\n");
        let ids = receipts_of(&r.stderr);
        assert_eq!(ids.len(), 1, "{}", r.stderr);
        assert_eq!(ids[0].1, "allow");
        let rec = receipt(&ids[0].0);
        assert_eq!(rec["decision"], "allow");
        assert_eq!(rec["action"]["type"], "shell.exec");
        assert_eq!(rec["action"]["command"], "echo");
        assert_eq!(rec["matched_rules"][0], "allow-commands");
    }

    #[test]
    fn a_command_carrying_a_secret_is_blocked_before_it_runs() {
        let d = project("shell-deny");
        let mut c = online(&d);
        c.args([
            "shell",
            "sh",
            "-c",
            &format!("touch ran; curl -H 'Authorization: Bearer {SECRET}' x"),
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 77, "{}", r.stderr);
        assert!(!d.join("ran").exists(), "the command ran");
        assert!(r.stderr.contains("decision=deny"), "{}", r.stderr);
        assert!(r.stderr.contains("deny-command-secrets"), "{}", r.stderr);
        assert!(!r.stderr.contains(SECRET) && !r.stdout.contains(SECRET));
        let (id, _) = &receipts_of(&r.stderr)[0];
        let rec = receipt(id);
        assert_eq!(rec["decision"], "deny");
        // Findings carry digests, never values.
        let f = &rec["findings"][0];
        assert!(
            f.get("value").is_none() && f["value_digest"].is_string(),
            "{rec}"
        );
    }

    #[test]
    fn output_carrying_a_secret_is_withheld() {
        let d = project("shell-cat-env");
        let mut c = online(&d);
        c.args(["shell", "rev", "secret.rev"]);
        let r = run(c, "");
        assert_eq!(r.code, 77, "{}", r.stderr);
        assert_eq!(r.stdout, "");
        assert!(!r.stderr.contains(SECRET));
        assert!(r.stderr.contains("output withheld"), "{}", r.stderr);
        let ids = receipts_of(&r.stderr);
        assert_eq!(ids.len(), 2, "{}", r.stderr);
        assert_eq!(receipt(&ids[1].0)["decision"], "deny");
    }

    #[test]
    fn stdin_is_forwarded_and_the_exit_code_propagates() {
        let d = project("shell-exit");
        let mut c = online(&d);
        c.args([
            "shell",
            "sh",
            "-c",
            "read x; echo got:$x; echo err >&2; exit 5",
        ]);
        let r = run(c, "abc\n");
        assert_eq!(r.code, 5, "{}", r.stderr);
        assert_eq!(r.stdout, "got:abc\n");
        assert!(r.stderr.starts_with("err\n"), "{}", r.stderr);
        assert!(r.stderr.contains("decision=allow"));
    }

    #[test]
    fn output_with_pii_is_shown_unchanged_under_the_starter_policy() {
        // shell.exec output: the starter policy denies secrets only.
        let d = project("shell-pii");
        let mut c = online(&d);
        c.args(["shell", "echo", "jane.roe@example.com"]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, "jane.roe@example.com\n");
    }

    #[test]
    fn read_file_redacts_secrets_before_printing() {
        let d = project("read");
        // Issue 15: a credential file is denied by its path.
        let mut c = online(&d);
        c.args(["read-file", ".env"]);
        let r = run(c, "");
        assert_eq!((r.code, r.stdout.as_str()), (77, ""), "{}", r.stderr);
        assert!(r.stderr.contains("deny-sensitive-files"), "{}", r.stderr);
        let mut c = online(&d);
        c.args(["read-file", "config.txt"]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, "STRIPE_KEY=[REDACTED]\n");
        let (id, dec) = &receipts_of(&r.stderr)[0];
        assert_eq!(dec, "allow_with_redaction");
        assert_eq!(receipt(id)["action"]["type"], "file.read");
        // A clean file is printed as is, with a trailing newline added when missing.
        std::fs::write(d.join("plain.txt"), "no newline").unwrap();
        let mut c = online(&d);
        c.args(["read-file", "plain.txt"]);
        let r = run(c, "");
        assert_eq!(r.stdout, "no newline\n");
        assert!(r.stderr.contains("decision=allow"));
    }

    #[test]
    fn read_file_missing_is_an_io_error() {
        let d = project("read-missing");
        let mut c = online(&d);
        c.args(["read-file", "nope.txt"]);
        assert_eq!(run(c, "").code, 74);
    }

    #[test]
    fn write_file_redacts_pii_on_disk() {
        use std::os::unix::fs::PermissionsExt;
        let d = project("write");
        let mut c = online(&d);
        c.args([
            "write-file",
            "out.txt",
            "customer",
            "jane.roe@example.com",
            "ok",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        let on_disk = std::fs::read_to_string(d.join("out.txt")).unwrap();
        assert!(!on_disk.contains("jane.roe@example.com"), "{on_disk}");
        assert!(
            on_disk.starts_with("customer ") && on_disk.ends_with(" ok"),
            "{on_disk}"
        );
        assert!(
            r.stderr
                .contains(&format!("wrote {} bytes to out.txt", on_disk.len())),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("decision=allow_with_redaction"));
        let mode = std::fs::metadata(d.join("out.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // Content from stdin when no words are given.
        let mut c = online(&d);
        c.args(["write-file", "stdin.txt"]);
        let r = run(c, "line one\nssn 123-45-6789\n");
        assert_eq!(r.code, 0, "{}", r.stderr);
        let on_disk = std::fs::read_to_string(d.join("stdin.txt")).unwrap();
        assert!(on_disk.starts_with("line one\n") && !on_disk.contains("123-45-6789"));
    }

    #[test]
    fn observe_mode_runs_everything_and_records_the_real_decision() {
        let d = project("observe");
        let sink = d.join("events.ndjson");
        let mut c = online(&d);
        c.env("DATAFOG_SHIM_MODE", "observe")
            .env("DATAFOG_SHIM_EVENT_SINK", &sink)
            .args(["shell", "sh", "-c", &format!("touch ran # {SECRET}")]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(d.join("ran").exists());
        assert!(r.stderr.contains("would have blocked"), "{}", r.stderr);
        let ev = events(&sink);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0]["mode"], "observe");
        assert_eq!(ev[0]["decision"], "deny");
        assert_eq!(ev[0]["allowed"], true);
        assert_eq!(ev[0]["action_type"], "shell.exec");
        // Matched values are redacted from the event's action fields.
        assert!(!ev[0].to_string().contains(SECRET), "{}", ev[0]);
        assert!(ev[0]["args"][1].as_str().unwrap().contains("[REDACTED:"));
    }

    // Issue 4: every event is redacted locally, not only with the primary piece's findings.
    #[test]
    fn an_output_stage_event_never_records_a_value_from_the_command_line() {
        let d = project("events-output-stage");
        let sink = d.join("events.ndjson");
        let mut c = online(&d);
        c.env("DATAFOG_SHIM_EVENT_SINK", &sink).args([
            "shell",
            "sh",
            "-c",
            "echo done",
            "curl",
            "-d",
            "email=jane.roe@example.com",
        ]);
        let r = run(c, "");
        assert_eq!((r.code, r.stdout.as_str()), (0, "done\n"), "{}", r.stderr);
        let ev = events(&sink);
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert_eq!(ev[1]["stage"], "output");
        let text = std::fs::read_to_string(&sink).unwrap();
        assert!(!text.contains("jane.roe@example.com"), "{text}");
        assert!(
            ev[1]["args"][4]
                .as_str()
                .unwrap()
                .contains("[REDACTED:email]"),
            "{}",
            ev[1]
        );
    }

    #[test]
    fn an_observe_mode_secret_in_a_comment_never_reaches_the_sink() {
        let d = project("events-observe-comment");
        let sink = d.join("events.ndjson");
        let mut c = online(&d);
        c.env("DATAFOG_SHIM_MODE", "observe")
            .env("DATAFOG_SHIM_EVENT_SINK", &sink)
            .args(["shell", "sh", "-c", &format!("echo hi # {SECRET}")]);
        let r = run(c, "");
        assert_eq!((r.code, r.stdout.as_str()), (0, "hi\n"), "{}", r.stderr);
        assert!(!r.stderr.contains(SECRET), "{}", r.stderr);
        let ev = events(&sink);
        assert_eq!(ev.len(), 2, "{ev:?}");
        let text = std::fs::read_to_string(&sink).unwrap();
        assert!(!text.contains(SECRET), "{text}");
    }

    #[test]
    fn a_service_down_event_is_redacted_and_stderr_never_echoes_a_value() {
        let d = project("events-down");
        let sink = d.join("events.ndjson");
        let mut c = service_down(&d);
        c.env("DATAFOG_SHIM_MODE", "observe")
            .env("DATAFOG_SHIM_EVENT_SINK", &sink)
            .args(["shell", "true", "jane.roe@example.com", SECRET]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        // Enforced: blocked, and the event is still redacted.
        let mut c = service_down(&d);
        c.env("DATAFOG_SHIM_EVENT_SINK", &sink)
            .args(["shell", "true", "jane.roe@example.com"]);
        assert_eq!(run(c, "").code, 69);
        let ev = events(&sink);
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert!(
            ev.iter()
                .all(|e| e["decision"] == "" && e["check_error"] != "")
        );
        let text = std::fs::read_to_string(&sink).unwrap();
        assert!(
            !text.contains(SECRET) && !text.contains("jane.roe@example.com"),
            "{text}"
        );
        // A program that does not exist: the shell-style error names it, redacted.
        let mut c = service_down(&d);
        c.env("DATAFOG_SHIM_MODE", "observe")
            .args(["shell", SECRET]);
        let r = run(c, "");
        assert_eq!(r.code, 127, "{}", r.stderr);
        assert!(r.stderr.contains("command not found"), "{}", r.stderr);
        assert!(!r.stderr.contains(SECRET), "{}", r.stderr);
    }

    #[test]
    fn events_are_written_in_enforced_mode_too() {
        let d = project("events");
        let sink = d.join("ev/events.ndjson");
        let mut c = online(&d);
        c.args([
            "--event-sink",
            sink.to_str().unwrap(),
            "shell",
            "rev",
            "secret.rev",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 77);
        let ev = events(&sink);
        // The file the command reads (issue 15), the command, its output.
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert_eq!(ev[0]["stage"], "reference");
        assert_eq!(ev[1]["allowed"], true);
        assert_eq!(ev[2]["stage"], "output");
        assert_eq!(ev[2]["decision"], "deny");
        assert_eq!(ev[2]["allowed"], false);
        assert!(!std::fs::read_to_string(&sink).unwrap().contains(SECRET));
    }

    #[test]
    fn policy_service_down_fails_closed_when_enforced() {
        let d = project("down-enforced");
        let sink = d.join("events.ndjson");
        let mut c = shim(&d);
        c.args([
            "--policy-url",
            "http://127.0.0.1:1",
            "--event-sink",
            sink.to_str().unwrap(),
            "shell",
            "touch",
            "ran",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 69, "{}", r.stderr);
        assert!(!d.join("ran").exists());
        assert!(r.stderr.contains("call decide API"), "{}", r.stderr);
        let ev = events(&sink);
        assert_eq!(ev[0]["allowed"], false);
        assert!(!ev[0]["check_error"].as_str().unwrap().is_empty());
        // write-file and read-file too.
        let mut c = shim(&d);
        c.args([
            "--policy-url",
            "http://127.0.0.1:1",
            "write-file",
            "w.txt",
            "x",
        ]);
        assert_eq!(run(c, "").code, 69);
        assert!(!d.join("w.txt").exists());
        let mut c = shim(&d);
        c.args([
            "--policy-url",
            "http://127.0.0.1:1",
            "read-file",
            "README.md",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 69);
        assert_eq!(r.stdout, "");
    }

    #[test]
    fn policy_service_down_in_observe_mode_runs_unless_errors_are_enforced() {
        let d = project("down-observe");
        let sink = d.join("events.ndjson");
        let mut c = service_down(&d);
        c.env("DATAFOG_SHIM_MODE", "OBSERVE")
            .env("DATAFOG_SHIM_EVENT_SINK", &sink)
            .args(["shell", "touch", "ran"]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(d.join("ran").exists());
        let ev = events(&sink);
        assert_eq!(ev[0]["allowed"], true);
        assert_eq!(ev[0]["decision"], "");
        assert!(
            ev[0]["check_error"]
                .as_str()
                .unwrap()
                .contains("call decide API")
        );

        let mut c = service_down(&d);
        c.env("DATAFOG_SHIM_MODE", "observe")
            .env("DATAFOG_SHIM_ENFORCE_POLICY_ERRORS", "true")
            .args(["shell", "touch", "ran2"]);
        assert_eq!(run(c, "").code, 69);
        assert!(!d.join("ran2").exists());
    }

    #[test]
    fn usage_errors_have_their_own_exit_code() {
        let d = project("usage");
        assert_eq!(run(shim(&d), "").code, 64);
        let mut c = shim(&d);
        c.args(["--mode", "bogus", "shell", "true"]);
        let r = run(c, "");
        assert_eq!(r.code, 64);
        assert!(r.stderr.contains("invalid mode \"bogus\""));
        let mut c = shim(&d);
        c.args(["run", "--target", "/bin/true"]);
        let r = run(c, "");
        assert_eq!(r.code, 64);
        assert!(r.stderr.contains("run requires --adapter"));
        let mut c = shim(&d);
        c.args(["--no-such-flag", "shell", "true"]);
        assert_eq!(run(c, "").code, 64);
        let mut c = online(&d);
        c.args(["shell", "definitely-not-a-command-xyz"]);
        assert_eq!(run(c, "").code, 127);
    }

    // Issue 4: captured output is bounded; above the limit it is withheld, not buffered.
    #[test]
    fn output_over_the_capture_limit_is_withheld() {
        let d = project("capture-limit");
        let mut c = online(&d);
        c.args([
            "shell",
            "sh",
            "-c",
            "head -c 17000000 /dev/zero; echo done >&2",
        ]);
        let r = run(c, "");
        assert_eq!((r.code, r.stdout.len()), (77, 0), "{}", r.stderr);
        assert!(r.stderr.contains("exceeded the 16 MiB"), "{}", r.stderr);
        assert!(!r.stderr.contains("done"), "{}", r.stderr);
        // Streaming (no output check) is not limited.
        let mut c = online(&d);
        c.args([
            "--output-check",
            "off",
            "shell",
            "sh",
            "-c",
            "head -c 17000000 /dev/zero",
        ]);
        let r = run(c, "");
        assert_eq!((r.code, r.stdout.len()), (0, 17_000_000), "{}", r.stderr);
    }

    #[test]
    fn a_command_that_is_not_executable_exits_126() {
        let d = project("not-executable");
        std::fs::write(d.join("script.sh"), "#!/bin/sh\necho ran\n").unwrap();
        let mut c = online(&d);
        c.args(["shell", "./script.sh"]);
        let r = run(c, "");
        assert_eq!((r.code, r.stdout.as_str()), (126, ""), "{}", r.stderr);
        assert!(r.stderr.contains("permission denied"), "{}", r.stderr);
        let mut c = online(&d);
        c.args(["run", "--adapter", "shell", "--target", "./script.sh"]);
        assert_eq!(run(c, "").code, 126);
    }

    #[test]
    fn run_with_the_service_down_fails_closed_unless_observe() {
        let d = project("run-down");
        let mut c = service_down(&d);
        c.args([
            "run",
            "--adapter",
            "shell",
            "--target",
            "/bin/sh",
            "--",
            "-c",
            "touch ran",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 69, "{}", r.stderr);
        assert!(!d.join("ran").exists());
        let mut c = service_down(&d);
        c.env("DATAFOG_SHIM_MODE", "observe").args([
            "run",
            "--adapter",
            "shell",
            "--target",
            "/bin/sh",
            "--",
            "-c",
            "touch ran",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(d.join("ran").exists());
    }

    #[test]
    fn api_token_is_sent_as_x_api_key() {
        // The shared server has no token; a wrong token is simply ignored there. Check the
        // header reaches a server: a tiny one-shot HTTP listener records the request.
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            // Read the whole request (head and body) before answering: answering after the
            // first read and closing with unread bytes makes the kernel send a reset, which the
            // client may see before the 401.
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            loop {
                let n = s.read(&mut chunk).unwrap();
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let req = String::from_utf8_lossy(&buf).into_owned();
            let body =
                r#"{"error":{"code":"unauthorized","message":"missing or invalid API token"}}"#;
            let _ = write!(
                s,
                "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            req
        });
        let d = project("token");
        let mut c = shim(&d);
        c.env("DATAFOG_SHIM_API_TOKEN", "t0ken-123").args([
            "--policy-url",
            &format!("{url}/v1"),
            "shell",
            "true",
        ]);
        let r = run(c, "");
        let req = h.join().unwrap().to_ascii_lowercase();
        assert!(req.starts_with("post /v1/decide "), "{req}");
        assert!(req.contains("x-api-key: t0ken-123"), "{req}");
        assert_eq!(r.code, 69);
        assert!(
            r.stderr.contains("status=401 code=unauthorized"),
            "{}",
            r.stderr
        );
    }
}

mod offline {
    use super::support::*;

    fn offline(dir: &std::path::Path) -> std::process::Command {
        let mut c = shim(dir);
        c.env("DATAFOG_SHIM_POLICY_FILE", policy())
            .env("DATAFOG_SHIM_RECEIPTS", dir.join("receipts.jsonl"));
        c
    }

    fn verify(dir: &std::path::Path) -> usize {
        let text = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
        datafog::receipt::verify_chain(text.lines()).unwrap().count
    }

    #[test]
    fn offline_mode_decides_in_process_and_chains_receipts() {
        let d = project("offline");
        let mut c = offline(&d);
        c.args(["shell", "echo", "hi"]);
        let r = run(c, "");
        assert_eq!((r.code, r.stdout.as_str()), (0, "hi\n"), "{}", r.stderr);
        let mut c = offline(&d);
        c.args(["shell", "cat", ".env"]);
        assert_eq!(run(c, "").code, 77);
        let mut c = offline(&d);
        c.args(["write-file", "o.txt", "mail jane.roe@example.com"]);
        assert_eq!(run(c, "").code, 0);
        assert!(
            !std::fs::read_to_string(d.join("o.txt"))
                .unwrap()
                .contains("jane.roe")
        );
        let mut c = offline(&d);
        c.args(["read-file", "config.txt"]);
        assert_eq!(run(c, "").stdout, "STRIPE_KEY=[REDACTED]\n");
        // shell echo: command + output checks (2), shell cat .env: the file it reads, denied by
        // path (1), write-file 1, read-file 1.
        assert_eq!(verify(&d), 5);
        let text = std::fs::read_to_string(d.join("receipts.jsonl")).unwrap();
        assert!(!text.contains(SECRET) && !text.contains("jane.roe@example.com"));
        // The `--policy` flag works like the variable.
        let mut c = shim(&d);
        c.args([
            "--policy",
            policy().to_str().unwrap(),
            "--receipts",
            d.join("receipts.jsonl").to_str().unwrap(),
            "shell",
            "true",
        ]);
        assert_eq!(run(c, "").code, 0);
        assert_eq!(verify(&d), 6);
    }

    #[test]
    fn concurrent_shims_keep_one_valid_chain() {
        let d = project("offline-concurrent");
        let children: Vec<_> = (0..8)
            .map(|i| {
                let mut c = offline(&d);
                c.args(["shell", "echo", &i.to_string()])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                c.spawn().unwrap()
            })
            .collect();
        for mut ch in children {
            assert!(ch.wait().unwrap().success());
        }
        // 8 command checks + 8 output checks.
        assert_eq!(verify(&d), 16);
    }

    #[test]
    fn a_torn_last_line_is_cut_and_the_chain_continues() {
        let d = project("offline-torn");
        let mut c = offline(&d);
        c.args(["shell", "true"]);
        assert_eq!(run(c, "").code, 0);
        let p = d.join("receipts.jsonl");
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("{\"receipt_id\":\"torn");
        std::fs::write(&p, text).unwrap();
        let mut c = offline(&d);
        c.args(["shell", "true"]);
        assert_eq!(run(c, "").code, 0);
        assert_eq!(verify(&d), 2);
    }

    // Issue 4: the chain the shim writes offline verifies with its own `receipts verify`.
    #[test]
    fn receipts_verify_accepts_the_chain_the_shim_wrote_offline() {
        let d = project("offline-verify");
        for args in [
            &["shell", "echo", "hi"][..],
            &["shell", "cat", ".env"],
            &["write-file", "o.txt", "mail jane.roe@example.com"],
        ] {
            let mut c = offline(&d);
            c.args(args);
            run(c, "");
        }
        let file = d.join("receipts.jsonl");
        let mut c = shim(&d);
        c.args(["receipts", "verify", "--json"]).arg(&file);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["receipts"], 4, "{v}");
        // A changed byte: the binary reports the break (exit 1).
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replacen("\"deny\"", "\"allow\"", 1)).unwrap();
        let mut c = shim(&d);
        c.args(["receipts", "verify"]).arg(&file);
        let r = run(c, "");
        assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
    }

    #[test]
    fn a_bad_policy_file_is_a_config_error() {
        let d = project("offline-bad");
        std::fs::write(d.join("p.json"), "{\"rules\":[]}").unwrap();
        let mut c = shim(&d);
        c.args(["--policy", "p.json", "shell", "true"]);
        let r = run(c, "");
        assert_eq!(r.code, 78, "{}", r.stderr);
        assert!(r.stderr.contains("p.json"));
    }

    /// The host's start-up on a copy of `file`: receipts kept, and whether a torn tail was cut.
    fn host_recovery(file: &std::path::Path, tag: &str) -> (usize, bool) {
        let copy = temp_dir(tag).join("receipts.jsonl");
        std::fs::copy(file, &copy).unwrap();
        let (store, rec) = datafog_host::receipts::ReceiptStore::open(&copy).unwrap();
        store.close();
        (rec.count, rec.torn.is_some())
    }

    // Issue 8: the shim cut any tail without a newline, a whole receipt included, where the host
    // keeps it. Both now follow one rule: a whole last receipt is kept (and gets its newline), a
    // torn one is cut.
    #[test]
    fn issue_8_a_whole_last_receipt_without_newline_is_kept_by_shim_and_host() {
        let d = project("offline-issue-8-tail");
        let p = d.join("receipts.jsonl");
        let mut c = offline(&d);
        c.args(["shell", "true"]);
        assert_eq!(run(c, "").code, 0);
        let before = verify(&d);
        assert!(before >= 1);
        // The last receipt's newline was lost (a crash between the line and its newline).
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, text.trim_end_matches('\n')).unwrap();
        assert_eq!(host_recovery(&p, "issue-8-host-whole"), (before, false));
        let mut c = offline(&d);
        c.args(["shell", "true"]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        // Kept, not cut, and the next receipt did not glue onto its line.
        let after = std::fs::read_to_string(&p).unwrap();
        assert!(after.starts_with(&text), "the whole last receipt was cut");
        assert_eq!(verify(&d), 2 * before);

        // A genuinely torn tail: cut by both.
        let mut torn = after.clone();
        torn.push_str(&after.lines().last().unwrap()[..40]);
        std::fs::write(&p, &torn).unwrap();
        assert_eq!(host_recovery(&p, "issue-8-host-torn"), (2 * before, true));
        let mut c = offline(&d);
        c.args(["shell", "true"]);
        assert_eq!(run(c, "").code, 0);
        assert!(std::fs::read_to_string(&p).unwrap().starts_with(&after));
        assert_eq!(verify(&d), 3 * before);
    }

    // Issue 8: the shim accepted any non-empty key file; the host wants at least 16 bytes.
    #[test]
    fn issue_8_a_short_token_key_is_refused_as_the_host_refuses_it() {
        use std::os::unix::fs::PermissionsExt;
        let d = project("offline-issue-8-key");
        let mut c = offline(&d);
        c.args(["shell", "true"]);
        assert_eq!(run(c, "").code, 0);
        let key = d.join("datafog_token.key");
        assert_eq!(std::fs::read(&key).unwrap().len(), 32);
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        std::fs::write(&key, b"12345678").unwrap();
        let mut c = offline(&d);
        c.args(["shell", "true"]);
        let r = run(c, "");
        assert_eq!(r.code, 74, "{}", r.stderr);
        assert!(r.stderr.contains("want at least 16"), "{}", r.stderr);
        assert!(r.stderr.contains("datafog_token.key"), "{}", r.stderr);
        let host = datafog_host::config::load_or_create_key(&key).unwrap_err();
        assert!(r.stderr.contains(&host), "shim: {} host: {host}", r.stderr);
        assert_eq!(std::fs::read(&key).unwrap(), b"12345678");
    }

    // Issue 8: the host fell back to `rid-<nanos>`; receipt ids are 32 lowercase hex, or an error.
    #[test]
    fn issue_8_offline_receipt_ids_are_32_lowercase_hex() {
        let d = project("offline-issue-8-id");
        for _ in 0..2 {
            let mut c = offline(&d);
            c.args(["shell", "true"]);
            assert_eq!(run(c, "").code, 0);
        }
        let text = std::fs::read_to_string(d.join("receipts.jsonl")).unwrap();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = v["receipt_id"].as_str().unwrap();
            assert_eq!(id.len(), 32, "{id}");
            assert!(
                id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{id}"
            );
        }
    }
}

mod wrappers {
    use super::support::*;
    use std::path::{Path, PathBuf};

    /// A fake program `name` in `<dir>/bin` printing its arguments.
    fn fake(dir: &Path, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\necho \"{name}:$*\"\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn path_with(first: &Path) -> String {
        format!("{}:{}", first.display(), std::env::var("PATH").unwrap())
    }

    #[test]
    fn installed_wrapper_gates_the_command_through_path() {
        let d = project("wrap");
        let shims = d.join("shims");
        let target = fake(&d, "git");
        let sink = d.join("events.ndjson");
        let mut c = online(&d);
        c.args([
            "hooks",
            "install",
            "--shim-dir",
            shims.to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
            "--event-sink",
            sink.to_str().unwrap(),
            "git",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            r.stdout,
            format!(
                "installed shim for git at {}\n",
                shims.join("git").display()
            )
        );
        let script = std::fs::read_to_string(shims.join("git")).unwrap();
        assert!(script.contains("\n# datafog-shim-wrapper\n"));
        assert!(script.contains("# DATAFOG_SHIM_ADAPTER=vcs\n"), "{script}");
        assert!(script.contains("  --mode \"$SHIM_MODE\" \\\n"));

        // Through PATH, as an agent would call it.
        let mut c = std::process::Command::new("git");
        c.current_dir(&d)
            .env("PATH", path_with(&shims))
            .env("DATAFOG_SHIM_POLICY_URL", server())
            .args(["status", "--short"]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, "git:status --short\n");
        let (id, d1) = &receipts_of(&r.stderr)[0];
        assert_eq!(d1, "allow");
        let rec = receipt(id);
        assert_eq!(rec["action"]["type"], "command.exec");
        assert_eq!(rec["action"]["tool"], "vcs");
        assert_eq!(rec["action"]["command"], "status");
        let ev = events(&sink);
        assert_eq!(ev[0]["tool"], "vcs");

        // A secret in the arguments is blocked, the target never runs.
        let mut c = std::process::Command::new("git");
        c.current_dir(&d)
            .env("PATH", path_with(&shims))
            .env("DATAFOG_SHIM_POLICY_URL", server())
            .args(["commit", "-m", &format!("key {SECRET}")]);
        let r = run(c, "");
        assert_eq!(r.code, 77, "{}", r.stderr);
        assert_eq!(r.stdout, "");

        // list, then uninstall.
        let mut c = shim(&d);
        c.args(["hooks", "list", "--shim-dir", shims.to_str().unwrap()]);
        let r = run(c, "");
        assert_eq!(
            r.stdout,
            format!(
                "git -> target={} adapter=vcs mode=enforced policy={}\n",
                target.display(),
                server()
            )
        );
        let mut c = shim(&d);
        c.args([
            "hooks",
            "uninstall",
            "--shim-dir",
            shims.to_str().unwrap(),
            "git",
        ]);
        assert_eq!(run(c, "").code, 0);
        assert!(!shims.join("git").exists());
        let mut c = shim(&d);
        c.args(["hooks", "list", "--shim-dir", shims.to_str().unwrap()]);
        assert_eq!(
            run(c, "").stdout,
            format!("no managed shims found in {}\n", shims.display())
        );
    }

    #[test]
    fn the_script_is_the_go_format_byte_for_byte() {
        let d = project("wrap-golden");
        let shims = d.join("shims");
        let target = fake(&d, "tool");
        let mut c = shim(&d);
        c.args([
            "hooks",
            "install",
            "--shim-dir",
            shims.to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
            "--adapter",
            "customTool",
            "--policy-url",
            "http://policy:8080",
            "--mode",
            "observe",
            "tool",
        ]);
        assert_eq!(run(c, "").code, 0);
        let got = std::fs::read_to_string(shims.join("tool")).unwrap();
        let t = target.display();
        let want = format!(
            "#!/bin/sh\nset -eu\n# datafog-shim-wrapper\n# DATAFOG_SHIM_COMMAND=tool\n# DATAFOG_SHIM_ADAPTER=customtool\n# DATAFOG_SHIM_TARGET={t}\n# DATAFOG_SHIM_MODE=observe\n# DATAFOG_SHIM_POLICY_URL=http://policy:8080\n# DATAFOG_SHIM_EVENT_SINK=\n\nSHIM_BINARY='{SHIM}'\nSHIM_MODE='observe'\nSHIM_POLICY_URL='http://policy:8080'\nSHIM_EVENT_SINK=''\nif [ -n \"${{DATAFOG_SHIM_MODE:-}}\" ]; then\n  SHIM_MODE=\"$DATAFOG_SHIM_MODE\"\nfi\nif [ -n \"${{DATAFOG_SHIM_POLICY_URL:-}}\" ]; then\n  SHIM_POLICY_URL=\"$DATAFOG_SHIM_POLICY_URL\"\nfi\nif [ -n \"${{DATAFOG_SHIM_EVENT_SINK:-}}\" ]; then\n  SHIM_EVENT_SINK=\"$DATAFOG_SHIM_EVENT_SINK\"\nfi\n\nexec \"$SHIM_BINARY\" run \\\n  --adapter \"customtool\" \\\n  --target \"{t}\" \\\n  --mode \"$SHIM_MODE\" \\\n  --policy-url \"$SHIM_POLICY_URL\" \\\n  --event-sink \"$SHIM_EVENT_SINK\" \\\n  --api-token \"${{DATAFOG_SHIM_API_TOKEN:-}}\" \\\n  -- \\\n  \"$@\"\n"
        );
        assert_eq!(got, want);
    }

    // Issue 4: with the shim directory first on PATH (as docs/agents.md says), reinstalling a
    // wrapper must not make it wrap itself.
    #[test]
    fn a_wrapper_never_wraps_itself_through_path() {
        let d = project("wrap-self");
        let shims = d.join("shims");
        let real = fake(&d, "git");
        let path = format!("{}:{}", shims.display(), path_with(real.parent().unwrap()));
        let install = |extra: &[&str]| {
            let mut c = online(&d);
            c.env("PATH", &path)
                .args(["hooks", "install", "--shim-dir", shims.to_str().unwrap()])
                .args(extra);
            run(c, "")
        };
        for _ in 0..2 {
            let r = install(&["git"]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            let script = std::fs::read_to_string(shims.join("git")).unwrap();
            assert!(
                script.contains(&format!("# DATAFOG_SHIM_TARGET={}\n", real.display())),
                "{script}"
            );
        }
        // Through PATH: the wrapper runs the real program once.
        let mut c = std::process::Command::new("git");
        c.current_dir(&d)
            .env("PATH", &path)
            .env("DATAFOG_SHIM_POLICY_URL", server())
            .arg("status");
        let r = run(c, "");
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, "git:status\n"),
            "{}",
            r.stderr
        );
        // A managed wrapper as an explicit target is refused, wherever it lives.
        let r = install(&["--target", shims.join("git").to_str().unwrap(), "git2"]);
        assert_eq!(r.code, 64, "{}", r.stderr);
        assert!(r.stderr.contains("cannot wrap a wrapper"), "{}", r.stderr);
        assert!(!shims.join("git2").exists());
        let elsewhere = d.join("copy-of-wrapper");
        std::fs::copy(shims.join("git"), &elsewhere).unwrap();
        let r = install(&["--target", elsewhere.to_str().unwrap(), "git3"]);
        assert_eq!(r.code, 64, "{}", r.stderr);
        // Only the wrapper on PATH: not found (rather than wrapping itself).
        let mut c = online(&d);
        c.env("PATH", shims.display().to_string()).args([
            "hooks",
            "install",
            "--shim-dir",
            shims.to_str().unwrap(),
            "git",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 64, "{}", r.stderr);
        assert!(r.stderr.contains("target binary not found"), "{}", r.stderr);
        // A wrapper left pointing at a wrapper (an older install) is refused at run time.
        let mut c = online(&d);
        c.args(["run", "--adapter", "vcs", "--target"])
            .arg(shims.join("git"))
            .args(["--", "status"]);
        let r = run(c, "");
        assert_eq!(r.code, 78, "{}", r.stderr);
        assert!(
            r.stderr.contains("is a datafog-shim wrapper"),
            "{}",
            r.stderr
        );
    }

    #[test]
    fn a_wrapper_with_the_service_down_fails_closed_unless_observe() {
        let d = project("wrap-down");
        let shims = d.join("shims");
        let target = fake(&d, "git");
        let mut c = shim(&d);
        c.args(["hooks", "install", "--policy-url", "http://127.0.0.1:1"])
            .args(["--shim-dir", shims.to_str().unwrap()])
            .args(["--target", target.to_str().unwrap(), "git"]);
        assert_eq!(run(c, "").code, 0);
        let git = |mode: Option<&str>| {
            let mut c = std::process::Command::new("git");
            c.current_dir(&d)
                .env("PATH", path_with(&shims))
                .arg("status");
            for (k, _) in std::env::vars() {
                if k.starts_with("DATAFOG_") {
                    c.env_remove(k);
                }
            }
            if let Some(m) = mode {
                c.env("DATAFOG_SHIM_MODE", m);
            }
            run(c, "")
        };
        let r = git(None);
        assert_eq!((r.code, r.stdout.as_str()), (69, ""), "{}", r.stderr);
        let r = git(Some("observe"));
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, "git:status\n"),
            "{}",
            r.stderr
        );
    }

    #[test]
    fn unmanaged_files_are_refused_without_force() {
        let d = project("wrap-unmanaged");
        let shims = d.join("shims");
        std::fs::create_dir_all(&shims).unwrap();
        std::fs::write(shims.join("ls"), "#!/bin/sh\n").unwrap();
        let mut c = shim(&d);
        c.args([
            "hooks",
            "install",
            "--shim-dir",
            shims.to_str().unwrap(),
            "ls",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 64);
        assert!(
            r.stderr.contains("cannot overwrite unmanaged file"),
            "{}",
            r.stderr
        );
        let mut c = shim(&d);
        c.args([
            "hooks",
            "uninstall",
            "--shim-dir",
            shims.to_str().unwrap(),
            "ls",
        ]);
        let r = run(c, "");
        assert_eq!(r.code, 64);
        assert!(r.stderr.contains("is not a managed shim; use --force"));
        let mut c = shim(&d);
        c.args([
            "hooks",
            "install",
            "--force",
            "--shim-dir",
            shims.to_str().unwrap(),
            "ls",
        ]);
        assert_eq!(run(c, "").code, 0);
    }

    #[test]
    fn codex_wrapper_flow() {
        // Go 8.7: `hooks install --force --adapter codex --target <codex> codex`, env file, PATH.
        let d = project("codex");
        let shims = d.join("shims");
        let target = fake(&d, "codex");
        let sink = d.join("decisions.ndjson");
        let mut c = shim(&d);
        c.args([
            "hooks",
            "install",
            "--force",
            "--policy-url",
            server(),
            "--mode",
            "enforced",
            "--event-sink",
            sink.to_str().unwrap(),
            "--shim-dir",
            shims.to_str().unwrap(),
            "--api-token",
            "unused",
            "--adapter",
            "codex",
            "--target",
            target.to_str().unwrap(),
            "codex",
        ]);
        assert_eq!(run(c, "").code, 0);
        let mut c = std::process::Command::new("codex");
        c.current_dir(&d)
            .env("PATH", path_with(&shims))
            .arg("--help");
        let r = run(c, "");
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, "codex:--help\n"),
            "{}",
            r.stderr
        );
        let ev = events(&sink);
        assert_eq!(ev[0]["tool"], "codex");
        assert_eq!(ev[0]["action_type"], "command.exec");
        // Observe mode without reinstalling.
        let mut c = std::process::Command::new("codex");
        c.current_dir(&d)
            .env("PATH", path_with(&shims))
            .env("DATAFOG_SHIM_MODE", "observe")
            .args(["exec", &format!("use {SECRET}")]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        let ev = events(&sink);
        let last = ev.last().unwrap();
        assert_eq!(last["mode"], "observe");
        assert_eq!(last["decision"], "deny");
        assert_eq!(last["allowed"], true);
    }

    #[test]
    fn adapters_list_shows_the_registry() {
        let d = project("adapters");
        let mut c = shim(&d);
        c.args(["adapters", "list"]);
        let r = run(c, "");
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("vcs: git, gh, gogcli"), "{}", r.stdout);
        assert!(r.stdout.contains("claude: claude, claude-code, claude-cli"));
        assert_eq!(r.stdout.lines().count(), 12);
    }
}

mod claude {
    use super::support::*;
    use serde_json::Value;
    use std::path::Path;

    fn fixture(name: &str, cwd: &Path) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/claude")
            .join(name);
        std::fs::read_to_string(p)
            .unwrap()
            .replace("__CWD__", cwd.to_str().unwrap())
    }

    fn hook(cwd: &Path, name: &str, extra: &[&str]) -> (Run, Option<Value>) {
        let mut c = online(cwd);
        c.args(["hook", "claude"]).args(extra);
        let r = run(c, &fixture(name, cwd));
        let v = (!r.stdout.trim().is_empty()).then(|| serde_json::from_str(&r.stdout).unwrap());
        (r, v)
    }

    fn pre(v: &Value) -> &Value {
        assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PreToolUse");
        &v["hookSpecificOutput"]
    }

    #[test]
    fn bash_clean_defers_or_allows() {
        let d = project("cc-bash-clean");
        let (r, v) = hook(&d, "pre_bash_clean.json", &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(v.is_none(), "{}", r.stdout);
        assert!(r.stderr.contains("decision=allow"));
        let (_, v) = hook(&d, "pre_bash_clean.json", &["--on-allow", "allow"]);
        let v = v.unwrap();
        assert_eq!(pre(&v)["permissionDecision"], "allow");
        assert!(
            pre(&v)["permissionDecisionReason"]
                .as_str()
                .unwrap()
                .contains("allow-commands")
        );
    }

    #[test]
    fn bash_cat_env_with_a_secret_is_denied_with_rule_and_receipt() {
        let d = project("cc-bash-env");
        let (r, v) = hook(&d, "pre_bash_cat_env.json", &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v = v.unwrap();
        assert_eq!(pre(&v)["permissionDecision"], "deny");
        let reason = pre(&v)["permissionDecisionReason"].as_str().unwrap();
        // Issue 15: the file it reads is denied by path before the command line is decided.
        assert!(reason.contains("deny-sensitive-files"), "{reason}");
        let (id, dec) = &receipts_of(&r.stderr)[0];
        assert_eq!(dec, "deny");
        assert!(reason.contains(id.as_str()), "{reason}");
        assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET));
        let rec = receipt(id);
        assert_eq!(rec["session_id"], "sess-1");
        assert_eq!(rec["action"]["tool"], "claude");
    }

    #[test]
    fn read_of_a_file_with_a_secret_is_denied_with_a_hint() {
        let d = project("cc-read");
        // Issue 15: `.env` is denied by its path.
        let (_, v) = hook(&d, "pre_read_env.json", &[]);
        let v = v.unwrap();
        assert_eq!(pre(&v)["permissionDecision"], "deny");
        let reason = pre(&v)["permissionDecisionReason"].as_str().unwrap();
        assert!(reason.contains("deny-sensitive-files"), "{reason}");
        // Another file with a secret: denied with a hint to read it redacted.
        let mut c = online(&d);
        c.args(["hook", "claude"]);
        let r = run(
            c,
            &fixture("pre_read_env.json", &d).replace("/.env", "/config.txt"),
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(pre(&v)["permissionDecision"], "deny");
        let reason = pre(&v)["permissionDecisionReason"].as_str().unwrap();
        assert!(reason.contains("datafog-shim read-file"), "{reason}");
        assert!(reason.contains("redact-read-secrets"), "{reason}");
        let (r, v) = hook(&d, "pre_read_clean.json", &[]);
        assert!(v.is_none(), "{}", r.stdout);
    }

    #[test]
    fn write_edit_multiedit_with_pii_get_a_redacted_input() {
        let d = project("cc-write");
        let (r, v) = hook(&d, "pre_write_pii.json", &[]);
        let v = v.unwrap();
        let h = pre(&v);
        assert_eq!(h["permissionDecision"], "ask", "{}", r.stdout);
        let content = h["updatedInput"]["content"].as_str().unwrap();
        assert!(content.starts_with("# Customers\n"), "{content}");
        assert!(!content.contains("jane.roe@example.com") && !content.contains("123-45-6789"));
        assert_eq!(
            h["updatedInput"]["file_path"],
            format!("{}/customers.md", d.display())
        );
        assert!(
            h["permissionDecisionReason"]
                .as_str()
                .unwrap()
                .contains("redact-outbound-sensitive")
        );

        let (_, v) = hook(&d, "pre_write_pii.json", &["--on-allow", "allow"]);
        assert_eq!(pre(v.as_ref().unwrap())["permissionDecision"], "allow");

        let (_, v) = hook(&d, "pre_edit_pii.json", &[]);
        let v = v.unwrap();
        let ns = pre(&v)["updatedInput"]["new_string"].as_str().unwrap();
        assert!(
            ns.starts_with("contact: ") && !ns.contains("jane.roe@"),
            "{ns}"
        );
        assert_eq!(pre(&v)["updatedInput"]["old_string"], "contact: TBD");

        let (_, v) = hook(&d, "pre_multiedit_pii.json", &[]);
        let v = v.unwrap();
        let edits = &pre(&v)["updatedInput"]["edits"];
        assert_eq!(edits[0]["new_string"], "plain text");
        let e1 = edits[1]["new_string"].as_str().unwrap();
        assert!(e1.starts_with("mail ") && !e1.contains("jane.roe@"), "{e1}");
        assert_eq!(edits[1]["replace_all"], true);
    }

    #[test]
    fn webfetch_and_mcp_inputs_are_redacted() {
        let d = project("cc-web");
        let (_, v) = hook(&d, "pre_webfetch_pii.json", &[]);
        let v = v.unwrap();
        let url = pre(&v)["updatedInput"]["url"].as_str().unwrap();
        assert!(url.starts_with("https://example.org/lookup?email=") && !url.contains("jane.roe@"));
        assert_eq!(pre(&v)["updatedInput"]["prompt"], "Summarise the page");

        let (r, v) = hook(&d, "pre_mcp_secret.json", &[]);
        let v = v.unwrap();
        let body = pre(&v)["updatedInput"]["body"].as_str().unwrap();
        assert!(!body.contains("ghp_"), "{body}");
        assert!(body.starts_with("The deploy uses token "), "{body}");
        assert_eq!(pre(&v)["updatedInput"]["owner"], "acme");
        let (id, _) = &receipts_of(&r.stderr)[0];
        let rec = receipt(id);
        assert_eq!(rec["action"]["type"], "http.request");
        assert_eq!(rec["action"]["resource"], "mcp__github__create_issue");
    }

    #[test]
    fn post_tool_use_flags_results_with_secrets() {
        let d = project("cc-post");
        let (r, v) = hook(&d, "post_bash_secret.json", &[]);
        assert_eq!(r.code, 0);
        let v = v.unwrap();
        assert_eq!(v["decision"], "block");
        assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PostToolUse");
        let reason = v["reason"].as_str().unwrap();
        assert!(reason.contains("stripe_key"), "{reason}");
        assert!(!r.stdout.contains(SECRET));
        let (_, v) = hook(&d, "post_read_secret.json", &[]);
        assert_eq!(v.unwrap()["decision"], "block");
        let (r, v) = hook(&d, "post_bash_clean.json", &[]);
        assert!(v.is_none(), "{}", r.stdout);
    }

    #[test]
    fn observe_mode_never_answers() {
        let d = project("cc-observe");
        let mut c = online(&d);
        c.env("DATAFOG_SHIM_MODE", "observe")
            .args(["hook", "claude"]);
        let r = run(c, &fixture("pre_bash_cat_env.json", &d));
        assert_eq!((r.code, r.stdout.as_str()), (0, ""));
        assert!(r.stderr.contains("decision=deny"));
    }

    #[test]
    fn policy_down_denies_when_enforced() {
        let d = project("cc-down");
        let mut c = shim(&d);
        c.args(["--policy-url", "http://127.0.0.1:1", "hook", "claude"]);
        let r = run(c, &fixture("pre_bash_clean.json", &d));
        assert_eq!(r.code, 0);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(pre(&v)["permissionDecision"], "deny");
        assert!(
            pre(&v)["permissionDecisionReason"]
                .as_str()
                .unwrap()
                .contains("unavailable")
        );
        // Not an event: exit 2 (Claude Code blocks and shows stderr).
        let mut c = online(&d);
        c.args(["hook", "claude"]);
        assert_eq!(run(c, "not json").code, 2);
    }

    fn answer(r: &Run) -> Value {
        serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: stdout {:?} stderr {}", r.stdout, r.stderr))
    }

    // Issue 4: settings that do not resolve used to exit 64, which Claude Code treats as a
    // non-blocking error (the tool call ran).
    #[test]
    fn a_hook_that_cannot_resolve_its_settings_fails_closed() {
        let d = project("cc-bad-settings");
        for (var, value) in [
            ("DATAFOG_SHIM_MODE", "bogus"),
            ("DATAFOG_SHIM_OUTPUT_CHECK", "sometimes"),
        ] {
            let mut c = online(&d);
            c.env(var, value).args(["hook", "claude"]);
            let r = run(c, &fixture("pre_bash_clean.json", &d));
            assert_eq!(r.code, 0, "{var}: {}", r.stderr);
            let v = answer(&r);
            assert_eq!(pre(&v)["permissionDecision"], "deny", "{var}");
            let reason = pre(&v)["permissionDecisionReason"].as_str().unwrap();
            assert!(reason.contains("failing closed"), "{reason}");
            // PostToolUse: a blocking answer too.
            let mut c = online(&d);
            c.env(var, value).args(["hook", "claude"]);
            let r = run(c, &fixture("post_bash_clean.json", &d));
            assert_eq!(answer(&r)["decision"], "block", "{var}");
        }
        // An invalid --on-allow: deny.
        let mut c = online(&d);
        c.args(["hook", "claude", "--on-allow", "sometimes"]);
        let r = run(c, &fixture("pre_bash_clean.json", &d));
        assert_eq!(pre(&answer(&r))["permissionDecision"], "deny");
        // A hook command line that does not parse: exit 2 (Claude Code's blocking error).
        let mut c = online(&d);
        c.args(["hook", "claude", "--no-such-flag"]);
        assert_eq!(run(c, &fixture("pre_bash_clean.json", &d)).code, 2);
        // Observe mode lets the call through (no answer), unless policy errors are enforced.
        let mut c = online(&d);
        c.env("DATAFOG_SHIM_MODE", "observe")
            .env("DATAFOG_SHIM_OUTPUT_CHECK", "sometimes")
            .args(["hook", "claude"]);
        let r = run(c, &fixture("pre_bash_clean.json", &d));
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
        let mut c = online(&d);
        c.env("DATAFOG_SHIM_MODE", "observe")
            .env("DATAFOG_SHIM_ENFORCE_POLICY_ERRORS", "true")
            .env("DATAFOG_SHIM_OUTPUT_CHECK", "sometimes")
            .args(["hook", "claude"]);
        let r = run(c, &fixture("pre_bash_clean.json", &d));
        assert_eq!(pre(&answer(&r))["permissionDecision"], "deny");
    }

    /// A policy service answering `allow` to every decide after `delay`: base URL.
    fn slow_server(delay: std::time::Duration) -> String {
        use std::io::{BufRead, BufReader, Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(s) = s else { continue };
                std::thread::spawn(move || {
                    let mut r = BufReader::new(s);
                    let mut len = 0usize;
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0u8; len];
                    if r.read_exact(&mut body).is_err() {
                        return;
                    }
                    std::thread::sleep(delay);
                    let resp = r#"{"decision":"allow","receipt_id":"slow","policy_version":"1","policy_id":"slow","matched_rules":["allow-all"]}"#;
                    let _ = write!(
                        r.get_mut(),
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{resp}",
                        resp.len()
                    );
                });
            }
        });
        url
    }

    // Issue 4: a large payload is decided as sequential 128 KiB pieces (5 s each at most); the
    // hook keeps one overall deadline below the hook timeout and denies when it runs out.
    #[test]
    fn a_hook_past_its_overall_deadline_denies() {
        let d = project("cc-deadline");
        let url = slow_server(std::time::Duration::from_millis(400));
        let content = "a clean line of text for the deadline test\n".repeat(16_000);
        let event = serde_json::json!({
            "session_id": "sess-deadline",
            "cwd": d,
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": d.join("big.txt"), "content": content},
        })
        .to_string();
        // Enough time: every piece is allowed (no answer: Claude Code's own rules apply).
        let mut c = shim(&d);
        c.env("DATAFOG_SHIM_POLICY_URL", &url)
            .args(["hook", "claude"]);
        let r = run(c, &event);
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
        // Six pieces at 400 ms each against a 1 s deadline: denied after about a second.
        let started = std::time::Instant::now();
        let mut c = shim(&d);
        c.env("DATAFOG_SHIM_POLICY_URL", &url)
            .env("DATAFOG_SHIM_HOOK_DEADLINE_MS", "1000")
            .args(["hook", "claude"]);
        let r = run(c, &event);
        let took = started.elapsed();
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v = answer(&r);
        assert_eq!(pre(&v)["permissionDecision"], "deny");
        let reason = pre(&v)["permissionDecisionReason"].as_str().unwrap();
        assert!(reason.contains("unavailable"), "{reason}");
        assert!(took < std::time::Duration::from_millis(1900), "{took:?}");
    }

    // Issue 4: the installed hook command carries `--mode` only when install was given one, so
    // DATAFOG_SHIM_MODE switches the mode without reinstalling.
    #[test]
    fn the_installed_hook_reads_the_mode_at_run_time_unless_install_was_given_one() {
        let d = project("cc-install-mode");
        let settings = d.join("settings.json");
        let install = |env_mode: Option<&str>, flag: &[&str]| -> String {
            let mut c = online(&d);
            if let Some(m) = env_mode {
                c.env("DATAFOG_SHIM_MODE", m);
            }
            c.args(["hooks", "install", "--claude", "--settings"])
                .arg(&settings)
                .args(flag);
            let r = run(c, "");
            assert_eq!(r.code, 0, "{}", r.stderr);
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
            v["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let run_hook = |cmd: &str, env_mode: Option<&str>| -> Run {
            let mut c = std::process::Command::new("sh");
            c.current_dir(&d)
                .args(["-c", cmd])
                .env_remove("DATAFOG_SHIM_MODE");
            if let Some(m) = env_mode {
                c.env("DATAFOG_SHIM_MODE", m);
            }
            run(c, &fixture("pre_bash_cat_env.json", &d))
        };
        // DATAFOG_SHIM_MODE at install time is not baked in.
        let cmd = install(Some("observe"), &[]);
        assert!(!cmd.contains("--mode"), "{cmd}");
        let r = run_hook(&cmd, None);
        assert_eq!(
            answer(&r)["hookSpecificOutput"]["permissionDecision"],
            "deny"
        );
        let r = run_hook(&cmd, Some("observe"));
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
        // An explicit --mode is (install's own flag or the global one).
        let cmd = install(None, &["--mode", "observe"]);
        assert!(cmd.contains(" --mode observe "), "{cmd}");
        let r = run_hook(&cmd, Some("enforced"));
        assert_eq!(r.stdout, "", "{}", r.stderr);
        let mut c = online(&d);
        c.args([
            "--mode",
            "enforced",
            "hooks",
            "install",
            "--claude",
            "--settings",
        ])
        .arg(&settings);
        assert_eq!(run(c, "").code, 0);
        let text = std::fs::read_to_string(&settings).unwrap();
        assert!(text.contains(" --mode enforced "), "{text}");
    }

    // Issue 4: install rewrote the settings file with its keys sorted, replaced a symlinked
    // settings.json with a plain file, and reset its permissions.
    #[test]
    fn install_keeps_key_order_symlinks_and_the_file_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = project("cc-install-order");
        let dotfiles = d.join("dotfiles");
        std::fs::create_dir_all(&dotfiles).unwrap();
        let real = dotfiles.join("claude-settings.json");
        let original = r#"{
  "zeta": true,
  "model": "opus",
  "env": {"B": "1", "A": "2"},
  "hooks": {
    "Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "./stop.sh"}]}],
    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./mine.sh", "timeout": 3}]}]
  },
  "alpha": [3, 1, 2]
}"#;
        std::fs::write(&real, original).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link_dir = d.join(".claude");
        std::fs::create_dir_all(&link_dir).unwrap();
        let link = link_dir.join("settings.json");
        std::os::unix::fs::symlink("../dotfiles/claude-settings.json", &link).unwrap();

        let mut c = online(&d);
        c.args(["hooks", "install", "--claude", "--scope", "project"]);
        let r = run(c, "");
        assert_eq!(r.code, 0, "{}", r.stderr);

        // Still a symlink; the real file changed, with its mode.
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let text = std::fs::read_to_string(&real).unwrap();
        assert!(text.contains("hook claude"), "{text}");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        // Keys in their original order, ours appended.
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle} missing: {text}"))
        };
        let order = [
            "\"zeta\"",
            "\"model\"",
            "\"env\"",
            "\"B\"",
            "\"A\"",
            "\"hooks\"",
            "\"Stop\"",
            "\"PreToolUse\"",
            "./mine.sh",
            "\"PostToolUse\"",
            "\"alpha\"",
        ];
        for w in order.windows(2) {
            assert!(at(w[0]) < at(w[1]), "{} before {}: {text}", w[0], w[1]);
        }
        let mine = &text[at("\"matcher\": \"Bash\"")..at("./mine.sh")];
        assert!(!mine.contains("\"timeout\""), "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["alpha"], serde_json::json!([3, 1, 2]));
        // Uninstall goes through the link too and restores the original content.
        let mut c = online(&d);
        c.args(["hooks", "uninstall", "--claude", "--scope", "project"]);
        assert_eq!(run(c, "").code, 0);
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let back: Value = serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(original).unwrap());
        let after = std::fs::read_to_string(&real).unwrap();
        assert!(
            after.find("\"zeta\"").unwrap() < after.find("\"alpha\"").unwrap(),
            "{after}"
        );
        assert!(
            std::fs::read_dir(&dotfiles).unwrap().count() == 1,
            "a temporary file was left"
        );
    }

    #[test]
    fn policy_down_in_observe_mode_lets_the_call_through_unless_errors_are_enforced() {
        let d = project("cc-down-observe");
        let hook_down = |enforce: bool, fixture_name: &str| {
            let mut c = service_down(&d);
            c.env("DATAFOG_SHIM_MODE", "observe")
                .args(["hook", "claude"]);
            if enforce {
                c.env("DATAFOG_SHIM_ENFORCE_POLICY_ERRORS", "true");
            }
            run(c, &fixture(fixture_name, &d))
        };
        let r = hook_down(false, "pre_bash_clean.json");
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
        assert!(r.stderr.contains("policy check failed"), "{}", r.stderr);
        let r = hook_down(false, "post_bash_clean.json");
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
        let r = hook_down(true, "pre_bash_clean.json");
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v = answer(&r);
        assert_eq!(pre(&v)["permissionDecision"], "deny");
        let r = hook_down(true, "post_bash_clean.json");
        assert_eq!(answer(&r)["decision"], "block", "{}", r.stdout);
    }

    #[test]
    fn offline_hook_works_without_a_server() {
        let d = project("cc-offline");
        let mut c = shim(&d);
        c.env("DATAFOG_SHIM_POLICY_FILE", policy())
            .env("DATAFOG_SHIM_RECEIPTS", d.join("r.jsonl"))
            .args(["hook", "claude"]);
        let r = run(c, &fixture("pre_write_pii.json", &d));
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let content = pre(&v)["updatedInput"]["content"].as_str().unwrap();
        assert!(!content.contains("jane.roe@example.com"), "{content}");
    }

    #[test]
    fn install_merges_into_settings_without_clobbering_and_is_idempotent() {
        let d = project("cc-install");
        let settings = d.join(".claude/settings.json");
        std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
        std::fs::write(
            &settings,
            r#"{"model":"opus","permissions":{"allow":["Bash(ls:*)"]},"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"./mine.sh"}]}]}}"#,
        )
        .unwrap();
        let install = || {
            let mut c = online(&d);
            c.args(["hooks", "install", "--claude", "--scope", "project"]);
            let r = run(c, "");
            assert_eq!(r.code, 0, "{}", r.stderr);
            std::fs::read_to_string(&settings).unwrap()
        };
        let first = install();
        let second = install();
        assert_eq!(first, second);
        let v: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(v["model"], "opus");
        assert_eq!(v["permissions"]["allow"][0], "Bash(ls:*)");
        let pre = v["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2);
        assert_eq!(pre[0]["hooks"][0]["command"], "./mine.sh");
        let cmd = pre[1]["hooks"][0]["command"].as_str().unwrap();
        assert!(
            cmd.contains("hook claude") && cmd.contains(server()),
            "{cmd}"
        );
        assert_eq!(v["hooks"]["PostToolUse"].as_array().unwrap().len(), 1);

        // The installed command works as Claude Code would run it (through a shell).
        let mut c = std::process::Command::new("sh");
        c.current_dir(&d).args(["-c", cmd]);
        let r = run(c, &fixture("pre_bash_cat_env.json", &d));
        let out: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "deny");

        let mut c = online(&d);
        c.args(["hooks", "uninstall", "--claude", "--scope", "project"]);
        assert_eq!(run(c, "").code, 0);
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
        assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
        assert!(v["hooks"].get("PostToolUse").is_none());

        // Invalid JSON is left alone.
        std::fs::write(&settings, "{ not json").unwrap();
        let mut c = online(&d);
        c.args([
            "hooks",
            "install",
            "--claude",
            "--settings",
            settings.to_str().unwrap(),
        ]);
        assert_eq!(run(c, "").code, 78);
        assert_eq!(std::fs::read_to_string(&settings).unwrap(), "{ not json");
    }
}
