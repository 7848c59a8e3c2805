//! strata's integration tests: one binary (each test binary links the whole AWS SDK).
//! Tests that need the emulator start it once per process, or use STRATA_TEST_ENDPOINT.

mod aws;
mod cli;
mod connect;
mod corpus;
mod crash;
mod lifecycle;
mod lost_answers;
mod network;
mod reliability;
mod signals;
mod support;
mod testbed;
mod waits;
