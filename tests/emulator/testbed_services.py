"""The test bed's behaviours for services other than EC2 (RDS, Elastic Load Balancing v2,
CloudFront, ECS, IAM server certificates): pending states, refusals, lingering interfaces, the
server certificates' tags, names and ids, and CloudFront's origin access identities, origin
access controls and distribution configurations as AWS answers them. Installed by
testbed.install_model_patches();
configured through testbed.CONFIG like the rest."""

import copy
import time
import uuid

from testbed import CONFIG, later


def refusals():
    return bool(CONFIG["refusals"])


def linger():
    return float(CONFIG["linger"] or 0)


def interfaces_modelled():
    """Whether load balancers and ECS tasks get AWS's requester-managed interfaces: they only
    show when they can matter, that is when they linger or when refusals make them block."""
    return linger() > 0 or refusals()


def hold(resource, state, seconds, final, attribute="status"):
    """Puts a resource in a transitional state for `seconds`, then in `final` (unless something
    else moved it meanwhile). While held, moto's own on-read transitions are off (see
    hold_status and the load balancer's activate)."""
    token = object()
    setattr(resource, attribute, state)
    resource.held = token

    def settle():
        if getattr(resource, "held", None) is not token:
            return
        resource.held = None
        if getattr(resource, attribute) == state:
            setattr(resource, attribute, final)

    later(seconds, settle)


def hold_status(model):
    """moto moves some models on when their `status` is read (a DB cluster is `available` once
    read, a distribution `Deployed` once fetched); a held one answers its stored status."""
    moto_status = model.status

    def status(self):
        if getattr(self, "held", None) is not None:
            return self._status
        return moto_status.fget(self)

    model.status = property(status, moto_status.fset)


def release_interfaces(ec2_backend, enis):
    """AWS detaches a service's interfaces when the service lets them go: they stay, `available`,
    for a while (linger), then are deleted."""
    seconds = linger()

    def drop():
        for eni in enis:
            ec2_backend.enis.pop(eni.id, None)

    if seconds > 0:
        for eni in enis:
            eni.status = "available"
        later(seconds, drop)
    else:
        drop()


def managed_interface(eni, requester_id, description):
    eni.requester_managed = True
    eni.requester_id = requester_id
    eni.description = description
    eni.status = "in-use"


# ---------------------------------------------------------------------------------------------
# RDS: clusters and instances are `creating`, then `available`; `modifying` after a change, then
# `available`; `deleting`, then gone. AWS's refusals: a change or a final snapshot while the
# cluster is not `available`, a delete that does not decide its final snapshot, a subnet group
# that does not cover two zones, groups in use or missing. What moto lacks of the Aurora
# Serverless v2 kinds: the Data API (EnableHttpEndpoint, DisableHttpEndpoint),
# ResetDBClusterParameterGroup, parameters by source, the auto-pause default.
# ---------------------------------------------------------------------------------------------

def cluster_named(backend, name):
    """The DB cluster of that identifier (AWS ignores case), or None."""
    name = (name or "").lower()
    return next((c for k, c in backend.clusters.items() if k.lower() == name), None)


def auto_pause_default(cluster):
    """AWS shows ServerlessV2ScalingConfiguration.SecondsUntilAutoPause only while MinCapacity is
    0, where it defaults to 300 (also when the minimum goes back to 0); a minimum above 0 removes
    it. moto keeps the configuration exactly as given."""
    config = getattr(cluster, "serverless_v2_scaling_configuration", None)
    if not config or config.get("MinCapacity") is None:
        return
    if float(config.get("MinCapacity")) == 0:
        if config.get("SecondsUntilAutoPause") is None:
            config["SecondsUntilAutoPause"] = 300
    else:
        config.pop("SecondsUntilAutoPause", None)


def install_rds():
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import DBCluster, RDSBackend

    # The Resource Groups Tagging API lists every taggable RDS resource on AWS, subnet groups
    # (`rds:subgrp`) and cluster parameter groups (`rds:cluster-pg`) among them; moto lists
    # clusters, instances, proxies and snapshots only. Always on.
    tagged = RDSBackend.iter_tagged_resources

    def iter_tagged_resources(self):
        from moto.core.resource_tagging import TaggedResource

        yield from tagged(self)
        for resource_type, resources in (
            ("rds:subgrp", self.subnet_groups.values()),
            ("rds:cluster-pg", self.db_cluster_parameter_groups.values()),
        ):
            for resource in resources:
                yield TaggedResource(
                    arn=resource.arn,
                    tags={tag["Key"]: tag["Value"] for tag in resource.get_tags()},
                    resource_type=resource_type,
                )

    RDSBackend.iter_tagged_resources = iter_tagged_resources

    hold_status(DBCluster)
    create_cluster = RDSBackend.create_db_cluster
    delete_cluster = RDSBackend.delete_db_cluster
    create_instance = RDSBackend.create_db_instance
    delete_instance = RDSBackend.delete_db_instance

    def create_db_cluster(self, kwargs):
        if refusals():
            refuse_missing_groups(self, kwargs)
        cluster = create_cluster(self, kwargs)
        # The Data API of a provisioned (Serverless v2) Aurora cluster is enabled at create time
        # as asked; moto enables it only for a few Serverless v1 engine versions.
        if (
            kwargs.get("enable_http_endpoint")
            and cluster.engine_mode == "provisioned"
            and cluster.engine in ("aurora-postgresql", "aurora-mysql")
        ):
            cluster._enable_http_endpoint = True
        auto_pause_default(cluster)
        delay = CONFIG.pending("rds_cluster")
        if delay > 0:
            hold(cluster, "creating", delay, "available")
        return cluster

    def delete_db_cluster(self, cluster_identifier, snapshot_name=None):
        current = cluster_named(self, cluster_identifier)
        if refusals() and current is not None:
            # The exact wording of this refusal was not checked.
            if current.status == "deleting":
                raise RDSClientError(
                    "InvalidDBClusterStateFault", f"DB cluster {cluster_identifier} is already being deleted."
                )
            # AWS takes the final snapshot of an `available` cluster only (a public report).
            if snapshot_name and current.status != "available":
                raise RDSClientError(
                    "InvalidDBClusterStateFault",
                    f"Can't create a snapshot because the database cluster {cluster_identifier} "
                    "isn't currently in the available state.",
                )
        # AWS refuses while the cluster has instances "in non-deleting state" (moto's own
        # refusal): instances being deleted do not count.
        leaving = {
            name: db
            for name, db in self.databases.items()
            if db.status == "deleting" and getattr(db, "db_cluster_identifier", None) == cluster_identifier
        }
        for name in leaving:
            del self.databases[name]
        try:
            cluster = delete_cluster(self, cluster_identifier, snapshot_name)
        finally:
            self.databases.update(leaving)
        delay = CONFIG.pending("rds_cluster_delete")
        if delay > 0:
            self.clusters[cluster_identifier] = cluster
            cluster.status = "deleting"

            def gone():
                if self.clusters.get(cluster_identifier) is cluster:
                    del self.clusters[cluster_identifier]

            later(delay, gone)
        return cluster

    def create_db_instance(self, db_kwargs):
        database = create_instance(self, db_kwargs)
        delay = CONFIG.pending("rds_instance")
        if delay > 0:
            hold(database, "creating", delay, "available")
        return database

    def delete_db_instance(self, db_instance_identifier, *args, **kwargs):
        current = self.databases.get(db_instance_identifier)
        if refusals() and current is not None and current.status == "deleting":
            raise RDSClientError(
                "InvalidDBInstanceState", f"Instance {db_instance_identifier} is already being deleted."
            )
        database = delete_instance(self, db_instance_identifier, *args, **kwargs)
        delay = CONFIG.pending("rds_instance_delete")
        if delay > 0:
            self.databases[db_instance_identifier] = database

            def gone():
                if self.databases.get(db_instance_identifier) is database:
                    del self.databases[db_instance_identifier]

            later(delay, gone)
        return database

    RDSBackend.create_db_cluster = create_db_cluster
    RDSBackend.delete_db_cluster = delete_db_cluster
    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.delete_db_instance = delete_db_instance
    install_rds_changes()
    install_rds_groups()
    install_rds_answers()


def refuse_missing_groups(backend, kwargs):
    """AWS refuses a cluster naming a subnet group or a cluster parameter group that does not
    exist (moto takes any name): DBSubnetGroupNotFoundFault, DBClusterParameterGroupNotFound (HTTP
    404, the codes of CreateDBCluster's and ModifyDBCluster's API reference; the wordings are
    moto's). Default parameter groups (`default.…`) exist on AWS."""
    from moto.rds.exceptions import DBSubnetGroupNotFoundError, RDSClientError

    subnet_group = kwargs.get("db_subnet_group_name")
    if subnet_group and subnet_group not in backend.subnet_groups:
        raise DBSubnetGroupNotFoundError(subnet_group)
    parameter_group = kwargs.get("db_cluster_parameter_group_name")
    if (
        parameter_group
        and not parameter_group.startswith("default.")
        and parameter_group not in backend.db_cluster_parameter_groups
    ):
        raise RDSClientError(
            "DBClusterParameterGroupNotFound", f"DBClusterParameterGroup not found: {parameter_group}"
        )


