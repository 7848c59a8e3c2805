//! Resource kinds: what each kind's document fields are, which of them AWS can change in place,
//! and the checks that need the rest of the stack.
//!
//! Every kind is one module with the same shape:
//! * `INFO`: the kind's name, fields (with their update policy) and extra attributes;
//! * a `…Spec` struct: the fields as written in the documents (serde + JSON Schema);
//! * `impl KindSpec`: its typed references and its stack-wide checks.
//!
//! Adding a kind means adding its module here and one line to `register_kinds!` below, plus
//! its provider module in `strata-aws`.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::de::{DeContext, DeError, from_node_owned};
use crate::diag::Diagnostics;
use crate::source::Span;
use crate::stack::Stack;
use crate::types::{Ref, Tags};
use crate::yaml::Node;

/// Whether a change to a field can be made in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Update {
    /// AWS can change it on the existing resource.
    InPlace,
    /// Changing it means deleting the resource and creating a new one.
    Replace,
}

/// How desired and live values of a field are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// Equal values only.
    Exact,
    /// Lists whose order does not matter.
    Set,
    /// Mappings compared key by key (tags); `ignore_changes: [tags.KEY]` can skip one key.
    Map,
    /// Versions: one the documents give by its leading parts (`16`) matches every release of it
    /// that AWS reports (`16.4`, not `160.1`); otherwise equal values only.
    Version,
}

/// Whether a version the documents give (`16`) names the live one (`16.4`): equal, or its
/// leading dot-separated parts.
pub fn version_covers(wanted: &str, live: &str) -> bool {
    live.strip_prefix(wanted)
        .is_some_and(|rest| rest.is_empty() || (!wanted.is_empty() && rest.starts_with('.')))
}

/// What leaving a field out of the documents means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Omitted {
    /// The documents always hold a value: the field is required, or has a default (shown in
    /// the schema).
    Default,
    /// None: no attachment, no entries, no setting. The live value is compared with nothing,
    /// and a value set before is removed (an internet gateway is detached).
    Unset,
    /// AWS's choice: the resource keeps whatever value it has (what AWS chose when it was
    /// created, or a value written before).
    Kept,
}

/// A field of a kind's document form.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub name: &'static str,
    pub update: Update,
    pub compare: Compare,
    /// What leaving it out means; the planner, the docs and the property tests read it.
    pub omitted: Omitted,
    /// AWS refuses two resources of the kind whose unique fields are all equal (a security
    /// group's VPC and name): a replacement keeping every one of them cannot create the new
    /// copy before deleting the old one.
    pub unique: bool,
    /// A secret AWS takes but never returns (a certificate's private key, a password): its
    /// values are treated as `lifecycle.sensitive` marks them, and it is compared with the
    /// verifier the lockfile recorded when it was sent, never with the live resource.
    pub secret: bool,
    /// Its text may be read from a file next to the document: `FIELD: {file: PATH}`.
    pub from_file: bool,
    /// strata's own setting, not AWS's (a bucket's `force_destroy`): kept in the lockfile
    /// only, read back from its record.
    pub local: bool,
}

impl FieldDef {
    pub const fn in_place(name: &'static str) -> FieldDef {
        FieldDef {
            name,
            update: Update::InPlace,
            compare: Compare::Exact,
            omitted: Omitted::Default,
            unique: false,
            secret: false,
            from_file: false,
            local: false,
        }
    }

    pub const fn replace(name: &'static str) -> FieldDef {
        FieldDef {
            name,
            update: Update::Replace,
            compare: Compare::Exact,
            omitted: Omitted::Default,
            unique: false,
            secret: false,
            from_file: false,
            local: false,
        }
    }

    pub const fn set(self) -> FieldDef {
        FieldDef {
            compare: Compare::Set,
            ..self
        }
    }

    /// Compared as a version ([`Compare::Version`]).
    pub const fn version(self) -> FieldDef {
        FieldDef {
            compare: Compare::Version,
            ..self
        }
    }

    pub const fn map(self) -> FieldDef {
        FieldDef {
            compare: Compare::Map,
            ..self
        }
    }

    /// Leaving it out means none (see [`Omitted::Unset`]).
    pub const fn unset_when_omitted(self) -> FieldDef {
        FieldDef {
            omitted: Omitted::Unset,
            ..self
        }
    }

    /// Leaving it out leaves the live value as it is (see [`Omitted::Kept`]).
    pub const fn kept_when_omitted(self) -> FieldDef {
        FieldDef {
            omitted: Omitted::Kept,
            ..self
        }
    }

