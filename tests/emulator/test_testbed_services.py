"""Tests of the test bed's behaviours for RDS, Elastic Load Balancing v2, CloudFront, ECS and
IAM server certificates (testbed_services.py): each one seen happening on a configured
emulator, and moto's own behaviour seen holding on a plain one (so each switch is real).

No test relies on reaching the emulator within a moment: a state the test must see (creating,
deleting, a lingering interface) is held for ten minutes while it looks (`hold`), and a state's
end is seen on another resource with the configured delay, by polling with minutes of patience
and checking the states came in order (`assert_progress`).

    cd tests/emulator && python -m unittest test_testbed_services -v

Starts two emulators (serve.py --watch-parent) on free ports and talks to them through boto3.
"""

import base64
import datetime
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
PENDING = 1.0
LINGER = 1.0
CONFIGURED = {
    "pending": {
        "rds_cluster": PENDING,
        "rds_cluster_delete": PENDING,
        "rds_instance": PENDING,
        "rds_instance_delete": PENDING,
        "rds_cluster_modify": PENDING,
        "rds_instance_modify": PENDING,
        "load_balancer": PENDING,
        "cloudfront": PENDING,
        "ecs_deployment": PENDING,
        "ecs_service_delete": PENDING,
    },
    "refusals": True,
    "linger": LINGER,
    "pagination": False,
    "iam_propagation": PENDING,
}
# How long a poll waits for a transition that should take PENDING or LINGER seconds: far longer,
# for a busy machine.
PATIENCE = 120.0
# A delay that outlasts any test: the state it holds is there whenever the test looks.
HELD = 600.0

SERVERS = {}


def start(config):
    command = [sys.executable, os.path.join(HERE, "serve.py"), "--watch-parent"]
    if config is not None:
        command += ["--config", json.dumps(config)]
    return subprocess.Popen(command, cwd=HERE, stdout=subprocess.PIPE, text=True)


def setUpModule():
    processes = {"configured": start(CONFIGURED), "plain": start(None)}
    for name, process in processes.items():
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            for p in processes.values():
                p.kill()
            raise RuntimeError(f"the {name} emulator did not start (serve.py printed {url!r})")
        SERVERS[name] = (process, url)


def tearDownModule():
    for process, _ in SERVERS.values():
        process.terminate()
        process.wait(timeout=10)


def client(server, service, region="us-east-1"):
    return boto3.client(
        service,
        endpoint_url=SERVERS[server][1],
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


def hold(test, **settings):
    """Sets the configured emulator's settings for the rest of one test (restored after it)."""
    set_config("configured", settings)
    test.addCleanup(set_config, "configured", CONFIGURED)


def assert_progress(test, seen, states):
    """`seen` goes through `states` in their order (any of them repeated or, but the last,
    skipped: a read may come after a short state ended) and ends in the last."""
    test.assertTrue(set(seen) <= set(states), f"unknown states in {seen}")
    order = [states.index(state) for state in seen]
    test.assertEqual(order, sorted(order), f"out of order: {seen}")
    test.assertEqual(seen[-1], states[-1])


def set_config(server, config):
    request = urllib.request.Request(
        SERVERS[server][1] + "/_testbed/config", data=json.dumps(config).encode(), method="POST"
    )
    urllib.request.urlopen(request).read()


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def error_of(call, *args, **kwargs):
    """The error code and HTTP status a call answers, or None when it succeeds."""
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None


def inventory(server):
    return json.loads(urllib.request.urlopen(SERVERS[server][1] + "/_testbed/inventory").read())


def settle(server):
    """Every pending state of the emulator ends now."""
    request = urllib.request.Request(SERVERS[server][1] + "/_testbed/settle", data=b"", method="POST")
    urllib.request.urlopen(request).read()


def poll(read, until, patience=PATIENCE):
    """Reads until `until(value)` holds; returns every value read, in order."""
    seen = []
    deadline = time.time() + patience
    while True:
        seen.append(read())
        if until(seen[-1]):
            return seen
        if time.time() > deadline:
            raise AssertionError(f"still not there after {patience} s; read {seen}")
        time.sleep(0.1)


class Network:
    """A VPC (DNS hostnames on, which moto needs for awsvpc tasks) with two subnets and a
    security group."""

    def __init__(self, server, region="us-east-1"):
        self.ec2 = client(server, "ec2", region)
        self.vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=self.vpc, EnableDnsHostnames={"Value": True})
        self.subnets = [
            self.ec2.create_subnet(VpcId=self.vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)[
                "Subnet"
            ]["SubnetId"]
            for i, zone in ((1, f"{region}a"), (2, f"{region}b"))
        ]
        self.group = self.ec2.create_security_group(
            GroupName=unique("g"), Description="test", VpcId=self.vpc
        )["GroupId"]

    def interfaces(self):
        return self.ec2.describe_network_interfaces(
            Filters=[{"Name": "subnet-id", "Values": self.subnets}]
        )["NetworkInterfaces"]


# ---------------------------------------------------------------------------------------------
# RDS
# ---------------------------------------------------------------------------------------------

def create_cluster(rds):
    name = unique("cluster-")
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=name, Engine="aurora-postgresql", MasterUsername="admin",
        MasterUserPassword="password123",
    )["DBCluster"]
    return name, cluster


def create_instance(rds, cluster_name):
    name = unique("instance-")
    instance = rds.create_db_instance(
        DBInstanceIdentifier=name, DBClusterIdentifier=cluster_name, Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )["DBInstance"]
    return name, instance


def cluster_status(rds, name):
    try:
        return rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]["Status"]
    except ClientError as e:
        return e.response["Error"]["Code"]


def instance_status(rds, name):
    try:
        return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DBInstanceStatus"]
    except ClientError as e:
        return e.response["Error"]["Code"]


class RdsTest(unittest.TestCase):
    def test_clusters_and_instances_are_creating_then_available(self):
        rds = client("configured", "rds")
        # Held: a describe shows `creating`.
        hold(self, pending={"rds_cluster": HELD, "rds_instance": HELD})
        held_cluster, cluster = create_cluster(rds)
        self.assertEqual(cluster["Status"], "creating")
        self.assertEqual(cluster_status(rds, held_cluster), "creating")
        held_instance, _ = create_instance(rds, held_cluster)
        self.assertEqual(instance_status(rds, held_instance), "creating")

        # With the configured delay: `creating`, then `available`.
        set_config("configured", CONFIGURED)
        cluster_name, cluster = create_cluster(rds)
        self.assertEqual(cluster["Status"], "creating")
        seen = poll(lambda: cluster_status(rds, cluster_name), lambda s: s == "available")
        assert_progress(self, seen, ["creating", "available"])
        instance_name, instance = create_instance(rds, cluster_name)
        self.assertEqual(instance["DBInstanceStatus"], "creating")
        seen = poll(lambda: instance_status(rds, instance_name), lambda s: s == "available")
        assert_progress(self, seen, ["creating", "available"])

    def test_a_cluster_with_instances_is_refused_then_deleted_while_they_are_deleting(self):
        rds = client("configured", "rds")
        # Deletes held in `deleting`, so that what AWS refuses meanwhile is seen.
        hold(self, pending={"rds_cluster_delete": HELD, "rds_instance_delete": HELD})
        cluster_name, _ = create_cluster(rds)
        instance_name, _ = create_instance(rds, cluster_name)
        self.assertEqual(
            error_of(rds.delete_db_cluster, DBClusterIdentifier=cluster_name, SkipFinalSnapshot=True),
            ("InvalidDBClusterStateFault", 400),
        )

        deleted = rds.delete_db_instance(DBInstanceIdentifier=instance_name, SkipFinalSnapshot=True)
        self.assertEqual(deleted["DBInstance"]["DBInstanceStatus"], "deleting")
        self.assertEqual(
            error_of(rds.delete_db_instance, DBInstanceIdentifier=instance_name, SkipFinalSnapshot=True),
            ("InvalidDBInstanceState", 400),
        )
        # An instance being deleted no longer holds its cluster.
        deleted = rds.delete_db_cluster(DBClusterIdentifier=cluster_name, SkipFinalSnapshot=True)
        self.assertEqual(deleted["DBCluster"]["Status"], "deleting")
        self.assertEqual(cluster_status(rds, cluster_name), "deleting")
        self.assertEqual(instance_status(rds, instance_name), "deleting")

        # With the configured delay: both go.
        set_config("configured", CONFIGURED)
        cluster_name, _ = create_cluster(rds)
        instance_name, _ = create_instance(rds, cluster_name)
        rds.delete_db_instance(DBInstanceIdentifier=instance_name, SkipFinalSnapshot=True)
        rds.delete_db_cluster(DBClusterIdentifier=cluster_name, SkipFinalSnapshot=True)
        seen = poll(lambda: instance_status(rds, instance_name), lambda s: s == "DBInstanceNotFound")
        assert_progress(self, seen, ["deleting", "DBInstanceNotFound"])
        seen = poll(lambda: cluster_status(rds, cluster_name), lambda s: s == "DBClusterNotFoundFault")
        assert_progress(self, seen, ["deleting", "DBClusterNotFoundFault"])

    def test_off_moto_answers_available_at_once_and_deletes_at_once(self):
        rds = client("plain", "rds")
        cluster_name, cluster = create_cluster(rds)
        self.assertEqual(cluster["Status"], "creating")  # moto: in the create answer only
        self.assertEqual(cluster_status(rds, cluster_name), "available")
        instance_name, instance = create_instance(rds, cluster_name)
        self.assertEqual(instance["DBInstanceStatus"], "available")
        # moto refuses this one itself, with AWS's code.
        self.assertEqual(
            error_of(rds.delete_db_cluster, DBClusterIdentifier=cluster_name, SkipFinalSnapshot=True),
            ("InvalidDBClusterStateFault", 400),
        )
        rds.delete_db_instance(DBInstanceIdentifier=instance_name, SkipFinalSnapshot=True)
        self.assertEqual(instance_status(rds, instance_name), "DBInstanceNotFound")
        rds.delete_db_cluster(DBClusterIdentifier=cluster_name, SkipFinalSnapshot=True)
        self.assertEqual(cluster_status(rds, cluster_name), "DBClusterNotFoundFault")


# The Aurora Serverless v2 kinds (issue 16): rds.db_subnet_group, rds.db_cluster_parameter_group,
# rds.db_cluster, rds.db_cluster_instance.

def create_v2_cluster(rds, **settings):
    """An Aurora PostgreSQL Serverless v2 cluster with a managed master password."""
    name = unique("v2-")
    arguments = dict(
        DBClusterIdentifier=name, Engine="aurora-postgresql", EngineVersion="16.6",
        MasterUsername="postgres", ManageMasterUserPassword=True,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 4},
    )
    arguments.update(settings)
    return name, rds.create_db_cluster(**arguments)["DBCluster"]


def create_v2_instance(rds, cluster_name, tier=1):
    name = unique("v2i-")
    rds.create_db_instance(
        DBInstanceIdentifier=name, DBClusterIdentifier=cluster_name, Engine="aurora-postgresql",
        DBInstanceClass="db.serverless", PromotionTier=tier, PubliclyAccessible=False,
    )
    return name


def describe_cluster(rds, name):
    return rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]


def subnet_group(rds, network, subnets=None, **extra):
    name = unique("sg-")
    rds.create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription="test",
        SubnetIds=subnets or network.subnets, **extra,
    )
    return name


def cluster_parameter_group(rds):
    name = unique("cpg-")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=name, DBParameterGroupFamily="aurora-postgresql16",
        Description="test",
    )
    return name


def snapshot_ids(rds, cluster_name, kind):
    snapshots = rds.describe_db_cluster_snapshots(DBClusterIdentifier=cluster_name, SnapshotType=kind)
    return [s["DBClusterSnapshotIdentifier"] for s in snapshots["DBClusterSnapshots"]]


