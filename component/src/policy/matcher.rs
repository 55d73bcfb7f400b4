//! Compiled rule conditions, built once at load, evaluated per decision without allocating
//! (except a lazily computed canonical tool name and cleaned resource path).

use std::borrow::Cow;
use std::cell::OnceCell;

use super::Action;
use super::adapters;
use super::entities::{EntityRef, FindingKind};
use super::glob::Glob;
use crate::entity::Finding;

/// One `match.adapters` entry.
#[derive(Clone, Debug)]
pub(crate) enum AdapterTarget {
    /// A plain name: Go's alias-aware comparison.
    Name { raw: String, canonical: String },
    /// A glob, matched against the tool and its canonical adapter name.
    Pattern(Glob),
}

/// A rule's conditions, compiled.
#[derive(Clone, Debug, Default)]
pub(crate) struct Compiled {
    pub(crate) action_types: Vec<Glob>,
    pub(crate) tools: Vec<Glob>,
    pub(crate) commands: Vec<Glob>,
    pub(crate) args: Vec<Glob>,
    pub(crate) adapters: Vec<AdapterTarget>,
    pub(crate) resources: Vec<Glob>,
    pub(crate) resources_except: Vec<Glob>,
    pub(crate) resource_prefixes: Vec<String>,
    pub(crate) require_sensitive_only: bool,
    pub(crate) all_entities: Vec<EntityRef>,
    pub(crate) any_entities: Vec<EntityRef>,
    /// Confidence floor for the entity gates (rule `min_confidence`, else the policy's).
    pub(crate) min_confidence: f64,
}

/// Per-decision view of the action and findings.
pub(crate) struct Context<'a> {
    pub(crate) action: &'a Action,
    findings: Vec<(FindingKind<'a>, f64)>,
    tool_canonical: OnceCell<Cow<'static, str>>,
    resource_clean: OnceCell<Cow<'a, str>>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(action: &'a Action, findings: &'a [Finding]) -> Context<'a> {
        Context {
            action,
            findings: findings
                .iter()
                .map(|f| (FindingKind::of(f), f.confidence))
                .collect(),
            tool_canonical: OnceCell::new(),
            resource_clean: OnceCell::new(),
        }
    }

    fn tool_canonical(&self) -> &str {
        self.tool_canonical
            .get_or_init(|| adapters::canonical_cow(&self.action.tool))
    }

    fn resource_clean(&self) -> &str {
        self.resource_clean
            .get_or_init(|| clean_path(&self.action.resource))
    }

    fn present(&self, name: &EntityRef, floor: f64) -> bool {
        self.findings
            .iter()
            .any(|(kind, conf)| *conf >= floor && name.covers(kind))
    }
}

fn any_glob(globs: &[Glob], value: &str) -> bool {
    globs.is_empty() || globs.iter().any(|g| g.matches(value))
}

impl Compiled {
    /// True if every condition holds (an empty list is no constraint).
    pub(crate) fn matches(&self, cx: &Context<'_>) -> bool {
        self.first_mismatch(cx).is_none()
    }

