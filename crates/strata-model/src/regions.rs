//! The AWS regions strata knows, and the checks of regions and availability zones written in
//! the documents: a region must be one AWS has (`--allow-unknown-region` for a newer one), a
//! zone must be in the stack's region.

use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::spanned::Spanned;

/// One AWS region.
#[derive(Debug, Clone, Copy)]
pub struct Region {
    /// The code, e.g. `us-east-1`.
    pub code: &'static str,
    /// AWS's name for it.
    pub name: &'static str,
    /// The prefix of its zone IDs (`use1` in `use1-az1`), where known.
    pub zone_id_prefix: Option<&'static str>,
}

const fn r(code: &'static str, name: &'static str, zone_id_prefix: &'static str) -> Region {
    Region {
        code,
        name,
        zone_id_prefix: Some(zone_id_prefix),
    }
}

const fn no_ids(code: &'static str, name: &'static str) -> Region {
    Region {
        code,
        name,
        zone_id_prefix: None,
    }
}

/// Where [`REGIONS`] comes from.
pub const SOURCE: &str = "botocore 1.44.5, data/partitions.json (the region list the AWS SDKs \
                          ship), read on 2026-11-30";

/// Every region of every AWS partition, as of [`SOURCE`]. Zone ID prefixes follow AWS's
/// "AZ IDs" page (area, the initials of the direction, the number); the isolated partitions'
/// are not published, so their zone IDs are not checked.
pub const REGIONS: &[Region] = &[
    // aws
    r("af-south-1", "Africa (Cape Town)", "afs1"),
    r("ap-east-1", "Asia Pacific (Hong Kong)", "ape1"),
    r("ap-east-2", "Asia Pacific (Taipei)", "ape2"),
    r("ap-northeast-1", "Asia Pacific (Tokyo)", "apne1"),
    r("ap-northeast-2", "Asia Pacific (Seoul)", "apne2"),
    r("ap-northeast-3", "Asia Pacific (Osaka)", "apne3"),
    r("ap-south-1", "Asia Pacific (Mumbai)", "aps1"),
    r("ap-south-2", "Asia Pacific (Hyderabad)", "aps2"),
    r("ap-southeast-1", "Asia Pacific (Singapore)", "apse1"),
    r("ap-southeast-2", "Asia Pacific (Sydney)", "apse2"),
    r("ap-southeast-3", "Asia Pacific (Jakarta)", "apse3"),
    r("ap-southeast-4", "Asia Pacific (Melbourne)", "apse4"),
    r("ap-southeast-5", "Asia Pacific (Malaysia)", "apse5"),
    r("ap-southeast-6", "Asia Pacific (New Zealand)", "apse6"),
    r("ap-southeast-7", "Asia Pacific (Thailand)", "apse7"),
    r("ca-central-1", "Canada (Central)", "cac1"),
    r("ca-west-1", "Canada West (Calgary)", "caw1"),
    r("eu-central-1", "Europe (Frankfurt)", "euc1"),
    r("eu-central-2", "Europe (Zurich)", "euc2"),
    r("eu-north-1", "Europe (Stockholm)", "eun1"),
    r("eu-south-1", "Europe (Milan)", "eus1"),
    r("eu-south-2", "Europe (Spain)", "eus2"),
    r("eu-west-1", "Europe (Ireland)", "euw1"),
    r("eu-west-2", "Europe (London)", "euw2"),
    r("eu-west-3", "Europe (Paris)", "euw3"),
    r("il-central-1", "Israel (Tel Aviv)", "ilc1"),
    r("me-central-1", "Middle East (UAE)", "mec1"),
    r("me-south-1", "Middle East (Bahrain)", "mes1"),
    r("me-west-1", "Middle East (Saudi Arabia)", "mew1"),
    r("mx-central-1", "Mexico (Central)", "mxc1"),
    r("sa-east-1", "South America (Sao Paulo)", "sae1"),
    r("sa-west-1", "South America (Chile)", "saw1"),
    r("us-east-1", "US East (N. Virginia)", "use1"),
    r("us-east-2", "US East (Ohio)", "use2"),
    r("us-west-1", "US West (N. California)", "usw1"),
    r("us-west-2", "US West (Oregon)", "usw2"),
    // aws-cn
    r("cn-north-1", "China (Beijing)", "cnn1"),
    r("cn-northwest-1", "China (Ningxia)", "cnnw1"),
    // aws-us-gov
    r("us-gov-east-1", "AWS GovCloud (US-East)", "usge1"),
    r("us-gov-west-1", "AWS GovCloud (US-West)", "usgw1"),
    // aws-eusc
    no_ids("eusc-de-east-1", "AWS European Sovereign Cloud (Germany)"),
    // aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
    no_ids("us-iso-east-1", "US ISO East"),
    no_ids("us-iso-west-1", "US ISO West"),
    no_ids("us-isob-east-1", "US ISOB East (Ohio)"),
    no_ids("us-isob-west-1", "US ISOB West"),
    no_ids("eu-isoe-west-1", "EU ISOE West"),
    no_ids("us-isof-east-1", "US ISOF East"),
    no_ids("us-isof-south-1", "US ISOF South"),
];

