"""What an AWS request is, whatever its protocol, and how each protocol answers an error.

AWS services speak five protocols. The test bed's hooks (faults, denials, lost answers, the call
log) need the same two things from each request: which service and which operation it is, and
how to answer an error so that the caller's SDK parses the code it expects.

  protocol   how the operation is named                         error answer
  ec2        form body `Action=DescribeVpcs`                    <Response><Errors><Error><Code>
  query      form body `Action=DescribeDBClusters` (RDS, ELB,   <ErrorResponse><Error><Type>
             IAM, STS, ...)                                     <Code>
  json       header `X-Amz-Target: Prefix.ListClusters` (ECS,   {"__type": code, "message": ...}
             Logs, ...; `application/x-amz-json-1.0`/`1.1`)     in the request's content type
  rest-xml   method + path, e.g. `GET /{Bucket}?tagging`        <ErrorResponse><Error><Code>;
             (S3, CloudFront, Route 53)                         S3: <Error><Code> unwrapped
  rest-json  method + path (Lambda, EKS, ...)                   header `x-amzn-ErrorType`, body
                                                                {"__type", "message"}

The service is the one the request is signed for (its SigV4 credential scope, e.g.
`elasticloadbalancing`, `s3`). For the REST protocols, the operation is found from the method
and path with the routes of the service's botocore model (the `http` trait of each operation,
the same botocore that moto is pinned with), so every REST service moto emulates is named
without a table here; a request no route matches is named `METHOD /path`.
"""

import json
import re
import urllib.parse

# EC2 resource ids, and ARNs (the ids of most other services).
EC2_ID = r"\b(?:vpc|subnet|igw|eipalloc|nat|rtb|sg|pl|vpce|pcx|tgw|tgw-attach|tgw-rtb|eni)-[0-9a-f]{8,17}\b"
ARN = r"\barn:aws(?:-[a-z]+)*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[^\s\"'<>,;&]+"
ID_RE = re.compile(EC2_ID)
ID_OR_ARN_RE = re.compile(f"{ARN}|{EC2_ID}")

# Services whose REST-XML errors are not wrapped in <ErrorResponse> (Smithy's @noErrorWrapping).
UNWRAPPED_XML_ERRORS = {"s3", "s3control"}
# Path parameters of a REST route that name a resource (logged as the call's ids).
RESOURCE_PARAM = re.compile(r"(Bucket|Id|Name|Arn|ARN|Identifier|Resource)$")


class Request:
    """One AWS request as the hooks see it."""

    def __init__(self, protocol, service, region, operation, params=None, body=None, path_params=None):
        self.protocol = protocol
        self.service = service
        self.region = region
        self.operation = operation
        # Query and EC2: the form, as parse_qs gives it (name -> list of values).
        self.params = params or {}
        # JSON and REST-JSON: the decoded body (None if there is none or it is not JSON);
        # REST-XML: the body's text.
        self.body = body
        self.path_params = path_params or {}
        self.method = "POST"
        self.content_type = ""

    def error(self, status, code, message):
        """(status, headers, body) of an error answer to this request, in its protocol's format
        (no body to a HEAD request, as S3 answers)."""
        status, headers, body = error_answer(
            self.protocol, status, code, message, self.service, self.content_type
        )
        return status, headers, b"" if self.method == "HEAD" else body

    def fault(self, fault):
        """(status, headers, body) of an injected fault (see fault_error)."""
        status, code, message = fault_error(fault, self.protocol, self.service, self.operation)
        return code, self.error(status, code, message)

    def ids(self):
        """Resource ids the request names: the values that are EC2 ids or ARNs (form fields,
        JSON strings, path parameters), and a REST route's resource parameters (a bucket, a
        distribution id)."""
        values = [v for vs in self.params.values() for v in vs]
        if not isinstance(self.body, str):
            values += strings(self.body)
        found = {v for v in values if ID_OR_ARN_RE.fullmatch(v)}
        for name, value in self.path_params.items():
            if RESOURCE_PARAM.search(name) or ID_OR_ARN_RE.fullmatch(value):
                found.add(value)
        return sorted(found)

    def tagged_name(self):
        """The `strata:name` tag a create call sets, or None: which resource of the stack the
        call made. Query forms (`TagSpecification.1.Tag.1.Key`, `Tags.member.1.Key`,
        `Tags.Tag.1.Key`), JSON lists of key/value objects or maps, and XML `<Tag>` elements."""
        for key, values in self.params.items():
            m = re.fullmatch(r"(.*Tags?(?:\.member|\.Tag)?\.\d+)\.Key", key)
            if m and values and values[0] == "strata:name":
                value = self.params.get(f"{m.group(1)}.Value")
                return value[0] if value else ""
        if isinstance(self.body, str):
            m = re.search(r"<Key>strata:name</Key>\s*<Value>([^<]*)</Value>", self.body)
            return m.group(1) if m else None
        return json_tag(self.body, "strata:name")