class AuroraServerlessTest(unittest.TestCase):
    def test_the_tagging_api_lists_subnet_and_parameter_groups(self):
        rds, tagging = client("plain", "rds"), client("plain", "resourcegroupstaggingapi")
        network = Network("plain")
        stack = unique("stack-")
        tags = [{"Key": "strata:stack", "Value": stack}]
        subnets = subnet_group(rds, network, Tags=tags)
        parameters = unique("cpg-")
        rds.create_db_cluster_parameter_group(
            DBClusterParameterGroupName=parameters, DBParameterGroupFamily="aurora-postgresql16",
            Description="test", Tags=tags,
        )
        listed = tagging.get_resources(TagFilters=[{"Key": "strata:stack", "Values": [stack]}])
        arns = sorted(m["ResourceARN"].split(":", 5)[5] for m in listed["ResourceTagMappingList"])
        self.assertEqual(arns, sorted([f"subgrp:{subnets}", f"cluster-pg:{parameters}"]))

    def test_a_change_leaves_cluster_and_instance_modifying_then_available(self):
        rds = client("configured", "rds")
        # Held: the change shows `modifying`, and AWS's refusals meanwhile.
        hold(self, pending={"rds_cluster": 0, "rds_instance": 0, "rds_cluster_modify": HELD,
                            "rds_instance_modify": HELD})
        name, _ = create_v2_cluster(rds)
        instance = create_v2_instance(rds, name)
        changed = rds.modify_db_cluster(
            DBClusterIdentifier=name, ApplyImmediately=True, DeletionProtection=True,
            BackupRetentionPeriod=14, ServerlessV2ScalingConfiguration={"MinCapacity": 0, "MaxCapacity": 8},
        )["DBCluster"]
        self.assertEqual(changed["Status"], "modifying")
        self.assertEqual(cluster_status(rds, name), "modifying")
        self.assertEqual(
            error_of(rds.modify_db_cluster, DBClusterIdentifier=name, ApplyImmediately=True, BackupRetentionPeriod=7),
            ("InvalidDBClusterStateFault", 400),
        )
        cluster = describe_cluster(rds, name)
        self.assertEqual((cluster["DeletionProtection"], cluster["BackupRetentionPeriod"]), (True, 14))
        changed = rds.modify_db_instance(DBInstanceIdentifier=instance, ApplyImmediately=True, PromotionTier=2)
        self.assertEqual(changed["DBInstance"]["DBInstanceStatus"], "modifying")
        self.assertEqual(instance_status(rds, instance), "modifying")
        self.assertEqual(
            error_of(rds.modify_db_instance, DBInstanceIdentifier=instance, ApplyImmediately=True, PromotionTier=3),
            ("InvalidDBInstanceState", 400),
        )

        # With the configured delay: `modifying`, then `available`.
        set_config("configured", CONFIGURED)
        name, _ = create_v2_cluster(rds)
        poll(lambda: cluster_status(rds, name), lambda s: s == "available")
        instance = create_v2_instance(rds, name)
        poll(lambda: instance_status(rds, instance), lambda s: s == "available")
        rds.modify_db_cluster(
            DBClusterIdentifier=name, ApplyImmediately=True,
            ServerlessV2ScalingConfiguration={"MinCapacity": 1, "MaxCapacity": 16},
        )
        seen = poll(lambda: cluster_status(rds, name), lambda s: s == "available")
        assert_progress(self, seen, ["modifying", "available"])
        rds.modify_db_instance(DBInstanceIdentifier=instance, ApplyImmediately=True, PromotionTier=2)
        seen = poll(lambda: instance_status(rds, instance), lambda s: s == "available")
        assert_progress(self, seen, ["modifying", "available"])

    def test_off_moto_answers_a_change_available(self):
        rds = client("plain", "rds")
        name, _ = create_v2_cluster(rds)
        instance = create_v2_instance(rds, name)
        changed = rds.modify_db_cluster(DBClusterIdentifier=name, ApplyImmediately=True, BackupRetentionPeriod=3)
        self.assertEqual(changed["DBCluster"]["Status"], "available")
        rds.modify_db_cluster(DBClusterIdentifier=name, ApplyImmediately=True, BackupRetentionPeriod=4)
        changed = rds.modify_db_instance(DBInstanceIdentifier=instance, ApplyImmediately=True, PromotionTier=4)
        self.assertEqual(changed["DBInstance"]["DBInstanceStatus"], "available")
        self.assertEqual(
            error_of(rds.modify_db_cluster, DBClusterIdentifier=unique("none-"), BackupRetentionPeriod=3),
            ("DBClusterNotFoundFault", 404),
        )

    def test_the_data_api_is_set_at_create_and_by_enable_and_disable_http_endpoint(self):
        rds = client("plain", "rds")  # always on
        name, created = create_v2_cluster(rds, EnableHttpEndpoint=True)
        self.assertTrue(created["HttpEndpointEnabled"])
        arn = created["DBClusterArn"]
        answer = rds.disable_http_endpoint(ResourceArn=arn)
        self.assertEqual((answer["ResourceArn"], answer["HttpEndpointEnabled"]), (arn, False))
        self.assertFalse(describe_cluster(rds, name)["HttpEndpointEnabled"])
        self.assertTrue(rds.enable_http_endpoint(ResourceArn=arn)["HttpEndpointEnabled"])
        self.assertTrue(describe_cluster(rds, name)["HttpEndpointEnabled"])
        # ModifyDBCluster's EnableHttpEndpoint is Serverless v1's: no effect on a v2 cluster.
        rds.modify_db_cluster(DBClusterIdentifier=name, EnableHttpEndpoint=False, ApplyImmediately=True)
        self.assertTrue(describe_cluster(rds, name)["HttpEndpointEnabled"])
        other, created = create_v2_cluster(rds)
        self.assertFalse(created["HttpEndpointEnabled"])
        self.assertEqual(
            error_of(rds.enable_http_endpoint, ResourceArn=arn.replace(name, unique("none-"))),
            ("ResourceNotFoundFault", 404),
        )

    def test_a_delete_takes_its_final_snapshot_or_is_refused(self):
        rds = client("configured", "rds")
        hold(self, pending={"rds_cluster": 0, "rds_cluster_delete": HELD})
        tags = [{"Key": "strata:name", "Value": "db"}]
        name, _ = create_v2_cluster(rds, CopyTagsToSnapshot=True, Tags=tags)
        self.assertEqual(
            error_of(rds.delete_db_cluster, DBClusterIdentifier=name), ("InvalidParameterCombination", 400)
        )
        self.assertEqual(
            error_of(rds.delete_db_cluster, DBClusterIdentifier=name, SkipFinalSnapshot=True,
                     FinalDBSnapshotIdentifier=unique("final-")),
            ("InvalidParameterCombination", 400),
        )
        self.assertEqual(cluster_status(rds, name), "available")
        self.assertEqual(len(snapshot_ids(rds, name, "automated")), 1, "moto's automated snapshot")
        final = unique("final-")
        deleted = rds.delete_db_cluster(
            DBClusterIdentifier=name, SkipFinalSnapshot=False, FinalDBSnapshotIdentifier=final
        )
        self.assertEqual(deleted["DBCluster"]["Status"], "deleting")
        self.assertEqual(
            error_of(rds.delete_db_cluster, DBClusterIdentifier=name, SkipFinalSnapshot=True),
            ("InvalidDBClusterStateFault", 400),
        )
        snapshot = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=final)["DBClusterSnapshots"]
        self.assertEqual(
            [(s["DBClusterIdentifier"], s["SnapshotType"], s["TagList"]) for s in snapshot], [(name, "manual", tags)]
        )
        self.assertEqual(snapshot_ids(rds, name, "automated"), [], "automated backups go with the cluster")
        # A change, or a final snapshot, of a cluster that is not available is refused.
        hold(self, pending={"rds_cluster": 0, "rds_cluster_modify": HELD})
        name, _ = create_v2_cluster(rds)
        rds.modify_db_cluster(DBClusterIdentifier=name, ApplyImmediately=True, BackupRetentionPeriod=2)
        self.assertEqual(
            error_of(rds.delete_db_cluster, DBClusterIdentifier=name, FinalDBSnapshotIdentifier=unique("final-")),
            ("InvalidDBClusterStateFault", 400),
        )

        # With the configured delay: gone, its final snapshot kept.
        set_config("configured", CONFIGURED)
        name, _ = create_v2_cluster(rds)
        poll(lambda: cluster_status(rds, name), lambda s: s == "available")
        final = unique("final-")
        rds.delete_db_cluster(DBClusterIdentifier=name, FinalDBSnapshotIdentifier=final)
        seen = poll(lambda: cluster_status(rds, name), lambda s: s == "DBClusterNotFoundFault")
        assert_progress(self, seen, ["deleting", "DBClusterNotFoundFault"])
        self.assertEqual(snapshot_ids(rds, name, "manual"), [final])

    def test_off_moto_deletes_without_a_final_snapshot_decided(self):
        rds = client("plain", "rds")
        name, _ = create_v2_cluster(rds)
        self.assertEqual(rds.delete_db_cluster(DBClusterIdentifier=name)["DBCluster"]["Status"], "available")
        self.assertEqual(cluster_status(rds, name), "DBClusterNotFoundFault")
        self.assertEqual(snapshot_ids(rds, name, "manual") + snapshot_ids(rds, name, "automated"), [])
        # Created again under its name at once (moto's automated snapshot of the first one went
        # with it).
        create_v2_cluster(rds, DBClusterIdentifier=name)
        self.assertEqual(cluster_status(rds, name), "available")

    def test_a_protected_cluster_is_not_deleted(self):
        rds = client("plain", "rds")  # moto refuses it as AWS does
        name, _ = create_v2_cluster(rds, DeletionProtection=True)
        try:
            rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
            self.fail("deleted")
        except ClientError as e:
            self.assertEqual(
                (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                 e.response["Error"]["Message"]),
                ("InvalidParameterCombination", 400,
                 "Cannot delete protected Cluster, please disable deletion protection and try again."),
            )
        self.assertEqual(cluster_status(rds, name), "available")
        rds.modify_db_cluster(DBClusterIdentifier=name, DeletionProtection=False, ApplyImmediately=True)
        rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
        self.assertEqual(cluster_status(rds, name), "DBClusterNotFoundFault")

    def test_a_serverless_v2_cluster_and_its_instances_come_back_as_given(self):
        rds = client("plain", "rds")
        secrets = client("plain", "secretsmanager")
        name, created = create_v2_cluster(
            rds, ServerlessV2ScalingConfiguration={"MinCapacity": 0, "MaxCapacity": 4, "SecondsUntilAutoPause": 600},
            StorageEncrypted=True, BackupRetentionPeriod=7, PreferredBackupWindow="03:00-04:00",
            CopyTagsToSnapshot=True, DeletionProtection=False,
        )
        cluster = describe_cluster(rds, name)
        self.assertEqual(
            cluster["ServerlessV2ScalingConfiguration"],
            {"MinCapacity": 0.0, "MaxCapacity": 4.0, "SecondsUntilAutoPause": 600},
        )
        self.assertEqual(
            (cluster["EngineMode"], cluster["StorageEncrypted"], cluster["BackupRetentionPeriod"],
             cluster["PreferredBackupWindow"], cluster["CopyTagsToSnapshot"]),
            ("provisioned", True, 7, "03:00-04:00", True),
        )
        secret = cluster["MasterUserSecret"]["SecretArn"]
        self.assertEqual(secrets.describe_secret(SecretId=secret)["ARN"], secret)
        for answer in (created, cluster):
            self.assertNotIn("MasterUserPassword", answer)
            self.assertNotIn("password", json.dumps(answer, default=str).lower())
        # Managed again: the same secret (moto made a second one).
        rds.modify_db_cluster(DBClusterIdentifier=name, ManageMasterUserPassword=True, ApplyImmediately=True)
        self.assertEqual(describe_cluster(rds, name)["MasterUserSecret"]["SecretArn"], secret)
        # SecondsUntilAutoPause: only while the minimum is 0, 300 unless given.
        for given, shown in (
            ({"MinCapacity": 0.5, "MaxCapacity": 4}, {"MinCapacity": 0.5, "MaxCapacity": 4.0}),
            ({"MinCapacity": 0, "MaxCapacity": 8}, {"MinCapacity": 0.0, "MaxCapacity": 8.0, "SecondsUntilAutoPause": 300}),
            ({"MinCapacity": 1, "MaxCapacity": 8, "SecondsUntilAutoPause": 900}, {"MinCapacity": 1.0, "MaxCapacity": 8.0}),
        ):
            rds.modify_db_cluster(DBClusterIdentifier=name, ServerlessV2ScalingConfiguration=given, ApplyImmediately=True)
            self.assertEqual(describe_cluster(rds, name)["ServerlessV2ScalingConfiguration"], shown)
        other, created = create_v2_cluster(rds, ServerlessV2ScalingConfiguration={"MinCapacity": 0, "MaxCapacity": 2})
        self.assertEqual(created["ServerlessV2ScalingConfiguration"]["SecondsUntilAutoPause"], 300)

        writer = create_v2_instance(rds, name, tier=1)
        reader = create_v2_instance(rds, name, tier=2)
        members = {m["DBInstanceIdentifier"]: m for m in describe_cluster(rds, name)["DBClusterMembers"]}
        self.assertEqual(
            {k: (m["IsClusterWriter"], m["PromotionTier"]) for k, m in members.items()},
            {writer: (True, 1), reader: (False, 2)},
        )
        instance = rds.describe_db_instances(DBInstanceIdentifier=reader)["DBInstances"][0]
        self.assertEqual(
            (instance["DBInstanceClass"], instance["DBClusterIdentifier"], instance["PubliclyAccessible"]),
            ("db.serverless", name, False),
        )

    def test_an_encrypted_cluster_names_its_key_by_arn(self):
        rds = client("plain", "rds")  # always on
        kms = client("plain", "kms")
        key = kms.create_key()["KeyMetadata"]
        alias = unique("alias/db-")
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        for given in (key["KeyId"], alias, key["Arn"]):
            _, created = create_v2_cluster(rds, StorageEncrypted=True, KmsKeyId=given)
            self.assertEqual((created["StorageEncrypted"], created["KmsKeyId"]), (True, key["Arn"]))
        name, created = create_v2_cluster(rds, StorageEncrypted=True)
        managed = kms.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]
        self.assertEqual(created["KmsKeyId"], managed)
        instance = create_v2_instance(rds, name)
        described = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"][0]
        self.assertEqual((described["StorageEncrypted"], described["KmsKeyId"]), (True, managed))
        _, created = create_v2_cluster(rds)
        self.assertNotIn("KmsKeyId", created)
        self.assertEqual(
            error_of(create_v2_cluster, rds, StorageEncrypted=True, KmsKeyId=unique("alias/none-")),
            ("KMSKeyNotAccessibleFault", 400),
        )

    def test_a_cluster_deleted_leaves_nothing_behind(self):
        rds = client("plain", "rds")
        before = inventory("plain")
        name, _ = create_v2_cluster(rds, StorageEncrypted=True, EnableHttpEndpoint=True)
        instance = create_v2_instance(rds, name)
        during = set(inventory("plain")) - set(before)
        self.assertTrue(any(f":cluster:{name}" in line for line in during), during)
        self.assertTrue(any(":secret:rds!cluster-" in line for line in during), during)
        rds.delete_db_instance(DBInstanceIdentifier=instance)
        rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
        # Its automated snapshot and managed secret go with it; the AWS managed KMS keys it
        # made (aws/rds, aws/secretsmanager) are AWS's, not in the inventory.
        self.assertEqual(inventory("plain"), before)

    def test_off_moto_takes_a_serverless_v1_cluster(self):
        # AWS ended Aurora Serverless v1 on 2025-03-31; strata refuses it before any call. moto
        # still creates one, and refuses it instances.
        rds = client("plain", "rds")
        name = unique("v1-")
        created = rds.create_db_cluster(
            DBClusterIdentifier=name, Engine="aurora-postgresql", EngineMode="serverless",
            MasterUsername="postgres", MasterUserPassword="password123",
        )["DBCluster"]
        self.assertEqual(created["EngineMode"], "serverless")
        self.assertEqual(
            error_of(rds.create_db_instance, DBInstanceIdentifier=unique("v1i-"), DBClusterIdentifier=name,
                     Engine="aurora-postgresql", DBInstanceClass="db.serverless"),
            ("InvalidParameterValue", 400),
        )

    def test_cluster_parameters_are_set_reset_and_described_by_source(self):
        rds = client("plain", "rds")  # always on
        group = cluster_parameter_group(rds)
        rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=[
            {"ParameterName": "log_min_duration_statement", "ParameterValue": "500", "ApplyMethod": "immediate"},
            {"ParameterName": "shared_preload_libraries", "ParameterValue": "pg_stat_statements",
             "ApplyMethod": "pending-reboot"},
        ])

        def parameters(source):
            answer = rds.describe_db_cluster_parameters(DBClusterParameterGroupName=group, Source=source)
            return {p["ParameterName"]: (p["ParameterValue"], p["ApplyMethod"], p["Source"]) for p in answer["Parameters"]}

        self.assertEqual(parameters("user"), {
            "log_min_duration_statement": ("500", "immediate", "user"),
            "shared_preload_libraries": ("pg_stat_statements", "pending-reboot", "user"),
        })
        self.assertEqual(parameters("engine-default"), {})
        answer = rds.reset_db_cluster_parameter_group(
            DBClusterParameterGroupName=group,
            Parameters=[{"ParameterName": "log_min_duration_statement", "ApplyMethod": "immediate"}],
        )
        self.assertEqual(answer["DBClusterParameterGroupName"], group)
        self.assertEqual(list(parameters("user")), ["shared_preload_libraries"])
        rds.reset_db_cluster_parameter_group(DBClusterParameterGroupName=group, ResetAllParameters=True)
        self.assertEqual(parameters("user"), {})
        self.assertEqual(
            error_of(rds.reset_db_cluster_parameter_group, DBClusterParameterGroupName=unique("none-"),
                     ResetAllParameters=True),
            ("DBParameterGroupNotFound", 404),
        )

    def test_describes_filter_by_cluster_arn_and_come_in_pages(self):
        rds = client("plain", "rds")
        name, created = create_v2_cluster(rds)
        instances = {create_v2_instance(rds, name), create_v2_instance(rds, name, tier=2)}
        by_arn = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [created["DBClusterArn"]]}])
        self.assertEqual({i["DBInstanceIdentifier"] for i in by_arn["DBInstances"]}, instances)
        clusters = rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": [created["DBClusterArn"]]}])
        self.assertEqual([c["DBClusterIdentifier"] for c in clusters["DBClusters"]], [name])

        rds = client("configured", "rds")
        hold(self, pagination=True)
        made = {create_v2_cluster(rds)[0] for _ in range(21)}
        pages = list(rds.get_paginator("describe_db_clusters").paginate(PaginationConfig={"PageSize": 20}))
        seen = [c["DBClusterIdentifier"] for page in pages for c in page["DBClusters"]]
        self.assertTrue(made <= set(seen))
        self.assertEqual(len(seen), len(set(seen)))
        self.assertGreaterEqual(len(pages), 2)
        self.assertTrue(all(len(page["DBClusters"]) <= 20 for page in pages))
        self.assertEqual(error_of(rds.describe_db_clusters, MaxRecords=5), ("InvalidParameterValue", 400))
        self.assertEqual(error_of(rds.describe_db_instances, MaxRecords=101), ("InvalidParameterValue", 400))
        set_config("configured", {"pagination": False})
        answer = rds.describe_db_clusters()
        self.assertNotIn("Marker", answer)
        self.assertTrue(made <= {c["DBClusterIdentifier"] for c in answer["DBClusters"]}, "one page of all")

    def test_groups_in_one_zone_missing_or_in_use_are_refused(self):
        rds = client("configured", "rds")
        network = Network("configured")
        hold(self, pending={"rds_cluster": 0, "rds_cluster_delete": HELD})
        self.assertEqual(
            error_of(subnet_group, rds, network, subnets=network.subnets[:1]),
            ("DBSubnetGroupDoesNotCoverEnoughAZs", 400),
        )
        subnets, parameters = subnet_group(rds, network), cluster_parameter_group(rds)
        self.assertEqual(
            error_of(create_v2_cluster, rds, DBSubnetGroupName=unique("none-")), ("DBSubnetGroupNotFoundFault", 404)
        )
        self.assertEqual(
            error_of(create_v2_cluster, rds, DBClusterParameterGroupName=unique("none-")),
            ("DBClusterParameterGroupNotFound", 404),
        )
        name, _ = create_v2_cluster(rds, DBSubnetGroupName=subnets, DBClusterParameterGroupName=parameters)
        rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
        # Still used while the cluster is being deleted.
        self.assertEqual(
            error_of(rds.delete_db_subnet_group, DBSubnetGroupName=subnets), ("InvalidDBSubnetGroupStateFault", 400)
        )
        self.assertEqual(
            error_of(rds.delete_db_cluster_parameter_group, DBClusterParameterGroupName=parameters),
            ("InvalidDBParameterGroupState", 400),
        )
        settle("configured")
        self.assertEqual(cluster_status(rds, name), "DBClusterNotFoundFault")
        rds.delete_db_subnet_group(DBSubnetGroupName=subnets)
        rds.delete_db_cluster_parameter_group(DBClusterParameterGroupName=parameters)

    def test_a_subnet_group_is_changed_in_place(self):
        rds = client("plain", "rds")
        network = Network("plain")
        third = network.ec2.create_subnet(VpcId=network.vpc, CidrBlock="10.0.3.0/24", AvailabilityZone="us-east-1c")
        third = third["Subnet"]["SubnetId"]
        name = subnet_group(rds, network)
        rds.modify_db_subnet_group(DBSubnetGroupName=name, SubnetIds=[network.subnets[1], third])
        group = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
        self.assertEqual({s["SubnetIdentifier"] for s in group["Subnets"]}, {network.subnets[1], third})
        self.assertEqual(
            error_of(rds.modify_db_subnet_group, DBSubnetGroupName=unique("none-"), SubnetIds=network.subnets),
            ("DBSubnetGroupNotFoundFault", 404),
        )
        # moto takes a group in one zone, and deletes one in use.
        one_zone = subnet_group(rds, network, subnets=network.subnets[:1])
        cluster, _ = create_v2_cluster(rds, DBSubnetGroupName=one_zone)
        rds.delete_db_subnet_group(DBSubnetGroupName=one_zone)

    def test_creates_and_deletes_repeated_are_refused_as_aws_refuses_them(self):
        rds = client("plain", "rds")  # fixes, always on
        network = Network("plain")
        tags = [{"Key": "strata:name", "Value": "subnets"}]
        subnets = subnet_group(rds, network, Tags=tags)
        group_arn = rds.describe_db_subnet_groups(DBSubnetGroupName=subnets)["DBSubnetGroups"][0]["DBSubnetGroupArn"]
        self.assertEqual(
            error_of(rds.create_db_subnet_group, DBSubnetGroupName=subnets, DBSubnetGroupDescription="test",
                     SubnetIds=network.subnets),
            ("DBSubnetGroupAlreadyExists", 400),
        )
        self.assertEqual(rds.list_tags_for_resource(ResourceName=group_arn)["TagList"], tags)
        parameters = cluster_parameter_group(rds)
        self.assertEqual(
            error_of(rds.create_db_cluster_parameter_group, DBClusterParameterGroupName=parameters,
                     DBParameterGroupFamily="aurora-postgresql16", Description="test"),
            ("DBParameterGroupAlreadyExists", 400),
        )
        name, created = create_v2_cluster(rds)
        self.assertEqual(error_of(create_v2_cluster, rds, DBClusterIdentifier=name), ("DBClusterAlreadyExistsFault", 400))
        cluster = describe_cluster(rds, name)
        self.assertEqual(
            (cluster["Endpoint"], cluster["MasterUserSecret"]["SecretArn"]),
            (created["Endpoint"], created["MasterUserSecret"]["SecretArn"]),
        )
        instance = create_v2_instance(rds, name)
        self.assertEqual(
            error_of(rds.create_db_instance, DBInstanceIdentifier=instance, DBClusterIdentifier=name,
                     Engine="aurora-postgresql", DBInstanceClass="db.serverless"),
            ("DBInstanceAlreadyExists", 400),
        )
        rds.delete_db_instance(DBInstanceIdentifier=instance)
        self.assertEqual(error_of(rds.delete_db_instance, DBInstanceIdentifier=instance), ("DBInstanceNotFound", 404))
        rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
        self.assertEqual(
            error_of(rds.delete_db_cluster, DBClusterIdentifier=name, SkipFinalSnapshot=True),
            ("DBClusterNotFoundFault", 404),
        )
        rds.delete_db_subnet_group(DBSubnetGroupName=subnets)
        self.assertEqual(
            error_of(rds.delete_db_subnet_group, DBSubnetGroupName=subnets), ("DBSubnetGroupNotFoundFault", 404)
        )
        rds.delete_db_cluster_parameter_group(DBClusterParameterGroupName=parameters)
        self.assertEqual(
            error_of(rds.delete_db_cluster_parameter_group, DBClusterParameterGroupName=parameters),
            ("DBParameterGroupNotFound", 404),
        )


