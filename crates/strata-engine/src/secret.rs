//! Secrets: the values of sensitive variables never appear in a plan, the lockfile, the output
//! or the logs.
//!
//! * A plan is *sealed* before anyone sees it: in the desired attributes each secret becomes
//!   `${var.NAME}` again (resolved by the executor from the variables given to the run that
//!   applies it), and in the values shown (changes, prior attributes, outputs) it becomes
//!   `(sensitive)`. A value the lockfile recorded as sensitive stays masked when it changes, so a
//!   rotated secret's old value is not shown either.
//! * The lockfile is written with every secret masked.
//! * Everything printed goes through [`Secrets::mask_text`], which also catches the encodings a
//!   secret takes in AWS requests (URL form encoding, JSON and XML escaping) in debug logs.

use std::borrow::Cow;

use serde_json::Value;

use crate::lockfile::Lockfile;
use crate::plan::Plan;

/// What a secret is shown as (the same in diagnostics).
pub const MASK: &str = strata_model::diag::MASK;

/// Shorter secrets are not searched for in free text (they would mask ordinary words); their
/// fields are still sealed in plans and masked in the lockfile.
const MIN_TEXT_LEN: usize = 4;

/// The secrets of one run: (variable name, value), longest value first.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    items: Vec<(String, String)>,
    /// Every form of each value to mask in text, longest first.
    forms: Vec<String>,
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

impl Secrets {
    pub fn new(items: Vec<(String, String)>) -> Secrets {
        let mut items: Vec<(String, String)> =
            items.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        items.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.cmp(b)));
        items.dedup();
        let mut forms: Vec<String> = items
            .iter()
            .filter(|(_, v)| v.chars().count() >= MIN_TEXT_LEN)
            .flat_map(|(_, v)| {
                let json = serde_json::to_string(v).unwrap_or_default();
                let json = json.trim_matches('"').to_string();
                [
                    v.clone(),
                    json,
                    url_encode(v),
                    url_encode(v).replace('+', "%20"),
                    xml_escape(v),
                ]
            })
            .collect();
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        Secrets { items, forms }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The value of sensitive variable `name`.
    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Masks every secret, in any of its encodings, in a text.
    pub fn mask_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.forms.iter().any(|f| text.contains(f.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for f in &self.forms {
            if out.contains(f.as_str()) {
                out = out.replace(f.as_str(), MASK);
            }
        }
        Cow::Owned(out)
    }

    fn contains(&self, s: &str) -> bool {
        self.items.iter().any(|(_, v)| s.contains(v.as_str()))
    }

    /// Replaces each secret in a string with `(sensitive)`.
    fn mask_str(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (_, v) in &self.items {
            out = out.replace(v.as_str(), MASK);
        }
        out
    }

    /// Masks the secrets in a value; returns whether anything was masked.
    pub fn mask_value(&self, v: &mut Value) -> bool {
        match v {
            Value::String(s) if self.contains(s) => {
                *s = self.mask_str(s);
                true
            }
            Value::Array(items) => all(items.iter_mut(), |i| self.mask_value(i)),
            Value::Object(m) => all(m.values_mut(), |i| self.mask_value(i)),
            _ => false,
        }
    }

    /// In template-form attributes, turns each secret back into `${var.NAME}`.
    fn template_value(&self, v: &mut Value) -> bool {
        match v {
            Value::String(s) => {
                let mut changed = false;
                for (name, value) in &self.items {
                    let escaped = strata_model::expr::escape(value);
                    if s.contains(escaped.as_ref()) {
                        *s = s.replace(escaped.as_ref(), &format!("${{var.{name}}}"));
                        changed = true;
                    }
                }
                changed
            }
            Value::Array(items) => all(items.iter_mut(), |i| self.template_value(i)),
            Value::Object(m) => all(m.values_mut(), |i| self.template_value(i)),
            _ => false,
        }
    }

    /// Seals a plan (see the module documentation). `lockfile` tells which recorded values were
    /// sensitive, so that their live values are masked too.
    pub fn seal(&self, plan: &mut Plan, lockfile: Option<&Lockfile>) {
        let mut needed = std::collections::BTreeSet::new();
        for a in &mut plan.actions {
            let recorded = lockfile
                .and_then(|l| l.resources.get(&a.name))
                .map(|r| &r.attributes);
            if let Some(d) = &mut a.desired {
                for v in d.values_mut() {
                    self.template_value(v);
                }
                collect_vars(&Value::Object(d.clone()), &mut needed);
            }
            if let Some(p) = &mut a.prior {
                for (k, v) in p.iter_mut() {
                    self.mask_value(v);
                    if let Some(r) = recorded.and_then(|r| r.get(k)) {
                        mask_like(v, r);
                    }
                }
            }
            for c in &mut a.set_elsewhere {
                for v in [&mut c.before, &mut c.after].into_iter().flatten() {
                    c.sensitive |= self.mask_value(v);
                }
            }
            for c in &mut a.changes {
                let (old_b, old_a) = (c.before.clone(), c.after.clone());
                let mut masked = false;
                if let Some(b) = &mut c.before {
                    masked |= self.mask_value(b);
                    if let Some(r) = recorded.and_then(|r| r.get(&c.field)) {
                        masked |= mask_like(b, r);
                    }
                }
                if let Some(v) = &mut c.after {
                    masked |= self.mask_value(v);
                }
                if masked {
                    c.sensitive = true;
                    if let (Some(b), Some(v)) = (&c.before, &mut c.after) {
                        mark_changed(b, v, old_b.as_ref(), old_a.as_ref());
                    }
                }
            }
        }
        for o in plan.outputs.values_mut() {
            if self.mask_value(&mut o.value) {
                o.sensitive = true;
            }
        }
        plan.sensitive_variables = needed.into_iter().collect();
    }

    /// A copy of the lockfile with every secret masked, to write to disk.
    pub fn mask_lockfile(&self, lf: &Lockfile) -> Lockfile {
        let mut out = lf.clone();
        for r in out
            .resources
            .values_mut()
            .chain(out.deposed.iter_mut().map(|d| &mut d.resource))
        {
            for v in r.attributes.values_mut() {
                self.mask_value(v);
            }
        }
        for o in out.outputs.values_mut() {
            if self.mask_value(&mut o.value) {
                o.value = Value::Null;
                o.sensitive = true;
            }
        }
        out
    }
}

