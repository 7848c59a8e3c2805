//! Diagnostics: what is wrong, where, and what to do about it.
//!
//! Validation collects every [`Diagnostic`] it finds instead of stopping at the first one.
//! [`render`] prints them with the offending text underlined (miette's graphical handler);
//! [`to_json`] gives the machine form used by `strata validate --json`.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::source::{FileId, SourceFile, SourceMap, Span};

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

/// What a secret is shown as.
pub const MASK: &str = "(sensitive)";

/// Shorter secrets are searched for in free text only where a message quotes them whole
/// (`` `42` ``); anywhere else they would mask ordinary words. Their places are masked still.
const MIN_TEXT_LEN: usize = 4;

/// What diagnostics must not show: the places of secrets in the sources (the value of a
/// sensitive variable in the variable file that gives it, a value given for an undeclared
/// variable, the literal in a field marked `lifecycle.sensitive`) and their texts, wherever else
/// they appear (a message quoting a value, a comment, another file).
///
/// [`Redactions::apply`] rewrites the source texts with each secret replaced by `(sensitive)`,
/// moving the labels' spans to match (lines keep their numbers), and masks the texts in every
/// message, label and help line. Loading applies it to every failed load, so a [`LoadError`]
/// never holds a secret, whoever renders it.
///
/// [`LoadError`]: crate::load::LoadError
#[derive(Debug, Clone, Default)]
pub struct Redactions {
    spans: Vec<Span>,
    /// Each secret in the forms it may be printed in (as written, JSON/Debug-escaped),
    /// longest first once applied.
    texts: Vec<String>,
}

impl Redactions {
    /// Masks the text a span covers.
    pub fn span(&mut self, span: Span) {
        self.spans.push(span);
    }

    /// Masks a secret's text wherever it appears.
    pub fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.texts.push(text.to_string());
        let json = serde_json::to_string(text).unwrap_or_default();
        let json = json.trim_matches('"');
        if json != text {
            self.texts.push(json.to_string());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty() && self.texts.is_empty()
    }

    fn sorted_texts(&self) -> Vec<&str> {
        let mut texts: Vec<&str> = self.texts.iter().map(String::as_str).collect();
        texts.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        texts.dedup();
        texts
    }

    /// Masks every secret text in a message.
    pub fn mask_text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for t in self.sorted_texts() {
            if t.chars().count() >= MIN_TEXT_LEN {
                out = out.replace(t, MASK);
            } else {
                for (open, close) in [("`", "`"), ("\"", "\""), ("'", "'")] {
                    out = out.replace(
                        &format!("{open}{t}{close}"),
                        &format!("{open}{MASK}{close}"),
                    );
                }
            }
        }
        out
    }

    /// Rewrites the sources and the diagnostics so that no secret is left (see the type).
    pub fn apply(&self, diags: &mut Diagnostics, sources: &mut SourceMap) {
        if self.is_empty() {
            return;
        }
        let texts: Vec<&str> = self
            .sorted_texts()
            .into_iter()
            .filter(|t| t.chars().count() >= MIN_TEXT_LEN)
            .collect();
        let ids: Vec<FileId> = sources.files().map(|(id, _)| id).collect();
        for id in ids {
            let Some(file) = sources.get(id) else {
                continue;
            };
            let text = file.text.clone();
            let mut ranges: Vec<(usize, usize)> = self
                .spans
                .iter()
                .filter(|s| s.file == id)
                .map(|s| char_range(&text, s.start as usize, s.end as usize))
                .collect();
            for t in &texts {
                ranges.extend(text.match_indices(t).map(|(i, m)| (i, i + m.len())));
            }
            let Some(remap) = Remap::new(&text, ranges) else {
                continue;
            };
            for d in diags.0.iter_mut() {
                for label in d.0.primary.iter_mut().chain(d.0.secondary.iter_mut()) {
                    if label.span.file == id {
                        label.span = remap.span(label.span);
                    }
                }
            }
            let path = file.path.clone();
            sources.replace(id, SourceFile::new(path, remap.text));
        }
        for d in diags.0.iter_mut() {
            d.message = self.mask_text(&d.message);
            for label in d.0.primary.iter_mut().chain(d.0.secondary.iter_mut()) {
                label.text = self.mask_text(&label.text);
            }
            if let Some(h) = &mut d.help {
                *h = self.mask_text(h);
            }
        }
    }
}