# ---------------------------------------------------------------------------------------------
# Elastic Load Balancing v2
# ---------------------------------------------------------------------------------------------

def create_load_balancer(elb, network):
    return elb.create_load_balancer(
        Name=unique("lb-"), Subnets=network.subnets, SecurityGroups=[network.group]
    )["LoadBalancers"][0]


def load_balancer_state(elb, arn):
    return elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]


FIXED_RESPONSE = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}


def create_target_group(elb, vpc):
    group = elb.create_target_group(Name=unique("tg-"), Protocol="HTTP", Port=80, VpcId=vpc)
    return group["TargetGroups"][0]["TargetGroupArn"]


def load_balancer_and_group(server, region="us-east-1"):
    """A load balancer and a target group in its VPC: (client, VPC, load balancer ARN, group
    ARN)."""
    network = Network(server, region)
    elb = client(server, "elbv2", region)
    lb = create_load_balancer(elb, network)["LoadBalancerArn"]
    return elb, network.vpc, lb, create_target_group(elb, network.vpc)


def weighted_forward(*groups):
    weighted = [{"TargetGroupArn": g, "Weight": 10 * (i + 1)} for i, g in enumerate(groups)]
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": weighted}}


def listener_ports(elb, lb):
    return sorted(l["Port"] for l in elb.describe_listeners(LoadBalancerArn=lb)["Listeners"])


def rule_priorities(elb, listener):
    rules = elb.describe_rules(ListenerArn=listener)["Rules"]
    return {r["RuleArn"]: r["Priority"] for r in rules if not r["IsDefault"]}


def load_balancers_named(elb, name):
    balancers = elb.describe_load_balancers()["LoadBalancers"]
    return [lb for lb in balancers if lb["LoadBalancerName"] == name]


class LoadBalancerTest(unittest.TestCase):
    def test_a_load_balancer_is_provisioning_then_active(self):
        network = Network("configured")
        elb = client("configured", "elbv2")
        hold(self, pending={"load_balancer": HELD})
        held = create_load_balancer(elb, network)
        self.assertEqual(load_balancer_state(elb, held["LoadBalancerArn"]), "provisioning")

        set_config("configured", CONFIGURED)
        lb = create_load_balancer(elb, network)
        self.assertEqual(lb["State"]["Code"], "provisioning")
        seen = poll(lambda: load_balancer_state(elb, lb["LoadBalancerArn"]), lambda s: s == "active")
        assert_progress(self, seen, ["provisioning", "active"])

    def test_its_interfaces_hold_subnet_and_group_and_linger_after_it(self):
        network = Network("configured")
        elb = client("configured", "elbv2")
        lb = create_load_balancer(elb, network)
        arn = lb["LoadBalancerArn"]
        enis = network.interfaces()
        self.assertEqual(len(enis), 2)
        self.assertEqual({e["SubnetId"] for e in enis}, set(network.subnets))
        for eni in enis:
            self.assertEqual(eni["Description"], "ELB " + arn.split(":loadbalancer/")[1])
            self.assertTrue(eni["Description"].startswith("ELB app/" + lb["LoadBalancerName"] + "/"))
            self.assertTrue(eni["RequesterManaged"])
            self.assertEqual(eni["RequesterId"], "amazon-elb")
            self.assertEqual(eni["Status"], "in-use")
            self.assertEqual([g["GroupId"] for g in eni["Groups"]], [network.group])
        subnet = network.subnets[0]
        self.assertEqual(error_of(network.ec2.delete_subnet, SubnetId=subnet), ("DependencyViolation", 400))

        # Held after the load balancer goes: the interfaces still hold subnet and group.
        hold(self, linger=HELD)
        elb.delete_load_balancer(LoadBalancerArn=arn)
        self.assertEqual({e["Status"] for e in network.interfaces()}, {"available"})
        self.assertEqual(error_of(network.ec2.delete_subnet, SubnetId=subnet), ("DependencyViolation", 400))
        self.assertEqual(
            error_of(network.ec2.delete_security_group, GroupId=network.group), ("DependencyViolation", 400)
        )

        # With the configured linger, another load balancer's interfaces go, and free both.
        set_config("configured", CONFIGURED)
        network = Network("configured")
        lb = create_load_balancer(elb, network)
        self.assertEqual(len(network.interfaces()), 2)
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        poll(network.interfaces, lambda enis: not enis)
        network.ec2.delete_subnet(SubnetId=network.subnets[0])
        network.ec2.delete_security_group(GroupId=network.group)

    def test_without_linger_its_interfaces_go_with_it(self):
        set_config("configured", {"linger": 0})
        self.addCleanup(set_config, "configured", {"linger": LINGER})
        network = Network("configured")
        elb = client("configured", "elbv2")
        lb = create_load_balancer(elb, network)
        self.assertEqual(len(network.interfaces()), 2)
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        self.assertEqual(network.interfaces(), [])
        network.ec2.delete_subnet(SubnetId=network.subnets[0])

    def test_a_target_group_a_listener_uses_is_refused(self):
        network = Network("configured")
        elb = client("configured", "elbv2")
        lb = create_load_balancer(elb, network)
        group = elb.create_target_group(Name=unique("tg-"), Protocol="HTTP", Port=80, VpcId=network.vpc)
        group_arn = group["TargetGroups"][0]["TargetGroupArn"]
        listener = elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
        )["Listeners"][0]["ListenerArn"]
        self.assertEqual(error_of(elb.delete_target_group, TargetGroupArn=group_arn), ("ResourceInUse", 400))
        elb.delete_listener(ListenerArn=listener)
        elb.delete_target_group(TargetGroupArn=group_arn)

    def test_a_port_takes_one_listener_and_a_repeated_create_answers_it(self):
        for server in ("configured", "plain"):
            with self.subTest(server=server):
                elb, _, lb, group_arn = load_balancer_and_group(server)
                forward = dict(
                    LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                    DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
                )
                listener = elb.create_listener(**forward)["Listeners"][0]["ListenerArn"]
                other = elb.create_listener(
                    LoadBalancerArn=lb, Protocol="HTTP", Port=81, DefaultActions=[FIXED_RESPONSE]
                )["Listeners"][0]["ListenerArn"]
                again = elb.create_listener(**forward)["Listeners"][0]["ListenerArn"]
                elsewise = dict(forward, DefaultActions=[FIXED_RESPONSE])
                if server == "configured":
                    # AWS: the same settings answer the listener there; others are refused.
                    self.assertEqual(again, listener)
                    refused = ("DuplicateListener", 400)
                    self.assertEqual(error_of(elb.create_listener, **elsewise), refused)
                    self.assertEqual(error_of(elb.modify_listener, ListenerArn=other, Port=80), refused)
                    elb.modify_listener(ListenerArn=other, Port=81)  # its own port
                    self.assertEqual(listener_ports(elb, lb), [80, 81])
                else:
                    # moto: a listener more on the port each time, and a move onto a used one.
                    self.assertNotEqual(again, listener)
                    elb.create_listener(**elsewise)
                    elb.modify_listener(ListenerArn=other, Port=80)
                    self.assertEqual(listener_ports(elb, lb), [80, 80, 80, 80])

    def test_rule_priorities_are_judged_once_the_whole_list_is_applied(self):
        for server in ("configured", "plain"):
            with self.subTest(server=server):
                elb, _, lb, _ = load_balancer_and_group(server)
                listener = elb.create_listener(
                    LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[FIXED_RESPONSE]
                )["Listeners"][0]["ListenerArn"]
                first, second, third = (
                    elb.create_rule(
                        ListenerArn=listener, Priority=priority, Actions=[FIXED_RESPONSE],
                        Conditions=[{"Field": "path-pattern", "Values": [f"/{priority}/*"]}],
                    )["Rules"][0]["RuleArn"]
                    for priority in (1, 2, 3)
                )
                # moto refuses a priority in use on CreateRule, as AWS does.
                self.assertEqual(
                    error_of(
                        elb.create_rule, ListenerArn=listener, Priority=1, Actions=[FIXED_RESPONSE],
                        Conditions=[{"Field": "path-pattern", "Values": ["/other/*"]}],
                    ),
                    ("PriorityInUse", 400),
                )
                swap = [{"RuleArn": first, "Priority": 2}, {"RuleArn": second, "Priority": 1}]
                swapped = {first: "2", second: "1", third: "3"}
                # On both: moto's check of each move against the rules as they were is a bug
                # the test bed always mends (a swap in one call is what AWS allows).
                elb.set_rule_priorities(RulePriorities=swap)
                self.assertEqual(rule_priorities(elb, listener), swapped)
                # A rule may be given the priority it has.
                elb.set_rule_priorities(RulePriorities=[{"RuleArn": third, "Priority": 3}])
                # Refused as a whole: the second move would collide with the third rule.
                collide = [{"RuleArn": second, "Priority": 5}, {"RuleArn": first, "Priority": 3}]
                self.assertEqual(
                    error_of(elb.set_rule_priorities, RulePriorities=collide), ("PriorityInUse", 400)
                )
                self.assertEqual(rule_priorities(elb, listener), swapped)

    def test_a_target_group_a_weighted_forward_uses_is_refused_on_both(self):
        # moto's own refusal, as AWS's (only the message's wording differs): a listener's or a
        # rule's ForwardConfig holds its target groups as a simple forward does.
        for server in ("configured", "plain"):
            with self.subTest(server=server):
                elb, vpc, lb, group_arn = load_balancer_and_group(server)
                weighted, by_rule = create_target_group(elb, vpc), create_target_group(elb, vpc)
                listener = elb.create_listener(
                    LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                    DefaultActions=[weighted_forward(group_arn, weighted)],
                )["Listeners"][0]["ListenerArn"]
                rule = elb.create_rule(
                    ListenerArn=listener, Priority=1, Actions=[weighted_forward(by_rule)],
                    Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                )["Rules"][0]["RuleArn"]
                in_use = ("ResourceInUse", 400)
                for group in (group_arn, weighted, by_rule):
                    self.assertEqual(error_of(elb.delete_target_group, TargetGroupArn=group), in_use)
                elb.delete_rule(RuleArn=rule)
                elb.delete_target_group(TargetGroupArn=by_rule)
                self.assertEqual(error_of(elb.delete_target_group, TargetGroupArn=weighted), in_use)
                elb.delete_listener(ListenerArn=listener)
                elb.delete_target_group(TargetGroupArn=weighted)
                elb.delete_target_group(TargetGroupArn=group_arn)

    def test_a_load_balancer_created_again_is_the_same_one_or_refused(self):
        for server in ("configured", "plain"):
            with self.subTest(server=server):
                network = Network(server)
                elb = client(server, "elbv2")
                asked = dict(Name=unique("lb-"), Subnets=network.subnets, SecurityGroups=[network.group])
                lb = elb.create_load_balancer(**asked)["LoadBalancers"][0]["LoadBalancerArn"]
                # The same settings (AWS's defaults spelled out, the subnets in another order).
                same = dict(
                    asked, Subnets=network.subnets[::-1], Scheme="internet-facing", Type="application"
                )
                again = elb.create_load_balancer(**same)["LoadBalancers"][0]["LoadBalancerArn"]
                internal = dict(asked, Scheme="internal")
                if server == "configured":
                    self.assertEqual(again, lb)
                    self.assertEqual(len(network.interfaces()), 2)  # none made for the repeat
                    self.assertEqual(
                        error_of(elb.create_load_balancer, **internal), ("DuplicateLoadBalancerName", 400)
                    )
                    self.assertEqual(len(load_balancers_named(elb, asked["Name"])), 1)
                else:
                    # moto: a load balancer more, under the same name, each time.
                    self.assertNotEqual(again, lb)
                    elb.create_load_balancer(**internal)
                    self.assertEqual(len(load_balancers_named(elb, asked["Name"])), 3)

    def test_a_target_group_created_again_is_the_same_one_or_refused(self):
        for server in ("configured", "plain"):
            with self.subTest(server=server):
                network = Network(server)
                elb = client(server, "elbv2")
                asked = dict(Name=unique("tg-"), Protocol="HTTP", Port=80, VpcId=network.vpc)
                group = elb.create_target_group(**asked)["TargetGroups"][0]["TargetGroupArn"]
                same = dict(asked, HealthCheckPath="/", TargetType="instance")  # AWS's defaults
                other_port = dict(asked, Port=8080)
                self.assertEqual(
                    error_of(elb.create_target_group, **other_port), ("DuplicateTargetGroupName", 400)
                )
                if server == "configured":
                    again = elb.create_target_group(**same)["TargetGroups"][0]["TargetGroupArn"]
                    self.assertEqual(again, group)
                else:
                    # moto refuses the name whatever the settings.
                    self.assertEqual(
                        error_of(elb.create_target_group, **same), ("DuplicateTargetGroupName", 400)
                    )
                names = [g["TargetGroupName"] for g in elb.describe_target_groups()["TargetGroups"]]
                self.assertEqual(names.count(asked["Name"]), 1)

    def test_off_moto_is_active_once_described_and_has_no_interfaces(self):
        network = Network("plain")
        elb = client("plain", "elbv2")
        lb = create_load_balancer(elb, network)
        self.assertEqual(lb["State"]["Code"], "provisioning")  # moto: in the create answer only
        self.assertEqual(load_balancer_state(elb, lb["LoadBalancerArn"]), "active")
        self.assertEqual(network.interfaces(), [])
        network.ec2.delete_subnet(SubnetId=network.subnets[0])


