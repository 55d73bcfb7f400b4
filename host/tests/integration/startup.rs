use super::support::*;

#[test]
fn invalid_policy_names_file_rule_and_field() {
    warm_cache();
    let dir = temp_dir("badpolicy");
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"policy_id":"p","policy_version":"1","rules":[{"id":"r1","effect":"block","match":{"action_types":["x"]}}]}"#,
    )
    .unwrap();
    let err = datafog_host::build_state(&settings_with(
        &dir,
        &[("DATAFOG_POLICY_PATH", policy.to_str().unwrap())],
    ))
    .unwrap_err();
    assert!(err.contains("policy.json"), "{err}");
    assert!(err.contains("rule `r1`"), "{err}");
    assert!(err.contains("effect"), "{err}");
}

#[test]
fn unwritable_receipt_path_names_the_file() {
    warm_cache();
    let dir = temp_dir("unwritable");
    let blocker = dir.join("file");
    std::fs::write(&blocker, "x").unwrap();
    let path = blocker.join("receipts.jsonl");
    let err = datafog_host::build_state(&settings_with(
        &dir,
        &[("DATAFOG_RECEIPT_PATH", path.to_str().unwrap())],
    ))
    .unwrap_err();
    assert!(err.contains("receipts.jsonl"), "{err}");
}

#[test]
fn token_key_is_generated_0600_and_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("key");
    let path = dir.join("k");
    let a = datafog_host::config::load_or_create_key(&path).unwrap();
    assert_eq!(a.len(), 32);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(datafog_host::config::load_or_create_key(&path).unwrap(), a);
}

/// Issue 14, finding 3 (and the review of it): every interface without a token is refused at
/// once, before the server compiles anything or creates its files; with the opt-in it serves and
/// warns.
#[test]
fn issue_14_a_network_address_without_a_token_is_refused_before_anything_is_created() {
    let dir = temp_dir("exposure");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_datafog-api"))
        .envs(base_env(&dir))
        .env("DATAFOG_ADDR", "0.0.0.0:0")
        .env_remove("DATAFOG_API_TOKEN")
        .env_remove("DATAFOG_ALLOW_NO_AUTH")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0:"), "{err}");
    assert!(!dir.join("receipts.jsonl").exists());
    assert!(!dir.join("datafog_token.key").exists());
    // With the opt-in: it starts (and says what it risks).
    let (mut child, _, log) = start_logged(
        &dir,
        &[
            ("DATAFOG_ADDR", "0.0.0.0:0"),
            ("DATAFOG_ALLOW_NO_AUTH", "true"),
        ],
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        log.lock()
            .unwrap()
            .contains("without DATAFOG_API_TOKEN (DATAFOG_ALLOW_NO_AUTH is set)")
    );
}
