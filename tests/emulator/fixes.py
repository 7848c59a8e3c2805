"""Corrections to moto (the pinned version) where it answers unlike AWS in ways strata's tests
would otherwise have to work around. Each one is listed in docs/emulator.md.

Imported by serve.py before the server starts.
"""

from moto.core.responses import ActionResult
from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRouteTableBackend
from moto.ec2.responses.transit_gateway_route_tables import TransitGatewayRouteTable
from moto.utilities.utils import str2bool

# 1. A static transit gateway route names its attachment in a list, `TransitGatewayAttachments`;
#    moto stores a single dict there, which serializes as an empty list.
_create_route = TransitGatewayRouteTableBackend.create_transit_gateway_route


def _create_transit_gateway_route(self, *args, **kwargs):
    route = _create_route(self, *args, **kwargs)
    attachment = route.get("transitGatewayAttachments")
    if isinstance(attachment, dict):
        route["transitGatewayAttachments"] = [attachment]
    return route


TransitGatewayRouteTableBackend.create_transit_gateway_route = _create_transit_gateway_route


# 2. ReplaceTransitGatewayRoute is not implemented by moto: do what AWS does, in one call.
def _replace_transit_gateway_route(self):
    table = self._get_param("TransitGatewayRouteTableId")
    destination = self._get_param("DestinationCidrBlock")
    attachment = self._get_param("TransitGatewayAttachmentId")
    blackhole = str2bool(self._get_param("Blackhole"))
    existing = self.ec2_backend.transit_gateways_route_tables.get(table)
    if existing is not None and destination in existing.routes:
        self.ec2_backend.delete_transit_gateway_route(
            transit_gateway_route_table_id=table, destination_cidr_block=destination
        )
    route = self.ec2_backend.create_transit_gateway_route(
        transit_gateway_route_table_id=table,
        destination_cidr_block=destination,
        transit_gateway_attachment_id=attachment,
        blackhole=blackhole,
    )
    return ActionResult({"route": route})


TransitGatewayRouteTable.replace_transit_gateway_route = _replace_transit_gateway_route


# 3. CreateTransitGatewayVpcAttachment reads its tags from the wrong tag specification
#    ("transit-gateway-route-table" instead of "transit-gateway-attachment"), so the
#    attachment is created untagged.
from moto.ec2.responses.transit_gateway_attachments import TransitGatewayAttachment  # noqa: E402


def _create_transit_gateway_vpc_attachment(self):
    tags = self._parse_tag_specification().get("transit-gateway-attachment", {})
    attachment = self.ec2_backend.create_transit_gateway_vpc_attachment(
        transit_gateway_id=self._get_param("TransitGatewayId"),
        tags=tags,
        vpc_id=self._get_param("VpcId"),
        subnet_ids=self._get_param("SubnetIds", []),
        options=self._get_param("Options", {}),
    )
    return ActionResult({"TransitGatewayVpcAttachment": attachment})


TransitGatewayAttachment.create_transit_gateway_vpc_attachment = _create_transit_gateway_vpc_attachment


# 4. Deleting a transit gateway deletes its default route table on AWS; moto leaves the table
#    behind (in state available), so tables pile up across runs.
from moto.ec2.models.transit_gateway import TransitGatewayBackend  # noqa: E402

_delete_transit_gateway = TransitGatewayBackend.delete_transit_gateway


def _delete_transit_gateway_and_its_default_table(self, transit_gateway_id):
    tgw = _delete_transit_gateway(self, transit_gateway_id)
    default = (getattr(tgw, "options", None) or {}).get("AssociationDefaultRouteTableId")
    table = self.transit_gateways_route_tables.get(default) if default else None
    if table is not None:
        table.state = "deleted"
    return tgw


TransitGatewayBackend.delete_transit_gateway = _delete_transit_gateway_and_its_default_table


# 5. ClientToken: a create repeated with the same token answers what the first one did, as on AWS
#    (moto ignores the token and creates a second resource, or fails: a second NAT gateway finds
#    its Elastic IP taken). The same token with other parameters is AWS's
#    IdempotentParameterMismatch. The SDK sends a create again when its answer is lost.
import threading  # noqa: E402

from moto.ec2.exceptions import EC2ClientError  # noqa: E402
from moto.ec2.responses import EC2Response  # noqa: E402

_TOKENS = {}
_TOKENS_LOCK = threading.Lock()
_call_action = EC2Response.call_action


def _call_action_once_per_token(self):
    token = (self.querystring.get("ClientToken") or [None])[0]
    if not token:
        return _call_action(self)
    action = (self.querystring.get("Action") or [""])[0]
    key = (self.current_account, self.region, action, token)
    params = sorted(
        (k, tuple(v)) for k, v in self.querystring.items() if k not in ("ClientToken", "Version")
    )
    with _TOKENS_LOCK:
        seen = _TOKENS.get(key)
        if seen is not None:
            if seen[0] != params:
                mismatch = EC2ClientError(
                    "IdempotentParameterMismatch",
                    "The request uses the same client token as a previous, but non-identical "
                    "request. Do not reuse a client token with different requests, unless the "
                    "requests are identical.",
                )
                return self.serialized(ActionResult(mismatch))
            return seen[1]
        answer = _call_action(self)
        if int(answer[0]) == 200:
            _TOKENS[key] = (params, answer)
        return answer


