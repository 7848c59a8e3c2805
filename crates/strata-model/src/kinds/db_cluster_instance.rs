//! `rds.db_cluster_instance`: an instance of an Aurora DB cluster (`aws rds create-db-instance
//! --db-cluster-identifier …`), `db.serverless` for Serverless v2.
//!
//! Its id is its identifier (RDS keeps it lower-case). Its class, promotion tier, public
//! access and Performance Insights change in place (`ModifyDBInstance`, at once); another
//! cluster is a new instance. Its engine is its cluster's.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, Policy, TypedRef, check_name_or_prefix,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "rds.db_cluster_instance",
    summary: "An instance of an Aurora DB cluster, `db.serverless` for Serverless v2 (CreateDBInstance).",
    fields: &[
        FieldDef::replace("identifier").unique().kept_when_omitted(),
        FieldDef::replace("identifier_prefix").unset_when_omitted(),
        FieldDef::replace("cluster"),
        FieldDef::in_place("instance_class"),
        FieldDef::in_place("promotion_tier"),
        FieldDef::in_place("publicly_accessible"),
        FieldDef::in_place("performance_insights"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The instance's ARN.",
        },
        AttrDef {
            name: "endpoint",
            doc: "The instance's own endpoint (host name).",
        },
    ],
    deferred: &[],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "identifier",
            prefix: "identifier_prefix",
        }),
        desired: Some(super::lower_case_name),
        id_chunk: 100,
        takes: Some("5 to 10 minutes on AWS"),
        ..Policy::DEFAULT
    },
};

fn serverless() -> String {
    "db.serverless".to_string()
}

fn one() -> u32 {
    1
}

/// An instance of an Aurora DB cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DbClusterInstanceSpec {
    /// Its identifier, unique in the region (RDS keeps it lower-case). Give this or
    /// `identifier_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Spanned<String>>,
    /// Instead of `identifier`: its start, to which strata adds 8 characters of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier_prefix: Option<Spanned<String>>,
    /// Its cluster (an `rds.db_cluster`). Changing it replaces the instance.
    pub cluster: Ref,
    /// `db.serverless` (the default: Serverless v2) or a provisioned class (`db.r6g.large`).
    #[serde(default = "serverless")]
    pub instance_class: String,
    /// Its order for promotion to writer when the writer fails (0 to 15; default 1).
    #[serde(default = "one")]
    pub promotion_tier: u32,
    /// Reachable from the internet (default off; needs public subnets).
    #[serde(default)]
    pub publicly_accessible: bool,
    /// Performance Insights (default off).
    #[serde(default)]
    pub performance_insights: bool,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for DbClusterInstanceSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        vec![TypedRef::hard("cluster", &self.cluster, &["rds.db_cluster"])]
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, i) in stack.of_kind::<DbClusterInstanceSpec>() {
            check_name_or_prefix(
                r.name_span,
                i.identifier.as_ref(),
                i.identifier_prefix.as_ref(),
                super::db_cluster::IDENTIFIER_OF_INSTANCE,
                diags,
            );
            if i.promotion_tier > 15 {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!("`promotion_tier: {}` is out of range", i.promotion_tier),
                    )
                    .at(r.name_span, "this instance")
                    .help("give 0 to 15 (0 is promoted first)"),
                );
            }
            if i.instance_class == "db.serverless" {
                let cluster = stack.spec::<super::db_cluster::DbClusterSpec>(i.cluster.name());
                if cluster.is_some_and(|c| c.serverless_v2.is_none()) {
                    diags.push(
                        Diagnostic::error(
                            "strata::missing_field",
                            "a `db.serverless` instance's cluster has no `serverless_v2` range",
                        )
                        .at(i.cluster.0.span, "this cluster")
                        .help("give the cluster `serverless_v2: {min_capacity: 0.5, max_capacity: 4}`"),
                    );
                }
            }
        }
    }
}
