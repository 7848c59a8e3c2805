//! Engine tests against an in-memory cloud that enforces AWS's ordering rules.

mod fake;
mod graph;
mod ownership;
mod planner;
mod properties;
mod rendering;
