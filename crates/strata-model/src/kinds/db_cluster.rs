//! `rds.db_cluster`: an Aurora DB cluster (`aws rds create-db-cluster`), Serverless v2 when it
//! has a `serverless_v2` scaling range and `db.serverless` instances (`rds.db_cluster_instance`).
//!
//! Its id is its identifier (RDS keeps it lower-case). Most settings change in place, always
//! applied at once (`ApplyImmediately`); the engine, the storage encryption and its key, the
//! subnet group, the database name and the master user name replace the cluster, which deletes
//! its data: the plan says so, and a deleted cluster leaves a final snapshot unless
//! `skip_final_snapshot` is set. Deletion protection blocks delete and replace; strata never
//! turns it off by itself. The master password is managed by RDS in Secrets Manager by default
//! (only the secret's ARN is recorded); one given instead is a secret, never stored or shown.
//! Serverless v1 (`engine_mode: serverless`) ended on 2025-03-31 and is refused.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, NameRule, Policy, TypedRef,
    check_name_or_prefix,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "rds.db_cluster",
    summary: "An Aurora DB cluster, Serverless v2 with a scaling range (CreateDBCluster).",
    fields: &[
        FieldDef::replace("identifier").unique().kept_when_omitted(),
        FieldDef::replace("identifier_prefix").unset_when_omitted(),
        FieldDef::replace("engine"),
        FieldDef::in_place("engine_version")
            .version()
            .kept_when_omitted(),
        FieldDef::in_place("serverless_v2").unset_when_omitted(),
        FieldDef::replace("database_name").unset_when_omitted(),
        FieldDef::replace("master_username"),
        FieldDef::in_place("manage_master_user_password"),
        FieldDef::in_place("master_password")
            .unset_when_omitted()
            .secret(),
        FieldDef::in_place("security_groups").set(),
        FieldDef::replace("subnet_group"),
        FieldDef::in_place("parameter_group").kept_when_omitted(),
        FieldDef::in_place("port").kept_when_omitted(),
        FieldDef::replace("storage_encrypted"),
        FieldDef::replace("kms_key").kept_when_omitted(),
        FieldDef::in_place("backup_retention_period"),
        FieldDef::in_place("preferred_backup_window").kept_when_omitted(),
        FieldDef::in_place("preferred_maintenance_window").kept_when_omitted(),
        FieldDef::in_place("deletion_protection"),
        FieldDef::in_place("enable_http_endpoint"),
        FieldDef::in_place("copy_tags_to_snapshot"),
        FieldDef::in_place("skip_final_snapshot").local(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The cluster's ARN (the Data API's `--resource-arn`).",
        },
        AttrDef {
            name: "endpoint",
            doc: "The writer's endpoint (host name).",
        },
        AttrDef {
            name: "reader_endpoint",
            doc: "The readers' endpoint (host name).",
        },
        AttrDef {
            name: "master_user_secret_arn",
            doc: "The ARN of the Secrets Manager secret RDS keeps the master password in (the Data API's `--secret-arn`); never its value.",
        },
        AttrDef {
            name: "resource_id",
            doc: "The cluster's resource id (`cluster-…`), as IAM database authentication names it.",
        },
    ],
    deferred: &[],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "identifier",
            prefix: "identifier_prefix",
        }),
        desired: Some(normalize),
        // DescribeDBClusters' `db-cluster-id` filter takes up to 100 identifiers.
        id_chunk: 100,
        delete_protection: Some("deletion_protection"),
        takes: Some("5 to 10 minutes on AWS"),
        on_delete: Some(data_on_delete),
        compare: &[("kms_key", key_id)],
        ..Policy::DEFAULT
    },
};

