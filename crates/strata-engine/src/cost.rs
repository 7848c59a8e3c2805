//! The fixed cost per day of a stack's resources (`strata cost`, and the line under a plan):
//! the charges a resource runs up by the hour whether or not it serves anything, from a dated
//! table of us-east-1 prices kept here. Traffic-based charges (data processed and transferred,
//! requests, storage, LCUs beyond the minimum) are not included, and say so.
//!
//! An estimate is made from resources' attributes in either form: the documents' (template
//! form, a reference written `${name.attr}`) or the lockfile's (AWS's ids and ARNs), so the
//! same code prices the stack before and after a plan.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use crate::desired::Desired;
use crate::lockfile::Lockfile;
use crate::value::Attrs;

/// The price table's date, region and source.
pub const PRICES_DATE: &str = "2026-12-01";
pub const PRICES_REGION: &str = "us-east-1";
pub const PRICES_SOURCE: &str = "AWS's public on-demand price pages for us-east-1 \
    (aws.amazon.com/vpc/pricing, /elasticloadbalancing/pricing, /rds/aurora/pricing, \
    /fargate/pricing, /transit-gateway/pricing, /privatelink/pricing), as known on that date";

/// US dollars per hour.
mod price {
    pub const NAT_GATEWAY_HOUR: f64 = 0.045;
    pub const PUBLIC_IPV4_HOUR: f64 = 0.005;
    pub const ALB_HOUR: f64 = 0.0225;
    pub const LCU_HOUR: f64 = 0.008;
    pub const AURORA_ACU_HOUR: f64 = 0.12;
    pub const FARGATE_VCPU_HOUR_X86: f64 = 0.040_48;
    pub const FARGATE_GB_HOUR_X86: f64 = 0.004_445;
    pub const FARGATE_VCPU_HOUR_ARM: f64 = 0.032_38;
    pub const FARGATE_GB_HOUR_ARM: f64 = 0.003_56;
    pub const TGW_ATTACHMENT_HOUR: f64 = 0.05;
    pub const INTERFACE_ENDPOINT_AZ_HOUR: f64 = 0.01;
}

/// What an estimate leaves out.
pub const NOT_INCLUDED: &str = "data processed and transferred, requests, storage and I/O, \
    load balancer capacity units beyond one, and whatever AWS bills by use";

/// One resource's fixed charge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub resource: String,
    pub kind: String,
    /// What is charged: "NAT gateway hours", "2 tasks × 0.25 vCPU, 0.5 GB".
    pub charge: String,
    /// The category for a plan's difference ("NAT gateway").
    pub unit: &'static str,
    pub per_day: f64,
}

/// A stack's fixed cost per day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estimate {
    pub lines: Vec<Line>,
}

impl Estimate {
    pub fn per_day(&self) -> f64 {
        self.lines.iter().map(|l| l.per_day).sum()
    }

    /// How many resources of each category cost something.
    fn units(&self) -> BTreeMap<&'static str, i64> {
        let mut n = BTreeMap::new();
        for l in self.lines.iter().filter(|l| l.per_day > 0.0) {
            *n.entry(l.unit).or_insert(0) += 1;
        }
        n
    }
}

/// A resource as the estimate sees it.
struct Item<'a> {
    name: &'a str,
    kind: &'a str,
    attrs: &'a Attrs,
}

/// The fixed cost of what the documents describe.
pub fn of_desired(d: &Desired) -> Estimate {
    let items: Vec<Item<'_>> = d
        .resources
        .values()
        .map(|r| Item {
            name: &r.name,
            kind: r.kind.name,
            attrs: &r.attrs,
        })
        .collect();
    estimate(&items)
}

/// The fixed cost of what the lockfile records.
pub fn of_lockfile(lf: &Lockfile) -> Estimate {
    let items: Vec<Item<'_>> = lf
        .resources
        .iter()
        .map(|(name, r)| Item {
            name,
            kind: &r.kind,
            attrs: &r.attributes,
        })
        .collect();
    estimate(&items)
}

