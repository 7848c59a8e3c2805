//! Diagnostics: what is wrong, where, and what to do about it.
//!
//! Validation collects every [`Diagnostic`] it finds instead of stopping at the first one.
//! [`render`] prints them with the offending text underlined (miette's graphical handler);
//! [`to_json`] gives the machine form used by `strata validate --json`.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::source::{FileId, SourceMap, Span};

/// A labelled span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One problem found in the documents (boxed: it travels in `Result`s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic(Box<DiagnosticData>);

impl std::ops::Deref for Diagnostic {
    type Target = DiagnosticData;
    fn deref(&self) -> &DiagnosticData {
        &self.0
    }
}

impl std::ops::DerefMut for Diagnostic {
    fn deref_mut(&mut self) -> &mut DiagnosticData {
        &mut self.0
    }
}

/// What a [`Diagnostic`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosticData {
    /// A stable identifier, e.g. `strata::unknown_key`.
    pub code: &'static str,
    pub message: String,
    /// Where the problem is; `None` for problems that concern no single place
    /// (for example "no documents found").
    pub primary: Option<Label>,
    /// Other places that explain the problem ("first defined here").
    pub secondary: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic(Box::new(DiagnosticData {
            code,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }))
    }

    #[must_use]
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label {
            span,
            text: label.into(),
        });
        self
    }

    #[must_use]
    pub fn also(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            text: label.into(),
        });
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The sort key: file, then position, so output follows the documents.
    fn sort_key(&self) -> (FileId, u32, u32) {
        match &self.primary {
            Some(l) => (l.span.file, l.span.start, l.span.end),
            None => (FileId(0), 0, 0),
        }
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Sorts by location and drops exact duplicates.
    pub fn sort(&mut self) {
        self.0.sort_by_key(|d| d.sort_key());
        self.0.dedup();
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// A diagnostic bound to its source text, in the shape miette renders.
struct Rendered {
    code: &'static str,
    message: String,
    source: Option<NamedSource<std::sync::Arc<str>>>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
    related: Vec<Rendered>,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.code.is_empty() {
            None
        } else {
            Some(Box::new(self.code))
        }
    }

    fn severity(&self) -> Option<miette::Severity> {
        // Related notes ("first defined here") are advice, not further errors.
        if self.code.is_empty() {
            Some(miette::Severity::Advice)
        } else {
            None
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

fn named_source(sources: &SourceMap, file: FileId) -> Option<NamedSource<std::sync::Arc<str>>> {
    sources
        .get(file)
        .map(|f| NamedSource::new(f.name(), shown_source(&f.text)).with_language("yaml"))
}

/// Characters a terminal must not receive as they are: control characters (escape sequences
/// recolour or rewrite the screen), and invisible ones that reorder or hide text (bidirectional
/// overrides, zero-width spaces, a byte order mark inside the text).
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{61c}' | '\u{feff}')
}

/// A document's text as shown under a diagnostic: each hidden character becomes a visible
/// stand-in of the same length in bytes (so spans stay valid), and a lone carriage return
/// (old Mac line ends, which YAML reads as line breaks) a line feed.
fn shown_source(text: &std::sync::Arc<str>) -> std::sync::Arc<str> {
    if !text.chars().any(hidden) {
        return text.clone();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => out.push(c),
            '\r' => out.push('\n'),
            c if hidden(c) && c.len_utf8() == 3 => out.push('\u{fffd}'),
            c if hidden(c) => (0..c.len_utf8()).for_each(|_| out.push('?')),
            c => out.push(c),
        }
    }
    out.into()
}

/// A message, label or help as shown: hidden characters written as escapes (`\u{1b}`).
fn shown_text(text: &str) -> String {
    if !text.chars().any(hidden) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn to_rendered(d: &Diagnostic, sources: &SourceMap) -> Rendered {
    let mut labels = Vec::new();
    let mut related = Vec::new();
    let mut source = None;
    if let Some(p) = &d.primary {
        source = named_source(sources, p.span.file);
        labels.push(LabeledSpan::new_primary_with_span(
            Some(shown_text(&p.text)).filter(|t| !t.is_empty()),
            source_span(p.span),
        ));
        for s in &d.secondary {
            if s.span.file == p.span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(shown_text(&s.text)),
                    source_span(s.span),
                ));
            } else {
                related.push(Rendered {
                    code: "",
                    message: shown_text(&s.text),
                    source: named_source(sources, s.span.file),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        Some(shown_text(&s.text)),
                        source_span(s.span),
                    )],
                    help: None,
                    related: Vec::new(),
                });
            }
        }
    }
    Rendered {
        code: d.code,
        message: shown_text(&d.message),
        source,
        labels,
        help: d.help.as_deref().map(shown_text),
        related,
    }
}

/// Renders diagnostics for a terminal (or, with `color == false`, for logs and snapshots).
pub fn render(diags: &Diagnostics, sources: &SourceMap, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_context_lines(1)
        .with_links(false);
    let mut out = String::new();
    for d in diags.iter() {
        let r = to_rendered(d, sources);
        if handler.render_report(&mut out, &r).is_err() {
            // Rendering into a String cannot fail for I/O reasons; fall back to the message.
            out.push_str(&d.message);
            out.push('\n');
        }
    }
    out
}

/// The machine-readable form of one diagnostic.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub label: Option<String>,
    pub help: Option<String>,
}

/// Converts diagnostics to their JSON form (1-based lines and columns).
pub fn to_json(diags: &Diagnostics, sources: &SourceMap) -> Vec<JsonDiagnostic> {
    diags
        .iter()
        .map(|d| {
            let (file, start, end, label) = match &d.primary {
                Some(p) => {
                    let f = sources.get(p.span.file);
                    let start = f.map(|f| f.line_col(p.span.start as usize));
                    let end = f.map(|f| f.line_col(p.span.end as usize));
                    (f.map(|f| f.name()), start, end, Some(p.text.clone()))
                }
                None => (None, None, None, None),
            };
            JsonDiagnostic {
                code: d.code,
                message: d.message.clone(),
                file,
                line: start.map(|s| s.0),
                column: start.map(|s| s.1),
                end_line: end.map(|s| s.0),
                end_column: end.map(|s| s.1),
                label,
                help: d.help.clone(),
            }
        })
        .collect()
}

/// Suggests the closest of `candidates` to `got`, for "did you mean" help lines: a small edit
/// distance (transpositions count as one edit) or a high Jaro-Winkler similarity.
pub fn did_you_mean<'a>(
    got: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(&str, usize, f64)> = None;
    let allowed = (got.chars().count() / 4).max(1);
    for c in candidates {
        let dist = strsim::osa_distance(got, c);
        let score = strsim::jaro_winkler(got, c);
        if dist > allowed && score <= 0.85 {
            continue;
        }
        let better = match best {
            None => true,
            Some((_, bd, bs)) => dist < bd || (dist == bd && score > bs),
        };
        if better {
            best = Some((c, dist, score));
        }
    }
    best.map(|(c, _, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_close_names() {
        let fields = ["cidr_block", "availability_zone", "tags"];
        assert_eq!(did_you_mean("cidr_blok", fields), Some("cidr_block"));
        assert_eq!(did_you_mean("tag", fields), Some("tags"));
        assert_eq!(did_you_mean("zzz", fields), None);
        assert_eq!(did_you_mean("vcp", ["a", "b", "vpc"]), Some("vpc"));
        assert_eq!(did_you_mean("ab", ["a", "b"]), Some("a"));
    }
}