/// A byte range widened to character boundaries and clamped to the text.
fn char_range(text: &str, start: usize, end: usize) -> (usize, usize) {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    let start = (0..=start)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    let end = (end..=text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    (start, end)
}

/// A text with some ranges masked, and how offsets move.
struct Remap {
    text: String,
    /// (old start, old end, new start, new end), in order, not overlapping.
    moves: Vec<(usize, usize, usize, usize)>,
}

impl Remap {
    /// `None` when there is nothing to mask.
    fn new(text: &str, mut ranges: Vec<(usize, usize)>) -> Option<Remap> {
        ranges.retain(|(s, e)| s < e);
        if ranges.is_empty() {
            return None;
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut moves = Vec::with_capacity(merged.len());
        let mut at = 0;
        for (s, e) in merged {
            out.push_str(&text[at..s]);
            let new_start = out.len();
            // Each line of the secret becomes one mask, so that lines keep their numbers.
            let masked: Vec<&str> = text[s..e]
                .split('\n')
                .map(|piece| if piece.is_empty() { "" } else { MASK })
                .collect();
            out.push_str(&masked.join("\n"));
            moves.push((s, e, new_start, out.len()));
            at = e;
        }
        out.push_str(&text[at..]);
        Some(Remap { text: out, moves })
    }

    /// Where an offset of the old text is in the new one; an offset inside a masked range
    /// goes to the mask's start (`end == false`) or end.
    fn offset(&self, o: usize, end: bool) -> usize {
        let mut shift: isize = 0;
        for &(os, oe, ns, ne) in &self.moves {
            if o <= os {
                break;
            }
            if o < oe {
                return if end { ne } else { ns };
            }
            shift = ne as isize - oe as isize;
        }
        o.saturating_add_signed(shift)
    }

    fn span(&self, span: Span) -> Span {
        Span::new(
            span.file,
            self.offset(span.start as usize, false),
            self.offset(span.end as usize, true),
        )
    }
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

    fn one_file(text: &str) -> (SourceMap, FileId) {
        let mut sources = SourceMap::default();
        let id = sources.add(SourceFile::new("v.yaml", text));
        (sources, id)
    }

    #[test]
    fn redaction_masks_places_and_moves_labels() {
        let text = "a: Secret-1\nb: x\nc: 10.0.0.0/33\n";
        let (mut sources, id) = one_file(text);
        let at = |s: &str| {
            let i = text.find(s).expect("in the text");
            Span::new(id, i, i + s.len())
        };
        let mut diags = Diagnostics::from(
            Diagnostic::error("t", "`Secret-1` and `x` and `10.0.0.0/33`")
                .at(at("10.0.0.0/33"), "bad")
                .also(at("Secret-1"), "Secret-1 here")
                .help("not Secret-1"),
        );
        let mut r = Redactions::default();
        r.span(at("Secret-1"));
        r.text("Secret-1");
        r.span(at("x"));
        r.text("x");
        r.apply(&mut diags, &mut sources);
        let f = sources.get(id).expect("file");
        assert_eq!(&*f.text, "a: (sensitive)\nb: (sensitive)\nc: 10.0.0.0/33\n");
        let d = &diags.0[0];
        // A short secret is masked where a message quotes it whole, not inside other words.
        assert_eq!(
            d.message,
            "`(sensitive)` and `(sensitive)` and `10.0.0.0/33`"
        );
        assert_eq!(d.help.as_deref(), Some("not (sensitive)"));
        let p = d.primary.as_ref().expect("primary");
        assert_eq!(sources.text(p.span), "10.0.0.0/33");
        assert_eq!(f.line_col(p.span.start as usize), (3, 4));
        let s = &d.secondary[0];
        assert_eq!(sources.text(s.span), MASK);
        assert_eq!(s.text, "(sensitive) here");
    }

    #[test]
    fn a_secret_over_several_lines_keeps_the_line_numbers() {
        let text = "key: |\n  line one\n  line two\nnext: [\n";
        let (mut sources, id) = one_file(text);
        let start = text.find("line one").expect("in the text");
        let end = text.find("next").expect("in the text") - 1;
        let bad = text.find('[').expect("in the text");
        let mut diags = Diagnostics::from(
            Diagnostic::error("t", "syntax").at(Span::new(id, bad, bad + 1), "here"),
        );
        let mut r = Redactions::default();
        r.span(Span::new(id, start, end));
        r.apply(&mut diags, &mut sources);
        let f = sources.get(id).expect("file");
        assert_eq!(&*f.text, "key: |\n  (sensitive)\n(sensitive)\nnext: [\n");
        let p = diags.0[0].primary.as_ref().expect("primary");
        assert_eq!(f.line_col(p.span.start as usize), (4, 7));
        assert_eq!(sources.text(p.span), "[");
    }

    #[test]
    fn redaction_finds_long_secrets_anywhere_in_any_file() {
        let mut sources = SourceMap::default();
        let doc = sources.add(SourceFile::new(
            "stack.yaml",
            "# old: Canary-42\nstack: lab\n",
        ));
        let other = sources.add(SourceFile::new("b.yaml", "x: \"Canary-42\" # ok\n"));
        let mut diags =
            Diagnostics::from(Diagnostic::error("t", "m").at(Span::new(doc, 17, 22), "stack"));
        let mut r = Redactions::default();
        r.text("Canary-42");
        r.apply(&mut diags, &mut sources);
        assert_eq!(
            &*sources.get(doc).expect("doc").text,
            "# old: (sensitive)\nstack: lab\n"
        );
        assert_eq!(
            &*sources.get(other).expect("other").text,
            "x: \"(sensitive)\" # ok\n"
        );
        let p = diags.0[0].primary.as_ref().expect("primary");
        assert_eq!(sources.text(p.span), "stack");
        let shown = render(&diags, &sources, false, 80);
        assert!(!shown.contains("Canary"), "{shown}");
    }

    #[test]
    fn quoted_and_escaped_forms_are_masked_in_messages() {
        let mut r = Redactions::default();
        r.text("p\"w\\x-long");
        let msg = format!("{:?} is wrong", "p\"w\\x-long");
        assert_eq!(r.mask_text(&msg), "\"(sensitive)\" is wrong");
    }
}