EC2Response.call_action = _call_action_once_per_token


# 6. Repeats of calls that already acted are refused as on AWS (the SDK repeats a call whose
#    answer was lost; strata treats these refusals as "already done" after checking). moto
#    accepts most of them and does the work twice, or fails with HTTP 500 (a KeyError).
from moto.ec2.models.route_tables import RouteBackend  # noqa: E402
from moto.ec2.models.transit_gateway_attachments import (  # noqa: E402
    TransitGatewayAttachmentBackend,
)
from moto.ec2.models.vpcs import VPCBackend  # noqa: E402


def _wrap(cls, name, check):
    """Runs `check(self, *args, **kwargs)` (which raises AWS's refusal) before the method."""
    original = getattr(cls, name)

    def method(self, *args, **kwargs):
        check(self, *args, **kwargs)
        return original(self, *args, **kwargs)

    setattr(cls, name, method)


def _arg(args, kwargs, i, name):
    return kwargs[name] if name in kwargs else (args[i] if len(args) > i else None)


# 6a. AssociateVpcCidrBlock with a block the VPC already has (moto: associated twice). AWS
#     refuses an overlapping block; its code for this exact case is not documented.
def _cidr_already_there(self, *args, **kwargs):
    vpc_id, cidr = _arg(args, kwargs, 0, "vpc_id"), _arg(args, kwargs, 1, "cidr_block")
    vpc = self.vpcs.get(vpc_id)
    if vpc is None or not cidr:
        return
    for a in vpc._cidr_block_association_set.values():
        if a.get("cidr_block") == cidr and a["cidr_block_state"]["state"] in (
            "associated",
            "associating",
        ):
            raise EC2ClientError(
                "InvalidVpc.Range",
                f"The CIDR '{cidr}' conflicts with another CIDR block associated with {vpc_id}.",
            )


_wrap(VPCBackend, "associate_vpc_cidr_block", _cidr_already_there)


# 6b. DisassociateVpcCidrBlock of an association already disassociated (moto: it removes the
#     block's local routes again and fails with InvalidRoute.NotFound).
def _cidr_already_gone(self, association_id):
    for vpc in self.vpcs.values():
        a = vpc._cidr_block_association_set.get(association_id)
        if a is not None and a["cidr_block_state"]["state"] == "disassociated":
            raise EC2ClientError(
                "InvalidVpcCidrBlockAssociationID.NotFound",
                f"The vpc CIDR block association ID '{association_id}' does not exist",
            )


_wrap(VPCBackend, "disassociate_vpc_cidr_block", _cidr_already_gone)


# 6c. AssociateRouteTable for a subnet that already has an explicit association, with this
#     table or another (moto: answers the existing association, whichever table has it).
def _subnet_already_associated(self, route_table_id, gateway_id=None, subnet_id=None):
    if not subnet_id:
        return
    for table in self.route_tables.values():
        if subnet_id in table._associations.values():
            raise EC2ClientError(
                "Resource.AlreadyAssociated",
                f"the specified association for route table {route_table_id} conflicts with "
                "an existing association",
            )


_wrap(RouteBackend, "associate_route_table", _subnet_already_associated)


# 6d. DeleteVpcEndpoints of an endpoint already deleted (moto: removes its routes again and
#     fails with InvalidRoute.NotFound). AWS answers such ids in `Unsuccessful`; here they are
#     left alone.
_delete_vpc_endpoints = VPCBackend.delete_vpc_endpoints


def _delete_vpc_endpoints_once(self, vpce_ids=None):
    live = [
        i
        for i in vpce_ids or []
        if getattr(self.vpc_end_points.get(i), "state", "deleted") != "deleted"
    ]
    return _delete_vpc_endpoints(self, live)


VPCBackend.delete_vpc_endpoints = _delete_vpc_endpoints_once


# 6e. Transit gateways. Deleting what is already gone answers AWS's NotFound codes (moto: HTTP
#     500). An attachment has one route table: associating an associated one is
#     Resource.AlreadyAssociated (moto: a second association); enabling a propagation twice is
#     TransitGatewayRouteTablePropagation.Duplicate (moto: listed twice); a static route to a
#     destination the table has is RouteAlreadyExists (moto: overwritten); adding a subnet the
#     attachment has is DuplicateSubnetsInSameZone (moto: listed twice).
def _tgw_exists(self, transit_gateway_id):
    if transit_gateway_id not in self.transit_gateways:
        raise EC2ClientError(
            "InvalidTransitGatewayID.NotFound",
            f"Transit gateway {transit_gateway_id} was deleted or does not exist.",
        )


_wrap(TransitGatewayBackend, "delete_transit_gateway", _tgw_exists)


def _attachment_exists(self, transit_gateway_attachment_id):
    if transit_gateway_attachment_id not in self.transit_gateway_attachments:
        raise EC2ClientError(
            "InvalidTransitGatewayAttachmentID.NotFound",
            f"Transit Gateway Attachment {transit_gateway_attachment_id} not found.",
        )


_wrap(
    TransitGatewayAttachmentBackend, "delete_transit_gateway_vpc_attachment", _attachment_exists
)


def _table_of(self, attachment_id):
    for table in self.transit_gateways_route_tables.values():
        if attachment_id in table.route_table_associations:
            return table.id
    return None