    /// One of the fields two copies cannot share all of (see [`FieldDef::unique`]).
    pub const fn unique(self) -> FieldDef {
        FieldDef {
            unique: true,
            ..self
        }
    }

    /// A secret AWS never returns (see [`FieldDef::secret`]).
    pub const fn secret(self) -> FieldDef {
        FieldDef {
            secret: true,
            ..self
        }
    }

    /// Readable from a file (see [`FieldDef::from_file`]).
    pub const fn local(self) -> FieldDef {
        FieldDef {
            local: true,
            ..self
        }
    }

    pub const fn from_file(self) -> FieldDef {
        FieldDef {
            from_file: true,
            ..self
        }
    }
}

/// An attribute AWS computes, readable by other resources as `${name.ATTRIBUTE}`.
#[derive(Debug, Clone, Copy)]
pub struct AttrDef {
    pub name: &'static str,
    pub doc: &'static str,
}

/// Rewrites desired attributes given the region (see [`Policy::desired`]).
pub type Normalize = fn(&mut serde_json::Map<String, serde_json::Value>, &str);

/// Brings one field's value into the one form both sides of a comparison take (see
/// [`Policy::compare`]).
pub type Canon = fn(&serde_json::Value) -> serde_json::Value;

/// What deleting a resource does to its data: from its name and last-seen attributes, the
/// sentence the plan shows (`Policy::on_delete`).
pub type OnDelete = fn(&str, &serde_json::Map<String, serde_json::Value>) -> String;

/// The order of a kind's replacement when `lifecycle.create_before_destroy` does not ask for
/// the new copy first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceOrder {
    /// The old copy is deleted, then the new one created; `lifecycle.create_before_destroy`
    /// reverses that.
    DeleteFirst,
    /// The new copy is created first, always.
    CreateFirst,
    /// Each change registers a new revision of the same resource (ECS task definitions): the new
    /// revision is created first, the old one removed once nothing uses it, and the plan shows
    /// the replacement as a new revision.
    NewRevision,
}

/// A name AWS keeps unique (per account, or per what the kind's other unique fields name)
/// that a document may give as a prefix instead: the new copy's name is then the prefix and a
/// suffix derived from its create's idempotency token ([`name_with_suffix`]), so a replacement
/// can create the new copy first, and a create repeated after a crash makes the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamePrefix {
    /// The name field (`name`).
    pub name: &'static str,
    /// The field giving the prefix instead (`name_prefix`).
    pub prefix: &'static str,
}

/// How a kind is replaced, named and compared. Each kind's `INFO` names only what differs from
/// [`Policy::DEFAULT`].
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The order of a replacement the documents leave to the kind.
    pub replace: ReplaceOrder,
    /// A unique name that may be given as a prefix.
    pub name_prefix: Option<NamePrefix>,
    /// Rewrites desired attributes into the form AWS reports (e.g. a short service name into
    /// `com.amazonaws.REGION.s3`), given the region.
    pub desired: Option<Normalize>,
    /// Fields AWS reports in a form of its own (case, number formatting, address forms,
    /// defaults filled in): each is compared after its function brought the desired, live and
    /// recorded values into one form, so no such difference shows as a change.
    pub compare: &'static [(&'static str, Canon)],
    /// The most ids one read call takes: EC2's filters take 200 values; other services fewer
    /// (ELBv2 describes 20 ARNs, ECS 10 services), and a kind without a batched describe 1.
    pub id_chunk: usize,
    /// A boolean field that, while true, makes AWS refuse the delete (a load balancer's or a
    /// database's `deletion_protection`): a plan that would delete or replace such a resource
    /// is refused, saying how to lift it; strata never turns it off by itself.
    pub delete_protection: Option<&'static str>,
    /// The id follows from the documents (a bucket policy's bucket, an object's bucket and
    /// key), and creating it again writes the same resource: it is read by its recorded id
    /// only, never looked for by tag, and a create repeated after a crash (its record lost)
    /// writes it again instead of adopting it.
    pub id_from_documents: bool,
    /// How long a create, an update or a delete usually takes on AWS, when it is minutes
    /// (`5 to 15 minutes on AWS`): the plan says so beside such a change.
    pub takes: Option<&'static str>,
    /// What deleting a resource of the kind does to the data it holds (`NAME`, its attributes
    /// as last seen): the plan shows it, in red, under a delete or a replacement.
    pub on_delete: Option<OnDelete>,
}

