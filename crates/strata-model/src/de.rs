//! A serde deserializer over [`Node`] trees that keeps locations.
//!
//! * Every error carries the span of the innermost node it concerns.
//! * Unknown keys in a struct are collected (all of them, with "did you mean") into
//!   [`DeContext`] and skipped, so one typo does not hide the next.
//! * [`Spanned<T>`](crate::spanned::Spanned) receives the span of its value.
//! * Scalars follow the YAML 1.2 core schema; a quoted `"80"` is a string, not a number.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::diag::{Diagnostic, did_you_mean};
use crate::source::Span;
use crate::spanned::{SPANNED_FIELDS, SPANNED_NAME};
use crate::yaml::{Node, NodeKind, PlainKind, classify_plain, is_null_text, parse_int};

/// What kind of problem a [`DeError`] is, so callers can place it well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeErrorKind {
    MissingField,
    Other,
}

/// A deserialization error with the place it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError {
    pub kind: DeErrorKind,
    pub message: String,
    pub help: Option<String>,
    pub span: Option<Span>,
}

impl DeError {
    fn with_span(mut self, span: Span) -> DeError {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    fn at(span: Span, message: impl Into<String>) -> DeError {
        DeError {
            kind: DeErrorKind::Other,
            message: message.into(),
            help: None,
            span: Some(span),
        }
    }

    fn help(mut self, help: impl Into<String>) -> DeError {
        self.help = Some(help.into());
        self
    }

    /// Converts to a diagnostic; `fallback` places errors that have no span of their own.
    pub fn into_diagnostic(self, fallback: Span) -> Diagnostic {
        let code = match self.kind {
            DeErrorKind::MissingField => "strata::missing_field",
            DeErrorKind::Other => "strata::invalid_value",
        };
        let span = self.span.unwrap_or(fallback);
        Diagnostic::error(code, self.message)
            .at(span, "")
            .help(self.help.unwrap_or_else(|| {
                "docs/kinds.md lists every kind's fields and their types".to_string()
            }))
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

struct ExpectedText<'a>(&'a dyn de::Expected);

impl fmt::Display for ExpectedText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn describe_unexpected(u: &de::Unexpected<'_>) -> String {
    match u {
        de::Unexpected::Str(s) => format!("the string \"{s}\""),
        de::Unexpected::Unsigned(n) => format!("the number {n}"),
        de::Unexpected::Signed(n) => format!("the number {n}"),
        de::Unexpected::Float(n) => format!("the number {n}"),
        de::Unexpected::Bool(b) => format!("the boolean {b}"),
        de::Unexpected::Unit => "null".to_string(),
        de::Unexpected::Seq => "a list".to_string(),
        de::Unexpected::Map => "a mapping".to_string(),
        other => other.to_string(),
    }
}

impl de::Error for DeError {
    /// A message may carry its help line after `"\nhelp: "`.
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let msg = msg.to_string();
        let (message, help) = match msg.split_once("\nhelp: ") {
            Some((m, h)) => (m.to_string(), Some(h.to_string())),
            None => (msg, None),
        };
        DeError {
            kind: DeErrorKind::Other,
            message,
            help,
            span: None,
        }
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let mut e = DeError::custom(format!(
            "expected {}, found {}",
            ExpectedText(exp),
            describe_unexpected(&unexp)
        ));
        if let de::Unexpected::Str(s) = unexp
            && (parse_int(s).is_some() || matches!(s, "true" | "false"))
        {
            e.help = Some(format!("remove the quotes around {s}"));
        }
        e
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::custom(format!(
            "invalid value: {}, expected {}",
            describe_unexpected(&unexp),
            ExpectedText(exp)
        ))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut e = DeError::custom(format!("unknown value `{variant}`"));
        e.help = Some(match did_you_mean(variant, expected.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None => format!("expected one of: {}", expected.join(", ")),
        });
        e
    }

    fn missing_field(field: &'static str) -> Self {
        DeError {
            kind: DeErrorKind::MissingField,
            message: format!("missing required field `{field}`"),
            help: Some(format!("add `{field}:`")),
            span: None,
        }
    }
}

/// State shared by one deserialization run.
#[derive(Debug, Default)]
pub struct DeContext {
    /// Unknown keys found so far. They are skipped so deserialization can go on.
    pub unknown_keys: RefCell<Vec<Diagnostic>>,
    /// Describes what is being read, e.g. "ec2.subnet", for messages.
    pub what: String,
}

impl DeContext {
    pub fn new(what: impl Into<String>) -> DeContext {
        DeContext {
            unknown_keys: RefCell::new(Vec::new()),
            what: what.into(),
        }
    }