def install_rds_changes():
    """ModifyDBCluster and ModifyDBInstance: `modifying` for a while (pending.rds_cluster_modify,
    pending.rds_instance_modify), refused while not `available` (refusals)."""
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import RDSBackend

    modify_cluster = RDSBackend.modify_db_cluster
    modify_instance = RDSBackend.modify_db_instance

    def modify_db_cluster(self, kwargs):
        cluster = cluster_named(self, kwargs.get("db_cluster_identifier"))
        if cluster is not None:
            if refusals():
                # AWS (a public report): "DB cluster is not available for modification with
                # status modifying", likewise creating, deleting, …
                if cluster.status != "available":
                    raise RDSClientError(
                        "InvalidDBClusterStateFault",
                        f"DB cluster is not available for modification with status {cluster.status}",
                    )
                group = kwargs.get("db_cluster_parameter_group_name")
                refuse_missing_groups(self, {"db_cluster_parameter_group_name": group})
            # ModifyDBCluster's EnableHttpEndpoint is for Aurora Serverless v1 only (API
            # reference); the Data API of a provisioned (v2) cluster is changed with
            # EnableHttpEndpoint/DisableHttpEndpoint. moto set it false on every modify naming it.
            if cluster.engine_mode != "serverless":
                kwargs.pop("enable_http_endpoint", None)
        answer = modify_cluster(self, kwargs)
        auto_pause_default(cluster)
        delay = CONFIG.pending("rds_cluster_modify")
        if delay > 0:
            hold(cluster, "modifying", delay, "available")
            return cluster
        return answer

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        current = self.databases.get(db_instance_identifier)
        if refusals() and current is not None and current.status != "available":
            # AWS's message (a public report); the code is InvalidDBInstanceState.
            raise RDSClientError("InvalidDBInstanceState", "Database instance is not in available state.")
        database = modify_instance(self, db_instance_identifier, db_kwargs)
        delay = CONFIG.pending("rds_instance_modify")
        if delay > 0:
            hold(database, "modifying", delay, "available")
        return database

    RDSBackend.modify_db_cluster = modify_db_cluster
    RDSBackend.modify_db_instance = modify_db_instance


def install_rds_groups():
    """Refusals of subnet groups and cluster parameter groups (refusals): a subnet group covering
    fewer than two zones; a group that a cluster (or instance) still uses, until it is gone."""
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import RDSBackend

    create_subnet_group = RDSBackend.create_subnet_group
    modify_subnet_group = RDSBackend.modify_db_subnet_group
    delete_subnet_group = RDSBackend.delete_subnet_group
    delete_parameter_group = RDSBackend.delete_db_cluster_parameter_group

    def check_coverage(subnets):
        zones = sorted({subnet.availability_zone for subnet in subnets})
        if refusals() and len(zones) < 2:
            # AWS's message since 2022 (public reports).
            raise RDSClientError(
                "DBSubnetGroupDoesNotCoverEnoughAZs",
                "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. "
                f"Current AZ coverage: {', '.join(zones)}. Add subnets to cover at least 2 AZs.",
            )

    def create_db_subnet_group(self, subnet_name, description, subnets, tags):
        check_coverage(subnets)
        return create_subnet_group(self, subnet_name, description, subnets, tags)

    def modify_db_subnet_group(self, subnet_name, description, subnets):
        check_coverage(subnets)
        return modify_subnet_group(self, subnet_name, description, subnets)

    def delete_db_subnet_group(self, subnet_name):
        if refusals():
            # A cluster being deleted still holds it (AWS's message, from public reports).
            users = [("cluster", c.db_cluster_identifier, c.db_subnet_group_name) for c in self.clusters.values()]
            users += [
                ("instance", d.db_instance_identifier, getattr(d, "_db_subnet_group_name", None))
                for d in self.databases.values()
            ]
            for kind, name, group in users:
                if group == subnet_name:
                    raise RDSClientError(
                        "InvalidDBSubnetGroupStateFault",
                        f"Cannot delete the subnet group '{subnet_name}' because at least one "
                        f"database {kind}: {name} is still using it.",
                    )
        return delete_subnet_group(self, subnet_name)

    def delete_db_cluster_parameter_group(self, db_cluster_parameter_group_name):
        name = db_cluster_parameter_group_name
        if refusals() and any(c.parameter_group == name for c in self.clusters.values()):
            # The code is AWS's (API reference); the wording is that of DB parameter groups.
            raise RDSClientError(
                "InvalidDBParameterGroupState",
                f"One or more database clusters are still members of this parameter group {name}, "
                "so the group cannot be deleted",
            )
        return delete_parameter_group(self, db_cluster_parameter_group_name)

    RDSBackend.create_subnet_group = create_db_subnet_group
    RDSBackend.modify_db_subnet_group = modify_db_subnet_group
    RDSBackend.delete_subnet_group = delete_db_subnet_group
    RDSBackend.delete_db_cluster_parameter_group = delete_db_cluster_parameter_group


def install_rds_answers():
    """Calls moto's RDS lacks or answers short: EnableHttpEndpoint and DisableHttpEndpoint (HTTP
    500 in moto), ResetDBClusterParameterGroup (HTTP 500), DescribeDBClusterParameters by
    `Source` (moto ignored it), and DeleteDBCluster's final snapshot decided (refusals)."""
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBClusterParameterGroupNotFoundError, RDSClientError
    from moto.rds.responses import RDSResponse

    def http_endpoint(enabled):
        def answer(self):
            arn = self.params.get("ResourceArn")
            cluster = next((c for c in self.backend.clusters.values() if c.db_cluster_arn == arn), None)
            if cluster is None:
                # The code is AWS's (HTTP 404); the wording was not checked.
                raise RDSClientError("ResourceNotFoundFault", f"DBCluster {arn} not found.")
            cluster._enable_http_endpoint = enabled
            return ActionResult({"ResourceArn": arn, "HttpEndpointEnabled": enabled})

        return answer

    def group(self):
        name = self.params.get("DBClusterParameterGroupName")
        found = self.backend.db_cluster_parameter_groups.get(name)
        if found is None:
            raise DBClusterParameterGroupNotFoundError(name)
        return found

    def reset_db_cluster_parameter_group(self):
        found = group(self)
        if self.params.get("ResetAllParameters"):
            found.parameters.clear()
        for parameter in self.params.get("Parameters", []):
            found.parameters.pop(parameter.get("ParameterName"), None)
        return ActionResult({"DBClusterParameterGroupName": found.name})

    def describe_db_cluster_parameters(self):
        # moto holds only the parameters ModifyDBClusterParameterGroup set (no engine defaults):
        # they are the `user` source; `engine-default` and `system` have none here.
        found = group(self)
        source = self.params.get("Source")
        parameters = [] if source not in (None, "user") else [
            dict(values, ParameterName=name, Source="user") for name, values in found.parameters.items()
        ]
        return ActionResult({"Parameters": parameters})

    delete_cluster_answer = RDSResponse.delete_db_cluster

    def delete_db_cluster(self):
        if refusals():
            skip = bool(self.params.get("SkipFinalSnapshot"))
            final = self.params.get("FinalDBSnapshotIdentifier")
            # AWS's wordings, from public reports (of RDS clusters, and of DocumentDB, which
            # shares the API).
            if skip and final:
                raise RDSClientError(
                    "InvalidParameterCombination",
                    "You cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot",
                )
            if not skip and not final:
                raise RDSClientError(
                    "InvalidParameterCombination",
                    "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
                )
        return delete_cluster_answer(self)

    RDSResponse.enable_http_endpoint = http_endpoint(True)
    RDSResponse.disable_http_endpoint = http_endpoint(False)
    RDSResponse.reset_db_cluster_parameter_group = reset_db_cluster_parameter_group
    RDSResponse.describe_db_cluster_parameters = describe_db_cluster_parameters
    RDSResponse.delete_db_cluster = delete_db_cluster


# ---------------------------------------------------------------------------------------------
# Elastic Load Balancing v2: `provisioning`, then `active`; one requester-managed interface per
# subnet, which lingers after the load balancer is deleted.
# ---------------------------------------------------------------------------------------------

