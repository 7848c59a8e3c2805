//! Loading a stack: files → YAML trees → variables substituted → typed resources → validated.
//!
//! Every problem found on the way is collected; loading fails with all of them at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::de::{DeContext, from_node};
use crate::diag::{Diagnostic, Diagnostics, Redactions, did_you_mean};
use crate::expr::{self, Segment};
use crate::input;
use crate::kinds::{self, Spec};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::spanned::Spanned;
use crate::stack::{Lifecycle, Output, RefVia, Reference, Resource, Stack};
use crate::types::Tags;
use crate::validate;
use crate::yaml::{self, Node, NodeKind};

mod variables;

pub use variables::VarInputs;

/// The keys a document may have at its top level.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "stack",
    "region",
    "lifetime",
    "state",
    "default_tags",
    "variables",
    "resources",
    "outputs",
];

/// Keys every resource has besides its kind's fields.
pub const RESOURCE_KEYS: &[&str] = &["kind", "depends_on", "lifecycle"];

/// A stack that loaded and passed validation, with the sources it came from.
#[derive(Debug)]
pub struct Loaded {
    pub stack: Stack,
    pub sources: SourceMap,
}

/// Why loading failed: every diagnostic, and the sources to render them against. Both are
/// redacted already ([`Redactions`]): they hold no secret the load knew of, whoever renders them.
#[derive(Debug)]
pub struct LoadError {
    pub diagnostics: Diagnostics,
    pub sources: SourceMap,
}

/// The run's choices that change what validation accepts.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The region the run uses when the documents set none (`--region`): checked as `region:`
    /// is, and the zones the documents name are checked against it.
    pub region: Option<String>,
    /// Accept a region code missing from strata's table, of a region's shape
    /// (`--allow-unknown-region`, for a region newer than [`crate::regions::REGIONS`]).
    pub allow_unknown_region: bool,
}

/// Is this file a stack document when found in a directory?
fn is_document(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') {
        return false;
    }
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    let vars = name.ends_with(".vars.yaml") || name.ends_with(".vars.yml");
    yaml && !vars
}

/// Finds the document files: the file itself, or the YAML files of a directory (not recursive,
/// sorted by name; `*.vars.yaml` files are variable files, not documents).
///
/// A path that is neither (a device, a FIFO) is refused here; a document in a directory that is
/// not a regular file is kept, to be refused by name when it is read.
pub fn discover(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Diagnostic::error(
            "strata::no_documents",
            format!("cannot read {}: {e}", path.display()),
        )
        .help("pass the stack's file or directory with -f/--file")
    })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !meta.is_dir() {
        return Err(Diagnostic::error(
            "strata::no_documents",
            format!(
                "{} is neither a file nor a directory: it is {}",
                path.display(),
                input::file_type_name(&meta)
            ),
        )
        .help(
            "pass the stack's YAML file, or the directory holding its YAML files, with -f/--file",
        ));
    }
    let entries = std::fs::read_dir(path).map_err(|e| {
        Diagnostic::error(
            "strata::no_documents",
            format!("cannot list {}: {e}", path.display()),
        )
        .help("check the directory's permissions")
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| is_document(p) && !p.is_dir())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Diagnostic::error(
            "strata::no_documents",
            format!("no stack documents (*.yaml, *.yml) in {}", path.display()),
        )
        .help("pass a directory holding the stack's YAML files, or one file, with -f/--file"));
    }
    Ok(files)
}

/// Reads a file (bounded, see [`input::read_bounded`]) into the source map; non-UTF-8 content is
/// an error pointing at the first bad byte.
fn read_source(
    path: &Path,
    limit: input::Limit,
    sources: &mut SourceMap,
) -> Result<FileId, Diagnostic> {
    let bytes = input::read_bounded(path, limit).map_err(|e| {
        let code = match e {
            input::InputError::TooLarge { .. } => "strata::file_too_large",
            input::InputError::NotAFile { .. } => "strata::not_a_file",
            input::InputError::Io { .. } => "strata::io",
        };
        Diagnostic::error(code, e.to_string()).help(e.help())
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(SourceFile::new(path, text))),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let id = sources.add(SourceFile::new(path, lossy));
            Err(Diagnostic::error(
                "strata::not_utf8",
                // The file is named by the location; the message stays short.
                format!("this file is not valid UTF-8 text (bad byte at offset {at})"),
            )
            .at(Span::new(id, at, at + 1), "invalid byte")
            .help("save the file as UTF-8"))
        }
    }
}

