# datafog-api: one static (musl) binary with the policy engine component embedded, on an empty
# base image, running as 65532:65532, friendly to a read-only root filesystem (all state lives in
# the /var/lib/datafog volume). See docs/operations.md.
#
#   docker build -t datafog-api:latest .
#   docker run --rm -p 8080:8080 \
#     -e DATAFOG_API_TOKEN=changeme -e DATAFOG_RATE_LIMIT_RPS=50 \
#     -v "$(pwd)/config:/app/config:ro" -v datafog-receipts:/var/lib/datafog \
#     --read-only --cap-drop ALL --security-opt no-new-privileges \
#     datafog-api:latest
#
# The image layout follows the Go service's (policy at /app/config/policy.json, receipts under
# /var/lib/datafog), so the seed's `docker run` line works unchanged.

ARG RUST_VERSION=1.95.0

# ---------------------------------------------------------------- build
FROM rust:${RUST_VERSION}-bookworm AS build
# musl-gcc: wasmtime compiles a small C helper (cc crate) for the musl target.
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The toolchain file first: `rustup toolchain install` (no argument) installs the pinned toolchain
# with its components and wasm targets; then the musl target for the native binary (wasm32-wasip2
# is for the guest component that build.rs builds and embeds). Cached as its own layer.
COPY rust-toolchain.toml ./
RUN rustup toolchain install \
 && rustup target add x86_64-unknown-linux-musl wasm32-wasip2
COPY . .
# The binary leaves the cache mount inside the same step. `--locked`: the Cargo.lock in the repo.
# `strip --strip-debug` drops the line tables (108 MB -> 26 MB) but keeps the symbol table, so
# profiles from DATAFOG_PPROF_ADDR still name functions.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --target x86_64-unknown-linux-musl -p datafog-host \
 && install -D -m 0755 target/x86_64-unknown-linux-musl/release/datafog-api /out/usr/local/bin/datafog-api \
 && strip --strip-debug /out/usr/local/bin/datafog-api \
 && install -d -m 0750 /state/datafog \
 && install -D -m 0644 config/policy.json /out/app/config/policy.json
# Compile the component now, into the cache directory the runtime stage uses, so the container's
# first start loads it (~20 ms) instead of compiling it (seconds). The file is for this machine's
# CPU features: on a CPU with others the server compiles once and caches its own (see
# docs/operations.md, "First start").
RUN DATAFOG_CACHE_DIR=/state/datafog/cache /out/usr/local/bin/datafog-api precompile

# ---------------------------------------------------------------- runtime
# Nothing but the binary, the starter policy and an empty state directory owned by the runtime
# user (scratch has no shell, so it is made in the build stage). No libc, no CA store, no
# /etc/passwd: the server needs none of them (numeric USER). HEALTHCHECK is impossible without a
# client binary in the image: use the orchestrator's probes (docs/deploy/kubernetes.yaml).
FROM scratch
COPY --from=build /out/ /
# `--chown`: COPY would make the directory root-owned; it must be the runtime user's (a named
# volume mounted here takes its ownership from the image).
COPY --from=build --chown=65532:65532 /state/ /var/lib/
ENV DATAFOG_ADDR=:8080 \
    DATAFOG_POLICY_PATH=/app/config/policy.json \
    DATAFOG_RECEIPT_PATH=/var/lib/datafog/datafog_receipts.jsonl \
    DATAFOG_TOKEN_KEY_PATH=/var/lib/datafog/datafog_token.key \
    DATAFOG_CACHE_DIR=/var/lib/datafog/cache
USER 65532:65532
# Receipts (the audit log), the token key and the compiled-component cache. Mount a volume: the
# receipts must outlive the container.
VOLUME ["/var/lib/datafog"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/datafog-api"]