/// The region of this code, if AWS has it.
pub fn find(code: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.code == code)
}

/// A region code's shape: an area of two to four letters, one or more words, a number
/// (`us-east-1`, `us-gov-west-1`, `eusc-de-east-1`). What `--allow-unknown-region` still
/// requires.
pub fn valid_shape(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let Some((last, words)) = parts.split_last() else {
        return false;
    };
    let Some((area, words)) = words.split_first() else {
        return false;
    };
    (2..=4).contains(&area.len())
        && area.chars().all(|c| c.is_ascii_lowercase())
        && !words.is_empty()
        && words
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
        && !last.is_empty()
        && last.chars().all(|c| c.is_ascii_digit())
}

/// What is wrong with a region code, if anything: `None` for a region AWS has (or, with
/// `allow_unknown`, any code of a region's shape).
pub fn problem(code: &str, allow_unknown: bool) -> Option<RegionProblem> {
    if find(code).is_some() || (allow_unknown && valid_shape(code)) {
        return None;
    }
    // A zone written where a region belongs: `us-east-1a`.
    if let Some(region) = code
        .strip_suffix(|c: char| c.is_ascii_lowercase())
        .and_then(find)
    {
        return Some(RegionProblem {
            code: "strata::invalid_value",
            message: format!("`{code}` is an availability zone, not a region"),
            help: format!("write its region, `{}`", region.code),
        });
    }
    let shaped = valid_shape(code);
    let newer = "for a region newer than strata's table, pass --allow-unknown-region";
    let help = match (did_you_mean(code, REGIONS.iter().map(|r| r.code)), shaped) {
        (Some(s), true) => format!("did you mean `{s}`? ({newer})"),
        (Some(s), false) => format!("did you mean `{s}`?"),
        (None, true) => format!("write a region's code, e.g. `us-east-1`; {newer}"),
        (None, false) => "write a region's code, e.g. `us-east-1`".to_string(),
    };
    Some(RegionProblem {
        code: if shaped {
            "strata::unknown_region"
        } else {
            "strata::invalid_value"
        },
        message: if shaped {
            format!("`{code}` is not an AWS region strata knows")
        } else {
            format!("`{code}` is not an AWS region")
        },
        help,
    })
}

/// Why a region code was refused, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionProblem {
    /// `strata::unknown_region` for a code of a region's shape, else `strata::invalid_value`.
    pub code: &'static str,
    pub message: String,
    pub help: String,
}

/// Checks a region written in the documents (`region:`, a peering's `peer_region`).
pub fn check_region(region: &Spanned<String>, allow_unknown: bool, diags: &mut Diagnostics) {
    if let Some(p) = problem(&region.value, allow_unknown) {
        diags.push(
            Diagnostic::error(p.code, p.message)
                .at(region.span, "not a region")
                .help(p.help),
        );
    }
}

/// Is availability zone `zone` (a name: `us-east-1a`, a Local Zone `us-east-1-bos-1a`, a
/// Wavelength Zone `us-east-1-wl1-bos-wlz-1`) in `region`?
pub fn zone_in_region(zone: &str, region: &str) -> bool {
    match zone.strip_prefix(region) {
        Some(rest) => {
            (rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase()))
                || rest.strip_prefix('-').is_some_and(|local| {
                    !local.is_empty()
                        && local
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                })
        }
        None => false,
    }
}

/// The region a zone name is in, by its shape (`us-west-2a` → `us-west-2`); `None` when it
/// names no region of the table.
pub fn region_of_zone(zone: &str) -> Option<&'static Region> {
    REGIONS
        .iter()
        .filter(|r| zone_in_region(zone, r.code))
        .max_by_key(|r| r.code.len())
}

/// Is zone ID `id` (`use1-az1`, a Local Zone's `use1-bos1-az1`) in `region`? `None` when the
/// region's zone IDs are not known.
pub fn zone_id_in_region(id: &str, region: &str) -> Option<bool> {
    let prefix = find(region)?.zone_id_prefix?;
    Some(
        id.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|rest| {
                rest.rsplit_once("az")
                    .is_some_and(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            }),
    )
}