impl Policy {
    /// Delete first, no name prefix, every field compared as it is, ids read in EC2's chunks
    /// of 200.
    pub const DEFAULT: Policy = Policy {
        replace: ReplaceOrder::DeleteFirst,
        name_prefix: None,
        desired: None,
        compare: &[],
        id_chunk: 200,
        delete_protection: None,
        id_from_documents: false,
        takes: None,
        on_delete: None,
    };
}

/// Static facts about a kind.
#[derive(Debug)]
pub struct KindInfo {
    /// The `kind:` value, e.g. `ec2.vpc`.
    pub name: &'static str,
    /// One line for listings and docs.
    pub summary: &'static str,
    /// Document fields, in the order they are shown.
    pub fields: &'static [FieldDef],
    /// Attributes computed by AWS, besides `id` and the fields themselves.
    pub computed: &'static [AttrDef],
    /// Fields applied after the resource exists, whose references to other resources do not
    /// order creation (security group rules naming other groups): two groups may name each
    /// other. Empty for most kinds.
    pub deferred: &'static [&'static str],
    /// Replacement order, name prefix and normalised comparison.
    pub policy: Policy,
}

impl KindInfo {
    pub fn is_deferred(&self, field: &str) -> bool {
        self.deferred.contains(&field)
    }

    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The fields two copies existing at once cannot share all of (empty: no such limit).
    pub fn unique_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| f.unique)
    }

    /// The function bringing `field`'s values into one form before they are compared.
    pub fn canon(&self, field: &str) -> Option<Canon> {
        self.policy
            .compare
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, c)| *c)
    }

    /// True when `${res.ATTR}` is readable: `id`, a field, or a computed attribute.
    pub fn has_attribute(&self, attr: &str) -> bool {
        attr == "id" || self.field(attr).is_some() || self.computed.iter().any(|a| a.name == attr)
    }

    /// Every readable attribute name.
    pub fn attribute_names(&self) -> Vec<&'static str> {
        let mut v = vec!["id"];
        v.extend(self.fields.iter().map(|f| f.name));
        v.extend(self.computed.iter().map(|a| a.name));
        v
    }
}

/// A typed reference held by a spec: `field` must name a resource of one of `kinds`.
#[derive(Debug, Clone, Copy)]
pub struct TypedRef<'a> {
    pub field: &'static str,
    pub target: &'a Ref,
    pub kinds: &'static [&'static str],
    /// Held in a deferred field: orders only that field's application.
    pub soft: bool,
}

impl<'a> TypedRef<'a> {
    /// A reference that must exist before this resource is created.
    pub fn hard(field: &'static str, target: &'a Ref, kinds: &'static [&'static str]) -> Self {
        TypedRef {
            field,
            target,
            kinds,
            soft: false,
        }
    }
}

/// Gets a kind's spec back out of a [`Spec`].
pub trait FromSpec {
    fn from_spec(spec: &Spec) -> Option<&Self>;
}

/// The behaviour every kind's spec provides.
pub trait KindSpec: FromSpec + Sized + Clone + Serialize + DeserializeOwned + JsonSchema {
    fn info() -> &'static KindInfo;

    /// References to other resources, checked for existence and kind.
    fn refs(&self) -> Vec<TypedRef<'_>> {
        Vec::new()
    }

    /// The resource's own tags, if the kind has tags.
    fn tags(&self) -> Option<&Tags> {
        None
    }

    /// Regions the resource names besides the stack's (a peering's `peer_region`): each must
    /// be one AWS has.
    fn regions(&self) -> Vec<&crate::spanned::Spanned<String>> {
        Vec::new()
    }

    /// Availability zones the resource names: each must be in the stack's region.
    fn zones(&self) -> Vec<crate::regions::Zone<'_>> {
        Vec::new()
    }

    /// Checks on this kind that need the rest of the stack (e.g. a subnet inside its VPC).
    /// Called once per kind with the whole stack, after references were checked.
    fn check(_stack: &Stack, _diags: &mut Diagnostics) {}

    /// Orderings AWS requires that no field states: `(from, to, place)` means `from` must be
    /// created after, and deleted before, `to`. Called once per kind with the whole stack.
    fn implicit(_stack: &Stack) -> Vec<(String, String, crate::source::Span)> {
        Vec::new()
    }
}

