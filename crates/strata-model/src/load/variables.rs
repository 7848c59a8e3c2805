//! Variables: their declarations, their values from each source (a declaration's `default`
//! < `STRATA_VAR_*` < `--var-file` < `--var`, later wins), the masking of sensitive values, and
//! the substitution of `${var.NAME}` in the documents, escaped so a value is never expanded.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{FileParts, mapping_entries, name_error, read_source, scalar_texts, valid_name};
use crate::de::{DeContext, from_node};
use crate::diag::{Diagnostic, Diagnostics, Redactions, did_you_mean};
use crate::expr::{self, Segment};
use crate::input;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::stack::Variable;
use crate::yaml::{self, Node, NodeKind};

/// Variable values given from outside the documents.
#[derive(Debug, Clone, Default)]
pub struct VarInputs {
    /// `--var NAME=VALUE`, in order (later wins).
    pub cli: Vec<(String, String)>,
    /// `--var-file FILE`, in order (later wins).
    pub files: Vec<PathBuf>,
    /// `STRATA_VAR_NAME=VALUE` from the environment.
    pub env: Vec<(String, String)>,
}

impl VarInputs {
    /// Collects `STRATA_VAR_*` from the process environment.
    pub fn with_process_env(mut self) -> Self {
        self.env = std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix("STRATA_VAR_").map(|n| (n.to_string(), v)))
            .collect();
        self
    }
}

/// A variable declaration as written.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct VariableDecl {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    sensitive: bool,
}

struct VarValue {
    node: Node,
    source: &'static str,
}

/// The stack's variables: what each declaration says and the value it takes.
pub(super) struct Variables {
    decls: BTreeMap<String, (Span, VariableDecl, Option<Node>)>,
    values: BTreeMap<String, VarValue>,
    /// The variables that have a value, as the `Stack` holds them.
    pub(super) variables: BTreeMap<String, Variable>,
}

