"""The test bed: moto made to behave like AWS where AWS is less kind, on demand.

Behaviours, each off by default and tuned through the configuration (a JSON object given with
`serve.py --config`, the `--strict` preset, or at run time with POST /_testbed/config):

  pending      seconds a resource stays in its transitional state: nat_gateway (pending ->
               available), nat_gateway_delete (deleting -> deleted), transit_gateway and
               tgw_attachment (pending after create, modifying after a modify), vpc_endpoint
               (pending after create and after ModifyVpcEndpoint), transit_gateway_delete,
               tgw_attachment_delete, vpc_endpoint_delete, prefix_list (create/modify in
               progress -> complete), vpc_peering (initiating-request -> pending-acceptance
               after create, provisioning -> active after accept),
               rds_cluster, rds_instance (creating -> available), rds_cluster_modify,
               rds_instance_modify (modifying -> available after ModifyDBCluster,
               ModifyDBInstance), rds_cluster_delete, rds_instance_delete (deleting -> gone),
               load_balancer (provisioning -> active),
               cloudfront (InProgress -> Deployed, after create and after update),
               ecs_deployment (an ECS service's PRIMARY deployment IN_PROGRESS -> COMPLETED,
               after CreateService and after an UpdateService that deploys; without it at
               once), ecs_service_delete (a deleted ECS service DRAINING -> INACTIVE)
  refusals     true: AWS's refusals with AWS's error codes (DependencyViolation for a subnet
               holding a network interface, a security group referenced by another group or
               used by an interface, a VPC with dependents (an attached internet gateway, a
               security group, a VPC endpoint not yet deleted), an internet gateway detach while
               public addresses are mapped; InvalidIPAddress.InUse for an Elastic IP a NAT
               gateway holds; IncorrectState for a transit gateway with attachments;
               PrefixListVersionMismatch for a stale prefix-list version (always on, as it is
               how AWS refuses the repeat of a change that acted);
               InvalidNatGatewayID.NotFound for a route to a missing NAT gateway;
               IncorrectState for modifying a transit gateway, attachment or VPC endpoint
               that is not available; InvalidParameter for private DNS on an interface
               endpoint in a VPC without DNS support and DNS host names;
               OperationNotPermitted for a peering's options changed from the other side's
               region; a public NAT gateway in a VPC without an attached internet gateway
               ends `failed` (Gateway.NotAttached);
               DistributionNotDisabled for a CloudFront distribution deleted while enabled or
               not yet Deployed; PreconditionFailed for a wrong or stale If-Match, CloudFront
               giving a new ETag on each update (distributions and origin access controls,
               whose missing If-Match is InvalidIfMatchVersion; origin access identities, which
               the test bed adds always, renew theirs always);
               OriginAccessControlInUse and CloudFrontOriginAccessIdentityInUse for one that an
               origin of a distribution names; ClusterContainsServicesException and
               ClusterContainsTasksException for an ECS cluster with active (or draining) services
               or tasks; for ECS CreateService, InvalidParameterException "Creation of service
               was not idempotent." for a name an ACTIVE service has with other parameters (the
               same parameters answer that service), "Unable to Start a service that is still
               Draining." for a DRAINING one's, ClusterNotFoundException for an INACTIVE cluster,
               InvalidParameterException for a target group no listener forwards to or of type
               instance for an awsvpc task definition;
               ServiceNotActiveException for UpdateService of a service not ACTIVE;
               InvalidParameterException for a CloudWatch Logs retention that is not one of
               AWS's values, AccessDeniedException for a log group's KMS key that does not exist;
               InvalidDBInstanceState for an RDS instance already being deleted or modified
               while not available, InvalidDBClusterStateFault likewise for a DB cluster (and
               for a final snapshot of a cluster not available); InvalidParameterCombination for
               a DeleteDBCluster that gives both or neither of SkipFinalSnapshot and
               FinalDBSnapshotIdentifier; DBSubnetGroupDoesNotCoverEnoughAZs for a DB subnet
               group in one zone; InvalidDBSubnetGroupStateFault and InvalidDBParameterGroupState
               for a group a DB cluster still uses (also while it is deleting);
               DBSubnetGroupNotFoundFault and DBParameterGroupNotFound for a cluster naming a
               group that does not exist;
               DuplicateListener for a load balancer port that has a listener (created there
               with other settings, or moved there); DuplicateLoadBalancerName and
               DuplicateTargetGroupName for a name given again with other settings, the same
               settings answering the one there (likewise a listener); SetRulePriorities judged
               once its whole list is applied, so a swap passes; DeleteConflict for an IAM
               server certificate that an ELBv2 listener uses, MalformedCertificate for a
               certificate body that is not PEM). moto itself refuses a DB
               cluster with instances not being deleted (InvalidDBClusterStateFault) and a
               target group a listener or rule forwards to (ResourceInUse)
  linger       seconds a deleted NAT gateway's (requester-managed) network interface stays in
               its subnet; likewise a deleted load balancer's (one per subnet), a stopped
               awsvpc ECS task's and an ECS service's tasks' (one per running task, released
               when the service is INACTIVE or scaled in). Load balancers, tasks and services
               have such interfaces only while linger or refusals are on
  pagination   true: EC2 describes honour MaxResults and NextToken, RDS describes MaxRecords
               (20..100, else InvalidParameterValue) and Marker (consistency and tag_lag are
               EC2's only)
  consistency  seconds a newly created resource stays invisible to describes (a describe that
               names its id answers AWS's NotFound error for it)
  tag_lag      seconds a newly created resource shows without its tags (and is not matched by
               tag filters)
  iam_propagation
               seconds an IAM role is unknown to ECS after CreateRole: RegisterTaskDefinition
               naming it (executionRoleArn, taskRoleArn) is AccessDeniedException (iam:PassRole),
               CreateService passing it as `role` InvalidParameterException
  faults       {"rate": 0.2, "kinds": [...], "operations": [...], "max_in_row": 2, "seed": 7,
                "timeout_s": 3,
                "targets": [{"operation": "CreateVpc", "nth": 1, "kind": "503",
                "when": "before" | "after"}]}
               random faults at a rate (on every operation, or on the listed ones, each an
               operation name or "service:Name" such as "logs:CreateLogGroup"; at most
               max_in_row in a row for one operation, when given; a kind ending in "-after",
               such as "drop-after", is given after the call acted), and faults
               at chosen calls (the nth call of an operation, counted since the log was last
               cleared, of any service or, when the target names one ("service": "s3"), of
               that service; "when": "after" runs the call first and then answers with the
               fault, as when AWS did the work but the answer was lost). Every protocol is
               covered (protocols.py): query, EC2, JSON, REST-XML and REST-JSON, REST calls
               named by their route (GET /{Bucket}?tagging is GetBucketTagging), each error in
               its protocol's format. Kinds: "throttle" (EC2's RequestLimitExceeded, S3's
               SlowDown, Throttling for other query and REST-XML services,
               ThrottlingException for JSON and REST-JSON ones), "throttle-too-many"
               (TooManyRequestsException, HTTP 429), "500", "503", "drop" (the connection is
               closed without an answer), "timeout" (no answer for timeout_s seconds),
               "denied" (an explicit deny in a service control policy: EC2's
               UnauthorizedOperation, AccessDenied for query and REST-XML services,
               AccessDeniedException for JSON and REST-JSON ones, HTTP 403), "clock-skew"
               (a request signed at a time more than 15 minutes off: EC2's RequestExpired, S3's
               RequestTimeTooSkewed, "Signature expired: ..." as SignatureDoesNotMatch for
               query and REST-XML services, InvalidSignatureException for JSON and REST-JSON
               ones), "expired-token" (an expired session token: EC2's RequestExpired,
               ExpiredToken for query and REST-XML services, ExpiredTokenException for JSON and
               REST-JSON ones); {"rate": 1, "kinds": ["clock-skew"]} answers every call so
  latency      {"fixed_ms": 50}, {"uniform_ms": [20, 80]}, {"normal_ms": [50, 10]} or
               {"lognormal_ms": [40, 0.5]} (median, sigma), added to every call

Every AWS call is logged (GET /_testbed/log; DELETE clears it): service (the one the call is
signed for), protocol, region, operation, resource ids in the request (EC2 ids and ARNs, a REST
route's resource such as a bucket or a distribution id), the `strata:name` tag a create sets
("name", in any protocol's tag form), start time, duration, HTTP status, error code, injected
fault (and "when": "after" for one given after the call acted), for a paged describe the page
number, and the ids a describe left out ("hidden") or showed without tags ("untagged") because
they were too new.
Requests from an SDK whose app name is `strata-observer` bypass all of it (tests check the
emulator's real state that way). GET /_testbed/inventory lists everything the emulator holds,
tagged or not (see inventory()).
"""