fn estimate(items: &[Item<'_>]) -> Estimate {
    Estimate {
        lines: items.iter().filter_map(|i| line(i, items)).collect(),
    }
}

fn day(per_hour: f64) -> f64 {
    per_hour * 24.0
}

/// The resource another one names in `field`: `${name.attr}`, or an id or ARN it records.
fn named<'a>(item: &Item<'_>, field: &str, items: &'a [Item<'a>]) -> Option<&'a Item<'a>> {
    let v = item.attrs.get(field)?.as_str()?;
    if let Some(name) = v.strip_prefix("${").and_then(|r| r.split('.').next()) {
        return items.iter().find(|i| i.name == name);
    }
    items.iter().find(|i| {
        ["id", "arn"]
            .iter()
            .any(|k| i.attrs.get(*k).and_then(Value::as_str) == Some(v))
    })
}

fn number(attrs: &Attrs, field: &str) -> Option<f64> {
    attrs.get(field).and_then(Value::as_f64)
}

fn line(item: &Item<'_>, items: &[Item<'_>]) -> Option<Line> {
    let (charge, unit, per_day) = match item.kind {
        "ec2.nat_gateway" => (
            "NAT gateway hours".to_string(),
            "NAT gateway",
            day(price::NAT_GATEWAY_HOUR),
        ),
        "ec2.eip" => (
            "public IPv4 address hours".to_string(),
            "public IPv4 address",
            day(price::PUBLIC_IPV4_HOUR),
        ),
        "elbv2.load_balancer" => (
            "load balancer hours, 1 LCU".to_string(),
            "load balancer",
            day(price::ALB_HOUR + price::LCU_HOUR),
        ),
        "ec2.transit_gateway_vpc_attachment" => (
            "attachment hours".to_string(),
            "transit gateway attachment",
            day(price::TGW_ATTACHMENT_HOUR),
        ),
        "ec2.vpc_endpoint" => interface_endpoint(item)?,
        "rds.db_cluster_instance" => aurora_instance(item, items)?,
        "ecs.service" => fargate_service(item, items)?,
        _ => return None,
    };
    Some(Line {
        resource: item.name.to_string(),
        kind: item.kind.to_string(),
        charge,
        unit,
        per_day,
    })
}

fn interface_endpoint(item: &Item<'_>) -> Option<(String, &'static str, f64)> {
    if item.attrs.get("type").and_then(Value::as_str) != Some("interface") {
        return None;
    }
    let zones = item
        .attrs
        .get("subnets")
        .and_then(Value::as_array)
        .map_or(1, |s| s.len().max(1));
    Some((
        format!("interface endpoint hours in {zones} zone(s)"),
        "interface endpoint",
        day(price::INTERFACE_ENDPOINT_AZ_HOUR) * zones as f64,
    ))
}

/// A `db.serverless` instance runs at least its cluster's minimum capacity (0: paused when
/// idle, no compute charge); a provisioned class is not priced here.
fn aurora_instance(item: &Item<'_>, items: &[Item<'_>]) -> Option<(String, &'static str, f64)> {
    let class = item
        .attrs
        .get("instance_class")
        .and_then(Value::as_str)
        .unwrap_or("db.serverless");
    if class != "db.serverless" {
        return None;
    }
    let cluster = named(item, "cluster", items)?;
    let min = cluster
        .attrs
        .get("serverless_v2")
        .and_then(|s| s.get("min_capacity"))
        .and_then(Value::as_f64)
        .unwrap_or(0.5);
    let charge = if min == 0.0 {
        "Serverless v2 at 0 ACU: paused when idle".to_string()
    } else {
        format!("Serverless v2 ACU hours at its minimum, {min} ACU")
    };
    Some((
        charge,
        "Aurora Serverless v2 instance",
        day(price::AURORA_ACU_HOUR) * min,
    ))
}