/// Reads the declarations in every document, then the values from each source; a value that
/// must not be shown is added to `redact`.
pub(super) fn resolve(
    parts: &[FileParts],
    inputs: &VarInputs,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    redact: &mut Redactions,
) -> Variables {
    let mut decls: BTreeMap<String, (Span, VariableDecl, Option<Node>)> = BTreeMap::new();
    for part in parts {
        for (k, v) in &part.variables {
            let name = k.as_str().unwrap_or_default().to_string();
            if !valid_name(&name) {
                diags.push(name_error("variable", &name, k.span));
                continue;
            }
            if let Some((first, _, _)) = decls.get(&name) {
                diags.push(
                    Diagnostic::error(
                        "strata::duplicate_name",
                        format!("variable `{name}` is declared twice"),
                    )
                    .at(k.span, "declared again here")
                    .also(*first, "first declared here")
                    .help("remove one of the declarations"),
                );
                continue;
            }
            // A declaration that does not read may still be a sensitive one.
            let sensitive = v
                .get("sensitive")
                .is_some_and(|s| s.as_str() != Some("false"));
            let mut body = v.clone();
            let default = match &mut body.kind {
                NodeKind::Map(entries) => entries
                    .iter()
                    .position(|(k, _)| k.as_str() == Some("default"))
                    .map(|i| entries.remove(i).1),
                _ => None,
            };
            let ctx = DeContext::new(format!("variable `{name}`"));
            let decl = if body.is_null() {
                Ok(VariableDecl {
                    description: None,
                    sensitive: false,
                })
            } else {
                from_node::<VariableDecl>(&body, &ctx)
            };
            diags.0.extend(ctx.take_unknown());
            if let Some(d) = &default
                && (sensitive || decl.as_ref().is_ok_and(|d| d.sensitive))
            {
                redact_node(d, redact);
            }
            match decl {
                Ok(d) => {
                    decls.insert(name, (k.span, d, default));
                }
                Err(e) => diags.push(e.into_diagnostic(k.span)),
            }
        }
    }
    let mut values: BTreeMap<String, VarValue> = BTreeMap::new();
    for (name, (_, _, default)) in &decls {
        if let Some(d) = default {
            values.insert(
                name.clone(),
                VarValue {
                    node: d.clone(),
                    source: "default",
                },
            );
        }
    }
    let mut given: Vec<(String, Node, &'static str, Option<Span>)> = Vec::new();
    for (name, value) in &inputs.env {
        // The environment is shared with other tools: undeclared names are ignored (and their
        // values never become a source that could be shown).
        if !decls.contains_key(name) {
            continue;
        }
        let id = sources.add(SourceFile::new(
            format!("environment STRATA_VAR_{name}"),
            value.clone(),
        ));
        let node = Node::scalar(Span::new(id, 0, value.len()), value.clone(), true);
        given.push((name.clone(), node, "environment", None));
    }
    for (k, v) in read_var_files(inputs, sources, diags, redact) {
        let name = k.as_str().unwrap_or_default().to_string();
        given.push((name, v, "--var-file", Some(k.span)));
    }
    for (name, value) in &inputs.cli {
        // Named without the value: the name of a source is printed as it is.
        let id = sources.add(SourceFile::new(
            format!("--var {name}"),
            format!("{name}={value}"),
        ));
        let start = name.len() + 1;
        let node = Node::scalar(
            Span::new(id, start, start + value.len()),
            value.clone(),
            true,
        );
        given.push((
            name.clone(),
            node,
            "--var",
            Some(Span::new(id, 0, name.len())),
        ));
    }
    for (name, node, source, span) in given {
        // The value of a sensitive variable, from whichever source, and a value given for a
        // variable that is not declared (a misspelt secret, perhaps) are never shown.
        match decls.get(&name) {
            Some((_, decl, _)) if !decl.sensitive => {}
            _ => redact_node(&node, redact),
        }
        if decls.contains_key(&name) {
            values.insert(name, VarValue { node, source });
        } else if let Some(span) = span {
            let d = Diagnostic::error(
                "strata::unknown_variable",
                format!("variable `{name}` is not declared in the documents"),
            )
            .at(span, "not declared");
            diags.push(
                match did_you_mean(&name, decls.keys().map(String::as_str)) {
                    Some(m) => d.help(format!("did you mean `{m}`?")),
                    None => d.help(format!("declare it under `variables:` as `{name}: {{}}`")),
                },
            );
        }
    }
    let mut variables = BTreeMap::new();
    for (name, (span, decl, _)) in &decls {
        match values.get(name) {
            Some(v) if decl.sensitive && v.node.as_scalar().is_none() => diags.push(
                Diagnostic::error(
                    "strata::invalid_value",
                    format!("sensitive variable `{name}` must be a single value"),
                )
                .at(*span, "declared sensitive here")
                .help("a list or mapping cannot be kept out of plans and the lockfile; use one variable per secret"),
            ),
            Some(v) => {
                variables.insert(
                    name.clone(),
                    Variable {
                        name: name.clone(),
                        span: *span,
                        description: decl.description.clone(),
                        sensitive: decl.sensitive,
                        source: v.source,
                        secret_texts: if decl.sensitive {
                            scalar_texts(&v.node)
                        } else {
                            Vec::new()
                        },
                    },
                );
            }
            None => diags.push(
                Diagnostic::error(
                    "strata::missing_variable",
                    format!("variable `{name}` has no value"),
                )
                .at(*span, "declared here without a default")
                .help(format!(
                    "pass --var {name}=VALUE, put it in a --var-file, set STRATA_VAR_{name}, or give it a `default:`"
                )),
            ),
        }
    }
    Variables {
        decls,
        values,
        variables,
    }
}

impl Variables {
    /// Substitutes variables everywhere but in the declarations.
    pub(super) fn substitute(&self, parts: &mut [FileParts], diags: &mut Diagnostics) {
        let declared = |name: &str| self.decls.contains_key(name);
        for part in parts {
            for n in [&mut part.stack, &mut part.region, &mut part.default_tags]
                .into_iter()
                .flatten()
            {
                substitute(n, &self.values, &declared, diags);
            }
            for (_, v) in part.resources.iter_mut().chain(part.outputs.iter_mut()) {
                substitute(v, &self.values, &declared, diags);
            }
        }
    }
}

/// Replaces `${var.NAME}` in every scalar of `node`.
fn substitute(
    node: &mut Node,
    vars: &BTreeMap<String, VarValue>,
    declared: &dyn Fn(&str) -> bool,
    diags: &mut Diagnostics,
) {
    match &mut node.kind {
        NodeKind::Seq(items) => items
            .iter_mut()
            .for_each(|n| substitute(n, vars, declared, diags)),
        NodeKind::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, v)| substitute(v, vars, declared, diags)),
        NodeKind::Scalar(s) => {
            if !expr::has_template(&s.text) {
                return;
            }
            let segs = match expr::parse(&s.text) {
                Ok(segs) => segs,
                Err(e) => {
                    diags.push(
                        Diagnostic::error("strata::invalid_reference", e.message)
                            .at(node.span, "in this value")
                            .help("escape a literal `${` as `$${`"),
                    );
                    return;
                }
            };
            if !segs.iter().any(|seg| matches!(seg, Segment::Var { .. })) {
                return;
            }
            // The whole value is one variable: take the variable's value as it is (any type).
            if let [Segment::Var { name, .. }] = segs.as_slice() {
                match vars.get(*name) {
                    Some(v) => {
                        let plain = s.plain;
                        let mut replacement = v.node.clone();
                        if let NodeKind::Scalar(r) = &mut replacement.kind {
                            r.plain = r.plain && plain;
                        }
                        escape_values(&mut replacement);
                        *node = replacement;
                    }
                    None if declared(name) => {}
                    None => diags.push(unknown_var(name, node.span, vars)),
                }
                return;
            }
            let mut out = String::new();
            for seg in &segs {
                match seg {
                    // Keep literal text and resource references in template form.
                    Segment::Lit(l) => out.push_str(&expr::escape(l)),
                    Segment::Attr { resource, attr, .. } => {
                        out.push_str(&format!("${{{resource}.{attr}}}"))
                    }
                    Segment::Var { name, .. } => match vars.get(*name) {
                        Some(VarValue {
                            node:
                                Node {
                                    kind: NodeKind::Scalar(v),
                                    ..
                                },
                            ..
                        }) => out.push_str(&expr::escape(&v.text)),
                        Some(_) => {
                            diags.push(
                                Diagnostic::error(
                                    "strata::invalid_value",
                                    format!("variable `{name}` is a list or mapping and cannot be part of a string"),
                                )
                                .at(node.span, "used inside a string here")
                                .help("use the variable as the whole value, or give it a single value"),
                            );
                            return;
                        }
                        None => {
                            if !declared(name) {
                                diags.push(unknown_var(name, node.span, vars));
                            }
                            return;
                        }
                    },
                }
            }
            s.text = out;
        }
    }
}