import base64
import io
import json
import math
import random
import socket
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

import protocols
from protocols import ID_RE

STRICT = {
    "pending": {
        "nat_gateway": 2.0,
        "nat_gateway_delete": 2.0,
        "transit_gateway": 1.0,
        "transit_gateway_delete": 1.0,
        "tgw_attachment": 1.0,
        "tgw_attachment_delete": 1.0,
        "vpc_endpoint": 1.0,
        "vpc_endpoint_delete": 1.0,
        "prefix_list": 0.5,
        "rds_cluster": 2.0,
        "rds_cluster_delete": 2.0,
        "rds_instance": 2.0,
        "rds_instance_delete": 2.0,
        "rds_cluster_modify": 1.0,
        "rds_instance_modify": 1.0,
        "load_balancer": 1.0,
        "cloudfront": 2.0,
        "ecs_deployment": 2.0,
        "ecs_service_delete": 2.0,
    },
    "refusals": True,
    "linger": 2.0,
    "pagination": True,
    "consistency": 1.0,
    "tag_lag": 1.5,
    "iam_propagation": 1.0,
}


class Config:
    def __init__(self):
        self.data = {
            "pending": {},
            "refusals": False,
            "linger": 0.0,
            "pagination": False,
            "consistency": 0.0,
            "tag_lag": 0.0,
            "iam_propagation": 0.0,
            "faults": {},
            "latency": {},
        }
        self.rng = random.Random(1)

    def merge(self, other):
        for k, v in other.items():
            if isinstance(v, dict) and isinstance(self.data.get(k), dict):
                self.data[k].update(v)
            else:
                self.data[k] = v
        seed = self.data.get("faults", {}).get("seed")
        if seed is not None:
            self.rng = random.Random(seed)

    def pending(self, what):
        return float(self.data.get("pending", {}).get(what, 0) or 0)

    def __getitem__(self, k):
        return self.data.get(k)


CONFIG = Config()
LOCK = threading.RLock()
# Timed transitions: (at, callback), run under LOCK before each AWS request.
TIMERS = []
# Resources created recently: id -> time of creation (for eventual consistency).
FRESH = {}
LOG = []
COUNTS = {}
# Random faults given in a row, per operation (for "max_in_row").
IN_ROW = {}


def later(seconds, callback):
    TIMERS.append((time.time() + seconds, callback))


def tick():
    now = time.time()
    due = [t for t in TIMERS if t[0] <= now]
    for t in due:
        TIMERS.remove(t)
    for _, callback in sorted(due, key=lambda t: t[0]):
        try:
            callback()
        except Exception:  # a resource may be gone by now
            pass


# ---------------------------------------------------------------------------------------------
# Model patches: pending states, refusals, lingering interfaces.
# ---------------------------------------------------------------------------------------------