def _not_yet_associated(self, transit_gateway_attachment_id, transit_gateway_route_table_id):
    if _table_of(self, transit_gateway_attachment_id) is not None:
        raise EC2ClientError(
            "Resource.AlreadyAssociated",
            f"Transit Gateway Attachment {transit_gateway_attachment_id} is already associated "
            "to a route table.",
        )


_wrap(TransitGatewayRouteTableBackend, "associate_transit_gateway_route_table", _not_yet_associated)


def _associated(self, tgw_attach_id, tgw_rt_id):
    table = self.transit_gateways_route_tables.get(tgw_rt_id)
    if table is None or tgw_attach_id not in table.route_table_associations:
        raise EC2ClientError(
            "InvalidAssociation.NotFound",
            f"Association {tgw_attach_id} not found in Transit Gateway Route Table {tgw_rt_id}.",
        )


_wrap(TransitGatewayRouteTableBackend, "disassociate_transit_gateway_route_table", _associated)


def _propagating(self, transit_gateway_attachment_id, transit_gateway_route_table_id):
    table = self.transit_gateways_route_tables.get(transit_gateway_route_table_id)
    return table is not None and any(
        p.transitGatewayAttachmentId == transit_gateway_attachment_id
        for p in table.route_table_propagation
    )


def _not_yet_propagating(self, transit_gateway_attachment_id, transit_gateway_route_table_id):
    if _propagating(self, transit_gateway_attachment_id, transit_gateway_route_table_id):
        raise EC2ClientError(
            "TransitGatewayRouteTablePropagation.Duplicate",
            f"Propagation {transit_gateway_attachment_id} already exists in Transit Gateway "
            f"Route Table {transit_gateway_route_table_id}.",
        )


def _still_propagating(self, transit_gateway_attachment_id, transit_gateway_route_table_id):
    if not _propagating(self, transit_gateway_attachment_id, transit_gateway_route_table_id):
        raise EC2ClientError(
            "TransitGatewayRouteTablePropagation.NotFound",
            f"Propagation {transit_gateway_attachment_id} not found in Transit Gateway Route "
            f"Table {transit_gateway_route_table_id}.",
        )


_wrap(
    TransitGatewayRouteTableBackend,
    "enable_transit_gateway_route_table_propagation",
    _not_yet_propagating,
)
_wrap(
    TransitGatewayRouteTableBackend,
    "disable_transit_gateway_route_table_propagation",
    _still_propagating,
)


def _has_route(self, transit_gateway_route_table_id, destination_cidr_block):
    table = self.transit_gateways_route_tables.get(transit_gateway_route_table_id)
    return table is not None and destination_cidr_block in table.routes


def _route_is_new(self, transit_gateway_route_table_id, destination_cidr_block, *args, **kwargs):
    if _has_route(self, transit_gateway_route_table_id, destination_cidr_block):
        raise EC2ClientError(
            "RouteAlreadyExists",
            f"Route {destination_cidr_block} already exists in Transit Gateway Route Table "
            f"{transit_gateway_route_table_id}.",
        )


def _route_exists(self, transit_gateway_route_table_id, destination_cidr_block):
    if not _has_route(self, transit_gateway_route_table_id, destination_cidr_block):
        raise EC2ClientError(
            "InvalidRoute.NotFound",
            f"No route with destination-cidr-block {destination_cidr_block} in Transit Gateway "
            f"Route Table {transit_gateway_route_table_id}.",
        )


_wrap(TransitGatewayRouteTableBackend, "create_transit_gateway_route", _route_is_new)
_wrap(TransitGatewayRouteTableBackend, "delete_transit_gateway_route", _route_exists)


def _subnets_are_new(self, transit_gateway_attachment_id, add_subnet_ids=None, *args, **kwargs):
    attachment = self.transit_gateway_attachments.get(transit_gateway_attachment_id)
    have = getattr(attachment, "subnet_ids", [])
    twice = [s for s in add_subnet_ids or [] if s in have]
    if twice:
        raise EC2ClientError(
            "DuplicateSubnetsInSameZone",
            f"Duplicate Subnets for same AZ: {', '.join(twice)}",
        )


_wrap(
    TransitGatewayAttachmentBackend, "modify_transit_gateway_vpc_attachment", _subnets_are_new
)


# 7. A new VPC attachment is associated with the gateway's default route table only when the
#    gateway's DefaultRouteTableAssociation is enabled, as on AWS (moto always associates it,
#    which made a second association look legal).
_create_vpc_attachment = TransitGatewayAttachmentBackend.create_transit_gateway_vpc_attachment


def _create_vpc_attachment_as_configured(self, *args, **kwargs):
    attachment = _create_vpc_attachment(self, *args, **kwargs)
    tgw = self.transit_gateways.get(attachment.transit_gateway_id)
    options = getattr(tgw, "options", None) or {}
    if options.get("DefaultRouteTableAssociation") != "enable":
        table = self.transit_gateways_route_tables.get(
            options.get("AssociationDefaultRouteTableId")
        )
        if table is not None:
            table.route_table_associations.pop(attachment.id, None)
        attachment._association_data = {}
    return attachment


TransitGatewayAttachmentBackend.create_transit_gateway_vpc_attachment = (
    _create_vpc_attachment_as_configured
)


