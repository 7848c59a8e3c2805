#!/usr/bin/env python3
"""Generates the corpus of malformed stack documents in tests/corpus/malformed/.

Run it from anywhere with plain python3 (no dependencies):

    python3 tests/corpus/generate.py

Every case is one file `NNN-category-description.yaml`, or a directory `NNN-category-name/`
for the few cases that need several files (or none). Each case is a mistake a user (or a
hostile input) can make; loading it must fail with located diagnostics, never panic or hang.
The category is the word after the number (yaml, utf8, limits, document, resource, type,
unknown-key, missing, ref, cycle, cidr, dupkey, name, tag, lifecycle, var, output, check,
multi, hostile, empty).

The script also writes:
* tests/corpus/unlocated.txt: the cases whose diagnostics cannot have a location (nothing in
  them to point at), read by the tests;
* fuzz/corpus/load/: the fuzzer's seed corpus, every case (files of directory cases
  flattened) and every example's stack.yaml.

The 50 MB document is not here: the tests make it at run time.
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "malformed")
SEEDS = os.path.join(ROOT, "fuzz", "corpus", "load")

CASES = []  # (category, description, content): content is str, bytes or {name: str|bytes}
UNLOCATED = set()  # descriptions of cases without any location to give


def case(category, description, content, located=True):
    CASES.append((category, description, content))
    if not located:
        UNLOCATED.add((category, description))


# --- building blocks ---------------------------------------------------------------------------


def res(name, kind, *lines):
    """One resource: `name:` with `kind:` and the given lines (indented under it)."""
    out = f"  {name}:\n    kind: {kind}\n"
    for line in lines:
        out += f"    {line}\n"
    return out


def stack(*resources, top="", tail=""):
    return "stack: lab\n" + top + "resources:\n" + "".join(resources) + tail


VPC = res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16")
VPC2 = res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16")
SUBNET = res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24")
SUBNET_B = res("subnet_b", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.2.0/24")
IGW = res("igw", "ec2.internet_gateway", "vpc: vpc")
EIP = res("nat_ip", "ec2.eip")
NAT = res("nat", "ec2.nat_gateway", "subnet: subnet_a", "eip: nat_ip")
RT = res(
    "rt",
    "ec2.route_table",
    "vpc: vpc",
    "subnets: [subnet_a]",
    "routes:",
    "  - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}",
)
SG = res(
    "web",
    "ec2.security_group",
    "vpc: vpc",
    "name: web",
    "description: web servers",
    "ingress:",
    "  - {protocol: tcp, port: 443, cidr: 0.0.0.0/0}",
)
PL = res(
    "office",
    "ec2.prefix_list",
    "name: office",
    "max_entries: 5",
    "entries:",
    "  - {cidr: 203.0.113.0/24, description: office}",
)
EP = res("s3", "ec2.vpc_endpoint", "vpc: vpc", "service: s3", "route_tables: [rt]")
PEER = res("peer", "ec2.vpc_peering_connection", "vpc: vpc", "peer_vpc: vpc2")
TGW = res(
    "tgw",
    "ec2.transit_gateway",
    "amazon_side_asn: 64512",
    "default_route_table_association: false",
)
ATT = res(
    "att",
    "ec2.transit_gateway_vpc_attachment",
    "transit_gateway: tgw",
    "vpc: vpc",
    "subnets: [subnet_a]",
)
TRT = res(
    "trt",
    "ec2.transit_gateway_route_table",
    "transit_gateway: tgw",
    "associations: [att]",
    "routes:",
    "  - {destination_cidr_block: 0.0.0.0/0, attachment: att}",
)

# What each kind needs around it to be valid, so that a case has the one mistake it names.
CONTEXT = {
    "ec2.vpc": [],
    "ec2.subnet": [VPC],
    "ec2.internet_gateway": [VPC],
    "ec2.eip": [],
    "ec2.nat_gateway": [VPC, SUBNET, IGW, EIP],
    "ec2.route_table": [VPC, SUBNET, IGW],
    "ec2.security_group": [VPC],
    "ec2.prefix_list": [],
    "ec2.vpc_endpoint": [VPC, SUBNET, IGW, RT],
    "ec2.vpc_peering_connection": [VPC, VPC2],
    "ec2.transit_gateway": [],
    "ec2.transit_gateway_vpc_attachment": [VPC, SUBNET, TGW],
    "ec2.transit_gateway_route_table": [VPC, SUBNET, TGW, ATT],
}

# A valid body (without `kind:`) for each kind, field by field.
BODY = {
    "ec2.vpc": {"cidr_block": "10.0.0.0/16"},
    "ec2.subnet": {"vpc": "vpc", "cidr_block": "10.0.1.0/24"},
    "ec2.internet_gateway": {"vpc": "vpc"},
    "ec2.eip": {"domain": "vpc"},
    "ec2.nat_gateway": {"subnet": "subnet_a", "eip": "nat_ip"},
    "ec2.route_table": {"vpc": "vpc", "subnets": "[subnet_a]"},
    "ec2.security_group": {"vpc": "vpc", "name": "web", "description": "web servers"},
    "ec2.prefix_list": {"name": "office", "max_entries": "5"},
    "ec2.vpc_endpoint": {"vpc": "vpc", "service": "s3", "route_tables": "[rt]"},
    "ec2.vpc_peering_connection": {"vpc": "vpc", "peer_vpc": "vpc2"},
    "ec2.transit_gateway": {"amazon_side_asn": "64512"},
    "ec2.transit_gateway_vpc_attachment": {
        "transit_gateway": "tgw",
        "vpc": "vpc",
        "subnets": "[subnet_a]",
    },
    "ec2.transit_gateway_route_table": {"transit_gateway": "tgw", "associations": "[att]"},
}


def kind_doc(kind, name="it", set_=None, drop=(), extra=()):
    """A stack with one resource of `kind` (plus what it needs), with fields changed."""
    body = dict(BODY[kind])
    for k in drop:
        body.pop(k, None)
    for k, v in (set_ or {}).items():
        body[k] = v
    lines = [f"{k}: {v}" for k, v in body.items()] + list(extra)
    return stack(*CONTEXT[kind], res(name, kind, *lines))


# --- YAML syntax -------------------------------------------------------------------------------

case("yaml", "unclosed-flow-sequence", stack(res("vpc", "ec2.vpc", "cidr_block: [10.0.0.0/16")))
case("yaml", "unclosed-flow-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: web")))
case("yaml", "unclosed-double-quote", stack(res("vpc", "ec2.vpc", 'cidr_block: "10.0.0.0/16')))
case("yaml", "unclosed-single-quote", stack(res("vpc", "ec2.vpc", "cidr_block: '10.0.0.0/16")))
case("yaml", "unclosed-quote-at-eof", 'stack: lab\nresources:\n  vpc:\n    kind: "ec2.vpc')
case("yaml", "extra-closing-bracket", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [10.1.0.0/16]]")))
case("yaml", "extra-closing-brace", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: x}}")))
case("yaml", "flow-mapping-missing-comma", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: x Team: y}")))
case("yaml", "flow-sequence-missing-comma-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [a: 1 b: 2]")))
case("yaml", "bad-indentation-key-dedented", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n   cidr_block: 10.0.0.0/16\n")
case("yaml", "bad-indentation-key-over-indented", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n      cidr_block: 10.0.0.0/16\n")
case("yaml", "bad-indentation-sequence-under-map", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    secondary_cidr_blocks:\n  - 10.1.0.0/16\n")
case("yaml", "tab-indentation", "stack: lab\nresources:\n\tvpc:\n\t\tkind: ec2.vpc\n\t\tcidr_block: 10.0.0.0/16\n")
case("yaml", "tab-mixed-with-spaces", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n  \tcidr_block: 10.0.0.0/16\n")
case("yaml", "stray-colon-in-value", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16: x")))
case("yaml", "stray-colon-mapping-in-plain-value", "stack: lab\nresources:\n  vpc: kind: ec2.vpc\n")
case("yaml", "sequence-item-in-mapping", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    - cidr_block: 10.0.0.0/16\n")
case("yaml", "mapping-after-sequence-item", "stack: lab\nresources:\n  - vpc\n  kind: ec2.vpc\n")
case("yaml", "invalid-escape", stack(res("vpc", "ec2.vpc", 'cidr_block: "10.0.0.0\\q16"')))
case("yaml", "invalid-unicode-escape", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", 'tags: {Name: "\\uZZZZ"}')))
case("yaml", "invalid-hex-escape", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", 'tags: {Name: "\\xG1"}')))
case("yaml", "escape-of-surrogate", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", 'tags: {Name: "\\uD800"}')))
case("yaml", "undefined-alias", stack(res("vpc", "ec2.vpc", "cidr_block: *block")))
case("yaml", "alias-before-anchor", stack(res("a", "ec2.vpc", "cidr_block: *block"), res("b", "ec2.vpc", "cidr_block: &block 10.1.0.0/16")))
case("yaml", "anchor-without-name", stack(res("vpc", "ec2.vpc", "cidr_block: & 10.0.0.0/16")))
case("yaml", "alias-with-value", stack(res("vpc", "ec2.vpc", "cidr_block: &b 10.0.0.0/16"), "  other: *b extra\n"))
case("yaml", "two-documents", stack(VPC) + "---\nstack: lab\nresources: {}\n")
case("yaml", "three-documents-with-end-markers", "---\n" + stack(VPC) + "...\n---\nregion: us-east-1\n...\n---\nstack: other\n")
case("yaml", "content-after-document-end", stack(VPC) + "...\nregion: us-east-1\n")
case("yaml", "duplicate-yaml-directive", "%YAML 1.2\n%YAML 1.2\n---\n" + stack(VPC))
case("yaml", "directive-without-document-start", "%YAML 1.2\n" + stack(VPC))
case("yaml", "unknown-tag-handle", stack(res("vpc", "ec2.vpc", "cidr_block: !cidr 10.0.0.0/16")))
case("yaml", "core-tag-int", stack(res("vpc", "ec2.vpc", "cidr_block: !!int 10")))
case("yaml", "binary-tag", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Blob: !!binary aGVsbG8=}")))
case("yaml", "tag-on-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: !!map {Name: x}")))
case("yaml", "undeclared-tag-handle", stack(res("vpc", "ec2.vpc", "cidr_block: !e!cidr 10.0.0.0/16")))
case("yaml", "complex-key-flow-sequence", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "[a, b]: c")))
case("yaml", "complex-key-explicit", "stack: lab\nresources:\n  ? {name: vpc}\n  : kind: ec2.vpc\n")
case("yaml", "merge-key-with-scalar", stack(res("vpc", "ec2.vpc", "<<: 10.0.0.0/16")))
case("yaml", "merge-key-with-list-of-scalars", stack(res("vpc", "ec2.vpc", "<<: [a, b]", "cidr_block: 10.0.0.0/16")))
case("yaml", "block-scalar-bad-indentation", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", "  Note: |", "  text at the wrong level", "    more")))
case("yaml", "block-scalar-bad-indicator", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", "  Note: |0", "      text")))
case("yaml", "reserved-indicator-at", stack(res("vpc", "ec2.vpc", "cidr_block: @10.0.0.0/16")))
case("yaml", "reserved-indicator-backtick", stack(res("vpc", "ec2.vpc", "cidr_block: `10.0.0.0/16`")))
case("yaml", "percent-at-line-start", stack(VPC) + "%region: us-east-1\n")
case("yaml", "empty-key", stack(VPC) + "  : nothing\n")
case("yaml", "quoted-key-unclosed", "stack: lab\nresources:\n  \"vpc:\n    kind: ec2.vpc\n")
case("yaml", "flow-in-block-key-unterminated", "stack: lab\nresources: {vpc: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}\nregion: us-east-1\n")
case("yaml", "unquoted-template-in-flow", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: ${var.name}}"), top="variables:\n  name: {default: x}\n"))
case("yaml", "multiline-double-quote-unclosed", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", 'tags: {Name: "first line', "  second line}")))
case("yaml", "dash-without-space", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    secondary_cidr_blocks:\n      -10.1.0.0/16\n      -10.2.0.0/16\n")
case("yaml", "comment-without-space-before", "stack: lab# the name\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: [10.0.0.0/16]# closing\n")
case("yaml", "recursive-alias", "stack: lab\nresources: &r\n  vpc: *r\n")

# --- not UTF-8 (written as bytes) -------------------------------------------------------------

case("utf8", "invalid-byte-at-start", b"\xff" + stack(VPC).encode())
case("utf8", "latin1-in-comment", b"# caf\xe9 au lait\n" + stack(VPC).encode())
case("utf8", "latin1-in-value", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16")).encode() + b"    tags: {Owner: Jos\xe9}\n")
case("utf8", "overlong-encoding", stack(VPC).encode().replace(b"vpc:", b"vp\xc1\xa3:", 1))
case("utf8", "truncated-sequence-at-eof", stack(VPC).encode() + b"# \xe2\x82")
case("utf8", "encoded-surrogate", stack(VPC).encode().replace(b"lab", b"l\xed\xa0\x80b", 1))
case("utf8", "utf16le-with-bom", b"\xff\xfe" + stack(VPC).encode("utf-16-le"))
case("utf8", "utf16be-without-bom", stack(VPC).encode("utf-16-be"))
case("utf8", "continuation-byte-alone", stack(VPC).encode().replace(b"ec2.vpc", b"ec2.\x80vpc", 1))

# --- limits ------------------------------------------------------------------------------------

case("limits", "deep-flow-nesting-100", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Deep: " + "[" * 100 + "]" * 100 + "}")))
case("limits", "deep-flow-nesting-unclosed-100000", "stack: lab\nresources: " + "[" * 100_000 + "\n")
case("limits", "deep-flow-mapping-nesting-5000", "stack: lab\nresources: " + "{a: " * 5000 + "x" + "}" * 5000 + "\n")


def block_nesting(depth):
    out = "stack: lab\nresources:\n"
    for i in range(depth):
        out += "  " * (i + 1) + f"l{i}:\n"
    return out + "  " * (depth + 1) + "end: x\n"


case("limits", "deep-block-nesting-70", block_nesting(70))
case("limits", "deep-block-sequence-nesting-80", "stack: lab\nresources:\n" + "".join("  " * (i + 1) + "-\n" for i in range(80)) + "  " * 81 + "- x\n")


def billion_laughs():
    out = 'stack: lab\nlol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        out += f"lol{i}: &a{i} [{refs}]\n"
    return out + "resources: *a9\n"


case("limits", "billion-laughs", billion_laughs())


def map_bomb():
    out = "stack: lab\nx0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n"
    for i in range(1, 8):
        out += f"x{i}: &m{i} {{a: *m{i - 1}, b: *m{i - 1}, c: *m{i - 1}, d: *m{i - 1}, e: *m{i - 1}, f: *m{i - 1}, g: *m{i - 1}, h: *m{i - 1}}}\n"
    return out + "resources: {}\n"


case("limits", "alias-bomb-mappings", map_bomb())


def alias_depth_chain():
    # Each anchor nests the previous one 60 levels deeper: aliases can build trees deeper than
    # the parser's own nesting limit, within the alias budget.
    out = "stack: lab\nresources:\n  ep:\n    kind: ec2.vpc_endpoint\n    vpc: vpc\n    service: s3\n"
    out += "    policy:\n      d0: &d0 x\n"
    for i in range(1, 16):
        out += f"      d{i}: &d{i} " + "[" * 60 + f"*d{i - 1}" + "]" * 60 + "\n"
    return out + "      last: *d15\n    route_tables: [nope]\n"


case("limits", "alias-chain-builds-deep-tree", alias_depth_chain())


def merge_bomb():
    out = "stack: lab\nbase0: &b0 {" + ", ".join(f"k{j}: v" for j in range(40)) + "}\n"
    for i in range(1, 12):
        out += f"base{i}: &b{i}\n  <<: [*b{i - 1}, *b{i - 1}, *b{i - 1}]\n  extra{i}: x\n"
    return out + "resources: {}\n"


case("limits", "merge-key-bomb", merge_bomb())
case("limits", "many-aliases-to-small-anchor", "stack: lab\nvalue: &v x\nlist: [" + ", ".join(["*v"] * 12_000) + "]\nresources: {}\n")

# --- the document as a whole ------------------------------------------------------------------

case("document", "root-is-a-list", "- stack: lab\n- resources: {}\n")
case("document", "root-is-a-scalar", "just some text\n")
case("document", "root-is-null", "~\n")
case("document", "root-is-a-number", "42\n")
case("document", "explicit-empty-document", "---\n...\n")
case("document", "unknown-top-level-key", stack(VPC, top="owner: me\n"))
case("document", "misspelled-resources", "stack: lab\nresorces:\n" + VPC)
case("document", "misspelled-outputs", stack(VPC, tail="output:\n  id: ${vpc.id}\n"))
case("document", "resources-is-a-list", "stack: lab\nresources:\n  - vpc\n  - subnet\n")
case("document", "resources-is-a-string", "stack: lab\nresources: vpc\n")
case("document", "variables-is-a-list", stack(VPC, top="variables: [cidr, az]\n"))
case("document", "outputs-is-a-scalar", stack(VPC, tail="outputs: ${vpc.id}\n"))
case("document", "stack-is-a-list", "stack: [lab, prod]\nresources:\n" + VPC)
case("document", "stack-is-a-mapping", "stack: {name: lab}\nresources:\n" + VPC)
case("document", "stack-is-empty", "stack:\nresources:\n" + VPC)
case("document", "stack-name-invalid-characters", "stack: my lab!\nresources:\n" + VPC)
case("document", "stack-name-starts-with-dash", "stack: -lab\nresources:\n" + VPC)
case("document", "stack-name-too-long", f"stack: {'s' * 129}\nresources:\n" + VPC)
case("document", "region-is-a-mapping", stack(VPC, top="region: {name: us-east-1}\n"))
case("document", "region-is-a-number", stack(VPC, top="region: 1\n") + "  broken: {kind: ec2.vpc}\n")
case("document", "default-tags-is-a-list", stack(VPC, top="default_tags: [Project, x]\n"))
case("document", "missing-stack", "resources:\n" + VPC)
case("document", "missing-stack-only-region", "region: us-east-1\n")
case("document", "empty-mapping", "{}\n")
case("document", "integer-key-at-top", stack(VPC) + "1: one\n")
case("document", "null-key-at-top", stack(VPC) + "~: nothing\n")
case("document", "boolean-key-at-top", stack(VPC) + "true: yes\n")

# --- resources in general ---------------------------------------------------------------------

case("resource", "body-is-a-scalar", stack(VPC, "  subnet: ec2.subnet\n"))
case("resource", "body-is-a-list", stack(VPC, "  subnet:\n    - kind: ec2.subnet\n"))
case("resource", "body-is-null", stack(VPC, "  subnet:\n"))
case("resource", "missing-kind", stack("  vpc:\n    cidr_block: 10.0.0.0/16\n"))
case("resource", "kind-is-a-list", stack("  vpc:\n    kind: [ec2.vpc]\n    cidr_block: 10.0.0.0/16\n"))
case("resource", "kind-is-empty", stack("  vpc:\n    kind:\n    cidr_block: 10.0.0.0/16\n"))
case("resource", "unknown-kind", stack("  web:\n    kind: ec2.instance\n    ami: ami-12345678\n"))
case("resource", "misspelled-kind", stack("  vpc:\n    kind: ec2.vcp\n    cidr_block: 10.0.0.0/16\n"))
case("resource", "kind-wrong-case", stack("  vpc:\n    kind: EC2.VPC\n    cidr_block: 10.0.0.0/16\n"))
case("resource", "kind-without-service", stack("  vpc:\n    kind: vpc\n    cidr_block: 10.0.0.0/16\n"))
case("resource", "kind-of-another-tool", stack("  vpc:\n    kind: AWS::EC2::VPC\n    cidr_block: 10.0.0.0/16\n"))
case("resource", "kind-quoted-number", stack("  vpc:\n    kind: \"1\"\n"))
case("resource", "depends-on-is-a-string", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: vpc")))
case("resource", "depends-on-is-a-mapping", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: {vpc: true}")))
case("resource", "depends-on-unknown", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: [gateway]")))
case("resource", "depends-on-null-item", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: [vpc, ~]")))
case("resource", "depends-on-nested-list", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: [[vpc]]")))
case("resource", "many-errors-in-one-resource", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.999/16", "enable_dns_support: maybe", "instance_tenancy: shared", "tagz: {}", "lifecycle: {prevent_destroy: sure}")))

# --- wrong types, kind by kind ----------------------------------------------------------------

WRONG_TYPES = [
    ("ec2.vpc", "cidr_block", "16"),
    ("ec2.vpc", "cidr_block", "[10.0.0.0/16]"),
    ("ec2.vpc", "cidr_block", "true"),
    ("ec2.vpc", "secondary_cidr_blocks", "10.1.0.0/16"),
    ("ec2.vpc", "enable_dns_support", '"true"'),
    ("ec2.vpc", "enable_dns_support", "yes"),
    ("ec2.vpc", "enable_dns_hostnames", "1"),
    ("ec2.vpc", "instance_tenancy", "shared"),
    ("ec2.vpc", "instance_tenancy", "[default]"),
    ("ec2.vpc", "tags", "[Name, web]"),
    ("ec2.vpc", "tags", "{Name: [a, b]}"),
    ("ec2.vpc", "tags", "{Name: ~}"),
    ("ec2.vpc", "tags", "{Name: {first: a}}"),
    ("ec2.subnet", "vpc", "[vpc]"),
    ("ec2.subnet", "vpc", "{name: vpc}"),
    ("ec2.subnet", "cidr_block", "~"),
    ("ec2.subnet", "availability_zone", "[us-east-1a, us-east-1b]"),
    ("ec2.subnet", "availability_zone_id", "{id: use1-az1}"),
    ("ec2.subnet", "map_public_ip_on_launch", '"false"'),
    ("ec2.subnet", "tags", "Name=web"),
    ("ec2.internet_gateway", "vpc", "[vpc]"),
    ("ec2.internet_gateway", "tags", "5"),
    ("ec2.eip", "domain", "public"),
    ("ec2.eip", "domain", "[vpc]"),
    ("ec2.eip", "tags", "[a]"),
    ("ec2.nat_gateway", "subnet", "{id: subnet_a}"),
    ("ec2.nat_gateway", "eip", "[nat_ip]"),
    ("ec2.nat_gateway", "connectivity_type", "Public"),
    ("ec2.nat_gateway", "connectivity_type", "true"),
    ("ec2.route_table", "vpc", "1"),
    ("ec2.route_table", "routes", "{destination_cidr_block: 0.0.0.0/0}"),
    ("ec2.route_table", "routes", "[0.0.0.0/0]"),
    ("ec2.route_table", "routes", "[{destination_cidr_block: 0, internet_gateway: igw}]", "route-destination-is-a-number"),
    ("ec2.route_table", "routes", "[{destination_cidr_block: 0.0.0.0/0, internet_gateway: [igw]}]", "route-target-is-a-list"),
    ("ec2.route_table", "subnets", "subnet_a"),
    ("ec2.route_table", "subnets", "[{name: subnet_a}]"),
    ("ec2.security_group", "name", "[web]"),
    ("ec2.security_group", "description", "{text: web}"),
    ("ec2.security_group", "ingress", "{protocol: tcp, port: 80}"),
    ("ec2.security_group", "ingress", '[{protocol: tcp, port: "80", cidr: 0.0.0.0/0}]', "rule-port-quoted"),
    ("ec2.security_group", "ingress", "[{protocol: tcp, port: 99999999999, cidr: 0.0.0.0/0}]", "rule-port-overflows-i32"),
    ("ec2.security_group", "ingress", "[{protocol: tcp, from_port: low, to_port: high, cidr: 0.0.0.0/0}]", "rule-ports-are-words"),
    ("ec2.security_group", "ingress", "[{protocol: tcp, port: 80, cidr: [0.0.0.0/0]}]", "rule-cidr-is-a-list"),
    ("ec2.security_group", "ingress", "[{protocol: [tcp], port: 80, cidr: 0.0.0.0/0}]", "rule-protocol-is-a-list"),
    ("ec2.security_group", "ingress", "[{protocol: tcp, port: 80.5, cidr: 0.0.0.0/0}]", "rule-port-is-a-float"),
    ("ec2.security_group", "egress", "all"),
    ("ec2.prefix_list", "max_entries", "ten"),
    ("ec2.prefix_list", "max_entries", "-1"),
    ("ec2.prefix_list", "max_entries", "0x100000000"),
    ("ec2.prefix_list", "address_family", "IPv5"),
    ("ec2.prefix_list", "entries", "{cidr: 10.0.0.0/8}"),
    ("ec2.prefix_list", "entries", "[{cidr: 10.0.0.0/8, description: [a]}]", "entry-description-is-a-list"),
    ("ec2.vpc_endpoint", "type", "lambda"),
    ("ec2.vpc_endpoint", "route_tables", "rt"),
    ("ec2.vpc_endpoint", "private_dns_enabled", '"no"'),
    ("ec2.vpc_endpoint", "policy", '"{\\"Statement\\": []}"', "json-in-a-string"),
    ("ec2.vpc_endpoint", "policy", "[allow, all]"),
    ("ec2.vpc_endpoint", "service", "~"),
    ("ec2.vpc_peering_connection", "peer_region", "[us-west-2]"),
    ("ec2.vpc_peering_connection", "requester_options", "true"),
    ("ec2.vpc_peering_connection", "accepter_options", "{allow_dns_resolution_from_remote_vpc: maybe}", "dns-option-maybe"),
    ("ec2.transit_gateway", "amazon_side_asn", "private"),
    ("ec2.transit_gateway", "amazon_side_asn", "99999999999"),
    ("ec2.transit_gateway", "description", "[a, b]"),
    ("ec2.transit_gateway", "dns_support", "enable"),
    ("ec2.transit_gateway", "default_route_table_association", "1"),
    ("ec2.transit_gateway", "auto_accept_shared_attachments", "~"),
    ("ec2.transit_gateway_vpc_attachment", "transit_gateway", "[tgw]"),
    ("ec2.transit_gateway_vpc_attachment", "subnets", "subnet_a"),
    ("ec2.transit_gateway_vpc_attachment", "ipv6_support", "'true'"),
    ("ec2.transit_gateway_vpc_attachment", "appliance_mode_support", "on"),
    ("ec2.transit_gateway_route_table", "associations", "att"),
    ("ec2.transit_gateway_route_table", "propagations", "{att: true}"),
    ("ec2.transit_gateway_route_table", "routes", "[{destination_cidr_block: 10.9.0.0/16, blackhole: \"yes\"}]", "route-blackhole-quoted-yes"),
    ("ec2.transit_gateway_route_table", "routes", "[{destination_cidr_block: 10.9.0.0/16, attachment: [att]}]", "route-attachment-is-a-list"),
]


def slug(s):
    out = "".join(c if c.isalnum() else "-" for c in s.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")[:40]


for kind, field, value, *label in WRONG_TYPES:
    short = kind.removeprefix("ec2.").replace("_", "-")
    what = label[0] if label else f"{field.replace('_', '-')}-{slug(value)}"
    case("type", f"{short}-{what}", kind_doc(kind, set_={field: value}))

# --- unknown and misspelled keys --------------------------------------------------------------

UNKNOWN_KEYS = [
    ("ec2.vpc", "cidr", "10.0.0.0/16"),
    ("ec2.vpc", "enable_dns_suport", "true"),
    ("ec2.subnet", "availabilty_zone", "us-east-1a"),
    ("ec2.subnet", "vpc_id", "vpc-0abc1234"),
    ("ec2.internet_gateway", "attach_to", "vpc"),
    ("ec2.eip", "public_ip", "1.2.3.4"),
    ("ec2.nat_gateway", "elastic_ip", "nat_ip"),
    ("ec2.route_table", "route", "[]"),
    ("ec2.security_group", "ingres", "[]"),
    ("ec2.prefix_list", "entires", "[]"),
    ("ec2.vpc_endpoint", "service_name", "com.amazonaws.us-east-1.s3"),
    ("ec2.vpc_peering_connection", "peer_vpc_id", "vpc-0abc1234"),
    ("ec2.transit_gateway", "asn", "64512"),
    ("ec2.transit_gateway_vpc_attachment", "subnet", "subnet_a"),
    ("ec2.transit_gateway_route_table", "association", "[att]"),
]
for kind, key, value in UNKNOWN_KEYS:
    short = kind.removeprefix("ec2.").replace("_", "-")
    case("unknown-key", f"{short}-{key.replace('_', '-')}", kind_doc(kind, extra=[f"{key}: {value}"]))
case("unknown-key", "route-field", kind_doc("ec2.route_table", set_={"routes": "[{destination: 0.0.0.0/0, gateway: igw}]"}))
case("unknown-key", "security-group-rule-ports", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, ports: 80-90, cidr: 0.0.0.0/0}]"}))
case("unknown-key", "prefix-list-entry-block", kind_doc("ec2.prefix_list", set_={"entries": "[{block: 10.0.0.0/8}]"}))
case("unknown-key", "peering-options-field", kind_doc("ec2.vpc_peering_connection", set_={"accepter_options": "{allow_remote_dns: true}"}))
case("unknown-key", "tgw-route-target", kind_doc("ec2.transit_gateway_route_table", set_={"routes": "[{destination_cidr_block: 10.9.0.0/16, target: att}]"}))
case("unknown-key", "several-misspellings", stack(res("vpc", "ec2.vpc", "cidr_blok: 10.0.0.0/16", "enable_dns_hostname: true", "tag: {Name: x}")))
case("unknown-key", "key-with-trailing-space-quoted", stack(res("vpc", "ec2.vpc", '"cidr_block ": 10.0.0.0/16')))
case("unknown-key", "key-uppercase", stack(res("vpc", "ec2.vpc", "CIDR_BLOCK: 10.0.0.0/16")))
case("unknown-key", "camel-case-keys", stack(res("vpc", "ec2.vpc", "CidrBlock: 10.0.0.0/16", "EnableDnsSupport: true")))

# --- missing required fields ------------------------------------------------------------------

MISSING = [
    ("ec2.vpc", "cidr_block"),
    ("ec2.subnet", "vpc"),
    ("ec2.subnet", "cidr_block"),
    ("ec2.nat_gateway", "subnet"),
    ("ec2.route_table", "vpc"),
    ("ec2.security_group", "vpc"),
    ("ec2.security_group", "name"),
    ("ec2.security_group", "description"),
    ("ec2.prefix_list", "name"),
    ("ec2.prefix_list", "max_entries"),
    ("ec2.vpc_endpoint", "vpc"),
    ("ec2.vpc_endpoint", "service"),
    ("ec2.vpc_peering_connection", "vpc"),
    ("ec2.vpc_peering_connection", "peer_vpc"),
    ("ec2.transit_gateway_vpc_attachment", "transit_gateway"),
    ("ec2.transit_gateway_vpc_attachment", "vpc"),
    ("ec2.transit_gateway_vpc_attachment", "subnets"),
    ("ec2.transit_gateway_route_table", "transit_gateway"),
]
for kind, field in MISSING:
    short = kind.removeprefix("ec2.").replace("_", "-")
    case("missing", f"{short}-{field.replace('_', '-')}", kind_doc(kind, drop=[field]))
case("missing", "security-group-rule-protocol", kind_doc("ec2.security_group", set_={"ingress": "[{port: 22, cidr: 10.0.0.0/8}]"}))
case("missing", "prefix-list-entry-cidr", kind_doc("ec2.prefix_list", set_={"entries": "[{description: office}]"}))
case("missing", "tgw-route-destination", kind_doc("ec2.transit_gateway_route_table", set_={"routes": "[{attachment: att}]"}))
case("missing", "everything-in-flow-mapping", stack("  vpc: {kind: ec2.vpc}\n  s: {kind: ec2.subnet}\n  sg: {kind: ec2.security_group}\n"))

# --- references -------------------------------------------------------------------------------

case("ref", "unknown-vpc", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: main_vpc", "cidr_block: 10.0.1.0/24")))
case("ref", "misspelled-vpc", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vcp", "cidr_block: 10.0.1.0/24")))
case("ref", "wrong-kind-subnet-vpc", stack(VPC, SUBNET, res("subnet_c", "ec2.subnet", "vpc: subnet_a", "cidr_block: 10.0.3.0/24")))
case("ref", "wrong-kind-nat-eip", stack(VPC, SUBNET, IGW, res("nat", "ec2.nat_gateway", "subnet: subnet_a", "eip: vpc")))
case("ref", "wrong-kind-route-internet-gateway", stack(VPC, SUBNET, IGW, EIP, NAT, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, internet_gateway: nat}")))
case("ref", "wrong-kind-route-table-subnets", stack(VPC, SUBNET, res("rt", "ec2.route_table", "vpc: vpc", "subnets: [vpc]")))
case("ref", "wrong-kind-security-group-rule", stack(VPC, res("web", "ec2.security_group", "vpc: vpc", "name: web", "description: web", "ingress:", "  - {protocol: tcp, port: 80, security_group: vpc}")))
case("ref", "wrong-kind-rule-prefix-list", stack(VPC, SUBNET, res("web", "ec2.security_group", "vpc: vpc", "name: web", "description: web", "ingress:", "  - {protocol: tcp, port: 80, prefix_list: subnet_a}")))
case("ref", "wrong-kind-endpoint-route-tables", stack(VPC, SUBNET, res("s3", "ec2.vpc_endpoint", "vpc: vpc", "service: s3", "route_tables: [subnet_a]")))
case("ref", "wrong-kind-attachment-gateway", stack(VPC, SUBNET, res("att", "ec2.transit_gateway_vpc_attachment", "transit_gateway: vpc", "vpc: vpc", "subnets: [subnet_a]")))
case("ref", "wrong-kind-tgw-table-associations", stack(VPC, SUBNET, TGW, ATT, res("trt", "ec2.transit_gateway_route_table", "transit_gateway: tgw", "associations: [subnet_a]")))
case("ref", "wrong-kind-peer-vpc", stack(VPC, SUBNET, res("peer", "ec2.vpc_peering_connection", "vpc: vpc", "peer_vpc: subnet_a")))
case("ref", "unknown-attribute", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vpc.cidr}\"}")))
case("ref", "unknown-resource-in-expression", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vcp.id}\"}")))
case("ref", "unknown-variable", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}")))
case("ref", "unknown-variable-near-miss", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr_blok}"), top="variables:\n  cidr_block: {default: 10.0.0.0/16}\n"))
case("ref", "empty-variable-name", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.}")))
case("ref", "expression-without-attribute", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vpc}\"}")))
case("ref", "expression-unclosed", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vpc.id\"}")))
case("ref", "expression-three-parts", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vpc.tags.Name}\"}")))
case("ref", "expression-empty", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${}\"}")))
case("ref", "expression-with-spaces", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${ vpc.id }\"}")))
case("ref", "expression-starts-with-digit", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${1vpc.id}\"}")))
case("ref", "expression-nested", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${${vpc.id}.id}\"}")))
case("ref", "expression-in-typed-reference", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: ${vpc.id}", "cidr_block: 10.0.1.0/24")))
case("ref", "expression-in-cidr-list", stack(VPC2, res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [\"${vpc2.cidr}\"]")))
case("ref", "expression-unknown-in-output", stack(VPC, tail="outputs:\n  id: ${vpc.arnn}\n"))
case("ref", "expression-unknown-resource-in-output", stack(VPC, tail="outputs:\n  id: ${gateway.id}\n"))
case("ref", "unknown-route-target", stack(VPC, SUBNET, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, nat_gateway: nat}")))
case("ref", "unknown-route-table-subnet", stack(VPC, SUBNET, res("rt", "ec2.route_table", "vpc: vpc", "subnets: [subnet_a, subnet_z]")))
case("ref", "external-id-of-wrong-shape", stack(res("subnet_a", "ec2.subnet", "vpc: vpc-XYZ", "cidr_block: 10.0.1.0/24")))
case("ref", "dollar-brace-in-stack-name", "stack: ${var.name}\nresources:\n" + VPC)

# --- dependency cycles ------------------------------------------------------------------------

case("cycle", "depends-on-itself", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "depends_on: [vpc]")))
case("cycle", "two-resources-depends-on", stack(res("a", "ec2.vpc", "cidr_block: 10.0.0.0/16", "depends_on: [b]"), res("b", "ec2.vpc", "cidr_block: 10.1.0.0/16", "depends_on: [a]")))
case("cycle", "typed-reference-and-depends-on", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "depends_on: [subnet_a]"), SUBNET))
case("cycle", "through-expressions", stack(res("a", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Peer: \"${b.id}\"}"), res("b", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${a.id}\"}")))
case("cycle", "expression-on-itself", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Self: \"${vpc.arn}\"}")))
case("cycle", "five-resources", stack(*[res(f"r{i}", "ec2.eip", f"depends_on: [r{(i + 1) % 5}]") for i in range(5)]))
case("cycle", "two-separate-cycles", stack(res("a", "ec2.eip", "depends_on: [b]"), res("b", "ec2.eip", "depends_on: [a]"), res("c", "ec2.eip", "depends_on: [d]"), res("d", "ec2.eip", "depends_on: [c]")))
case("cycle", "nat-and-route-table", stack(VPC, SUBNET, IGW, EIP, res("nat", "ec2.nat_gateway", "subnet: subnet_a", "eip: nat_ip", "depends_on: [rt]"), res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, nat_gateway: nat}")))

# --- CIDR blocks ------------------------------------------------------------------------------

CIDRS = [
    ("octet-256", "10.0.256.0/24"),
    ("octet-300", "300.0.0.0/16"),
    ("prefix-33", "10.0.0.0/33"),
    ("prefix-negative", "10.0.0.0/-1"),
    ("prefix-missing", "10.0.0.0"),
    ("prefix-empty", "10.0.0.0/"),
    ("host-bits-set", "10.0.0.1/16"),
    ("three-octets", "10.0.0/16"),
    ("five-octets", "10.0.0.0.0/16"),
    ("ipv6", "'2001:db8::/32'"),
    ("with-spaces", "'10.0.0.0 / 16'"),
    ("two-prefixes", "10.0.0.0/16/8"),
    ("hex-octets", "0x0a.0.0.0/16"),
    ("empty-string", "''"),
    ("prefix-too-short-for-vpc", "10.0.0.0/8"),
    ("prefix-too-long-for-vpc", "10.0.0.0/29"),
]
for name, value in CIDRS:
    case("cidr", f"vpc-{name}", stack(res("vpc", "ec2.vpc", f"cidr_block: {value}")))
case("cidr", "subnet-outside-vpc", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.9.0.0/24")))
case("cidr", "subnet-larger-than-vpc", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/24"), res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.0.0/16")))
case("cidr", "subnet-prefix-too-long", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/29")))
case("cidr", "overlapping-subnets", stack(VPC, SUBNET, res("subnet_b", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.128/25")))
case("cidr", "identical-subnets", stack(VPC, SUBNET, res("subnet_b", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24")))
case("cidr", "secondary-overlaps-primary", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [10.0.128.0/17]")))
case("cidr", "secondary-invalid", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [10.1.0.0/16, 10.2.0.0/33]")))
case("cidr", "route-destination-host-bits", stack(VPC, SUBNET, IGW, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.1/0, internet_gateway: igw}")))
case("cidr", "route-ipv6-destination-invalid", stack(VPC, SUBNET, IGW, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_ipv6_cidr_block: 'fe80::zz/64', internet_gateway: igw}")))
case("cidr", "rule-cidr-invalid", stack(VPC, res("web", "ec2.security_group", "vpc: vpc", "name: web", "description: web", "ingress:", "  - {protocol: tcp, port: 80, cidr: 0.0.0.0/40}")))
case("cidr", "rule-ipv6-cidr-invalid", stack(VPC, res("web", "ec2.security_group", "vpc: vpc", "name: web", "description: web", "ingress:", "  - {protocol: tcp, port: 80, ipv6_cidr: '::/200'}")))
case("cidr", "prefix-list-entry-host-bits", kind_doc("ec2.prefix_list", set_={"entries": "[{cidr: 203.0.113.7/24}]"}))
case("cidr", "prefix-list-ipv6-in-ipv4-list", kind_doc("ec2.prefix_list", set_={"entries": "[{cidr: '2001:db8::/32'}]"}))
case("cidr", "tgw-route-destination-invalid", kind_doc("ec2.transit_gateway_route_table", set_={"routes": "[{destination_cidr_block: 10.9.0.0/99, attachment: att}]"}))
case("cidr", "peered-vpcs-overlap", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.0.128.0/17"), res("peer", "ec2.vpc_peering_connection", "vpc: vpc", "peer_vpc: vpc2")))

# --- duplicate keys ---------------------------------------------------------------------------

case("dupkey", "top-level-stack", "stack: lab\nstack: prod\nresources:\n" + VPC)
case("dupkey", "resource-field", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "cidr_block: 10.1.0.0/16")))
case("dupkey", "resource-name", stack(VPC, VPC))
case("dupkey", "tag-key", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", "  Name: a", "  Name: b")))
case("dupkey", "flow-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: a, Team: b, Name: c}")))
case("dupkey", "quoted-and-plain", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", '"cidr_block": 10.1.0.0/16')))
case("dupkey", "variables", stack(VPC, top="variables:\n  cidr: {}\n  cidr: {default: x}\n"))
case("dupkey", "resources-section", stack(VPC) + "resources:\n" + VPC2)
case("dupkey", "kind-twice", stack("  vpc:\n    kind: ec2.vpc\n    kind: ec2.subnet\n    cidr_block: 10.0.0.0/16\n"))
case("dupkey", "single-and-double-quoted", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {'Name': a, \"Name\": b}")))

# --- names ------------------------------------------------------------------------------------

case("name", "reserved-var", stack("  var:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"))
case("name", "reserved-self", stack("  self:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"))
case("name", "resource-starts-with-digit", stack("  1vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"))
case("name", "resource-with-space", stack('  "my vpc":\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n'))
case("name", "resource-with-dot", stack("  vpc.main:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"))
case("name", "resource-too-long", stack(f"  {'v' * 65}:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"))
case("name", "resource-looks-like-aws-id", stack("  vpc-0abc1234:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"))
case("name", "resource-non-ascii", stack("  vpc_é:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"))
case("name", "resource-empty-quoted", stack('  "":\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n'))
case("name", "variable-invalid", stack(VPC, top="variables:\n  1cidr: {default: x}\n"))
case("name", "output-invalid", stack(VPC, tail="outputs:\n  vpc id: ${vpc.id}\n"))
case("name", "security-group-name-sg-prefix", kind_doc("ec2.security_group", set_={"name": "sg-web"}))
case("name", "security-group-name-empty", kind_doc("ec2.security_group", set_={"name": "''"}))
case("name", "prefix-list-reserved-name", kind_doc("ec2.prefix_list", set_={"name": "com.amazonaws.office"}))
case("name", "two-security-groups-same-name", stack(VPC, SG, res("web2", "ec2.security_group", "vpc: vpc", "name: web", "description: again")))

# --- tags -------------------------------------------------------------------------------------

case("tag", "aws-prefix", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {aws:owner: me}")))
case("tag", "aws-prefix-uppercase", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {AWS:Owner: me}")))
case("tag", "strata-prefix", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {strata:stack: other}")))
case("tag", "key-too-long", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", f"tags: {{{'k' * 129}: v}}")))
case("tag", "value-too-long", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", f"tags: {{Name: {'v' * 257}}}")))
case("tag", "empty-key", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {'': empty}")))
case("tag", "too-many", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", *[f"  T{i}: v" for i in range(49)])))
case("tag", "too-many-with-defaults", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", *[f"  T{i}: v" for i in range(30)]), top="default_tags:\n" + "".join(f"  D{i}: v\n" for i in range(20))))
case("tag", "default-tags-too-many", stack(VPC, top="default_tags:\n" + "".join(f"  D{i}: v\n" for i in range(60))))
case("tag", "key-long-unicode", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", f"tags: {{{'é' * 129}: v}}")))

# --- lifecycle --------------------------------------------------------------------------------

case("lifecycle", "is-a-list", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: [prevent_destroy]")))
case("lifecycle", "is-a-string", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: prevent_destroy")))
case("lifecycle", "misspelled-option", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {prevent_destory: true}")))
case("lifecycle", "prevent-destroy-string", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {prevent_destroy: \"true\"}")))
case("lifecycle", "create-before-destroy-yes", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {create_before_destroy: yes}")))
case("lifecycle", "ignore-changes-string", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: tags}")))
case("lifecycle", "ignore-changes-unknown-field", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: [cidr]}")))
case("lifecycle", "ignore-changes-key-of-scalar-field", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: [cidr_block.x]}")))
case("lifecycle", "ignore-changes-mapping-item", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: [{tags: Name}]}")))
case("lifecycle", "ignore-changes-kind", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: [kind]}")))

# --- variables --------------------------------------------------------------------------------

case("var", "declaration-is-a-list", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: [10.0.0.0/16]\n"))
case("var", "declaration-is-a-scalar", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: 10.0.0.0/16\n"))
case("var", "declaration-unknown-key", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {type: string, default: 10.0.0.0/16}\n"))
case("var", "sensitive-not-boolean", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {sensitive: \"yes\", default: 10.0.0.0/16}\n"))
case("var", "description-is-a-list", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {description: [a, b], default: 10.0.0.0/16}\n"))
case("var", "no-value", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {}\n"))
case("var", "null-declaration-no-value", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr:\n"))
case("var", "list-inside-a-string", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: \"vpc-${var.names}\"}"), top="variables:\n  names: {default: [a, b]}\n"))
case("var", "default-of-wrong-type", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {default: [10.0.0.0/16]}\n"))
case("var", "default-invalid-cidr", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {default: 10.0.0.0/99}\n"))
case("var", "unclosed-reference", stack(res("vpc", "ec2.vpc", "cidr_block: \"${var.cidr\""), top="variables:\n  cidr: {default: 10.0.0.0/16}\n"))
case("var", "reference-in-variable-default", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  base: {default: 10.0.0.0/16}\n  cidr: {default: \"${var.base}\"}\n"))
case("var", "variable-in-kind", stack(res("vpc", "${var.kind}", "cidr_block: 10.0.0.0/16"), top="variables:\n  kind: {default: ec2.vcp}\n"))
case("var", "variable-as-resource-name", stack("  ${var.name}:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n", top="variables:\n  name: {default: vpc}\n"))
case("var", "mapping-variable-in-tag", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Owner: \"team-${var.owner}\"}"), top="variables:\n  owner: {default: {name: a}}\n"))

# --- outputs ----------------------------------------------------------------------------------

case("output", "is-a-list", stack(VPC, tail="outputs:\n  id: [\"${vpc.id}\"]\n"))
case("output", "unknown-key", stack(VPC, tail="outputs:\n  id: {value: \"${vpc.id}\", export: true}\n"))
case("output", "missing-value", stack(VPC, tail="outputs:\n  id: {description: the VPC}\n"))
case("output", "value-is-null", stack(VPC, tail="outputs:\n  id:\n"))
case("output", "sensitive-quoted", stack(VPC, tail="outputs:\n  id: {value: \"${vpc.id}\", sensitive: \"true\"}\n"))
case("output", "description-is-a-list", stack(VPC, tail="outputs:\n  id: {value: \"${vpc.id}\", description: [a]}\n"))
case("output", "value-is-a-mapping", stack(VPC, tail="outputs:\n  id: {value: {a: b}}\n"))
case("output", "malformed-expression", stack(VPC, tail="outputs:\n  id: \"${vpc..id}\"\n"))

# --- each kind's own checks -------------------------------------------------------------------

case("check", "public-nat-without-eip", stack(VPC, SUBNET, IGW, res("nat", "ec2.nat_gateway", "subnet: subnet_a")))
case("check", "private-nat-with-eip", stack(VPC, SUBNET, EIP, res("nat", "ec2.nat_gateway", "subnet: subnet_a", "eip: nat_ip", "connectivity_type: private")))
case("check", "eip-on-two-nat-gateways", stack(VPC, SUBNET, SUBNET_B, IGW, EIP, NAT, res("nat_b", "ec2.nat_gateway", "subnet: subnet_b", "eip: nat_ip")))
case("check", "two-internet-gateways-one-vpc", stack(VPC, IGW, res("igw2", "ec2.internet_gateway", "vpc: vpc")))
case("check", "route-with-two-targets", stack(VPC, SUBNET, IGW, EIP, NAT, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw, nat_gateway: nat}")))
case("check", "route-without-destination", stack(VPC, SUBNET, IGW, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {internet_gateway: igw}")))
case("check", "two-routes-same-destination", stack(VPC, SUBNET, IGW, EIP, NAT, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}", "  - {destination_cidr_block: 0.0.0.0/0, nat_gateway: nat}")))
case("check", "subnet-in-two-route-tables", stack(VPC, SUBNET, res("rt1", "ec2.route_table", "vpc: vpc", "subnets: [subnet_a]"), res("rt2", "ec2.route_table", "vpc: vpc", "subnets: [subnet_a]")))
case("check", "rule-unknown-protocol", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcpp, port: 80, cidr: 0.0.0.0/0}]"}))
case("check", "rule-two-sources", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, port: 80, cidr: 0.0.0.0/0, security_group: self}]"}))
case("check", "rule-no-source", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, port: 80}]"}))
case("check", "rule-backwards-range", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, from_port: 90, to_port: 80, cidr: 0.0.0.0/0}]"}))
case("check", "rule-port-out-of-range", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: udp, port: 70000, cidr: 0.0.0.0/0}]"}))
case("check", "rule-all-protocols-with-port", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: all, port: 22, cidr: 0.0.0.0/0}]"}))
case("check", "rule-tcp-without-ports", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, cidr: 0.0.0.0/0}]"}))
case("check", "rule-port-and-range", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, port: 22, from_port: 22, to_port: 23, cidr: 0.0.0.0/0}]"}))
case("check", "rule-written-twice", kind_doc("ec2.security_group", set_={"egress": "[{protocol: tcp, port: 443, cidr: 0.0.0.0/0}, {protocol: tcp, port: 443, cidr: 0.0.0.0/0, description: again}]"}))
case("check", "security-group-description-non-ascii", kind_doc("ec2.security_group", set_={"description": "serveurs web — production"}))
case("check", "prefix-list-max-entries-zero", kind_doc("ec2.prefix_list", set_={"max_entries": "0"}))
case("check", "prefix-list-too-many-entries", kind_doc("ec2.prefix_list", set_={"max_entries": "1", "entries": "[{cidr: 10.0.0.0/8}, {cidr: 192.168.0.0/16}]"}))
case("check", "prefix-list-duplicate-entry", kind_doc("ec2.prefix_list", set_={"entries": "[{cidr: 10.0.0.0/8}, {cidr: 10.0.0.0/8}]"}))
case("check", "gateway-endpoint-with-subnets", kind_doc("ec2.vpc_endpoint", set_={"subnets": "[subnet_a]"}))
case("check", "interface-endpoint-without-subnets", kind_doc("ec2.vpc_endpoint", set_={"type": "interface"}, drop=["route_tables"]))
case("check", "vpc-peers-with-itself", kind_doc("ec2.vpc_peering_connection", set_={"peer_vpc": "vpc"}))
case("check", "transit-gateway-public-asn", kind_doc("ec2.transit_gateway", set_={"amazon_side_asn": "100"}))
case("check", "attachment-without-subnets", kind_doc("ec2.transit_gateway_vpc_attachment", set_={"subnets": "[]"}))
case("check", "attachment-subnet-of-other-vpc", stack(VPC, VPC2, res("other", "ec2.subnet", "vpc: vpc2", "cidr_block: 10.1.1.0/24"), TGW, res("att", "ec2.transit_gateway_vpc_attachment", "transit_gateway: tgw", "vpc: vpc", "subnets: [other]")))
case("check", "attachment-two-subnets-one-zone", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "availability_zone: us-east-1a"), res("subnet_b", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.2.0/24", "availability_zone: us-east-1a"), TGW, res("att", "ec2.transit_gateway_vpc_attachment", "transit_gateway: tgw", "vpc: vpc", "subnets: [subnet_a, subnet_b]")))
case("check", "tgw-route-attachment-and-blackhole", kind_doc("ec2.transit_gateway_route_table", set_={"routes": "[{destination_cidr_block: 10.9.0.0/16, attachment: att, blackhole: true}]"}))
case("check", "tgw-default-association-and-own-table", stack(VPC, SUBNET, res("tgw", "ec2.transit_gateway"), ATT, res("trt", "ec2.transit_gateway_route_table", "transit_gateway: tgw", "associations: [att]")))
case("check", "dns-hostnames-without-dns-support", kind_doc("ec2.vpc", set_={"enable_dns_support": "false", "enable_dns_hostnames": "true"}))
case("check", "subnet-zone-name-and-id", kind_doc("ec2.subnet", set_={"availability_zone": "us-east-1a", "availability_zone_id": "use1-az1"}))

# --- several files ----------------------------------------------------------------------------

case("multi", "same-resource-in-two-files", {"network.yaml": stack(VPC), "more.yaml": "resources:\n" + VPC})
case("multi", "conflicting-stack-names", {"a.yaml": stack(VPC), "b.yaml": "stack: prod\nresources:\n" + VPC2})
case("multi", "conflicting-regions", {"a.yaml": stack(VPC, top="region: us-east-1\n"), "b.yaml": "region: eu-west-1\nresources:\n" + VPC2})
case("multi", "conflicting-default-tags", {"a.yaml": stack(VPC, top="default_tags: {Team: a}\n"), "b.yaml": "default_tags: {Team: b}\n"})
case("multi", "one-file-with-syntax-error", {"a.yaml": stack(VPC), "b.yaml": "resources:\n  vpc2: {kind: ec2.vpc, cidr_block: [10.1.0.0/16}\n"})
case("multi", "cycle-across-files", {"a.yaml": stack(res("a", "ec2.eip", "depends_on: [b]")), "b.yaml": "resources:\n" + res("b", "ec2.eip", "depends_on: [a]")})
case("multi", "no-file-sets-stack", {"a.yaml": "resources:\n" + VPC, "b.yml": "resources:\n" + VPC2})
case("multi", "variable-declared-in-two-files", {"a.yaml": stack(VPC, top="variables:\n  cidr: {default: 10.0.0.0/16}\n"), "b.yaml": "variables:\n  cidr: {default: 10.1.0.0/16}\n"})
case("multi", "output-defined-in-two-files", {"a.yaml": stack(VPC, tail="outputs:\n  id: ${vpc.id}\n"), "b.yaml": "outputs:\n  id: ${vpc.arn}\n"})
case("multi", "reference-into-broken-file", {"a.yaml": stack(SUBNET), "b.yaml": "resources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/99\n"})
case("multi", "one-file-not-utf8", {"a.yaml": stack(VPC), "b.yaml": b"resources:\n  vpc2: {kind: ec2.vpc, cidr_block: 10.1.0.0/16, tags: {Owner: Jos\xe9}}\n"})
case("multi", "one-file-two-documents", {"a.yaml": stack(VPC), "b.yaml": "resources:\n" + VPC2 + "---\nresources: {}\n"})
case("multi", "no-documents-only-other-files", {"notes.txt": "stack: lab\n", "dev.vars.yaml": "cidr: 10.0.0.0/16\n", ".hidden.yaml": stack(VPC)}, located=False)

# --- hostile or odd input ---------------------------------------------------------------------

case("hostile", "nul-byte", stack(VPC).replace("lab", "la\x00b"))
case("hostile", "control-characters", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: \"\x07\x1b[31mred\"}")) + "\x1b[0m\n")
case("hostile", "bom-in-the-middle", stack(VPC).replace("resources:", "\ufeffresources:"))
case("hostile", "bom-then-error", "\ufeff" + stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/99")))
case("hostile", "crlf-line-endings", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/33")).replace("\n", "\r\n"))
case("hostile", "cr-only-line-endings", stack(res("vpc", "ec2.vpc", "cidr_blok: 10.0.0.0/16")).replace("\n", "\r"))
case("hostile", "cyrillic-homoglyph-key", "\u0455tack: lab\nresources:\n" + VPC)
case("hostile", "zero-width-space-in-key", stack(res("vpc", "ec2.vpc", "cidr\u200b_block: 10.0.0.0/16")))
case("hostile", "right-to-left-override", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {\"\u202eemaN\": x}", "instance_tenancy: \u202eshared")))
case("hostile", "emoji-names", stack("  \U0001F680:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    tags: {\U0001F3F7: \U0001F600}\n"))
case("hostile", "combining-characters", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: e\u0301\u0301\u0301}", "cidr_blocḱ: x")))
case("hostile", "wide-characters-before-error", "stack: lab\n# 日本語のコメント\nresources:\n  vpc:\n    kind: ec2.vpc\n    tags: {名前: 東京}\n    cidr_block: 東京/16\n")
case("hostile", "very-long-line", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: " + "x" * 100_000 + "}")))
case("hostile", "very-long-key", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "k" * 20_000 + ": v")))
case("hostile", "error-at-end-of-very-long-line", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: " + "y" * 50_000 + "}}")))
case("hostile", "many-errors", stack(*[res(f"vpc{i}", "ec2.vpc", f"cidr_block: 10.{i}.0.0/{33 + i % 5}") for i in range(50)]))
case("hostile", "many-resources-one-error", stack(*[res(f"eip{i}", "ec2.eip") for i in range(2000)], res("last", "ec2.eip", "domain: mars")))
case("hostile", "many-keys-in-one-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", *[f"  K{i}: v" for i in range(5000)])))
case("hostile", "no-trailing-newline-error", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16")) + "    tags: {")
case("hostile", "error-on-last-byte", stack(VPC) + '"')
case("hostile", "only-a-colon", ":\n")
case("hostile", "only-dashes", "- - - -\n")
case("hostile", "only-brackets", "[[{]}]\n")
case("hostile", "yaml-1-1-booleans", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "enable_dns_support: on", "enable_dns_hostnames: No")))
case("hostile", "json-syntax", '{"stack": "lab", "resources": {"vpc": {"kind": "ec2.vpc", "cidr_block": "10.0.0.0/16",}}, "region": }\n')
case("hostile", "toml-syntax", '[stack]\nname = "lab"\n\n[resources.vpc]\nkind = "ec2.vpc"\n')
case("hostile", "terraform-syntax", 'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n')
case("hostile", "shell-script", "#!/bin/sh\nset -e\nrm -rf / # not really\necho $((1+1))\n")
case("hostile", "anchor-on-key", stack(VPC) + "  &k other:\n    kind: ec2.vpc\n    cidr_block: 10.1.0.0/16\n  *k : again\n")
case("hostile", "huge-integer", kind_doc("ec2.transit_gateway", set_={"amazon_side_asn": "9" * 400}))
case("hostile", "huge-float", kind_doc("ec2.prefix_list", set_={"max_entries": "1e400"}))
case("hostile", "negative-zero-and-nan", kind_doc("ec2.prefix_list", set_={"max_entries": ".nan"}))

# --- nothing to load --------------------------------------------------------------------------

# These have no YAML document at all, so there is no place to point at: "no document sets
# `stack:`" is all there is to say.
case("empty", "empty-file", "", located=False)
case("empty", "whitespace-only", "   \n\n\t\n  \n", located=False)
case("empty", "comment-only", "# yaml-language-server: $schema=../../schemas/strata.schema.json\n# TODO\n", located=False)
case("empty", "newlines-only", "\n\n\n", located=False)
case("empty", "bom-only", "\ufeff", located=False)
case("empty", "document-markers-only", "---\n", located=True)


# --- writing ----------------------------------------------------------------------------------


def write(path, content):
    with open(path, "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode("utf-8"))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    names = []
    seen = set()
    for n, (category, description, content) in enumerate(CASES, start=1):
        name = f"{n:03d}-{category}-{description}"
        assert (category, description) not in seen, f"two cases named {category}-{description}"
        seen.add((category, description))
        if isinstance(content, dict):
            os.makedirs(os.path.join(OUT, name))
            for file, text in content.items():
                write(os.path.join(OUT, name, file), text)
        else:
            name += ".yaml"
            write(os.path.join(OUT, name), content)
        names.append((name, (category, description) in UNLOCATED))

    with open(os.path.join(HERE, "unlocated.txt"), "w") as f:
        f.write("# Corpus cases whose diagnostics have no location: nothing in them to point at.\n")
        f.write("# Generated by generate.py; the tests read it.\n")
        for name, unlocated in names:
            if unlocated:
                f.write(name + "\n")

    if os.path.isdir(SEEDS):
        shutil.rmtree(SEEDS)
    os.makedirs(SEEDS)
    for name, _ in names:
        src = os.path.join(OUT, name)
        if os.path.isdir(src):
            for file in sorted(os.listdir(src)):
                shutil.copyfile(os.path.join(src, file), os.path.join(SEEDS, f"{name}--{file.lstrip('.')}"))
        else:
            shutil.copyfile(src, os.path.join(SEEDS, name))
    examples = os.path.join(ROOT, "examples")
    for ex in sorted(os.listdir(examples)):
        doc = os.path.join(examples, ex, "stack.yaml")
        if os.path.isfile(doc):
            shutil.copyfile(doc, os.path.join(SEEDS, f"example-{ex}.yaml"))

    counts = {}
    for category, _, _ in CASES:
        counts[category] = counts.get(category, 0) + 1
    summary = ", ".join(f"{c} {k}" for k, c in counts.items())
    print(f"{len(CASES)} cases in {os.path.relpath(OUT, ROOT)} ({summary})", file=sys.stderr)


if __name__ == "__main__":
    main()
