//! A YAML tree that remembers where every node came from.
//!
//! We build our own tree from saphyr-parser's event stream instead of deserializing directly,
//! so that every value (not only errors) has a span, duplicate keys are caught with both
//! locations, and hostile input is bounded: nesting depth, alias expansion and file size are
//! limited and reported as diagnostics, never as a panic, a stack overflow or a hang.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Span};

/// Nesting deeper than this is refused.
pub const MAX_DEPTH: usize = 64;
/// Nodes created by expanding aliases, per file.
pub const MAX_ALIAS_NODES: usize = 10_000;
/// Largest document accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// A scalar's text and whether it was written plain (so `true` and `10` may be typed) or quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    pub text: String,
    pub plain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in document order; keys are unique (checked while loading).
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

impl Node {
    pub fn scalar(span: Span, text: impl Into<String>, plain: bool) -> Node {
        Node {
            span,
            kind: NodeKind::Scalar(Scalar {
                text: text.into(),
                plain,
            }),
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.text.as_str())
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// True for `~`, `null` and an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s) if s.plain && is_null_text(&s.text))
    }

    /// Looks a key up in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Looks a key up in a mapping and returns the key node (for its span).
    pub fn key_node(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, _)| k)
    }

    /// A short description of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar(s) if s.plain => match classify_plain(&s.text) {
                PlainKind::Null => "null",
                PlainKind::Bool(_) => "a boolean",
                PlainKind::Int(_) => "an integer",
                PlainKind::Float(_) => "a number",
                PlainKind::Str => "a string",
            },
            NodeKind::Scalar(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// How many collections deep this tree nests (0 for a scalar).
    pub fn depth(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar(_) => 0,
            NodeKind::Seq(items) => 1 + items.iter().map(Node::depth).max().unwrap_or(0),
            NodeKind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.depth().max(v.depth()))
                    .max()
                    .unwrap_or(0)
            }
        }
    }

    /// Counts the nodes in this tree.
    pub fn count(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar(_) => 1,
            NodeKind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            NodeKind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.count() + v.count())
                    .sum::<usize>()
            }
        }
    }
}

pub fn is_null_text(t: &str) -> bool {
    matches!(t, "" | "~" | "null" | "Null" | "NULL")
}

/// What a plain scalar means under the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum PlainKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

pub fn classify_plain(t: &str) -> PlainKind {
    if is_null_text(t) {
        return PlainKind::Null;
    }
    match t {
        "true" | "True" | "TRUE" => return PlainKind::Bool(true),
        "false" | "False" | "FALSE" => return PlainKind::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(t) {
        return PlainKind::Int(i);
    }
    let looks_numeric = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && t.chars().any(|c| c.is_ascii_digit());
    if looks_numeric && let Ok(f) = t.parse::<f64>() {
        return PlainKind::Float(f);
    }
    PlainKind::Str
}

/// Parses a YAML 1.2 core-schema integer: decimal with an optional sign, `0x..` or `0o..`.
pub fn parse_int(t: &str) -> Option<i64> {
    if let Some(hex) = t.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = t.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Converts saphyr's character-based markers to byte offsets, moving a cursor forward
/// (events arrive in order, so this is linear in the file size).
struct Offsets<'a> {
    text: &'a str,
    char_pos: usize,
    byte_pos: usize,
}

impl Offsets<'_> {
    fn byte(&mut self, char_index: usize) -> usize {
        if char_index < self.char_pos {
            self.char_pos = 0;
            self.byte_pos = 0;
        }
        while self.char_pos < char_index {
            match self.text[self.byte_pos..].chars().next() {
                Some(c) => {
                    self.byte_pos += c.len_utf8();
                    self.char_pos += 1;
                }
                None => break,
            }
        }
        self.byte_pos
    }
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        /// Entries from `<<` merge keys; explicit keys win over them.
        merged: Vec<(Node, Node)>,
        pending_key: Option<Node>,
    },
}

struct Builder<'a> {
    file: FileId,
    offsets: Offsets<'a>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    docs: Vec<Node>,
}