def install_model_patches():
    from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
    from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
    from moto.ec2.models.internet_gateways import InternetGatewayBackend
    from moto.ec2.models.managed_prefixes import ManagedPrefixListBackend
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.models.route_tables import RouteBackend
    from moto.ec2.models.security_groups import SecurityGroupBackend
    from moto.ec2.models.subnets import SubnetBackend
    from moto.ec2.models.transit_gateway import TransitGatewayBackend
    from moto.ec2.models.transit_gateway_attachments import TransitGatewayAttachmentBackend
    from moto.ec2.models.vpc_peering_connections import VPCPeeringConnectionBackend
    from moto.ec2.models.vpcs import VPCBackend

    def refusals():
        return bool(CONFIG["refusals"])

    # NAT gateways: pending -> available; deleting -> deleted, then the Elastic IP is released
    # from it (moto never does) and its interface lingers, then goes (moto keeps it forever).
    create_nat = NatGatewayBackend.create_nat_gateway
    delete_nat = NatGatewayBackend.delete_nat_gateway

    def create_nat_gateway(self, *args, **kwargs):
        nat = create_nat(self, *args, **kwargs)
        nat._eni.description = f"Interface for NAT Gateway {nat.id}"
        nat._eni.requester_managed = True
        nat._eni.requester_id = "amazon-nat-gateway"
        nat._eni.status = "in-use"
        delay = CONFIG.pending("nat_gateway")
        if delay > 0:
            nat.state = "pending"

            def ready(nat=nat):
                if nat.state == "pending":
                    nat.state = "available"

            later(delay, ready)
        return nat

    def finish_nat_delete(backend, nat):
        nat.state = "deleted"
        for address in nat.address_set:
            association = address.get("associationId")
            if association:
                try:
                    backend.disassociate_address(association_id=association)
                except Exception:
                    pass
        eni = nat._eni

        def drop_eni():
            backend.enis.pop(eni.id, None)

        linger = float(CONFIG["linger"] or 0)
        if linger > 0:
            eni.status = "available"
            later(linger, drop_eni)
        else:
            drop_eni()

    def delete_nat_gateway(self, nat_gateway_id):
        nat = self.nat_gateways.get(nat_gateway_id)
        if nat is None:
            return delete_nat(self, nat_gateway_id)
        if nat.state == "deleted":
            # Deleted again (a repeated call whose first answer was lost): it stays deleted.
            return nat
        delay = CONFIG.pending("nat_gateway_delete")
        if delay > 0:
            nat.state = "deleting"
            later(delay, lambda: finish_nat_delete(self, nat))
        else:
            finish_nat_delete(self, nat)
        return nat

    NatGatewayBackend.create_nat_gateway = create_nat_gateway
    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway

    # Transit gateways and attachments: pending / deleting for a while.
    create_tgw = TransitGatewayBackend.create_transit_gateway
    delete_tgw = TransitGatewayBackend.delete_transit_gateway

    def create_transit_gateway(self, *args, **kwargs):
        tgw = create_tgw(self, *args, **kwargs)
        delay = CONFIG.pending("transit_gateway")
        if delay > 0:
            tgw.state = "pending"
            later(delay, lambda: setattr(tgw, "state", "available") if tgw.state == "pending" else None)
        return tgw

    def delete_transit_gateway(self, transit_gateway_id):
        if refusals():
            live = [
                a
                for a in self.transit_gateway_attachments.values()
                if a.transit_gateway_id == transit_gateway_id and a.state not in ("deleted",)
            ]
            if live:
                raise EC2ClientError(
                    "IncorrectState",
                    f"tgw '{transit_gateway_id}' has non-deleted Transit Gateway Attachments: "
                    + ", ".join(a.id for a in live),
                )
        delay = CONFIG.pending("transit_gateway_delete")
        tgw = self.transit_gateways.get(transit_gateway_id)
        if delay > 0 and tgw is not None and tgw.state != "deleted":
            tgw.state = "deleting"
            later(delay, lambda: delete_tgw(self, transit_gateway_id))
            return tgw
        return delete_tgw(self, transit_gateway_id)

    TransitGatewayBackend.create_transit_gateway = create_transit_gateway
    TransitGatewayBackend.delete_transit_gateway = delete_transit_gateway

    create_att = TransitGatewayAttachmentBackend.create_transit_gateway_vpc_attachment
    delete_att = TransitGatewayAttachmentBackend.delete_transit_gateway_vpc_attachment

    def create_transit_gateway_vpc_attachment(self, *args, **kwargs):
        att = create_att(self, *args, **kwargs)
        delay = CONFIG.pending("tgw_attachment")
        if delay > 0:
            att.state = "pending"
            later(delay, lambda: setattr(att, "state", "available") if att.state == "pending" else None)
        return att

    def delete_transit_gateway_vpc_attachment(self, transit_gateway_attachment_id):
        delay = CONFIG.pending("tgw_attachment_delete")
        att = self.transit_gateway_attachments.get(transit_gateway_attachment_id)
        if delay > 0 and att is not None and att.state != "deleted":
            att.state = "deleting"
            later(delay, lambda: delete_att(self, transit_gateway_attachment_id))
            return att
        return delete_att(self, transit_gateway_attachment_id)

    TransitGatewayAttachmentBackend.create_transit_gateway_vpc_attachment = create_transit_gateway_vpc_attachment
    TransitGatewayAttachmentBackend.delete_transit_gateway_vpc_attachment = delete_transit_gateway_vpc_attachment

    # VPC endpoints.
    create_vpce = VPCBackend.create_vpc_endpoint
    delete_vpces = VPCBackend.delete_vpc_endpoints

    def create_vpc_endpoint(self, *args, **kwargs):
        e = create_vpce(self, *args, **kwargs)
        delay = CONFIG.pending("vpc_endpoint")
        if delay > 0:
            e.state = "pending"
            later(delay, lambda: setattr(e, "state", "available") if e.state == "pending" else None)
        return e

    def delete_vpc_endpoints(self, vpce_ids=None):
        delay = CONFIG.pending("vpc_endpoint_delete")
        if delay > 0:
            # An endpoint already deleted stays so (AWS lists it in `Unsuccessful`): set back to
            # `deleting`, its second finish would fail on its routes, gone with the first, and
            # leave it `deleting` for good.
            live = [
                i
                for i in vpce_ids or []
                if getattr(self.vpc_end_points.get(i), "state", "deleted") != "deleted"
            ]
            for i in live:
                self.vpc_end_points[i].state = "deleting"
            later(delay, lambda: finish_vpce_delete(self, live))
            return None
        return delete_vpces(self, vpce_ids)

    def finish_vpce_delete(backend, vpce_ids):
        # The endpoint's route tables may be gone by now (deleted while it was deleting); moto
        # would fail to remove its routes from them and leave it `deleting` for good.
        for i in vpce_ids or []:
            e = backend.vpc_end_points.get(i)
            if e is not None and e.route_table_ids:
                e.route_table_ids = [r for r in e.route_table_ids if r in backend.route_tables]
        delete_vpces(backend, vpce_ids)

    VPCBackend.create_vpc_endpoint = create_vpc_endpoint
    VPCBackend.delete_vpc_endpoints = delete_vpc_endpoints

    # VPC peering connections: initiating-request, then pending-acceptance; once accepted,
    # provisioning, then active. A connection deleted or rejected meanwhile stays so.
    create_pcx = VPCPeeringConnectionBackend.create_vpc_peering_connection
    accept_pcx = VPCPeeringConnectionBackend.accept_vpc_peering_connection

    def hold(pcx, code, then):
        def move(pcx=pcx):
            if pcx._status.code == code:
                then()

        pcx._status.code = code
        later(CONFIG.pending("vpc_peering"), move)

    def create_vpc_peering_connection(self, *args, **kwargs):
        pcx = create_pcx(self, *args, **kwargs)
        if CONFIG.pending("vpc_peering") > 0:
            hold(pcx, "initiating-request", pcx._status.pending)
        return pcx

    def accept_vpc_peering_connection(self, *args, **kwargs):
        pcx = accept_pcx(self, *args, **kwargs)
        if CONFIG.pending("vpc_peering") > 0:
            hold(pcx, "provisioning", pcx._status.accept)
        return pcx

    VPCPeeringConnectionBackend.create_vpc_peering_connection = create_vpc_peering_connection
    VPCPeeringConnectionBackend.accept_vpc_peering_connection = accept_vpc_peering_connection

    # Managed prefix lists: create and modify are in progress for a while; a stale version is
    # refused.
    create_pl = ManagedPrefixListBackend.create_managed_prefix_list
    modify_pl = ManagedPrefixListBackend.modify_managed_prefix_list

    def settle(pl, final):
        delay = CONFIG.pending("prefix_list")
        if delay > 0:
            pl.state = final.replace("complete", "in-progress")
            # A list deleted meanwhile stays deleted.
            later(delay, lambda: setattr(pl, "state", final) if pl.state.endswith("in-progress") else None)

    def create_managed_prefix_list(self, *args, **kwargs):
        pl = create_pl(self, *args, **kwargs)
        settle(pl, "create-complete")
        return pl

    def modify_managed_prefix_list(self, *args, **kwargs):
        prefix_list_id = kwargs.get("prefix_list_id")
        current = kwargs.get("current_version")
        pl = self.managed_prefix_lists.get(prefix_list_id)
        if refusals() and pl is not None and pl.state.endswith("in-progress"):
            raise EC2ClientError(
                "IncorrectState", f"The prefix list {prefix_list_id} is being modified."
            )
        # Always, as on AWS: it is also how AWS answers the repeat of a change that acted.
        if pl is not None and current is not None and int(current) != int(pl.version or 0):
            raise EC2ClientError(
                "PrefixListVersionMismatch",
                "The prefix list has the incorrect version number.",
            )
        result = modify_pl(self, *args, **kwargs)
        if pl is not None:
            settle(pl, "modify-complete")
        return result

    ManagedPrefixListBackend.create_managed_prefix_list = create_managed_prefix_list
    ManagedPrefixListBackend.modify_managed_prefix_list = modify_managed_prefix_list

    # Refusals on delete.
    delete_subnet = SubnetBackend.delete_subnet

    def _delete_subnet(self, subnet_id):
        if refusals():
            holding = [e for e in self.enis.values() if getattr(e.subnet, "id", None) == subnet_id]
            if holding:
                raise DependencyViolationError(
                    f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
                )
        return delete_subnet(self, subnet_id)

    SubnetBackend.delete_subnet = _delete_subnet

    delete_sg = SecurityGroupBackend.delete_security_group

    def _delete_security_group(self, name=None, group_id=None):
        if refusals() and group_id:
            for groups in self.groups.values():
                for g in groups.values():
                    if g.id == group_id:
                        continue
                    for rule in list(g.ingress_rules) + list(g.egress_rules):
                        if (getattr(rule, "source_group", None) or {}).get("GroupId") == group_id:
                            raise DependencyViolationError(
                                f"resource {group_id} has a dependent object"
                            )
            for eni in self.enis.values():
                if any(getattr(g, "id", g) == group_id for g in getattr(eni, "_group_set", []) or []):
                    raise DependencyViolationError(
                        f"resource {group_id} has a dependent object"
                    )
        return delete_sg(self, name=name, group_id=group_id)

    SecurityGroupBackend.delete_security_group = _delete_security_group

    delete_vpc = VPCBackend.delete_vpc

    def _delete_vpc(self, vpc_id):
        if refusals():
            attached = [g for g in self.internet_gateways.values() if g.vpc is not None and g.vpc.id == vpc_id]
            groups = [g for g in self.groups.get(vpc_id, {}).values() if g.name != "default"]
            # A VPC endpoint holds its VPC until it is deleted (`deleting` still holds it).
            endpoints = [
                e for e in self.vpc_end_points.values()
                if e.vpc_id == vpc_id and str(e.state).lower() != "deleted"
            ]
            if attached or groups or endpoints:
                raise DependencyViolationError(
                    f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
                )
        return delete_vpc(self, vpc_id)

    VPCBackend.delete_vpc = _delete_vpc

    release = ElasticAddressBackend.release_address

    def _release_address(self, address=None, allocation_id=None):
        if refusals() and allocation_id:
            for eip in self.addresses:
                if eip.allocation_id == allocation_id and (eip.eni is not None or eip.instance is not None):
                    raise EC2ClientError(
                        "InvalidIPAddress.InUse",
                        f"Address {eip.public_ip} is in use.",
                    )
        return release(self, address=address, allocation_id=allocation_id)

    ElasticAddressBackend.release_address = _release_address

    detach = InternetGatewayBackend.detach_internet_gateway

    def _detach_internet_gateway(self, internet_gateway_id, vpc_id):
        if refusals():
            for eip in self.addresses:
                subnet = getattr(getattr(eip, "eni", None), "subnet", None)
                if subnet is not None and getattr(subnet, "vpc_id", None) == vpc_id:
                    raise DependencyViolationError(
                        f"Network {vpc_id} has some mapped public address(es). Please unmap "
                        "those public address(es) before detaching the gateway."
                    )
        return detach(self, internet_gateway_id, vpc_id)

    InternetGatewayBackend.detach_internet_gateway = _detach_internet_gateway

    create_route = RouteBackend.create_route

    def _create_route(self, route_table_id, destination_cidr_block, *args, **kwargs):
        nat = kwargs.get("nat_gateway_id")
        if refusals() and nat and nat not in self.nat_gateways:
            raise EC2ClientError(
                "InvalidNatGatewayID.NotFound", f"The natGateway ID '{nat}' does not exist"
            )
        return create_route(self, route_table_id, destination_cidr_block, *args, **kwargs)

    RouteBackend.create_route = _create_route

    install_modify_patches(refusals)
    install_tagging_pages()

    import testbed_services

    testbed_services.install()


