//! The component in wasmtime: a small host harness whose functions mirror the native core's API and
//! return the core's own types, so a test can `assert_eq!(native, component)`.
//!
//! - The component is `tests/build.rs`'s artifact (`DATAFOG_COMPONENT`), or
//!   `DATAFOG_COMPONENT_PATH` at run time to test another build of the same world.
//! - Compiled once per process (`OnceLock`), and once per artifact across processes: the compiled
//!   code is serialized to `OUT_DIR` keyed by the artifact's bytes and wasmtime's compatibility
//!   hash, so only the first test run pays Cranelift's compile time.
//! - WASI 0.2 is linked because a `wasm32-wasip2` build imports it (the guest never calls it);
//!   the WASI context is empty: no env, no args, no preopens, no stdio.
//! - `bindgen!` generates typed bindings from `wit/`: instantiating proves the component exports
//!   exactly that world.
//!
//! Errors are `wasmtime::Error` (not `anyhow::Error` in wasmtime 48): a trap or a link failure.
//! A WIT `result` error is the inner `Result`'s `Err`, in the core's error type.

use std::borrow::Cow;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wasmtime::component::{Component, Linker, ResourceAny, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use datafog::api::{ApiError, DecideContext, DecideRequest, DecideResponse, ErrorCode};
use datafog::policy::{FieldError, PolicyError};
use datafog::receipt::{ChainError, ChainErrorKind, ChainSummary, Receipt, ReceiptInput};
use datafog::transform::{ReconcileError, ReconcileErrorKind, Stats, SuppliedFinding, Transformed};
use datafog::{Action, Decision, Effect, Finding, Mode, OffsetUnit, TransformStep};

mod bindings {
    wasmtime::component::bindgen!({ path: "../wit", world: "guest" });
}

use bindings::exports::datafog::firewall::firewall as wit;

pub use wasmtime::Result;

/// The artifact `tests/build.rs` built (or `DATAFOG_COMPONENT_PATH` at build time).
pub const COMPONENT_PATH: &str = env!("DATAFOG_COMPONENT");

/// The component under test: `DATAFOG_COMPONENT_PATH` if set, else [`COMPONENT_PATH`].
pub fn component_path() -> PathBuf {
    std::env::var_os("DATAFOG_COMPONENT_PATH")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(COMPONENT_PATH))
}

/// Store data: an empty WASI context.
pub struct Ctx {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

struct Compiled {
    engine: Engine,
    pre: bindings::GuestPre<Ctx>,
    compile_ms: u128,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| compile().unwrap_or_else(|e| panic!("load the component: {e:?}")))
}

fn compile() -> Result<Compiled> {
    let started = std::time::Instant::now();
    let engine = Engine::new(&Config::new())?;
    let path = component_path();
    let wasm =
        std::fs::read(&path).map_err(|e| wasmtime::format_err!("read {}: {e}", path.display()))?;
    let component = load_cached(&engine, &wasm)?;
    let mut linker = Linker::<Ctx>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let pre = bindings::GuestPre::new(linker.instantiate_pre(&component)?)?;
    Ok(Compiled {
        engine,
        pre,
        compile_ms: started.elapsed().as_millis(),
    })
}

/// Milliseconds spent compiling (or loading the cached compilation of) the component.
pub fn compile_ms() -> u128 {
    compiled().compile_ms
}

/// Compile `wasm`, or load its compilation from `OUT_DIR` when this exact artifact was compiled by
/// a compatible engine before.
fn load_cached(engine: &Engine, wasm: &[u8]) -> Result<Component> {
    let mut h = DefaultHasher::new();
    wasm.hash(&mut h);
    engine.precompile_compatibility_hash().hash(&mut h);
    let cache = Path::new(env!("OUT_DIR")).join(format!("datafog-{:016x}.cwasm", h.finish()));
    if cache.is_file() {
        // SAFETY: the file was written below by `Component::serialize` for an engine with the same
        // compatibility hash (it is in the file name), in this crate's own OUT_DIR; wasmtime also
        // checks the header and refuses an incompatible artifact.
        #[allow(unsafe_code)]
        if let Ok(c) = unsafe { Component::deserialize_file(engine, &cache) } {
            return Ok(c);
        }
    }
    let component = Component::new(engine, wasm)?;
    if let Ok(bytes) = component.serialize() {
        // Write then rename: test binaries run concurrently.
        // Stale compilations of earlier builds go first (each is a few MB).
        if let Ok(rd) = std::fs::read_dir(env!("OUT_DIR")) {
            for e in rd.filter_map(std::result::Result::ok) {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if name.starts_with("datafog-") && name.ends_with(".cwasm") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let tmp = cache.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() {
            let _ = std::fs::rename(&tmp, &cache);
        }
    }
    Ok(component)
}

/// A loaded policy inside a [`Guest`] (the WIT `engine` resource).
#[derive(Clone, Copy, Debug)]
pub struct PolicyHandle(ResourceAny);

/// One instance of the component in its own store.
pub struct Guest {
    store: Store<Ctx>,
    guest: bindings::Guest,
}

impl std::fmt::Debug for Guest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guest").finish_non_exhaustive()
    }
}