/// A zone field of a resource, by name or by ID.
#[derive(Debug, Clone, Copy)]
pub enum Zone<'a> {
    Name(&'a Spanned<String>),
    Id(&'a Spanned<String>),
}

/// Checks that a zone is in `region`, the region the stack runs in.
pub fn check_zone(zone: Zone<'_>, region: &str, diags: &mut Diagnostics) {
    let (value, what) = match zone {
        Zone::Name(z) => (z, "availability zone"),
        Zone::Id(z) => (z, "zone ID"),
    };
    // A value still holding a reference is known only later.
    if value.value.contains("${") {
        return;
    }
    let ok = match zone {
        Zone::Name(z) => zone_in_region(&z.value, region),
        Zone::Id(z) => zone_id_in_region(&z.value, region).unwrap_or(true),
    };
    if ok {
        return;
    }
    let elsewhere = match zone {
        Zone::Name(z) => region_of_zone(&z.value).map(|r| r.code),
        Zone::Id(z) => REGIONS
            .iter()
            .find(|r| zone_id_in_region(&z.value, r.code) == Some(true))
            .map(|r| r.code),
    };
    let message = match elsewhere {
        Some(other) => format!(
            "{what} `{}` is in region `{other}`, not in the stack's region `{region}`",
            value.value
        ),
        None => format!(
            "{what} `{}` is not a zone of the stack's region `{region}`",
            value.value
        ),
    };
    let example = match (zone, find(region).and_then(|r| r.zone_id_prefix)) {
        (Zone::Name(_), _) => format!("`{region}a`"),
        (Zone::Id(_), Some(prefix)) => format!("`{prefix}-az1`"),
        (Zone::Id(_), None) => "one of the region's zone IDs".to_string(),
    };
    diags.push(
        Diagnostic::error("strata::zone_outside_region", message)
            .at(value.span, format!("not in {region}"))
            .help(format!(
                "a stack lives in one region: name a zone of {region}, e.g. {example}"
            )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_within_partitions_and_every_code_has_a_regions_shape() {
        let mut seen = std::collections::BTreeSet::new();
        for r in REGIONS {
            assert!(valid_shape(r.code), "{}", r.code);
            assert!(seen.insert(r.code), "{} twice", r.code);
            if let Some(p) = r.zone_id_prefix {
                assert!(
                    p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                    "{p}"
                );
                assert!(p.ends_with(r.code.rsplit('-').next().unwrap_or("")), "{p}");
            }
        }
        assert_eq!(
            REGIONS.iter().filter_map(|r| r.zone_id_prefix).count(),
            REGIONS
                .iter()
                .filter_map(|r| r.zone_id_prefix)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            "two regions share a zone ID prefix"
        );
    }

    #[test]
    fn regions_known_unknown_and_suggested() {
        for ok in [
            "us-east-1",
            "eu-west-2",
            "us-gov-west-1",
            "eu-isoe-west-1",
            "ap-southeast-4",
            "eusc-de-east-1",
            "cn-northwest-1",
        ] {
            assert_eq!(problem(ok, false), None, "{ok}");
        }
        let help = |code: &str| problem(code, false).map(|p| p.help).unwrap_or_default();
        assert!(help("us-east-9").contains("did you mean `us-east-1`?"));
        assert!(help("us-east1").contains("did you mean `us-east-1`?"));
        assert!(help("eu-wset-1").contains("did you mean `eu-west-1`?"));
        assert_eq!(
            problem("us-east-1a", false).map(|p| p.message),
            Some("`us-east-1a` is an availability zone, not a region".to_string())
        );
        // --allow-unknown-region takes a region's shape, nothing else.
        assert_eq!(problem("us-east-9", true), None);
        assert_eq!(problem("xx-middle-7", true), None);
        for bad in [
            "1",
            "true",
            "",
            "us-east",
            "US-EAST-1",
            "us east 1",
            "us--1",
            "useast-1",
            "us-east-1a",
        ] {
            assert!(problem(bad, true).is_some(), "{bad}");
            assert!(!valid_shape(bad), "{bad}");
        }
    }

    #[test]
    fn zones_belong_to_their_region() {
        for (zone, region) in [
            ("us-east-1a", "us-east-1"),
            ("us-east-1f", "us-east-1"),
            ("eu-central-2b", "eu-central-2"),
            ("us-east-1-bos-1a", "us-east-1"),
            ("us-east-1-wl1-bos-wlz-1", "us-east-1"),
            ("us-gov-west-1a", "us-gov-west-1"),
        ] {
            assert!(zone_in_region(zone, region), "{zone} in {region}");
        }
        for (zone, region) in [
            ("us-west-2a", "us-east-1"),
            ("us-east-1", "us-east-1"),
            ("us-east-1ab", "us-east-1"),
            ("us-east-11a", "us-east-1"),
            ("us-east-1A", "us-east-1"),
            ("us-east-1-", "us-east-1"),
        ] {
            assert!(!zone_in_region(zone, region), "{zone} not in {region}");
        }
        assert_eq!(
            region_of_zone("us-west-2a").map(|r| r.code),
            Some("us-west-2")
        );
        assert_eq!(region_of_zone("us-east-11a").map(|r| r.code), None);
        assert_eq!(zone_id_in_region("use1-az1", "us-east-1"), Some(true));
        assert_eq!(zone_id_in_region("use1-bos1-az1", "us-east-1"), Some(true));
        assert_eq!(zone_id_in_region("usw2-az1", "us-east-1"), Some(false));
        assert_eq!(zone_id_in_region("use1-az", "us-east-1"), Some(false));
        assert_eq!(zone_id_in_region("use1-az1", "us-iso-east-1"), None);
        assert_eq!(zone_id_in_region("use1-az1", "xx-middle-7"), None);
    }
}