# ---------------------------------------------------------------------------------------------
# CloudFront
# ---------------------------------------------------------------------------------------------

def distribution_config(enabled=True):
    return {
        "CallerReference": unique("ref-"),
        "Comment": "",
        "Enabled": enabled,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "origin",
                    "DomainName": "example.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "origin",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }


def distribution_status(cloudfront, distribution_id):
    return cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"]


def update(cloudfront, distribution_id, if_match, **changes):
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    config.update(changes)
    return cloudfront.update_distribution(Id=distribution_id, DistributionConfig=config, IfMatch=if_match)


class CloudFrontTest(unittest.TestCase):
    def test_a_distribution_is_in_progress_after_create_and_update_then_deployed(self):
        cloudfront = client("configured", "cloudfront")
        hold(self, pending={"cloudfront": HELD})
        held = cloudfront.create_distribution(DistributionConfig=distribution_config())
        self.assertEqual(distribution_status(cloudfront, held["Distribution"]["Id"]), "InProgress")

        set_config("configured", CONFIGURED)
        created = cloudfront.create_distribution(DistributionConfig=distribution_config())
        distribution_id = created["Distribution"]["Id"]
        self.assertEqual(created["Distribution"]["Status"], "InProgress")
        seen = poll(lambda: distribution_status(cloudfront, distribution_id), lambda s: s == "Deployed")
        assert_progress(self, seen, ["InProgress", "Deployed"])

        # An update deploys again: held, it shows InProgress; with the configured delay, it ends.
        set_config("configured", {"pending": {"cloudfront": HELD}})
        updated = update(cloudfront, distribution_id, created["ETag"], Comment="changed")
        self.assertEqual(updated["Distribution"]["Status"], "InProgress")
        self.assertEqual(distribution_status(cloudfront, distribution_id), "InProgress")
        set_config("configured", CONFIGURED)
        updated = update(cloudfront, distribution_id, updated["ETag"], Comment="changed again")
        self.assertEqual(updated["Distribution"]["Status"], "InProgress")
        seen = poll(lambda: distribution_status(cloudfront, distribution_id), lambda s: s == "Deployed")
        assert_progress(self, seen, ["InProgress", "Deployed"])

    def test_deleting_needs_it_disabled_and_deployed(self):
        cloudfront = client("configured", "cloudfront")
        created = cloudfront.create_distribution(DistributionConfig=distribution_config())
        distribution_id = created["Distribution"]["Id"]
        poll(lambda: distribution_status(cloudfront, distribution_id), lambda s: s == "Deployed")
        self.assertEqual(
            error_of(cloudfront.delete_distribution, Id=distribution_id, IfMatch=created["ETag"]),
            ("DistributionNotDisabled", 409),
        )

        # Disabled but held InProgress: still refused.
        hold(self, pending={"cloudfront": HELD})
        etag = update(cloudfront, distribution_id, created["ETag"], Enabled=False)["ETag"]
        self.assertEqual(
            error_of(cloudfront.delete_distribution, Id=distribution_id, IfMatch=etag),
            ("DistributionNotDisabled", 409),
        )
        # Deployed again, with the configured delay: deleted.
        set_config("configured", CONFIGURED)
        etag = update(cloudfront, distribution_id, etag, Comment="disabled")["ETag"]
        poll(lambda: distribution_status(cloudfront, distribution_id), lambda s: s == "Deployed")
        cloudfront.delete_distribution(Id=distribution_id, IfMatch=etag)
        self.assertEqual(error_of(cloudfront.get_distribution, Id=distribution_id), ("NoSuchDistribution", 404))

    def test_a_wrong_stale_or_missing_etag_is_refused(self):
        cloudfront = client("configured", "cloudfront")
        created = cloudfront.create_distribution(DistributionConfig=distribution_config(enabled=False))
        distribution_id = created["Distribution"]["Id"]
        first = created["ETag"]
        config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
        self.assertEqual(
            error_of(cloudfront.update_distribution, Id=distribution_id, DistributionConfig=config),
            ("InvalidIfMatchVersion", 400),
        )
        self.assertEqual(
            error_of(cloudfront.update_distribution, Id=distribution_id, DistributionConfig=config, IfMatch="WRONG"),
            ("PreconditionFailed", 412),
        )
        second = update(cloudfront, distribution_id, first, Comment="changed")["ETag"]
        self.assertNotEqual(second, first)
        self.assertEqual(cloudfront.get_distribution(Id=distribution_id)["ETag"], second)
        self.assertEqual(
            error_of(cloudfront.update_distribution, Id=distribution_id, DistributionConfig=config, IfMatch=first),
            ("PreconditionFailed", 412),
        )

        poll(lambda: distribution_status(cloudfront, distribution_id), lambda s: s == "Deployed")
        self.assertEqual(error_of(cloudfront.delete_distribution, Id=distribution_id), ("InvalidIfMatchVersion", 400))
        self.assertEqual(
            error_of(cloudfront.delete_distribution, Id=distribution_id, IfMatch=first), ("PreconditionFailed", 412)
        )
        cloudfront.delete_distribution(Id=distribution_id, IfMatch=second)

    def test_off_moto_deploys_once_read_keeps_its_etag_and_deletes_anything(self):
        cloudfront = client("plain", "cloudfront")
        created = cloudfront.create_distribution(DistributionConfig=distribution_config())
        distribution_id = created["Distribution"]["Id"]
        self.assertEqual(created["Distribution"]["Status"], "InProgress")
        self.assertEqual(distribution_status(cloudfront, distribution_id), "Deployed")
        updated = update(cloudfront, distribution_id, "WRONG", Comment="changed")
        self.assertEqual(updated["Distribution"]["Status"], "Deployed")
        self.assertEqual(updated["ETag"], created["ETag"])
        # Only a missing If-Match is refused by moto itself.
        self.assertEqual(error_of(cloudfront.delete_distribution, Id=distribution_id), ("InvalidIfMatchVersion", 400))
        cloudfront.delete_distribution(Id=distribution_id, IfMatch="WRONG")  # still enabled


CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e4a5c-2b3d-4e6f-8a9b-1c2d3e4f5a6b"


def s3_origin(origin_id, identity="", control_id=None):
    """An S3 origin, reached through an origin access identity (`origin-access-identity/
    cloudfront/ID`) or an origin access control (then with an empty identity, as AWS wants)."""
    origin = {
        "Id": origin_id,
        "DomainName": f"{origin_id}.s3.us-east-1.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": identity},
    }
    if control_id is not None:
        origin["OriginAccessControlId"] = control_id
    return origin


def distribution_with(origin):
    """A disabled distribution with one origin."""
    config = distribution_config(enabled=False)
    config["Origins"] = {"Quantity": 1, "Items": [origin]}
    config["DefaultCacheBehavior"]["TargetOriginId"] = origin["Id"]
    return config


def full_distribution_config(control_id, identity_id):
    """Every field a strata distribution sets: three origins (one through an origin access
    control, one through an origin access identity, one custom), the default cache behaviour,
    aliases and an ACM certificate."""
    return {
        "CallerReference": unique("ref-"),
        "Comment": "the site",
        "Enabled": False,
        "Aliases": {"Quantity": 2, "Items": ["www.example.com", "example.com"]},
        "DefaultRootObject": "index.html",
        "PriceClass": "PriceClass_100",
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": False,
        "Origins": {
            "Quantity": 3,
            "Items": [
                s3_origin("site", control_id=control_id),
                s3_origin("legacy", identity=f"origin-access-identity/cloudfront/{identity_id}"),
                {
                    "Id": "api",
                    "DomainName": "api.example.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 8080,
                        "HTTPSPort": 8443,
                        "OriginProtocolPolicy": "match-viewer",
                        "OriginSslProtocols": {"Quantity": 2, "Items": ["TLSv1.1", "TLSv1.2"]},
                    },
                },
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            "Compress": True,
            "AllowedMethods": {
                "Quantity": 3,
                "Items": ["GET", "HEAD", "OPTIONS"],
                "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
            },
            "MinTTL": 1,
            "DefaultTTL": 60,
            "MaxTTL": 3600,
        },
        "ViewerCertificate": {
            "ACMCertificateArn": CERTIFICATE_ARN,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
            "CloudFrontDefaultCertificate": False,
        },
    }


def assert_holds(test, sent, got, where):
    """`got` holds every value of `sent`, lists in their order (AWS adds fields of its own, such
    as an origin's ConnectionAttempts)."""
    if isinstance(sent, dict):
        test.assertIsInstance(got, dict, where)
        for key, value in sent.items():
            test.assertIn(key, got, f"{where}: {key} missing")
            assert_holds(test, value, got[key], f"{where}.{key}")
    elif isinstance(sent, list):
        test.assertEqual(len(got), len(sent), where)
        for i, (s, g) in enumerate(zip(sent, got)):
            assert_holds(test, s, g, f"{where}[{i}]")
    else:
        test.assertEqual(got, sent, where)