macro_rules! register_kinds {
    ($($variant:ident($module:ident::$ty:ident)),* $(,)?) => {
        $(pub mod $module;)*

        /// A resource's document fields, typed by kind.
        #[derive(Debug, Clone)]
        pub enum Spec {
            $($variant($module::$ty),)*
        }

        /// Every kind strata knows.
        pub fn all() -> &'static [&'static KindInfo] {
            static ALL: &[&KindInfo] = &[$(&$module::INFO,)*];
            ALL
        }

        impl Spec {
            pub fn info(&self) -> &'static KindInfo {
                match self {
                    $(Spec::$variant(_) => &$module::INFO,)*
                }
            }

            /// The fields as a JSON object; references appear as `${name.id}`.
            pub fn to_attrs(&self) -> serde_json::Value {
                let v = match self {
                    $(Spec::$variant(s) => serde_json::to_value(s),)*
                };
                // Specs hold strings, numbers, booleans, lists and string-keyed maps only.
                v.unwrap_or(serde_json::Value::Null)
            }

            pub fn tags(&self) -> Option<&Tags> {
                match self {
                    $(Spec::$variant(s) => s.tags(),)*
                }
            }

            pub fn refs(&self) -> Vec<TypedRef<'_>> {
                match self {
                    $(Spec::$variant(s) => s.refs(),)*
                }
            }

            pub fn regions(&self) -> Vec<&crate::spanned::Spanned<String>> {
                match self {
                    $(Spec::$variant(s) => s.regions(),)*
                }
            }

            pub fn zones(&self) -> Vec<crate::regions::Zone<'_>> {
                match self {
                    $(Spec::$variant(s) => s.zones(),)*
                }
            }

            /// Reads a spec of kind `kind`; `None` when no such kind exists.
            pub(crate) fn parse(kind: &str, node: &Node, ctx: &DeContext, owner: Span) -> Option<Result<Spec, DeError>> {
                $(
                    if kind == $module::INFO.name {
                        return Some(from_node_owned::<$module::$ty>(node, ctx, Some(owner)).map(Spec::$variant));
                    }
                )*
                None
            }
        }

        $(
            impl FromSpec for $module::$ty {
                fn from_spec(spec: &Spec) -> Option<&Self> {
                    #[allow(irrefutable_let_patterns)]
                    if let Spec::$variant(s) = spec { Some(s) } else { None }
                }
            }
        )*

        pub(crate) fn implicit_all(stack: &Stack) -> Vec<(String, String, Span)> {
            let mut v = Vec::new();
            $(v.extend(<$module::$ty as KindSpec>::implicit(stack));)*
            v
        }

        pub(crate) fn check_all(stack: &Stack, diags: &mut Diagnostics) {
            $(<$module::$ty as KindSpec>::check(stack, diags);)*
        }

        /// The JSON Schema of each kind's fields.
        pub fn schemas(generator: &mut SchemaGenerator) -> Vec<(&'static KindInfo, Schema)> {
            vec![$((&$module::INFO, <$module::$ty as JsonSchema>::json_schema(generator)),)*]
        }
    };
}

register_kinds! {
    Vpc(vpc::VpcSpec),
    Subnet(subnet::SubnetSpec),
    InternetGateway(internet_gateway::InternetGatewaySpec),
    Eip(eip::EipSpec),
    NatGateway(nat_gateway::NatGatewaySpec),
    RouteTable(route_table::RouteTableSpec),
    SecurityGroup(security_group::SecurityGroupSpec),
    PrefixList(prefix_list::PrefixListSpec),
    VpcEndpoint(vpc_endpoint::VpcEndpointSpec),
    VpcPeeringConnection(vpc_peering_connection::VpcPeeringConnectionSpec),
    TransitGateway(transit_gateway::TransitGatewaySpec),
    TransitGatewayVpcAttachment(transit_gateway_vpc_attachment::TransitGatewayVpcAttachmentSpec),
    TransitGatewayRouteTable(transit_gateway_route_table::TransitGatewayRouteTableSpec),
    LoadBalancer(load_balancer::LoadBalancerSpec),
    TargetGroup(target_group::TargetGroupSpec),
    Listener(listener::ListenerSpec),
    ListenerRule(listener_rule::ListenerRuleSpec),
    ServerCertificate(server_certificate::ServerCertificateSpec),
    Role(role::RoleSpec),
    Bucket(bucket::BucketSpec),
    BucketPolicy(bucket_policy::BucketPolicySpec),
    Object(object::ObjectSpec),
    OriginAccessControl(origin_access_control::OriginAccessControlSpec),
    OriginAccessIdentity(origin_access_identity::OriginAccessIdentitySpec),
    Distribution(distribution::DistributionSpec),
    DbSubnetGroup(db_subnet_group::DbSubnetGroupSpec),
    DbClusterParameterGroup(db_cluster_parameter_group::DbClusterParameterGroupSpec),
    DbCluster(db_cluster::DbClusterSpec),
    DbClusterInstance(db_cluster_instance::DbClusterInstanceSpec),
    LogGroup(log_group::LogGroupSpec),
    EcsCluster(ecs_cluster::EcsClusterSpec),
    EcsTaskDefinition(ecs_task_definition::EcsTaskDefinitionSpec),
    EcsService(ecs_service::EcsServiceSpec),
    AutoscalingTarget(autoscaling_target::AutoscalingTargetSpec),
    AutoscalingPolicy(autoscaling_policy::AutoscalingPolicySpec),
}

