//! One instance of the component in its own store, with a typed method per WIT export.

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use datafog::api::{
    AnonymizeRequest, ApiError, DecideContext, DecideRequest, DecideResponse, ScanRequest,
    ScanResponse, TransformRequest, TransformResponse,
};
use datafog::policy::PolicyError;
use datafog::receipt::{ChainError, ChainSummary, ReceiptInput};
use datafog::transform::Transformed;
use datafog::{Action, Decision, Finding, OffsetUnit, TransformStep};

use crate::convert::usize_of;
use crate::{Ctx, GuestPre, bindings, wit};

pub use wasmtime::Result;

/// A loaded policy inside an [`Instance`] (the WIT `engine` resource).
#[derive(Clone, Copy, Debug)]
pub struct PolicyHandle(pub ResourceAny);

/// What `decide-request` returns: the response, the receipt as the guest built it (its stored
/// line; unsealed when the context's `prev_hash` was empty) and the decision's event line.
#[derive(Clone, Debug)]
pub struct Decided {
    pub response: DecideResponse,
    pub receipt: wit::Receipt,
    pub event: String,
}

/// One instance of the component in its own store.
pub struct Instance {
    pub store: Store<Ctx>,
    guest: bindings::Guest,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance").finish_non_exhaustive()
    }
}

fn scan_options<S: AsRef<str>>(types: &[S], unit: OffsetUnit) -> wit::ScanOptions {
    wit::ScanOptions {
        entity_types: types.iter().map(|t| t.as_ref().to_owned()).collect(),
        offset_unit: unit.into(),
    }
}

fn findings_in(out: Vec<wit::Finding>) -> Vec<Finding> {
    out.into_iter().map(Into::into).collect()
}

impl Instance {
    /// Instantiate `pre` in `store` (set its limits and deadline first).
    pub fn new(pre: &GuestPre, mut store: Store<Ctx>) -> Result<Instance> {
        let guest = pre.instantiate(&mut store)?;
        Ok(Instance { store, guest })
    }

    // ------------------------------------------------------------ plain functions

    /// The guest's `datafog::CORE_VERSION` (see `crate::check_version`).
    pub fn core_version(&mut self) -> Result<String> {
        let api = self.guest.datafog_firewall_firewall();
        api.call_core_version(&mut self.store)
    }

    pub fn scan_text(&mut self, text: &str) -> Result<Vec<Finding>> {
        let api = self.guest.datafog_firewall_firewall();
        api.call_scan_text(&mut self.store, text).map(findings_in)
    }

    pub fn scan_text_with<S: AsRef<str>>(
        &mut self,
        text: &str,
        types: &[S],
        unit: OffsetUnit,
    ) -> Result<Vec<Finding>> {
        let opts = scan_options(types, unit);
        let api = self.guest.datafog_firewall_firewall();
        api.call_scan_text_with(&mut self.store, text, &opts)
            .map(findings_in)
    }

    pub fn redact_text(&mut self, text: &str) -> Result<String> {
        let api = self.guest.datafog_firewall_firewall();
        api.call_redact_text(&mut self.store, text)
    }

    /// `Ok((policy_id, policy_version, rule_count))`.
    pub fn check_policy(
        &mut self,
        json: &str,
    ) -> Result<std::result::Result<(String, String, usize), PolicyError>> {
        let api = self.guest.datafog_firewall_firewall();
        let out = api.call_check_policy(&mut self.store, json)?;
        Ok(out
            .map(|i| (i.policy_id, i.policy_version, usize_of(i.rule_count)))
            .map_err(Into::into))
    }

    pub fn verify_chain<S: AsRef<str>>(
        &mut self,
        lines: &[S],
    ) -> Result<std::result::Result<ChainSummary, ChainError>> {
        let lines: Vec<String> = lines.iter().map(|l| l.as_ref().to_owned()).collect();
        let api = self.guest.datafog_firewall_firewall();
        let out = api.call_verify_chain(&mut self.store, &lines)?;
        Ok(out.map(Into::into).map_err(Into::into))
    }