class DistributionConfigTest(unittest.TestCase):
    """Always on: the plain emulator answers a distribution's configuration as AWS does."""

    def test_a_full_config_comes_back_as_given_from_every_read(self):
        cloudfront = client("plain", "cloudfront")
        control_id = create_control(cloudfront)["OriginAccessControl"]["Id"]
        identity_id = create_identity(cloudfront)["CloudFrontOriginAccessIdentity"]["Id"]
        sent = full_distribution_config(control_id, identity_id)
        created = cloudfront.create_distribution(DistributionConfig=sent)
        distribution_id = created["Distribution"]["Id"]

        def answers(written):
            got = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
            summary = next(
                d for d in cloudfront.list_distributions()["DistributionList"]["Items"] if d["Id"] == distribution_id
            )
            summary_fields = cloudfront.meta.service_model.shape_for("DistributionSummary").members
            return {
                "written": (sent, written),
                "GetDistribution": (sent, cloudfront.get_distribution(Id=distribution_id)["Distribution"]["DistributionConfig"]),
                "GetDistributionConfig": (sent, got),
                "ListDistributions": ({k: v for k, v in sent.items() if k in summary_fields}, summary),
            }

        for call, (expected, got) in answers(created["Distribution"]["DistributionConfig"]).items():
            with self.subTest(call):
                assert_holds(self, expected, got, call)
                # AWS names the certificate in the deprecated Certificate and CertificateSource,
                # and answers no certificate field it was not given.
                self.assertEqual(
                    got["ViewerCertificate"],
                    dict(sent["ViewerCertificate"], Certificate=CERTIFICATE_ARN, CertificateSource="acm"),
                )

        # An update answers the same way: the first origin moves to the identity, the API to
        # other ports, and the cache behaviour stops compressing.
        sent["Comment"] = "changed"
        sent["Origins"]["Items"][0] = s3_origin("site", identity=f"origin-access-identity/cloudfront/{identity_id}")
        sent["Origins"]["Items"][2]["CustomOriginConfig"].update(HTTPPort=80, HTTPSPort=443, OriginProtocolPolicy="https-only")
        sent["DefaultCacheBehavior"]["Compress"] = False
        updated = cloudfront.update_distribution(Id=distribution_id, DistributionConfig=sent, IfMatch=created["ETag"])
        for call, (expected, got) in answers(updated["Distribution"]["DistributionConfig"]).items():
            with self.subTest(f"after the update: {call}"):
                assert_holds(self, expected, got, call)
                self.assertNotIn("OriginAccessControlId", got["Origins"]["Items"][0])

    def test_what_is_not_given_comes_back_as_aws_answers_it(self):
        cloudfront = client("plain", "cloudfront")
        got = cloudfront.create_distribution(DistributionConfig=distribution_config())["Distribution"]["DistributionConfig"]
        self.assertEqual(
            got["ViewerCertificate"],
            {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1", "CertificateSource": "cloudfront"},
        )
        self.assertFalse(got["DefaultCacheBehavior"]["Compress"])
        self.assertNotIn("OriginAccessControlId", got["Origins"]["Items"][0])
        self.assertNotIn("S3OriginConfig", got["Origins"]["Items"][0])

    def test_tags_are_set_at_create_changed_and_go_with_the_distribution(self):
        cloudfront = client("plain", "cloudfront")
        created = cloudfront.create_distribution_with_tags(
            DistributionConfigWithTags={
                "DistributionConfig": distribution_config(enabled=False),
                "Tags": {"Items": [{"Key": "strata:name", "Value": "cdn"}, {"Key": "team", "Value": "web"}]},
            }
        )
        arn = created["Distribution"]["ARN"]

        def tags():
            items = cloudfront.list_tags_for_resource(Resource=arn)["Tags"].get("Items", [])
            return {t["Key"]: t["Value"] for t in items}

        self.assertEqual(tags(), {"strata:name": "cdn", "team": "web"})
        cloudfront.tag_resource(Resource=arn, Tags={"Items": [{"Key": "team", "Value": "edge"}, {"Key": "cost", "Value": "7"}]})
        self.assertEqual(tags(), {"strata:name": "cdn", "team": "edge", "cost": "7"})
        cloudfront.untag_resource(Resource=arn, TagKeys={"Items": ["cost", "team"]})
        self.assertEqual(tags(), {"strata:name": "cdn"})

        cloudfront.delete_distribution(Id=created["Distribution"]["Id"], IfMatch=created["ETag"])
        gone = ("NoSuchResource", 404)
        self.assertEqual(error_of(cloudfront.list_tags_for_resource, Resource=arn), gone)
        self.assertEqual(error_of(cloudfront.tag_resource, Resource=arn, Tags={"Items": [{"Key": "a", "Value": "b"}]}), gone)
        self.assertEqual(error_of(cloudfront.untag_resource, Resource=arn, TagKeys={"Items": ["a"]}), gone)


def create_identity(cloudfront, comment="", reference=None):
    return cloudfront.create_cloud_front_origin_access_identity(
        CloudFrontOriginAccessIdentityConfig={"CallerReference": reference or unique("oai-"), "Comment": comment}
    )


def identity_pages(cloudfront, max_items):
    pages, marker = [], ""
    while True:
        page = cloudfront.list_cloud_front_origin_access_identities(Marker=marker, MaxItems=str(max_items))
        pages.append(page["CloudFrontOriginAccessIdentityList"])
        if not pages[-1]["IsTruncated"]:
            return pages
        marker = pages[-1]["NextMarker"]


class OriginAccessIdentityTest(unittest.TestCase):
    def test_an_identity_is_created_read_updated_and_deleted_with_its_etag(self):
        cloudfront = client("configured", "cloudfront")
        reference = unique("oai-")
        created = create_identity(cloudfront, "site", reference)
        self.assertEqual(created["ResponseMetadata"]["HTTPStatusCode"], 201)
        identity = created["CloudFrontOriginAccessIdentity"]
        identity_id, first = identity["Id"], created["ETag"]
        self.assertRegex(identity_id, r"^E[A-Z0-9]{13}$")
        self.assertRegex(identity["S3CanonicalUserId"], r"^[0-9a-f]{64}$")
        self.assertEqual(identity["CloudFrontOriginAccessIdentityConfig"], {"CallerReference": reference, "Comment": "site"})
        self.assertEqual(
            created["Location"], f"https://cloudfront.amazonaws.com/2020-05-31/origin-access-identity/cloudfront/{identity_id}"
        )
        got = cloudfront.get_cloud_front_origin_access_identity(Id=identity_id)
        self.assertEqual((got["CloudFrontOriginAccessIdentity"], got["ETag"]), (identity, first))
        got = cloudfront.get_cloud_front_origin_access_identity_config(Id=identity_id)
        self.assertEqual((got["CloudFrontOriginAccessIdentityConfig"], got["ETag"]), (identity["CloudFrontOriginAccessIdentityConfig"], first))

        update_identity = cloudfront.update_cloud_front_origin_access_identity
        changed = {"CallerReference": reference, "Comment": "changed"}
        self.assertEqual(error_of(update_identity, Id=identity_id, CloudFrontOriginAccessIdentityConfig=changed), ("InvalidIfMatchVersion", 400))
        self.assertEqual(
            error_of(update_identity, Id=identity_id, CloudFrontOriginAccessIdentityConfig=changed, IfMatch="WRONG"),
            ("PreconditionFailed", 412),
        )
        updated = update_identity(Id=identity_id, CloudFrontOriginAccessIdentityConfig=changed, IfMatch=first)
        second = updated["ETag"]
        self.assertNotEqual(second, first)
        self.assertEqual(updated["CloudFrontOriginAccessIdentity"]["CloudFrontOriginAccessIdentityConfig"], changed)
        got = cloudfront.get_cloud_front_origin_access_identity(Id=identity_id)
        self.assertEqual((got["CloudFrontOriginAccessIdentity"]["CloudFrontOriginAccessIdentityConfig"], got["ETag"]), (changed, second))
        self.assertEqual(
            error_of(update_identity, Id=identity_id, CloudFrontOriginAccessIdentityConfig=changed, IfMatch=first),
            ("PreconditionFailed", 412),
        )

        delete_identity = cloudfront.delete_cloud_front_origin_access_identity
        self.assertEqual(error_of(delete_identity, Id=identity_id), ("InvalidIfMatchVersion", 400))
        self.assertEqual(error_of(delete_identity, Id=identity_id, IfMatch=first), ("PreconditionFailed", 412))
        delete_identity(Id=identity_id, IfMatch=second)
        gone = ("NoSuchCloudFrontOriginAccessIdentity", 404)
        self.assertEqual(error_of(cloudfront.get_cloud_front_origin_access_identity, Id=identity_id), gone)
        self.assertEqual(error_of(cloudfront.get_cloud_front_origin_access_identity_config, Id=identity_id), gone)
        self.assertEqual(error_of(update_identity, Id=identity_id, CloudFrontOriginAccessIdentityConfig=changed, IfMatch=second), gone)
        self.assertEqual(error_of(delete_identity, Id=identity_id, IfMatch=second), gone)

    def test_a_create_repeated_with_its_caller_reference_answers_the_same_identity(self):
        cloudfront = client("plain", "cloudfront")
        reference = unique("oai-")
        first = create_identity(cloudfront, "site", reference)
        again = create_identity(cloudfront, "site", reference)
        self.assertEqual(again["CloudFrontOriginAccessIdentity"], first["CloudFrontOriginAccessIdentity"])
        self.assertEqual(again["ETag"], first["ETag"])
        self.assertEqual(
            error_of(create_identity, cloudfront, "another comment", reference),
            ("CloudFrontOriginAccessIdentityAlreadyExists", 409),
        )
        # A new reference: a new identity.
        self.assertNotEqual(
            create_identity(cloudfront, "site")["CloudFrontOriginAccessIdentity"]["Id"],
            first["CloudFrontOriginAccessIdentity"]["Id"],
        )

    def test_a_bucket_policy_naming_a_new_identity_is_refused_for_a_moment(self):
        cloudfront, s3 = client("configured", "cloudfront"), client("configured", "s3")
        bucket = unique("principal-")
        s3.create_bucket(Bucket=bucket)
        identity_id = create_identity(cloudfront, "site")["CloudFrontOriginAccessIdentity"]["Id"]
        policy = json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity {identity_id}"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }],
        })
        hold(self, consistency=HELD)
        self.assertEqual(error_of(s3.put_bucket_policy, Bucket=bucket, Policy=policy), ("MalformedPolicy", 400))
        set_config("configured", {"consistency": 0})
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
        self.assertIn(identity_id, s3.get_bucket_policy(Bucket=bucket)["Policy"])

    def test_identities_are_listed_in_pages_of_summaries(self):
        cloudfront = client("plain", "cloudfront")
        made = {}
        for n in range(5):
            made[create_identity(cloudfront, f"site {n}")["CloudFrontOriginAccessIdentity"]["Id"]] = f"site {n}"
        pages = identity_pages(cloudfront, 2)
        for page in pages[:-1]:
            self.assertEqual((page["Quantity"], len(page["Items"]), page["MaxItems"]), (2, 2, 2))
            self.assertEqual(page["NextMarker"], page["Items"][-1]["Id"])
        self.assertFalse(pages[-1]["IsTruncated"])
        self.assertNotIn("NextMarker", pages[-1])
        summaries = [s for page in pages for s in page.get("Items", [])]
        listed = {s["Id"]: s for s in summaries}
        self.assertEqual(len(listed), len(summaries), "an identity listed twice")
        for identity_id, comment in made.items():
            self.assertEqual(set(listed[identity_id]), {"Id", "S3CanonicalUserId", "Comment"})
            self.assertEqual(listed[identity_id]["Comment"], comment)

    def test_an_identity_an_origin_names_is_not_deleted(self):
        cloudfront = client("configured", "cloudfront")
        created = create_identity(cloudfront)
        identity_id, etag = created["CloudFrontOriginAccessIdentity"]["Id"], created["ETag"]
        origin = s3_origin("site", identity=f"origin-access-identity/cloudfront/{identity_id}")
        distribution = cloudfront.create_distribution(DistributionConfig=distribution_with(origin))
        delete_identity = cloudfront.delete_cloud_front_origin_access_identity
        # A disabled distribution holds it too.
        self.assertEqual(error_of(delete_identity, Id=identity_id, IfMatch=etag), ("CloudFrontOriginAccessIdentityInUse", 409))
        update(cloudfront, distribution["Distribution"]["Id"], distribution["ETag"],
               Origins={"Quantity": 1, "Items": [s3_origin("site")]})
        delete_identity(Id=identity_id, IfMatch=etag)

    def test_off_any_etag_is_taken_and_an_identity_in_use_is_deleted(self):
        cloudfront = client("plain", "cloudfront")
        created = create_identity(cloudfront)
        identity_id, first = created["CloudFrontOriginAccessIdentity"]["Id"], created["ETag"]
        origin = s3_origin("site", identity=f"origin-access-identity/cloudfront/{identity_id}")
        cloudfront.create_distribution(DistributionConfig=distribution_with(origin))
        config = {"CallerReference": unique("oai-"), "Comment": "changed"}
        updated = cloudfront.update_cloud_front_origin_access_identity(
            Id=identity_id, CloudFrontOriginAccessIdentityConfig=config, IfMatch="WRONG"
        )
        self.assertNotEqual(updated["ETag"], first)  # a new ETag on each update, always
        delete_identity = cloudfront.delete_cloud_front_origin_access_identity
        self.assertEqual(error_of(delete_identity, Id=identity_id), ("InvalidIfMatchVersion", 400))
        delete_identity(Id=identity_id, IfMatch="WRONG")  # a wrong ETag, and in use
        self.assertEqual(
            error_of(cloudfront.get_cloud_front_origin_access_identity, Id=identity_id),
            ("NoSuchCloudFrontOriginAccessIdentity", 404),
        )


def create_control(cloudfront, name=None, **config):
    return cloudfront.create_origin_access_control(
        OriginAccessControlConfig=dict(
            {"Name": name or unique("oac-"), "SigningProtocol": "sigv4", "SigningBehavior": "always",
             "OriginAccessControlOriginType": "s3"},
            **config,
        )
    )


def listed_controls(cloudfront):
    return {c["Id"]: c for c in cloudfront.list_origin_access_controls()["OriginAccessControlList"].get("Items", [])}


