"""Tests of the test bed's protocol layer (protocols.py): every protocol's requests are named
(service, operation), and every injected error is parsed by the SDK as the code it was given.

The requests are the ones a real SDK sends: botocore serialises and signs each call, and the
request is caught before it leaves (`before-send`) and handed to the layer as the server would.
Errors are read back with botocore's own response parsers. Then one emulator with faults and
denials at chosen calls is driven through boto3 for each service the coming kinds use, and its
call log checked.

    cd tests/emulator && python -m unittest test_testbed_protocols -v
"""

import io
import json
import os
import subprocess
import sys
import unittest
import urllib.parse
import urllib.request

import boto3
import botocore.parsers
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

import protocols

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = dict(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")

# The least distribution configuration botocore serialises.
DISTRIBUTION = {
    "CallerReference": "r", "Comment": "", "Enabled": False,
    "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.com"}]},
    "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all"},
}

# (botocore service, operation, parameters, the signing name the log shows, protocol): the calls
# the coming kinds make, in every protocol.
CALLS = [
    ("ec2", "DescribeVpcs", {}, "ec2", "ec2"),
    ("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16"}, "ec2", "ec2"),
    ("elbv2", "DescribeLoadBalancers", {}, "elasticloadbalancing", "query"),
    ("elbv2", "CreateTargetGroup", {"Name": "web"}, "elasticloadbalancing", "query"),
    ("rds", "DescribeDBClusters", {}, "rds", "query"),
    ("rds", "CreateDBCluster", {"DBClusterIdentifier": "db", "Engine": "aurora-postgresql"}, "rds", "query"),
    ("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{}"}, "iam", "query"),
    ("ecs", "ListClusters", {}, "ecs", "json"),
    ("ecs", "CreateService", {"serviceName": "web", "cluster": "main"}, "ecs", "json"),
    ("logs", "CreateLogGroup", {"logGroupName": "/ecs/web"}, "logs", "json"),
    ("logs", "DescribeLogGroups", {}, "logs", "json"),
    ("s3", "ListBuckets", {}, "s3", "rest-xml"),
    ("s3", "CreateBucket", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "HeadBucket", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "DeleteBucket", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "GetBucketTagging", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "PutBucketTagging", {"Bucket": "site-bucket", "Tagging": {"TagSet": []}}, "s3", "rest-xml"),
    ("s3", "GetBucketPolicy", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "PutBucketPolicy", {"Bucket": "site-bucket", "Policy": "{}"}, "s3", "rest-xml"),
    ("s3", "DeleteBucketPolicy", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "GetBucketVersioning", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "PutPublicAccessBlock", {"Bucket": "site-bucket", "PublicAccessBlockConfiguration": {}}, "s3", "rest-xml"),
    ("s3", "ListObjectsV2", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "ListObjects", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "ListObjectVersions", {"Bucket": "site-bucket"}, "s3", "rest-xml"),
    ("s3", "PutObject", {"Bucket": "site-bucket", "Key": "a/b.html", "Body": b"x"}, "s3", "rest-xml"),
    ("s3", "DeleteObjects", {"Bucket": "site-bucket", "Delete": {"Objects": [{"Key": "a"}]}}, "s3", "rest-xml"),
    ("cloudfront", "CreateDistribution", {"DistributionConfig": DISTRIBUTION}, "cloudfront", "rest-xml"),
    ("cloudfront", "CreateDistributionWithTags", {"DistributionConfigWithTags": {"DistributionConfig": DISTRIBUTION, "Tags": {"Items": [{"Key": "strata:name", "Value": "cdn"}]}}}, "cloudfront", "rest-xml"),
    ("cloudfront", "UpdateDistribution", {"Id": "E2QWRUHAPOMQZL", "IfMatch": "E1", "DistributionConfig": DISTRIBUTION}, "cloudfront", "rest-xml"),
    ("cloudfront", "ListDistributions", {}, "cloudfront", "rest-xml"),
    ("cloudfront", "GetDistribution", {"Id": "E2QWRUHAPOMQZL"}, "cloudfront", "rest-xml"),
    ("cloudfront", "GetDistributionConfig", {"Id": "E2QWRUHAPOMQZL"}, "cloudfront", "rest-xml"),
    ("cloudfront", "DeleteDistribution", {"Id": "E2QWRUHAPOMQZL", "IfMatch": "E1"}, "cloudfront", "rest-xml"),
    ("cloudfront", "TagResource", {"Resource": "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL", "Tags": {"Items": []}}, "cloudfront", "rest-xml"),
    ("cloudfront", "UntagResource", {"Resource": "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL", "TagKeys": {"Items": []}}, "cloudfront", "rest-xml"),
    ("cloudfront", "ListTagsForResource", {"Resource": "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"}, "cloudfront", "rest-xml"),
    ("cloudfront", "CreateOriginAccessControl", {"OriginAccessControlConfig": {"Name": "o", "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}}, "cloudfront", "rest-xml"),
    ("cloudfront", "GetOriginAccessControl", {"Id": "E2QWRUHAPOMQZL"}, "cloudfront", "rest-xml"),
    ("cloudfront", "GetOriginAccessControlConfig", {"Id": "E2QWRUHAPOMQZL"}, "cloudfront", "rest-xml"),
    ("cloudfront", "UpdateOriginAccessControl", {"Id": "E2QWRUHAPOMQZL", "IfMatch": "E1", "OriginAccessControlConfig": {"Name": "o", "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}}, "cloudfront", "rest-xml"),
    ("cloudfront", "DeleteOriginAccessControl", {"Id": "E2QWRUHAPOMQZL", "IfMatch": "E1"}, "cloudfront", "rest-xml"),
    ("cloudfront", "ListOriginAccessControls", {}, "cloudfront", "rest-xml"),
    ("cloudfront", "CreateCloudFrontOriginAccessIdentity", {"CloudFrontOriginAccessIdentityConfig": {"CallerReference": "r", "Comment": ""}}, "cloudfront", "rest-xml"),
    ("cloudfront", "GetCloudFrontOriginAccessIdentity", {"Id": "E74FTE3AJFJ256"}, "cloudfront", "rest-xml"),
    ("cloudfront", "GetCloudFrontOriginAccessIdentityConfig", {"Id": "E74FTE3AJFJ256"}, "cloudfront", "rest-xml"),
    ("cloudfront", "UpdateCloudFrontOriginAccessIdentity", {"Id": "E74FTE3AJFJ256", "IfMatch": "E1", "CloudFrontOriginAccessIdentityConfig": {"CallerReference": "r", "Comment": "c"}}, "cloudfront", "rest-xml"),
    ("cloudfront", "DeleteCloudFrontOriginAccessIdentity", {"Id": "E74FTE3AJFJ256", "IfMatch": "E1"}, "cloudfront", "rest-xml"),
    ("cloudfront", "ListCloudFrontOriginAccessIdentities", {"MaxItems": "2"}, "cloudfront", "rest-xml"),
    ("lambda", "ListFunctions", {}, "lambda", "rest-json"),
    ("lambda", "GetFunction", {"FunctionName": "f"}, "lambda", "rest-json"),
    ("lambda", "TagResource", {"Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Tags": {"strata:name": "fn"}}, "lambda", "rest-json"),
]


def prepared(service, operation, params):
    """The request botocore sends for a call: (environ, body), as the server hands it on."""
    client = boto3.client(service, endpoint_url="http://127.0.0.1:5055", **KEYS,
                          config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}))
    caught = {}

    def catch(request, **_):
        caught["request"] = request
        return AWSResponse(request.url, 200, {}, RawBody(b""))

    client.meta.events.register("before-send", catch)
    try:
        getattr(client, botocore_name(client, operation))(**params)
    except Exception:  # the empty answer may not parse: only the request matters
        pass
    return environ_of(caught["request"])


def botocore_name(client, operation):
    return client.meta.method_to_api_mapping and {
        v: k for k, v in client.meta.method_to_api_mapping.items()
    }[operation]


class RawBody(io.BytesIO):
    def stream(self, **_):
        yield self.getvalue()


def environ_of(request):
    url = urllib.parse.urlsplit(request.url)
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    environ = {
        "REQUEST_METHOD": request.method,
        "PATH_INFO": urllib.parse.unquote(url.path),
        "QUERY_STRING": url.query,
        "CONTENT_TYPE": request.headers.get("Content-Type", b"") or "",
        "HTTP_HOST": url.netloc,
    }
    for k, v in request.headers.items():
        value = v.decode() if isinstance(v, bytes) else v
        if k.lower() == "content-type":
            environ["CONTENT_TYPE"] = value
        else:
            environ["HTTP_" + k.upper().replace("-", "_")] = value
    return environ, body


def parse_error(service, operation, answer):
    """The error code and message botocore reads from an answer."""
    status, headers, body = answer
    model = botocore.session.get_session().get_service_model(service)
    parser = botocore.parsers.create_parser(model.metadata["protocol"])
    parsed = parser.parse(
        {"status_code": status, "headers": dict(headers), "body": body},
        model.operation_model(operation).output_shape,
    )
    return parsed["Error"]["Code"], parsed["Error"].get("Message", "")


class Naming(unittest.TestCase):
    def test_every_protocol_names_service_and_operation(self):
        for service, operation, params, signing, protocol in CALLS:
            with self.subTest(f"{service} {operation}"):
                environ, body = prepared(service, operation, params)
                request = protocols.identify(environ, body)
                self.assertEqual(
                    (request.service, request.operation, request.protocol),
                    (signing, operation, protocol),
                )

    def test_resource_ids_and_arns_are_logged(self):
        cases = [
            ("ec2", "DeleteVpc", {"VpcId": "vpc-0a1b2c3d4e5f60718"}, ["vpc-0a1b2c3d4e5f60718"]),
            ("elbv2", "DeleteLoadBalancer",
             {"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"},
             ["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"]),
            ("ecs", "DeleteCluster", {"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/main"},
             ["arn:aws:ecs:us-east-1:123456789012:cluster/main"]),
            ("s3", "DeleteBucket", {"Bucket": "site-bucket"}, ["site-bucket"]),
            ("cloudfront", "GetDistribution", {"Id": "E2QWRUHAPOMQZL"}, ["E2QWRUHAPOMQZL"]),
            ("cloudfront", "DeleteCloudFrontOriginAccessIdentity", {"Id": "E74FTE3AJFJ256", "IfMatch": "E1"},
             ["E74FTE3AJFJ256"]),
            ("rds", "DeleteDBCluster", {"DBClusterIdentifier": "arn:aws:rds:us-east-1:123456789012:cluster:db"},
             ["arn:aws:rds:us-east-1:123456789012:cluster:db"]),
        ]
        for service, operation, params, ids in cases:
            with self.subTest(f"{service} {operation}"):
                request = protocols.identify(*prepared(service, operation, params))
                self.assertEqual(request.ids(), ids)

    def test_the_strata_name_tag_of_a_create_is_found_in_every_protocol(self):
        tag = [{"Key": "strata:name", "Value": "web"}]
        cases = [
            ("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16", "TagSpecifications": [{"ResourceType": "vpc", "Tags": tag}]}),
            ("elbv2", "CreateTargetGroup", {"Name": "t", "Tags": tag}),
            ("rds", "CreateDBCluster", {"DBClusterIdentifier": "db", "Engine": "aurora-postgresql", "Tags": tag}),
            ("ecs", "CreateCluster", {"clusterName": "c", "tags": [{"key": "strata:name", "value": "web"}]}),
            ("logs", "CreateLogGroup", {"logGroupName": "g", "tags": {"strata:name": "web"}}),
            ("lambda", "TagResource", {"Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Tags": {"strata:name": "web"}}),
            ("s3", "PutBucketTagging", {"Bucket": "site-bucket", "Tagging": {"TagSet": tag}}),
        ]
        for service, operation, params in cases:
            with self.subTest(f"{service} {operation}"):
                request = protocols.identify(*prepared(service, operation, params))
                self.assertEqual(request.tagged_name(), "web")
        request = protocols.identify(*prepared("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16"}))
        self.assertIsNone(request.tagged_name())

    def test_virtual_hosted_s3_requests_are_named_like_path_style_ones(self):
        environ, body = prepared("s3", "GetBucketTagging", {"Bucket": "site-bucket"})
        environ["HTTP_HOST"] = "site-bucket.localhost:5055"
        environ["PATH_INFO"] = "/"
        request = protocols.identify(environ, body)
        self.assertEqual((request.operation, request.ids()), ("GetBucketTagging", ["site-bucket"]))

    def test_an_unknown_route_is_named_by_method_and_path(self):
        environ, body = prepared("s3", "ListBuckets", {})
        environ["REQUEST_METHOD"], environ["PATH_INFO"] = "PATCH", "/nowhere/at/all"
        self.assertEqual(protocols.identify(environ, body).operation, "PATCH /nowhere/at/all")


class Errors(unittest.TestCase):
    # (botocore service, an operation, the answer's protocol)
    SERVICES = [
        ("ec2", "DescribeVpcs", "ec2"),
        ("elbv2", "DescribeLoadBalancers", "query"),
        ("rds", "DescribeDBClusters", "query"),
        ("ecs", "ListClusters", "json"),
        ("logs", "DescribeLogGroups", "json"),
        ("s3", "GetBucketTagging", "rest-xml"),
        ("cloudfront", "ListDistributions", "rest-xml"),
        ("lambda", "ListFunctions", "rest-json"),
    ]

    def request(self, service, operation):
        params = {"Bucket": "site-bucket"} if operation == "GetBucketTagging" else {}
        return protocols.identify(*prepared(service, operation, params))

    def test_each_protocols_error_is_parsed_by_the_sdk_as_the_code_given(self):
        for service, operation, protocol in self.SERVICES:
            with self.subTest(service):
                request = self.request(service, operation)
                self.assertEqual(request.protocol, protocol)
                answer = request.error(400, "InvalidParameterValue", "bad <value> & more")
                self.assertEqual(
                    parse_error(service, operation, answer),
                    ("InvalidParameterValue", "bad <value> & more"),
                )
                self.assertEqual(protocols.error_code(answer[2]), "InvalidParameterValue")

    def test_faults_are_each_services_own_codes(self):
        expected = {
            # fault: {protocol or service: (status, code)}
            "throttle": {"ec2": (503, "RequestLimitExceeded"), "query": (400, "Throttling"),
                         "json": (400, "ThrottlingException"), "s3": (503, "SlowDown"),
                         "cloudfront": (400, "Throttling"), "rest-json": (400, "ThrottlingException")},
            "denied": {"ec2": (403, "UnauthorizedOperation"), "query": (403, "AccessDenied"),
                       "json": (403, "AccessDeniedException"), "s3": (403, "AccessDenied"),
                       "cloudfront": (403, "AccessDenied"), "rest-json": (403, "AccessDeniedException")},
            "clock-skew": {"ec2": (400, "RequestExpired"), "query": (403, "SignatureDoesNotMatch"),
                           "json": (400, "InvalidSignatureException"),
                           "s3": (403, "RequestTimeTooSkewed"),
                           "cloudfront": (403, "SignatureDoesNotMatch"),
                           "rest-json": (400, "InvalidSignatureException")},
            "expired-token": {"ec2": (400, "RequestExpired"), "query": (403, "ExpiredToken"),
                              "json": (400, "ExpiredTokenException"), "s3": (400, "ExpiredToken"),
                              "cloudfront": (403, "ExpiredToken"),
                              "rest-json": (400, "ExpiredTokenException")},
            "500": {"ec2": (500, "InternalError"), "query": (500, "InternalFailure"),
                    "json": (500, "InternalFailure"), "s3": (500, "InternalError"),
                    "cloudfront": (500, "InternalFailure"), "rest-json": (500, "InternalFailure")},
        }
        for fault, by in expected.items():
            for service, operation, protocol in self.SERVICES:
                with self.subTest(f"{fault} {service}"):
                    request = self.request(service, operation)
                    status, code = by.get(service, by.get(protocol))
                    got_code, answer = request.fault(fault)
                    self.assertEqual((answer[0], got_code), (status, code))
                    self.assertEqual(parse_error(service, operation, answer)[0], code)
        request = self.request("ecs", "ListClusters")
        code, (_, _, body) = request.fault("denied")
        self.assertIn("ecs:ListClusters with an explicit deny", json.loads(body)["message"])

    def test_a_head_request_gets_no_body(self):
        request = protocols.identify(*prepared("s3", "HeadBucket", {"Bucket": "site-bucket"}))
        status, headers, body = request.error(404, "NoSuchBucket", "gone")
        self.assertEqual((status, body), (404, b""))


# ---------------------------------------------------------------------------------------------
# Through a running test bed, with boto3.
# ---------------------------------------------------------------------------------------------

FAULTS = {"faults": {"targets": [
    {"service": "s3", "operation": "CreateBucket", "nth": 1, "kind": "denied"},
    {"service": "logs", "operation": "CreateLogGroup", "nth": 1, "kind": "throttle"},
    {"service": "elasticloadbalancing", "operation": "DescribeLoadBalancers", "nth": 1, "kind": "500"},
    {"service": "cloudfront", "operation": "ListDistributions", "nth": 1, "kind": "denied"},
    {"service": "ecs", "operation": "CreateCluster", "nth": 1, "kind": "503", "when": "after"},
    {"service": "rds", "operation": "DescribeDBClusters", "nth": 1, "kind": "throttle-too-many"},
    # Names the service: an EC2 call of the same name is not counted.
    {"service": "ecs", "operation": "ListTagsForResource", "nth": 1, "kind": "denied"},
]}}


class ThroughTheTestBed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        command = [sys.executable, os.path.join(HERE, "serve.py"), "--watch-parent",
                   "--config", json.dumps(FAULTS)]
        cls.process = subprocess.Popen(command, cwd=HERE, stdout=subprocess.PIPE, text=True)
        cls.url = cls.process.stdout.readline().strip()
        if not cls.url.startswith("http://"):
            cls.process.kill()
            raise RuntimeError(f"the emulator did not start (serve.py printed {cls.url!r})")

    @classmethod
    def tearDownClass(cls):
        cls.process.terminate()
        cls.process.wait(timeout=10)

    def client(self, service):
        return boto3.client(service, endpoint_url=self.url, **KEYS,
                            config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}))

    def code(self, call, **kwargs):
        try:
            call(**kwargs)
        except ClientError as e:
            return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
        return None

    def test_faults_and_denials_reach_each_sdk_and_the_log_names_every_call(self):
        s3, logs, elb = self.client("s3"), self.client("logs"), self.client("elbv2")
        cf, ecs, rds = self.client("cloudfront"), self.client("ecs"), self.client("rds")
        self.assertEqual(self.code(s3.create_bucket, Bucket="site-bucket"), ("AccessDenied", 403))
        self.assertIsNone(self.code(s3.create_bucket, Bucket="site-bucket"))
        self.assertIsNone(self.code(s3.put_object, Bucket="site-bucket", Key="index.html", Body=b"<p>hi</p>"))
        self.assertEqual(s3.get_object(Bucket="site-bucket", Key="index.html")["Body"].read(), b"<p>hi</p>")
        self.assertEqual(self.code(logs.create_log_group, logGroupName="/ecs/web"), ("ThrottlingException", 400))
        self.assertEqual(self.code(elb.describe_load_balancers), ("InternalFailure", 500))
        self.assertEqual(self.code(cf.list_distributions), ("AccessDenied", 403))
        # After the call acted: an error answered, and the cluster is there.
        self.assertEqual(self.code(ecs.create_cluster, clusterName="main"), ("ServiceUnavailable", 503))
        self.assertEqual([c["clusterName"] for c in ecs.describe_clusters(clusters=["main"])["clusters"]], ["main"])
        self.assertEqual(self.code(rds.describe_db_clusters), ("TooManyRequestsException", 429))
        self.assertEqual(
            self.code(ecs.list_tags_for_resource, resourceArn="arn:aws:ecs:us-east-1:123456789012:cluster/main"),
            ("AccessDeniedException", 403),
        )

        log = json.load(urllib.request.urlopen(self.url + "/_testbed/log"))
        seen = [(c["service"], c["protocol"], c["operation"], c["status"], c.get("fault")) for c in log]
        self.assertEqual(seen, [
            ("s3", "rest-xml", "CreateBucket", 403, "denied"),
            ("s3", "rest-xml", "CreateBucket", 200, None),
            ("s3", "rest-xml", "PutObject", 200, None),
            ("s3", "rest-xml", "GetObject", 200, None),
            ("logs", "json", "CreateLogGroup", 400, "throttle"),
            ("elasticloadbalancing", "query", "DescribeLoadBalancers", 500, "500"),
            ("cloudfront", "rest-xml", "ListDistributions", 403, "denied"),
            ("ecs", "json", "CreateCluster", 503, "503"),
            ("ecs", "json", "DescribeClusters", 200, None),
            ("rds", "query", "DescribeDBClusters", 429, "throttle-too-many"),
            ("ecs", "json", "ListTagsForResource", 403, "denied"),
        ])
        self.assertEqual(log[0]["ids"], ["site-bucket"])
        self.assertEqual(log[7]["when"], "after")
        self.assertEqual(log[-1]["ids"], ["arn:aws:ecs:us-east-1:123456789012:cluster/main"])


if __name__ == "__main__":
    unittest.main()