/// One file's top-level sections.
#[derive(Default)]
struct FileParts {
    stack: Option<Node>,
    region: Option<Node>,
    lifetime: Option<Node>,
    state: Option<Node>,
    default_tags: Option<Node>,
    variables: Vec<(Node, Node)>,
    resources: Vec<(Node, Node)>,
    outputs: Vec<(Node, Node)>,
}

fn mapping_entries(node: &Node, what: &str, diags: &mut Diagnostics) -> Vec<(Node, Node)> {
    match &node.kind {
        NodeKind::Map(m) => m.clone(),
        _ if node.is_null() => Vec::new(),
        _ => {
            diags.push(
                Diagnostic::error(
                    "strata::invalid_value",
                    format!("`{what}` must be a mapping of names to entries"),
                )
                .at(node.span, format!("found {}", node.type_name()))
                .help(format!(
                    "write `{what}:` followed by indented `name:` entries"
                )),
            );
            Vec::new()
        }
    }
}

fn split_file(root: &Node, diags: &mut Diagnostics) -> FileParts {
    let mut parts = FileParts::default();
    let NodeKind::Map(entries) = &root.kind else {
        diags.push(
            Diagnostic::error(
                "strata::invalid_document",
                "a stack document must be a mapping with `stack:`, `resources:` and so on",
            )
            .at(root.span, format!("found {}", root.type_name()))
            .help("start the document with `stack: NAME` and `resources:`"),
        );
        return parts;
    };
    for (k, v) in entries {
        match k.as_str().unwrap_or_default() {
            "stack" => parts.stack = Some(v.clone()),
            "region" => parts.region = Some(v.clone()),
            "lifetime" => parts.lifetime = Some(v.clone()),
            "state" => parts.state = Some(v.clone()),
            "default_tags" => parts.default_tags = Some(v.clone()),
            "variables" => parts.variables = mapping_entries(v, "variables", diags),
            "resources" => parts.resources = mapping_entries(v, "resources", diags),
            "outputs" => parts.outputs = mapping_entries(v, "outputs", diags),
            other => {
                let help = match did_you_mean(other, TOP_LEVEL_KEYS.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("valid top-level keys: {}", TOP_LEVEL_KEYS.join(", ")),
                };
                diags.push(
                    Diagnostic::error(
                        "strata::unknown_key",
                        format!("unknown top-level key `{other}`"),
                    )
                    .at(k.span, "not a known key here")
                    .help(help),
                );
            }
        }
    }
    parts
}

/// Logical names: a letter, then letters, digits, `_` or `-`; at most 64 characters; not
/// shaped like an AWS id (those name resources outside the stack).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !crate::types::is_aws_id(name)
}

fn name_error(what: &str, name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "strata::invalid_name",
        format!("`{name}` is not a valid {what} name"),
    )
    .at(span, "invalid name")
    .help("names start with a letter and use letters, digits, `_` and `-` (at most 64 characters), and do not look like AWS ids such as vpc-0abc1234")
}

/// The text of every scalar in `node`.
fn scalar_texts(node: &Node) -> Vec<String> {
    match &node.kind {
        NodeKind::Scalar(s) => vec![s.text.clone()],
        NodeKind::Seq(items) => items.iter().flat_map(scalar_texts).collect(),
        NodeKind::Map(entries) => entries.iter().flat_map(|(_, v)| scalar_texts(v)).collect(),
    }
}