/// Applies `f` to every item (no short-circuit); true if it was true for any.
fn all<T>(items: impl Iterator<Item = T>, mut f: impl FnMut(T) -> bool) -> bool {
    let mut any = false;
    for i in items {
        any |= f(i);
    }
    any
}

/// Masks the strings of `v` where `recorded` (as the lockfile holds it) has a masked string.
fn mask_like(v: &mut Value, recorded: &Value) -> bool {
    match (v, recorded) {
        (Value::String(s), Value::String(r)) if r.contains(MASK) && s != MASK => {
            *s = MASK.to_string();
            true
        }
        (Value::Object(m), Value::Object(r)) => all(m.iter_mut(), |(k, x)| {
            r.get(k).is_some_and(|rv| mask_like(x, rv))
        }),
        (Value::Array(items), Value::Array(r)) if items.len() == r.len() => {
            all(items.iter_mut().zip(r), |(x, rv)| mask_like(x, rv))
        }
        _ => false,
    }
}

/// Where masking made a changed value look unchanged, says that it changed.
fn mark_changed(before: &Value, after: &mut Value, old_b: Option<&Value>, old_a: Option<&Value>) {
    match (before, after, old_b, old_a) {
        (Value::String(b), Value::String(a), Some(ob), Some(oa)) if b == a && ob != oa => {
            *a = format!("{MASK}, changed");
        }
        (
            Value::Object(bm),
            Value::Object(am),
            Some(Value::Object(obm)),
            Some(Value::Object(oam)),
        ) => {
            for (k, av) in am.iter_mut() {
                if let Some(bv) = bm.get(k) {
                    mark_changed(bv, av, obm.get(k), oam.get(k));
                }
            }
        }
        _ => {}
    }
}

/// The `${var.NAME}` names in a template-form value.
fn collect_vars(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::String(s) => {
            if let Ok(segs) = strata_model::expr::parse(s) {
                for seg in segs {
                    if let strata_model::expr::Segment::Var { name, .. } = seg {
                        out.insert(name.to_string());
                    }
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_vars(i, out)),
        Value::Object(m) => m.values().for_each(|i| collect_vars(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_of_a_secret_is_masked_in_text() {
        let s = Secrets::new(vec![("pw".into(), "p@ss w0rd&<x>".into())]);
        for text in [
            "tag p@ss w0rd&<x> here",
            "Action=CreateTags&Tag.1.Value=p%40ss+w0rd%26%3Cx%3E",
            "<value>p@ss w0rd&amp;&lt;x&gt;</value>",
            "\"p@ss w0rd&<x>\"",
        ] {
            let masked = s.mask_text(text);
            assert!(masked.contains(MASK), "{text} -> {masked}");
            assert!(!masked.contains("w0rd"), "{text} -> {masked}");
        }
        assert_eq!(s.mask_text("nothing here"), "nothing here");
    }

    #[test]
    fn short_secrets_are_not_searched_in_free_text() {
        let s = Secrets::new(vec![("pin".into(), "42".into())]);
        assert_eq!(s.mask_text("port 4242"), "port 4242");
        let mut v = Value::String("42".into());
        assert!(s.mask_value(&mut v));
        assert_eq!(v, Value::String(MASK.into()));
    }

    #[test]
    fn templates_get_the_variable_back() {
        let s = Secrets::new(vec![("pw".into(), "hunter22".into())]);
        let mut v = serde_json::json!({"Owner": "x-hunter22-y", "Team": "net"});
        assert!(s.template_value(&mut v));
        assert_eq!(
            v,
            serde_json::json!({"Owner": "x-${var.pw}-y", "Team": "net"})
        );
    }
}
