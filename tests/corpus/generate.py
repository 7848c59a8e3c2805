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

Each case names the diagnostic code it is about (`code=`), and the codes it may report besides
as consequences of that one mistake (`also=`): the tests fail a case that does not report its
code, or reports any other.

The script also writes:
* tests/corpus/expected.txt: every case's code and allowed consequences, read by the tests;
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

CASES = []  # (category, description, content, codes): content is str, bytes or {name: str|bytes}
UNLOCATED = set()  # descriptions of cases without any location to give

# Every diagnostic code strata has (crates/strata-model), so that a misspelt expectation fails
# here rather than in the tests.
CODES = {
    "alias_bomb", "conflicting_fields", "conflicting_settings", "cycle", "duplicate_association",
    "duplicate_attachment", "duplicate_entry", "duplicate_key", "duplicate_name", "duplicate_route",
    "duplicate_rule", "duplicate_zone", "invalid_cidr", "invalid_document", "invalid_name",
    "invalid_reference", "invalid_route", "invalid_rule", "invalid_tag", "invalid_value",
    "missing_field", "missing_stack", "missing_variable", "no_documents", "not_utf8",
    "overlapping_cidr", "overlapping_subnets", "subnet_outside_vpc", "too_deep",
    "too_many_entries", "too_many_tags", "unknown_attribute", "unknown_field", "unknown_key",
    "unknown_kind", "unknown_reference", "unknown_variable", "wrong_kind", "wrong_vpc", "yaml",
    "yaml_syntax",
}


def case(category, description, content, code, also=(), located=True):
    """One case. `code` is the diagnostic its name is about: loading it must report that code.
    `also` lists the other codes it may report besides, each a consequence of the same mistake
    (an unknown key in a route leaves the route without a target); any other code fails the
    tests."""
    for c in (code, *also):
        assert c in CODES, f"{category}-{description}: unknown code {c}"
    CASES.append((category, description, content, (code, *also)))
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