class OriginAccessControlTest(unittest.TestCase):
    def test_a_name_is_taken_once(self):
        cloudfront = client("plain", "cloudfront")
        name = unique("oac-")
        create_control(cloudfront, name)
        self.assertEqual(error_of(create_control, cloudfront, name), ("OriginAccessControlAlreadyExists", 409))
        other = create_control(cloudfront)
        config = dict(other["OriginAccessControl"]["OriginAccessControlConfig"], Name=name)
        self.assertEqual(
            error_of(cloudfront.update_origin_access_control, Id=other["OriginAccessControl"]["Id"],
                     OriginAccessControlConfig=config, IfMatch=other["ETag"]),
            ("OriginAccessControlAlreadyExists", 409),
        )
        self.assertEqual([c["Name"] for c in listed_controls(cloudfront).values()].count(name), 1)

    def test_the_list_answers_every_field_of_a_summary(self):
        cloudfront = client("plain", "cloudfront")
        described = create_control(cloudfront, Description="the site bucket")["OriginAccessControl"]
        bare = create_control(cloudfront, SigningBehavior="no-override")["OriginAccessControl"]
        listed = listed_controls(cloudfront)
        self.assertEqual(listed[described["Id"]], dict(described["OriginAccessControlConfig"], Id=described["Id"]))
        self.assertEqual(
            listed[bare["Id"]],
            {"Id": bare["Id"], "Name": bare["OriginAccessControlConfig"]["Name"], "Description": "",
             "SigningProtocol": "sigv4", "SigningBehavior": "no-override", "OriginAccessControlOriginType": "s3"},
        )

    def test_etags_are_checked_and_renewed_and_a_control_in_use_is_not_deleted(self):
        cloudfront = client("configured", "cloudfront")
        created = create_control(cloudfront)
        control_id, first = created["OriginAccessControl"]["Id"], created["ETag"]
        self.assertEqual(created["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertEqual(created["Location"], f"https://cloudfront.amazonaws.com/2020-05-31/origin-access-control/{control_id}")
        self.assertEqual(cloudfront.get_origin_access_control(Id=control_id)["ETag"], first)
        config = dict(created["OriginAccessControl"]["OriginAccessControlConfig"], Description="changed")
        update_control = cloudfront.update_origin_access_control
        self.assertEqual(error_of(update_control, Id=control_id, OriginAccessControlConfig=config), ("InvalidIfMatchVersion", 400))
        self.assertEqual(error_of(update_control, Id=control_id, OriginAccessControlConfig=config, IfMatch="WRONG"), ("PreconditionFailed", 412))
        second = update_control(Id=control_id, OriginAccessControlConfig=config, IfMatch=first)["ETag"]
        self.assertNotEqual(second, first)
        got = cloudfront.get_origin_access_control_config(Id=control_id)
        self.assertEqual((got["OriginAccessControlConfig"], got["ETag"]), (config, second))
        self.assertEqual(error_of(update_control, Id=control_id, OriginAccessControlConfig=config, IfMatch=first), ("PreconditionFailed", 412))

        distribution = cloudfront.create_distribution(DistributionConfig=distribution_with(s3_origin("site", control_id=control_id)))
        delete_control = cloudfront.delete_origin_access_control
        self.assertEqual(error_of(delete_control, Id=control_id), ("InvalidIfMatchVersion", 400))
        self.assertEqual(error_of(delete_control, Id=control_id, IfMatch=first), ("PreconditionFailed", 412))
        # A disabled distribution holds it too.
        self.assertEqual(error_of(delete_control, Id=control_id, IfMatch=second), ("OriginAccessControlInUse", 409))
        update(cloudfront, distribution["Distribution"]["Id"], distribution["ETag"],
               Origins={"Quantity": 1, "Items": [s3_origin("site")]})
        delete_control(Id=control_id, IfMatch=second)
        gone = ("NoSuchOriginAccessControl", 404)
        self.assertEqual(error_of(cloudfront.get_origin_access_control, Id=control_id), gone)
        self.assertEqual(error_of(cloudfront.get_origin_access_control_config, Id=control_id), gone)
        self.assertEqual(error_of(update_control, Id=control_id, OriginAccessControlConfig=config, IfMatch=second), gone)
        self.assertEqual(error_of(delete_control, Id=control_id, IfMatch=second), gone)

    def test_off_moto_keeps_its_etag_takes_any_and_deletes_a_control_in_use(self):
        cloudfront = client("plain", "cloudfront")
        created = create_control(cloudfront)
        control_id, first = created["OriginAccessControl"]["Id"], created["ETag"]
        config = dict(created["OriginAccessControl"]["OriginAccessControlConfig"], Description="changed")
        updated = cloudfront.update_origin_access_control(Id=control_id, OriginAccessControlConfig=config, IfMatch="WRONG")
        self.assertEqual(updated["ETag"], first)
        cloudfront.create_distribution(DistributionConfig=distribution_with(s3_origin("site", control_id=control_id)))
        cloudfront.delete_origin_access_control(Id=control_id, IfMatch="WRONG")
        # An unknown id is AWS's NoSuchOriginAccessControl, always (moto: HTTP 500).
        self.assertEqual(
            error_of(cloudfront.delete_origin_access_control, Id=control_id, IfMatch=first),
            ("NoSuchOriginAccessControl", 404),
        )


# ---------------------------------------------------------------------------------------------
# ECS
# ---------------------------------------------------------------------------------------------

class Ecs:
    """An ECS cluster with a Fargate task definition (awsvpc) in a network."""

    def __init__(self, server, network):
        self.ecs = client(server, "ecs")
        self.network = network
        self.cluster = unique("cluster-")
        self.ecs.create_cluster(clusterName=self.cluster)
        self.family = unique("family-")
        self.ecs.register_task_definition(
            family=self.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": "nginx", "memory": 512}],
        )
        self.awsvpc = {"awsvpcConfiguration": {"subnets": network.subnets[:1], "securityGroups": [network.group]}}

    def create_service(self):
        name = unique("service-")
        self.ecs.create_service(
            cluster=self.cluster, serviceName=name, taskDefinition=self.family, desiredCount=1,
            launchType="FARGATE", networkConfiguration=self.awsvpc,
        )
        return name

    def run_task(self):
        return self.ecs.run_task(
            cluster=self.cluster, taskDefinition=self.family, launchType="FARGATE",
            networkConfiguration=self.awsvpc,
        )["tasks"][0]

    def cluster_status(self):
        return self.ecs.describe_clusters(clusters=[self.cluster])["clusters"][0]["status"]

    def service(self, name):
        return self.ecs.describe_services(cluster=self.cluster, services=[name])["services"][0]


class EcsTest(unittest.TestCase):
    def test_a_cluster_with_services_or_tasks_is_refused(self):
        ecs = Ecs("configured", Network("configured"))
        service = ecs.create_service()
        task = ecs.run_task()
        delete = ecs.ecs.delete_cluster
        self.assertEqual(error_of(delete, cluster=ecs.cluster), ("ClusterContainsServicesException", 400))
        ecs.ecs.delete_service(cluster=ecs.cluster, service=service, force=True)
        # A DRAINING service still counts; an INACTIVE one no longer does.
        poll(lambda: ecs.service(service)["status"], lambda status: status == "INACTIVE")
        self.assertEqual(error_of(delete, cluster=ecs.cluster), ("ClusterContainsTasksException", 400))
        ecs.ecs.stop_task(cluster=ecs.cluster, task=task["taskArn"])
        delete(cluster=ecs.cluster)
        self.assertEqual(ecs.cluster_status(), "INACTIVE")

    def test_a_stopped_tasks_interface_lingers(self):
        network = Network("configured")
        ecs = Ecs("configured", network)
        task = ecs.run_task()
        attachment = task["attachments"][0]
        [eni] = network.interfaces()
        self.assertEqual(eni["RequesterId"], "amazon-ecs")
        self.assertTrue(eni["RequesterManaged"])
        self.assertEqual(eni["Status"], "in-use")
        self.assertTrue(eni["Description"].endswith(":attachment/" + attachment["id"]))
        subnet = network.subnets[0]
        self.assertEqual(error_of(network.ec2.delete_subnet, SubnetId=subnet), ("DependencyViolation", 400))

        # Held after the task stops: the interface still holds the subnet.
        hold(self, linger=HELD)
        ecs.ecs.stop_task(cluster=ecs.cluster, task=task["taskArn"])
        self.assertEqual([e["Status"] for e in network.interfaces()], ["available"])
        self.assertEqual(error_of(network.ec2.delete_subnet, SubnetId=subnet), ("DependencyViolation", 400))

        # With the configured linger, another stopped task's interface goes and frees its subnet.
        set_config("configured", CONFIGURED)
        network = Network("configured")
        ecs = Ecs("configured", network)
        task = ecs.run_task()
        self.assertEqual(len(network.interfaces()), 1)
        ecs.ecs.stop_task(cluster=ecs.cluster, task=task["taskArn"])
        poll(network.interfaces, lambda enis: not enis)
        network.ec2.delete_subnet(SubnetId=network.subnets[0])

    def test_off_moto_deletes_a_busy_cluster_and_keeps_a_stopped_tasks_interface(self):
        network = Network("plain")
        ecs = Ecs("plain", network)
        ecs.create_service()
        task = ecs.run_task()
        ecs.ecs.delete_cluster(cluster=ecs.cluster)
        self.assertEqual(ecs.cluster_status(), "INACTIVE")
        ecs.ecs.stop_task(cluster=ecs.cluster, task=task["taskArn"])
        time.sleep(LINGER + 0.5)
        [eni] = network.interfaces()
        self.assertEqual((eni["Status"], eni["RequesterManaged"]), ("in-use", False))


# ECS services, task definitions and clusters as the ECS kinds (issue 17) use them.

def rollout(service):
    """A service's deployments as (status, rolloutState, runningCount), the PRIMARY first."""
    return [(d["status"], d["rolloutState"], d["runningCount"]) for d in service["deployments"]]


class FargateService:
    """A Fargate service of two tasks in both subnets of a network, made through `Ecs`."""

    def __init__(self, ecs, desired=2, **extra):
        self.ecs = ecs
        self.name = unique("service-")
        self.arguments = dict(
            cluster=ecs.cluster, serviceName=self.name, taskDefinition=ecs.family, desiredCount=desired,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": ecs.network.subnets, "securityGroups": [ecs.network.group]}
            },
            deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100},
            healthCheckGracePeriodSeconds=30,
            **extra,
        )
        self.created = ecs.ecs.create_service(**self.arguments)["service"]

    def read(self):
        return self.ecs.service(self.name)

    def interfaces(self):
        return [e for e in self.ecs.network.interfaces() if e.get("RequesterId") == "amazon-ecs"]


def execution_role(server):
    iam = client(server, "iam")
    name = unique("exec-")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def fargate_definition(family, role=None):
    definition = dict(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx", "memory": 512}],
    )
    if role:
        definition["executionRoleArn"] = role
    return definition


class EcsServiceTest(unittest.TestCase):
    def test_a_deployment_is_in_progress_then_completed_with_its_tasks_running(self):
        ecs = Ecs("configured", Network("configured"))
        # Held: the PRIMARY deployment is IN_PROGRESS, no task running yet.
        hold(self, pending={"ecs_deployment": HELD})
        held = FargateService(ecs)
        self.assertEqual(rollout(held.created), [("PRIMARY", "IN_PROGRESS", 0)])
        self.assertEqual((held.created["runningCount"], held.created["pendingCount"]), (0, 2))
        self.assertEqual(rollout(held.read()), [("PRIMARY", "IN_PROGRESS", 0)])

        # With the configured delay: COMPLETED, both tasks running, a steady state reached.
        set_config("configured", CONFIGURED)
        service = FargateService(ecs)
        seen = poll(lambda: service.read()["deployments"][0]["rolloutState"], lambda s: s == "COMPLETED")
        assert_progress(self, seen, ["IN_PROGRESS", "COMPLETED"])
        read = service.read()
        self.assertEqual(rollout(read), [("PRIMARY", "COMPLETED", 2)])
        self.assertEqual((read["runningCount"], read["pendingCount"], read["desiredCount"]), (2, 0, 2))
        self.assertIn("has reached a steady state", read["events"][0]["message"])

    def test_an_update_deploys_a_new_primary_and_a_count_change_is_reached(self):
        ecs = Ecs("configured", Network("configured"))
        service = FargateService(ecs)
        poll(lambda: rollout(service.read()), lambda r: r == [("PRIMARY", "COMPLETED", 2)])
        poll(service.interfaces, lambda enis: len(enis) == 2)
        first_tasks = {e["NetworkInterfaceId"] for e in service.interfaces()}
        second = ecs.ecs.register_task_definition(**fargate_definition(ecs.family))["taskDefinition"]
        hold(self, pending={"ecs_deployment": HELD}, linger=HELD)
        updated = ecs.ecs.update_service(cluster=ecs.cluster, service=service.name, taskDefinition=f"{ecs.family}:2")
        # The revision's ARN, not the text given; the old deployment ACTIVE beside the new one.
        self.assertEqual(updated["service"]["taskDefinition"], second["taskDefinitionArn"])
        read = service.read()
        self.assertEqual(rollout(read), [("PRIMARY", "IN_PROGRESS", 0), ("ACTIVE", "COMPLETED", 2)])
        self.assertEqual(read["deployments"][0]["taskDefinition"], second["taskDefinitionArn"])
        settle("configured")
        self.assertEqual(rollout(service.read()), [("PRIMARY", "COMPLETED", 2)])
        # The new tasks have interfaces of their own; the old tasks' linger.
        states = {e["NetworkInterfaceId"]: e["Status"] for e in service.interfaces()}
        self.assertEqual({i: states[i] for i in first_tasks}, {i: "available" for i in first_tasks})
        self.assertEqual(sorted(s for i, s in states.items() if i not in first_tasks), ["in-use", "in-use"])

        # A count change alone: no new deployment; the count is reached once it settles.
        ecs.ecs.update_service(cluster=ecs.cluster, service=service.name, desiredCount=3)
        read = service.read()
        self.assertEqual((read["desiredCount"], read["runningCount"], len(read["deployments"])), (3, 2, 1))
        settle("configured")
        read = service.read()
        self.assertEqual((read["desiredCount"], read["runningCount"]), (3, 3))
        self.assertEqual(len([e for e in service.interfaces() if e["Status"] == "in-use"]), 3)

    def test_a_network_change_deploys_and_moves_the_tasks_interfaces(self):
        network = Network("configured")
        ecs = Ecs("configured", network)
        service = FargateService(ecs, desired=1)
        poll(service.interfaces, lambda enis: len(enis) == 1)
        group = network.ec2.create_security_group(GroupName=unique("g"), Description="test", VpcId=network.vpc)["GroupId"]
        hold(self, pending={"ecs_deployment": HELD})
        ecs.ecs.update_service(
            cluster=ecs.cluster, service=service.name,
            networkConfiguration={"awsvpcConfiguration": {"subnets": network.subnets[1:], "securityGroups": [group]}},
        )
        self.assertEqual([d["status"] for d in service.read()["deployments"]], ["PRIMARY", "ACTIVE"])
        settle("configured")
        [eni] = [e for e in service.interfaces() if e["Status"] == "in-use"]
        self.assertEqual((eni["SubnetId"], [g["GroupId"] for g in eni["Groups"]]), (network.subnets[1], [group]))

    def test_a_deleted_service_drains_then_is_inactive_and_its_interfaces_linger(self):
        network = Network("configured")
        ecs = Ecs("configured", network)
        hold(self, pending={"ecs_service_delete": HELD}, linger=HELD)
        service = FargateService(ecs)
        poll(lambda: rollout(service.read()), lambda r: r == [("PRIMARY", "COMPLETED", 2)])
        # One requester-managed interface per running task, in the service's subnets and group.
        enis = service.interfaces()
        self.assertEqual(sorted(e["SubnetId"] for e in enis), sorted(network.subnets))
        for eni in enis:
            self.assertEqual((eni["Status"], eni["RequesterManaged"]), ("in-use", True))
            self.assertEqual([g["GroupId"] for g in eni["Groups"]], [network.group])
            self.assertRegex(eni["Description"], r"^arn:aws:ecs:us-east-1:\d+:attachment/")
        delete = ecs.ecs.delete_service
        # moto's own refusal, AWS's code and message.
        self.assertEqual(error_of(delete, cluster=ecs.cluster, service=service.name), ("InvalidParameterException", 400))

        answer = delete(cluster=ecs.cluster, service=service.name, force=True)["service"]
        self.assertEqual(answer["status"], "DRAINING")
        self.assertEqual(service.read()["status"], "DRAINING")
        self.assertEqual(error_of(ecs.ecs.delete_cluster, cluster=ecs.cluster), ("ClusterContainsServicesException", 400))
        self.assertEqual(
            error_of(ecs.ecs.update_service, cluster=ecs.cluster, service=service.name, desiredCount=1),
            ("ServiceNotActiveException", 400),
        )
        self.assertEqual(
            error_and_message(ecs.ecs.create_service, **service.arguments),
            ("InvalidParameterException", 400, "Unable to Start a service that is still Draining."),
        )
        self.assertEqual(error_of(network.ec2.delete_subnet, SubnetId=network.subnets[0]), ("DependencyViolation", 400))
        settle("configured")
        self.assertEqual(service.read()["status"], "INACTIVE")
        self.assertEqual([e["Status"] for e in service.interfaces()], ["available", "available"])
        self.assertEqual(error_of(network.ec2.delete_subnet, SubnetId=network.subnets[0]), ("DependencyViolation", 400))

        # With the configured delays: DRAINING, then INACTIVE; the interfaces go after it.
        set_config("configured", CONFIGURED)
        network = Network("configured")
        ecs = Ecs("configured", network)
        service = FargateService(ecs)
        poll(service.interfaces, lambda enis: len(enis) == 2)
        delete(cluster=ecs.cluster, service=service.name, force=True)
        seen = poll(lambda: service.read()["status"], lambda s: s == "INACTIVE")
        assert_progress(self, seen, ["DRAINING", "INACTIVE"])
        poll(service.interfaces, lambda enis: not enis)
        for subnet in network.subnets:
            network.ec2.delete_subnet(SubnetId=subnet)
        ecs.ecs.delete_cluster(cluster=ecs.cluster)

    def test_a_create_under_a_name_in_use_answers_that_service_or_is_refused(self):
        ecs = Ecs("configured", Network("configured"))
        service = FargateService(ecs, clientToken=unique("token-"))
        again = ecs.ecs.create_service(**service.arguments)["service"]
        self.assertEqual(again["deployments"][0]["id"], service.created["deployments"][0]["id"])
        self.assertEqual(
            error_and_message(ecs.ecs.create_service, **dict(service.arguments, desiredCount=3)),
            ("InvalidParameterException", 400, "Creation of service was not idempotent."),
        )
        self.assertEqual(service.read()["desiredCount"], 2)
        # Once INACTIVE, the name is free.
        ecs.ecs.delete_service(cluster=ecs.cluster, service=service.name, force=True)
        poll(lambda: service.read()["status"], lambda s: s == "INACTIVE")
        created = ecs.ecs.create_service(**dict(service.arguments, desiredCount=3))["service"]
        self.assertEqual((created["status"], created["desiredCount"]), ("ACTIVE", 3))

    def test_a_service_in_an_inactive_cluster_is_refused(self):
        ecs = Ecs("configured", Network("configured"))
        ecs.ecs.delete_cluster(cluster=ecs.cluster)
        self.assertEqual(
            error_and_message(FargateService, ecs),
            ("ClusterNotFoundException", 400, "The referenced cluster was inactive."),
        )

    def test_a_target_group_needs_a_listener_and_the_ip_type(self):
        for server in ("configured", "plain"):
            network = Network(server)
            ecs = Ecs(server, network)
            elb = client(server, "elbv2")

            def group(kind):
                return elb.create_target_group(
                    Name=unique("tg-"), Protocol="HTTP", Port=80, VpcId=network.vpc, TargetType=kind
                )["TargetGroups"][0]["TargetGroupArn"]

            def balanced(arn):
                return {"loadBalancers": [{"targetGroupArn": arn, "containerName": "app", "containerPort": 80}]}

            ip, instance = group("ip"), group("instance")
            refused = error_and_message(FargateService, ecs, **balanced(ip)) if server == "configured" else None
            self.assertEqual(
                refused,
                None if server == "plain" else (
                    "InvalidParameterException", 400,
                    f"The target group with targetGroupArn {ip} does not have an associated load balancer.",
                ),
            )
            balancer = elb.create_load_balancer(
                Name=unique("lb-"), Subnets=network.subnets, SecurityGroups=[network.group]
            )["LoadBalancers"][0]["LoadBalancerArn"]
            for port, arn in ((80, ip), (81, instance)):
                elb.create_listener(
                    LoadBalancerArn=balancer, Protocol="HTTP", Port=port,
                    DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
                )
            FargateService(ecs, **balanced(ip))
            if server == "configured":
                code, status, message = error_and_message(FargateService, ecs, **balanced(instance))
                self.assertEqual((code, status), ("InvalidParameterException", 400))
                self.assertIn("has target type instance, which is incompatible with the awsvpc", message)
            else:
                FargateService(ecs, **balanced(instance))

    def test_a_new_role_is_unknown_to_ecs_for_a_moment(self):
        ecs = Ecs("configured", Network("configured"))
        hold(self, iam_propagation=HELD)
        role = execution_role("configured")
        code, status, message = error_and_message(
            ecs.ecs.register_task_definition, **fargate_definition(unique("family-"), role)
        )
        self.assertEqual((code, status), ("AccessDeniedException", 400))
        self.assertIn(f"is not authorized to perform: iam:PassRole on resource: {role}", message)
        code, status, message = error_and_message(FargateService, ecs, role=role)
        self.assertEqual((code, status), ("InvalidParameterException", 400))
        self.assertIn("Please verify that the ECS service role being passed has the proper permissions.", message)

        # With the configured window, the role is known a moment later.
        set_config("configured", CONFIGURED)
        role = execution_role("configured")
        definition = fargate_definition(unique("family-"), role)
        seen = poll(lambda: error_of(ecs.ecs.register_task_definition, **definition), lambda e: e is None)
        self.assertTrue(set(seen) <= {("AccessDeniedException", 400), None}, seen)

    def test_off_moto_never_deploys_replaces_a_service_and_deletes_at_once(self):
        network = Network("plain")
        ecs = Ecs("plain", network)
        service = FargateService(ecs)
        # The test bed completes deployments always (moto ran none, measured: IN_PROGRESS and
        # runningCount 0 for ever); without ecs_deployment it is at once.
        self.assertEqual(rollout(service.read()), [("PRIMARY", "COMPLETED", 2)])
        self.assertEqual(service.interfaces(), [])  # no interfaces without linger or refusals
        replaced = ecs.ecs.create_service(**dict(service.arguments, desiredCount=3))["service"]
        self.assertEqual(replaced["desiredCount"], 3)
        self.assertNotEqual(replaced["deployments"][0]["id"], service.created["deployments"][0]["id"])
        deleted = ecs.ecs.delete_service(cluster=ecs.cluster, service=service.name, force=True)["service"]
        self.assertEqual(deleted["status"], "INACTIVE")
        ecs.ecs.update_service(cluster=ecs.cluster, service=service.name, desiredCount=1)  # moto: accepted
        ecs.ecs.delete_cluster(cluster=ecs.cluster)
        FargateService(ecs)  # in an INACTIVE cluster: accepted
        role = execution_role("plain")
        ecs.ecs.register_task_definition(**fargate_definition(unique("family-"), role))


