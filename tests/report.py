"""Writes RELIABILITY.md's results table from one run of the test suite.

    python3 tests/report.py RESULTS_DIR [RELIABILITY.md]

RESULTS_DIR is the `STRATA_RESULTS_DIR` the tests ran with (scripts/test makes a fresh one per
run); each reliability scenario wrote one JSON file under `reliability/` (tests/it/support.rs,
`Scenario`). The table is rebuilt from those files alone: a scenario that did not run has no row.
Exits 1, after writing the table, when a scenario failed or when the table it replaces listed a
scenario that no test produced in this run (a deleted, renamed or skipped scenario: remove its
row, or restore its test).
"""

import json
import pathlib
import sys

START = "<!-- results: rewritten by tests/report.py from one run of scripts/test -->"
END = "<!-- /results -->"
HEADER = "| scenario | test bed | how it is tested | status | result |\n|---|---|---|---|---|\n"


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def old_scenarios(block):
    names = set()
    for line in block.splitlines():
        if line.startswith("| ") and not line.startswith("| scenario |"):
            names.add(line[2:].split(" | ", 1)[0].replace("\\|", "|"))
    return names


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    results_dir = pathlib.Path(argv[1]) / "reliability"
    target = pathlib.Path(argv[2]) if len(argv) > 2 else pathlib.Path(__file__).resolve().parent.parent / "RELIABILITY.md"
    text = target.read_text()
    if START not in text or END not in text:
        print(f"error: {target} has no results block ({START} ... {END})", file=sys.stderr)
        return 1
    a, b = text.index(START), text.index(END)
    before = old_scenarios(text[a + len(START):b])

    results = []
    for f in sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []:
        results.append(json.loads(f.read_text()))
    results.sort(key=lambda r: (r["scenario"], r.get("testbed", "")))

    rows = []
    for r in results:
        status = "pass" if r["passed"] else "**FAIL**"
        rows.append(f"| {cell(r['scenario'])} | {cell(r.get('testbed', 'plain'))} | {cell(r['how'])} | {status} | {cell(r['result'])} |\n")
    out = text[: a + len(START)] + "\n" + HEADER + "".join(rows) + text[b:]
    target.write_text(out)

    problems = []
    ran = {r["scenario"] for r in results}
    for name in sorted(before - ran):
        problems.append(f"RELIABILITY.md listed `{name}`, which no test produced in this run: remove its row, or restore its test")
    for r in results:
        if not r["passed"]:
            problems.append(f"scenario `{r['scenario']}` ({r.get('testbed', 'plain')} test bed) failed: {r['result']}")
    if not results:
        problems.append(f"no scenario results in {results_dir}: did the reliability tests run with STRATA_RESULTS_DIR set?")
    print(f"RELIABILITY.md: {len(results)} scenario result(s) written to {target}", file=sys.stderr)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