impl Builder<'_> {
    fn span(&mut self, s: saphyr_parser::Span) -> Span {
        let start = self.offsets.byte(s.start.index());
        let end = self.offsets.byte(s.end.index());
        Span::new(self.file, start, end)
    }

    /// Adds a finished node to the enclosing collection (or as a document).
    fn push(&mut self, node: Node) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => {
                self.docs.push(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                merged,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    let text = match &node.kind {
                        NodeKind::Scalar(s) => s.text.clone(),
                        _ => {
                            return Err(Diagnostic::error(
                                "strata::yaml",
                                "mapping keys must be plain strings",
                            )
                            .at(node.span, "a key that is a list or a mapping")
                            .help("write the key as a string, e.g. `name:`"));
                        }
                    };
                    if let Some((first, _)) =
                        entries.iter().find(|(k, _)| k.as_str() == Some(&text))
                    {
                        return Err(Diagnostic::error(
                            "strata::duplicate_key",
                            format!("duplicate key `{text}`"),
                        )
                        .at(node.span, "this key is already set")
                        .also(first.span, "first set here")
                        .help("remove one of the two entries"));
                    }
                    *pending_key = Some(node);
                    Ok(())
                }
                Some(key) => {
                    if key.as_scalar().is_some_and(|s| s.plain && s.text == "<<") {
                        merge_into(merged, &node)?;
                    } else {
                        entries.push((key, node));
                    }
                    Ok(())
                }
            },
        }
    }

    fn on_event(&mut self, ev: Event<'_>, span: saphyr_parser::Span) -> Result<(), Diagnostic> {
        let is_seq_start = matches!(ev, Event::SequenceStart(..));
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let span = self.span(span);
                let mut plain = matches!(style, ScalarStyle::Plain);
                if let Some(tag) = tag {
                    if tag.is_yaml_core_schema() && tag.suffix == "str" {
                        plain = false;
                    } else {
                        return Err(Diagnostic::error(
                            "strata::yaml",
                            format!("unsupported YAML tag `{}{}`", tag.handle, tag.suffix),
                        )
                        .at(span, "tag not supported")
                        .help("remove the tag; strata documents use plain YAML values"));
                    }
                }
                let node = Node::scalar(span, text.into_owned(), plain);
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                let is_seq = is_seq_start;
                let sp = self.span(span);
                if let Some(tag) = tag {
                    return Err(Diagnostic::error(
                        "strata::yaml",
                        format!("unsupported YAML tag `{}{}`", tag.handle, tag.suffix),
                    )
                    .at(sp, "tag not supported")
                    .help("remove the tag"));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(Diagnostic::error(
                        "strata::too_deep",
                        format!("the document nests more than {MAX_DEPTH} levels deep"),
                    )
                    .at(sp, "nesting limit reached here")
                    .help("strata documents need only a few levels; check for runaway brackets"));
                }
                let start = sp.start as usize;
                self.stack.push(if is_seq {
                    Frame::Seq {
                        start,
                        anchor,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        start,
                        anchor,
                        entries: Vec::new(),
                        merged: Vec::new(),
                        pending_key: None,
                    }
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end_span = self.span(span);
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (start, anchor, kind) = match frame {
                    Frame::Seq {
                        start,
                        anchor,
                        items,
                    } => (start, anchor, NodeKind::Seq(items)),
                    Frame::Map {
                        start,
                        anchor,
                        mut entries,
                        merged,
                        ..
                    } => {
                        for (k, v) in merged {
                            if !entries.iter().any(|(ek, _)| ek.as_str() == k.as_str()) {
                                entries.push((k, v));
                            }
                        }
                        (start, anchor, NodeKind::Map(entries))
                    }
                };
                // Block collections end where their last child ends, not at the next token.
                let last_end = match &kind {
                    NodeKind::Seq(items) => items.last().map(|n| n.span.end as usize),
                    NodeKind::Map(entries) => entries.last().map(|(_, v)| v.span.end as usize),
                    NodeKind::Scalar(_) => None,
                };
                let end = if end_span.end as usize > start && !end_span.is_empty() {
                    end_span.end as usize
                } else {
                    last_end.unwrap_or(end_span.end as usize)
                };
                let end = last_end.map_or(end, |l| end.max(l));
                let node = Node {
                    span: Span::new(self.file, start, end),
                    kind,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)
            }
            Event::Alias(id) => {
                let sp = self.span(span);
                let Some(target) = self.anchors.get(&id).cloned() else {
                    let open = self.stack.iter().any(|f| match f {
                        Frame::Seq { anchor, .. } | Frame::Map { anchor, .. } => *anchor == id,
                    });
                    return Err(if open {
                        Diagnostic::error(
                            "strata::yaml",
                            "an alias inside the value its anchor names (a recursive alias)",
                        )
                        .at(sp, "this alias names a value that contains it")
                        .help("a value cannot contain itself; write the inner value out")
                    } else {
                        Diagnostic::error("strata::yaml", "alias to an unknown anchor")
                            .at(sp, "no anchor with this name before this point")
                    });
                };
                // An alias may hold a tree of any depth: counted from here, it must stay within
                // the nesting limit like the rest of the document.
                if self.stack.len() + target.depth() > MAX_DEPTH {
                    return Err(Diagnostic::error(
                        "strata::too_deep",
                        format!(
                            "the document nests more than {MAX_DEPTH} levels deep (through aliases)"
                        ),
                    )
                    .at(sp, "this alias reaches past the nesting limit")
                    .help("strata documents need only a few levels; check the anchors this alias builds on"));
                }
                self.alias_nodes += target.count();
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(Diagnostic::error(
                        "strata::alias_bomb",
                        format!("aliases expand to more than {MAX_ALIAS_NODES} values"),
                    )
                    .at(sp, "expansion limit reached at this alias")
                    .help(
                        "this looks like an alias bomb; write the values out or use fewer aliases",
                    ));
                }
                self.push(target)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }
}