/// The texts of the fields `lifecycle.sensitive` names (`field` or `tags.KEY`), each with a
/// name of its own: a sealed plan holds `${var.NAME}` in the value's place, filled in again from
/// the documents when the plan is applied. Values that read other resources' attributes are
/// not secrets of this document and are left out.
fn sensitive_field_texts(
    resource: &str,
    spec: &Node,
    lifecycle: &Lifecycle,
    kind: &kinds::KindInfo,
) -> Vec<(String, String)> {
    let ident = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let marked = lifecycle.sensitive.iter().map(|f| f.value.as_str());
    let secret = kind.fields.iter().filter(|f| f.secret).map(|f| f.name);
    for f in marked.chain(secret) {
        let node = match f.split_once('.') {
            Some((field, key)) => spec.get(field).and_then(|n| n.get(key)),
            None => spec.get(f),
        };
        let texts: Vec<String> = node
            .map(scalar_texts)
            .unwrap_or_default()
            .into_iter()
            .filter(|t| !t.is_empty() && !expr::has_template(t))
            .collect();
        let base = format!("__{}__{}", ident(resource), ident(&f.replace('.', "__")));
        let many = texts.len() > 1;
        for (i, text) in texts.into_iter().enumerate() {
            let mut name = if many {
                format!("{base}__{i}")
            } else {
                base.clone()
            };
            while out.iter().any(|(n, _)| *n == name) {
                name.push('_');
            }
            out.push((name, text));
        }
    }
    out
}

/// The fields of a resource whose kind ([`kinds::FieldDef::secret`]) makes them secret.
fn kind_secret_fields(body: &Node) -> Vec<&'static str> {
    body.get("kind")
        .and_then(Node::as_str)
        .and_then(kinds::find)
        .map(|k| {
            k.fields
                .iter()
                .filter(|f| f.secret)
                .map(|f| f.name)
                .collect()
        })
        .unwrap_or_default()
}

/// The fields a resource's `lifecycle.sensitive` names (`field` or `field.key`) and those its
/// kind makes secret, read from the tree as written, so that they are masked even when the
/// resource or its lifecycle does not load. Values that read other resources (`${vpc.id}`) are
/// not secrets: only their places are masked, not their text.
fn redact_sensitive_fields(body: &Node, redact: &mut Redactions) {
    let marked = body.get("lifecycle").and_then(|l| l.get("sensitive"));
    let mut fields: Vec<&str> = match marked.map(|m| &m.kind) {
        Some(NodeKind::Seq(items)) => items.iter().filter_map(Node::as_str).collect(),
        Some(NodeKind::Scalar(s)) => vec![s.text.as_str()],
        Some(NodeKind::Map(_)) | None => Vec::new(),
    };
    fields.extend(kind_secret_fields(body));
    for f in fields {
        let node = match f.split_once('.') {
            Some((field, key)) => body.get(field).and_then(|n| n.get(key)),
            None => body.get(f),
        };
        let Some(node) = node else { continue };
        for (span, text) in scalar_places(node) {
            redact.span(span);
            if !expr::has_template(&text) {
                redact.text(&text);
            }
        }
    }
}

/// `{file: PATH}` written for a field that may read a file ([`kinds::FieldDef::from_file`]):
/// the file's text (a path relative to the document's directory, UTF-8, at most
/// [`input::FIELD_FILE`]'s size) takes the mapping's place, so that everything after (types,
/// secrets, checks) sees the text as if it had been written there.
fn read_field_files(parts: &mut [FileParts], sources: &SourceMap, diags: &mut Diagnostics) {
    for part in parts.iter_mut() {
        for (_, body) in &mut part.resources {
            let Some(kind) = body
                .get("kind")
                .and_then(Node::as_str)
                .and_then(kinds::find)
            else {
                continue;
            };
            let NodeKind::Map(fields) = &mut body.kind else {
                continue;
            };
            for (key, value) in fields.iter_mut() {
                let takes_file = key
                    .as_str()
                    .and_then(|k| kind.field(k))
                    .is_some_and(|f| f.from_file);
                let Some(path) = value
                    .get("file")
                    .filter(|_| takes_file && value.as_map().is_some_and(|m| m.len() == 1))
                    .and_then(|p| p.as_str().map(|s| (s.to_string(), p.span)))
                else {
                    continue;
                };
                let text = read_field_file(&path.0, path.1, sources).unwrap_or_else(|d| {
                    diags.push(*d);
                    String::new()
                });
                *value = Node::scalar(value.span, text, false);
            }
        }
    }
}

