# Sourced by the test scripts that run a built binary (scripts/test-policies, test-fleet,
# test-browser, schemathesis). They all use the build of scripts/test's "tests: build": one feature set. A
# `cargo build -p datafog-shim` or `cargo test -p datafog-host` here would unify features per
# package and build wasmtime, the host and the shim a second time (~1 GB of target dir and minutes
# in CI). Quiet into a file, a no-op when up to date; on failure the end of the log is printed.
build_workspace_tests() {
    local build_log
    build_log=$(mktemp)
    if ! cargo test --workspace --locked --no-run >"$build_log" 2>&1; then
        tail -n 40 "$build_log" | cut -c1-300
        rm -f "$build_log"
        return 1
    fi
    rm -f "$build_log"
}

# The workspace's target dir (CARGO_TARGET_DIR, or what .cargo/config says), as an absolute path.
target_dir() {
    cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}

# The path of a test binary from that build: `test_executable PACKAGE TARGET` (run it directly:
# `cargo test -p PACKAGE --test TARGET` would build PACKAGE again with its own feature set).
test_executable() {
    cargo test --workspace --locked --no-run --message-format=json 2>/dev/null |
        python3 -c '
import json, sys
package, target = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m["target"]["name"] == target and m["package_id"].split("#")[-1].split("@")[0] == package:
        print(m["executable"])
        sys.exit(0)
sys.exit(f"no test binary {target} in {package}")' "$1" "$2"
}