def install_elbv2():
    from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

    activate = FakeLoadBalancer.activate
    create_lb = ELBv2Backend.create_load_balancer
    delete_lb = ELBv2Backend.delete_load_balancer

    def held_activate(self):
        if getattr(self, "held", None) is None:
            activate(self)

    def create_load_balancer(self, *args, **kwargs):
        lb = create_lb(self, *args, **kwargs)
        delay = CONFIG.pending("load_balancer")
        if delay > 0:
            hold(lb, "provisioning", delay, "active", attribute="state")
        if interfaces_modelled():
            # "ELB app/NAME/ID", as the ARN ends.
            description = "ELB " + lb.arn.split(":loadbalancer/", 1)[1]
            lb.interfaces = []
            for subnet in lb.subnets:
                eni = self.ec2_backend.create_network_interface(
                    subnet, None, group_ids=lb.security_groups or None, description=description
                )
                managed_interface(eni, "amazon-elb", description)
                lb.interfaces.append(eni)
        return lb

    def delete_load_balancer(self, arn):
        lb = self.load_balancers.get(arn)
        delete_lb(self, arn)
        if lb is not None and getattr(lb, "interfaces", None):
            release_interfaces(self.ec2_backend, lb.interfaces)

    FakeLoadBalancer.activate = held_activate
    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.delete_load_balancer = delete_load_balancer
    # After the patches above, so that a repeated create answers before any interface is made.
    install_elbv2_refusals()


# ---------------------------------------------------------------------------------------------
# Elastic Load Balancing v2 refusals: a repeated create answers what exists when its settings
# are the same and is refused when they differ (load balancers, target groups, listeners); one
# listener per port; SetRulePriorities judged on the priorities it leaves. moto itself refuses a
# target group that a listener's or a rule's forward uses (ResourceInUse, ForwardConfig too).
# ---------------------------------------------------------------------------------------------

def named(resources, name):
    """The load balancer or target group of that name (unique on AWS), if any."""
    return next((r for r in resources.values() if r.name == name), None)


def load_balancer_settings(scheme, loadbalancer_type, ip_address_type, security_groups, subnet_ids):
    """What AWS compares when a load balancer's name is given again, with AWS's defaults."""
    return (
        scheme or "internet-facing",
        loadbalancer_type or "application",
        ip_address_type or "ipv4",
        frozenset(security_groups or ()),
        frozenset(subnet_ids),
    )


def settings_of_load_balancer(lb):
    return load_balancer_settings(
        lb.scheme, lb.type, lb.ip_address_type, lb.security_groups, [s.id for s in lb.subnets]
    )


TARGET_GROUP_SETTINGS = (
    "protocol", "protocol_version", "port", "vpc_id", "target_type", "ip_address_type",
    "health_check_protocol", "health_check_port", "health_check_path",
    "health_check_interval_seconds", "health_check_timeout_seconds", "health_check_enabled",
    "healthy_threshold_count", "unhealthy_threshold_count", "matcher",
)


def settings_of_target_group(group):
    """A target group's settings, as AWS compares them when its name is given again (as text:
    a count is a number or a string depending on the call that set it)."""
    return tuple(str(getattr(group, name, None)) for name in TARGET_GROUP_SETTINGS)


def listener_settings(protocol, ssl_policy, certificate, actions, alpn_policy):
    """What AWS compares when a listener's port is given again: its protocol, TLS settings and
    default actions (each action's data as moto stores it, its defaults filled in)."""
    return ((protocol or "").upper(), ssl_policy, certificate, actions, list(alpn_policy or []))


def settings_of_listener(listener):
    return listener_settings(
        listener.protocol, listener.ssl_policy, listener.certificate,
        [action.data for action in listener.default_actions], listener.alpn_policy,
    )


def install_elbv2_refusals():
    from moto.elbv2.exceptions import (
        DuplicateListenerError, DuplicateLoadBalancerName, DuplicateTargetGroupName,
        PriorityInUseError, RuleNotFoundError,
    )
    from moto.elbv2.models import ELBv2Backend, FakeAction

    create_lb = ELBv2Backend.create_load_balancer
    create_tg = ELBv2Backend.create_target_group
    create_l = ELBv2Backend.create_listener
    modify_l = ELBv2Backend.modify_listener
    set_priorities = ELBv2Backend.set_rule_priorities

    def create_load_balancer(
        self, name, security_groups, subnet_ids, subnet_mappings=None, scheme="internet-facing",
        loadbalancer_type=None, ip_address_type="ipv4", tags=None,
    ):
        # AWS: CreateLoadBalancer is idempotent. The same name with the same settings answers
        # the existing load balancer (its ARN, its state); with other settings it is refused.
        existing = refusals() and named(self.load_balancers, name)
        if existing:
            subnets = list(subnet_ids or []) + [m["SubnetId"] for m in subnet_mappings or []]
            asked = load_balancer_settings(
                scheme, loadbalancer_type, ip_address_type, security_groups, subnets
            )
            if asked != settings_of_load_balancer(existing):
                raise DuplicateLoadBalancerName(
                    f"A load balancer with the same name '{name}' exists, but with different settings"
                )
            return existing
        return create_lb(
            self, name, security_groups, subnet_ids, subnet_mappings=subnet_mappings, scheme=scheme,
            loadbalancer_type=loadbalancer_type, ip_address_type=ip_address_type, tags=tags,
        )

    def would_create_target_group(self, name, kwargs):
        """The target group moto would make for this request (its defaults filled in), made with
        the same-named one out of sight and then forgotten. Runs under the test bed's lock, as
        every moto call does."""
        kept = self.target_groups
        self.target_groups = type(kept)((arn, g) for arn, g in kept.items() if g.name != name)
        try:
            return create_tg(self, name, **dict(kwargs, tags=None))
        finally:
            self.target_groups = kept

    def create_target_group(self, name, **kwargs):
        # AWS: CreateTargetGroup is idempotent. The same name with the same settings answers
        # the existing group; with other settings it is refused (moto refuses both).
        existing = refusals() and named(self.target_groups, name)
        if existing:
            asked = would_create_target_group(self, name, kwargs)
            if settings_of_target_group(asked) != settings_of_target_group(existing):
                raise DuplicateTargetGroupName(
                    f"A target group with the same name '{name}' exists, but with different settings"
                )
            return existing
        return create_tg(self, name, **kwargs)

    def listener_on(balancer, port, other_than=None):
        """The load balancer's listener on `port`, other than the one named, if any."""
        for listener in balancer.listeners.values():
            if str(listener.port) == str(port) and listener.arn != other_than:
                return listener
        return None

    def port_in_use(balancer):
        return DuplicateListenerError(
            f"A listener already exists on this port for this load balancer '{balancer.arn}'"
        )

    def create_listener(
        self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions,
        alpn_policy=None, tags=None,
    ):
        # AWS: one listener per port. CreateListener is idempotent: the same port with the same
        # settings answers the existing listener; other settings are refused (DuplicateListener).
        balancer = self.load_balancers.get(load_balancer_arn)
        existing = refusals() and balancer is not None and listener_on(balancer, port)
        if existing:
            asked_actions = [FakeAction(copy.deepcopy(action)).data for action in actions]
            asked = listener_settings(protocol, ssl_policy, certificate, asked_actions, alpn_policy)
            if asked != settings_of_listener(existing):
                raise port_in_use(balancer)
            return existing
        return create_l(
            self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions,
            alpn_policy=alpn_policy, tags=tags,
        )

    def modify_listener(
        self, arn, port=None, protocol=None, ssl_policy=None, certificates=None, actions=None
    ):
        # AWS: a listener cannot move to a port another listener of its load balancer uses.
        if refusals() and port is not None:
            for balancer in self.load_balancers.values():
                if arn in balancer.listeners and listener_on(balancer, port, other_than=arn):
                    raise port_in_use(balancer)
        return modify_l(self, arn, port, protocol, ssl_policy, certificates, actions)

    def rule_and_listener(self, rule_arn):
        for balancer in self.load_balancers.values():
            for listener in balancer.listeners.values():
                for rule in listener.rules.values():
                    if rule.arn == rule_arn:
                        return rule, listener
        raise RuleNotFoundError("One or more rules not found")

    def set_rule_priorities(self, rule_priorities):
        # AWS applies the whole list at once and judges the priorities it leaves: two rules of
        # a listener may swap theirs in one call, and a rule may be given its own; the call is
        # refused (PriorityInUse, nothing changed) if two rules of a listener would then share
        # one. moto checks each new priority against the rules as they are (a swap is refused):
        # a bug, mended whatever the configuration.
        moves = [(rule_and_listener(self, rp["RuleArn"]), int(rp["Priority"])) for rp in rule_priorities]
        if any(rule.is_default for (rule, _), _ in moves):
            return set_priorities(self, rule_priorities)  # not modelled: left to moto
        after = {}  # listener ARN -> {rule ARN: priority}, once the list is applied
        for (rule, listener), priority in moves:
            rules = listener._non_default_rules.values()
            after.setdefault(listener.arn, {r.arn: int(r.priority) for r in rules})[rule.arn] = priority
        for priorities in after.values():
            if len(set(priorities.values())) != len(priorities):
                raise PriorityInUseError()
        for (rule, _), priority in moves:
            rule.priority = priority
        return [rule for (rule, _), _ in moves]

    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.create_target_group = create_target_group
    ELBv2Backend.create_listener = create_listener
    ELBv2Backend.modify_listener = modify_listener
    ELBv2Backend.set_rule_priorities = set_rule_priorities