/// Fargate's vCPU and memory hours of the service's tasks, at its desired count.
fn fargate_service(item: &Item<'_>, items: &[Item<'_>]) -> Option<(String, &'static str, f64)> {
    let task = named(item, "task_definition", items)?;
    let vcpu = number(task.attrs, "cpu")? / 1024.0;
    let gb = number(task.attrs, "memory")? / 1024.0;
    let count = number(item.attrs, "desired_count").unwrap_or(1.0);
    let arm = task
        .attrs
        .get("runtime_platform")
        .and_then(|p| p.get("cpu_architecture"))
        .and_then(Value::as_str)
        == Some("ARM64");
    let (per_vcpu, per_gb) = if arm {
        (price::FARGATE_VCPU_HOUR_ARM, price::FARGATE_GB_HOUR_ARM)
    } else {
        (price::FARGATE_VCPU_HOUR_X86, price::FARGATE_GB_HOUR_X86)
    };
    Some((
        format!("Fargate: {count} task(s) × {vcpu} vCPU, {gb} GB"),
        "Fargate service",
        day(per_vcpu * vcpu + per_gb * gb) * count,
    ))
}

/// The fixed charge per day of a resource known only by its ARN (a stack found by its tags,
/// without its attributes): the kinds whose charge needs no attribute. Aurora instances,
/// Fargate services and interface endpoints need theirs and are not priced this way.
pub fn per_day_of_arn(arn: &str) -> Option<f64> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (service, resource) = match parts.as_slice() {
        ["arn", _, service, _, _, resource] => (*service, *resource),
        _ => return None,
    };
    let per_hour = match (service, resource.split(['/', ':']).next()?) {
        ("ec2", "natgateway") => price::NAT_GATEWAY_HOUR,
        ("ec2", "elastic-ip") => price::PUBLIC_IPV4_HOUR,
        ("ec2", "transit-gateway-attachment") => price::TGW_ATTACHMENT_HOUR,
        ("elasticloadbalancing", "loadbalancer") if resource.starts_with("loadbalancer/app/") => {
            price::ALB_HOUR + price::LCU_HOUR
        }
        _ => return None,
    };
    Some(day(per_hour))
}

/// Dollars, two decimals.
pub fn dollars(v: f64) -> String {
    format!("${v:.2}")
}

/// The note on the table's date and region, printed with every estimate.
pub fn basis(region: &str) -> String {
    let mut s = format!("us-east-1 on-demand prices of {PRICES_DATE}");
    if region != PRICES_REGION {
        let _ = write!(s, "; the stack is in {region}, where prices differ");
    }
    s
}

/// The line under a plan: the cost after it, and what changes it.
pub fn plan_line(before: &Estimate, after: &Estimate, region: &str) -> String {
    let delta = after.per_day() - before.per_day();
    let change = if delta.abs() < 0.005 {
        "no change".to_string()
    } else {
        let sign = if delta > 0.0 { "+" } else { "-" };
        format!(
            "{sign} {}/day: {}",
            dollars(delta.abs()),
            unit_changes(before, after)
        )
    };
    format!(
        "Cost: about {}/day of fixed charges after this plan ({change}); {}. `strata cost` \
         for each resource.",
        dollars(after.per_day()),
        basis(region)
    )
}

/// "1 NAT gateway, 2 public IPv4 addresses" added or "-1 load balancer" removed.
fn unit_changes(before: &Estimate, after: &Estimate) -> String {
    let (b, a) = (before.units(), after.units());
    let mut parts = Vec::new();
    let mut keys: Vec<&&str> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let n = a.get(*k).copied().unwrap_or(0) - b.get(*k).copied().unwrap_or(0);
        if n != 0 {
            parts.push(format!("{n:+} {k}"));
        }
    }
    if parts.is_empty() {
        "sizes or counts changed".to_string()
    } else {
        parts.join(", ")
    }
}