/// The desired values in AWS's form: the identifier lower-case, and the pause delay AWS
/// gives a cluster that pauses (min 0) when the documents leave it out (300 s).
fn normalize(attrs: &mut serde_json::Map<String, serde_json::Value>, region: &str) {
    super::lower_case_name(attrs, region);
    if let Some(serde_json::Value::Object(s)) = attrs.get_mut("serverless_v2")
        && s.get("min_capacity").and_then(serde_json::Value::as_f64) == Some(0.0)
        && !s.contains_key("seconds_until_auto_pause")
    {
        s.insert("seconds_until_auto_pause".into(), 300.into());
    }
}

/// A KMS key as its id, whether given by id or by ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`).
fn key_id(v: &serde_json::Value) -> serde_json::Value {
    match v.as_str().and_then(|s| s.split_once(":key/")) {
        Some((arn, id)) if arn.starts_with("arn:") => id.into(),
        _ => v.clone(),
    }
}

/// What deleting the cluster does to its data, as the plan says it.
fn data_on_delete(name: &str, prior: &serde_json::Map<String, serde_json::Value>) -> String {
    let id = prior
        .get("identifier")
        .and_then(serde_json::Value::as_str)
        .unwrap_or(name);
    if prior.get("skip_final_snapshot") == Some(&serde_json::Value::Bool(true)) {
        "its data is deleted with it: no final snapshot is taken (skip_final_snapshot)".to_string()
    } else {
        format!("its data is kept in a final snapshot, {id}-final-YYYYMMDDHHMMSS (the time of the delete, UTC)")
    }
}

/// A DB cluster's identifier: 63 characters at most, letters, digits and hyphens, starting
/// with a letter, not ending with a hyphen nor holding two in a row.
pub(crate) const IDENTIFIER: NameRule = NameRule {
    what: "DB cluster",
    max: 63,
    valid: |n| {
        n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && n.starts_with(|c: char| c.is_ascii_alphabetic())
            && !n.ends_with('-')
            && !n.contains("--")
    },
    allowed: "letters, digits and hyphens, starting with a letter, no `--`, not ending with `-`",
};

/// A DB instance's identifier: the same rule as a cluster's.
pub(crate) const IDENTIFIER_OF_INSTANCE: NameRule = NameRule {
    what: "DB instance",
    ..IDENTIFIER
};

/// The Aurora engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    AuroraPostgresql,
    AuroraMysql,
}

/// Aurora Serverless v2's capacity range, in Aurora capacity units (ACUs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerlessV2 {
    /// The least capacity: 0 to 256 in steps of 0.5. 0 pauses the cluster when it is idle
    /// (after `seconds_until_auto_pause`).
    pub min_capacity: f64,
    /// The most capacity: 1 to 256 in steps of 0.5.
    pub max_capacity: f64,
    /// With `min_capacity: 0`: seconds idle before the cluster pauses (300 to 86400; AWS's
    /// default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_until_auto_pause: Option<u32>,
}

fn default_username() -> String {
    "postgres".to_string()
}

fn one() -> u32 {
    1
}

