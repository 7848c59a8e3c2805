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


# 5. VPC endpoints as ModifyVpcEndpoint changes them. On AWS each subnet of an interface
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


# 6. IPv6 blocks in security-group rules and route destinations. EC2 stores an IPv6 CIDR block
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


# 7. ReplaceRoute takes VpcEndpointId (a Gateway Load Balancer endpoint as the target), as
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


# 8. CreateSubnet with AvailabilityZoneId: moto files the subnet under no zone name and takes it
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