# 8. VPC endpoints as ModifyVpcEndpoint changes them. On AWS each subnet of an interface
#    endpoint holds one network interface of the endpoint (requester-managed, type
#    `vpc_endpoint`), which carries the endpoint's security groups (the VPC's default group when
#    none is given); ModifyVpcEndpoint adds and removes those interfaces with the subnets, moves
#    them to new groups, turns private DNS on or off, and adds or removes a gateway endpoint's
#    route in the route tables added or removed. moto gives the interfaces the default group
#    only, makes none for subnets added later, keeps those of removed subnets, ignores
#    PrivateDnsEnabled, and leaves route tables' routes as they were at create.
from moto.ec2.models.vpcs import VPCBackend  # noqa: E402
from moto.ec2.responses.vpcs import VPCs  # noqa: E402


def _is_interface(endpoint):
    return (endpoint.vpc_endpoint_type or "").lower() == "interface"


def _sync_endpoint_interfaces(backend, endpoint):
    if not endpoint.security_group_ids:
        default = backend.get_default_security_group(endpoint.vpc_id)
        if default is not None:
            endpoint.security_group_ids = [default.id]
    groups = [g for g in map(backend.get_security_group_from_id, endpoint.security_group_ids) if g]
    subnets = list(endpoint.subnet_ids or [])
    kept = {}
    for eni_id in endpoint.network_interface_ids:
        eni = backend.enis.get(eni_id)
        if eni is not None and eni.subnet.id in subnets and eni.subnet.id not in kept:
            kept[eni.subnet.id] = eni_id
        else:
            backend.enis.pop(eni_id, None)
    for subnet_id in subnets:
        if subnet_id not in kept:
            kept[subnet_id] = backend.create_network_interface(subnet_id, None).id
    endpoint.network_interface_ids = list(kept.values())
    for eni_id in endpoint.network_interface_ids:
        eni = backend.enis[eni_id]
        eni.description = f"VPC Endpoint Interface {endpoint.id}"
        eni.requester_managed = True
        eni.interface_type = "vpc_endpoint"
        eni.status = "in-use"
        eni._group_set = list(groups)


_create_vpc_endpoint = VPCBackend.create_vpc_endpoint


def _create_vpc_endpoint_with_interfaces(self, *args, **kwargs):
    endpoint = _create_vpc_endpoint(self, *args, **kwargs)
    if _is_interface(endpoint):
        _sync_endpoint_interfaces(self, endpoint)
    return endpoint


_modify_vpc_endpoint = VPCBackend.modify_vpc_endpoint


def _sync_endpoint_routes(backend, endpoint, before):
    pl = endpoint.destination_prefix_list_id
    if not pl:
        return
    after = list(endpoint.route_table_ids or [])
    for table in before:
        if table not in after:
            try:
                backend.delete_route(table, None, destination_prefix_list_id=pl)
            except Exception:  # the route was removed already
                pass
    for table in after:
        if table not in before:
            backend.create_route(table, None, destination_prefix_list_id=pl, gateway_id=endpoint.id)


def _modify_vpc_endpoint_as_aws(self, *args, private_dns_enabled=None, **kwargs):
    endpoint = self.vpc_end_points[kwargs.get("vpc_id") or args[0]]
    tables_before = list(endpoint.route_table_ids or [])
    _modify_vpc_endpoint(self, *args, **kwargs)
    if private_dns_enabled is not None:
        endpoint.private_dns_enabled = private_dns_enabled
    if _is_interface(endpoint):
        _sync_endpoint_interfaces(self, endpoint)
    else:
        _sync_endpoint_routes(self, endpoint, tables_before)


def _modify_vpc_endpoint_response(self):
    self.ec2_backend.modify_vpc_endpoint(
        vpc_id=self._get_param("VpcEndpointId"),
        policy_doc=self._get_param("PolicyDocument"),
        add_subnets=self._get_param("AddSubnetIds", []),
        remove_subnets=self._get_param("RemoveSubnetIds", []),
        add_route_tables=self._get_param("AddRouteTableIds", []),
        remove_route_tables=self._get_param("RemoveRouteTableIds", []),
        add_security_groups=self._get_param("AddSecurityGroupIds", []),
        remove_security_groups=self._get_param("RemoveSecurityGroupIds", []),
        private_dns_enabled=self._get_bool_param("PrivateDnsEnabled"),
    )
    return ActionResult({"Return": True})


VPCBackend.create_vpc_endpoint = _create_vpc_endpoint_with_interfaces
VPCBackend.modify_vpc_endpoint = _modify_vpc_endpoint_as_aws
VPCs.modify_vpc_endpoint = _modify_vpc_endpoint_response


# 9. IPv6 blocks in security-group rules and route destinations. EC2 stores an IPv6 CIDR block
#    in its canonical text (RFC 5952: lower case, leading zeros dropped, the longest run of
#    zero groups as `::`) and answers with that; moto keeps the text as sent.
import ipaddress  # noqa: E402

import moto.ec2.responses.security_groups as _sg_responses  # noqa: E402
from moto.ec2.models.route_tables import RouteBackend  # noqa: E402


def _canonical_ipv6(text):
    try:
        return str(ipaddress.IPv6Interface(text)) if text else text
    except ValueError:
        return text


