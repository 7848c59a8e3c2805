//! strata's document model: YAML with locations, resource kinds, validation and the JSON Schema.
//!
//! The entry point is [`load::load`]: it turns a file or directory into a validated [`Stack`],
//! or into every [`Diagnostic`] found. Nothing here talks to AWS.

pub mod de;
pub mod diag;
pub mod expr;
pub mod input;
pub mod kinds;
pub mod kinds_doc;
pub mod load;
pub mod regions;
pub mod schema;
pub mod source;
pub mod spanned;
pub mod stack;
pub mod types;
pub mod validate;
pub mod yaml;

pub use diag::{Diagnostic, Diagnostics};
pub use load::{LoadError, LoadOptions, Loaded, VarInputs, load, load_with};
pub use source::{SourceMap, Span};
pub use spanned::Spanned;
pub use stack::{Resource, Stack};