/// `strata cost`: each resource with a fixed charge, the total, the basis, what is left out.
pub fn render_table(stack: &str, region: &str, e: &Estimate) -> String {
    let mut out = format!(
        "Fixed cost per day of stack {stack} ({}):\n\n",
        basis(region)
    );
    let w_name = e.lines.iter().map(|l| l.resource.len()).max().unwrap_or(0);
    let w_kind = e.lines.iter().map(|l| l.kind.len()).max().unwrap_or(0);
    let w_charge = e.lines.iter().map(|l| l.charge.len()).max().unwrap_or(0);
    for l in &e.lines {
        let _ = writeln!(
            out,
            "  {:w_name$}  {:w_kind$}  {:w_charge$}  {:>8}",
            l.resource,
            l.kind,
            l.charge,
            dollars(l.per_day)
        );
    }
    if e.lines.is_empty() {
        out.push_str("  (no resource of the stack has a fixed hourly charge)\n");
    }
    let _ = writeln!(
        out,
        "\n  Total: {}/day (about {}/month)\n\nNot included: {NOT_INCLUDED}.",
        dollars(e.per_day()),
        dollars(e.per_day() * 30.0)
    );
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn attrs(v: Value) -> Attrs {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn resources_known_by_their_arn_alone_are_priced_when_no_attribute_is_needed() {
        let nat = "arn:aws:ec2:us-east-1:123456789012:natgateway/nat-1";
        let ip = "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-1";
        let alb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1";
        let vpc = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1";
        assert_eq!(per_day_of_arn(nat).map(dollars).as_deref(), Some("$1.08"));
        assert_eq!(per_day_of_arn(ip).map(dollars).as_deref(), Some("$0.12"));
        assert_eq!(per_day_of_arn(alb).map(dollars).as_deref(), Some("$0.73"));
        assert_eq!(per_day_of_arn(vpc), None);
        assert_eq!(per_day_of_arn("not an arn"), None);
    }

    #[test]
    fn a_nat_gateway_and_its_address_cost_1_20_a_day() {
        let nat = attrs(json!({"subnet": "${public.id}"}));
        let eip = attrs(json!({"domain": "vpc"}));
        let items = [
            Item {
                name: "nat",
                kind: "ec2.nat_gateway",
                attrs: &nat,
            },
            Item {
                name: "ip",
                kind: "ec2.eip",
                attrs: &eip,
            },
        ];
        let e = estimate(&items);
        assert_eq!(dollars(e.per_day()), "$1.20");
        let before = Estimate::default();
        assert_eq!(
            plan_line(&before, &e, "us-east-1"),
            "Cost: about $1.20/day of fixed charges after this plan (+ $1.20/day: +1 NAT \
             gateway, +1 public IPv4 address); us-east-1 on-demand prices of 2026-12-01. \
             `strata cost` for each resource."
        );
    }

    #[test]
    fn services_and_databases_are_priced_through_what_they_name_in_either_form() {
        let task = attrs(json!({"cpu": 256, "memory": 512, "arn": "arn:td:1"}));
        let by_ref = attrs(json!({"task_definition": "${task.arn}", "desired_count": 2}));
        let by_arn = attrs(json!({"task_definition": "arn:td:1", "desired_count": 2}));
        let paused = attrs(json!({"serverless_v2": {"min_capacity": 0}}));
        let db = attrs(json!({"cluster": "${cluster.id}"}));
        let fargate = |svc: &Attrs| {
            let items = [
                Item {
                    name: "task",
                    kind: "ecs.task_definition",
                    attrs: &task,
                },
                Item {
                    name: "svc",
                    kind: "ecs.service",
                    attrs: svc,
                },
            ];
            estimate(&items).per_day()
        };
        // 2 × (0.25 × 0.04048 + 0.5 × 0.004445) × 24
        assert_eq!(dollars(fargate(&by_ref)), "$0.59");
        assert_eq!(fargate(&by_ref), fargate(&by_arn));
        let items = [
            Item {
                name: "cluster",
                kind: "rds.db_cluster",
                attrs: &paused,
            },
            Item {
                name: "db",
                kind: "rds.db_cluster_instance",
                attrs: &db,
            },
        ];
        let e = estimate(&items);
        assert_eq!(e.per_day(), 0.0);
        assert!(e.lines[0].charge.contains("paused"), "{:?}", e.lines);
    }
}
