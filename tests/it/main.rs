//! strata's integration tests: one binary (each test binary links the whole AWS SDK).
//! Tests that need the emulator start it once per process, or use STRATA_TEST_ENDPOINT.

mod autoscaling;
mod aws;
mod cli;
mod cloudfront;
mod connect;
mod corpus;
mod crash;
mod drift;
mod ecs;
mod elbv2;
mod endpoints;
mod iam;
mod inputs;
mod ipv6;
mod lifecycle;
mod lifecycle_emulator;
mod logs;
mod long_ops;
mod lost_answers;
mod network;
mod options;
mod ownership;
mod pipes;
mod policies;
mod rds;
mod reliability;
mod routing;
mod s3;
mod secrets;
mod signals;
mod support;
mod testbed;
mod waits;
mod web_app;
mod zones;