/// `<<: *base` (or a list of them): copies keys the mapping does not already have.
fn merge_into(entries: &mut Vec<(Node, Node)>, value: &Node) -> Result<(), Diagnostic> {
    let sources: Vec<&Node> = match &value.kind {
        NodeKind::Map(_) => vec![value],
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Scalar(_) => {
            return Err(
                Diagnostic::error("strata::yaml", "a merge key `<<` needs a mapping")
                    .at(value.span, "not a mapping")
                    .help("write `<<: *anchor` where the anchor names a mapping"),
            );
        }
    };
    for src in sources {
        let Some(map) = src.as_map() else {
            return Err(
                Diagnostic::error("strata::yaml", "a merge key `<<` needs mappings")
                    .at(src.span, "not a mapping"),
            );
        };
        for (k, v) in map {
            if !entries.iter().any(|(ek, _)| ek.as_str() == k.as_str()) {
                entries.push((k.clone(), v.clone()));
            }
        }
    }
    Ok(())
}

fn scan_error(file: &SourceFile, id: FileId, e: &ScanError) -> Diagnostic {
    let m = e.marker();
    let at = file.offset_of(m.line(), m.col());
    let end = file.text[at..]
        .chars()
        .next()
        .map_or(at, |c| at + c.len_utf8());
    let line_start = file.text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = file.text[at..]
        .find('\n')
        .map_or(file.text.len(), |i| at + i);
    let line = &file.text[line_start..line_end];
    if e.info().contains("recursion limit") {
        // The parser's own limit on nesting, met by brackets that are never closed (it stops
        // before our limit counts them).
        return Diagnostic::error(
            "strata::too_deep",
            format!("the document nests more than {MAX_DEPTH} levels deep"),
        )
        .at(Span::new(id, at, end), "nesting limit reached here")
        .help("strata documents need only a few levels; check for runaway brackets");
    }
    let help = if line.contains("${") && (line.contains('{') || line.contains('[')) {
        "inside `{...}` or `[...]`, quote values that hold `${...}`: write \"${var.name}\""
    } else if e.info().contains("simple key") && line.len() > 1024 {
        "a key may be at most 1024 characters long (YAML's limit on keys written without `?`)"
    } else if let Some(h) = indentation_help(&file.text[..line_start], line) {
        return Diagnostic::error(
            "strata::yaml_syntax",
            format!("YAML syntax error: {}", e.info()),
        )
        .at(Span::new(id, at, end), "here")
        .help(h);
    } else {
        "fix the YAML syntax; a YAML-aware editor shows the structure"
    };
    Diagnostic::error(
        "strata::yaml_syntax",
        format!("YAML syntax error: {}", e.info()),
    )
    .at(Span::new(id, at, end), "here")
    .help(help)
}