    pub fn verify_chain_from<S: AsRef<str>>(
        &mut self,
        prev_hash: &str,
        lines: &[S],
    ) -> Result<std::result::Result<ChainSummary, ChainError>> {
        let lines: Vec<String> = lines.iter().map(|l| l.as_ref().to_owned()).collect();
        let api = self.guest.datafog_firewall_firewall();
        let out = api.call_verify_chain_from(&mut self.store, prev_hash, &lines)?;
        Ok(out.map(Into::into).map_err(Into::into))
    }

    // ------------------------------------------------------------ the engine resource

    /// `Policy::from_json`.
    pub fn load(&mut self, json: &str) -> Result<std::result::Result<PolicyHandle, PolicyError>> {
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_load(&mut self.store, json)?;
        Ok(out.map(PolicyHandle).map_err(Into::into))
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
        self.guest
            .datafog_firewall_firewall()
            .engine()
            .call_scan(&mut self.store, h.0, text, &opts)
            .map(findings_in)
    }

    pub fn decide(
        &mut self,
        h: PolicyHandle,
        action: &Action,
        findings: &[Finding],
    ) -> Result<Decision> {
        let findings: Vec<wit::Finding> = findings.iter().map(Into::into).collect();
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_decide(&mut self.store, h.0, &action.into(), &findings)?;
        Ok(out.into())
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
            .call_scan_and_decide(&mut self.store, h.0, &action.into(), text, &opts)?;
        Ok((findings_in(out.findings), out.decision.into()))
    }

    /// `transform::apply` on trusted findings.
    pub fn transform(
        &mut self,
        h: PolicyHandle,
        text: &str,
        findings: &[Finding],
        plan: &[TransformStep],
        key: &[u8],
    ) -> Result<Transformed> {
        let findings: Vec<wit::Finding> = findings.iter().map(Into::into).collect();
        let plan: Vec<wit::TransformStep> = plan.iter().map(Into::into).collect();
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_transform(&mut self.store, h.0, text, &findings, &plan, key)?;
        Ok(out.into())
    }

    /// `datafog::api::handle_scan`.
    pub fn scan_request(
        &mut self,
        h: PolicyHandle,
        req: ScanRequest,
    ) -> Result<std::result::Result<ScanResponse, ApiError>> {
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_scan_request(&mut self.store, h.0, &req.into())?;
        Ok(out.map(Into::into).map_err(Into::into))
    }

    /// `datafog::api::handle_transform`.
    pub fn transform_request(
        &mut self,
        h: PolicyHandle,
        req: TransformRequest,
        key: &[u8],
    ) -> Result<std::result::Result<TransformResponse, ApiError>> {
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_transform_request(&mut self.store, h.0, &req.into(), key)?;
        Ok(out.map(Into::into).map_err(Into::into))
    }

    /// `datafog::api::handle_anonymize`.
    pub fn anonymize_request(
        &mut self,
        h: PolicyHandle,
        req: AnonymizeRequest,
        key: &[u8],
    ) -> Result<std::result::Result<TransformResponse, ApiError>> {
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_anonymize_request(&mut self.store, h.0, &req.into(), key)?;
        Ok(out.map(Into::into).map_err(Into::into))
    }

    /// `datafog::api::decide` plus `decision_event`.
    pub fn decide_request(
        &mut self,
        h: PolicyHandle,
        req: DecideRequest,
        ctx: DecideContext<'_>,
    ) -> Result<std::result::Result<Decided, ApiError>> {
        let out = self
            .guest
            .datafog_firewall_firewall()
            .engine()
            .call_decide_request(&mut self.store, h.0, &req.into(), &ctx.into())?;
        Ok(out
            .map(|d| Decided {
                response: d.response.into(),
                receipt: d.receipt,
                event: d.event,
            })
            .map_err(Into::into))
    }

    /// `receipt::build` (the engine supplies `policy_id`/`policy_version`; those of `input` are
    /// ignored): the sealed receipt's fields and stored line.
    pub fn build_receipt(&mut self, h: PolicyHandle, input: &ReceiptInput) -> Result<wit::Receipt> {
        self.guest
            .datafog_firewall_firewall()
            .engine()
            .call_build_receipt(&mut self.store, h.0, &input.into())
    }
}
