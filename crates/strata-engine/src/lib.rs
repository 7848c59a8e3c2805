//! strata's engine: desired state, planning, the lockfile and the executor.
//!
//! It knows no AWS types: a cloud is a [`provider::Provider`].

pub mod cost;
pub mod desired;
pub mod exec;
pub mod generate;
pub mod graph;
pub mod lockfile;
pub mod plan;
pub mod provider;
pub mod read;
pub mod render;
pub mod resume;
pub mod secret;
pub mod value;
pub mod verifier;