_parse_sg_attributes = _sg_responses.parse_sg_attributes_from_dict


def _parse_sg_attributes_canonical(attributes):
    parsed = _parse_sg_attributes(attributes)
    for r in parsed[3]:
        if r.get("CidrIpv6"):
            r["CidrIpv6"] = _canonical_ipv6(r["CidrIpv6"])
    return parsed


_sg_responses.parse_sg_attributes_from_dict = _parse_sg_attributes_canonical


def _with_canonical_ipv6_destination(method):
    def patched(self, route_table_id, destination_cidr_block, destination_ipv6_cidr_block=None, *args, **kwargs):
        return method(
            self, route_table_id, destination_cidr_block, _canonical_ipv6(destination_ipv6_cidr_block), *args, **kwargs
        )

    return patched


for _name in ("create_route", "replace_route", "delete_route"):
    setattr(RouteBackend, _name, _with_canonical_ipv6_destination(getattr(RouteBackend, _name)))

# The Amazon-provided block of a VPC too: moto's random block keeps leading zeros
# (`2400:6500:0a3f:0600::/56`), so a route to it and the VPC's own block read differently.
import moto.ec2.models.vpcs as _vpcs_models  # noqa: E402

_random_ipv6_cidr = _vpcs_models.random_ipv6_cidr
_vpcs_models.random_ipv6_cidr = lambda: _canonical_ipv6(_random_ipv6_cidr())


# 10. ReplaceRoute takes VpcEndpointId (a Gateway Load Balancer endpoint as the target), as
#    CreateRoute does; moto ignores it, and a replaced route kept its old endpoint target.
from moto.core.responses import EmptyResult  # noqa: E402
from moto.ec2.exceptions import RouteNotSupportedError  # noqa: E402
from moto.ec2.responses.route_tables import RouteTables  # noqa: E402

_replace_route = RouteBackend.replace_route


def _replace_route_with_endpoint(self, *args, vpc_endpoint_id=None, **kwargs):
    if vpc_endpoint_id:
        endpoint = self.describe_vpc_endpoints(vpc_end_point_ids=[vpc_endpoint_id])[0]
        if endpoint.vpc_endpoint_type != "GatewayLoadBalancer":
            raise RouteNotSupportedError(vpc_endpoint_id)
    route = _replace_route(self, *args, **kwargs)
    route.vpc_endpoint_id = vpc_endpoint_id
    return route


def _replace_route_response(self):
    self.ec2_backend.replace_route(
        self._get_param("RouteTableId"),
        self._get_param("DestinationCidrBlock"),
        self._get_param("DestinationIpv6CidrBlock"),
        self._get_param("DestinationPrefixListId"),
        self._get_param("NatGatewayId"),
        self._get_param("EgressOnlyInternetGatewayId"),
        self._get_param("TransitGatewayId"),
        gateway_id=self._get_param("GatewayId"),
        instance_id=self._get_param("InstanceId"),
        interface_id=self._get_param("NetworkInterfaceId"),
        vpc_peering_connection_id=self._get_param("VpcPeeringConnectionId"),
        vpc_endpoint_id=self._get_param("VpcEndpointId"),
    )
    return EmptyResult()


RouteBackend.replace_route = _replace_route_with_endpoint
RouteTables.replace_route = _replace_route_response


# 11. CreateSubnet with AvailabilityZoneId: moto files the subnet under no zone name and takes it
#    for the first subnet of its zone, so it comes out default-for-zone with
#    MapPublicIpOnLaunch true (a subnet CreateSubnet makes is neither on AWS). The ID is turned
#    into its zone's name in the region first, as AWS places it.
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend  # noqa: E402
from moto.ec2.models.subnets import SubnetBackend  # noqa: E402

_create_subnet = SubnetBackend.create_subnet


def _create_subnet_in_the_named_zone(
    self, vpc_id, cidr_block, ipv6_cidr_block=None, availability_zone=None, availability_zone_id=None, **kwargs
):
    if availability_zone_id and not availability_zone:
        for zone in RegionsAndZonesBackend.zones.get(self.region_name, []):
            if zone.zone_id == availability_zone_id:
                availability_zone = zone.name
    return _create_subnet(
        self, vpc_id, cidr_block, ipv6_cidr_block, availability_zone, availability_zone_id, **kwargs
    )


SubnetBackend.create_subnet = _create_subnet_in_the_named_zone


# 12. DeleteVpc leaves the VPC's default network ACL behind (moto deletes its route tables and
#    default security group, not its ACLs); on AWS the default ACL goes with its VPC. Found by
#    the test bed's inventory (a stack destroyed must leave the emulator as it found it).
from moto.ec2.models.vpcs import VPCBackend  # noqa: E402

_delete_vpc = VPCBackend.delete_vpc


def _delete_vpc_and_its_default_acl(self, vpc_id):
    vpc = _delete_vpc(self, vpc_id)
    for acl in [a for a in self.network_acls.values() if a.vpc_id == vpc_id and a.default]:
        self.network_acls.pop(acl.id, None)
    return vpc


VPCBackend.delete_vpc = _delete_vpc_and_its_default_acl


# 13. GetBucketVersioning answers `<GetBucketVersioningResponse>` where AWS answers
#    `<VersioningConfiguration>` (the output's XML name in AWS's Smithy model; botocore, which
#    moto serializes from, does not carry it). boto3 reads either; the AWS SDKs generated from
#    Smithy check the root element and refuse moto's.
from moto.s3.responses import S3Response  # noqa: E402