def install_tagging_pages():
    """`GetResources` pages: AWS limits a page by `ResourcesPerPage` (at most 100), and by tags
    only when the call gives `TagsPerPage`. moto also ends every page at 100 tags when the call
    does not give it, so a stack whose resources carry four tags each came back in pages of 25:
    without `TagsPerPage` the test bed sets no tag limit, as AWS."""
    from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

    get_resources = ResourceGroupsTaggingAPIResponse.get_resources

    def _get_resources(self):
        if self._get_param("TagsPerPage") is not None:
            return get_resources(self)
        backend = self.backend
        paged = backend.get_resources

        def unlimited(**kwargs):
            kwargs["tags_per_page"] = 10**9
            return paged(**kwargs)

        backend.get_resources = unlimited
        try:
            return get_resources(self)
        finally:
            del backend.get_resources

    ResourceGroupsTaggingAPIResponse.get_resources = _get_resources


def install_modify_patches(refusals):
    """Transit gateways, attachments and VPC endpoints being modified; the refusals that depend
    on where or in which VPC a change is made (private DNS, peering options by region, a public
    NAT gateway without an internet gateway)."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.transit_gateway import TransitGatewayBackend
    from moto.ec2.models.transit_gateway_attachments import TransitGatewayAttachmentBackend
    from moto.ec2.models.vpc_peering_connections import VPCPeeringConnectionBackend
    from moto.ec2.models.vpcs import VPCBackend

    def refuse_unless_available(resource, resource_id):
        if refusals() and resource.state != "available":
            raise EC2ClientError(
                "IncorrectState", f"{resource_id} is in invalid state {resource.state}"
            )

    def hold(resource, what, state):
        """`state` for the `what` pending time, then `available`."""
        delay = CONFIG.pending(what)
        if delay > 0:

            def settle():
                if resource.state == state:
                    resource.state = "available"

            resource.state = state
            later(delay, settle)

    # ModifyTransitGateway and ModifyTransitGatewayVpcAttachment: `modifying` for a while,
    # refused (IncorrectState) while the resource is not available.
    modify_tgw = TransitGatewayBackend.modify_transit_gateway
    modify_att = TransitGatewayAttachmentBackend.modify_transit_gateway_vpc_attachment

    def modify_transit_gateway(self, transit_gateway_id, *args, **kwargs):
        tgw = self.transit_gateways.get(transit_gateway_id)
        if tgw is not None:
            refuse_unless_available(tgw, transit_gateway_id)
        result = modify_tgw(self, transit_gateway_id, *args, **kwargs)
        if tgw is not None:
            hold(tgw, "transit_gateway", "modifying")
        return result

    def modify_transit_gateway_vpc_attachment(self, transit_gateway_attachment_id, *args, **kwargs):
        att = self.transit_gateway_attachments.get(transit_gateway_attachment_id)
        if att is not None:
            refuse_unless_available(att, transit_gateway_attachment_id)
        result = modify_att(self, transit_gateway_attachment_id, *args, **kwargs)
        if att is not None:
            hold(att, "tgw_attachment", "modifying")
        return result

    TransitGatewayBackend.modify_transit_gateway = modify_transit_gateway
    TransitGatewayAttachmentBackend.modify_transit_gateway_vpc_attachment = modify_transit_gateway_vpc_attachment

    # Private DNS for an interface endpoint needs DNS support and DNS host names in its VPC:
    # AWS refuses the create or modify otherwise. ModifyVpcEndpoint leaves the endpoint
    # `pending` for a while.
    def on(value):
        return str(value).lower() == "true"

    def check_private_dns(backend, vpc_id, endpoint_type, private_dns):
        if not (refusals() and private_dns and (endpoint_type or "").lower() == "interface"):
            return
        vpc = backend.get_vpc(vpc_id)
        if not (on(vpc.enable_dns_support) and on(vpc.enable_dns_hostnames)):
            raise EC2ClientError(
                "InvalidParameter",
                "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames "
                f"VPC attributes set to true for {vpc_id}",
            )

    create_vpce = VPCBackend.create_vpc_endpoint
    modify_vpce = VPCBackend.modify_vpc_endpoint

    def create_vpc_endpoint(self, vpc_id, service_name, endpoint_type, *args, **kwargs):
        check_private_dns(self, vpc_id, endpoint_type, kwargs.get("private_dns_enabled"))
        return create_vpce(self, vpc_id, service_name, endpoint_type, *args, **kwargs)

    def modify_vpc_endpoint(self, *args, **kwargs):
        endpoint = self.vpc_end_points.get(kwargs.get("vpc_id") or args[0])
        if endpoint is not None:
            refuse_unless_available(endpoint, endpoint.id)
            check_private_dns(
                self, endpoint.vpc_id, endpoint.vpc_endpoint_type, kwargs.get("private_dns_enabled")
            )
        result = modify_vpce(self, *args, **kwargs)
        if endpoint is not None:
            hold(endpoint, "vpc_endpoint", "pending")
        return result

    VPCBackend.create_vpc_endpoint = create_vpc_endpoint
    VPCBackend.modify_vpc_endpoint = modify_vpc_endpoint

    # Peering options across regions: the requester's side is changed in the requester's
    # region, the accepter's in the accepter's region.
    modify_pcx = VPCPeeringConnectionBackend.modify_vpc_peering_connection_options

    def modify_vpc_peering_connection_options(self, vpc_pcx_id, accepter_options=None, requester_options=None):
        pcx = self.get_vpc_peering_connection(vpc_pcx_id)
        if refusals():
            for side, options, region in (
                ("accepter", accepter_options, pcx.peer_vpc.region),
                ("requester", requester_options, pcx.vpc.region),
            ):
                if options and self.region_name != region:
                    raise EC2ClientError(
                        "OperationNotPermitted",
                        f"Incorrect region ({self.region_name}) specified for this request. The "
                        f"{side} options of VPC peering connection {vpc_pcx_id} must be modified "
                        f"in region {region}",
                    )
        return modify_pcx(self, vpc_pcx_id, accepter_options, requester_options)

    VPCPeeringConnectionBackend.modify_vpc_peering_connection_options = modify_vpc_peering_connection_options

    # A public NAT gateway in a VPC without an attached internet gateway: AWS accepts the
    # create, then the gateway fails (Gateway.NotAttached). A private one needs none.
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    create_nat = NatGatewayBackend.create_nat_gateway

    def create_nat_gateway(self, *args, **kwargs):
        nat = create_nat(self, *args, **kwargs)
        attached = any(
            g.vpc is not None and g.vpc.id == nat.vpc_id for g in self.internet_gateways.values()
        )
        if refusals() and nat.connectivity_type != "private" and not attached:
            nat.state = "failed"
            nat.failure_code = "Gateway.NotAttached"
            nat.failure_message = f"Network {nat.vpc_id} has no Internet gateway attached"
            # A failed NAT gateway holds neither its address nor an interface.
            for address in nat.address_set:
                if address.get("associationId"):
                    self.disassociate_address(association_id=address["associationId"])
            self.enis.pop(nat._eni.id, None)
        return nat

    NatGatewayBackend.create_nat_gateway = create_nat_gateway


# ---------------------------------------------------------------------------------------------
# The HTTP layer: control API, call log, faults, latency, pagination, eventual consistency.
# ---------------------------------------------------------------------------------------------

# EC2 describes the layer knows: operation -> (list element, id element, id parameter, the
# error AWS returns for an id it cannot find).
LISTS = {
    "DescribeVpcs": ("vpcSet", "vpcId", "VpcId", "InvalidVpcID.NotFound"),
    "DescribeSubnets": ("subnetSet", "subnetId", "SubnetId", "InvalidSubnetID.NotFound"),
    "DescribeRouteTables": ("routeTableSet", "routeTableId", "RouteTableId", "InvalidRouteTableID.NotFound"),
    "DescribeSecurityGroups": ("securityGroupInfo", "groupId", "GroupId", "InvalidGroup.NotFound"),
    "DescribeInternetGateways": ("internetGatewaySet", "internetGatewayId", "InternetGatewayId", "InvalidInternetGatewayID.NotFound"),
    "DescribeNatGateways": ("natGatewaySet", "natGatewayId", "NatGatewayId", "NatGatewayNotFound"),
    "DescribeAddresses": ("addressesSet", "allocationId", "AllocationId", "InvalidAllocationID.NotFound"),
    "DescribeManagedPrefixLists": ("prefixListSet", "prefixListId", "PrefixListId", "InvalidPrefixListID.NotFound"),
    "DescribeVpcEndpoints": ("vpcEndpointSet", "vpcEndpointId", "VpcEndpointId", "InvalidVpcEndpointId.NotFound"),
    "DescribeVpcPeeringConnections": ("vpcPeeringConnectionSet", "vpcPeeringConnectionId", "VpcPeeringConnectionId", "InvalidVpcPeeringConnectionID.NotFound"),
    "DescribeTransitGateways": ("transitGatewaySet", "transitGatewayId", "TransitGatewayIds", "InvalidTransitGatewayID.NotFound"),
    "DescribeTransitGatewayVpcAttachments": ("transitGatewayVpcAttachments", "transitGatewayAttachmentId", "TransitGatewayAttachmentIds", "InvalidTransitGatewayAttachmentID.NotFound"),
    "DescribeTransitGatewayRouteTables": ("transitGatewayRouteTables", "transitGatewayRouteTableId", "TransitGatewayRouteTableIds", "InvalidRouteTableID.NotFound"),
    "DescribeNetworkInterfaces": ("networkInterfaceSet", "networkInterfaceId", "NetworkInterfaceId", "InvalidNetworkInterfaceID.NotFound"),
    "GetManagedPrefixListEntries": ("entrySet", None, None, None),
}
# Describes that take no MaxResults on AWS (pagination is not applied to them).
NOT_PAGED = {"DescribeAddresses"}
# RDS describes moto answers whole, ignoring MaxRecords and Marker: operation -> list element.
# With `pagination` the layer cuts their pages (AWS's default MaxRecords is 100) with an opaque
# Marker. DescribeDBInstances is paged by moto itself. AWS refuses a MaxRecords outside 20..100
# on all of them (InvalidParameterValue); moto takes any.
RDS_LISTS = {
    "DescribeDBClusters": "DBClusters",
    "DescribeDBSubnetGroups": "DBSubnetGroups",
    "DescribeDBClusterParameterGroups": "DBClusterParameterGroups",
    "DescribeDBClusterParameters": "Parameters",
    "DescribeDBClusterSnapshots": "DBClusterSnapshots",
}
RDS_PAGED = set(RDS_LISTS) | {"DescribeDBInstances"}
# Requests whose User-Agent carries this (the SDK's app name) see the emulator as it is: no
# faults, latency, hiding or paging, and no entry in the call log. The tests check the
# emulator's state this way.
OBSERVER = "app/strata-observer"


def strip_ns(tag):
    return tag.split("}", 1)[-1]


def rds_page(body, list_name, offset, limit):
    """One page of an RDS describe's whole answer, with a Marker when more follow."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return body
    items_el = find_list(root, list_name)
    if items_el is None:
        return body
    items = list(items_el)
    for child in items:
        items_el.remove(child)
    for item in items[offset:offset + limit]:
        items_el.append(item)
    result = next((el for el in root.iter() if items_el in list(el)), None)
    if result is not None:
        for el in list(result):
            if strip_ns(el.tag) == "Marker":
                result.remove(el)
        if offset + limit < len(items):
            ns = result.tag[: result.tag.index("}") + 1] if result.tag.startswith("{") else ""
            ET.SubElement(result, ns + "Marker").text = base64.b64encode(str(offset + limit).encode()).decode()
    if root.tag.startswith("{"):
        ET.register_namespace("", root.tag[1:].split("}")[0])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def find_list(root, name):
    for el in root.iter():
        if strip_ns(el.tag) == name:
            return el
    return None