impl Guest {
    /// A fresh instance (the component is compiled once per process).
    pub fn new() -> Result<Guest> {
        let c = compiled();
        let ctx = Ctx {
            wasi: WasiCtxBuilder::new().build(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&c.engine, ctx);
        let guest = c.pre.instantiate(&mut store)?;
        Ok(Guest { store, guest })
    }

    // ------------------------------------------------------------ plain functions

    pub fn scan_text(&mut self, text: &str) -> Result<Vec<Finding>> {
        let out = self
            .guest
            .datafog_firewall_firewall()
            .call_scan_text(&mut self.store, text)?;
        Ok(out.into_iter().map(finding_in).collect())
    }

    pub fn scan_text_with<S: AsRef<str>>(
        &mut self,
        text: &str,
        types: &[S],
        unit: OffsetUnit,
    ) -> Result<Vec<Finding>> {
        let opts = scan_options(types, unit);
        let out = self.guest.datafog_firewall_firewall().call_scan_text_with(
            &mut self.store,
            text,
            &opts,
        )?;
        Ok(out.into_iter().map(finding_in).collect())
    }

    pub fn redact_text(&mut self, text: &str) -> Result<String> {
        self.guest
            .datafog_firewall_firewall()
            .call_redact_text(&mut self.store, text)
    }

    /// `Ok((policy_id, policy_version, rule_count))`.
    pub fn check_policy(
        &mut self,
        json: &str,
    ) -> Result<std::result::Result<(String, String, usize), PolicyError>> {
        let out = self
            .guest
            .datafog_firewall_firewall()
            .call_check_policy(&mut self.store, json)?;
        Ok(out
            .map(|i| (i.policy_id, i.policy_version, i.rule_count as usize))
            .map_err(policy_error_in))
    }

    pub fn verify_chain<S: AsRef<str>>(
        &mut self,
        lines: &[S],
    ) -> Result<std::result::Result<ChainSummary, ChainError>> {
        let lines: Vec<String> = lines.iter().map(|l| l.as_ref().to_owned()).collect();
        let out = self
            .guest
            .datafog_firewall_firewall()
            .call_verify_chain(&mut self.store, &lines)?;
        Ok(out.map(chain_summary_in).map_err(chain_error_in))
    }

    pub fn verify_chain_from<S: AsRef<str>>(
        &mut self,
        prev_hash: &str,
        lines: &[S],
    ) -> Result<std::result::Result<ChainSummary, ChainError>> {
        let lines: Vec<String> = lines.iter().map(|l| l.as_ref().to_owned()).collect();
        let out = self
            .guest
            .datafog_firewall_firewall()
            .call_verify_chain_from(&mut self.store, prev_hash, &lines)?;
        Ok(out.map(chain_summary_in).map_err(chain_error_in))
    }

    // ------------------------------------------------------------ the engine resource

    /// `Policy::from_json`.
    pub fn load(&mut self, json: &str) -> Result<std::result::Result<PolicyHandle, PolicyError>> {
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_load(&mut self.store, json)?;
        Ok(out.map(PolicyHandle).map_err(policy_error_in))
    }

    /// Drop a loaded policy.
    pub fn unload(&mut self, h: PolicyHandle) -> Result<()> {
        h.0.resource_drop(&mut self.store)
    }

    pub fn policy_id(&mut self, h: PolicyHandle) -> Result<String> {
        self.guest
            .datafog_firewall_firewall()
            .engine()
            .call_policy_id(&mut self.store, h.0)
    }

    pub fn policy_version(&mut self, h: PolicyHandle) -> Result<String> {
        self.guest
            .datafog_firewall_firewall()
            .engine()
            .call_policy_version(&mut self.store, h.0)
    }

    pub fn scan<S: AsRef<str>>(
        &mut self,
        h: PolicyHandle,
        text: &str,
        types: &[S],
        unit: OffsetUnit,
    ) -> Result<Vec<Finding>> {
        let opts = scan_options(types, unit);
        let out = self.guest.datafog_firewall_firewall().engine().call_scan(
            &mut self.store,
            h.0,
            text,
            &opts,
        )?;
        Ok(out.into_iter().map(finding_in).collect())
    }

    pub fn decide(
        &mut self,
        h: PolicyHandle,
        action: &Action,
        findings: &[Finding],
    ) -> Result<Decision> {
        let findings: Vec<wit::Finding> = findings.iter().map(finding_out).collect();
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_decide(&mut self.store, h.0, &action_out(action), &findings)?;
        Ok(decision_in(out))
    }

    pub fn scan_and_decide<S: AsRef<str>>(
        &mut self,
        h: PolicyHandle,
        action: &Action,
        text: &str,
        types: &[S],
        unit: OffsetUnit,
    ) -> Result<(Vec<Finding>, Decision)> {
        let opts = scan_options(types, unit);
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_scan_and_decide(&mut self.store, h.0, &action_out(action), text, &opts)?;
        Ok((
            out.findings.into_iter().map(finding_in).collect(),
            decision_in(out.decision),
        ))
    }

    /// `transform::apply`.
    pub fn transform(
        &mut self,
        h: PolicyHandle,
        text: &str,
        findings: &[Finding],
        plan: &[TransformStep],
        key: &[u8],
    ) -> Result<Transformed> {
        let findings: Vec<wit::Finding> = findings.iter().map(finding_out).collect();
        let plan: Vec<wit::TransformStep> = plan.iter().map(step_out).collect();
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_transform(&mut self.store, h.0, text, &findings, &plan, key)?;
        Ok(transformed_in(out))
    }

    /// `/v1/transform` semantics: reconcile (or scan when none supplied), then apply.
    pub fn transform_request(
        &mut self,
        h: PolicyHandle,
        text: &str,
        findings: &[SuppliedFinding],
        plan: &[TransformStep],
        key: &[u8],
    ) -> Result<std::result::Result<Transformed, ReconcileError>> {
        let findings: Vec<wit::SuppliedFinding> = findings.iter().map(supplied_out).collect();
        let plan: Vec<wit::TransformStep> = plan.iter().map(step_out).collect();
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_transform_request(&mut self.store, h.0, text, &findings, &plan, key)?;
        Ok(out.map(transformed_in).map_err(reconcile_error_in))
    }

    pub fn anonymize(
        &mut self,
        h: PolicyHandle,
        text: &str,
        findings: &[SuppliedFinding],
        key: &[u8],
    ) -> Result<std::result::Result<Transformed, ReconcileError>> {
        let findings: Vec<wit::SuppliedFinding> = findings.iter().map(supplied_out).collect();
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_anonymize(&mut self.store, h.0, text, &findings, key)?;
        Ok(out.map(transformed_in).map_err(reconcile_error_in))
    }

    /// `api::decide`: the response, the receipt, and the receipt's stored line.
    pub fn decide_request(
        &mut self,
        h: PolicyHandle,
        req: &DecideRequest,
        ctx: &DecideContext<'_>,
    ) -> Result<std::result::Result<(DecideResponse, Receipt, String), ApiError>> {
        let request = wit::DecideRequest {
            action: action_out(&req.action),
            text: req.text.clone(),
            findings: req.findings.iter().map(supplied_out).collect(),
            request_id: req.request_id.clone(),
            trace_id: req.trace_id.clone(),
            tenant_id: req.tenant_id.clone(),
            actor_id: req.actor_id.clone(),
            session_id: req.session_id.clone(),
            idempotency_key: req.idempotency_key.clone(),
        };
        let context = wit::DecideContext {
            receipt_id: ctx.receipt_id.clone(),
            timestamp: ctx.timestamp.clone(),
            prev_hash: ctx.prev_hash.clone(),
            key: ctx.key.to_vec(),
        };
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_decide_request(&mut self.store, h.0, &request, &context)?;
        Ok(match out {
            Ok(d) => {
                let r = d.response;
                let response = DecideResponse {
                    request_id: r.request_id,
                    trace_id: r.trace_id,
                    decision: effect_in(r.decision),
                    receipt_id: r.receipt_id,
                    policy_version: r.policy_version,
                    policy_id: r.policy_id,
                    matched_rules: r.matched_rules,
                    transform_plan: r.transform_plan.into_iter().map(step_in).collect(),
                    findings: r.findings.into_iter().map(supplied_in).collect(),
                    reason: r.reason,
                };
                let (receipt, line) = receipt_in(d.receipt);
                Ok((response, receipt, line))
            }
            Err(e) => Err(ApiError {
                code: ErrorCode::parse(&e.code).unwrap_or(ErrorCode::InternalError),
                message: e.message,
                details: e.details,
            }),
        })
    }

    /// `receipt::build` (the engine supplies `policy_id`/`policy_version`; those of `input` are
    /// ignored): the receipt and its stored line.
    pub fn build_receipt(
        &mut self,
        h: PolicyHandle,
        input: &ReceiptInput,
    ) -> Result<(Receipt, String)> {
        let input = wit::ReceiptInput {
            receipt_id: input.receipt_id.clone(),
            timestamp: input.timestamp.clone(),
            request_id: input.request_id.clone(),
            trace_id: input.trace_id.clone(),
            tenant_id: input.tenant_id.clone(),
            actor_id: input.actor_id.clone(),
            session_id: input.session_id.clone(),
            action: action_out(&input.action),
            input_hash: input.input_hash.clone(),
            decision: decision_out(&input.decision),
            findings: input
                .findings
                .iter()
                .map(|f| wit::ReceiptFinding {
                    entity_type: f.entity_type.clone(),
                    start: u32_of(f.start),
                    end: u32_of(f.end),
                    confidence: f.confidence,
                    value_digest: f.value_digest.clone(),
                })
                .collect(),
            prev_hash: input.prev_hash.clone(),
        };
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_build_receipt(&mut self.store, h.0, &input)?;
        Ok(receipt_in(out))
    }
}

// ---------------------------------------------------------------- conversions

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).expect("offset fits in u32")
}