/// What the indentation of `line` did, when it is the likely cause of a syntax error there:
/// indented further than a line above that opens no block, by an amount that matches no
/// level above, or a list item no further than the key it belongs to. `before` is the text
/// above the line.
fn indentation_help(before: &str, line: &str) -> Option<String> {
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let content = |l: &&str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && !l.starts_with('\t')
    };
    if line.starts_with('\t') || !content(&line) {
        return None;
    }
    let n = indent(line);
    let mut above = before.lines().rev().filter(content);
    let prev = above.next()?;
    let p = indent(prev);
    let prev_text = prev.trim();
    let opens = |t: &str| t.ends_with(':') || t.ends_with('|') || t.ends_with('>') || t == "-";
    let key = |l: &str| {
        let t = l.trim().trim_start_matches("- ");
        t.split_once(':').map_or(t, |(k, _)| k).to_string()
    };
    if line.trim_start().starts_with("- ") && prev_text.ends_with(':') && n <= p {
        return Some(format!(
            "this list item is indented by {n} spaces, no further than `{}:` on the line above \
             ({p}); indent it further than that key for the list to be its value",
            key(prev)
        ));
    }
    if n > p && !opens(prev_text) {
        return Some(format!(
            "this line is indented by {n} spaces, further than the line above ({p}), which \
             starts no block: indent it by {p} spaces if it belongs beside `{}`",
            key(prev)
        ));
    }
    if n < p {
        // The levels open at this line: the line above, then each line less indented.
        let mut levels = vec![(p, key(prev))];
        let mut min = p;
        for l in above {
            let i = indent(l);
            if i < min {
                min = i;
                levels.push((i, key(l)));
            }
        }
        if !levels.iter().any(|(i, _)| *i == n) {
            let list: Vec<String> = levels.iter().map(|(i, k)| format!("{i} (`{k}`)")).collect();
            return Some(format!(
                "this line is indented by {n} spaces, which matches no level above it: {}; \
                 indent it as far as the key it belongs beside",
                list.join(", ")
            ));
        }
    }
    None
}

/// UTF-16 text without a byte order mark reads as valid UTF-8 when it is mostly ASCII: every
/// other byte is a NUL. Such a file is refused as what it is, at its first NUL byte (a NUL
/// here and there is left to the parser, which refuses it as an unprintable character).
fn utf16_text(file: &SourceFile, id: FileId) -> Option<Diagnostic> {
    let first = file.text.find('\0')?;
    let head = &file.text.as_bytes()[..file.text.len().min(64)];
    let nuls = head.iter().filter(|b| **b == 0).count();
    if nuls * 4 < head.len() {
        return None;
    }
    Some(
        Diagnostic::error(
            "strata::not_utf8",
            "this file looks like UTF-16 text (a NUL byte between the characters), not UTF-8",
        )
        .at(Span::new(id, first, first + 1), "NUL byte")
        .help("save the file as UTF-8"),
    )
}

/// YAML allows only printable characters in a document (YAML 1.2, `c-printable`): no control
/// characters but tab and line breaks, anywhere, quoted or not. The parser lets some through in
/// quoted text (an escape sequence in a tag value would reach AWS, and terminals); this refuses
/// them all, at the first one.
fn unprintable(file: &SourceFile, id: FileId) -> Option<Diagnostic> {
    let printable = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}'
    };
    let (at, c) = file.text.char_indices().find(|(_, c)| !printable(*c))?;
    Some(
        Diagnostic::error(
            "strata::yaml_syntax",
            format!(
                "YAML syntax error: the document holds the control character U+{:04X}, which YAML does not allow",
                u32::from(c)
            ),
        )
        .at(Span::new(id, at, at + c.len_utf8()), "here")
        .help("remove it; inside double quotes, an escape such as \\t or \\u00e9 writes a special character"),
    )
}