case("yaml", "unclosed-flow-sequence", stack(res("vpc", "ec2.vpc", "cidr_block: [10.0.0.0/16")), code="yaml_syntax")
case("yaml", "unclosed-flow-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: web")), code="yaml_syntax")
case("yaml", "unclosed-double-quote", stack(res("vpc", "ec2.vpc", 'cidr_block: "10.0.0.0/16')), code="yaml_syntax")
case("yaml", "unclosed-single-quote", stack(res("vpc", "ec2.vpc", "cidr_block: '10.0.0.0/16")), code="yaml_syntax")
case("yaml", "unclosed-quote-at-eof", 'stack: lab\nresources:\n  vpc:\n    kind: "ec2.vpc', code="yaml_syntax")
case("yaml", "extra-closing-bracket", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [10.1.0.0/16]]")), code="yaml_syntax")
case("yaml", "extra-closing-brace", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: x}}")), code="yaml_syntax")
case("yaml", "flow-mapping-missing-comma", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: x Team: y}")), code="yaml_syntax")
case("yaml", "flow-sequence-missing-comma-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [a: 1 b: 2]")), code="yaml_syntax")
case("yaml", "bad-indentation-key-dedented", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n   cidr_block: 10.0.0.0/16\n", code="yaml_syntax")
case("yaml", "bad-indentation-key-over-indented", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n      cidr_block: 10.0.0.0/16\n", code="yaml_syntax")
case("yaml", "bad-indentation-sequence-under-map", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    secondary_cidr_blocks:\n  - 10.1.0.0/16\n", code="yaml_syntax")
case("yaml", "tab-indentation", "stack: lab\nresources:\n\tvpc:\n\t\tkind: ec2.vpc\n\t\tcidr_block: 10.0.0.0/16\n", code="yaml_syntax")
case("yaml", "tab-mixed-with-spaces", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n  \tcidr_block: 10.0.0.0/16\n", code="yaml_syntax")
case("yaml", "stray-colon-in-value", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16: x")), code="yaml_syntax")
case("yaml", "stray-colon-mapping-in-plain-value", "stack: lab\nresources:\n  vpc: kind: ec2.vpc\n", code="yaml_syntax")
case("yaml", "sequence-item-in-mapping", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    - cidr_block: 10.0.0.0/16\n", code="yaml_syntax")
case("yaml", "mapping-after-sequence-item", "stack: lab\nresources:\n  - vpc\n  kind: ec2.vpc\n", code="yaml_syntax")
case("yaml", "invalid-escape", stack(res("vpc", "ec2.vpc", 'cidr_block: "10.0.0.0\\q16"')), code="yaml_syntax")
case("yaml", "invalid-unicode-escape", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", 'tags: {Name: "\\uZZZZ"}')), code="yaml_syntax")
case("yaml", "invalid-hex-escape", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", 'tags: {Name: "\\xG1"}')), code="yaml_syntax")
case("yaml", "escape-of-surrogate", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", 'tags: {Name: "\\uD800"}')), code="yaml_syntax")
case("yaml", "undefined-alias", stack(res("vpc", "ec2.vpc", "cidr_block: *block")), code="yaml_syntax")
case("yaml", "alias-before-anchor", stack(res("a", "ec2.vpc", "cidr_block: *block"), res("b", "ec2.vpc", "cidr_block: &block 10.1.0.0/16")), code="yaml_syntax")
case("yaml", "anchor-without-name", stack(res("vpc", "ec2.vpc", "cidr_block: & 10.0.0.0/16")), code="yaml_syntax")
case("yaml", "alias-with-value", stack(res("vpc", "ec2.vpc", "cidr_block: &b 10.0.0.0/16"), "  other: *b extra\n"), code="yaml_syntax")
case("yaml", "two-documents", stack(VPC) + "---\nstack: lab\nresources: {}\n", code="invalid_document")
case("yaml", "three-documents-with-end-markers", "---\n" + stack(VPC) + "...\n---\nregion: us-east-1\n...\n---\nstack: other\n", code="invalid_document")
case("yaml", "content-after-document-end", stack(VPC) + "...\nregion: us-east-1\n", code="invalid_document")
case("yaml", "duplicate-yaml-directive", "%YAML 1.2\n%YAML 1.2\n---\n" + stack(VPC), code="yaml_syntax")
case("yaml", "directive-without-document-start", "%YAML 1.2\n" + stack(VPC), code="yaml_syntax")
case("yaml", "unknown-tag-handle", stack(res("vpc", "ec2.vpc", "cidr_block: !cidr 10.0.0.0/16")), code="yaml")
case("yaml", "core-tag-int", stack(res("vpc", "ec2.vpc", "cidr_block: !!int 10")), code="yaml")
case("yaml", "binary-tag", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Blob: !!binary aGVsbG8=}")), code="yaml")
case("yaml", "tag-on-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: !!map {Name: x}")), code="yaml")
case("yaml", "undeclared-tag-handle", stack(res("vpc", "ec2.vpc", "cidr_block: !e!cidr 10.0.0.0/16")), code="yaml_syntax")
case("yaml", "complex-key-flow-sequence", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "[a, b]: c")), code="yaml")
case("yaml", "complex-key-explicit", "stack: lab\nresources:\n  ? {name: vpc}\n  : kind: ec2.vpc\n", code="yaml")
case("yaml", "merge-key-with-scalar", stack(res("vpc", "ec2.vpc", "<<: 10.0.0.0/16")), code="yaml")
case("yaml", "merge-key-with-list-of-scalars", stack(res("vpc", "ec2.vpc", "<<: [a, b]", "cidr_block: 10.0.0.0/16")), code="yaml")
case("yaml", "block-scalar-bad-indentation", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", "  Note: |", "  text at the wrong level", "    more")), code="yaml_syntax")
case("yaml", "block-scalar-bad-indicator", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", "  Note: |0", "      text")), code="yaml_syntax")
case("yaml", "reserved-indicator-at", stack(res("vpc", "ec2.vpc", "cidr_block: @10.0.0.0/16")), code="yaml_syntax")
case("yaml", "reserved-indicator-backtick", stack(res("vpc", "ec2.vpc", "cidr_block: `10.0.0.0/16`")), code="yaml_syntax")
case("yaml", "percent-at-line-start", stack(VPC) + "%region: us-east-1\n", code="yaml_syntax")
case("yaml", "empty-key", stack(VPC) + "  : nothing\n", code="invalid_name")
case("yaml", "quoted-key-unclosed", "stack: lab\nresources:\n  \"vpc:\n    kind: ec2.vpc\n", code="yaml_syntax")
case("yaml", "flow-in-block-key-unterminated", "stack: lab\nresources: {vpc: {kind: ec2.vpc, cidr_block: 10.0.0.0/16}\nregion: us-east-1\n", code="yaml_syntax")
case("yaml", "unquoted-template-in-flow", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: ${var.name}}"), top="variables:\n  name: {default: x}\n"), code="yaml_syntax")
case("yaml", "multiline-double-quote-unclosed", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", 'tags: {Name: "first line', "  second line}")), code="yaml_syntax")
case("yaml", "dash-without-space", "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    secondary_cidr_blocks:\n      -10.1.0.0/16\n      -10.2.0.0/16\n", code="invalid_value")
case("yaml", "comment-without-space-before", "stack: lab# the name\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: [10.0.0.0/16]# closing\n", code="yaml_syntax")
case("yaml", "recursive-alias", "stack: lab\nresources: &r\n  vpc: *r\n", code="yaml")

# --- not UTF-8 (written as bytes) -------------------------------------------------------------

case("utf8", "invalid-byte-at-start", b"\xff" + stack(VPC).encode(), code="not_utf8")
case("utf8", "latin1-in-comment", b"# caf\xe9 au lait\n" + stack(VPC).encode(), code="not_utf8")
case("utf8", "latin1-in-value", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16")).encode() + b"    tags: {Owner: Jos\xe9}\n", code="not_utf8")
case("utf8", "overlong-encoding", stack(VPC).encode().replace(b"vpc:", b"vp\xc1\xa3:", 1), code="not_utf8")
case("utf8", "truncated-sequence-at-eof", stack(VPC).encode() + b"# \xe2\x82", code="not_utf8")
case("utf8", "encoded-surrogate", stack(VPC).encode().replace(b"lab", b"l\xed\xa0\x80b", 1), code="not_utf8")
case("utf8", "utf16le-with-bom", b"\xff\xfe" + stack(VPC).encode("utf-16-le"), code="not_utf8")
case("utf8", "utf16be-without-bom", stack(VPC).encode("utf-16-be"), code="not_utf8")
case("utf8", "continuation-byte-alone", stack(VPC).encode().replace(b"ec2.vpc", b"ec2.\x80vpc", 1), code="not_utf8")

# --- limits ------------------------------------------------------------------------------------

case("limits", "deep-flow-nesting-100", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Deep: " + "[" * 100 + "]" * 100 + "}")), code="too_deep")
case("limits", "deep-flow-nesting-unclosed-100000", "stack: lab\nresources: " + "[" * 100_000 + "\n", code="too_deep")
case("limits", "deep-flow-mapping-nesting-5000", "stack: lab\nresources: " + "{a: " * 5000 + "x" + "}" * 5000 + "\n", code="too_deep")


def block_nesting(depth):
    out = "stack: lab\nresources:\n"
    for i in range(depth):
        out += "  " * (i + 1) + f"l{i}:\n"
    return out + "  " * (depth + 1) + "end: x\n"


case("limits", "deep-block-nesting-70", block_nesting(70), code="too_deep")
case("limits", "deep-block-sequence-nesting-80", "stack: lab\nresources:\n" + "".join("  " * (i + 1) + "-\n" for i in range(80)) + "  " * 81 + "- x\n", code="too_deep")


def with_policy(policy):
    """A valid stack whose gateway endpoint has `policy:` with the given lines (a mapping, the
    lines indented by six spaces): a place where any YAML value is allowed, so that what the
    lines build is the one thing wrong."""
    return stack(VPC, SUBNET, IGW, RT, res("s3", "ec2.vpc_endpoint", "vpc: vpc", "service: s3", "route_tables: [rt]", "policy:")) + policy


def billion_laughs():
    out = '      lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        out += f"      lol{i}: &a{i} [{refs}]\n"
    return with_policy(out)


case("limits", "billion-laughs", billion_laughs(), code="alias_bomb")


def map_bomb():
    out = "      x0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n"
    for i in range(1, 8):
        out += f"      x{i}: &m{i} {{a: *m{i - 1}, b: *m{i - 1}, c: *m{i - 1}, d: *m{i - 1}, e: *m{i - 1}, f: *m{i - 1}, g: *m{i - 1}, h: *m{i - 1}}}\n"
    return with_policy(out)


case("limits", "alias-bomb-mappings", map_bomb(), code="alias_bomb")


def alias_depth_chain():
    # Each anchor nests the previous one 60 levels deeper: 15 of them would build a tree 900
    # levels deep, far past the nesting limit, with few nodes (within the alias budget). The
    # second one already goes past the limit.
    out = "      d0: &d0 x\n"
    for i in range(1, 16):
        out += f"      d{i}: &d{i} " + "[" * 60 + f"*d{i - 1}" + "]" * 60 + "\n"
    return with_policy(out + "      last: *d15\n")


case("limits", "alias-chain-builds-deep-tree", alias_depth_chain(), code="too_deep")


def merge_bomb():
    # Each mapping merges the previous one and holds it once more under a key of its own, so
    # that it doubles at every level: the merge keys copy the nested copies along.
    out = "      b0: &b0 {" + ", ".join(f"k{j}: v" for j in range(40)) + "}\n"
    for i in range(1, 12):
        out += f"      b{i}: &b{i}\n        <<: *b{i - 1}\n        x{i}: *b{i - 1}\n"
    return with_policy(out)


case("limits", "merge-key-bomb", merge_bomb(), code="alias_bomb")
case("limits", "many-aliases-to-small-anchor", with_policy("      value: &v x\n      list: [" + ", ".join(["*v"] * 12_000) + "]\n"), code="alias_bomb")

# --- the document as a whole ------------------------------------------------------------------

case("document", "root-is-a-list", "- stack: lab\n- resources: {}\n", code="invalid_document", also=("missing_stack",))
case("document", "root-is-a-scalar", "just some text\n", code="invalid_document", also=("missing_stack",))
case("document", "root-is-null", "~\n", code="invalid_document", also=("missing_stack",))
case("document", "root-is-a-number", "42\n", code="invalid_document", also=("missing_stack",))
case("document", "explicit-empty-document", "---\n...\n", code="invalid_document", also=("missing_stack",))
case("document", "unknown-top-level-key", stack(VPC, top="owner: me\n"), code="unknown_key")
case("document", "misspelled-resources", "stack: lab\nresorces:\n" + VPC, code="unknown_key")
case("document", "misspelled-outputs", stack(VPC, tail="output:\n  id: ${vpc.id}\n"), code="unknown_key")
case("document", "resources-is-a-list", "stack: lab\nresources:\n  - vpc\n  - subnet\n", code="invalid_value")
case("document", "resources-is-a-string", "stack: lab\nresources: vpc\n", code="invalid_value")
case("document", "variables-is-a-list", stack(VPC, top="variables: [cidr, az]\n"), code="invalid_value")
case("document", "outputs-is-a-scalar", stack(VPC, tail="outputs: ${vpc.id}\n"), code="invalid_value")
case("document", "stack-is-a-list", "stack: [lab, prod]\nresources:\n" + VPC, code="invalid_value", also=("missing_stack",))
case("document", "stack-is-a-mapping", "stack: {name: lab}\nresources:\n" + VPC, code="invalid_value", also=("missing_stack",))
case("document", "stack-is-empty", "stack:\nresources:\n" + VPC, code="invalid_value", also=("missing_stack",))
case("document", "stack-name-invalid-characters", "stack: my lab!\nresources:\n" + VPC, code="invalid_name")
case("document", "stack-name-starts-with-dash", "stack: -lab\nresources:\n" + VPC, code="invalid_name")
case("document", "stack-name-too-long", f"stack: {'s' * 129}\nresources:\n" + VPC, code="invalid_name")
case("document", "region-is-a-mapping", stack(VPC, top="region: {name: us-east-1}\n"), code="invalid_value")
case("document", "region-is-a-number", stack(VPC, top="region: 1\n"), code="invalid_value")
case("document", "default-tags-is-a-list", stack(VPC, top="default_tags: [Project, x]\n"), code="invalid_value")
case("document", "missing-stack", "resources:\n" + VPC, code="missing_stack")
case("document", "missing-stack-only-region", "region: us-east-1\n", code="missing_stack")
case("document", "empty-mapping", "{}\n", code="missing_stack")
case("document", "integer-key-at-top", stack(VPC) + "1: one\n", code="unknown_key")
case("document", "null-key-at-top", stack(VPC) + "~: nothing\n", code="unknown_key")
case("document", "boolean-key-at-top", stack(VPC) + "true: yes\n", code="unknown_key")

# --- resources in general ---------------------------------------------------------------------

case("resource", "body-is-a-scalar", stack(VPC, "  subnet: ec2.subnet\n"), code="invalid_value")
case("resource", "body-is-a-list", stack(VPC, "  subnet:\n    - kind: ec2.subnet\n"), code="invalid_value")
case("resource", "body-is-null", stack(VPC, "  subnet:\n"), code="invalid_value")
case("resource", "missing-kind", stack("  vpc:\n    cidr_block: 10.0.0.0/16\n"), code="missing_field")
case("resource", "kind-is-a-list", stack("  vpc:\n    kind: [ec2.vpc]\n    cidr_block: 10.0.0.0/16\n"), code="invalid_value")
case("resource", "kind-is-empty", stack("  vpc:\n    kind:\n    cidr_block: 10.0.0.0/16\n"), code="invalid_value")
case("resource", "unknown-kind", stack("  web:\n    kind: ec2.instance\n    ami: ami-12345678\n"), code="unknown_kind")
case("resource", "misspelled-kind", stack("  vpc:\n    kind: ec2.vcp\n    cidr_block: 10.0.0.0/16\n"), code="unknown_kind")
case("resource", "kind-wrong-case", stack("  vpc:\n    kind: EC2.VPC\n    cidr_block: 10.0.0.0/16\n"), code="unknown_kind")
case("resource", "kind-without-service", stack("  vpc:\n    kind: vpc\n    cidr_block: 10.0.0.0/16\n"), code="unknown_kind")
case("resource", "kind-of-another-tool", stack("  vpc:\n    kind: AWS::EC2::VPC\n    cidr_block: 10.0.0.0/16\n"), code="unknown_kind")
case("resource", "kind-quoted-number", stack("  vpc:\n    kind: \"1\"\n"), code="unknown_kind")
case("resource", "depends-on-is-a-string", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: vpc")), code="invalid_value")
case("resource", "depends-on-is-a-mapping", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: {vpc: true}")), code="invalid_value")
case("resource", "depends-on-unknown", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: [gateway]")), code="unknown_reference")
case("resource", "depends-on-null-item", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: [vpc, ~]")), code="invalid_value")
case("resource", "depends-on-nested-list", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "depends_on: [[vpc]]")), code="invalid_value")
case("resource", "many-errors-in-one-resource", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.999/16", "enable_dns_support: maybe", "instance_tenancy: shared", "tagz: {}", "lifecycle: {prevent_destroy: sure}")), code="invalid_value", also=("unknown_key",))

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
    case("type", f"{short}-{what}", kind_doc(kind, set_={field: value}), code="invalid_value")

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
    case("unknown-key", f"{short}-{key.replace('_', '-')}", kind_doc(kind, extra=[f"{key}: {value}"]), code="unknown_key")
case("unknown-key", "route-field", kind_doc("ec2.route_table", set_={"routes": "[{destination: 0.0.0.0/0, gateway: igw}]"}), code="unknown_key", also=("invalid_route",))
case("unknown-key", "security-group-rule-ports", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, ports: 80-90, cidr: 0.0.0.0/0}]"}), code="unknown_key", also=("invalid_rule",))
case("unknown-key", "prefix-list-entry-block", kind_doc("ec2.prefix_list", set_={"entries": "[{block: 10.0.0.0/8}]"}), code="unknown_key", also=("missing_field",))
case("unknown-key", "peering-options-field", kind_doc("ec2.vpc_peering_connection", set_={"accepter_options": "{allow_remote_dns: true}"}), code="unknown_key")
case("unknown-key", "tgw-route-target", kind_doc("ec2.transit_gateway_route_table", set_={"routes": "[{destination_cidr_block: 10.9.0.0/16, target: att}]"}), code="unknown_key", also=("invalid_route",))
case("unknown-key", "several-misspellings", stack(res("vpc", "ec2.vpc", "cidr_blok: 10.0.0.0/16", "enable_dns_hostname: true", "tag: {Name: x}")), code="unknown_key", also=("missing_field",))
case("unknown-key", "key-with-trailing-space-quoted", stack(res("vpc", "ec2.vpc", '"cidr_block ": 10.0.0.0/16')), code="unknown_key", also=("missing_field",))
case("unknown-key", "key-uppercase", stack(res("vpc", "ec2.vpc", "CIDR_BLOCK: 10.0.0.0/16")), code="unknown_key", also=("missing_field",))
case("unknown-key", "camel-case-keys", stack(res("vpc", "ec2.vpc", "CidrBlock: 10.0.0.0/16", "EnableDnsSupport: true")), code="unknown_key", also=("missing_field",))

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
    case("missing", f"{short}-{field.replace('_', '-')}", kind_doc(kind, drop=[field]), code="missing_field")
case("missing", "security-group-rule-protocol", kind_doc("ec2.security_group", set_={"ingress": "[{port: 22, cidr: 10.0.0.0/8}]"}), code="missing_field")
case("missing", "prefix-list-entry-cidr", kind_doc("ec2.prefix_list", set_={"entries": "[{description: office}]"}), code="missing_field")
case("missing", "tgw-route-destination", kind_doc("ec2.transit_gateway_route_table", set_={"routes": "[{attachment: att}]"}), code="missing_field")
case("missing", "everything-in-flow-mapping", stack("  vpc: {kind: ec2.vpc}\n  s: {kind: ec2.subnet}\n  sg: {kind: ec2.security_group}\n"), code="missing_field")

# --- references -------------------------------------------------------------------------------

case("ref", "unknown-vpc", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: main_vpc", "cidr_block: 10.0.1.0/24")), code="unknown_reference")
case("ref", "misspelled-vpc", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vcp", "cidr_block: 10.0.1.0/24")), code="unknown_reference")
case("ref", "wrong-kind-subnet-vpc", stack(VPC, SUBNET, res("subnet_c", "ec2.subnet", "vpc: subnet_a", "cidr_block: 10.0.3.0/24")), code="wrong_kind")
case("ref", "wrong-kind-nat-eip", stack(VPC, SUBNET, IGW, res("nat", "ec2.nat_gateway", "subnet: subnet_a", "eip: vpc")), code="wrong_kind")
case("ref", "wrong-kind-route-internet-gateway", stack(VPC, SUBNET, IGW, EIP, NAT, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, internet_gateway: nat}")), code="wrong_kind")
case("ref", "wrong-kind-route-table-subnets", stack(VPC, SUBNET, res("rt", "ec2.route_table", "vpc: vpc", "subnets: [vpc]")), code="wrong_kind")
case("ref", "wrong-kind-security-group-rule", stack(VPC, res("web", "ec2.security_group", "vpc: vpc", "name: web", "description: web", "ingress:", "  - {protocol: tcp, port: 80, security_group: vpc}")), code="wrong_kind")
case("ref", "wrong-kind-rule-prefix-list", stack(VPC, SUBNET, res("web", "ec2.security_group", "vpc: vpc", "name: web", "description: web", "ingress:", "  - {protocol: tcp, port: 80, prefix_list: subnet_a}")), code="wrong_kind")
case("ref", "wrong-kind-endpoint-route-tables", stack(VPC, SUBNET, res("s3", "ec2.vpc_endpoint", "vpc: vpc", "service: s3", "route_tables: [subnet_a]")), code="wrong_kind")
case("ref", "wrong-kind-attachment-gateway", stack(VPC, SUBNET, res("att", "ec2.transit_gateway_vpc_attachment", "transit_gateway: vpc", "vpc: vpc", "subnets: [subnet_a]")), code="wrong_kind")
case("ref", "wrong-kind-tgw-table-associations", stack(VPC, SUBNET, TGW, ATT, res("trt", "ec2.transit_gateway_route_table", "transit_gateway: tgw", "associations: [subnet_a]")), code="wrong_kind")
case("ref", "wrong-kind-peer-vpc", stack(VPC, SUBNET, res("peer", "ec2.vpc_peering_connection", "vpc: vpc", "peer_vpc: subnet_a")), code="wrong_kind")
case("ref", "unknown-attribute", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vpc.cidr}\"}")), code="unknown_attribute")
case("ref", "unknown-resource-in-expression", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vcp.id}\"}")), code="unknown_reference")
case("ref", "unknown-variable", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}")), code="unknown_variable", also=("invalid_value",))
case("ref", "unknown-variable-near-miss", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr_blok}"), top="variables:\n  cidr_block: {default: 10.0.0.0/16}\n"), code="unknown_variable", also=("invalid_value",))
case("ref", "empty-variable-name", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.}")), code="invalid_reference", also=("invalid_value",))
case("ref", "expression-without-attribute", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vpc}\"}")), code="invalid_reference")
case("ref", "expression-unclosed", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vpc.id\"}")), code="invalid_reference")
case("ref", "expression-three-parts", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${vpc.tags.Name}\"}")), code="invalid_reference")
case("ref", "expression-empty", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${}\"}")), code="invalid_reference")
case("ref", "expression-with-spaces", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${ vpc.id }\"}")), code="invalid_reference")
case("ref", "expression-starts-with-digit", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${1vpc.id}\"}")), code="invalid_reference")
case("ref", "expression-nested", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${${vpc.id}.id}\"}")), code="invalid_reference")
case("ref", "expression-in-typed-reference", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: ${vpc.id}", "cidr_block: 10.0.1.0/24")), code="invalid_value")
case("ref", "expression-in-cidr-list", stack(VPC2, res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [\"${vpc2.cidr}\"]")), code="invalid_value")
case("ref", "expression-unknown-in-output", stack(VPC, tail="outputs:\n  id: ${vpc.arnn}\n"), code="unknown_attribute")
case("ref", "expression-unknown-resource-in-output", stack(VPC, tail="outputs:\n  id: ${gateway.id}\n"), code="unknown_reference")
case("ref", "unknown-route-target", stack(VPC, SUBNET, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, nat_gateway: nat}")), code="unknown_reference")
case("ref", "unknown-route-table-subnet", stack(VPC, SUBNET, res("rt", "ec2.route_table", "vpc: vpc", "subnets: [subnet_a, subnet_z]")), code="unknown_reference")
case("ref", "external-id-of-wrong-shape", stack(res("subnet_a", "ec2.subnet", "vpc: vpc-XYZ", "cidr_block: 10.0.1.0/24")), code="unknown_reference")
case("ref", "dollar-brace-in-stack-name", "stack: ${var.name}\nresources:\n" + VPC, code="unknown_variable", also=("invalid_name",))

# --- dependency cycles ------------------------------------------------------------------------

case("cycle", "depends-on-itself", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "depends_on: [vpc]")), code="cycle")
case("cycle", "two-resources-depends-on", stack(res("a", "ec2.vpc", "cidr_block: 10.0.0.0/16", "depends_on: [b]"), res("b", "ec2.vpc", "cidr_block: 10.1.0.0/16", "depends_on: [a]")), code="cycle")
case("cycle", "typed-reference-and-depends-on", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "depends_on: [subnet_a]"), SUBNET), code="cycle")
case("cycle", "through-expressions", stack(res("a", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Peer: \"${b.id}\"}"), res("b", "ec2.vpc", "cidr_block: 10.1.0.0/16", "tags: {Peer: \"${a.id}\"}")), code="cycle")
case("cycle", "expression-on-itself", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Self: \"${vpc.arn}\"}")), code="cycle")
case("cycle", "five-resources", stack(*[res(f"r{i}", "ec2.eip", f"depends_on: [r{(i + 1) % 5}]") for i in range(5)]), code="cycle")
case("cycle", "two-separate-cycles", stack(res("a", "ec2.eip", "depends_on: [b]"), res("b", "ec2.eip", "depends_on: [a]"), res("c", "ec2.eip", "depends_on: [d]"), res("d", "ec2.eip", "depends_on: [c]")), code="cycle")
case("cycle", "nat-and-route-table", stack(VPC, SUBNET, IGW, EIP, res("nat", "ec2.nat_gateway", "subnet: subnet_a", "eip: nat_ip", "depends_on: [rt]"), res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, nat_gateway: nat}")), code="cycle")

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
    ("prefix-too-short-for-vpc", "10.0.0.0/8", "invalid_cidr"),
    ("prefix-too-long-for-vpc", "10.0.0.0/29", "invalid_cidr"),
]
for name, value, *code in CIDRS:
    code = code[0] if code else "invalid_value"
    case("cidr", f"vpc-{name}", stack(res("vpc", "ec2.vpc", f"cidr_block: {value}")), code=code)