fn scan_options<S: AsRef<str>>(types: &[S], unit: OffsetUnit) -> wit::ScanOptions {
    wit::ScanOptions {
        entity_types: types.iter().map(|t| t.as_ref().to_owned()).collect(),
        offset_unit: match unit {
            OffsetUnit::Byte => wit::OffsetUnit::Byte,
            OffsetUnit::Char => wit::OffsetUnit::Codepoint,
            OffsetUnit::Utf16 => wit::OffsetUnit::Utf16,
        },
    }
}

fn finding_in(f: wit::Finding) -> Finding {
    Finding {
        entity_type: Cow::Owned(f.entity_type),
        start: f.start as usize,
        end: f.end as usize,
        confidence: f.confidence,
    }
}

fn finding_out(f: &Finding) -> wit::Finding {
    wit::Finding {
        entity_type: f.entity_type.to_string(),
        start: u32_of(f.start),
        end: u32_of(f.end),
        confidence: f.confidence,
    }
}

fn supplied_in(f: wit::SuppliedFinding) -> SuppliedFinding {
    SuppliedFinding {
        entity_type: f.entity_type,
        value: f.value,
        start: f.start as usize,
        end: f.end as usize,
        confidence: f.confidence,
    }
}

fn supplied_out(f: &SuppliedFinding) -> wit::SuppliedFinding {
    wit::SuppliedFinding {
        entity_type: f.entity_type.clone(),
        value: f.value.clone(),
        start: u32_of(f.start),
        end: u32_of(f.end),
        confidence: f.confidence,
    }
}

