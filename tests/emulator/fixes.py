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