    pub fn take_unknown(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.unknown_keys.borrow_mut())
    }
}

/// Deserializes `T` from a node. Unknown keys go to `ctx`.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &Node, ctx: &DeContext) -> Result<T, DeError> {
    from_node_owned(node, ctx, None)
}

/// Like [`from_node`], placing "missing field" errors at `owner` (the key naming the node).
pub fn from_node_owned<'de, T: de::Deserialize<'de>>(
    node: &Node,
    ctx: &DeContext,
    owner: Option<Span>,
) -> Result<T, DeError> {
    T::deserialize(NodeDe { node, ctx, owner })
}

/// A deserializer for one node.
#[derive(Clone, Copy)]
pub struct NodeDe<'a> {
    node: &'a Node,
    ctx: &'a DeContext,
    /// The span of the key that owns this node, where "missing field" errors go.
    owner: Option<Span>,
}

impl<'a> NodeDe<'a> {
    fn scalar(&self) -> Result<&'a crate::yaml::Scalar, DeError> {
        match &self.node.kind {
            NodeKind::Scalar(s) => Ok(s),
            NodeKind::Seq(_) => Err(DeError::at(
                self.node.span,
                "expected a single value, found a list",
            )),
            NodeKind::Map(_) => Err(DeError::at(
                self.node.span,
                "expected a single value, found a mapping",
            )),
        }
    }

    fn type_error(&self, expected: &str) -> DeError {
        let found = match &self.node.kind {
            NodeKind::Scalar(s) if !s.plain => format!("the string \"{}\"", s.text),
            NodeKind::Scalar(s) if s.plain && is_null_text(&s.text) => "nothing (null)".to_string(),
            NodeKind::Scalar(s) => format!("`{}`", s.text),
            _ => self.node.type_name().to_string(),
        };
        let mut e = DeError::at(
            self.node.span,
            format!("expected {expected}, found {found}"),
        );
        if let NodeKind::Scalar(s) = &self.node.kind
            && !s.plain
            && (parse_int(&s.text).is_some() || matches!(s.text.as_str(), "true" | "false"))
        {
            e = e.help(format!("remove the quotes around {}", s.text));
        }
        e
    }

    fn int(&self, expected: &str) -> Result<i64, DeError> {
        let s = self.scalar()?;
        if s.plain
            && let Some(i) = parse_int(&s.text)
        {
            return Ok(i);
        }
        Err(self.type_error(expected))
    }

    fn int_in<T: TryFrom<i64>>(&self, expected: &str) -> Result<T, DeError> {
        let i = self.int(expected)?;
        T::try_from(i).map_err(|_| {
            DeError::at(
                self.node.span,
                format!("{i} is out of range for {expected}"),
            )
        })
    }

    fn wrap<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|e| e.with_span(self.node.span))
    }
}