fn action_out(a: &Action) -> wit::Action {
    wit::Action {
        action_type: a.action_type.clone(),
        tool: a.tool.clone(),
        resource: a.resource.clone(),
        command: a.command.clone(),
        args: a.args.clone(),
        sensitive: a.sensitive,
    }
}

fn effect_in(e: wit::Effect) -> Effect {
    match e {
        wit::Effect::Allow => Effect::Allow,
        wit::Effect::AllowWithRedaction => Effect::AllowWithRedaction,
        wit::Effect::Transform => Effect::Transform,
        wit::Effect::Deny => Effect::Deny,
    }
}

fn effect_out(e: Effect) -> wit::Effect {
    match e {
        Effect::Allow => wit::Effect::Allow,
        Effect::AllowWithRedaction => wit::Effect::AllowWithRedaction,
        Effect::Transform => wit::Effect::Transform,
        Effect::Deny => wit::Effect::Deny,
    }
}

fn mode_in(m: wit::TransformMode) -> Mode {
    match m {
        wit::TransformMode::Mask => Mode::Mask,
        wit::TransformMode::Tokenize => Mode::Tokenize,
        wit::TransformMode::Anonymize => Mode::Anonymize,
        wit::TransformMode::Redact => Mode::Redact,
        wit::TransformMode::Replace => Mode::Replace,
        wit::TransformMode::Hash => Mode::Hash,
    }
}