_get_bucket_versioning = S3Response.get_bucket_versioning


def _get_bucket_versioning_as_aws(self):
    status, headers, body = _get_bucket_versioning(self)
    if isinstance(body, bytes):
        body = body.decode()
    body = body.replace("GetBucketVersioningResponse", "VersioningConfiguration")
    return status, headers, body


S3Response.get_bucket_versioning = _get_bucket_versioning_as_aws


# 14. ListObjectVersions deep-copies every version of every key to mark the latest ones; a key
#    whose history holds a version from before versioning was turned on and several delete
#    markers makes that copy recurse without end (HTTP 500, RecursionError), so a versioned
#    lab bucket could not be emptied. A copy of each version (not of everything it refers to)
#    is all the listing needs: it only sets `is_latest` on the copies.
import copy as _copy  # noqa: E402
import types as _types  # noqa: E402

import moto.s3.models as _s3_models  # noqa: E402

_s3_models.copy = _types.SimpleNamespace(
    deepcopy=lambda versions, memo=None: [_copy.copy(v) for v in versions],
    copy=_copy.copy,
)


# 15. RDS, where moto answers in ways no AWS behaviour explains (the Aurora kinds, issue 16):
#    a. CreateDBCluster with an identifier in use replaced the cluster (new endpoint, new managed
#       secret, the first one orphaned), then usually failed on its automated snapshot's name
#       (DBClusterSnapshotAlreadyExistsFault); AWS refuses with DBClusterAlreadyExistsFault (HTTP
#       400) and keeps the cluster, also while it is being deleted. CreateDBSubnetGroup with a
#       name in use replaced the group (its tags lost); AWS: DBSubnetGroupAlreadyExists. These
#       are AWS's answers to the SDK's repeat of a create whose answer was lost.
#    b. ModifyDBSubnetGroup dropped the group (moto pops it and never files it back), and a
#       missing one failed with HTTP 500 instead of DBSubnetGroupNotFoundFault.
#    c. DeleteDBCluster kept the cluster's automated snapshots; on AWS "all automated backups for
#       that DB cluster are deleted" with it (manual and final snapshots stay). They piled up in
#       the inventory, and a cluster created again under the same name in the same minute failed
#       on its automated snapshot's name.
#    d. ModifyDBCluster naming a cluster that does not exist failed with HTTP 500 (a KeyError);
#       AWS: DBClusterNotFoundFault (HTTP 404).
#    e. ModifyDBCluster with ManageMasterUserPassword on a cluster whose password is already
#       managed made a second secret and orphaned the first; the cluster keeps its secret.
#    f. DescribeDBInstances' filter `db-cluster-id` takes cluster identifiers and ARNs (API
#       reference); moto matched identifiers only, so an ARN found no instance.
#    g. An encrypted cluster's KmsKeyId is the ARN of its key (given as a key id, an alias or an
#       ARN; the account's `aws/rds` key when none is given); moto answered what was given, or
#       the placeholder `default_kms_key_id`, also for an unencrypted cluster (AWS: none). A key
#       that does not exist is moto's KMSKeyNotAccessibleFault, as on AWS.
from moto.rds.exceptions import (  # noqa: E402
    DBClusterNotFoundError,
    DBSubnetGroupNotFoundError,
    KMSKeyNotAccessibleFault,
    RDSClientError,
)
from moto.rds.models import RDSBackend  # noqa: E402

_rds_create_cluster = RDSBackend.create_db_cluster
_rds_create_subnet_group = RDSBackend.create_subnet_group
_rds_modify_cluster = RDSBackend.modify_db_cluster
_rds_delete_cluster = RDSBackend.delete_db_cluster


def _rds_cluster_named(backend, name):
    """The cluster of that identifier (AWS's identifiers ignore case), or None."""
    name = (name or "").lower()
    return next((c for k, c in backend.clusters.items() if k.lower() == name), None)


def _rds_create_cluster_once(self, kwargs):
    if _rds_cluster_named(self, kwargs.get("db_cluster_identifier")) is not None:
        raise RDSClientError("DBClusterAlreadyExistsFault", "DB Cluster already exists")
    if kwargs.get("storage_encrypted"):
        key = kwargs.get("kms_key_id") or "alias/aws/rds"
        try:
            kwargs["kms_key_id"] = self._validate_kms_key(key)
        except AttributeError:  # moto's KMS on an alias that does not exist
            raise KMSKeyNotAccessibleFault(key)
    cluster = _rds_create_cluster(self, kwargs)
    if not cluster.storage_encrypted:
        cluster.kms_key_id = None
    return cluster


def _rds_create_subnet_group_once(self, subnet_name, description, subnets, tags):
    if subnet_name in self.subnet_groups:
        raise RDSClientError(
            "DBSubnetGroupAlreadyExists", f"The DB subnet group '{subnet_name}' already exists."
        )
    return _rds_create_subnet_group(self, subnet_name, description, subnets, tags)


def _rds_modify_subnet_group_in_place(self, subnet_name, description, subnets):
    group = self.subnet_groups.get(subnet_name)
    if group is None:
        raise DBSubnetGroupNotFoundError(subnet_name)
    group.subnets = subnets
    if description is not None:
        group.description = description
    return group