macro_rules! deserialize_int {
    ($($method:ident => $ty:ty, $visit:ident, $what:expr;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                let v: $ty = self.int_in($what)?;
                self.wrap(visitor.$visit(v))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.kind {
            NodeKind::Scalar(s) if s.plain => match classify_plain(&s.text) {
                PlainKind::Null => visitor.visit_unit(),
                PlainKind::Bool(b) => visitor.visit_bool(b),
                PlainKind::Int(i) => visitor.visit_i64(i),
                PlainKind::Float(f) => visitor.visit_f64(f),
                PlainKind::Str => visitor.visit_str(&s.text),
            },
            NodeKind::Scalar(s) => visitor.visit_str(&s.text),
            NodeKind::Seq(items) => visitor.visit_seq(SeqDe {
                items: items.iter(),
                ctx: self.ctx,
            }),
            NodeKind::Map(entries) => visitor.visit_map(MapDe::new(entries, self.ctx, None)),
        };
        self.wrap(r)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.scalar()?;
        if s.plain
            && let PlainKind::Bool(b) = classify_plain(&s.text)
        {
            return self.wrap(visitor.visit_bool(b));
        }
        let mut e = self.type_error("true or false");
        if e.help.is_none() {
            e = e.help("write `true` or `false`, without quotes");
        }
        if s.plain && matches!(s.text.as_str(), "yes" | "no" | "on" | "off" | "y" | "n") {
            e = e.help("YAML 1.2 booleans are `true` and `false`");
        }
        Err(e)
    }

    deserialize_int! {
        deserialize_i8 => i8, visit_i8, "an integer (-128 to 127)";
        deserialize_i16 => i16, visit_i16, "an integer (-32768 to 32767)";
        deserialize_i32 => i32, visit_i32, "a 32-bit integer";
        deserialize_i64 => i64, visit_i64, "an integer";
        deserialize_u8 => u8, visit_u8, "an integer from 0 to 255";
        deserialize_u16 => u16, visit_u16, "an integer from 0 to 65535";
        deserialize_u32 => u32, visit_u32, "a non-negative 32-bit integer";
        deserialize_u64 => u64, visit_u64, "a non-negative integer";
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.scalar()?;
        if s.plain {
            match classify_plain(&s.text) {
                PlainKind::Int(i) => return self.wrap(visitor.visit_f64(i as f64)),
                PlainKind::Float(f) => return self.wrap(visitor.visit_f64(f)),
                _ => {}
            }
        }
        Err(self.type_error("a number"))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Scalar(s) if s.plain && is_null_text(&s.text) => {
                Err(self.type_error("a string"))
            }
            NodeKind::Scalar(s) => self.wrap(visitor.visit_str(&s.text)),
            _ => Err(self.type_error("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DeError> {
        Err(DeError::at(
            self.node.span,
            "binary values are not supported",
        ))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.wrap(visitor.visit_none())
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.wrap(visitor.visit_unit())
        } else {
            Err(self.type_error("nothing (null)"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Seq(items) => self.wrap(visitor.visit_seq(SeqDe {
                items: items.iter(),
                ctx: self.ctx,
            })),
            _ => Err(self.type_error("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Map(entries) => {
                self.wrap(visitor.visit_map(MapDe::new(entries, self.ctx, None)))
            }
            _ => Err(self.type_error("a mapping")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == SPANNED_NAME && fields == SPANNED_FIELDS {
            return visitor.visit_map(SpannedDe { de: self, step: 0 });
        }
        let NodeKind::Map(entries) = &self.node.kind else {
            return Err(self.type_error("a mapping"));
        };
        let mut unknown = Vec::new();
        for (k, _) in entries {
            let key = k.as_str().unwrap_or_default();
            if !fields.contains(&key) {
                unknown.push(k.span);
                let mut d = Diagnostic::error(
                    "strata::unknown_key",
                    if self.ctx.what.is_empty() {
                        format!("unknown key `{key}`")
                    } else {
                        format!("unknown key `{key}` in {}", self.ctx.what)
                    },
                )
                .at(k.span, "not a known key here");
                d = d.help(match did_you_mean(key, fields.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("valid keys here: {}", fields.join(", ")),
                });
                self.ctx.unknown_keys.borrow_mut().push(d);
            }
        }
        let r = visitor.visit_map(MapDe::new(entries, self.ctx, Some(unknown)));
        r.map_err(|e| {
            if e.kind == DeErrorKind::MissingField && e.span.is_none() {
                let at = self.owner.unwrap_or(Span {
                    end: self.node.span.start,
                    ..self.node.span
                });
                e.with_span(at)
            } else {
                e.with_span(self.node.span)
            }
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Scalar(s) => {
                if s.plain && is_null_text(&s.text) {
                    return Err(self.type_error(&format!("one of: {}", variants.join(", "))));
                }
                let r: Result<V::Value, DeError> =
                    visitor.visit_enum(s.text.as_str().into_deserializer());
                self.wrap(r)
            }
            NodeKind::Map(entries) if entries.len() == 1 => {
                let (k, v) = &entries[0];
                self.wrap(visitor.visit_enum(EnumDe {
                    key: k,
                    value: v,
                    ctx: self.ctx,
                }))
            }
            _ => Err(self.type_error(&format!("one of: {}", variants.join(", ")))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
    ctx: &'a DeContext,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            None => Ok(None),
            Some(node) => seed
                .deserialize(NodeDe {
                    node,
                    ctx: self.ctx,
                    owner: None,
                })
                .map(Some)
                .map_err(|e| e.with_span(node.span)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    ctx: &'a DeContext,
    /// Spans of keys to skip (unknown keys, already reported).
    skip: Option<Vec<Span>>,
    current: Option<&'a (Node, Node)>,
}

impl<'a> MapDe<'a> {
    fn new(entries: &'a [(Node, Node)], ctx: &'a DeContext, skip: Option<Vec<Span>>) -> Self {
        MapDe {
            entries: entries.iter(),
            ctx,
            skip,
            current: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for MapDe<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        loop {
            let Some(entry) = self.entries.next() else {
                return Ok(None);
            };
            if self
                .skip
                .as_ref()
                .is_some_and(|s| s.contains(&entry.0.span))
            {
                continue;
            }
            self.current = Some(entry);
            return seed
                .deserialize(NodeDe {
                    node: &entry.0,
                    ctx: self.ctx,
                    owner: None,
                })
                .map(Some)
                .map_err(|e| e.with_span(entry.0.span));
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((k, v)) = self.current.take() else {
            return Err(de::Error::custom("value requested before key"));
        };
        seed.deserialize(NodeDe {
            node: v,
            ctx: self.ctx,
            owner: Some(k.span),
        })
        .map_err(|e| e.with_span(v.span))
    }
}

struct EnumDe<'a> {
    key: &'a Node,
    value: &'a Node,
    ctx: &'a DeContext,
}

impl<'de, 'a> de::EnumAccess<'de> for EnumDe<'a> {
    type Error = DeError;
    type Variant = NodeDe<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, NodeDe<'a>), DeError> {
        let v = seed
            .deserialize(NodeDe {
                node: self.key,
                ctx: self.ctx,
                owner: None,
            })
            .map_err(|e| e.with_span(self.key.span))?;
        Ok((
            v,
            NodeDe {
                node: self.value,
                ctx: self.ctx,
                owner: Some(self.key.span),
            },
        ))
    }
}

impl<'de> de::VariantAccess<'de> for NodeDe<'_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        if self.node.is_null() {
            Ok(())
        } else {
            Err(self.type_error("nothing"))
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

/// Feeds a `Spanned<T>` its file, start, end and value.
struct SpannedDe<'a> {
    de: NodeDe<'a>,
    step: u8,
}

impl<'de> de::MapAccess<'de> for SpannedDe<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(&key) = SPANNED_FIELDS.get(self.step as usize) else {
            return Ok(None);
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let span = self.de.node.span;
        let step = self.step;
        self.step += 1;
        match step {
            0 => seed.deserialize(span.file.0.into_deserializer()),
            1 => seed.deserialize(span.start.into_deserializer()),
            2 => seed.deserialize(span.end.into_deserializer()),
            _ => seed.deserialize(self.de),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::source::{FileId, SourceFile};
    use crate::spanned::Spanned;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        port: u16,
        #[serde(default)]
        open: bool,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "snake_case")]
    enum Mode {
        Fast,
        Slow,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        name: Spanned<String>,
        inner: Inner,
        mode: Option<Mode>,
        #[serde(default)]
        tags: BTreeMap<String, String>,
        list: Option<Vec<u8>>,
    }

    fn parse(src: &str) -> (Result<Outer, DeError>, Vec<Diagnostic>) {
        let f = SourceFile::new("t.yaml", src);
        let docs = crate::yaml::parse(&f, FileId(0)).expect("yaml");
        let ctx = DeContext::new("test");
        let r = from_node::<Outer>(&docs[0], &ctx);
        (r, ctx.take_unknown())
    }

    fn at(src: &str, span: Option<Span>) -> &str {
        let s = span.expect("span");
        &src[s.start as usize..s.end as usize]
    }

    #[test]
    fn reads_values_and_spans() {
        let src = "name: web\ninner: {port: 80}\nmode: fast\ntags: {a: '1', b: 2}\nlist: [1, 2]\n";
        let (r, unknown) = parse(src);
        let o = r.expect("ok");
        assert!(unknown.is_empty());
        assert_eq!(o.name.value, "web");
        assert_eq!(
            &src[o.name.span.start as usize..o.name.span.end as usize],
            "web"
        );
        assert_eq!(
            o.inner,
            Inner {
                port: 80,
                open: false
            }
        );
        assert_eq!(o.mode, Some(Mode::Fast));
        assert_eq!(o.tags.get("b").map(String::as_str), Some("2"));
        assert_eq!(o.list, Some(vec![1, 2]));
    }

    #[test]
    fn wrong_type_points_at_the_value() {
        let src = "name: web\ninner:\n  port: eighty\n";
        let (r, _) = parse(src);
        let e = r.expect_err("type");
        assert_eq!(at(src, e.span), "eighty");
        assert!(
            e.message.contains("expected an integer from 0 to 65535"),
            "{}",
            e.message
        );
    }

    #[test]
    fn quoted_numbers_get_a_hint() {
        let src = "name: web\ninner:\n  port: \"80\"\n";
        let e = parse(src).0.expect_err("type");
        assert_eq!(e.help.as_deref(), Some("remove the quotes around 80"));
    }

    #[test]
    fn out_of_range_numbers_are_errors() {
        let src = "name: web\ninner: {port: 70000}\n";
        let e = parse(src).0.expect_err("range");
        assert_eq!(at(src, e.span), "70000");
    }

    #[test]
    fn all_unknown_keys_are_reported_and_skipped() {
        let src = "name: web\nnmae: x\ninner: {port: 1, opne: true}\n";
        let (r, unknown) = parse(src);
        assert!(r.is_ok());
        assert_eq!(unknown.len(), 2);
        assert_eq!(unknown[0].help.as_deref(), Some("did you mean `name`?"));
        assert_eq!(unknown[1].help.as_deref(), Some("did you mean `open`?"));
    }

    #[test]
    fn missing_fields_point_at_the_owning_key() {
        let src = "name: web\ninner:\n  open: true\n";
        let e = parse(src).0.expect_err("missing");
        assert_eq!(e.kind, DeErrorKind::MissingField);
        assert_eq!(at(src, e.span), "inner");
    }

    #[test]
    fn unknown_enum_values_suggest_the_closest() {
        let src = "name: web\ninner: {port: 1}\nmode: fsat\n";
        let e = parse(src).0.expect_err("variant");
        assert_eq!(at(src, e.span), "fsat");
        assert_eq!(e.help.as_deref(), Some("did you mean `fast`?"));
    }

    #[test]
    fn yes_is_not_a_boolean() {
        let src = "name: web\ninner: {port: 1, open: yes}\n";
        let e = parse(src).0.expect_err("bool");
        assert_eq!(
            e.help.as_deref(),
            Some("YAML 1.2 booleans are `true` and `false`")
        );
    }
}