fn mode_out(m: Mode) -> wit::TransformMode {
    match m {
        Mode::Mask => wit::TransformMode::Mask,
        Mode::Tokenize => wit::TransformMode::Tokenize,
        Mode::Anonymize => wit::TransformMode::Anonymize,
        Mode::Redact => wit::TransformMode::Redact,
        Mode::Replace => wit::TransformMode::Replace,
        Mode::Hash => wit::TransformMode::Hash,
    }
}

fn step_in(s: wit::TransformStep) -> TransformStep {
    TransformStep {
        entity_type: s.entity_type,
        mode: mode_in(s.mode),
    }
}

fn step_out(s: &TransformStep) -> wit::TransformStep {
    wit::TransformStep {
        entity_type: s.entity_type.clone(),
        mode: mode_out(s.mode),
    }
}

fn decision_in(d: wit::Decision) -> Decision {
    Decision {
        effect: effect_in(d.effect),
        matched_rules: d.matched_rules,
        plan: d.plan.into_iter().map(step_in).collect(),
        reason: d.reason,
    }
}

fn decision_out(d: &Decision) -> wit::Decision {
    wit::Decision {
        effect: effect_out(d.effect),
        matched_rules: d.matched_rules.clone(),
        plan: d.plan.iter().map(step_out).collect(),
        reason: d.reason.clone(),
    }
}

fn policy_error_in(e: wit::PolicyError) -> PolicyError {
    PolicyError {
        errors: e
            .errors
            .into_iter()
            .map(|f| FieldError {
                rule: f.rule,
                field: f.field,
                message: f.message,
                help: f.help,
            })
            .collect(),
    }
}

fn transformed_in(t: wit::TransformResult) -> Transformed {
    Transformed {
        output: t.output,
        stats: Stats {
            entities_transformed: t.stats.entities_transformed as usize,
            modes_applied: t.stats.modes_applied,
        },
    }
}

fn reconcile_error_in(e: wit::ReconcileError) -> ReconcileError {
    ReconcileError {
        index: e.index as usize,
        entity_type: e.entity_type,
        kind: match e.kind {
            wit::ReconcileErrorKind::ValueNotFound => ReconcileErrorKind::ValueNotFound,
            wit::ReconcileErrorKind::InvalidSpan => ReconcileErrorKind::InvalidSpan,
        },
    }
}

/// The receipt parsed back from its canonical line, and the line.
fn receipt_in(r: wit::Receipt) -> (Receipt, String) {
    let receipt: Receipt = serde_json::from_str(&r.line)
        .unwrap_or_else(|e| panic!("receipt line is not a receipt ({e}): {}", r.line));
    assert_eq!(receipt.receipt_id, r.receipt_id, "receipt-id field vs line");
    assert_eq!(receipt.prev_hash, r.prev_hash, "prev-hash field vs line");
    assert_eq!(receipt.hash, r.hash, "hash field vs line");
    (receipt, r.line)
}

fn chain_summary_in(s: wit::ChainSummary) -> ChainSummary {
    ChainSummary {
        count: s.count as usize,
        last_hash: s.last_hash,
    }
}

fn chain_error_in(e: wit::ChainError) -> ChainError {
    ChainError {
        line: e.line as usize,
        kind: match e.kind {
            wit::ChainErrorKind::Malformed => ChainErrorKind::Malformed,
            wit::ChainErrorKind::MissingField(name) => {
                ChainErrorKind::MissingField(match name.as_str() {
                    "hash" => "hash",
                    "prev_hash" => "prev_hash",
                    other => Box::leak(other.to_owned().into_boxed_str()),
                })
            }
            wit::ChainErrorKind::HashMismatch => ChainErrorKind::HashMismatch,
            wit::ChainErrorKind::BrokenLink => ChainErrorKind::BrokenLink,
        },
    }
}