case("cidr", "subnet-outside-vpc", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.9.0.0/24")), code="subnet_outside_vpc")
case("cidr", "subnet-larger-than-vpc", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/24"), res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.0.0/16")), code="subnet_outside_vpc")
case("cidr", "subnet-prefix-too-long", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/29")), code="invalid_cidr")
case("cidr", "overlapping-subnets", stack(VPC, SUBNET, res("subnet_b", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.128/25")), code="overlapping_subnets")
case("cidr", "identical-subnets", stack(VPC, SUBNET, res("subnet_b", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24")), code="overlapping_subnets")
case("cidr", "secondary-overlaps-primary", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [10.0.128.0/17]")), code="overlapping_cidr")
case("cidr", "secondary-invalid", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "secondary_cidr_blocks: [10.1.0.0/16, 10.2.0.0/33]")), code="invalid_value")
case("cidr", "route-destination-host-bits", stack(VPC, SUBNET, IGW, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.1/0, internet_gateway: igw}")), code="invalid_value")
case("cidr", "route-ipv6-destination-invalid", stack(VPC, SUBNET, IGW, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_ipv6_cidr_block: 'fe80::zz/64', internet_gateway: igw}")), code="invalid_cidr")
case("cidr", "rule-cidr-invalid", stack(VPC, res("web", "ec2.security_group", "vpc: vpc", "name: web", "description: web", "ingress:", "  - {protocol: tcp, port: 80, cidr: 0.0.0.0/40}")), code="invalid_value")
case("cidr", "rule-ipv6-cidr-invalid", stack(VPC, res("web", "ec2.security_group", "vpc: vpc", "name: web", "description: web", "ingress:", "  - {protocol: tcp, port: 80, ipv6_cidr: '::/200'}")), code="invalid_cidr")
case("cidr", "prefix-list-entry-host-bits", kind_doc("ec2.prefix_list", set_={"entries": "[{cidr: 203.0.113.7/24}]"}), code="invalid_cidr")
case("cidr", "prefix-list-ipv6-in-ipv4-list", kind_doc("ec2.prefix_list", set_={"entries": "[{cidr: '2001:db8::/32'}]"}), code="invalid_cidr")
case("cidr", "tgw-route-destination-invalid", kind_doc("ec2.transit_gateway_route_table", set_={"routes": "[{destination_cidr_block: 10.9.0.0/99, attachment: att}]"}), code="invalid_value")
case("cidr", "peered-vpcs-overlap", stack(VPC, res("vpc2", "ec2.vpc", "cidr_block: 10.0.128.0/17"), res("peer", "ec2.vpc_peering_connection", "vpc: vpc", "peer_vpc: vpc2")), code="overlapping_cidr")

# --- duplicate keys ---------------------------------------------------------------------------

case("dupkey", "top-level-stack", "stack: lab\nstack: prod\nresources:\n" + VPC, code="duplicate_key")
case("dupkey", "resource-field", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "cidr_block: 10.1.0.0/16")), code="duplicate_key")
case("dupkey", "resource-name", stack(VPC, VPC), code="duplicate_key")
case("dupkey", "tag-key", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", "  Name: a", "  Name: b")), code="duplicate_key")
case("dupkey", "flow-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: a, Team: b, Name: c}")), code="duplicate_key")
case("dupkey", "quoted-and-plain", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", '"cidr_block": 10.1.0.0/16')), code="duplicate_key")
case("dupkey", "variables", stack(VPC, top="variables:\n  cidr: {}\n  cidr: {default: x}\n"), code="duplicate_key")
case("dupkey", "resources-section", stack(VPC) + "resources:\n" + VPC2, code="duplicate_key")
case("dupkey", "kind-twice", stack("  vpc:\n    kind: ec2.vpc\n    kind: ec2.subnet\n    cidr_block: 10.0.0.0/16\n"), code="duplicate_key")
case("dupkey", "single-and-double-quoted", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {'Name': a, \"Name\": b}")), code="duplicate_key")

# --- names ------------------------------------------------------------------------------------

case("name", "reserved-var", stack("  var:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"), code="invalid_name")
case("name", "reserved-self", stack("  self:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"), code="invalid_name")
case("name", "resource-starts-with-digit", stack("  1vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"), code="invalid_name")
case("name", "resource-with-space", stack('  "my vpc":\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n'), code="invalid_name")
case("name", "resource-with-dot", stack("  vpc.main:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"), code="invalid_name")
case("name", "resource-too-long", stack(f"  {'v' * 65}:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"), code="invalid_name")
case("name", "resource-looks-like-aws-id", stack("  vpc-0abc1234:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"), code="invalid_name")
case("name", "resource-non-ascii", stack("  vpc_é:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"), code="invalid_name")
case("name", "resource-empty-quoted", stack('  "":\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n'), code="invalid_name")
case("name", "variable-invalid", stack(VPC, top="variables:\n  1cidr: {default: x}\n"), code="invalid_name")
case("name", "output-invalid", stack(VPC, tail="outputs:\n  vpc id: ${vpc.id}\n"), code="invalid_name")
case("name", "security-group-name-sg-prefix", kind_doc("ec2.security_group", set_={"name": "sg-web"}), code="invalid_value")
case("name", "security-group-name-empty", kind_doc("ec2.security_group", set_={"name": "''"}), code="invalid_value")
case("name", "prefix-list-reserved-name", kind_doc("ec2.prefix_list", set_={"name": "com.amazonaws.office"}), code="invalid_value")
case("name", "two-security-groups-same-name", stack(VPC, SG, res("web2", "ec2.security_group", "vpc: vpc", "name: web", "description: again")), code="duplicate_name")

# --- tags -------------------------------------------------------------------------------------

case("tag", "aws-prefix", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {aws:owner: me}")), code="invalid_tag")
case("tag", "aws-prefix-uppercase", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {AWS:Owner: me}")), code="invalid_tag")
case("tag", "strata-prefix", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {strata:stack: other}")), code="invalid_tag")
case("tag", "key-too-long", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", f"tags: {{{'k' * 129}: v}}")), code="invalid_tag")
case("tag", "value-too-long", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", f"tags: {{Name: {'v' * 257}}}")), code="invalid_tag")
case("tag", "empty-key", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {'': empty}")), code="invalid_tag")
case("tag", "too-many", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", *[f"  T{i}: v" for i in range(49)])), code="too_many_tags")
case("tag", "too-many-with-defaults", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", *[f"  T{i}: v" for i in range(30)]), top="default_tags:\n" + "".join(f"  D{i}: v\n" for i in range(20))), code="too_many_tags")
case("tag", "default-tags-too-many", stack(VPC, top="default_tags:\n" + "".join(f"  D{i}: v\n" for i in range(60))), code="too_many_tags")
case("tag", "key-long-unicode", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", f"tags: {{{'é' * 129}: v}}")), code="invalid_tag")

# --- lifecycle --------------------------------------------------------------------------------

case("lifecycle", "is-a-list", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: [prevent_destroy]")), code="invalid_value")
case("lifecycle", "is-a-string", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: prevent_destroy")), code="invalid_value")
case("lifecycle", "misspelled-option", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {prevent_destory: true}")), code="unknown_key")
case("lifecycle", "prevent-destroy-string", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {prevent_destroy: \"true\"}")), code="invalid_value")
case("lifecycle", "create-before-destroy-yes", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {create_before_destroy: yes}")), code="invalid_value")
case("lifecycle", "ignore-changes-string", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: tags}")), code="invalid_value")
case("lifecycle", "ignore-changes-unknown-field", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: [cidr]}")), code="unknown_field")
case("lifecycle", "ignore-changes-key-of-scalar-field", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: [cidr_block.x]}")), code="invalid_value")
case("lifecycle", "ignore-changes-mapping-item", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: [{tags: Name}]}")), code="invalid_value")
case("lifecycle", "ignore-changes-kind", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "lifecycle: {ignore_changes: [kind]}")), code="unknown_field")

# --- variables --------------------------------------------------------------------------------

case("var", "declaration-is-a-list", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: [10.0.0.0/16]\n"), code="invalid_value", also=("unknown_variable",))
case("var", "declaration-is-a-scalar", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: 10.0.0.0/16\n"), code="invalid_value", also=("unknown_variable",))
case("var", "declaration-unknown-key", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {type: string, default: 10.0.0.0/16}\n"), code="unknown_key")
case("var", "sensitive-not-boolean", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {sensitive: \"yes\", default: 10.0.0.0/16}\n"), code="invalid_value", also=("unknown_variable",))
case("var", "description-is-a-list", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {description: [a, b], default: 10.0.0.0/16}\n"), code="invalid_value", also=("unknown_variable",))
case("var", "no-value", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {}\n"), code="missing_variable", also=("invalid_value",))
case("var", "null-declaration-no-value", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr:\n"), code="missing_variable", also=("invalid_value",))
case("var", "list-inside-a-string", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: \"vpc-${var.names}\"}"), top="variables:\n  names: {default: [a, b]}\n"), code="invalid_value")
case("var", "default-of-wrong-type", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {default: [10.0.0.0/16]}\n"), code="invalid_value")
case("var", "default-invalid-cidr", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  cidr: {default: 10.0.0.0/99}\n"), code="invalid_value")
case("var", "unclosed-reference", stack(res("vpc", "ec2.vpc", "cidr_block: \"${var.cidr\""), top="variables:\n  cidr: {default: 10.0.0.0/16}\n"), code="invalid_reference", also=("invalid_value",))
case("var", "reference-in-variable-default", stack(res("vpc", "ec2.vpc", "cidr_block: ${var.cidr}"), top="variables:\n  base: {default: 10.0.0.0/16}\n  cidr: {default: \"${var.base}\"}\n"), code="invalid_value")
case("var", "variable-in-kind", stack(res("vpc", "${var.kind}", "cidr_block: 10.0.0.0/16"), top="variables:\n  kind: {default: ec2.vcp}\n"), code="unknown_kind")
case("var", "variable-as-resource-name", stack("  ${var.name}:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n", top="variables:\n  name: {default: vpc}\n"), code="invalid_name")
case("var", "mapping-variable-in-tag", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Owner: \"team-${var.owner}\"}"), top="variables:\n  owner: {default: {name: a}}\n"), code="invalid_value")

# --- outputs ----------------------------------------------------------------------------------

case("output", "is-a-list", stack(VPC, tail="outputs:\n  id: [\"${vpc.id}\"]\n"), code="invalid_value")
case("output", "unknown-key", stack(VPC, tail="outputs:\n  id: {value: \"${vpc.id}\", export: true}\n"), code="unknown_key")
case("output", "missing-value", stack(VPC, tail="outputs:\n  id: {description: the VPC}\n"), code="missing_field")
case("output", "value-is-null", stack(VPC, tail="outputs:\n  id:\n"), code="invalid_value")
case("output", "sensitive-quoted", stack(VPC, tail="outputs:\n  id: {value: \"${vpc.id}\", sensitive: \"true\"}\n"), code="invalid_value")
case("output", "description-is-a-list", stack(VPC, tail="outputs:\n  id: {value: \"${vpc.id}\", description: [a]}\n"), code="invalid_value")
case("output", "value-is-a-mapping", stack(VPC, tail="outputs:\n  id: {value: {a: b}}\n"), code="invalid_value")
case("output", "malformed-expression", stack(VPC, tail="outputs:\n  id: \"${vpc..id}\"\n"), code="invalid_reference")

# --- each kind's own checks -------------------------------------------------------------------

case("check", "public-nat-without-eip", stack(VPC, SUBNET, IGW, res("nat", "ec2.nat_gateway", "subnet: subnet_a")), code="missing_field")
case("check", "private-nat-with-eip", stack(VPC, SUBNET, EIP, res("nat", "ec2.nat_gateway", "subnet: subnet_a", "eip: nat_ip", "connectivity_type: private")), code="conflicting_fields")
case("check", "eip-on-two-nat-gateways", stack(VPC, SUBNET, SUBNET_B, IGW, EIP, NAT, res("nat_b", "ec2.nat_gateway", "subnet: subnet_b", "eip: nat_ip")), code="duplicate_attachment")
case("check", "two-internet-gateways-one-vpc", stack(VPC, IGW, res("igw2", "ec2.internet_gateway", "vpc: vpc")), code="duplicate_attachment")
case("check", "route-with-two-targets", stack(VPC, SUBNET, IGW, EIP, NAT, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw, nat_gateway: nat}")), code="invalid_route")
case("check", "route-without-destination", stack(VPC, SUBNET, IGW, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {internet_gateway: igw}")), code="invalid_route")
case("check", "two-routes-same-destination", stack(VPC, SUBNET, IGW, EIP, NAT, res("rt", "ec2.route_table", "vpc: vpc", "routes:", "  - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}", "  - {destination_cidr_block: 0.0.0.0/0, nat_gateway: nat}")), code="duplicate_route")
case("check", "subnet-in-two-route-tables", stack(VPC, SUBNET, res("rt1", "ec2.route_table", "vpc: vpc", "subnets: [subnet_a]"), res("rt2", "ec2.route_table", "vpc: vpc", "subnets: [subnet_a]")), code="duplicate_association")
case("check", "rule-unknown-protocol", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcpp, port: 80, cidr: 0.0.0.0/0}]"}), code="invalid_rule")
case("check", "rule-two-sources", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, port: 80, cidr: 0.0.0.0/0, security_group: self}]"}), code="invalid_rule")
case("check", "rule-no-source", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, port: 80}]"}), code="invalid_rule")
case("check", "rule-backwards-range", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, from_port: 90, to_port: 80, cidr: 0.0.0.0/0}]"}), code="invalid_rule")
case("check", "rule-port-out-of-range", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: udp, port: 70000, cidr: 0.0.0.0/0}]"}), code="invalid_rule")
case("check", "rule-all-protocols-with-port", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: all, port: 22, cidr: 0.0.0.0/0}]"}), code="invalid_rule")
case("check", "rule-tcp-without-ports", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, cidr: 0.0.0.0/0}]"}), code="invalid_rule")
case("check", "rule-port-and-range", kind_doc("ec2.security_group", set_={"ingress": "[{protocol: tcp, port: 22, from_port: 22, to_port: 23, cidr: 0.0.0.0/0}]"}), code="conflicting_fields")
case("check", "rule-written-twice", kind_doc("ec2.security_group", set_={"egress": "[{protocol: tcp, port: 443, cidr: 0.0.0.0/0}, {protocol: tcp, port: 443, cidr: 0.0.0.0/0, description: again}]"}), code="duplicate_rule")
case("check", "security-group-description-non-ascii", kind_doc("ec2.security_group", set_={"description": "serveurs web — production"}), code="invalid_value")
case("check", "prefix-list-max-entries-zero", kind_doc("ec2.prefix_list", set_={"max_entries": "0"}), code="invalid_value")
case("check", "prefix-list-too-many-entries", kind_doc("ec2.prefix_list", set_={"max_entries": "1", "entries": "[{cidr: 10.0.0.0/8}, {cidr: 192.168.0.0/16}]"}), code="too_many_entries")
case("check", "prefix-list-duplicate-entry", kind_doc("ec2.prefix_list", set_={"entries": "[{cidr: 10.0.0.0/8}, {cidr: 10.0.0.0/8}]"}), code="duplicate_entry")
case("check", "gateway-endpoint-with-subnets", kind_doc("ec2.vpc_endpoint", set_={"subnets": "[subnet_a]"}), code="conflicting_fields")
case("check", "interface-endpoint-without-subnets", kind_doc("ec2.vpc_endpoint", set_={"type": "interface"}, drop=["route_tables"]), code="missing_field")
case("check", "vpc-peers-with-itself", kind_doc("ec2.vpc_peering_connection", set_={"peer_vpc": "vpc"}), code="invalid_value")
case("check", "transit-gateway-public-asn", kind_doc("ec2.transit_gateway", set_={"amazon_side_asn": "100"}), code="invalid_value")
case("check", "attachment-without-subnets", kind_doc("ec2.transit_gateway_vpc_attachment", set_={"subnets": "[]"}), code="missing_field")
case("check", "attachment-subnet-of-other-vpc", stack(VPC, VPC2, res("other", "ec2.subnet", "vpc: vpc2", "cidr_block: 10.1.1.0/24"), TGW, res("att", "ec2.transit_gateway_vpc_attachment", "transit_gateway: tgw", "vpc: vpc", "subnets: [other]")), code="wrong_vpc")
case("check", "attachment-two-subnets-one-zone", stack(VPC, res("subnet_a", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.1.0/24", "availability_zone: us-east-1a"), res("subnet_b", "ec2.subnet", "vpc: vpc", "cidr_block: 10.0.2.0/24", "availability_zone: us-east-1a"), TGW, res("att", "ec2.transit_gateway_vpc_attachment", "transit_gateway: tgw", "vpc: vpc", "subnets: [subnet_a, subnet_b]")), code="duplicate_zone")
case("check", "tgw-route-attachment-and-blackhole", kind_doc("ec2.transit_gateway_route_table", set_={"routes": "[{destination_cidr_block: 10.9.0.0/16, attachment: att, blackhole: true}]"}), code="invalid_route")
case("check", "tgw-default-association-and-own-table", stack(VPC, SUBNET, res("tgw", "ec2.transit_gateway"), ATT, res("trt", "ec2.transit_gateway_route_table", "transit_gateway: tgw", "associations: [att]")), code="conflicting_settings")
case("check", "dns-hostnames-without-dns-support", kind_doc("ec2.vpc", set_={"enable_dns_support": "false", "enable_dns_hostnames": "true"}), code="invalid_value")
case("check", "subnet-zone-name-and-id", kind_doc("ec2.subnet", set_={"availability_zone": "us-east-1a", "availability_zone_id": "use1-az1"}), code="conflicting_fields")

# --- several files ----------------------------------------------------------------------------

case("multi", "same-resource-in-two-files", {"network.yaml": stack(VPC), "more.yaml": "resources:\n" + VPC}, code="duplicate_name")
case("multi", "conflicting-stack-names", {"a.yaml": stack(VPC), "b.yaml": "stack: prod\nresources:\n" + VPC2}, code="conflicting_settings")
case("multi", "conflicting-regions", {"a.yaml": stack(VPC, top="region: us-east-1\n"), "b.yaml": "region: eu-west-1\nresources:\n" + VPC2}, code="conflicting_settings")
case("multi", "conflicting-default-tags", {"a.yaml": stack(VPC, top="default_tags: {Team: a}\n"), "b.yaml": "default_tags: {Team: b}\n"}, code="conflicting_settings")
case("multi", "one-file-with-syntax-error", {"a.yaml": stack(VPC), "b.yaml": "resources:\n  vpc2: {kind: ec2.vpc, cidr_block: [10.1.0.0/16}\n"}, code="yaml_syntax")
case("multi", "cycle-across-files", {"a.yaml": stack(res("a", "ec2.eip", "depends_on: [b]")), "b.yaml": "resources:\n" + res("b", "ec2.eip", "depends_on: [a]")}, code="cycle")
case("multi", "no-file-sets-stack", {"a.yaml": "resources:\n" + VPC, "b.yml": "resources:\n" + VPC2}, code="missing_stack")
case("multi", "variable-declared-in-two-files", {"a.yaml": stack(VPC, top="variables:\n  cidr: {default: 10.0.0.0/16}\n"), "b.yaml": "variables:\n  cidr: {default: 10.1.0.0/16}\n"}, code="duplicate_name")
case("multi", "output-defined-in-two-files", {"a.yaml": stack(VPC, tail="outputs:\n  id: ${vpc.id}\n"), "b.yaml": "outputs:\n  id: ${vpc.arn}\n"}, code="duplicate_name")
case("multi", "reference-into-broken-file", {"a.yaml": stack(SUBNET), "b.yaml": "resources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/99\n"}, code="invalid_value")
case("multi", "one-file-not-utf8", {"a.yaml": stack(VPC), "b.yaml": b"resources:\n  vpc2: {kind: ec2.vpc, cidr_block: 10.1.0.0/16, tags: {Owner: Jos\xe9}}\n"}, code="not_utf8")
case("multi", "one-file-two-documents", {"a.yaml": stack(VPC), "b.yaml": "resources:\n" + VPC2 + "---\nresources: {}\n"}, code="invalid_document")
case("multi", "no-documents-only-other-files", {"notes.txt": "stack: lab\n", "dev.vars.yaml": "cidr: 10.0.0.0/16\n", ".hidden.yaml": stack(VPC)}, code="no_documents", located=False)

# --- hostile or odd input ---------------------------------------------------------------------

case("hostile", "nul-byte", stack(VPC).replace("lab", "la\x00b"), code="yaml_syntax")
case("hostile", "control-characters", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: \"\x07\x1b[31mred\"}")) + "\x1b[0m\n", code="yaml_syntax")
case("hostile", "bom-in-the-middle", stack(VPC).replace("resources:", "\ufeffresources:"), code="yaml_syntax")
case("hostile", "bom-then-error", "\ufeff" + stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/99")), code="invalid_value")
case("hostile", "crlf-line-endings", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/33")).replace("\n", "\r\n"), code="invalid_value")
case("hostile", "cr-only-line-endings", stack(res("vpc", "ec2.vpc", "cidr_blok: 10.0.0.0/16")).replace("\n", "\r"), code="unknown_key", also=("missing_field",))
case("hostile", "cyrillic-homoglyph-key", "\u0455tack: lab\nresources:\n" + VPC, code="unknown_key", also=("missing_stack",))
case("hostile", "zero-width-space-in-key", stack(res("vpc", "ec2.vpc", "cidr\u200b_block: 10.0.0.0/16")), code="unknown_key", also=("missing_field",))
case("hostile", "right-to-left-override", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {\"\u202eemaN\": x}", "instance_tenancy: \u202eshared")), code="invalid_value")
case("hostile", "emoji-names", stack("  \U0001F680:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    tags: {\U0001F3F7: \U0001F600}\n"), code="invalid_name")
case("hostile", "combining-characters", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: e\u0301\u0301\u0301}", "cidr_blocḱ: x")), code="unknown_key")
case("hostile", "wide-characters-before-error", "stack: lab\n# 日本語のコメント\nresources:\n  vpc:\n    kind: ec2.vpc\n    tags: {名前: 東京}\n    cidr_block: 東京/16\n", code="invalid_value")
case("hostile", "very-long-line", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: " + "x" * 100_000 + "}")), code="invalid_tag")
case("hostile", "very-long-key", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "k" * 20_000 + ": v")), code="yaml_syntax")
case("hostile", "error-at-end-of-very-long-line", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags: {Name: " + "y" * 50_000 + "}}")), code="yaml_syntax")
case("hostile", "many-errors", stack(*[res(f"vpc{i}", "ec2.vpc", f"cidr_block: 10.{i}.0.0/{33 + i % 5}") for i in range(50)]), code="invalid_value")
case("hostile", "many-resources-one-error", stack(*[res(f"eip{i}", "ec2.eip") for i in range(2000)], res("last", "ec2.eip", "domain: mars")), code="invalid_value")
case("hostile", "many-keys-in-one-mapping", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "tags:", *[f"  K{i}: v" for i in range(5000)])), code="too_many_tags")
case("hostile", "no-trailing-newline-error", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16")) + "    tags: {", code="yaml_syntax")
case("hostile", "error-on-last-byte", stack(VPC) + '"', code="yaml_syntax")
case("hostile", "only-a-colon", ":\n", code="missing_stack", also=("unknown_key",))
case("hostile", "only-dashes", "- - - -\n", code="invalid_document", also=("missing_stack",))
case("hostile", "only-brackets", "[[{]}]\n", code="yaml_syntax")
case("hostile", "yaml-1-1-booleans", stack(res("vpc", "ec2.vpc", "cidr_block: 10.0.0.0/16", "enable_dns_support: on", "enable_dns_hostnames: No")), code="invalid_value")
case("hostile", "json-syntax", '{"stack": "lab", "resources": {"vpc": {"kind": "ec2.vpc", "cidr_block": "10.0.0.0/16",}}, "region": }\n', code="invalid_value")
case("hostile", "toml-syntax", '[stack]\nname = "lab"\n\n[resources.vpc]\nkind = "ec2.vpc"\n', code="yaml_syntax")
case("hostile", "terraform-syntax", 'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n', code="invalid_document", also=("missing_stack",))
case("hostile", "shell-script", "#!/bin/sh\nset -e\nrm -rf / # not really\necho $((1+1))\n", code="yaml_syntax")
case("hostile", "anchor-on-key", stack(VPC) + "  &k other:\n    kind: ec2.vpc\n    cidr_block: 10.1.0.0/16\n  *k : again\n", code="duplicate_key")
case("hostile", "huge-integer", kind_doc("ec2.transit_gateway", set_={"amazon_side_asn": "9" * 400}), code="invalid_value")
case("hostile", "huge-float", kind_doc("ec2.prefix_list", set_={"max_entries": "1e400"}), code="invalid_value")
case("hostile", "negative-zero-and-nan", kind_doc("ec2.prefix_list", set_={"max_entries": ".nan"}), code="invalid_value")

# --- nothing to load --------------------------------------------------------------------------

# These have no YAML document at all, so there is no place to point at: "no document sets
# `stack:`" is all there is to say.
case("empty", "empty-file", "", code="missing_stack", located=False)
case("empty", "whitespace-only", "   \n\n\t\n  \n", code="missing_stack", located=False)
case("empty", "comment-only", "# yaml-language-server: $schema=../../schemas/strata.schema.json\n# TODO\n", code="missing_stack", located=False)
case("empty", "newlines-only", "\n\n\n", code="missing_stack", located=False)
case("empty", "bom-only", "\ufeff", code="missing_stack", located=False)
case("empty", "document-markers-only", "---\n", code="invalid_document", also=("missing_stack",), located=True)

# --- added later (appended, so that earlier cases keep their numbers) ---------------------------

case("name", "security-group-name-and-name-prefix", kind_doc("ec2.security_group", extra=("name_prefix: web-",)), code="conflicting_fields")
case("name", "security-group-name-prefix-sg", kind_doc("ec2.security_group", drop=("name",), extra=("name_prefix: sg-web",)), code="invalid_value")


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
    expected = []
    for n, (category, description, content, codes) in enumerate(CASES, start=1):
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
        expected.append((name, codes))

    with open(os.path.join(HERE, "expected.txt"), "w") as f:
        f.write("# Each corpus case, the diagnostic code it is about, and the codes it may also report\n")
        f.write("# as consequences of the same mistake. Generated by generate.py; the tests read it.\n")
        for name, (code, *also) in expected:
            f.write(" ".join([name, "strata::" + code, *("strata::" + a for a in also)]) + "\n")

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
    for category, _, _, _ in CASES:
        counts[category] = counts.get(category, 0) + 1
    summary = ", ".join(f"{c} {k}" for k, c in counts.items())
    print(f"{len(CASES)} cases in {os.path.relpath(OUT, ROOT)} ({summary})", file=sys.stderr)


if __name__ == "__main__":
    main()