# ---------------------------------------------------------------------------------------------
# CloudFront: `InProgress`, then `Deployed`, after create and update; deletes refused unless the
# distribution is disabled and deployed; ETags checked and renewed on update; a distribution's
# tags go with it.
# ---------------------------------------------------------------------------------------------

def precondition_failed():
    from moto.cloudfront.exceptions import CloudFrontException

    return CloudFrontException(
        "PreconditionFailed",
        "The request failed because it didn't meet the preconditions in one or more "
        "request-header fields.",
    )


def check_if_match(etag, if_match, required=False):
    """AWS: an If-Match that is not the resource's current ETag fails with PreconditionFailed
    (HTTP 412); a missing one with InvalidIfMatchVersion (HTTP 400), checked here when
    `required` (moto checks it itself for distributions)."""
    from moto.cloudfront.exceptions import InvalidIfMatchVersion

    if not if_match:
        if required:
            raise InvalidIfMatchVersion()
    elif if_match != etag:
        raise precondition_failed()


def install_cloudfront():
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.cloudfront.models import CloudFrontBackend, Distribution, random_id

    hold_status(Distribution)
    create_dist = CloudFrontBackend.create_distribution
    update_dist = CloudFrontBackend.update_distribution
    delete_dist = CloudFrontBackend.delete_distribution
    list_tags = CloudFrontBackend.list_tags_for_resource
    tag = CloudFrontBackend.tag_resource
    untag = CloudFrontBackend.untag_resource

    def deploy(dist):
        delay = CONFIG.pending("cloudfront")
        if delay > 0:
            hold(dist, "InProgress", delay, "Deployed")

    def create_distribution(self, distribution_config, tags):
        dist, location, etag = create_dist(self, distribution_config, tags)
        deploy(dist)
        return dist, location, etag

    def update_distribution(self, dist_config, _id, if_match):
        dist = self.distributions.get(_id)
        if refusals() and dist is not None:
            check_if_match(dist.etag, if_match)  # a missing If-Match is moto's InvalidIfMatchVersion
        dist, location, etag = update_dist(self, dist_config, _id, if_match)
        if refusals():
            dist.etag = etag = random_id()
        deploy(dist)
        return dist, location, etag

    def delete_distribution(self, distribution_id, if_match):
        dist = self.distributions.get(distribution_id)
        if refusals() and dist is not None and if_match:
            check_if_match(dist.etag, if_match)
            if dist.distribution_config.Enabled or dist.status != "Deployed":
                raise CloudFrontException(
                    "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled.",
                )
        delete_dist(self, distribution_id, if_match)
        self.tagger.delete_all_tags_for_resource(dist.arn)  # moto kept them

    # AWS: a tag call naming a distribution that does not exist fails with NoSuchResource
    # (HTTP 404); moto answered (and kept) tags for any ARN. Other resources are left to moto.
    def known(self, arn):
        kind, _, dist_id = arn.rpartition(":")[2].partition("/")
        if kind == "distribution" and dist_id not in self.distributions:
            raise CloudFrontException("NoSuchResource", "The specified resource does not exist.")

    def list_tags_for_resource(self, resource):
        known(self, resource)
        return list_tags(self, resource=resource)

    def tag_resource(self, arn, tags):
        known(self, arn)
        return tag(self, arn, tags)

    def untag_resource(self, arn, tag_keys):
        known(self, arn)
        return untag(self, arn, tag_keys)

    # `meddle` (a count): the next N GetDistributionConfig answers are followed, before the
    # next request, by someone else's change to that distribution: its WebACLId (a field strata
    # does not manage) set to "meddled", with a new ETag. An update made on the configuration
    # just read then fails with PreconditionFailed (under refusals), as on AWS.
    get_config = CloudFrontBackend.get_distribution_config

    def get_distribution_config(self, distribution_id):
        answer = get_config(self, distribution_id)
        if int(CONFIG["meddle"] or 0) > 0:
            CONFIG.data["meddle"] = int(CONFIG["meddle"]) - 1
            dist = self.distributions[distribution_id]

            def meddle():
                dist.distribution_config.WebACLId = "meddled"
                dist.etag = random_id()

            later(0, meddle)
        return answer

    CloudFrontBackend.get_distribution_config = get_distribution_config
    CloudFrontBackend.create_distribution = create_distribution
    CloudFrontBackend.update_distribution = update_distribution
    CloudFrontBackend.delete_distribution = delete_distribution
    CloudFrontBackend.list_tags_for_resource = list_tags_for_resource
    CloudFrontBackend.tag_resource = tag_resource
    CloudFrontBackend.untag_resource = untag_resource
    install_cloudfront_config()
    install_origin_access_controls()
    install_origin_access_identities()


# ---------------------------------------------------------------------------------------------
# A distribution's configuration as AWS answers it, always (moto dropped or changed some of it:
# a plain emulator bug, no AWS behaviour).
# ---------------------------------------------------------------------------------------------

def install_cloudfront_config():
    from moto.cloudfront.models import DefaultCacheBehaviour, Origin, ViewerCertificate

    origin_init = Origin.__init__
    behaviour_init = DefaultCacheBehaviour.__init__
    certificate_init = ViewerCertificate.__init__

    def origin(self, config):
        origin_init(self, config)
        # AWS answers an origin's S3OriginConfig and OriginAccessControlId as given; moto kept
        # neither (only the identity, for itself).
        if "S3OriginConfig" in config:
            self.s3_origin_config = config["S3OriginConfig"]
        if "OriginAccessControlId" in config:
            self.origin_access_control_id = config["OriginAccessControlId"]

    def behaviour(self, config):
        behaviour_init(self, config)
        # AWS: a behaviour given no Compress does not compress (moto: true).
        if "Compress" not in config:
            self.compress = False

    def certificate(self, config):
        certificate_init(self, config)
        # AWS answers the certificate fields given, and names the certificate in the
        # deprecated Certificate and CertificateSource (`acm`, `iam` or `cloudfront`). moto
        # answered an empty IAMCertificateId and Certificate, CertificateSource `cloudfront`
        # whatever the certificate, and SSLSupportMethod `sni-only` when none was given.
        self.acm_certificate_arn = config.get("ACMCertificateArn") or None
        self.iam_certificate_id = config.get("IAMCertificateId") or None
        self.ssl_support_method = config.get("SSLSupportMethod") or None
        if self.acm_certificate_arn:
            self.certificate, self.certificate_source = self.acm_certificate_arn, "acm"
        elif self.iam_certificate_id:
            self.certificate, self.certificate_source = self.iam_certificate_id, "iam"
        else:
            self.certificate, self.certificate_source = None, "cloudfront"

    Origin.__init__ = origin
    DefaultCacheBehaviour.__init__ = behaviour
    ViewerCertificate.__init__ = certificate


def origins(backend):
    """Every origin of every distribution the CloudFront backend holds."""
    for dist in backend.distributions.values():
        yield from dist.distribution_config.Origins.get("Items") or []


# ---------------------------------------------------------------------------------------------
# Origin access controls: one per name, always; under refusals, ETags checked on update and
# delete and renewed on update, and one that an origin names is not deleted.
# ---------------------------------------------------------------------------------------------

def install_origin_access_controls():
    from moto.cloudfront.exceptions import CloudFrontException, NoSuchOriginAccessControl
    from moto.cloudfront.models import CloudFrontBackend, random_id
    from moto.cloudfront.responses import CloudFrontResponse
    from moto.core.responses import ActionResult, EmptyResult

    create = CloudFrontBackend.create_origin_access_control

    def name_in_use(backend, name, other_than=None):
        if any(c.name == name and c.id != other_than for c in backend.origin_access_controls.values()):
            raise CloudFrontException(
                "OriginAccessControlAlreadyExists",
                "An origin access control with the specified parameters already exists.",
            )

    def create_origin_access_control(self, config_dict):
        # AWS: one origin access control per name (moto made a second one).
        name_in_use(self, config_dict.get("Name"))
        control = create(self, config_dict)
        # AWS always answers a Description (the list's summaries require one).
        control.description = control.description or ""
        return control

    def get_control(self, control_id):
        control = self.origin_access_controls.get(control_id)
        if control is None:
            raise NoSuchOriginAccessControl()  # moto: HTTP 500 (a KeyError) on delete
        return control

    def update_origin_access_control(self, control_id, config, if_match=None):
        control = get_control(self, control_id)
        if refusals():
            check_if_match(control.etag, if_match, required=True)
        name_in_use(self, config.get("Name", control.name), other_than=control_id)
        control.update(config)
        if refusals():
            control.etag = random_id()  # AWS: a new ETag on each update
        return control

    def delete_origin_access_control(self, control_id, if_match=None):
        control = get_control(self, control_id)
        if refusals():
            check_if_match(control.etag, if_match, required=True)
            if any(getattr(o, "origin_access_control_id", None) == control_id for o in origins(self)):
                raise CloudFrontException(
                    "OriginAccessControlInUse",
                    "Cannot delete the origin access control because it's in use by one or "
                    "more distributions.",
                )
        del self.origin_access_controls[control_id]

    def answer(control, **headers):
        return ActionResult(
            {"OriginAccessControl": {"Id": control.id, "OriginAccessControlConfig": control}, "ETag": control.etag, **headers}
        )

    # The answers: moto's create gives no Location, its update and delete ignore If-Match, and
    # it has no GetOriginAccessControlConfig.
    def create_answer(self):
        control = self.backend.create_origin_access_control(self._get_param("OriginAccessControlConfig", {}))
        return answer(control, Location=f"https://cloudfront.amazonaws.com/2020-05-31/origin-access-control/{control.id}")

    def update_answer(self):
        return answer(
            self.backend.update_origin_access_control(
                self._get_param("Id"), self._get_param("OriginAccessControlConfig", {}),
                if_match=self._get_param("IfMatch"),
            )
        )

    def delete_answer(self):
        self.backend.delete_origin_access_control(self._get_param("Id"), if_match=self._get_param("IfMatch"))
        return EmptyResult()

    def get_config_answer(self):
        control = self.backend.get_origin_access_control(self._get_param("Id"))
        return ActionResult({"OriginAccessControlConfig": control, "ETag": control.etag})

    CloudFrontBackend.create_origin_access_control = create_origin_access_control
    CloudFrontBackend.update_origin_access_control = update_origin_access_control
    CloudFrontBackend.delete_origin_access_control = delete_origin_access_control
    CloudFrontResponse.create_origin_access_control = create_answer
    CloudFrontResponse.update_origin_access_control = update_answer
    CloudFrontResponse.delete_origin_access_control = delete_answer
    CloudFrontResponse.get_origin_access_control_config = get_config_answer


