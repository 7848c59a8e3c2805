"""The test bed's behaviours for services other than EC2 (RDS, Elastic Load Balancing v2,
CloudFront, ECS, IAM server certificates): pending states, refusals, lingering interfaces, and
the server certificates' tags, names and ids. Installed by testbed.install_model_patches();
configured through testbed.CONFIG like the rest."""

import copy

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
# RDS: clusters and instances are `creating`, then `available`; `deleting`, then gone.
# ---------------------------------------------------------------------------------------------

def install_rds():
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import DBCluster, RDSBackend

    hold_status(DBCluster)
    create_cluster = RDSBackend.create_db_cluster
    delete_cluster = RDSBackend.delete_db_cluster
    create_instance = RDSBackend.create_db_instance
    delete_instance = RDSBackend.delete_db_instance

    def create_db_cluster(self, kwargs):
        cluster = create_cluster(self, kwargs)
        delay = CONFIG.pending("rds_cluster")
        if delay > 0:
            hold(cluster, "creating", delay, "available")
        return cluster

    def delete_db_cluster(self, cluster_identifier, snapshot_name=None):
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
# distribution is disabled and deployed; ETags checked and renewed on update.
# ---------------------------------------------------------------------------------------------

def install_cloudfront():
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.cloudfront.models import CloudFrontBackend, Distribution, random_id

    hold_status(Distribution)
    create_dist = CloudFrontBackend.create_distribution
    update_dist = CloudFrontBackend.update_distribution
    delete_dist = CloudFrontBackend.delete_distribution

    def deploy(dist):
        delay = CONFIG.pending("cloudfront")
        if delay > 0:
            hold(dist, "InProgress", delay, "Deployed")

    def check_if_match(dist, if_match):
        # A missing If-Match is moto's InvalidIfMatchVersion already.
        if if_match and if_match != dist.etag:
            raise CloudFrontException(
                "PreconditionFailed",
                "The request failed because it didn't meet the preconditions in one or more "
                "request-header fields.",
            )

    def create_distribution(self, distribution_config, tags):
        dist, location, etag = create_dist(self, distribution_config, tags)
        deploy(dist)
        return dist, location, etag

    def update_distribution(self, dist_config, _id, if_match):
        dist = self.distributions.get(_id)
        if refusals() and dist is not None:
            check_if_match(dist, if_match)
        dist, location, etag = update_dist(self, dist_config, _id, if_match)
        if refusals():
            dist.etag = etag = random_id()
        deploy(dist)
        return dist, location, etag

    def delete_distribution(self, distribution_id, if_match):
        dist = self.distributions.get(distribution_id)
        if refusals() and dist is not None and if_match:
            check_if_match(dist, if_match)
            if dist.distribution_config.Enabled or dist.status != "Deployed":
                raise CloudFrontException(
                    "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled.",
                )
        return delete_dist(self, distribution_id, if_match)

    CloudFrontBackend.create_distribution = create_distribution
    CloudFrontBackend.update_distribution = update_distribution
    CloudFrontBackend.delete_distribution = delete_distribution


# ---------------------------------------------------------------------------------------------
# ECS: a cluster with services or tasks is not deleted; a stopped awsvpc task's interface
# lingers.
# ---------------------------------------------------------------------------------------------

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
    install_ecs()
    install_iam_server_certificates()