/// Parses one file into its documents. An empty file gives no documents.
pub fn parse(file: &SourceFile, id: FileId) -> Result<Vec<Node>, Diagnostic> {
    if file.text.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            "strata::file_too_large",
            format!(
                "{} is {} bytes; documents larger than {} bytes are refused",
                file.name(),
                file.text.len(),
                MAX_FILE_BYTES
            ),
        )
        .help("split the stack over several files in one directory"));
    }
    if let Some(d) = utf16_text(file, id).or_else(|| unprintable(file, id)) {
        return Err(d);
    }
    let mut b = Builder {
        file: id,
        offsets: Offsets {
            text: &file.text,
            char_pos: 0,
            byte_pos: 0,
        },
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        docs: Vec::new(),
    };
    let mut parser = Parser::new_from_str(&file.text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Err(e)) => return Err(scan_error(file, id, &e)),
            Some(Ok((ev, span))) => {
                let end = matches!(ev, Event::StreamEnd);
                b.on_event(ev, span)?;
                if end {
                    break;
                }
            }
        }
    }
    Ok(b.docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Vec<Node>, Diagnostic> {
        let f = SourceFile::new("t.yaml", text);
        parse(&f, FileId(0))
    }

    fn text_at(src: &str, span: Span) -> &str {
        &src[span.start as usize..span.end as usize]
    }

    #[test]
    fn spans_point_at_values() {
        let src = "a: 1\nb:\n  c: \"x y\"\n  d: [1, 2]\n";
        let docs = load(src).expect("valid");
        let root = &docs[0];
        let b = root.get("b").expect("b");
        let c = b.get("c").expect("c");
        assert_eq!(c.as_str(), Some("x y"));
        assert!(text_at(src, c.span).contains("x y"));
        let d = b.key_node("d").expect("d");
        assert_eq!(text_at(src, d.span), "d");
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_places() {
        let src = "a: 1\nb: 2\na: 3\n";
        let err = load(src).expect_err("duplicate");
        assert_eq!(err.code, "strata::duplicate_key");
        let p = err.primary.clone().expect("primary");
        assert_eq!(text_at(src, p.span), "a");
        assert_eq!(p.span.start, 10);
        assert_eq!(err.secondary[0].span.start, 0);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = load(&src).expect_err("bomb");
        assert_eq!(err.code, "strata::alias_bomb");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let src = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(load(&src).expect_err("deep").code, "strata::too_deep");
        // The parser has its own, higher limit; either way it is an error, not a crash.
        let src = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(load(&src).is_err());
    }

    #[test]
    fn aliases_cannot_build_past_the_nesting_limit() {
        // 30 levels behind an anchor, used 40 levels down: 70 in all.
        let mut src = format!("a: &deep {}x{}\nb:\n", "[".repeat(30), "]".repeat(30));
        for i in 0..40 {
            src.push_str(&format!("{}k{i}:\n", "  ".repeat(i + 1)));
        }
        src.push_str(&format!("{}end: *deep\n", "  ".repeat(41)));
        assert_eq!(load(&src).expect_err("deep").code, "strata::too_deep");
        // The same anchor used near the top is fine.
        let src = format!("a: &deep {}x{}\nb: *deep\n", "[".repeat(30), "]".repeat(30));
        assert!(load(&src).is_ok());
    }

    #[test]
    fn a_recursive_alias_is_named_as_such() {
        let err = load("a: &r\n  b: *r\n").expect_err("recursive");
        assert!(err.message.contains("recursive alias"), "{}", err.message);
    }

    #[test]
    fn utf16_text_is_refused_as_such() {
        let text: String = "stack: lab\n".chars().flat_map(|c| ['\0', c]).collect();
        assert_eq!(load(&text).expect_err("utf-16").code, "strata::not_utf8");
    }

    #[test]
    fn merge_keys_copy_missing_entries() {
        let src = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n";
        let docs = load(src).expect("valid");
        let other = docs[0].get("other").expect("other");
        assert_eq!(other.get("x").and_then(Node::as_str), Some("1"));
        assert_eq!(other.get("y").and_then(Node::as_str), Some("3"));
    }

    #[test]
    fn syntax_errors_have_locations() {
        let src = "a: [1, 2\nb: 3\n";
        let err = load(src).expect_err("syntax");
        assert_eq!(err.code, "strata::yaml_syntax");
        assert!(err.primary.is_some());
    }

    #[test]
    fn empty_file_has_no_documents() {
        assert!(load("").expect("empty").is_empty());
        assert!(load("# only a comment\n").expect("comment").is_empty());
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        assert_eq!(classify_plain("true"), PlainKind::Bool(true));
        assert_eq!(classify_plain("~"), PlainKind::Null);
        assert_eq!(classify_plain("-12"), PlainKind::Int(-12));
        assert_eq!(classify_plain("0x1f"), PlainKind::Int(31));
        assert_eq!(classify_plain("1.5"), PlainKind::Float(1.5));
        assert_eq!(classify_plain("10.0.0.0/16"), PlainKind::Str);
        assert_eq!(classify_plain("yes"), PlainKind::Str);
    }
}
