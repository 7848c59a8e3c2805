//! Checks that need the whole stack: references, cycles, tags, lifecycle options, and each
//! kind's own stack-wide checks. All of them run before any AWS call.

use std::collections::{BTreeMap, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::kinds::{self, Compare};
use crate::load::LoadOptions;
use crate::regions;
use crate::source::Span;
use crate::stack::{RefVia, Reference, Resource, Stack};
use crate::types::Tags;

/// Tags strata itself puts on every resource it creates.
pub const OWNERSHIP_TAGS: usize = 2;
/// AWS's limit of tags per resource.
pub const MAX_TAGS: usize = 50;

/// Stack names: letters, digits, `.`, `_` and `-`, starting with a letter or digit.
pub fn valid_stack_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 128
        && matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Runs every stack-wide check. `failed` names resources that did not load (their errors are
/// already reported), so references to them are not reported again.
pub fn validate(
    stack: &mut Stack,
    failed: &BTreeMap<String, Span>,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) {
    // Orderings AWS requires beyond the written references.
    for (from, to, span) in kinds::implicit_all(stack) {
        if let Some(r) = stack.resources.get_mut(&from)
            && !r.refs.iter().any(|x| x.target == to && !x.soft)
        {
            r.refs.push(Reference {
                target: to,
                attr: None,
                span,
                via: RefVia::Implicit,
                kinds: &[],
                soft: false,
            });
        }
    }
    let stack: &Stack = stack;
    check_places(stack, options, diags);
    for r in stack.resources.values() {
        check_refs(stack, failed, &r.refs, Some(r), diags);
        check_lifecycle(r, diags);
        if let Some(tags) = r.spec.tags() {
            check_tags(tags, &stack.default_tags, diags);
        }
    }
    for o in stack.outputs.values() {
        check_refs(stack, failed, &o.refs, None, diags);
    }
    check_tags(&Tags::default(), &stack.default_tags, diags);
    check_cycles(stack, diags);
    kinds::check_all(stack, diags);
}

/// The stack's region (the documents', else `--region`), the other regions resources name,
/// and every zone against the stack's region.
fn check_places(stack: &Stack, options: &LoadOptions, diags: &mut Diagnostics) {
    let allow = options.allow_unknown_region;
    let mut known = true;
    let region = match (&stack.region, &options.region) {
        (Some(region), _) => {
            known = regions::problem(&region.value, allow).is_none();
            regions::check_region(region, allow, diags);
            Some(region.value.as_str())
        }
        (None, Some(flag)) => {
            if let Some(p) = regions::problem(flag, allow) {
                known = false;
                diags.push(
                    Diagnostic::error(p.code, format!("--region: {}", p.message)).help(p.help),
                );
            }
            Some(flag.as_str())
        }
        (None, None) => None,
    };
    for r in stack.resources.values() {
        for other in r.spec.regions() {
            regions::check_region(other, allow, diags);
        }
        // Zones are checked against a region that is itself right.
        if let (Some(region), true) = (region, known) {
            for zone in r.spec.zones() {
                regions::check_zone(zone, region, diags);
            }
        }
    }
}

fn check_refs(
    stack: &Stack,
    failed: &BTreeMap<String, Span>,
    refs: &[Reference],
    from: Option<&Resource>,
    diags: &mut Diagnostics,
) {
    for r in refs {
        if failed.contains_key(&r.target) {
            continue;
        }
        let Some(target) = stack.resources.get(&r.target) else {
            let d = Diagnostic::error(
                "strata::unknown_reference",
                format!("no resource named `{}` in this stack", r.target),
            )
            .at(r.span, "unknown resource");
            let names = stack.resources.keys().map(String::as_str);
            let id_like = r.target.split_once('-').is_some_and(|(prefix, rest)| {
                !prefix.is_empty()
                    && !rest.is_empty()
                    && prefix.chars().all(|c| c.is_ascii_lowercase())
            });
            diags.push(match did_you_mean(&r.target, names) {
                Some(m) => d.help(format!("did you mean `{m}`?")),
                None if id_like => d.help(
                    "define the resource under `resources:`; or, for a resource outside the \
                     stack, give its AWS id: the prefix and 8 or 17 lowercase hex digits, e.g. \
                     vpc-0abc1234",
                ),
                None => d.help("define the resource under `resources:`, or fix the name"),
            });
            continue;
        };
        if let (Some(_), RefVia::Field(field)) = (from, r.via) {
            let expected = r.kinds;
            if !expected.is_empty() && !expected.contains(&target.kind.name) {
                diags.push(
                    Diagnostic::error(
                        "strata::wrong_kind",
                        format!(
                            "`{field}` must name {}, but `{}` is {}",
                            expected.join(" or "),
                            r.target,
                            target.kind.name
                        ),
                    )
                    .at(r.span, format!("this is {}", target.kind.name))
                    .also(target.kind_span, "its kind")
                    .help(format!("name a resource of kind {}", expected.join(" or "))),
                );
            }
        }
        if let Some(attr) = &r.attr
            && !target.kind.has_attribute(attr)
        {
            let names = target.kind.attribute_names();
            let help = match did_you_mean(attr, names.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("{} has: {}", target.kind.name, names.join(", ")),
            };
            diags.push(
                Diagnostic::error(
                    "strata::unknown_attribute",
                    format!(
                        "{} `{}` has no attribute `{attr}`",
                        target.kind.name, r.target
                    ),
                )
                .at(r.span, "unknown attribute")
                .help(help),
            );
        }
    }
}

fn check_lifecycle(r: &Resource, diags: &mut Diagnostics) {
    check_field_list(r, "ignore_changes", &r.lifecycle.ignore_changes, diags);
    check_field_list(r, "owned_elsewhere", &r.lifecycle.owned_elsewhere, diags);
    check_field_list(r, "sensitive", &r.lifecycle.sensitive, diags);
}

/// A lifecycle list of field names (`field`, or `field.KEY` for mapping fields).
fn check_field_list(
    r: &Resource,
    option: &str,
    list: &[crate::spanned::Spanned<String>],
    diags: &mut Diagnostics,
) {
    let verb = match option {
        "sensitive" => "mark",
        "owned_elsewhere" => "name",
        _ => "ignore",
    };
    for f in list {
        let (field, key) = match f.value.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (f.value.as_str(), None),
        };
        match r.kind.field(field) {
            Some(def) if key.is_none() || def.compare == Compare::Map => {}
            Some(_) => diags.push(
                Diagnostic::error(
                    "strata::invalid_value",
                    format!("`{field}` has no keys to {verb} one by one"),
                )
                .at(f.span, "not a mapping field")
                .help(format!("write `{field}` to {verb} the whole field")),
            ),
            None => {
                let names = r.kind.fields.iter().map(|f| f.name);
                let help = match did_you_mean(field, names.clone()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!(
                        "{} fields: {}",
                        r.kind.name,
                        names.collect::<Vec<_>>().join(", ")
                    ),
                };
                diags.push(
                    Diagnostic::error(
                        "strata::unknown_field",
                        format!(
                            "`{option}` names `{field}`, which {} does not have",
                            r.kind.name
                        ),
                    )
                    .at(f.span, "unknown field")
                    .help(help),
                );
            }
        }
    }
}

/// AWS's tag rules, checked on the resource's tags merged with the defaults.
pub fn check_tags(own: &Tags, defaults: &Tags, diags: &mut Diagnostics) {
    for (k, v) in &own.0 {
        let key = k.value.as_str();
        let chars = key.chars().count();
        if chars == 0 || chars > 128 {
            diags.push(
                Diagnostic::error(
                    "strata::invalid_tag",
                    format!("tag keys must be 1 to 128 characters; this one has {chars}"),
                )
                .at(k.span, "invalid tag key")
                .help("shorten the key"),
            );
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            diags.push(
                Diagnostic::error(
                    "strata::invalid_tag",
                    format!("tag key `{key}` uses the reserved `aws:` prefix"),
                )
                .at(k.span, "reserved prefix")
                .help("AWS reserves `aws:` for its own tags; choose another key"),
            );
        }
        if key.starts_with("strata:") {
            diags.push(
                Diagnostic::error(
                    "strata::invalid_tag",
                    format!("tag key `{key}` uses the reserved `strata:` prefix"),
                )
                .at(k.span, "reserved prefix")
                .help("strata sets `strata:stack` and `strata:name` itself; choose another key"),
            );
        }
        let vchars = v.value.chars().count();
        if vchars > 256 {
            diags.push(
                Diagnostic::error(
                    "strata::invalid_tag",
                    format!("tag values may have at most 256 characters; this one has {vchars}"),
                )
                .at(v.span, "value too long")
                .help("shorten the value"),
            );
        }
    }
    let mut merged: HashMap<&str, ()> = defaults
        .0
        .iter()
        .map(|(k, _)| (k.value.as_str(), ()))
        .collect();
    for (k, _) in &own.0 {
        merged.insert(k.value.as_str(), ());
    }
    let limit = MAX_TAGS - OWNERSHIP_TAGS;
    if merged.len() > limit
        && let Some((first, _)) = own.0.first().or(defaults.0.first())
    {
        diags.push(
            Diagnostic::error(
                "strata::too_many_tags",
                format!(
                    "{} tags with the defaults; at most {limit} fit, as AWS allows {MAX_TAGS} and strata adds {OWNERSHIP_TAGS}",
                    merged.len()
                ),
            )
            .at(first.span, "in these tags")
            .help("remove tags, or move fewer into `default_tags`"),
        );
    }
}

/// Finds dependency cycles and prints each one with the references that make it.
fn check_cycles(stack: &Stack, diags: &mut Diagnostics) {
    let mut g: DiGraph<&str, Span> = DiGraph::new();
    let mut idx: BTreeMap<&str, NodeIndex> = BTreeMap::new();
    for name in stack.resources.keys() {
        idx.insert(name, g.add_node(name));
    }
    for r in stack.resources.values() {
        let from = idx[r.name.as_str()];
        for re in r.refs.iter().filter(|re| !re.soft) {
            if let Some(&to) = idx.get(re.target.as_str())
                && g.find_edge(from, to).is_none()
            {
                g.add_edge(from, to, re.span);
            }
        }
    }
    for scc in petgraph::algo::tarjan_scc(&g) {
        let cyclic = scc.len() > 1 || g.find_edge(scc[0], scc[0]).is_some();
        if !cyclic {
            continue;
        }
        // Walk one cycle inside the component, starting from its smallest name.
        let Some(&start) = scc.iter().min_by_key(|n| g[**n]) else {
            continue;
        };
        let mut path = vec![start];
        let mut edges = Vec::new();
        let mut cur = start;
        loop {
            let next = g
                .edges(cur)
                .filter(|e| scc.contains(&e.target()))
                .min_by_key(|e| g[e.target()]);
            let Some(e) = next else { break };
            let t = e.target();
            edges.push((*e.weight(), g[cur], g[t]));
            if let Some(p) = path.iter().position(|n| *n == t) {
                // Keep only the loop itself.
                path.drain(..p);
                edges.drain(..p);
                path.push(t);
                break;
            }
            path.push(t);
            cur = t;
        }
        let names: Vec<&str> = path.iter().map(|n| g[*n]).collect();
        let Some(&(first_span, _, _)) = edges.first() else {
            continue;
        };
        let mut d = Diagnostic::error(
            "strata::cycle",
            format!("dependency cycle: {}", names.join(" -> ")),
        )
        .at(
            first_span,
            format!("{} depends on {}", edges[0].1, edges[0].2),
        );
        for (span, a, b) in edges.iter().skip(1) {
            d = d.also(*span, format!("{a} depends on {b}"));
        }
        diags.push(d.help(
            "resources cannot depend on each other in a circle; remove one of these references",
        ));
    }
}