def _rds_modify_cluster_found(self, kwargs):
    cluster = _rds_cluster_named(self, kwargs.get("db_cluster_identifier"))
    if cluster is None:
        raise DBClusterNotFoundError(kwargs.get("db_cluster_identifier"))
    kwargs["db_cluster_identifier"] = next(k for k, c in self.clusters.items() if c is cluster)
    if kwargs.get("manage_master_user_password") and getattr(cluster, "master_user_secret", None):
        kwargs.pop("manage_master_user_password")
        kwargs.pop("master_user_secret_kms_key_id", None)
    return _rds_modify_cluster(self, kwargs)


def _rds_delete_cluster_and_its_backups(self, cluster_identifier, snapshot_name=None):
    cluster = _rds_delete_cluster(self, cluster_identifier, snapshot_name)
    for name, snapshot in list(self.cluster_snapshots.items()):
        if snapshot.snapshot_type == "automated" and snapshot.db_cluster_identifier == cluster.db_cluster_identifier:
            del self.cluster_snapshots[name]
    return cluster


_rds_describe_instances = RDSBackend.describe_db_instances


def _rds_describe_instances_by_cluster_arn(self, db_instance_identifier=None, filters=None):
    if filters and filters.get("db-cluster-id"):
        names = [v.split(":cluster:")[-1] if v.startswith("arn:") else v for v in filters["db-cluster-id"]]
        filters = dict(filters, **{"db-cluster-id": names})
    return _rds_describe_instances(self, db_instance_identifier, filters=filters)


RDSBackend.create_db_cluster = _rds_create_cluster_once
RDSBackend.create_subnet_group = _rds_create_subnet_group_once
RDSBackend.modify_db_subnet_group = _rds_modify_subnet_group_in_place
RDSBackend.modify_db_cluster = _rds_modify_cluster_found
RDSBackend.delete_db_cluster = _rds_delete_cluster_and_its_backups
RDSBackend.describe_db_instances = _rds_describe_instances_by_cluster_arn


# 16. AWS managed policies exist (`arn:aws:iam::aws:policy/service-role/
#    AmazonECSTaskExecutionRolePolicy`): moto knows them only when MOTO_IAM_LOAD_MANAGED_POLICIES
#    is set, and otherwise answers AttachRolePolicy with NoSuchEntity. Read when an account's IAM
#    backend is first made (about 0.6 s for the first account); the inventory leaves them out.
import os  # noqa: E402

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


# 17. ECS answers (the ECS kinds, issue 17):
#    a. UpdateService with a taskDefinition kept the text given (`web:2`) as the service's
#       taskDefinition; AWS answers the revision's ARN.
#    b. DescribeTaskDefinition (and a service or task naming a family) without a revision took
#       the family's highest revision, also when it was deregistered; AWS takes "the latest ACTIVE
#       revision" (API reference).
#    c. CreateCluster with the name of an ACTIVE cluster replaced it (its tags and settings
#       lost); AWS answers the cluster there (whether it applies the call's settings and tags to
#       it was not checked: here they are left as they were).
#    d. A service's awsvpcConfiguration without securityGroups failed with HTTP 500 (a KeyError);
#       AWS takes it (the VPC's default security group is used, API reference).
from moto.ecs.models import EC2ContainerServiceBackend, Service  # noqa: E402

_ecs_validate_network = Service._validate_network


def _ecs_validate_network_groups_optional(self, nc):
    awsvpc = (nc or {}).get("awsvpcConfiguration") or {}
    if "securityGroups" not in awsvpc:
        _ecs_validate_network(self, {**nc, "awsvpcConfiguration": {**awsvpc, "securityGroups": []}})
        return nc
    return _ecs_validate_network(self, nc)


Service._validate_network = _ecs_validate_network_groups_optional

_ecs_update_service = EC2ContainerServiceBackend.update_service
_ecs_create_cluster = EC2ContainerServiceBackend.create_cluster


def _ecs_update_service_by_arn(self, service_properties):
    task_definition = service_properties.get("task_definition")
    service = _ecs_update_service(self, service_properties)
    if task_definition:
        service.task_definition = self.describe_task_definition(task_definition).arn
    return service


def _ecs_last_active_revision(self, family):
    revisions = self.task_definitions.get(family) or {}
    active = [r for r, d in revisions.items() if d.status == "ACTIVE"]
    return max(active) if active else None


def _ecs_create_cluster_once(self, cluster_name, *args, **kwargs):
    existing = self.clusters.get(cluster_name)
    if existing is not None and existing.status == "ACTIVE":
        return existing
    return _ecs_create_cluster(self, cluster_name, *args, **kwargs)


EC2ContainerServiceBackend.update_service = _ecs_update_service_by_arn
EC2ContainerServiceBackend._get_last_task_definition_revision_id = _ecs_last_active_revision
EC2ContainerServiceBackend.create_cluster = _ecs_create_cluster_once