    /// The first condition that does not hold, named by its field in the rule (`match.tools`,
    /// `entity_requirements`, ...), in the order [`Compiled::matches`] checks them; `None` when
    /// every condition holds.
    pub(crate) fn first_mismatch(&self, cx: &Context<'_>) -> Option<&'static str> {
        let a = cx.action;
        if !any_glob(&self.action_types, &a.action_type) {
            return Some("match.action_types");
        }
        if !any_glob(&self.tools, &a.tool) {
            return Some("match.tools");
        }
        if !any_glob(&self.commands, &a.command) {
            return Some("match.commands");
        }
        if !self
            .args
            .iter()
            .all(|g| a.args.iter().any(|arg| g.matches(arg)))
        {
            return Some("match.args");
        }
        if !self.adapters.is_empty() && !self.adapters.iter().any(|t| adapter_matches(t, cx)) {
            return Some("match.adapters");
        }
        if self.require_sensitive_only && !a.sensitive {
            return Some("require_sensitive_only");
        }
        if !self.resource_prefixes.is_empty()
            && (a.resource.is_empty()
                || !self
                    .resource_prefixes
                    .iter()
                    .any(|p| a.resource.starts_with(p.as_str())))
        {
            return Some("match.resource_prefixes");
        }
        if !self.resources.is_empty()
            && (a.resource.is_empty()
                || !self
                    .resources
                    .iter()
                    .any(|g| g.matches(cx.resource_clean())))
        {
            return Some("match.resources");
        }
        if !self.resources_except.is_empty()
            && !a.resource.is_empty()
            && self
                .resources_except
                .iter()
                .any(|g| g.matches(cx.resource_clean()))
        {
            return Some("match.resources_except");
        }
        let floor = self.min_confidence;
        if !self.all_entities.iter().all(|e| cx.present(e, floor)) {
            return Some("entity_requirements");
        }
        if !(self.any_entities.is_empty() || self.any_entities.iter().any(|e| cx.present(e, floor)))
        {
            return Some("any_entities");
        }
        None
    }
}

fn adapter_matches(target: &AdapterTarget, cx: &Context<'_>) -> bool {
    let tool = cx.action.tool.as_str();
    match target {
        AdapterTarget::Name { raw, canonical } => {
            tool.eq_ignore_ascii_case(raw)
                || (!tool.trim().is_empty() && cx.tool_canonical() == canonical)
        }
        AdapterTarget::Pattern(g) => {
            !tool.trim().is_empty() && (g.matches(tool) || g.matches(cx.tool_canonical()))
        }
    }
}

/// Resolve `.` and `..` segments lexically (`/srv/app/../../etc/passwd` -> `/etc/passwd`) so a
/// `resources` glob cannot be sidestepped by a traversal. Empty segments (`//`, as in URLs) are
/// kept; `..` never climbs above the root; leading `..` of a relative path is kept.
pub(crate) fn clean_path(path: &str) -> Cow<'_, str> {
    let needs = path.split('/').any(|seg| seg == "." || seg == "..");
    if !needs {
        return Cow::Borrowed(path);
    }
    let absolute = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for (i, seg) in path.split('/').enumerate() {
        match seg {
            "" if i == 0 => out.push(""),
            "." => {}
            ".." => match out.last() {
                Some(&"..") => out.push(".."),
                Some(&"") if absolute && out.len() == 1 => {}
                Some(_) => {
                    out.pop();
                }
                None => out.push(".."),
            },
            s => out.push(s),
        }
    }
    if absolute && out.len() == 1 {
        return Cow::Borrowed("/");
    }
    if out.is_empty() {
        return Cow::Borrowed(".");
    }
    let mut joined = out.join("/");
    if (path.ends_with("/.") || path.ends_with("/..") || path.ends_with('/'))
        && !joined.ends_with('/')
    {
        joined.push('/');
    }
    Cow::Owned(joined)
}

#[cfg(test)]
mod tests {
    use super::clean_path;

    #[test]
    fn cleans_traversal() {
        assert_eq!(clean_path("/srv/app/../../etc/passwd"), "/etc/passwd");
        assert_eq!(clean_path("/../../etc"), "/etc");
        assert_eq!(clean_path("./a/./b"), "a/b");
        assert_eq!(clean_path("../a"), "../a");
        assert_eq!(clean_path("a/../../b"), "../b");
        assert_eq!(clean_path("/a/b/.."), "/a/");
        assert_eq!(clean_path("/.."), "/");
        assert_eq!(clean_path("https://h/x/../y"), "https://h/y");
        assert_eq!(clean_path("/plain/path"), "/plain/path");
        assert_eq!(clean_path("a..b/c.d"), "a..b/c.d");
        assert_eq!(clean_path("a/.."), ".");
    }
}