# ---------------------------------------------------------------------------------------------
# Origin access identities (moto has none): the six calls, always, as AWS answers them; under
# refusals, ETags checked on update and delete, and one that an origin names is not deleted.
# ---------------------------------------------------------------------------------------------

OAI_PATH = "/2020-05-31/origin-access-identity/cloudfront"


def identities(backend):
    """The CloudFront backend's origin access identities, by id (made on first use)."""
    return backend.__dict__.setdefault("origin_access_identities", {})


def install_origin_access_identities():
    from moto.cloudfront import urls
    from moto.cloudfront.exceptions import CloudFrontException, InvalidIfMatchVersion
    from moto.cloudfront.models import random_id
    from moto.cloudfront.responses import CloudFrontResponse
    from moto.core.common_models import BaseModel
    from moto.core.responses import ActionResult, EmptyResult
    from moto.moto_api._internal import mock_random

    class OriginAccessIdentity(BaseModel):
        # A moto model of the CloudFront service (moto files models by their module's second
        # name), so that the inventory and /moto-api see it.
        __module__ = "moto.cloudfront.testbed"

        def __init__(self, config):
            # AWS's ids: "E" and 13 upper-case letters and digits; the S3 canonical user id: 64
            # hex digits.
            self.id = "E" + random_id(length=13)
            self.s3_canonical_user_id = mock_random.get_random_hex(64)
            self.caller_reference = config.get("CallerReference")
            self.comment = config.get("Comment") or ""
            self.created_with = self.config()
            self.etag = random_id()

        def config(self):
            return {"CallerReference": self.caller_reference, "Comment": self.comment}

        def answer(self):
            return {
                "Id": self.id,
                "S3CanonicalUserId": self.s3_canonical_user_id,
                "CloudFrontOriginAccessIdentityConfig": self.config(),
            }

    def find(backend, identity_id):
        identity = identities(backend).get(identity_id)
        if identity is None:
            raise CloudFrontException(
                "NoSuchCloudFrontOriginAccessIdentity", "The specified origin access identity does not exist."
            )
        return identity

    def create(backend, config):
        asked = {"CallerReference": config.get("CallerReference"), "Comment": config.get("Comment") or ""}
        for identity in identities(backend).values():
            if identity.caller_reference == asked["CallerReference"]:
                # AWS: the same CallerReference with the same config answers the identity made
                # by the first request; with another config it is refused.
                if identity.created_with == asked:
                    return identity
                raise CloudFrontException(
                    "CloudFrontOriginAccessIdentityAlreadyExists",
                    "The CallerReference you are using to create an origin access identity is "
                    f"associated with another identity with a different configuration: {identity.id}",
                )
        identity = OriginAccessIdentity(asked)
        identities(backend)[identity.id] = identity
        IDENTITIES_MADE[identity.id] = time.time()
        return identity

    def check(identity, if_match):
        # AWS: If-Match is required (InvalidIfMatchVersion, always, as moto does for
        # distributions); a wrong or stale one fails under refusals.
        if not if_match:
            raise InvalidIfMatchVersion()
        if refusals():
            check_if_match(identity.etag, if_match)

    def update(backend, identity_id, config, if_match):
        identity = find(backend, identity_id)
        check(identity, if_match)
        identity.comment = config.get("Comment") or ""
        identity.etag = random_id()  # AWS: a new ETag on each update
        return identity

    def delete(backend, identity_id, if_match):
        identity = find(backend, identity_id)
        check(identity, if_match)
        named = f"origin-access-identity/cloudfront/{identity_id}"
        if refusals() and any(getattr(o, "s3_access_identity", None) == named for o in origins(backend)):
            raise CloudFrontException(
                "CloudFrontOriginAccessIdentityInUse", "The Origin Access Identity specified is already in use."
            )
        del identities(backend)[identity_id]

    def location(identity):
        return f"https://cloudfront.amazonaws.com{OAI_PATH}/{identity.id}"

    def create_answer(self):
        identity = create(self.backend, self._get_param("CloudFrontOriginAccessIdentityConfig", {}))
        return ActionResult(
            {"CloudFrontOriginAccessIdentity": identity.answer(), "ETag": identity.etag, "Location": location(identity)}
        )

    def get_answer(self):
        identity = find(self.backend, self._get_param("Id"))
        return ActionResult({"CloudFrontOriginAccessIdentity": identity.answer(), "ETag": identity.etag})

    def get_config_answer(self):
        identity = find(self.backend, self._get_param("Id"))
        return ActionResult({"CloudFrontOriginAccessIdentityConfig": identity.config(), "ETag": identity.etag})

    def update_answer(self):
        identity = update(
            self.backend, self._get_param("Id"),
            self._get_param("CloudFrontOriginAccessIdentityConfig", {}), self._get_param("IfMatch"),
        )
        return ActionResult({"CloudFrontOriginAccessIdentity": identity.answer(), "ETag": identity.etag})

    def delete_answer(self):
        delete(self.backend, self._get_param("Id"), self._get_param("IfMatch"))
        return EmptyResult()

    def list_answer(self):
        # Pages in the order of the ids; a page starts after the Marker (the last id of the page
        # before, as AWS's NextMarker is).
        marker = self._get_param("Marker") or ""
        max_items = int(self._get_param("MaxItems") or 100)
        after = sorted((i for i in identities(self.backend).values() if i.id > marker), key=lambda i: i.id)
        page = after[:max_items]
        truncated = len(after) > max_items
        summaries = [
            {"Id": i.id, "S3CanonicalUserId": i.s3_canonical_user_id, "Comment": i.comment} for i in page
        ]
        return ActionResult(
            {
                "CloudFrontOriginAccessIdentityList": {
                    "Marker": marker,
                    "NextMarker": page[-1].id if truncated else None,
                    "MaxItems": max_items,
                    "IsTruncated": truncated,
                    "Quantity": len(page),
                    "Items": summaries or None,
                }
            }
        )

    CloudFrontResponse.create_cloud_front_origin_access_identity = create_answer
    CloudFrontResponse.get_cloud_front_origin_access_identity = get_answer
    CloudFrontResponse.get_cloud_front_origin_access_identity_config = get_config_answer
    CloudFrontResponse.update_cloud_front_origin_access_identity = update_answer
    CloudFrontResponse.delete_cloud_front_origin_access_identity = delete_answer
    CloudFrontResponse.list_cloud_front_origin_access_identities = list_answer
    # moto's server routes only the paths in its url_paths to the CloudFront handler (which
    # then names the call by botocore's model): the identities' paths join them. Read when the
    # server first serves CloudFront, after this.
    dispatch = CloudFrontResponse.dispatch
    urls.url_paths.update(
        {
            "{0}" + OAI_PATH + "$": dispatch,
            "{0}" + OAI_PATH + "/(?P<identity_id>[^/]+)$": dispatch,
            "{0}" + OAI_PATH + "/(?P<identity_id>[^/]+)/config$": dispatch,
        }
    )

# ---------------------------------------------------------------------------------------------
# ECS: a cluster with services or tasks is not deleted; a stopped awsvpc task's interface
# lingers.
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# S3: a bucket policy naming an origin access identity made moments ago. On AWS the new
# identity is not known to S3 for a few seconds (IAM's eventual consistency), and
# PutBucketPolicy refuses the policy with MalformedPolicy "Invalid principal in policy" (HTTP
# 400); moto accepts it. Under `consistency`: refused for that many seconds after the identity
# was made.
# ---------------------------------------------------------------------------------------------

