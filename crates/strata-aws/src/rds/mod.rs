//! RDS: one module per kind, of the same shape as EC2's and ELBv2's. Resources are named by
//! identifiers RDS keeps lower-case; the tagging API's listing finds the stack's (ARN types
//! `cluster`, `db`, `subgrp`, `cluster-pg`, with `:` before the name), and each kind describes
//! them by identifier, filtered where the API takes filters. Clusters and instances take
//! minutes to create, change and delete: their kinds wait, or record them converging.

pub mod db_cluster;
pub mod db_cluster_instance;
pub mod db_cluster_parameter_group;
pub mod db_subnet_group;
pub mod tags;

pub(crate) use crate::kind::*;

use aws_sdk_rds::types::Filter;
use strata_engine::provider::ProviderError;

use crate::Ctx;

/// The service's client in this context's region.
pub fn client(cx: &Ctx) -> aws_sdk_rds::Client {
    cx.client::<aws_sdk_rds::Client>().retrying
}

/// A describe filter on identifiers (`db-cluster-id`, `db-instance-id`).
pub fn id_filter(name: &str, ids: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(ids.to_vec()))
        .build()
}

/// Whether a described resource is one a read asked for: one of `ids`, or carrying the
/// stack's tag (a describe without a filter answers every resource of the region).
pub fn asked_for(id: &str, tags: &[aws_sdk_rds::types::Tag], ids: &[String], stack: &str) -> bool {
    ids.iter().any(|i| i == id)
        || tags
            .iter()
            .any(|t| t.key() == Some(crate::tags::STACK_TAG) && t.value() == Some(stack))
}

/// The same, without the SDK's automatic retries (`kind::create_once`).
pub fn client_once(cx: &Ctx) -> aws_sdk_rds::Client {
    cx.client::<aws_sdk_rds::Client>().once
}

/// A resource's tags by ARN, for the describes that do not answer them.
pub async fn tags_of(cx: &Ctx, arn: &str) -> Result<Vec<aws_sdk_rds::types::Tag>, ProviderError> {
    client(cx)
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map(|o| o.tag_list().to_vec())
        .map_err(crate::error::aws("rds:ListTagsForResource"))
}