/// A variable's value is data: `${` in it is escaped, so that it is never read as a reference
/// (`--var 'name=${var.password}'` is that text, not the password). Keys are names, not
/// templates, and stay as they are.
fn escape_values(node: &mut Node) {
    match &mut node.kind {
        NodeKind::Scalar(s) => {
            if let std::borrow::Cow::Owned(escaped) = expr::escape(&s.text) {
                s.text = escaped;
            }
        }
        NodeKind::Seq(items) => items.iter_mut().for_each(escape_values),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|(_, v)| escape_values(v)),
    }
}

/// Masks every scalar of a value in diagnostics: its place and its text.
fn redact_node(node: &Node, redact: &mut Redactions) {
    match &node.kind {
        NodeKind::Scalar(s) => {
            redact.span(node.span);
            redact.text(&s.text);
        }
        NodeKind::Seq(items) => items.iter().for_each(|n| redact_node(n, redact)),
        NodeKind::Map(entries) => entries.iter().for_each(|(_, v)| redact_node(v, redact)),
    }
}

fn unknown_var(name: &str, span: Span, vars: &BTreeMap<String, VarValue>) -> Diagnostic {
    let d = Diagnostic::error(
        "strata::unknown_variable",
        format!("unknown variable `{name}`"),
    )
    .at(span, "used here");
    match did_you_mean(name, vars.keys().map(String::as_str)) {
        Some(m) => d.help(format!("did you mean `{m}`?")),
        None => d.help(format!("declare it under `variables:` as `{name}: {{}}`")),
    }
}

/// Reads `--var-file` files: mappings of variable names to values. A file that is not such a
/// mapping is reported with every value in it masked: which of them are secrets is not known.
fn read_var_files(
    inputs: &VarInputs,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    redact: &mut Redactions,
) -> Vec<(Node, Node)> {
    let mut out = Vec::new();
    for path in &inputs.files {
        let id = match read_source(path, input::VAR_FILE, sources) {
            Ok(id) => id,
            Err(d) => {
                // Not UTF-8: the file was read, and its text is shown around the bad byte.
                if let Some(p) = &d.primary
                    && let Some(file) = sources.get(p.span.file)
                {
                    value_spans_by_line(file, p.span.file)
                        .into_iter()
                        .for_each(|s| redact.span(s));
                }
                diags.push(d);
                continue;
            }
        };
        let Some(file) = sources.get(id) else {
            continue;
        };
        match yaml::parse(file, id) {
            Ok(docs) => {
                for doc in docs {
                    if doc.as_map().is_none() {
                        redact.span(doc.span);
                    }
                    out.extend(mapping_entries(&doc, "variable file", diags));
                }
            }
            Err(d) => {
                value_spans_by_line(file, id)
                    .into_iter()
                    .for_each(|s| redact.span(s));
                diags.push(d);
            }
        }
    }
    out
}

/// In a file that did not parse, what may be a value on each line: after the first `: ` (or a
/// `:` ending the line's key), else the whole line but its indentation and a `- `. Comments
/// are values too (a secret may be commented out).
fn value_spans_by_line(file: &SourceFile, id: FileId) -> Vec<Span> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in file.text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        let rest = &body[indent..];
        let item = rest.strip_prefix("- ").map_or(0, |_| 2);
        let plain_key = |k: &str| !k.contains(['"', '\'', '#', ' ']);
        let value_start = match rest.find(": ") {
            Some(i) if plain_key(&rest[..i]) => indent + i + 2,
            // A key alone, opening a mapping or a list.
            _ if rest.ends_with(':') && plain_key(rest) => body.len(),
            _ => indent + item,
        };
        if value_start < body.len() {
            out.push(Span::new(id, at + value_start, at + body.len()));
        }
        at += line.len();
    }
    out
}