# Origin access identities by id: when each was made.
IDENTITIES_MADE = {}


def install_s3_principals():
    import re

    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import S3Backend

    put_policy = S3Backend.put_bucket_policy

    def put_bucket_policy(self, bucket_name, policy):
        window = float(CONFIG["consistency"] or 0)
        text = policy.decode() if isinstance(policy, bytes) else str(policy)
        for identity_id in re.findall(r"CloudFront Origin Access Identity (\w+)", text):
            made = IDENTITIES_MADE.get(identity_id)
            if window > 0 and made is not None and time.time() - made < window:
                error = S3ClientError("MalformedPolicy", "Invalid principal in policy")
                error.code = "MalformedPolicy"
                raise error
        return put_policy(self, bucket_name, policy)

    S3Backend.put_bucket_policy = put_bucket_policy


def install_ecs():
    from moto.ec2.models import ec2_backends
    from moto.ecs.exceptions import ECSException
    from moto.ecs.models import EC2ContainerServiceBackend

    delete = EC2ContainerServiceBackend.delete_cluster
    run = EC2ContainerServiceBackend.run_task
    stop = EC2ContainerServiceBackend.stop_task

    def task_interfaces(task):
        """A task's interfaces (awsvpc), each with the attachment it belongs to."""
        enis = ec2_backends[task._account_id][task.region_name].enis
        for attachment in task.attachments:
            for detail in attachment.get("details", []):
                if detail["name"] == "networkInterfaceId" and detail["value"] in enis:
                    yield attachment, enis[detail["value"]]

    def delete_cluster(self, cluster_str):
        if refusals():
            cluster = self._get_cluster(cluster_str)
            if any(s.cluster_name == cluster.name and s.status != "INACTIVE" for s in self.services.values()):
                raise ECSException(
                    "ClusterContainsServicesException",
                    "The Cluster cannot be deleted while Services are active.",
                )
            if any(t.last_status != "STOPPED" for t in self.tasks.get(cluster.name, {}).values()):
                raise ECSException(
                    "ClusterContainsTasksException",
                    "The Cluster cannot be deleted while Tasks are active.",
                )
        return delete(self, cluster_str)

    def run_task(self, *args, **kwargs):
        tasks = run(self, *args, **kwargs)
        if interfaces_modelled():
            for task in tasks:
                prefix = task.cluster_arn.split(":cluster/", 1)[0]
                for attachment, eni in task_interfaces(task):
                    managed_interface(eni, "amazon-ecs", f"{prefix}:attachment/{attachment['id']}")
        return tasks

    def stop_task(self, cluster_str, task_str, reason):
        task = stop(self, cluster_str, task_str, reason)
        enis = [
            eni
            for _, eni in task_interfaces(task)
            if eni.requester_id == "amazon-ecs" and eni.status == "in-use"
        ]
        if enis:
            release_interfaces(ec2_backends[task._account_id][task.region_name], enis)
        return task

    EC2ContainerServiceBackend.delete_cluster = delete_cluster
    EC2ContainerServiceBackend.run_task = run_task
    EC2ContainerServiceBackend.stop_task = stop_task


# ---------------------------------------------------------------------------------------------
# ECS services (the ECS kinds, issue 17). moto runs no task for a service: its PRIMARY deployment
# stays IN_PROGRESS with runningCount 0 forever, a delete makes it INACTIVE at once, and a create
# under a name in use replaces the service. Here: a deployment is IN_PROGRESS for
# pending.ecs_deployment seconds, then COMPLETED with its tasks running (at once without the
# setting); a deleted service is DRAINING for pending.ecs_service_delete seconds, then INACTIVE;
# under refusals, AWS's answers to a create under a name in use, to a change of a service that is
# not ACTIVE and to a service in an INACTIVE cluster; and a service's tasks have their interfaces
# (when interfaces_modelled()), which linger after it like a stopped task's.
# ---------------------------------------------------------------------------------------------

# A service's settings that moto takes but leaves out of its answers (AWS answers them as set).
SERVICE_FIELDS = (
    "deploymentConfiguration", "healthCheckGracePeriodSeconds", "enableECSManagedTags",
    "enableExecuteCommand", "platformVersion", "placementConstraints", "placementStrategy",
    "capacityProviderStrategy", "availabilityZoneRebalancing",
)


def ecs_service_request(params):
    """What a CreateService asked, as a repeat is compared with it: every parameter (clientToken
    included) but the cluster, which may be named by name or ARN."""
    return {k: v for k, v in params.items() if k != "cluster"}


def service_interfaces(service):
    return getattr(service, "interfaces", None) or []


def sync_service_interfaces(service):
    """The service's running tasks each have an interface (awsvpc, when interfaces_modelled()):
    one per task, in the service's subnets in turn and its security groups; tasks gone leave
    theirs behind to linger."""
    from moto.ec2.models import ec2_backends

    awsvpc = (service.network_configuration or {}).get("awsvpcConfiguration") or {}
    subnets = awsvpc.get("subnets") or []
    ec2 = ec2_backends[service._account_id][service.region_name]
    enis = list(service_interfaces(service))
    want = service.running_count if (interfaces_modelled() and subnets and service.status == "ACTIVE") else 0
    prefix = service.cluster_arn.split(":cluster/", 1)[0]
    while len(enis) < want:
        subnet = ec2.get_subnet(subnets[len(enis) % len(subnets)])
        description = f"{prefix}:attachment/{uuid.uuid4()}"
        eni = ec2.create_network_interface(
            subnet, None, group_ids=awsvpc.get("securityGroups") or None, description=description
        )
        managed_interface(eni, "amazon-ecs", description)
        enis.append(eni)
    if len(enis) > want:
        release_interfaces(ec2, enis[want:])
        enis = enis[:want]
    service.interfaces = enis


def new_deployment(service, network_configuration=None):
    """A new PRIMARY deployment of the service's task definition: IN_PROGRESS, its tasks
    pending, for pending.ecs_deployment seconds; then COMPLETED, its tasks running, the ones
    before it gone."""
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    now = utcnow()
    deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
    before = service.deployments[0] if service.deployments else {}
    deployment = {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": service.desired_count,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformVersion": before.get("platformVersion", service.platform_version),
        "platformFamily": before.get("platformFamily", "EC2" if service.launch_type == "EC2" else "FARGATE"),
        "networkConfiguration": network_configuration or before.get("networkConfiguration"),
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }
    for old in service.deployments:
        old["status"] = "ACTIVE"
    service.deployments.insert(0, deployment)
    service.pending_count = max(service.desired_count - service.running_count, 0)
    settle_after(service, CONFIG.pending("ecs_deployment"), lambda: complete_deployment(service, deployment))


def settle_after(service, seconds, callback):
    if seconds > 0:
        later(seconds, callback)
    else:
        callback()


def complete_deployment(service, deployment):
    from moto.core.utils import utcnow

    if service.status != "ACTIVE" or not service.deployments or service.deployments[0] is not deployment:
        return
    deployment.update(
        {
            "desiredCount": service.desired_count,
            "runningCount": service.desired_count,
            "pendingCount": 0,
            "rolloutState": "COMPLETED",
            "rolloutStateReason": f"ECS deployment {deployment['id']} completed.",
            "updatedAt": utcnow(),
        }
    )
    service.deployments[:] = [deployment]
    # The deployment's tasks replaced the ones before it: their interfaces are let go (they
    # linger), and the new tasks have their own, in the deployment's network.
    release_service_interfaces(service)
    reach_desired_count(service)


def release_service_interfaces(service):
    from moto.ec2.models import ec2_backends

    enis = service_interfaces(service)
    service.interfaces = []
    if enis:
        release_interfaces(ec2_backends[service._account_id][service.region_name], enis)


def reach_desired_count(service):
    from moto.core.utils import utcnow

    if service.status != "ACTIVE":
        return
    service.running_count = service.desired_count
    service.pending_count = 0
    primary = service.deployments[0] if service.deployments else None
    if primary is not None and primary.get("rolloutState") == "COMPLETED":
        primary.update({"desiredCount": service.desired_count, "runningCount": service.desired_count, "pendingCount": 0})
    service.events.insert(
        0,
        {
            "id": str(uuid.uuid4()),
            "createdAt": utcnow(),
            "message": f"(service {service.name}) has reached a steady state.",
        },
    )
    sync_service_interfaces(service)