/// Looks a kind up by name.
pub fn find(name: &str) -> Option<&'static KindInfo> {
    all().iter().copied().find(|k| k.name == name)
}

/// True when `r` names a VPC: an `ec2.vpc` of the stack, or one outside it by its id. Checks
/// that compare VPCs skip references that name nothing or something else (those are reported
/// as such), so that one mistake is not reported twice.
pub(crate) fn names_vpc(stack: &Stack, r: &Ref) -> bool {
    r.is_external() || stack.spec::<vpc::VpcSpec>(r.name()).is_some()
}

/// The shape of a unique name AWS accepts: its most characters and the characters allowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameRule {
    /// What is named, for messages (`load balancer`).
    pub what: &'static str,
    pub max: usize,
    /// Whether a name, or a prefix, is made of allowed characters.
    pub valid: fn(&str) -> bool,
    /// The allowed characters, for the help text.
    pub allowed: &'static str,
}

/// Exactly one of `name` and `name_prefix`, each of the shape `rule` allows (a prefix leaving
/// room for strata's [`NAME_SUFFIX_LEN`] characters).
pub(crate) fn check_name_or_prefix(
    resource: Span,
    name: Option<&crate::spanned::Spanned<String>>,
    prefix: Option<&crate::spanned::Spanned<String>>,
    rule: NameRule,
    diags: &mut Diagnostics,
) {
    use crate::diag::Diagnostic;
    let what = rule.what;
    match (name, prefix) {
        (Some(n), Some(p)) => diags.push(
            Diagnostic::error("strata::conflicting_fields", "give `name` or `name_prefix`, not both")
                .at(p.span, "`name_prefix` here")
                .also(n.span, "`name` here")
                .help("keep `name` for a fixed name, or `name_prefix` for a name strata completes with a suffix of its own"),
        ),
        (None, None) => diags.push(
            Diagnostic::error("strata::missing_field", format!("a {what} needs `name` or `name_prefix`"))
                .at(resource, "no `name`")
                .help("add `name: web`, or `name_prefix: web-` for a name strata completes with a suffix of its own"),
        ),
        (Some(n), None) => {
            let v = &n.value;
            if v.is_empty() || v.len() > rule.max || !(rule.valid)(v) {
                diags.push(
                    Diagnostic::error("strata::invalid_value", format!("`{v}` is not a valid {what} name"))
                        .at(n.span, "invalid name")
                        .help(format!("1 to {} characters: {}", rule.max, rule.allowed)),
                );
            }
        }
        (None, Some(p)) => {
            let v = &p.value;
            let room = rule.max - NAME_SUFFIX_LEN;
            // Checked as the names it makes: the prefix and a suffix of strata's (hex digits).
            let made = format!("{v}{}", "0".repeat(NAME_SUFFIX_LEN));
            if v.is_empty() || v.len() > room || !(rule.valid)(&made) {
                diags.push(
                    Diagnostic::error("strata::invalid_value", format!("`{v}` is not a valid {what} name prefix"))
                        .at(p.span, "invalid name prefix")
                        .help(format!(
                            "1 to {room} characters (strata adds {NAME_SUFFIX_LEN}): {}",
                            rule.allowed
                        )),
                );
            }
        }
    }
}

pub(crate) fn default_true() -> bool {
    true
}