/// The text of the file a field names, relative to the directory of the document naming it.
fn read_field_file(path: &str, span: Span, sources: &SourceMap) -> Result<String, Box<Diagnostic>> {
    let dir = sources.path(span.file).parent().unwrap_or(Path::new(""));
    let full = dir.join(path);
    let refused = |what: String, help: String| {
        Box::new(
            Diagnostic::error("strata::unreadable_file", what)
                .at(span, "named here")
                .help(help),
        )
    };
    let bytes = input::read_bounded(&full, input::FIELD_FILE).map_err(|e| {
        refused(
            e.to_string(),
            format!(
                "the path is relative to the document's directory ({}); create the file or \
                 correct the path",
                if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                }
                .display()
            ),
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        refused(
            format!("{} is not UTF-8 text", full.display()),
            "give a PEM (text) file, not a DER (binary) one: `openssl x509 -inform der -in \
             FILE -out FILE.pem` converts a certificate"
                .to_string(),
        )
    })
}

/// The place and text of every scalar in `node`.
fn scalar_places(node: &Node) -> Vec<(Span, String)> {
    match &node.kind {
        NodeKind::Scalar(s) => vec![(node.span, s.text.clone())],
        NodeKind::Seq(items) => items.iter().flat_map(scalar_places).collect(),
        NodeKind::Map(entries) => entries.iter().flat_map(|(_, v)| scalar_places(v)).collect(),
    }
}

/// Finds the exact place of `needle` inside the text of `span`, if it appears verbatim.
fn sub_span(sources: &SourceMap, span: Span, needle: &str) -> Span {
    let text = sources.text(span);
    match text.find(needle) {
        Some(i) => Span {
            file: span.file,
            start: span.start + i as u32,
            end: span.start + (i + needle.len()) as u32,
        },
        None => span,
    }
}

/// Every `${resource.attr}` in a tree, with places.
fn collect_expression_refs(
    node: &Node,
    sources: &SourceMap,
    out: &mut Vec<(String, String, Span)>,
    diags: &mut Diagnostics,
) {
    match &node.kind {
        NodeKind::Seq(items) => items
            .iter()
            .for_each(|n| collect_expression_refs(n, sources, out, diags)),
        NodeKind::Map(entries) => entries
            .iter()
            .for_each(|(_, v)| collect_expression_refs(v, sources, out, diags)),
        NodeKind::Scalar(s) => {
            if !expr::has_template(&s.text) {
                return;
            }
            match expr::parse(&s.text) {
                Ok(segs) => {
                    for seg in segs {
                        if let Segment::Attr {
                            resource,
                            attr,
                            start,
                            end,
                        } = seg
                        {
                            let span = sub_span(sources, node.span, &s.text[start..end]);
                            out.push((resource.to_string(), attr.to_string(), span));
                        }
                    }
                }
                Err(e) => diags.push(
                    Diagnostic::error("strata::invalid_reference", e.message)
                        .at(node.span, "in this value")
                        .help("escape a literal `${` as `$${`"),
                ),
            }
        }
    }
}

/// Loads and validates the stack at `path` (a file or a directory).
pub fn load(path: &Path, inputs: &VarInputs) -> Result<Loaded, LoadError> {
    load_with(path, inputs, &LoadOptions::default())
}

/// [`load`], with the run's [`LoadOptions`].
pub fn load_with(
    path: &Path,
    inputs: &VarInputs,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let mut ids = Vec::new();
    match discover(path) {
        Ok(files) => {
            for file in &files {
                match read_source(file, input::DOCUMENT, &mut sources) {
                    Ok(id) => ids.push(id),
                    Err(d) => diags.push(d),
                }
            }
        }
        Err(d) => diags.push(d),
    }
    finish(ids, sources, diags, inputs, options)
}

/// Loads a stack from documents already in memory (tests, fuzzing, tools).
pub fn load_sources(files: Vec<SourceFile>, inputs: &VarInputs) -> Result<Loaded, LoadError> {
    load_sources_with(files, inputs, &LoadOptions::default())
}

/// [`load_sources`], with the run's [`LoadOptions`].
pub fn load_sources_with(
    files: Vec<SourceFile>,
    inputs: &VarInputs,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let mut sources = SourceMap::default();
    let ids = files.into_iter().map(|f| sources.add(f)).collect();
    finish(ids, sources, Diagnostics::default(), inputs, options)
}