def child_text(item, name):
    for el in item:
        if strip_ns(el.tag) == name:
            return el.text or ""
    return None


REASONS = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


# States in which a resource moto still holds is gone for AWS.
GONE = {"deleted", "deleting", "delete-complete", "rejected", "failed", "expired", "inactive"}


def inventory():
    """Everything the emulator holds now, in every service, account and region, tagged or not:
    ["service region Model id"], sorted. A generic walk over moto's backends (each loaded
    service's BackendDict, each backend's dicts and lists of models, two levels deep), so it
    needs nothing per service. A model's id is its ARN, or for EC2 its id. Resources in a
    state that AWS no longer shows (deleted, failed, ...) are left out, and so are AWS's own
    KMS keys and RDS default groups (made on first use). moto's own defaults
    (AMIs, default VPCs) are in it, made when a region is first used: compare two inventories
    taken once the regions are in use."""
    import sys
    from collections.abc import Mapping

    from moto.core.base_backend import BackendDict
    from moto.core.common_models import BaseModel

    def ident(model, service):
        arn = getattr(model, "arn", None)
        if service != "ec2" and isinstance(arn, str) and arn.startswith("arn:"):
            return arn
        for attr in ("id", "physical_resource_id", "name"):
            value = getattr(model, attr, None)
            if isinstance(value, str) and value:
                return value
        return None

    def gone(model):
        for attr in ("state", "status", "_state", "_status"):
            value = getattr(model, attr, None)
            value = getattr(value, "code", value)  # a peering's status is an object
            if isinstance(value, str) and value.lower() in GONE:
                return True
        return False

    def aws_managed(model):
        # AWS's own: an AWS managed KMS key (`alias/aws/rds`, `alias/aws/secretsmanager`), made in
        # an account on first use (an encrypted DB cluster, a managed master password) and kept;
        # an RDS default parameter or option group (`default.aurora-postgresql16`), which moto
        # makes when a DB instance of that family first names it.
        if any(str(a).startswith("alias/aws/") for a in getattr(model, "aliases", None) or ()):
            return True
        # AWS managed IAM policies (`arn:aws:iam::aws:policy/…`, fixes.py 16).
        if type(model).__name__ == "AWSManagedPolicy":
            return True
        name = getattr(model, "name", None)
        return type(model).__module__ == "moto.rds.models" and str(name).startswith(("default.", "default:"))

    def models(value, depth=0):
        if isinstance(value, BaseModel):
            yield value
        elif depth < 2 and isinstance(value, Mapping):  # RDS keeps its models in Mappings
            for v in list(value.values()):
                yield from models(v, depth + 1)
        elif depth < 2 and isinstance(value, (list, tuple)):
            for v in list(value):
                yield from models(v, depth + 1)

    found = set()
    seen = set()
    for name, module in list(sys.modules.items()):
        if not (name.startswith("moto.") and name.endswith(".models")):
            continue
        for backends in list(vars(module).values()):
            # A module may import another service's backends: each is walked once, as its own.
            if not isinstance(backends, BackendDict) or id(backends) in seen:
                continue
            seen.add(id(backends))
            service = getattr(backends, "service_name", name.split(".")[1])
            for account in dict.values(backends):
                for region, backend in dict.items(account):
                    for attr, value in list(vars(backend).items()):
                        for model in models(value):
                            i = ident(model, service)
                            if i and not gone(model) and not aws_managed(model):
                                found.add(f"{service} {region} {type(model).__name__} {i}")
    return sorted(found)


