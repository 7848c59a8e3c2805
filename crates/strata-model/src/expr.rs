//! `${...}` templates inside strings.
//!
//! * `${var.NAME}`: a variable, substituted while loading.
//! * `${RESOURCE.ATTRIBUTE}`: an attribute of another resource, e.g. `${web_alb.dns_name}`;
//!   it is a dependency edge, and it is resolved when the plan is made (if the value is already
//!   known) or when the operation runs.
//! * `$${` writes a literal `${`.

use std::borrow::Cow;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Literal text, with `$${` already turned into `${`.
    Lit(Cow<'a, str>),
    /// `${var.NAME}`.
    Var {
        name: &'a str,
        start: usize,
        end: usize,
    },
    /// `${RESOURCE.ATTRIBUTE}`.
    Attr {
        resource: &'a str,
        attr: &'a str,
        start: usize,
        end: usize,
    },
}

/// A malformed `${...}`; offsets are bytes into the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// True when the string has anything to interpolate or unescape.
pub fn has_template(s: &str) -> bool {
    s.contains("${")
}

/// Splits a string into literal text and references.
pub fn parse(s: &str) -> Result<Vec<Segment<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with("$${") {
            lit.push_str("${");
            i += 3;
            continue;
        }
        if rest.starts_with("${") {
            if !lit.is_empty() {
                out.push(Segment::Lit(Cow::Owned(std::mem::take(&mut lit))));
            }
            let Some(close) = rest.find('}') else {
                return Err(TemplateError {
                    start: i,
                    end: s.len(),
                    message: "`${` without a closing `}`".to_string(),
                });
            };
            let inner = &rest[2..close];
            let end = i + close + 1;
            let mut parts = inner.split('.');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("var"), Some(name), None) if is_ident(name) => out.push(Segment::Var {
                    name,
                    start: i,
                    end,
                }),
                (Some(resource), Some(attr), None) if is_ident(resource) && is_ident(attr) => out
                    .push(Segment::Attr {
                        resource,
                        attr,
                        start: i,
                        end,
                    }),
                _ => {
                    return Err(TemplateError {
                        start: i,
                        end,
                        message: format!(
                            "`${{{inner}}}` is not a reference; write `${{var.NAME}}` or `${{RESOURCE.ATTRIBUTE}}`"
                        ),
                    });
                }
            }
            i = end;
            continue;
        }
        match rest.chars().next() {
            Some(c) => {
                lit.push(c);
                i += c.len_utf8();
            }
            None => break,
        }
    }
    if !lit.is_empty() {
        out.push(Segment::Lit(Cow::Owned(lit)));
    }
    Ok(out)
}

/// Escapes a literal value so that it survives template parsing unchanged.
pub fn escape(s: &str) -> Cow<'_, str> {
    if s.contains("${") {
        Cow::Owned(s.replace("${", "$${"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The resource references in a string, or nothing if it has none or is malformed.
pub fn attr_refs(s: &str) -> Vec<(&str, &str)> {
    if !has_template(s) {
        return Vec::new();
    }
    parse(s)
        .map(|segs| {
            segs.into_iter()
                .filter_map(|seg| match seg {
                    Segment::Attr { resource, attr, .. } => Some((resource, attr)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn splits_literals_and_references() {
        let segs = parse("a-${var.x}-${vpc.id}").expect("ok");
        assert_eq!(
            segs,
            vec![
                Segment::Lit("a-".into()),
                Segment::Var {
                    name: "x",
                    start: 2,
                    end: 10
                },
                Segment::Lit("-".into()),
                Segment::Attr {
                    resource: "vpc",
                    attr: "id",
                    start: 11,
                    end: 20
                },
            ]
        );
    }

    #[test]
    fn escapes_are_literal() {
        assert_eq!(
            parse("$${x}").expect("ok"),
            vec![Segment::Lit("${x}".into())]
        );
        assert_eq!(
            parse("plain").expect("ok"),
            vec![Segment::Lit("plain".into())]
        );
    }

    #[test]
    fn malformed_references_are_errors() {
        assert!(parse("${unclosed").is_err());
        assert!(parse("${a.b.c}").is_err());
        assert!(parse("${}").is_err());
        assert!(parse("${ 1x.y}").is_err());
    }

    proptest! {
        #[test]
        fn escaped_text_parses_back_to_itself(s in "\\PC*") {
            let escaped = escape(&s);
            let segs = parse(&escaped).expect("escaped text always parses");
            let back: String = segs.iter().map(|seg| match seg {
                Segment::Lit(l) => l.to_string(),
                _ => panic!("escaped text has no references"),
            }).collect();
            prop_assert_eq!(back, s);
        }
    }
}