fn finish(
    ids: Vec<FileId>,
    mut sources: SourceMap,
    mut diags: Diagnostics,
    inputs: &VarInputs,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let mut redact = Redactions::default();
    let stack = if diags.is_empty() {
        load_into(&ids, inputs, options, &mut sources, &mut diags, &mut redact)
    } else {
        None
    };
    diags.sort();
    match stack {
        Some(stack) if diags.is_empty() => Ok(Loaded { stack, sources }),
        _ => {
            redact.apply(&mut diags, &mut sources);
            Err(LoadError {
                diagnostics: diags,
                sources,
            })
        }
    }
}

fn load_into(
    ids: &[FileId],
    inputs: &VarInputs,
    options: &LoadOptions,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    redact: &mut Redactions,
) -> Option<Stack> {
    // 1. Parse every file.
    let mut parts: Vec<FileParts> = Vec::new();
    let mut syntax_errors = false;
    // Where a missing `stack:` is reported: the first document's first key.
    let mut first_document: Option<Span> = None;
    for &id in ids {
        let Some(src) = sources.get(id) else {
            continue;
        };
        match yaml::parse(src, id) {
            Ok(docs) => {
                if let Some(extra) = docs.get(1) {
                    diags.push(
                        Diagnostic::error(
                            "strata::invalid_document",
                            "a file may hold only one YAML document",
                        )
                        .at(extra.span, "a second document starts here")
                        .help("put each document in its own file in the stack's directory"),
                    );
                }
                if let Some(root) = docs.first() {
                    let first_key = root.as_map().and_then(|m| m.first()).map(|(k, _)| k.span);
                    first_document.get_or_insert(first_key.unwrap_or(root.span));
                    parts.push(split_file(root, diags));
                }
            }
            Err(d) => {
                syntax_errors = true;
                diags.push(d);
            }
        }
    }

    // 2. Variables: declarations, then values.
    let vars = variables::resolve(&parts, inputs, sources, diags, redact);

    // 3. Substitute variables everywhere but in the declarations.
    vars.substitute(&mut parts, diags);

    // 3b. Fields that read a file: its text in the field's place.
    read_field_files(&mut parts, sources, diags);

    // The values of fields marked `lifecycle.sensitive`, or secret by their kind, wherever the
    // marking reads (also in a resource that fails to load).
    for part in &parts {
        for (_, body) in &part.resources {
            redact_sensitive_fields(body, redact);
        }
    }

    // 4. Stack-wide settings, which must agree between files.
    let mut stack_name: Option<Spanned<String>> = None;
    let mut region: Option<Spanned<String>> = None;
    let mut lifetime: Option<Spanned<String>> = None;
    let mut state: Option<Spanned<String>> = None;
    let mut default_tags = Tags::default();
    let ctx = DeContext::new("the document");
    for part in &parts {
        for (node, slot, what) in [
            (&part.stack, &mut stack_name, "stack"),
            (&part.region, &mut region, "region"),
            (&part.lifetime, &mut lifetime, "lifetime"),
            (&part.state, &mut state, "state"),
        ] {
            let Some(node) = node else { continue };
            match from_node::<Spanned<String>>(node, &ctx) {
                Ok(v) => match slot {
                    Some(prev) if prev.value != v.value => diags.push(
                        Diagnostic::error(
                            "strata::conflicting_settings",
                            format!(
                                "the files disagree about `{what}`: `{}` and `{}`",
                                prev.value, v.value
                            ),
                        )
                        .at(v.span, "set here")
                        .also(prev.span, "and here")
                        .help(format!(
                            "set `{what}` once, or to the same value in every file"
                        )),
                    ),
                    Some(_) => {}
                    None => *slot = Some(v),
                },
                Err(e) => diags.push(e.into_diagnostic(node.span)),
            }
        }
        if let Some(node) = &part.default_tags {
            match from_node::<Tags>(node, &ctx) {
                Ok(tags) => {
                    for (k, v) in tags.0 {
                        if let Some((pk, pv)) =
                            default_tags.0.iter().find(|(pk, _)| pk.value == k.value)
                        {
                            if pv.value != v.value {
                                diags.push(
                                    Diagnostic::error(
                                        "strata::conflicting_settings",
                                        format!("default tag `{}` is set to two values", k.value),
                                    )
                                    .at(v.span, "set here")
                                    .also(pk.span, "and here")
                                    .help("give the tag one value"),
                                );
                            }
                        } else {
                            default_tags.0.push((k, v));
                        }
                    }
                }
                Err(e) => diags.push(e.into_diagnostic(node.span)),
            }
        }
    }
    diags.0.extend(ctx.take_unknown());
    if let Some(name) = &stack_name
        && !validate::valid_stack_name(&name.value)
    {
        diags.push(
            Diagnostic::error(
                "strata::invalid_name",
                format!("`{}` is not a valid stack name", name.value),
            )
            .at(name.span, "invalid stack name")
            .help("use letters, digits, `.`, `_` and `-`, starting with a letter or digit (at most 128 characters)"),
        );
    }

    // 5. Resources.
    let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
    let mut failed: BTreeMap<String, Span> = BTreeMap::new();
    for part in &parts {
        for (i, (k, v)) in part.resources.iter().enumerate() {
            let name = k.as_str().unwrap_or_default().to_string();
            // A field of the resource above, written at the resources' level (the nearest
            // entry above with a `kind:`: another misplaced field may be in between).
            let above = part.resources[..i]
                .iter()
                .rev()
                .find(|(_, body)| body.get("kind").is_some());
            if let Some(d) = above.and_then(|(ak, av)| misindented_field(&name, k, v, ak, av)) {
                diags.push(d);
                continue;
            }
            if !valid_name(&name) {
                diags.push(name_error("resource", &name, k.span));
                continue;
            }
            if name == "var" || name == "self" {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_name",
                        format!(
                            "`{name}` is reserved (variables, and a security group's own rules)"
                        ),
                    )
                    .at(k.span, "reserved name")
                    .help("choose another name"),
                );
                continue;
            }
            let earlier = resources
                .get(&name)
                .map(|r| r.name_span)
                .or_else(|| failed.get(&name).copied());
            if let Some(first) = earlier {
                let same_file = first.file == k.span.file;
                diags.push(
                    Diagnostic::error(
                        "strata::duplicate_name",
                        format!("resource `{name}` is defined twice"),
                    )
                    .at(k.span, "defined again here")
                    .also(first, "first defined here")
                    .help(if same_file {
                        "rename one of them".to_string()
                    } else {
                        "logical names are shared by every file of the stack; rename one of them"
                            .to_string()
                    }),
                );
                continue;
            }
            match read_resource(&name, k, v, sources, diags) {
                Some(r) => {
                    resources.insert(name, r);
                }
                None => {
                    failed.insert(name, k.span);
                }
            }
        }
    }

    // 6. Outputs.
    let mut outputs = BTreeMap::new();
    for part in &parts {
        for (k, v) in &part.outputs {
            let name = k.as_str().unwrap_or_default().to_string();
            if !valid_name(&name) {
                diags.push(name_error("output", &name, k.span));
                continue;
            }
            if let Some(prev) = outputs.get(&name).map(|o: &Output| o.span) {
                diags.push(
                    Diagnostic::error(
                        "strata::duplicate_name",
                        format!("output `{name}` is defined twice"),
                    )
                    .at(k.span, "defined again here")
                    .also(prev, "first defined here")
                    .help("rename one of them"),
                );
                continue;
            }
            if let Some(o) = read_output(&name, k, v, sources, diags) {
                outputs.insert(name, o);
            }
        }
    }

    let Some(name) = stack_name else {
        if syntax_errors {
            // The `stack:` may well be in the file that did not parse.
            return None;
        }
        let d = Diagnostic::error("strata::missing_stack", "no document sets `stack:`")
            .help("add `stack: NAME` to one document; the name scopes what strata owns");
        // Point at the first document when none has `stack:` at all (a `stack:` that did not
        // read has its own diagnostic).
        diags.push(match first_document {
            Some(span) if parts.iter().all(|p| p.stack.is_none()) => {
                d.at(span, "no `stack:` in this document")
            }
            _ => d,
        });
        return None;
    };
    if let Some(l) = &lifetime
        && crate::stack::parse_lifetime(&l.value).is_none()
    {
        diags.push(
            Diagnostic::error(
                "strata::invalid_value",
                format!("`lifetime: {}` is not a duration", l.value),
            )
            .at(l.span, "not a duration")
            .help("write a number and a unit: `45m`, `8h`, `2d`"),
        );
    }
    if let Some(st) = &state
        && !crate::stack::state_location_shape(&st.value)
    {
        diags.push(
            Diagnostic::error(
                "strata::invalid_value",
                format!("`state: {}` is not a state location", st.value),
            )
            .at(st.span, "not s3://BUCKET/PREFIX")
            .help(
                "write `state: s3://BUCKET/PREFIX` (a bucket of 3 to 63 lowercase letters, \
                 digits, `-` and `.`), or leave it out for the local lockfile",
            ),
        );
    }
    let stack = Stack {
        name,
        region,
        lifetime,
        state,
        default_tags,
        resources,
        outputs,
        variables: vars.variables,
    };
    let mut stack = stack;
    validate::validate(&mut stack, &failed, options, diags);
    Some(stack)
}