class EcsAnswersTest(unittest.TestCase):
    """fixes.py 17: what moto answered unlike AWS, mended always."""

    def test_a_family_names_its_latest_active_revision(self):
        ecs = client("plain", "ecs")
        family = unique("family-")
        for _ in range(3):
            ecs.register_task_definition(**fargate_definition(family))
        ecs.deregister_task_definition(taskDefinition=f"{family}:3")
        self.assertEqual(ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["revision"], 2)

    def test_a_cluster_created_again_keeps_its_tags_and_a_service_its_settings(self):
        ecs = Ecs("plain", Network("plain"))
        ecs.ecs.tag_resource(
            resourceArn=f"arn:aws:ecs:us-east-1:123456789012:cluster/{ecs.cluster}",
            tags=[{"key": "strata:stack", "value": "s"}],
        )
        again = ecs.ecs.create_cluster(clusterName=ecs.cluster)["cluster"]
        self.assertEqual(again["tags"], [{"key": "strata:stack", "value": "s"}])
        service = FargateService(ecs).read()
        self.assertEqual(service["deploymentConfiguration"], {"maximumPercent": 200, "minimumHealthyPercent": 100})
        self.assertEqual(service["healthCheckGracePeriodSeconds"], 30)
        self.assertEqual(service["platformFamily"], "FARGATE")
        self.assertIn("createdAt", service)

    def test_a_task_runs_in_a_vpc_without_dns_host_names(self):
        ec2 = client("plain", "ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName=unique("g"), Description="test", VpcId=vpc)["GroupId"]
        ecs = client("plain", "ecs")
        cluster, family = unique("cluster-"), unique("family-")
        ecs.create_cluster(clusterName=cluster)
        ecs.register_task_definition(**fargate_definition(family))
        [task] = ecs.run_task(  # moto: HTTP 500
            cluster=cluster, taskDefinition=family, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
        )["tasks"]
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        self.assertEqual(details["privateDnsName"], "ip-" + details["privateIPv4Address"].replace(".", "-") + ".ec2.internal")

    def test_a_service_without_security_groups_takes_the_vpc_default_group(self):
        network = Network("configured")
        ecs = Ecs("configured", network)
        service = FargateService(ecs, desired=1)
        service.arguments["networkConfiguration"] = {"awsvpcConfiguration": {"subnets": network.subnets[:1]}}
        service.arguments["serviceName"] = service.name = unique("service-")
        created = ecs.ecs.create_service(**service.arguments)["service"]  # moto: HTTP 500
        self.assertEqual(created["networkConfiguration"], service.arguments["networkConfiguration"])
        default = network.ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [network.vpc]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"][0]["GroupId"]
        enis = poll(
            lambda: [e for e in service.interfaces() if e["SubnetId"] == network.subnets[0]],
            lambda enis: len(enis) == 2,
        )[-1]
        self.assertEqual(sorted(g["GroupId"] for e in enis for g in e["Groups"]), sorted([network.group, default]))


class LogsTest(unittest.TestCase):
    def test_a_retention_that_is_not_one_of_aws_values_is_refused(self):
        for server, refused in (("configured", True), ("plain", False)):
            logs = client(server, "logs")
            name = unique("/strata/")
            logs.create_log_group(logGroupName=name)
            error = error_of(logs.put_retention_policy, logGroupName=name, retentionInDays=2)
            self.assertEqual(error, ("InvalidParameterException", 400) if refused else None, server)
            logs.put_retention_policy(logGroupName=name, retentionInDays=3)
            [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
            self.assertEqual(group["retentionInDays"], 3)

    def test_a_key_that_does_not_exist_is_refused(self):
        for server in ("configured", "plain"):
            logs, kms = client(server, "logs"), client(server, "kms")
            key = kms.create_key()["KeyMetadata"]["Arn"]
            missing = key.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
            name = unique("/strata/")
            error = error_of(logs.create_log_group, logGroupName=name, kmsKeyId=missing)
            self.assertEqual(error, ("AccessDeniedException", 400) if server == "configured" else None, server)
            logs.create_log_group(logGroupName=unique("/strata/"), kmsKeyId=key)

    def test_the_tagging_api_types_log_groups_log_group(self):
        logs = client("plain", "logs")
        name = unique("/strata/")
        logs.create_log_group(logGroupName=name, tags={"strata:stack": name})
        tagging = client("plain", "resourcegroupstaggingapi")
        found = tagging.get_resources(
            ResourceTypeFilters=["logs:log-group"], TagFilters=[{"Key": "strata:stack", "Values": [name]}]
        )["ResourceTagMappingList"]
        self.assertEqual([r["ResourceARN"] for r in found], [f"arn:aws:logs:us-east-1:123456789012:log-group:{name}"])


class IamRoleTest(unittest.TestCase):
    def test_aws_managed_policies_attach_and_hold_the_role(self):
        iam = client("plain", "iam")
        role = execution_role("plain").split("/")[-1]
        policy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        iam.attach_role_policy(RoleName=role, PolicyArn=policy)
        self.assertEqual(
            error_and_message(iam.delete_role, RoleName=role),
            ("DeleteConflict", 409, "Cannot delete entity, must detach all policies first."),
        )
        iam.detach_role_policy(RoleName=role, PolicyArn=policy)
        iam.delete_role(RoleName=role)
        self.assertFalse([i for i in inventory("plain") if "AWSManagedPolicy" in i])


class AutoscalingTest(unittest.TestCase):
    """fixes.py 18, always on."""

    def test_targets_keep_tags_policies_need_a_target_and_go_with_it(self):
        ecs = Ecs("plain", Network("plain"))
        service = FargateService(ecs)
        scaling = client("plain", "application-autoscaling")
        target = dict(
            ServiceNamespace="ecs", ResourceId=f"service/{ecs.cluster}/{service.name}",
            ScalableDimension="ecs:service:DesiredCount",
        )
        arn = scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4, Tags={"a": "1"})[
            "ScalableTargetARN"
        ]
        scaling.tag_resource(ResourceARN=arn, Tags={"b": "2"})
        scaling.untag_resource(ResourceARN=arn, TagKeys=["a"])
        self.assertEqual(scaling.list_tags_for_resource(ResourceARN=arn)["Tags"], {"b": "2"})
        self.assertEqual(
            error_of(scaling.list_tags_for_resource, ResourceARN=arn + "x"), ("ResourceNotFoundException", 400)
        )

        def policy(value, **where):
            return scaling.put_scaling_policy(
                PolicyName="cpu", PolicyType="TargetTrackingScaling", **dict(target, **where),
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": value,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                },
            )["PolicyARN"]

        self.assertEqual(
            error_of(policy, 50.0, ResourceId=f"service/{ecs.cluster}/none"), ("ObjectNotFoundException", 400)
        )
        first = policy(50.0)
        self.assertEqual(policy(60.0), first)
        [described] = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=target["ResourceId"])[
            "ScalingPolicies"
        ]
        self.assertEqual(described["TargetTrackingScalingPolicyConfiguration"]["TargetValue"], 60.0)
        scaling.deregister_scalable_target(**target)
        self.assertEqual(
            scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=target["ResourceId"])["ScalingPolicies"],
            [],
        )


# ---------------------------------------------------------------------------------------------
# IAM server certificates
# ---------------------------------------------------------------------------------------------