def strings(value):
    """Every string inside a decoded JSON value (or the text itself)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def json_tag(value, key):
    """A tag's value in a JSON request: `[{"key": K, "value": V}]` (any capitalisation) or a
    `"tags": {K: V}` map."""
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        if lowered.get("key") == key and isinstance(lowered.get("value"), str):
            return lowered["value"]
        for k, v in value.items():
            if str(k).lower() == "tags" and isinstance(v, dict) and isinstance(v.get(key), str):
                return v[key]
            found = json_tag(v, key)
            if found is not None:
                return found
    elif isinstance(value, list):
        for v in value:
            found = json_tag(v, key)
            if found is not None:
                return found
    return None


# ---------------------------------------------------------------------------------------------
# REST routes from botocore's service models.
# ---------------------------------------------------------------------------------------------

_ROUTES = {}
_MODEL_NAMES = None


def _session():
    import botocore.session

    return botocore.session.get_session()


def model_name(service):
    """The botocore model of a signing name (`s3` -> `s3`, `elasticloadbalancing` -> `elbv2`)."""
    global _MODEL_NAMES
    session = _session()
    if service in session.get_available_services():
        return service
    if _MODEL_NAMES is None:
        _MODEL_NAMES = {}
        for name in session.get_available_services():
            meta = session.get_service_model(name).metadata
            for alias in (meta.get("signingName"), meta.get("endpointPrefix")):
                if alias:
                    _MODEL_NAMES.setdefault(alias, name)
    return _MODEL_NAMES.get(service)


def _compile(uri, headers=()):
    """A route template (`/{Bucket}/{Key+}?uploads`) and the headers its operation requires
    (`x-amz-copy-source` tells CopyObject from PutObject) as (path regex, parameter names, the
    query keys it requires with their values or None, the headers, how specific it is)."""
    path, _, query = uri.partition("?")
    names = []
    pattern = ""
    literal = 0
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            name = part[1:-1]
            greedy = name.endswith("+")
            names.append(name.rstrip("+"))
            pattern += "(.+)" if greedy else "([^/]+)"
        else:
            pattern += re.escape(part)
            literal += len(part)
    required = {}
    for item in filter(None, query.split("&")):
        k, eq, v = item.partition("=")
        required[k] = v if eq else None
    headers = tuple("HTTP_" + h.upper().replace("-", "_") for h in headers)
    return re.compile(pattern + "/?"), names, required, headers, (len(required) + len(headers), literal)


def required_headers(operation):
    shape = operation.input_shape
    if shape is None:
        return ()
    return tuple(
        member.serialization.get("name", name)
        for name, member in shape.members.items()
        if name in shape.required_members and member.serialization.get("location") == "header"
    )


def routes(service):
    """[(method, compiled route, operation)] of a REST service, or [] when botocore has no such
    model or the service is not REST."""
    if service not in _ROUTES:
        table = []
        name = model_name(service)
        if name:
            model = _session().get_service_model(name)
            if model.protocol in ("rest-xml", "rest-json"):
                for op in model.operation_names:
                    operation = model.operation_model(op)
                    http = operation.http
                    route = _compile(http.get("requestUri", "/"), required_headers(operation))
                    table.append((http.get("method", "GET"), route, op))
        _ROUTES[service] = table
    return _ROUTES[service]


def rest_protocol(service, content_type):
    name = model_name(service)
    if name:
        protocol = _session().get_service_model(name).protocol
        if protocol in ("rest-xml", "rest-json"):
            return protocol
    return "rest-json" if "json" in content_type else "rest-xml"


def route(service, method, path, query, environ):
    """(operation, path parameters) of a REST request, or (None, {})."""
    best = None
    for m, (regex, names, required, headers, specificity), op in routes(service):
        if m != method:
            continue
        match = regex.fullmatch(path)
        if not match:
            continue
        if any(k not in query or (v is not None and query[k][0] != v) for k, v in required.items()):
            continue
        if any(h not in environ for h in headers):
            continue
        if best is None or specificity > best[0]:
            params = {n: urllib.parse.unquote(v) for n, v in zip(names, match.groups())}
            best = (specificity, op, params)
    return (best[1], best[2]) if best else (None, {})


# ---------------------------------------------------------------------------------------------
# Identifying a request.
# ---------------------------------------------------------------------------------------------

def scope(environ):
    """(region, service) of the request's SigV4 credential scope."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/", auth)
    return (m.group(1), m.group(2)) if m else ("", "")


def virtual_host_bucket(environ, service):
    """The bucket of an S3 virtual-hosted request (`bucket.s3.amazonaws.com`,
    `bucket.localhost`), or None for a path-style one."""
    if service != "s3":
        return None
    host = environ.get("HTTP_HOST", "").split(":")[0]
    if re.fullmatch(r"[\d.]+|localhost|\[.*\]", host):
        return None
    m = re.match(r"(.+?)\.(?:s3[.-]|localhost$)", host)
    return m.group(1) if m else None


def identify(environ, raw):
    """The Request a WSGI environ and its body make."""
    request = _identify(environ, raw)
    request.method = environ.get("REQUEST_METHOD", "GET")
    request.content_type = environ.get("CONTENT_TYPE", "")
    return request