def read_body(environ):
    """The request's body: CONTENT_LENGTH bytes, or up to the end of a chunked body (S3 uploads
    come chunked; the server de-chunks them and marks the input terminated)."""
    stream = environ["wsgi.input"]
    size = environ.get("CONTENT_LENGTH")
    if size:
        return stream.read(int(size))
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def count(service, operation):
    """Counts one more call of the operation: which call of it this is, of any service and of
    this one. Called under LOCK."""
    for key in (operation, (service, operation)):
        COUNTS[key] = COUNTS.get(key, 0) + 1
    return COUNTS[operation], COUNTS[(service, operation)]


class TestBed:
    """WSGI middleware in front of moto."""

    def __init__(self, app):
        self.app = app
        self.seq = 0

    # -- control API --------------------------------------------------------------------------
    def control(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_testbed/config":
            if method == "POST":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                with LOCK:
                    CONFIG.merge(json.loads(environ["wsgi.input"].read(size) or b"{}"))
            body = json.dumps(CONFIG.data).encode()
        elif path == "/_testbed/settle" and method == "POST":
            # Every timed transition happens now: what is pending becomes ready.
            with LOCK:
                for t in TIMERS:
                    TIMERS[TIMERS.index(t)] = (0, t[1])
                tick()
            body = b"{}"
        elif path == "/_testbed/inventory":
            with LOCK:
                tick()
                body = json.dumps(inventory()).encode()
        elif path == "/_testbed/log":
            with LOCK:
                if method == "DELETE":
                    LOG.clear()
                    COUNTS.clear()
                body = json.dumps(LOG).encode()
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"unknown test bed path: use /_testbed/config, /_testbed/log, /_testbed/inventory or /_testbed/settle"]
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    # -- one AWS call ------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_testbed/"):
            return self.control(environ, start_response)
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        if OBSERVER in environ.get("HTTP_USER_AGENT", ""):
            with LOCK:
                tick()
                return list(self.app(environ, start_response))

        raw = read_body(environ)
        request = protocols.identify(environ, raw)
        protocol, operation, params = request.protocol, request.operation, request.params
        with LOCK:
            self.seq += 1
            seq = self.seq
            nth = count(request.service, operation)
        started = time.time()
        entry = {
            "seq": seq,
            "service": request.service,
            "protocol": protocol,
            "region": request.region,
            "operation": operation,
            "ids": request.ids(),
            "start": started,
        }
        name = request.tagged_name()
        if name is not None:
            entry["name"] = name
        delay = self.latency()
        if delay:
            time.sleep(delay)

        fault, when = self.pick_fault(request.service, operation, nth)
        if fault and when == "before":
            return self.answer_fault(fault, request, environ, start_response, entry)

        # Pagination: moto ignores MaxResults and NextToken, so ask for everything and cut.
        paged = protocol == "ec2" and operation in LISTS and operation not in NOT_PAGED and bool(CONFIG["pagination"])
        offset, limit = 0, None
        if paged and params.get("MaxResults"):
            limit = int(params["MaxResults"][0])
            token = (params.get("NextToken") or [""])[0]
            try:
                offset = int(base64.b64decode(token).decode()) if token else 0
            except ValueError:
                return self.answer(
                    request, 400, "InvalidPaginationToken", f"The pagination token {token} is invalid.",
                    start_response, entry,
                )
            params.pop("MaxResults", None)
            params.pop("NextToken", None)
            raw = urllib.parse.urlencode(params, doseq=True).encode()
            entry["page"] = offset // max(limit, 1) + 1
        rds_paged = request.service == "rds" and operation in RDS_PAGED and bool(CONFIG["pagination"])
        if rds_paged:
            size = (params.get("MaxRecords") or ["100"])[0]
            if not size.isdigit() or not 20 <= int(size) <= 100:
                return self.answer(
                    request, 400, "InvalidParameterValue",
                    f"Invalid value {size} for MaxRecords. Must be between 20 and 100",
                    start_response, entry,
                )
        if rds_paged and operation in RDS_LISTS:
            limit = int((params.get("MaxRecords") or ["100"])[0])
            marker = (params.get("Marker") or [""])[0]
            try:
                offset = int(base64.b64decode(marker).decode()) if marker else 0
            except ValueError:
                return self.answer(
                    request, 400, "InvalidParameterValue", f"Invalid marker: {marker}", start_response, entry
                )
            params.pop("MaxRecords", None)
            params.pop("Marker", None)
            raw = urllib.parse.urlencode(params, doseq=True).encode()
            entry["page"] = offset // limit + 1
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))

        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda _data: None

        with LOCK:
            tick()
            body = b"".join(self.app(environ, capture))
        status = captured.get("status", "500 Internal Server Error")
        headers = [(k, v) for k, v in captured.get("headers", []) if k.lower() != "content-length"]

        if status.startswith("200") and protocol == "ec2":
            body, missing = self.after(operation, params, body, offset, limit, entry)
            if missing:
                code = LISTS[operation][3]
                return self.answer(
                    request, 400, code, f"The ID '{missing}' does not exist", start_response, entry
                )
        if status.startswith("200") and rds_paged and operation in RDS_LISTS:
            body = rds_page(body, RDS_LISTS[operation], offset, limit)
        if fault and when == "after":
            entry["when"] = "after"
            return self.answer_fault(fault, request, environ, start_response, entry)

        code = None if status.startswith("2") else protocols.error_code(body)
        entry.update({"status": int(status.split()[0]), "error": code, "ms": round((time.time() - started) * 1000, 1)})
        with LOCK:
            LOG.append(entry)
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    def latency(self):
        lat = CONFIG["latency"] or {}
        with LOCK:
            if lat.get("fixed_ms"):
                return lat["fixed_ms"] / 1000
            if lat.get("uniform_ms"):
                lo, hi = lat["uniform_ms"]
                return CONFIG.rng.uniform(lo, hi) / 1000
            if lat.get("normal_ms"):
                mean, sd = lat["normal_ms"]
                return max(0.0, CONFIG.rng.gauss(mean, sd)) / 1000
            if lat.get("lognormal_ms"):
                median, sigma = lat["lognormal_ms"]
                return CONFIG.rng.lognormvariate(math.log(median), sigma) / 1000
        return 0.0

    def pick_fault(self, service, operation, nth):
        """The fault to give this call, and when: a target naming the operation (and, if it
        says, the service: {"service": "logs", "operation": "CreateLogGroup"}) at its nth call,
        or a random one at the configured rate; `operations` lists names, or "service:Name"."""
        faults = CONFIG["faults"] or {}
        for t in faults.get("targets", []):
            if t.get("operation") != operation or t.get("service", service) != service:
                continue
            if int(t.get("nth", 1)) == nth["service" in t]:
                return t.get("kind", "503"), t.get("when", "before")
        rate = float(faults.get("rate", 0) or 0)
        only = faults.get("operations")
        cap = faults.get("max_in_row")
        named = not only or operation in only or f"{service}:{operation}" in only
        if rate > 0 and named:
            key = (service, operation)
            with LOCK:
                in_row = IN_ROW.get(key, 0)
                if (cap is None or in_row < int(cap)) and CONFIG.rng.random() < rate:
                    IN_ROW[key] = in_row + 1
                    kinds = faults.get("kinds") or ["throttle"]
                    kind = CONFIG.rng.choice(kinds)
                    if kind.endswith("-after"):
                        return kind[: -len("-after")], "after"
                    return kind, "before"
                IN_ROW[key] = 0
        return None, None

    def answer(self, request, status, code, message, start_response, entry):
        return self.send(request.error(status, code, message), code, start_response, entry)

    def send(self, answer, code, start_response, entry):
        status, headers, body = answer
        entry.update({"status": status, "error": code, "ms": round((time.time() - entry["start"]) * 1000, 1)})
        with LOCK:
            LOG.append(entry)
        start_response(
            f"{status} {REASONS.get(status, 'Error')}",
            headers + [("Content-Length", str(len(body)))],
        )
        return [body]

    def answer_fault(self, fault, request, environ, start_response, entry):
        entry["fault"] = fault
        if fault == "drop":
            entry.update({"status": 0, "error": "connection dropped", "ms": round((time.time() - entry["start"]) * 1000, 1)})
            with LOCK:
                LOG.append(entry)
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            raise ConnectionAbortedError("test bed: dropped connection")
        if fault == "timeout":
            # Hold the request past the client's timeout, then answer (too late). The call is
            # logged at once: the client has given up long before the answer.
            entry.update({"status": 0, "error": "timed out"})
            with LOCK:
                LOG.append(entry)
            time.sleep(float((CONFIG["faults"] or {}).get("timeout_s", 3)))
            _, (status, headers, body) = request.fault("503")
            entry["ms"] = round((time.time() - entry["start"]) * 1000, 1)
            start_response(
                f"{status} {REASONS.get(status, 'Error')}",
                headers + [("Content-Length", str(len(body)))],
            )
            return [body]
        code, answer = request.fault(fault)
        return self.send(answer, code, start_response, entry)

    def after(self, operation, params, body, offset, limit, entry):
        """Records new ids; hides fresh resources (or their tags); cuts pages. Returns the body
        and, when a describe named an id that is hidden, that id."""
        now = time.time()
        if operation.startswith(("Create", "Allocate")):
            with LOCK:
                for m in ID_RE.finditer(body.decode("utf-8", "replace")):
                    FRESH.setdefault(m.group(0), now)
            return body, None
        if operation not in LISTS:
            return body, None
        window = float(CONFIG["consistency"] or 0)
        tag_lag = float(CONFIG["tag_lag"] or 0)
        if not window and not tag_lag and limit is None:
            return body, None
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return body, None
        list_name, id_name, id_param, _ = LISTS[operation]
        items_el = find_list(root, list_name)
        if items_el is None:
            return body, None
        items = list(items_el)

        def age(item):
            created = FRESH.get(child_text(item, id_name) or "") if id_name else None
            return None if created is None else now - created

        if window and id_name:
            hidden = [i for i in items if age(i) is not None and age(i) < window]
            named = {v for k, vs in params.items() if id_param and k.startswith(id_param + ".") for v in vs}
            for i in hidden:
                if child_text(i, id_name) in named:
                    return body, child_text(i, id_name)
            items = [i for i in items if i not in hidden]
            if hidden:
                entry["hidden"] = [child_text(i, id_name) for i in hidden]
        if tag_lag and id_name:
            by_tag = any(
                v[0].startswith("tag") for k, v in params.items() if k.startswith("Filter.") and k.endswith(".Name")
            )
            lagging = [i for i in items if age(i) is not None and age(i) < tag_lag]
            if by_tag:
                items = [i for i in items if i not in lagging]
            if lagging:
                entry["untagged"] = [child_text(i, id_name) for i in lagging]
            for i in lagging:
                for el in list(i):
                    if strip_ns(el.tag) == "tagSet":
                        i.remove(el)
        next_token = None
        if limit is not None:
            if offset + limit < len(items):
                next_token = base64.b64encode(str(offset + limit).encode()).decode()
            items = items[offset:offset + limit]
        for child in list(items_el):
            items_el.remove(child)
        for i in items:
            items_el.append(i)
        for el in list(root):
            if strip_ns(el.tag) == "nextToken":
                root.remove(el)
        if next_token:
            token_el = ET.SubElement(root, "nextToken")
            token_el.text = next_token
        if root.tag.startswith("{"):
            ET.register_namespace("", root.tag[1:].split("}")[0])
        return ET.tostring(root, encoding="utf-8", xml_declaration=True), None