/// An entry under `resources:` that is no resource (not a mapping, or one without `kind:`)
/// and is named as a field of the resource just above it: that field, indented as a resource.
/// The diagnostic says so and where it belongs.
fn misindented_field(
    name: &str,
    key: &Node,
    body: &Node,
    above_key: &Node,
    above: &Node,
) -> Option<Diagnostic> {
    if body.as_map().is_some() && body.get("kind").is_some() {
        return None;
    }
    let above_name = above_key.as_str()?;
    let kind = above
        .get("kind")
        .and_then(Node::as_str)
        .and_then(kinds::find)?;
    let is_field = kind.fields.iter().any(|f| f.name == name) || RESOURCE_KEYS.contains(&name);
    if !is_field {
        return None;
    }
    let column = above
        .as_map()
        .and_then(|m| m.first())
        .map(|(first, _)| first.span);
    let mut d = Diagnostic::error(
        "strata::misindented_field",
        format!("`{name}` is at the same level as the resources; indent it under `{above_name}`?"),
    )
    .at(
        key.span,
        format!(
            "a field of {} `{above_name}`, indented as a resource",
            kind.name
        ),
    );
    if let Some(first) = column {
        d = d.also(
            first,
            format!("`{above_name}`'s fields start at this column"),
        );
    }
    Some(d.help(format!(
        "`{name}` is read as a resource of its own, because it is indented as far as \
         `{above_name}:`; indent it as far as `{above_name}`'s other fields (its `kind:`)"
    )))
}

