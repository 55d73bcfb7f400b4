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