/// An Aurora DB cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DbClusterSpec {
    /// Its identifier, unique in the region (RDS keeps it lower-case). Changing it replaces
    /// the cluster. Give this or `identifier_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Spanned<String>>,
    /// Instead of `identifier`: its start, to which strata adds 8 characters of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier_prefix: Option<Spanned<String>>,
    /// `aurora-postgresql` or `aurora-mysql`. Changing it replaces the cluster.
    pub engine: Engine,
    /// The engine version (`16.4`); left out, RDS's default for the engine. A newer version
    /// is an upgrade in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    /// Only `provisioned` (the default, which Serverless v2 is). Serverless v1 (`serverless`)
    /// ended on 2025-03-31 and is refused.
    #[serde(default, skip_serializing)]
    pub engine_mode: Option<Spanned<String>>,
    /// Serverless v2's capacity range (with `db.serverless` instances).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless_v2: Option<ServerlessV2>,
    /// The database created with the cluster; none by default. Changing it replaces the
    /// cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    /// The master user's name (default `postgres`). Changing it replaces the cluster.
    #[serde(default = "default_username")]
    pub master_username: String,
    /// Let RDS make and keep the master password in Secrets Manager (the default): strata
    /// records the secret's ARN only.
    #[serde(default = "super::default_true")]
    pub manage_master_user_password: bool,
    /// Instead: the master password, from a sensitive variable (`${var.db_password}`). A
    /// secret: never shown, stored or logged; a new value is seen by the verifier the lockfile
    /// keeps in its place and changes the password in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_password: Option<String>,
    /// Its VPC security groups (`ec2.security_group`s or ids).
    #[serde(default)]
    pub security_groups: Vec<Ref>,
    /// Its subnet group (an `rds.db_subnet_group`). Changing it replaces the cluster.
    pub subnet_group: Ref,
    /// Its parameter group (an `rds.db_cluster_parameter_group`); left out, the engine's
    /// default group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_group: Option<Ref>,
    /// The port; left out, the engine's (5432, 3306).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Encrypt its storage (default on). Changing it replaces the cluster.
    #[serde(default = "super::default_true")]
    pub storage_encrypted: bool,
    /// The KMS key of the storage encryption: its id or ARN (compared as one key; RDS reports
    /// the ARN); left out, RDS's key. Changing it replaces the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<Spanned<String>>,
    /// Days of automated backups kept (1 to 35; default 1).
    #[serde(default = "one")]
    pub backup_retention_period: u32,
    /// The daily backup window, UTC (`03:00-04:00`); left out, RDS's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_backup_window: Option<String>,
    /// The weekly maintenance window, UTC (`sun:05:00-sun:06:00`); left out, RDS's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_maintenance_window: Option<String>,
    /// Whether RDS refuses to delete it (default off). strata never turns it off by itself: a
    /// plan that deletes or replaces a protected cluster says so and how to lift it.
    #[serde(default)]
    pub deletion_protection: bool,
    /// The Data API (`aws rds-data execute-statement`, recipe 2.8); default off.
    #[serde(default)]
    pub enable_http_endpoint: bool,
    /// Copy the cluster's tags to its snapshots (default off).
    #[serde(default)]
    pub copy_tags_to_snapshot: bool,
    /// Delete without a final snapshot (default off: a deleted cluster leaves the snapshot
    /// `IDENTIFIER-final-YYYYMMDDHHMMSS`). For labs. strata's own setting; takes effect once
    /// applied.
    #[serde(default)]
    pub skip_final_snapshot: bool,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

/// Checks a capacity: 0 to 256 (from `least`) in steps of 0.5.
fn capacity_ok(v: f64, least: f64) -> bool {
    (least..=256.0).contains(&v) && (v * 2.0).fract() == 0.0
}

impl DbClusterSpec {
    fn check_scaling(&self, at: crate::source::Span, diags: &mut Diagnostics) {
        let Some(s) = &self.serverless_v2 else {
            return;
        };
        let mut bad = |what: String, help: &str| {
            diags.push(
                Diagnostic::error("strata::invalid_value", what)
                    .at(at, "in this cluster's `serverless_v2`")
                    .help(help.to_string()),
            );
        };
        if !capacity_ok(s.min_capacity, 0.0) {
            bad(
                format!("`min_capacity: {}` is not a capacity", s.min_capacity),
                "give 0 to 256 ACUs in steps of 0.5 (0 pauses the cluster when idle)",
            );
        }
        if !capacity_ok(s.max_capacity, 1.0) || s.max_capacity < s.min_capacity {
            bad(
                format!("`max_capacity: {}` is not a capacity above `min_capacity`", s.max_capacity),
                "give 1 to 256 ACUs in steps of 0.5, at least `min_capacity`",
            );
        }
        match s.seconds_until_auto_pause {
            Some(_) if s.min_capacity > 0.0 => bad(
                "`seconds_until_auto_pause` is set but `min_capacity` is not 0".to_string(),
                "a cluster pauses only with `min_capacity: 0`: set it to 0, or drop `seconds_until_auto_pause`",
            ),
            Some(p) if !(300..=86_400).contains(&p) => bad(
                format!("`seconds_until_auto_pause: {p}` is out of range"),
                "give 300 to 86400 seconds",
            ),
            _ => {}
        }
    }