fn read_resource(
    name: &str,
    key: &Node,
    body: &Node,
    sources: &SourceMap,
    diags: &mut Diagnostics,
) -> Option<Resource> {
    let NodeKind::Map(entries) = &body.kind else {
        diags.push(
            Diagnostic::error(
                "strata::invalid_value",
                format!("resource `{name}` must be a mapping with a `kind:`"),
            )
            .at(body.span, format!("found {}", body.type_name()))
            .help("write `kind: ec2.vpc` and the kind's fields under the name"),
        );
        return None;
    };
    let Some(kind_node) = body.get("kind") else {
        diags.push(
            Diagnostic::error(
                "strata::missing_field",
                format!("resource `{name}` has no `kind`"),
            )
            .at(key.span, "kind missing")
            .help(format!(
                "add `kind:` with one of: {}",
                kinds::all()
                    .iter()
                    .map(|k| k.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
        return None;
    };
    let names = kinds::all().iter().map(|k| k.name);
    let kind_name = match &kind_node.kind {
        NodeKind::Scalar(s) if !kind_node.is_null() => s.text.as_str(),
        _ => {
            let found = if kind_node.is_null() {
                "nothing"
            } else {
                kind_node.type_name()
            };
            diags.push(
                Diagnostic::error(
                    "strata::invalid_value",
                    format!("`kind` must name a kind, such as `ec2.vpc`; found {found}"),
                )
                .at(kind_node.span, "not a kind name")
                .help(format!(
                    "write one of: {}",
                    names.collect::<Vec<_>>().join(", ")
                )),
            );
            return None;
        }
    };
    let Some(kind) = kinds::find(kind_name) else {
        let help = match did_you_mean(kind_name, names.clone()) {
            Some(m) => format!("did you mean `{m}`?"),
            None => format!("known kinds: {}", names.collect::<Vec<_>>().join(", ")),
        };
        diags.push(
            Diagnostic::error(
                "strata::unknown_kind",
                format!("unknown kind `{kind_name}`"),
            )
            .at(kind_node.span, "not a kind strata knows")
            .help(help),
        );
        return None;
    };

    let ctx = DeContext::new(format!("{} `{name}`", kind.name));
    let mut ok = true;

    // Common keys.
    let lifecycle = match body.get("lifecycle") {
        Some(n) if !n.is_null() => match from_node::<Lifecycle>(n, &ctx) {
            Ok(l) => l,
            Err(e) => {
                diags.push(e.into_diagnostic(n.span));
                ok = false;
                Lifecycle::default()
            }
        },
        _ => Lifecycle::default(),
    };
    let depends_on: Vec<Spanned<String>> = match body.get("depends_on") {
        Some(n) if !n.is_null() => match from_node(n, &ctx) {
            Ok(d) => d,
            Err(e) => {
                diags.push(e.into_diagnostic(n.span));
                ok = false;
                Vec::new()
            }
        },
        _ => Vec::new(),
    };

    // The kind's own fields.
    let spec_node = Node {
        span: body.span,
        kind: NodeKind::Map(
            entries
                .iter()
                .filter(|(k, _)| !RESOURCE_KEYS.contains(&k.as_str().unwrap_or_default()))
                .cloned()
                .collect(),
        ),
    };
    let spec = match Spec::parse(kind.name, &spec_node, &ctx, key.span) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            diags.push(e.into_diagnostic(key.span));
            None
        }
        None => None,
    };
    diags.0.extend(ctx.take_unknown());

    let spec = spec?;
    if !ok {
        return None;
    }

    // References: typed fields, expressions, depends_on.
    let mut refs: Vec<Reference> = Vec::new();
    for r in spec.refs().into_iter().filter(|r| !r.target.is_external()) {
        refs.push(Reference {
            target: r.target.name().to_string(),
            attr: None,
            span: r.target.0.span,
            via: RefVia::Field(r.field),
            kinds: r.kinds,
            soft: r.soft,
        });
    }
    if let NodeKind::Map(fields) = &spec_node.kind {
        for (k, v) in fields {
            let soft = kind.is_deferred(k.as_str().unwrap_or_default());
            let mut exprs = Vec::new();
            collect_expression_refs(v, sources, &mut exprs, diags);
            for (target, attr, span) in exprs {
                refs.push(Reference {
                    target,
                    attr: Some(attr),
                    span,
                    via: RefVia::Expression,
                    kinds: &[],
                    soft,
                });
            }
        }
    }
    for d in &depends_on {
        refs.push(Reference {
            target: d.value.clone(),
            attr: None,
            span: d.span,
            via: RefVia::DependsOn,
            kinds: &[],
            soft: false,
        });
    }
    let secret_texts = sensitive_field_texts(name, &spec_node, &lifecycle, kind);
    let resource = Resource {
        name: name.to_string(),
        name_span: key.span,
        kind,
        kind_span: kind_node.span,
        spec,
        lifecycle,
        refs,
        secret_texts,
    };
    Some(resource)
}

fn read_output(
    name: &str,
    key: &Node,
    body: &Node,
    sources: &SourceMap,
    diags: &mut Diagnostics,
) -> Option<Output> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OutputDecl {
        value: Spanned<String>,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        sensitive: bool,
    }
    let ctx = DeContext::new(format!("output `{name}`"));
    let decl = if body.as_scalar().is_some() {
        from_node::<Spanned<String>>(body, &ctx).map(|value| OutputDecl {
            value,
            description: None,
            sensitive: false,
        })
    } else {
        from_node::<OutputDecl>(body, &ctx)
    };
    diags.0.extend(ctx.take_unknown());
    let decl = match decl {
        Ok(d) => d,
        Err(e) => {
            diags.push(e.into_diagnostic(key.span));
            return None;
        }
    };
    let mut exprs = Vec::new();
    collect_expression_refs(body, sources, &mut exprs, diags);
    Some(Output {
        name: name.to_string(),
        span: key.span,
        value: decl.value,
        description: decl.description,
        sensitive: decl.sensitive,
        refs: exprs
            .into_iter()
            .map(|(target, attr, span)| Reference {
                target,
                attr: Some(attr),
                span,
                via: RefVia::Expression,
                kinds: &[],
                soft: false,
            })
            .collect(),
    })
}
