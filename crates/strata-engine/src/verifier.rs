//! Verifiers: how a secret AWS never returns (a database's master password, a certificate's
//! private key) can be seen to change without being kept anywhere.
//!
//! When strata sends such a field, the lockfile records a *verifier* of the value in its place:
//! PBKDF2-HMAC-SHA256 with a random salt and [`ROUNDS`] rounds, the kind of record a password
//! file keeps (the secret cannot be read back from it; guessing costs the rounds per guess). A
//! later plan derives the same from the document's value: a different result means the secret
//! was rotated, and the field is updated (or the resource replaced, as the field's table says).
//! A resource recorded without a verifier (adopted, or recorded by an older strata) has nothing
//! to compare with, as before.

use std::num::NonZeroU32;

use aws_lc_rs::pbkdf2;
use serde_json::Value;
use strata_model::kinds::KindInfo;

use crate::value::Attrs;

/// What a recorded verifier starts with (it contains the mask, so that it reads as sensitive).
const PREFIX: &str = "(sensitive) verifier pbkdf2-sha256";

/// PBKDF2 rounds (OWASP's recommendation for PBKDF2-HMAC-SHA256 in 2023).
pub const ROUNDS: NonZeroU32 = NonZeroU32::new(600_000).expect("not zero");

const ALGORITHM: pbkdf2::Algorithm = pbkdf2::PBKDF2_HMAC_SHA256;

/// A new verifier of `secret`, with a fresh random salt.
pub fn verifier(secret: &str) -> String {
    // A salt needs to be unique, which 122 random bits are.
    let salt = *uuid::Uuid::new_v4().as_bytes();
    let mut hash = [0u8; 32];
    pbkdf2::derive(ALGORITHM, ROUNDS, &salt, secret.as_bytes(), &mut hash);
    format!("{PREFIX} {ROUNDS} {} {}", hex(&salt), hex(&hash))
}

/// Whether `secret` matches a recorded verifier; `None` when `recorded` is not a verifier.
pub fn verifies(recorded: &str, secret: &str) -> Option<bool> {
    let rest = recorded.strip_prefix(PREFIX)?;
    let mut parts = rest.split_whitespace();
    let rounds: NonZeroU32 = parts.next()?.parse().ok()?;
    let salt = unhex(parts.next()?)?;
    let hash = unhex(parts.next()?)?;
    if parts.next().is_some() || hash.is_empty() {
        return None;
    }
    Some(pbkdf2::verify(ALGORITHM, rounds, &salt, secret.as_bytes(), &hash).is_ok())
}

/// The fields of `kind` whose recorded values are verifiers.
fn secret_fields(kind: &KindInfo) -> impl Iterator<Item = &'static str> + '_ {
    kind.fields.iter().filter(|f| f.secret).map(|f| f.name)
}

/// The verifiers to record for what one operation sent: each secret field it set (every one a
/// create sends; those an update changes).
pub fn sent(kind: &KindInfo, sent: &Attrs, changed: Option<&[String]>) -> Attrs {
    secret_fields(kind)
        .filter(|f| changed.is_none_or(|c| c.iter().any(|x| x == f)))
        .filter_map(|f| match sent.get(f) {
            Some(Value::String(s)) => Some((f.to_string(), Value::String(verifier(s)))),
            _ => None,
        })
        .collect()
}

/// Carries the recorded verifiers of `old` into `new` where `new` has none (a read never returns
/// the secret, so refreshed attributes lack it).
pub fn keep(kind: &KindInfo, old: &Attrs, new: &mut Attrs) {
    for f in secret_fields(kind) {
        if new.contains_key(f) {
            continue;
        }
        if let Some(v @ Value::String(s)) = old.get(f)
            && s.starts_with(PREFIX)
        {
            new.insert(f.to_string(), v.clone());
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_knows_its_secret_and_holds_none_of_it() {
        let v = verifier("correct horse battery staple");
        assert!(v.starts_with(strata_model::diag::MASK));
        assert!(!v.contains("horse"));
        assert_eq!(verifies(&v, "correct horse battery staple"), Some(true));
        assert_eq!(verifies(&v, "correct horse battery stapler"), Some(false));
        // Salted: the same secret gives another verifier each time.
        assert_ne!(v, verifier("correct horse battery staple"));
    }

    #[test]
    fn what_is_not_a_verifier_verifies_nothing() {
        for recorded in [
            "(sensitive)",
            "hunter22",
            "(sensitive) verifier pbkdf2-sha256 0 00 00",
            "(sensitive) verifier pbkdf2-sha256 10 0g 00",
            "(sensitive) verifier pbkdf2-sha256 10 00",
            "(sensitive) verifier pbkdf2-sha256 10 00 00 00",
        ] {
            assert_eq!(verifies(recorded, "x"), None, "{recorded}");
        }
    }
}