# 18. Application Auto Scaling (the application_autoscaling kinds, issue 17):
#    a. ListTagsForResource, TagResource and UntagResource on a scalable target's ARN: HTTP 500
#       (not implemented); RegisterScalableTarget's Tags were dropped. AWS keeps them; an unknown
#       ARN is ResourceNotFoundException (wording not checked).
#    b. PutScalingPolicy for a target that is not registered was accepted; AWS:
#       ObjectNotFoundException "No scalable target registered for service namespace: …,
#       resource ID: …, scalable dimension: …".
#    c. PutScalingPolicy on an existing policy made it anew (a new PolicyARN); AWS updates it in
#       place and keeps its ARN.
#    d. DeregisterScalableTarget left the target's scaling policies behind; AWS deletes them
#       with it ("Deregistering a scalable target deletes the scaling policies and the scheduled
#       actions that are associated with it", API reference).
import json  # noqa: E402

from moto.applicationautoscaling import models as _aas_models  # noqa: E402
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse  # noqa: E402
from moto.core.exceptions import JsonRESTError  # noqa: E402

_AAS = _aas_models.ApplicationAutoscalingBackend
_aas_register = _AAS.register_scalable_target
_aas_put_policy = _AAS.put_scaling_policy
_aas_deregister = _AAS.deregister_scalable_target


def _aas_targets(backend):
    for dimensions in backend.targets.values():
        yield from dimensions.values()


def _aas_target_by_arn(backend, arn):
    for target in _aas_targets(backend):
        if target.arn == arn:
            return target
    raise JsonRESTError("ResourceNotFoundException", f"No scalable target found for ARN: {arn}")


_aas_register_answer = ApplicationAutoScalingResponse.register_scalable_target


def _aas_register_answer_with_tags(self):
    answer = _aas_register_answer(self)
    tags = self._get_param("Tags")
    if tags:
        target = _aas_target_by_arn(self.applicationautoscaling_backend, json.loads(answer)["ScalableTargetARN"])
        target.strata_tags = {**getattr(target, "strata_tags", {}), **tags}
    return answer


def _aas_put_policy_on_a_target(self, policy_name, service_namespace, resource_id, scalable_dimension, *args, **kwargs):
    if not self._scalable_target_exists(resource_id, scalable_dimension):
        raise JsonRESTError(
            "ObjectNotFoundException",
            f"No scalable target registered for service namespace: {service_namespace}, resource ID: "
            f"{resource_id}, scalable dimension: {scalable_dimension}",
        )
    key = _aas_models.FakeApplicationAutoscalingPolicy.formulate_key(
        service_namespace, resource_id, scalable_dimension, policy_name
    )
    before = self.policies.get(key)
    policy = _aas_put_policy(self, policy_name, service_namespace, resource_id, scalable_dimension, *args, **kwargs)
    if before is not None:
        policy.policy_arn = before.policy_arn
    return policy


def _aas_deregister_with_policies(self, namespace, r_id, dimension):
    _aas_deregister(self, namespace, r_id, dimension)
    ours = (namespace, r_id, dimension)
    for key, policy in list(self.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == ours:
            del self.policies[key]


def _aas_list_tags(self):
    target = _aas_target_by_arn(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
    return json.dumps({"Tags": getattr(target, "strata_tags", {})})


def _aas_tag(self):
    target = _aas_target_by_arn(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
    target.strata_tags = {**getattr(target, "strata_tags", {}), **(self._get_param("Tags") or {})}
    return "{}"


def _aas_untag(self):
    target = _aas_target_by_arn(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
    keys = set(self._get_param("TagKeys") or [])
    target.strata_tags = {k: v for k, v in getattr(target, "strata_tags", {}).items() if k not in keys}
    return "{}"


import json  # noqa: E402

ApplicationAutoScalingResponse.register_scalable_target = _aas_register_answer_with_tags
_AAS.put_scaling_policy = _aas_put_policy_on_a_target
_AAS.deregister_scalable_target = _aas_deregister_with_policies
ApplicationAutoScalingResponse.list_tags_for_resource = _aas_list_tags
ApplicationAutoScalingResponse.tag_resource = _aas_tag
ApplicationAutoScalingResponse.untag_resource = _aas_untag


# 19. The tagging API (GetResources) types CloudWatch Logs log groups `logs:log-group`, as their
#    ARNs do (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`); moto typed them `logs:loggroup`, so a
#    ResourceTypeFilters of `logs:log-group` found none.
from moto.core.resource_tagging import TaggedResource  # noqa: E402
from moto.logs.models import LogsBackend  # noqa: E402


def _logs_tagged_resources(self):
    for group in self.groups.values():
        yield TaggedResource(
            arn=group.arn,
            tags=self.tagger.get_tag_dict_for_resource(group.arn),
            resource_type="logs:log-group",
        )


LogsBackend.iter_tagged_resources = _logs_tagged_resources


# 20. RunTask with awsvpc networking in a VPC without DNS host names failed with HTTP 500: moto
#    gives an interface its private DNS name only in a VPC with DNS host names, and the task's
#    attachment reads it. An interface has one derived from its address (`ip-10-0-1-5.ec2.internal`)
#    whenever it is read.
from moto.ec2.models.elastic_network_interfaces import NetworkInterface  # noqa: E402
from moto.ec2.utils import generate_dns_from_ip  # noqa: E402


def _eni_private_dns_name(self, name):
    if name == "private_dns_name":
        return generate_dns_from_ip(self.private_ip_address)
    raise AttributeError(name)


NetworkInterface.__getattr__ = _eni_private_dns_name