def refuse_unusable_target_groups(ecs_backend, load_balancers, task_definition):
    """AWS refuses a service's load balancer entry whose target group no listener (or rule) of a
    load balancer forwards to: InvalidParameterException "The target group with targetGroupArn
    ARN does not have an associated load balancer." (the message Terraform's provider retries:
    it happens when the service is made before the listener); and a target group of target type
    `instance` for an awsvpc task definition: "The provided target group ARN has target type
    instance, which is incompatible with the awsvpc network mode specified in the task
    definition." (public reports)."""
    from moto.ecs.exceptions import InvalidParameterException
    from moto.elbv2.models import elbv2_backends

    elbv2 = elbv2_backends[ecs_backend.account_id][ecs_backend.region_name]
    forwarded = set()
    for balancer in elbv2.load_balancers.values():
        for listener in balancer.listeners.values():
            actions = list(listener.default_actions)
            for rule in listener.rules.values():
                actions += list(rule.actions)
            for action in actions:
                if action.type == "forward":
                    forwarded.update(elbv2._get_target_group_arns_from(action_data=action.data))
    for entry in load_balancers or []:
        arn = entry.get("targetGroupArn")
        group = elbv2.target_groups.get(arn or "")
        if group is None:
            continue
        if arn not in forwarded:
            raise InvalidParameterException(
                f"The target group with targetGroupArn {arn} does not have an associated load balancer."
            )
        if task_definition is not None and task_definition.network_mode == "awsvpc" and group.target_type == "instance":
            raise InvalidParameterException(
                "The provided target group ARN has target type instance, which is incompatible with "
                "the awsvpc network mode specified in the task definition."
            )


def install_ecs_services():
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.ecs.exceptions import ECSException, InvalidParameterException
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    create_answer = EC2ContainerServiceResponse.create_service
    update = EC2ContainerServiceBackend.update_service
    delete = EC2ContainerServiceBackend.delete_service

    def create_service_answer(self):
        params = self._get_params()
        backend = self.ecs_backend
        cluster = backend._get_cluster(params.get("cluster") or "default")
        existing = backend.services.get(f"{cluster.name}:{params.get('serviceName')}")
        if refusals():
            if cluster.status == "INACTIVE":
                # AWS (public reports): "ClusterNotFoundException: The referenced cluster was inactive."
                raise ECSException("ClusterNotFoundException", "The referenced cluster was inactive.")
            if existing is not None and existing.status == "DRAINING":
                raise InvalidParameterException("Unable to Start a service that is still Draining.")
            if existing is not None and existing.status == "ACTIVE":
                if getattr(existing, "request", None) == ecs_service_request(params):
                    return ActionResult({"service": existing})
                raise InvalidParameterException("Creation of service was not idempotent.")
        refuse_fresh_role(params.get("role"), "service")
        if refusals() and params.get("loadBalancers"):
            definition = params.get("taskDefinition")
            refuse_unusable_target_groups(
                backend, params["loadBalancers"], backend.describe_task_definition(definition) if definition else None
            )
        answer = create_answer(self)
        service = backend.services[f"{cluster.name}:{params.get('serviceName')}"]
        service.request = ecs_service_request(params)
        # Always answered by AWS; moto has neither.
        service.created_at = utcnow()
        service.platform_family = "EC2" if service.launch_type == "EC2" else "FARGATE"
        for field in SERVICE_FIELDS:
            if field in params:
                setattr(service, camel_to_snake(field), params[field])
        if existing is not None and existing is not service:
            # The one replaced (moto) or gone INACTIVE keeps no interfaces.
            release_service_interfaces(existing)
        service.running_count = 0
        service.deployments[:] = []
        new_deployment(service, params.get("networkConfiguration"))
        return answer

    def update_service(self, service_properties):
        props = dict(service_properties)
        cluster = self._get_cluster(props.get("cluster") or "default")
        service = self._get_service(cluster.name, props["service"].split("/")[-1])
        if refusals() and service.status != "ACTIVE":
            # UpdateService's ServiceNotActiveException (API reference; the wording of public reports).
            raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")
        before = (service.task_definition, service.desired_count, service.running_count)
        deployed = copy.deepcopy(
            [getattr(service, a, None) for a in ("network_configuration", "platform_version", "load_balancers")]
        )
        service = update(self, service_properties)
        # moto sets runningCount to the new desired count at once: it is reached with the
        # deployment.
        service.running_count = before[2]
        service.pending_count = max(service.desired_count - service.running_count, 0)
        if props.get("network_configuration"):
            service.network_configuration = props["network_configuration"]
        now = [getattr(service, a, None) for a in ("network_configuration", "platform_version", "load_balancers")]
        if service.task_definition != before[0] or now != deployed or props.get("force_new_deployment"):
            new_deployment(service, props.get("network_configuration"))
        elif service.desired_count != before[1] or service.running_count != service.desired_count:
            primary = service.deployments[0] if service.deployments else None
            if primary is not None:
                primary["desiredCount"] = service.desired_count
            settle_after(service, CONFIG.pending("ecs_deployment"), lambda: reach_desired_count(service))
        return service

    def delete_service(self, cluster_name, service_name, force):
        service = delete(self, cluster_name, service_name, force)
        service.running_count = 0
        delay = CONFIG.pending("ecs_service_delete")

        def inactive():
            if service.status == "DRAINING":
                service.status = "INACTIVE"
            release_service_interfaces(service)

        if delay > 0:
            service.status = "DRAINING"
            later(delay, inactive)
        else:
            inactive()
        return service

    EC2ContainerServiceResponse.create_service = create_service_answer
    EC2ContainerServiceBackend.update_service = update_service
    EC2ContainerServiceBackend.delete_service = delete_service


def camel_to_snake(name):
    from moto.core.utils import camelcase_to_underscores

    return camelcase_to_underscores(name)


# ---------------------------------------------------------------------------------------------
# IAM's eventual consistency for new roles (iam_propagation seconds): ECS does not know a role
# made moments ago. RegisterTaskDefinition naming it as executionRoleArn or taskRoleArn is
# refused with AccessDeniedException ("… is not authorized to perform: iam:PassRole on
# resource: ARN", a public report of 2026 with CloudTrail: "Re-running the apply succeeds");
# CreateService passing it as `role` with InvalidParameterException ("Unable to assume role and
# validate the specified targetGroupArn. Please verify that the ECS service role being passed
# has the proper permissions.", the message Terraform's provider retries).
# ---------------------------------------------------------------------------------------------

# Roles by ARN: when each was made.
ROLES_MADE = {}


def refuse_fresh_role(arn, use):
    from moto.ecs.exceptions import ECSException, InvalidParameterException

    window = float(CONFIG["iam_propagation"] or 0)
    made = ROLES_MADE.get(arn or "")
    if window <= 0 or made is None or time.time() - made >= window:
        return
    if use == "service":
        raise InvalidParameterException(
            "Unable to assume role and validate the specified targetGroupArn. Please verify that "
            "the ECS service role being passed has the proper permissions."
        )
    account = arn.split(":")[4]
    raise ECSException(
        "AccessDeniedException",
        f"User: arn:aws:iam::{account}:user/moto is not authorized to perform: iam:PassRole on "
        f"resource: {arn}",
    )


def install_iam_propagation():
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.iam.models import IAMBackend

    create_role = IAMBackend.create_role
    register = EC2ContainerServiceBackend.register_task_definition

    def create_role_timed(self, *args, **kwargs):
        role = create_role(self, *args, **kwargs)
        ROLES_MADE[role.arn] = time.time()
        return role

    def register_task_definition(self, *args, **kwargs):
        for key in ("execution_role_arn", "task_role_arn"):
            refuse_fresh_role(kwargs.get(key), "task definition")
        return register(self, *args, **kwargs)

    IAMBackend.create_role = create_role_timed
    EC2ContainerServiceBackend.register_task_definition = register_task_definition


# ---------------------------------------------------------------------------------------------
# CloudWatch Logs: a retention that is not one of AWS's values is refused (refusals):
# InvalidParameterException "1 validation error detected: Value '2' at 'retentionInDays' failed
# to satisfy constraint: Member must satisfy enum value set: [1, 3, …]" (moto's wording of
# AWS's validation errors; the API reference lists the values). moto takes any number.
# ---------------------------------------------------------------------------------------------

RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)


def install_logs():
    from moto.logs.exceptions import InvalidParameterException
    from moto.logs.models import LogsBackend

    put_retention = LogsBackend.put_retention_policy

    def put_retention_policy(self, log_group_name, retention_in_days):
        if refusals() and retention_in_days is not None and int(retention_in_days) not in RETENTION_DAYS:
            raise InvalidParameterException(
                constraint="Member must satisfy enum value set: ["
                + ", ".join(str(d) for d in RETENTION_DAYS) + "]",
                parameter="retentionInDays",
                value=retention_in_days,
            )
        return put_retention(self, log_group_name, retention_in_days)

    # A kmsKeyId that is not a key of the account and region: AccessDeniedException "The specified
    # KMS key does not exist or is not allowed to be used with Arn 'arn:aws:logs:…:log-group:NAME'"
    # (public reports of 2024; an older one answered InvalidParameterException "The specified
    # KMS Key Id could not be found."). A key whose policy does not let CloudWatch Logs use it is
    # refused the same way on AWS: not reproduced (moto evaluates no key policy).
    create_group = LogsBackend.create_log_group

    def create_log_group(self, log_group_name, tags, **kwargs):
        key = kwargs.get("kmsKeyId")
        if refusals() and key and not kms_key_exists(self.account_id, self.region_name, key):
            from moto.logs.exceptions import LogsClientError

            error = LogsClientError(
                "AccessDeniedException",
                "The specified KMS key does not exist or is not allowed to be used with Arn "
                f"'arn:aws:logs:{self.region_name}:{self.account_id}:log-group:{log_group_name}'",
            )
            raise error
        return create_group(self, log_group_name, tags, **kwargs)

    LogsBackend.put_retention_policy = put_retention_policy
    LogsBackend.create_log_group = create_log_group