    fn check_password(&self, at: crate::source::Span, diags: &mut Diagnostics) {
        match (&self.master_password, self.manage_master_user_password) {
            (Some(_), true) => diags.push(
                Diagnostic::error(
                    "strata::conflicting_fields",
                    "`master_password` is given but RDS manages the password",
                )
                .at(at, "this cluster")
                .help("set `manage_master_user_password: false` to give the password yourself, or drop `master_password` and let RDS keep it in Secrets Manager"),
            ),
            (None, false) => diags.push(
                Diagnostic::error("strata::missing_field", "the cluster has no master password")
                    .at(at, "this cluster")
                    .help("give `master_password: ${var.db_password}` (a sensitive variable), or let RDS manage it (`manage_master_user_password: true`, the default)"),
            ),
            _ => {}
        }
    }
}

/// The diagnostic for Serverless v1, with the v2 form of the same cluster.
fn serverless_v1(mode: &Spanned<String>) -> Diagnostic {
    Diagnostic::error(
        "strata::serverless_v1_ended",
        "Aurora Serverless v1 (`engine_mode: serverless`) ended on 2025-03-31",
    )
    .at(mode.span, "Serverless v1")
    .help(
        "use Serverless v2: drop `engine_mode`, give the cluster a capacity range and a \
         `db.serverless` instance:\n  serverless_v2: {min_capacity: 0, max_capacity: 4, \
         seconds_until_auto_pause: 300}\n  writer:\n    kind: rds.db_cluster_instance\n    \
         cluster: <this cluster>\n    instance_class: db.serverless",
    )
}

impl KindSpec for DbClusterSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v: Vec<TypedRef<'_>> = self
            .security_groups
            .iter()
            .map(|g| TypedRef::hard("security_groups", g, &["ec2.security_group"]))
            .collect();
        v.push(TypedRef::hard(
            "subnet_group",
            &self.subnet_group,
            &["rds.db_subnet_group"],
        ));
        if let Some(p) = &self.parameter_group {
            v.push(TypedRef::hard(
                "parameter_group",
                p,
                &["rds.db_cluster_parameter_group"],
            ));
        }
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, c) in stack.of_kind::<DbClusterSpec>() {
            check_name_or_prefix(
                r.name_span,
                c.identifier.as_ref(),
                c.identifier_prefix.as_ref(),
                IDENTIFIER,
                diags,
            );
            if let Some(mode) = &c.engine_mode {
                match mode.value.as_str() {
                    "provisioned" => {}
                    "serverless" => diags.push(serverless_v1(mode)),
                    other => diags.push(
                        Diagnostic::error(
                            "strata::invalid_value",
                            format!("`engine_mode: {other}` is not supported"),
                        )
                        .at(mode.span, "engine mode")
                        .help("leave `engine_mode` out (`provisioned`, which Serverless v2 is)"),
                    ),
                }
            }
            if let Some(key) = c.kms_key.as_ref().filter(|k| k.value.contains("alias/")) {
                diags.push(
                    Diagnostic::error("strata::invalid_value", "`kms_key` names an alias")
                        .at(key.span, "an alias")
                        .help(
                            "RDS reports the key behind an alias by its ARN, so an alias would \
                             show as a change on every plan: give the key's id or ARN (`aws kms \
                             describe-key --key-id alias/NAME --query KeyMetadata.Arn`)",
                        ),
                );
            }
            c.check_scaling(r.name_span, diags);
            c.check_password(r.name_span, diags);
            if !(1..=35).contains(&c.backup_retention_period) {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!(
                            "`backup_retention_period: {}` is out of range",
                            c.backup_retention_period
                        ),
                    )
                    .at(r.name_span, "this cluster")
                    .help("keep 1 to 35 days of backups"),
                );
            }
        }
    }
}