/// The desired values in AWS's form for a kind whose names AWS keeps lower-case (RDS): `name`
/// and `name_prefix` lower-cased, so that `AWSCookbook401` compares equal to the
/// `awscookbook401` RDS answers.
pub(crate) fn lower_case_name(
    attrs: &mut serde_json::Map<String, serde_json::Value>,
    _region: &str,
) {
    for key in ["name", "name_prefix", "identifier", "identifier_prefix"] {
        // A name holding a reference is left as it is (its value is known after apply).
        if let Some(serde_json::Value::String(n)) = attrs.get_mut(key)
            && !n.contains("${")
        {
            *n = n.to_lowercase();
        }
    }
}

/// The availability zone of each subnet, where the stack gives it (a subnet of the stack that
/// names its zone); `None` for a subnet outside the stack or without one.
pub(crate) fn zones_of<'a>(stack: &'a Stack, subnets: &[Ref]) -> Vec<Option<&'a str>> {
    subnets
        .iter()
        .map(|s| {
            stack
                .spec::<subnet::SubnetSpec>(s.name())
                .and_then(|sub| sub.availability_zone.as_ref())
                .map(|z| z.value.as_str())
        })
        .collect()
}

/// An IPv6 block in the text AWS answers with (RFC 5952: lower case, leading zeros dropped,
/// the longest run of zero groups as `::`), so that `2001:DB8:0:0::/48` as written compares
/// equal to `2001:db8::/48` as read back. Text that is not a block (validation reports it) is
/// kept as written.
pub fn canonical_ipv6(text: &str) -> String {
    text.parse::<ipnet::Ipv6Net>()
        .map_or_else(|_| text.to_string(), |net| net.to_string())
}

/// How many characters [`name_with_suffix`] adds.
pub const NAME_SUFFIX_LEN: usize = 8;

/// `prefix` and a suffix of [`NAME_SUFFIX_LEN`] lower-case hex digits derived from `token`
/// (its SHA-256): the name a create with this idempotency token gives a resource whose
/// documents give a name prefix. The token is journaled before the call and reused by the run
/// after a crash, so the name is chosen once.
pub fn name_with_suffix(prefix: &str, token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{}", &hex[..NAME_SUFFIX_LEN])
}

/// Whether `name` is `prefix` followed by a suffix of the form [`name_with_suffix`] makes.
pub fn has_name_prefix(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == NAME_SUFFIX_LEN
            && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// An IPv4 or IPv6 block in the text AWS answers with: an IPv4 block from its network address
/// (`10.0.0.1/16` is `10.0.0.0/16`, as AWS stores it), an IPv6 block as [`canonical_ipv6`].
/// Text that is not a block is kept.
pub fn canonical_cidr(text: &str) -> String {
    if let Ok(net) = text.parse::<ipnet::Ipv4Net>() {
        return net.trunc().to_string();
    }
    canonical_ipv6(text)
}

/// `f` on each item of a list (a [`Canon`] of a list field); anything else is kept.
pub(crate) fn each(
    v: &serde_json::Value,
    f: impl Fn(&serde_json::Value) -> serde_json::Value,
) -> serde_json::Value {
    match v {
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(f).collect()),
        other => other.clone(),
    }
}

/// A policy as a JSON document (a [`Canon`]): AWS answers a string, the documents hold a
/// mapping; compared as documents, AWS's reformatting never shows as a change. Text that is
/// not JSON is kept.
pub fn json_document(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    }
}

/// Each value of a mapping of policies (a role's inline policies by name) as
/// [`json_document`] (a [`Canon`]); anything else is kept.
pub fn json_documents(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, d)| (k.clone(), json_document(d)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// An IAM path: `/`, or names between slashes (`/cloudfront/`), 512 characters at most.
pub(crate) fn check_iam_path(path: &crate::spanned::Spanned<String>, diags: &mut Diagnostics) {
    let p = &path.value;
    if !p.starts_with('/') || !p.ends_with('/') || p.len() > 512 {
        diags.push(
            crate::diag::Diagnostic::error(
                "strata::invalid_value",
                format!("`{p}` is not an IAM path"),
            )
            .at(path.span, "not a path")
            .help("start and end it with `/`, e.g. `/` or `/cloudfront/`"),
        );
    }
}

/// Rewrites the text of `m[key]`, if it is text, with `f`.
pub(crate) fn canon_field(
    m: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    f: impl Fn(&str) -> String,
) {
    if let Some(serde_json::Value::String(s)) = m.get(key) {
        let c = f(s);
        m.insert(key.to_string(), serde_json::Value::String(c));
    }
}
