//! `datafog-shim scan`: the real binary on temp directories (and a temp git repository).
//!
//! Secret values are assembled at run time, so this file does not itself trip a scan of the
//! repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_datafog-shim");

/// A GitHub classic token (prefix + 36 alphanumerics).
fn github_token() -> String {
    format!("gh{}_{}", "p", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5")
}

/// A Stripe live secret key.
fn stripe_key() -> String {
    format!("sk_{}_{}", "live", "4eC39HqLyjWDarjtT1zdp7dc9Zq")
}

const EMAIL: &str = "jane.roe@example.org";

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("datafog-shim-scan-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn shim(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("scan")
        .args(args)
        .current_dir(cwd)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)))
}

/// No output channel carries any of the values.
fn assert_no_values(o: &Output, values: &[&str]) {
    let all = format!("{}{}", stdout(o), stderr(o));
    for v in values {
        assert!(!all.contains(v), "output contains a raw value:\n{all}");
        // Not even the random part on its own.
        let tail = &v[v.len() - 12..];
        assert!(
            !all.contains(tail),
            "output contains part of a value:\n{all}"
        );
    }
}

fn finding_paths(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

/// A tree with a visible secret, an ignored one, a hidden one, a binary one and a clean file.
fn tree(name: &str) -> TempDir {
    let d = TempDir::new(name);
    let tok = github_token();
    d.write(".gitignore", "ignored/\n*.log\n");
    d.write("src/config.py", format!("TOKEN = \"{tok}\"\n"));
    d.write("ignored/leak.txt", format!("{tok}\n"));
    d.write("debug.log", format!("{tok}\n"));
    d.write(".hidden/leak.txt", format!("{tok}\n"));
    d.write("sub/.ignore", "local.txt\n");
    d.write("sub/local.txt", format!("{tok}\n"));
    d.write(
        "image.bin",
        [b"\x89PNG\0\0".as_slice(), tok.as_bytes()].concat(),
    );
    d.write("README.md", "nothing to see\n");
    d
}

#[test]
fn walk_honours_ignore_files_hidden_and_binary_without_git() {
    let d = tree("walk");
    let o = shim(d.path(), &["--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    // Hidden files are scanned by default (secrets live in `.env` and friends).
    assert_eq!(finding_paths(&r), [".hidden/leak.txt", "src/config.py"]);
    assert_eq!(r["skipped"][0]["path"], "image.bin");
    assert_eq!(r["skipped"][0]["reason"], "binary");
    // README.md, src/config.py, .hidden/leak.txt, .gitignore and sub/.ignore.
    assert_eq!(r["summary"]["files_scanned"], 5);
    assert_no_values(&o, &[&github_token()]);

    // --skip-hidden narrows the walk.
    let o = shim(d.path(), &["--format", "json", "--skip-hidden"]);
    let r = json(&o);
    assert_eq!(finding_paths(&r), ["src/config.py"]);
    assert_eq!(r["summary"]["files_scanned"], 2);

    // --no-ignore widens it.
    let o = shim(d.path(), &["--format", "json", "--no-ignore"]);
    let mut paths = finding_paths(&json(&o));
    paths.sort();
    assert_eq!(
        paths,
        [
            ".hidden/leak.txt",
            "debug.log",
            "ignored/leak.txt",
            "src/config.py",
            "sub/local.txt"
        ]
    );

    // A file named on the command line is scanned even if ignored.
    let o = shim(
        d.path(),
        &["--format", "json", "ignored/leak.txt", "README.md"],
    );
    assert_eq!(code(&o), 1);
    assert_eq!(finding_paths(&json(&o)), ["ignored/leak.txt"]);
}

#[test]
fn text_output_is_one_line_per_finding_without_values() {
    let d = TempDir::new("text");
    let tok = github_token();
    let key = stripe_key();
    d.write("a.env", format!("GH={tok}\n\nSTRIPE={key}\n"));
    let o = shim(d.path(), &["a.env"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "a.env:1:4: github_token (secret, confidence 0.99, starts with `ghp_`)\n\
         a.env:3:8: stripe_key (secret, confidence 0.99, starts with `sk_live_`)\n"
    );
    assert!(
        stderr(&o).contains("2 findings in 1 file; scanned 1 file"),
        "{}",
        stderr(&o)
    );
    assert_no_values(&o, &[&tok, &key]);
}

#[test]
fn sarif_is_structurally_valid_and_columns_point_at_the_value() {
    let d = TempDir::new("sarif");
    let tok = github_token();
    let key = stripe_key();
    // Multi-byte characters before the values: columns count code points, not bytes.
    let text = format!(
        "# café ünïcödé 🦀\nconst t = \"{tok}\"; // né\n\ncontact: {EMAIL}\n\t→ k = '{key}'\n"
    );
    d.write("dir with space/app.ts", &text);
    let o = shim(
        d.path(),
        &["--format", "sarif", "--entities", "secret,email"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_no_values(&o, &[&tok, &key, EMAIL]);
    let log = json(&o);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "datafog-shim");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    // 18 secret types + email.
    assert_eq!(rules.len(), 19);
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for r in rules {
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rules.len(), "rule ids are unique");

    let results = run["results"].as_array().unwrap();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut found = Vec::new();
    for res in results {
        let rule_id = res["ruleId"].as_str().unwrap();
        let index = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], rule_id);
        assert!(["error", "warning"].contains(&res["level"].as_str().unwrap()));
        assert!(!res["message"]["text"].as_str().unwrap().is_empty());
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "dir%20with%20space/app.ts");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &loc["region"];
        let n = |k: &str| region[k].as_u64().unwrap() as usize;
        let (sl, sc, el, ec) = (
            n("startLine"),
            n("startColumn"),
            n("endLine"),
            n("endColumn"),
        );
        assert!(sl >= 1 && sc >= 1, "1-based");
        assert_eq!(sl, el);
        // Slice the file text by code points with the reported columns.
        let got: String = lines[sl - 1].chars().skip(sc - 1).take(ec - sc).collect();
        // And by bytes with byteOffset/byteLength.
        let by_bytes = &text[n("byteOffset")..n("byteOffset") + n("byteLength")];
        assert_eq!(got, by_bytes);
        found.push((rule_id.to_owned(), got));
    }
    assert_eq!(
        found,
        [
            ("github_token".to_owned(), tok),
            ("email".to_owned(), EMAIL.to_owned()),
            ("stripe_key".to_owned(), key),
        ]
    );
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn json_report_and_output_file() {
    let d = TempDir::new("json");
    let tok = github_token();
    d.write("a.txt", format!("x {tok}\nmail {EMAIL}\n"));
    let out = d.path().join("report.json");
    let o = shim(
        d.path(),
        &[
            "a.txt",
            "--format",
            "json",
            "--entities",
            "any",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(o.stdout.is_empty());
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(!written.contains(&tok) && !written.contains(EMAIL));
    let r: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(r["tool"]["name"], "datafog-shim");
    assert_eq!(r["entities"][0], "any");
    let f = &r["findings"][0];
    assert_eq!(f["path"], "a.txt");
    assert_eq!(f["entity_type"], "github_token");
    assert_eq!(f["group"], "secret");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(
        (f["start"].as_u64(), f["end"].as_u64()),
        (Some(2), Some(42))
    );
    assert_eq!(f["hint"], "ghp_");
    let e = &r["findings"][1];
    assert_eq!(e["entity_type"], "email");
    assert_eq!(e["group"], "pii");
    assert!(e.get("hint").is_none());
    assert_eq!(r["summary"]["findings"], 2);
}

#[test]
fn exit_codes() {
    let d = TempDir::new("exit");
    d.write("clean.txt", "hello world\n");
    // Default is secrets only: an email is not a finding.
    d.write("mail.txt", format!("{EMAIL}\n"));
    let o = shim(d.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("no findings"), "{}", stderr(&o));
    assert_eq!(code(&shim(d.path(), &["--entities", "pii"])), 1);

    // Usage errors.
    let o = shim(d.path(), &["--entities", "emial"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown entity type `emial`"),
        "{}",
        stderr(&o)
    );
    assert_eq!(code(&shim(d.path(), &["--min-confidence", "1.5"])), 2);
    assert_eq!(code(&shim(d.path(), &["--max-file-size", "lots"])), 2);
    assert_eq!(code(&shim(d.path(), &["--format", "xml"])), 2);
    // I/O errors: a missing path, an unwritable output.
    let o = shim(d.path(), &["missing.txt"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("missing.txt"), "{}", stderr(&o));
    let o = shim(d.path(), &["--output", "no/such/dir/out.json"]);
    assert_eq!(code(&o), 2);
    // An error wins over findings.
    d.write("leak.txt", github_token());
    let o = shim(d.path(), &["leak.txt", "missing.txt"]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("leak.txt:1:1: github_token"));
    // --min-confidence above every finding's confidence: clean.
    assert_eq!(
        code(&shim(d.path(), &["leak.txt", "--min-confidence", "1"])),
        0
    );
}

#[test]
fn size_cap_and_allow_marker() {
    let d = TempDir::new("cap");
    let tok = github_token();
    d.write("big.txt", format!("{tok}\n{}", "x".repeat(4096)));
    d.write("ok.txt", format!("test fixture {tok} # datafog:allow\n"));
    let o = shim(d.path(), &["--format", "json", "--max-file-size", "1K"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let r = json(&o);
    assert_eq!(r["skipped"][0]["path"], "big.txt");
    assert_eq!(r["skipped"][0]["reason"], "too_large");
    assert_eq!(r["summary"]["allowed"], 1);
    // 0 = no limit.
    let o = shim(d.path(), &["--format", "json", "--max-file-size", "0"]);
    assert_eq!(code(&o), 1);
    assert_eq!(finding_paths(&json(&o)), ["big.txt"]);
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn staged_scans_the_index_not_the_work_tree() {
    let d = TempDir::new("staged");
    let tok = github_token();
    git(d.path(), &["init", "-q"]);
    git(d.path(), &["config", "user.email", "t@example.com"]);
    git(d.path(), &["config", "user.name", "t"]);
    d.write("committed.txt", format!("{tok}\n"));
    git(d.path(), &["add", "committed.txt"]);
    git(d.path(), &["commit", "-q", "-m", "old"]);
    // Staged with a secret, then cleaned in the work tree only: the commit would carry it.
    d.write("src/app.py", format!("t = '{tok}'\n"));
    d.write("name with space.txt", format!("k = {}\n", stripe_key()));
    d.write("clean.txt", "fine\n");
    d.write("bin.dat", [b"\0".as_slice(), tok.as_bytes()].concat());
    git(
        d.path(),
        &[
            "add",
            "src/app.py",
            "name with space.txt",
            "clean.txt",
            "bin.dat",
        ],
    );
    d.write("src/app.py", "t = os.environ['T']\n");
    // Untracked and unstaged: not part of the commit.
    d.write("untracked.txt", format!("{tok}\n"));

    let o = shim(d.path(), &["--staged", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(finding_paths(&r), ["name with space.txt", "src/app.py"]);
    assert_eq!(r["skipped"][0]["path"], "bin.dat");
    assert_eq!(r["summary"]["files_scanned"], 3);
    assert_no_values(&o, &[&tok, &stripe_key()]);

    // From a subdirectory, paths stay relative to the top level; pathspecs limit the scan.
    let o = shim(
        &d.path().join("src"),
        &["--staged", "--format", "json", "."],
    );
    assert_eq!(finding_paths(&json(&o)), ["src/app.py"]);

    // SARIF from --staged: %SRCROOT% is the repository's top level.
    let o = shim(&d.path().join("src"), &["--staged", "--format", "sarif"]);
    let log = json(&o);
    let base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.ends_with(&format!("datafog-shim-scan-{}-staged/", std::process::id())),
        "{base}"
    );

    // Once the secret is unstaged, the index is clean.
    git(d.path(), &["add", "src/app.py"]);
    git(d.path(), &["rm", "-q", "--cached", "name with space.txt"]);
    let o = shim(d.path(), &["--staged"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));

    // Outside a repository: a usage/IO error.
    let outside = TempDir::new("not-a-repo");
    let o = Command::new(BIN)
        .args(["scan", "--staged"])
        .current_dir(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}