def _identify(environ, raw):
    region, service = scope(environ)
    content_type = environ.get("CONTENT_TYPE", "")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "") or "/"
    text = raw.decode("utf-8", "replace")
    if target:
        return Request("json", service, region, target.split(".")[-1], body=decode_json(text))
    params = {}
    if "x-www-form-urlencoded" in content_type:
        params = urllib.parse.parse_qs(text, keep_blank_values=True)
    if method == "POST" and params.get("Action"):
        protocol = "ec2" if service == "ec2" else "query"
        return Request(protocol, service, region, params["Action"][0], params=params)
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if query.get("Action"):
        # The query protocol also comes as a GET.
        protocol = "ec2" if service == "ec2" else "query"
        return Request(protocol, service, region, query["Action"][0], params=query)
    protocol = rest_protocol(service, content_type)
    bucket = virtual_host_bucket(environ, service)
    route_path = f"/{bucket}{path}" if bucket else path
    operation, path_params = route(service, method, route_path, query, environ)
    body = decode_json(text) if protocol == "rest-json" else text
    return Request(
        protocol,
        service,
        region,
        operation or f"{method} {path}",
        params={k: v for k, v in query.items()},
        body=body,
        path_params=path_params,
    )


def decode_json(text):
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Errors in each protocol's format.
# ---------------------------------------------------------------------------------------------

def xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_answer(protocol, status, code, message, service="", content_type=""):
    """(status, headers, body) of an error in the protocol's own format."""
    request_id = "testbed"
    if protocol == "json":
        kind = content_type if "x-amz-json" in content_type else "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, [("Content-Type", kind), ("x-amzn-RequestId", request_id)], body
    if protocol == "rest-json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", request_id),
        ]
        return status, headers, body
    if protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{xml_escape(message)}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    elif protocol == "rest-xml" and service in UNWRAPPED_XML_ERRORS:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{xml_escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    else:
        # The other query services (RDS, ELB, IAM) and the other REST-XML ones (CloudFront).
        kind = "Receiver" if status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
            f"<Message>{xml_escape(message)}</Message></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>"
        )
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()


def fault_error(fault, protocol, service="", operation=""):
    """A fault by kind, as the service answers it: (HTTP status, error code, message)."""
    s3 = protocol == "rest-xml" and service in UNWRAPPED_XML_ERRORS
    json_like = protocol in ("json", "rest-json")
    if fault == "throttle":
        if protocol == "ec2":
            return 503, "RequestLimitExceeded", "Request limit exceeded."
        if s3:
            return 503, "SlowDown", "Please reduce your request rate."
        return 400, "ThrottlingException" if json_like else "Throttling", "Rate exceeded"
    if fault == "throttle-too-many":
        return 429, "TooManyRequestsException", "Too many requests"
    if fault == "denied":
        # An explicit deny in a service control policy, worded as AWS words it.
        action = f"{service or 'ec2'}:{operation}"
        who = "arn:aws:sts::123456789012:assumed-role/OrganizationAccountAccessRole/DEV"
        if protocol == "ec2":
            return 403, "UnauthorizedOperation", (
                f"You are not authorized to perform this operation. User: {who} is not "
                f"authorized to perform: {action} with an explicit deny in a service "
                "control policy. Encoded authorization failure message: testbed"
            )
        code = "AccessDeniedException" if json_like else "AccessDenied"
        return 403, code, (
            f"User: {who} is not authorized to perform: {action} with an explicit deny in a "
            "service control policy"
        )
    if fault == "clock-skew":
        # A request signed more than 15 minutes from AWS's time (a client whose clock is off).
        if protocol == "ec2":
            return 400, "RequestExpired", "Request has expired."
        if s3:
            return 403, "RequestTimeTooSkewed", (
                "The difference between the request time and the current time is too large."
            )
        return (400 if json_like else 403), (
            "InvalidSignatureException" if json_like else "SignatureDoesNotMatch"
        ), (
            "Signature expired: 20261130T120000Z is now earlier than 20261130T124500Z "
            "(20261130T130000Z - 15 min.)"
        )
    if fault == "expired-token":
        # Session credentials (an STS session token) past their expiry.
        if protocol == "ec2":
            return 400, "RequestExpired", "Request has expired."
        if s3:
            return 400, "ExpiredToken", "The provided token has expired."
        return (400 if json_like else 403), (
            "ExpiredTokenException" if json_like else "ExpiredToken"
        ), "The security token included in the request is expired"
    if fault == "500":
        code = "InternalError" if protocol == "ec2" or s3 else "InternalFailure"
        return 500, code, "An internal error has occurred."
    code = "Unavailable" if protocol == "ec2" else "ServiceUnavailable"
    return 503, code, "The service is unavailable. Please try again shortly."


def error_code(body):
    """The error code in an answer's body, in any protocol's format, or None."""
    m = re.search(rb"<Code>([^<]+)</Code>", body) or re.search(rb'"__type"\s*:\s*"([^"]+)"', body)
    if not m:
        return None
    # JSON codes may carry a namespace: "com.amazonaws.ecs#ClusterNotFoundException".
    return m.group(1).decode().split("#")[-1]