def self_signed(days=30):
    """A self-signed certificate and its private key, in PEM, made now (no key is kept in this
    file): (body, key, certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "strata.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days)).sign(key, hashes.SHA256())
    )
    body = certificate.public_bytes(serialization.Encoding.PEM).decode()
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return body, pem_key, certificate


def upload_certificate(iam, name=None, **kwargs):
    """Uploads a new self-signed certificate: its UploadServerCertificate answer."""
    body, key, _ = self_signed()
    return iam.upload_server_certificate(
        ServerCertificateName=name or unique("cert-"), CertificateBody=body, PrivateKey=key, **kwargs
    )


def certificate_tags(iam, name):
    answer = iam.list_server_certificate_tags(ServerCertificateName=name)
    assert answer["IsTruncated"] is False, answer
    return answer["Tags"]


def https_listener(elb, lb, group, certificate_arn):
    return elb.create_listener(
        LoadBalancerArn=lb, Protocol="HTTPS", Port=443,
        Certificates=[{"CertificateArn": certificate_arn}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )["Listeners"][0]["ListenerArn"]


def certificate_gone(iam, name):
    return error_of(iam.get_server_certificate, ServerCertificateName=name) == ("NoSuchEntity", 404)


def not_found(name):
    return f"The Server Certificate with name {name} cannot be found."


def error_and_message(call, *args, **kwargs):
    """The error code, HTTP status and message a call answers (it must fail)."""
    try:
        call(*args, **kwargs)
    except ClientError as e:
        error = e.response["Error"]
        return error["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]
    raise AssertionError(f"{call.__name__} succeeded")


class ServerCertificateTest(unittest.TestCase):
    def test_tags_are_set_at_upload_added_replaced_and_removed(self):
        for server in ("configured", "plain"):  # always on: moto has no tags for certificates
            with self.subTest(server=server):
                iam = client(server, "iam")
                name = unique("cert-")
                answer = upload_certificate(
                    iam, name, Tags=[{"Key": "b", "Value": "1"}, {"Key": "a", "Value": "2"}]
                )
                sorted_tags = [{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "1"}]
                self.assertEqual(answer["Tags"], sorted_tags)
                self.assertEqual(certificate_tags(iam, name), sorted_tags)
                got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
                self.assertEqual(got["Tags"], sorted_tags)

                more = [{"Key": "a", "Value": "3"}, {"Key": "c", "Value": "4"}]
                iam.tag_server_certificate(ServerCertificateName=name, Tags=more)
                self.assertEqual(
                    certificate_tags(iam, name),
                    [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "1"}, {"Key": "c", "Value": "4"}],
                )
                iam.untag_server_certificate(ServerCertificateName=name, TagKeys=["b", "missing"])
                self.assertEqual(
                    certificate_tags(iam, name), [{"Key": "a", "Value": "3"}, {"Key": "c", "Value": "4"}]
                )
                untagged = unique("cert-")
                self.assertEqual(upload_certificate(iam, untagged)["Tags"], [])
                self.assertEqual(certificate_tags(iam, untagged), [])

                missing = unique("cert-")
                for call, kwargs in (
                    (iam.tag_server_certificate, {"Tags": [{"Key": "a", "Value": "1"}]}),
                    (iam.untag_server_certificate, {"TagKeys": ["a"]}),
                    (iam.list_server_certificate_tags, {}),
                    (iam.get_server_certificate, {}),
                    (iam.delete_server_certificate, {}),
                ):
                    self.assertEqual(
                        error_and_message(call, ServerCertificateName=missing, **kwargs),
                        ("NoSuchEntity", 404, not_found(missing)),
                    )

    def test_a_name_in_use_is_refused_and_the_first_certificate_kept(self):
        for server in ("configured", "plain"):  # always on: moto made a second certificate
            with self.subTest(server=server):
                iam = client(server, "iam")
                name = unique("cert-")
                first = upload_certificate(iam, name)["ServerCertificateMetadata"]
                exists = f"The Server Certificate with name {name} already exists."
                self.assertEqual(
                    error_and_message(upload_certificate, iam, name, Path="/other/"),
                    ("EntityAlreadyExists", 409, exists),
                )
                listed = iam.list_server_certificates()["ServerCertificateMetadataList"]
                self.assertEqual([c for c in listed if c["ServerCertificateName"] == name], [first])

                # Once deleted, the name is free again.
                iam.delete_server_certificate(ServerCertificateName=name)
                again = upload_certificate(iam, name)["ServerCertificateMetadata"]
                self.assertNotEqual(again["ServerCertificateId"], first["ServerCertificateId"])

    def test_each_certificate_has_its_own_id_upload_date_and_expiry(self):
        for server in ("configured", "plain"):
            with self.subTest(server=server):
                iam = client(server, "iam")
                body, key, certificate = self_signed(days=45)
                name = unique("cert-")
                uploaded = iam.upload_server_certificate(
                    ServerCertificateName=name, CertificateBody=body, PrivateKey=key, Path="/edge/"
                )["ServerCertificateMetadata"]
                other = upload_certificate(iam)["ServerCertificateMetadata"]

                self.assertRegex(uploaded["ServerCertificateId"], r"^ASCA[A-Z0-9]{17}$")
                self.assertRegex(other["ServerCertificateId"], r"^ASCA[A-Z0-9]{17}$")
                self.assertNotEqual(uploaded["ServerCertificateId"], other["ServerCertificateId"])
                arn = f"arn:aws:iam::123456789012:server-certificate/edge/{name}"
                self.assertEqual(uploaded["Arn"], arn)
                self.assertEqual(uploaded["Path"], "/edge/")
                self.assertEqual(uploaded["Expiration"], certificate.not_valid_after_utc)
                # Uploaded after the certificate was made (a second's precision on both sides).
                self.assertGreaterEqual(
                    uploaded["UploadDate"].replace(microsecond=0), certificate.not_valid_before_utc
                )

                got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
                self.assertEqual(got["ServerCertificateMetadata"], uploaded)
                self.assertEqual(got["CertificateBody"], body.rstrip())
                listed = iam.list_server_certificates(PathPrefix="/edge/")
                listed = listed["ServerCertificateMetadataList"]
                self.assertIn(uploaded, listed)
                self.assertNotIn(other, listed)

    def test_a_certificate_a_listener_uses_is_not_deleted_in_any_region(self):
        iam = client("configured", "iam")
        default = upload_certificate(iam)["ServerCertificateMetadata"]
        extra = upload_certificate(iam)["ServerCertificateMetadata"]

        # `default` is a listener's default certificate here; `extra` is another listener's
        # added certificate, in another region.
        elb, _, lb, group = load_balancer_and_group("configured")
        listener = https_listener(elb, lb, group, default["Arn"])
        west_elb, _, west_lb, west_group = load_balancer_and_group("configured", "eu-west-1")
        west_default = upload_certificate(iam)["ServerCertificateMetadata"]["Arn"]
        west_listener = https_listener(west_elb, west_lb, west_group, west_default)
        added = [{"CertificateArn": extra["Arn"]}]
        west_elb.add_listener_certificates(ListenerArn=west_listener, Certificates=added)

        for cert, user in ((default, lb), (extra, west_lb)):
            name = cert["ServerCertificateName"]
            self.assertEqual(
                error_and_message(iam.delete_server_certificate, ServerCertificateName=name),
                (
                    "DeleteConflict", 409,
                    f"Certificate: {cert['ServerCertificateId']} is currently in use by {user}. "
                    "Please remove it first before deleting it from IAM.",
                ),
            )
            iam.get_server_certificate(ServerCertificateName=name)  # still there

        # Once no listener has it, it is deleted.
        elb.delete_listener(ListenerArn=listener)
        west_elb.remove_listener_certificates(ListenerArn=west_listener, Certificates=added)
        for cert in (default, extra):
            name = cert["ServerCertificateName"]
            iam.delete_server_certificate(ServerCertificateName=name)
            self.assertTrue(certificate_gone(iam, name))

    def test_a_body_that_is_not_pem_is_refused(self):
        iam = client("configured", "iam")
        _, key, certificate = self_signed()
        der = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
        for body in ("not a certificate", der):
            name = unique("cert-")
            self.assertEqual(
                error_and_message(
                    iam.upload_server_certificate, ServerCertificateName=name,
                    CertificateBody=body, PrivateKey=key,
                ),
                (
                    "MalformedCertificate", 400,
                    "Unable to parse certificate. Please ensure the certificate is in PEM format.",
                ),
            )
            self.assertTrue(certificate_gone(iam, name))

    def test_off_moto_deletes_a_certificate_in_use_and_takes_any_body(self):
        iam = client("plain", "iam")
        cert = upload_certificate(iam)["ServerCertificateMetadata"]
        elb, _, lb, group = load_balancer_and_group("plain")
        https_listener(elb, lb, group, cert["Arn"])
        iam.delete_server_certificate(ServerCertificateName=cert["ServerCertificateName"])
        self.assertTrue(certificate_gone(iam, cert["ServerCertificateName"]))
        _, key, _ = self_signed()
        name = unique("cert-")
        iam.upload_server_certificate(
            ServerCertificateName=name, CertificateBody="not a certificate", PrivateKey=key
        )
        got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
        self.assertEqual(got["CertificateBody"], "not a certificate")


# ---------------------------------------------------------------------------------------------
# Calls repeated after they acted (fixes.py 5-7; the answer of the first was lost)
# ---------------------------------------------------------------------------------------------

class RepeatTest(unittest.TestCase):
    """Each repeat answers as AWS does: the same answer for a create with the same ClientToken,
    an "already done" refusal for the rest. They hold on the plain emulator (they are fixes)."""

    def setUp(self):
        self.network = Network("plain")
        self.ec2 = self.network.ec2

    def test_a_create_repeated_with_its_token_answers_the_same_resource(self):
        token = unique("t")
        first = self.ec2.create_route_table(VpcId=self.network.vpc, ClientToken=token)
        again = self.ec2.create_route_table(VpcId=self.network.vpc, ClientToken=token)
        self.assertEqual(
            first["RouteTable"]["RouteTableId"], again["RouteTable"]["RouteTableId"]
        )
        tables = self.ec2.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [self.network.vpc]}]
        )["RouteTables"]
        self.assertEqual(len(tables), 2, "the main table and one more")
        other_vpc = self.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        self.assertEqual(
            error_of(self.ec2.create_route_table, VpcId=other_vpc, ClientToken=token),
            ("IdempotentParameterMismatch", 400),
        )
        address = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = lambda: self.ec2.create_nat_gateway(  # noqa: E731
            SubnetId=self.network.subnets[0], AllocationId=address, ClientToken=token
        )["NatGateway"]["NatGatewayId"]
        self.assertEqual(nat(), nat())

    def test_associations_routes_and_rules_refuse_a_second_time(self):
        ec2, vpc, subnet = self.ec2, self.network.vpc, self.network.subnets[0]
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.2.0.0/16")
        self.assertEqual(
            error_of(ec2.associate_vpc_cidr_block, VpcId=vpc, CidrBlock="10.2.0.0/16"),
            ("InvalidVpc.Range", 400),
        )
        blocks = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlockAssociationSet"]
        [extra] = [b for b in blocks if b["CidrBlock"] == "10.2.0.0/16"]
        ec2.disassociate_vpc_cidr_block(AssociationId=extra["AssociationId"])
        self.assertEqual(
            error_of(ec2.disassociate_vpc_cidr_block, AssociationId=extra["AssociationId"]),
            ("InvalidVpcCidrBlockAssociationID.NotFound", 400),
        )

        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        other = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        for t in (table, other):
            self.assertEqual(
                error_of(ec2.associate_route_table, RouteTableId=t, SubnetId=subnet),
                ("Resource.AlreadyAssociated", 400),
            )

        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
        self.assertEqual(
            error_of(ec2.attach_internet_gateway, InternetGatewayId=gateway, VpcId=vpc),
            ("Resource.AlreadyAssociated", 400),
        )
        route = dict(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
        ec2.create_route(**route)
        self.assertEqual(error_of(ec2.create_route, **route), ("RouteAlreadyExists", 400))

        rule = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                 "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
        group = self.network.group
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rule)
        self.assertEqual(
            error_of(ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=rule),
            ("InvalidPermission.Duplicate", 400),
        )
        ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=rule)
        self.assertEqual(
            error_of(ec2.revoke_security_group_ingress, GroupId=group, IpPermissions=rule),
            ("InvalidPermission.NotFound", 400),
        )

    def test_a_stale_prefix_list_version_is_refused(self):
        ec2 = self.ec2
        pl = ec2.create_managed_prefix_list(
            PrefixListName=unique("pl"), AddressFamily="IPv4", MaxEntries=5,
            Entries=[{"Cidr": "10.0.0.0/8"}],
        )["PrefixList"]["PrefixListId"]
        change = dict(PrefixListId=pl, CurrentVersion=1, AddEntries=[{"Cidr": "11.0.0.0/8"}])
        ec2.modify_managed_prefix_list(**change)
        self.assertEqual(
            error_of(ec2.modify_managed_prefix_list, **change),
            ("PrefixListVersionMismatch", 400),
        )
        ec2.delete_managed_prefix_list(PrefixListId=pl)

    def test_transit_gateway_calls_refuse_a_second_time_and_gone_is_not_found(self):
        ec2 = self.ec2
        tgw = ec2.create_transit_gateway(
            Options={"DefaultRouteTableAssociation": "disable",
                     "DefaultRouteTablePropagation": "disable"}
        )["TransitGateway"]["TransitGatewayId"]
        att = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw, VpcId=self.network.vpc, SubnetIds=[self.network.subnets[0]]
        )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        table = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)[
            "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
        other = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)[
            "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
        pair = dict(TransitGatewayRouteTableId=table, TransitGatewayAttachmentId=att)

        add = dict(TransitGatewayAttachmentId=att, AddSubnetIds=[self.network.subnets[1]])
        ec2.modify_transit_gateway_vpc_attachment(**add)
        self.assertEqual(
            error_of(ec2.modify_transit_gateway_vpc_attachment, **add),
            ("DuplicateSubnetsInSameZone", 400),
        )

        ec2.associate_transit_gateway_route_table(**pair)
        for t in (table, other):
            self.assertEqual(
                error_of(ec2.associate_transit_gateway_route_table,
                         TransitGatewayRouteTableId=t, TransitGatewayAttachmentId=att),
                ("Resource.AlreadyAssociated", 400),
            )
        ec2.enable_transit_gateway_route_table_propagation(**pair)
        self.assertEqual(
            error_of(ec2.enable_transit_gateway_route_table_propagation, **pair),
            ("TransitGatewayRouteTablePropagation.Duplicate", 400),
        )
        route = dict(TransitGatewayRouteTableId=table, DestinationCidrBlock="0.0.0.0/0",
                     TransitGatewayAttachmentId=att)
        ec2.create_transit_gateway_route(**route)
        self.assertEqual(error_of(ec2.create_transit_gateway_route, **route),
                         ("RouteAlreadyExists", 400))

        gone = dict(TransitGatewayRouteTableId=table, DestinationCidrBlock="0.0.0.0/0")
        ec2.delete_transit_gateway_route(**gone)
        self.assertEqual(error_of(ec2.delete_transit_gateway_route, **gone),
                         ("InvalidRoute.NotFound", 400))
        ec2.disable_transit_gateway_route_table_propagation(**pair)
        self.assertEqual(error_of(ec2.disable_transit_gateway_route_table_propagation, **pair),
                         ("TransitGatewayRouteTablePropagation.NotFound", 400))
        ec2.disassociate_transit_gateway_route_table(**pair)
        self.assertEqual(error_of(ec2.disassociate_transit_gateway_route_table, **pair),
                         ("InvalidAssociation.NotFound", 400))
        ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att)
        self.assertEqual(
            error_of(ec2.delete_transit_gateway_vpc_attachment, TransitGatewayAttachmentId=att),
            ("InvalidTransitGatewayAttachmentID.NotFound", 400),
        )
        ec2.delete_transit_gateway(TransitGatewayId=tgw)
        self.assertEqual(error_of(ec2.delete_transit_gateway, TransitGatewayId=tgw),
                         ("InvalidTransitGatewayID.NotFound", 400))

    def test_a_deleted_endpoint_deleted_again_is_left_alone(self):
        ec2 = self.ec2
        table = ec2.create_route_table(VpcId=self.network.vpc)["RouteTable"]["RouteTableId"]
        endpoint = ec2.create_vpc_endpoint(
            VpcId=self.network.vpc, ServiceName="com.amazonaws.us-east-1.s3",
            VpcEndpointType="Gateway", RouteTableIds=[table],
        )["VpcEndpoint"]["VpcEndpointId"]
        ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])
        self.assertIsNone(error_of(ec2.delete_vpc_endpoints, VpcEndpointIds=[endpoint]))


class FaultAfterTest(unittest.TestCase):
    def tearDown(self):
        set_config("configured", {"faults": {"rate": 0, "kinds": [], "operations": []}})

    def test_a_random_fault_after_the_call_answers_an_error_but_the_call_acted(self):
        network = Network("configured")
        set_config("configured", {"faults": {
            "rate": 1.0, "kinds": ["500-after"], "operations": ["CreateTags"]}})
        code = error_of(network.ec2.create_tags, Resources=[network.vpc],
                        Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(code, ("InternalError", 500))
        tags = network.ec2.describe_vpcs(VpcIds=[network.vpc])["Vpcs"][0].get("Tags", [])
        self.assertIn({"Key": "k", "Value": "v"}, tags)


class EndpointDeleteTest(unittest.TestCase):
    def tearDown(self):
        set_config("configured", {"pending": {"vpc_endpoint_delete": 0}})

    def test_an_endpoint_deleted_again_once_gone_stays_gone(self):
        # A delete whose answer was lost is sent again; when the endpoint is gone by then, it
        # must stay gone (the test bed once set it `deleting` again, for good).
        set_config("configured", {"pending": {"vpc_endpoint_delete": 0.2}})
        network = Network("configured")
        ec2 = network.ec2
        table = ec2.create_route_table(VpcId=network.vpc)["RouteTable"]["RouteTableId"]
        endpoint = ec2.create_vpc_endpoint(
            VpcId=network.vpc, ServiceName="com.amazonaws.us-east-1.s3",
            VpcEndpointType="Gateway", RouteTableIds=[table],
        )["VpcEndpoint"]["VpcEndpointId"]

        def state():
            found = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"]
            return found[0]["State"] if found else "gone"

        ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])
        ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])
        poll(state, lambda s: s in ("deleted", "gone"))
        ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])
        time.sleep(0.6)
        self.assertIn(state(), ("deleted", "gone"))


class PeeringTest(unittest.TestCase):
    def tearDown(self):
        set_config("configured", {"pending": {"vpc_peering": 0}})

    def test_a_peering_connection_is_initiating_then_provisioning_once_accepted(self):
        set_config("configured", {"pending": {"vpc_peering": PENDING}})
        ec2 = client("configured", "ec2")
        a = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
        b = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
        pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)[
            "VpcPeeringConnection"]["VpcPeeringConnectionId"]

        def status():
            return ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])[
                "VpcPeeringConnections"][0]["Status"]["Code"]

        seen = poll(status, lambda s: s == "pending-acceptance")
        self.assertEqual(seen[0], "initiating-request")
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        seen = poll(status, lambda s: s == "active")
        self.assertEqual(seen[0], "provisioning")


class TaggingPagesTest(unittest.TestCase):
    """A `GetResources` page is cut by `ResourcesPerPage`, and by tags only when the call gives
    `TagsPerPage` (AWS); moto alone cut every page at 100 tags."""

    def test_a_page_holds_the_resources_asked_for_whatever_their_tags(self):
        ec2 = client("plain", "ec2")
        stack = "pages-" + uuid.uuid4().hex[:8]
        tags = [{"Key": "strata:stack", "Value": stack}] + [
            {"Key": k, "Value": "1"} for k in ("a", "b", "c", "d")
        ]
        for _ in range(60):
            ec2.create_vpc(
                CidrBlock="10.0.0.0/16",
                TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}],
            )
        tagging = client("plain", "resourcegroupstaggingapi")
        filters = [{"Key": "strata:stack", "Values": [stack]}]
        page = tagging.get_resources(TagFilters=filters, ResourcesPerPage=50)
        self.assertEqual(len(page["ResourceTagMappingList"]), 50)
        rest = tagging.get_resources(
            TagFilters=filters, ResourcesPerPage=50, PaginationToken=page["PaginationToken"]
        )
        self.assertEqual(len(rest["ResourceTagMappingList"]), 10)
        self.assertFalse(rest.get("PaginationToken"))
        # Asked for: at most 100 tags a page, five a resource.
        by_tags = tagging.get_resources(TagFilters=filters, ResourcesPerPage=50, TagsPerPage=100)
        self.assertLess(len(by_tags["ResourceTagMappingList"]), 20)


if __name__ == "__main__":
    unittest.main()