def kms_key_exists(account, region, arn):
    """Whether a key ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`) names a key moto holds."""
    from moto.kms.models import kms_backends

    parts = arn.split(":")
    if len(parts) != 6 or not parts[5].startswith("key/"):
        return False
    keys = dict.get(dict.get(kms_backends, parts[4]) or {}, parts[3])
    return keys is not None and parts[5][len("key/"):] in keys.keys


# ---------------------------------------------------------------------------------------------
# IAM server certificates, always: tags (UploadServerCertificate's Tags, TagServerCertificate,
# UntagServerCertificate, ListServerCertificateTags, Tags in the Upload and Get answers), one
# certificate per name (EntityAlreadyExists), an id of its own, the upload's date and the
# certificate's expiry. Under refusals: a certificate that an ELBv2 listener uses is not deleted
# (DeleteConflict) and a body that is not PEM is refused (MalformedCertificate).
# ---------------------------------------------------------------------------------------------

def certificate_tags(cert):
    """A certificate's tags, sorted by key as AWS answers them."""
    return sorted(getattr(cert, "tags", []), key=lambda tag: tag["Key"])


def certificate_expiry(body):
    """The certificate's `notAfter` (naive UTC, as moto's dates), or None if it does not parse."""
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(body.encode()).not_valid_after_utc.replace(tzinfo=None)
    except (ValueError, TypeError, AttributeError):
        return None


def certificate_metadata(cert):
    """ServerCertificateMetadata; a certificate not made through the patched upload keeps
    moto's constants."""
    return {
        "ServerCertificateName": cert.cert_name,
        "Path": cert.path,
        "Arn": cert.arn,
        "UploadDate": getattr(cert, "upload_date", None) or "2010-05-08T01:02:03.004Z",
        "ServerCertificateId": getattr(cert, "id", "ASCACKCEVSQ6C2EXAMPLE"),
        "Expiration": getattr(cert, "expiration", None) or "2012-05-08T01:02:03.004Z",
    }


def load_balancer_using(account_id, certificate_arn):
    """The ARN of a load balancer, in any region of the account, with a listener whose
    certificates include this one, if any."""
    from moto.elbv2.models import elbv2_backends

    regions = dict.get(elbv2_backends, account_id) or {}
    for backend in list(dict.values(regions)):
        for balancer in list(backend.load_balancers.values()):
            for listener in balancer.listeners.values():
                if certificate_arn == listener.certificate or certificate_arn in listener.certificates:
                    return balancer.arn
    return None


def install_iam_server_certificates():
    from moto.core.responses import ActionResult, EmptyResult
    from moto.core.utils import utcnow
    from moto.iam.exceptions import (
        DeleteConflictException, EntityAlreadyExists, IAMException, TooManyTags,
    )
    from moto.iam.models import IAMBackend
    from moto.iam.responses import IamResponse
    from moto.iam.utils import generate_access_key_id_from_account_id

    upload = IAMBackend.upload_server_certificate
    delete = IAMBackend.delete_server_certificate

    def upload_server_certificate(
        self, cert_name, cert_body, private_key, cert_chain=None, path=None, tags=None
    ):
        tags = list(tags or [])
        self._tag_verification(tags)
        # AWS parses the body (and checks the key matches it, which is not reproduced).
        if refusals() and not (cert_body or "").lstrip().startswith("-----BEGIN CERTIFICATE-----"):
            raise IAMException(
                "MalformedCertificate",
                "Unable to parse certificate. Please ensure the certificate is in PEM format.",
            )
        # AWS: one certificate per name. moto made a second one: a bug, mended always.
        if any(c.cert_name == cert_name for c in self.certificates.values()):
            raise EntityAlreadyExists(f"The Server Certificate with name {cert_name} already exists.")
        cert = upload(self, cert_name, cert_body, private_key, cert_chain=cert_chain, path=path)
        cert.id = generate_access_key_id_from_account_id(self.account_id, prefix="ASCA", total_length=21)
        cert.upload_date = utcnow()
        cert.expiration = certificate_expiry(cert.cert_body or "")
        cert.tags = tags
        return cert

    def delete_server_certificate(self, name):
        cert = self.get_server_certificate(name)  # NoSuchEntity (HTTP 404) when there is none
        user = refusals() and load_balancer_using(self.account_id, cert.arn)
        if user:
            raise DeleteConflictException(
                f"Certificate: {certificate_metadata(cert)['ServerCertificateId']} is currently in "
                f"use by {user}. Please remove it first before deleting it from IAM."
            )
        return delete(self, name)

    def tag_server_certificate(self, name, tags):
        self._tag_verification(tags)
        cert = self.get_server_certificate(name)
        keys = {tag["Key"] for tag in tags}
        cert.tags = [t for t in getattr(cert, "tags", []) if t["Key"] not in keys] + list(tags)

    def untag_server_certificate(self, name, tag_keys):
        if len(tag_keys) > 50:
            raise TooManyTags(tag_keys, param="tagKeys")
        cert = self.get_server_certificate(name)
        for key in tag_keys:
            self._validate_tag_key(key, exception_param="tagKeys")
        cert.tags = [t for t in getattr(cert, "tags", []) if t["Key"] not in tag_keys]

    def list_server_certificate_tags(self, name, marker, max_items=100):
        tags = certificate_tags(self.get_server_certificate(name))
        start, max_items = int(marker or 0), int(max_items)
        end = start + max_items
        return tags[start:end], (str(end) if end < len(tags) else None)

    IAMBackend.upload_server_certificate = upload_server_certificate
    IAMBackend.delete_server_certificate = delete_server_certificate
    IAMBackend.tag_server_certificate = tag_server_certificate
    IAMBackend.untag_server_certificate = untag_server_certificate
    IAMBackend.list_server_certificate_tags = list_server_certificate_tags

    # The answers: moto's give every certificate the same id and dates, and no tags; it has no
    # handler for the tag actions.
    def upload_answer(self):
        cert = self.backend.upload_server_certificate(
            self._get_param("ServerCertificateName"), self._get_param("CertificateBody"),
            self._get_param("PrivateKey"), cert_chain=self._get_param("CertificateChain"),
            path=self._get_param("Path"), tags=self._get_param("Tags", []),
        )
        return ActionResult(
            {"ServerCertificateMetadata": certificate_metadata(cert), "Tags": certificate_tags(cert)}
        )

    def get_answer(self):
        cert = self.backend.get_server_certificate(self._get_param("ServerCertificateName"))
        answer = {
            "ServerCertificateMetadata": certificate_metadata(cert),
            "CertificateBody": cert.cert_body,
            "Tags": certificate_tags(cert),
        }
        if cert.cert_chain:
            answer["CertificateChain"] = cert.cert_chain
        return ActionResult({"ServerCertificate": answer})

    def list_answer(self):
        prefix = self._get_param("PathPrefix") or "/"
        certs = [c for c in self.backend.list_server_certificates() if c.path.startswith(prefix)]
        return ActionResult(
            {"ServerCertificateMetadataList": [certificate_metadata(c) for c in certs], "IsTruncated": False}
        )

    def tag_answer(self):
        self.backend.tag_server_certificate(
            self._get_param("ServerCertificateName"), self._get_param("Tags", [])
        )
        return EmptyResult()

    def untag_answer(self):
        self.backend.untag_server_certificate(
            self._get_param("ServerCertificateName"), self._get_param("TagKeys", [])
        )
        return EmptyResult()

    def list_tags_answer(self):
        tags, marker = self.backend.list_server_certificate_tags(
            self._get_param("ServerCertificateName"), self._get_param("Marker"),
            self._get_param("MaxItems", 100),
        )
        return ActionResult({"Tags": tags, "Marker": marker, "IsTruncated": bool(marker)})

    IamResponse.upload_server_certificate = upload_answer
    IamResponse.get_server_certificate = get_answer
    IamResponse.list_server_certificates = list_answer
    IamResponse.tag_server_certificate = tag_answer
    IamResponse.untag_server_certificate = untag_answer
    IamResponse.list_server_certificate_tags = list_tags_answer


def install():
    install_rds()
    install_elbv2()
    install_cloudfront()
    install_s3_principals()
    install_ecs()
    install_ecs_services()
    install_iam_propagation()
    install_logs()
    install_iam_server_certificates()
