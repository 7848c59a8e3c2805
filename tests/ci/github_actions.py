#!/usr/bin/env python3
"""Runs examples/ci/github-actions.yml's jobs as GitHub would, against the local emulator, so
that the example cannot rot.

Each `run:` step runs as written (bash -e, in the job's environment, with `${{ ... }}`
expressions of the event filled in); each `uses:` step is played by a stand-in that does what
the action does with files (an artifact is a folder, a comment a file); an action without a
stand-in fails the run. The one step not run is "Install strata": the strata under test is on
PATH instead. State goes to the emulator's S3 (`--state`, which replaces the example's bucket).

Checks: the plan job writes the Markdown comment (under GitHub's 65,536 characters) and the
saved plan as an artifact; the apply job applies exactly that artifact; a second apply job
started at the same time on the same saved plan is refused (the stack is locked, or the plan is
stale once the first one applied), and the state is the first job's.

  github_actions.py --strata BIN --endpoint URL --state s3://BUCKET/PREFIX --stack DIR
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

import boto3
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKFLOW = os.path.join(ROOT, "examples", "ci", "github-actions.yml")
COMMENT_LIMIT = 65536


class Failed(Exception):
    pass


def expressions(text, event):
    """`${{ github.event.pull_request.number }}` and the like, from the event."""

    def value(m):
        expr = m.group(1).strip()
        known = {
            "github.event.pull_request.number": str(event["number"]),
            "github.event.pull_request.merged": "true" if event["merged"] else "false",
            "github.event.action": event["action"],
        }
        if expr not in known:
            raise Failed(f"the example uses an expression the stand-in does not know: {expr}")
        return known[expr]

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


class Job:
    """One job of the workflow, run in `workspace` with `env`."""

    def __init__(self, name, spec, workflow_env, ctx):
        self.name = name
        self.spec = spec
        self.ctx = ctx
        self.env = dict(ctx["base_env"])
        self.env.update({k: str(v) for k, v in (workflow_env or {}).items()})
        self.env.update({k: str(v) for k, v in (spec.get("env") or {}).items()})
        # The example's bucket is a placeholder: the emulator's.
        self.env["STRATA_STATE"] = ctx["state"]
        self.log = []

    def run(self, rewrite=lambda s: s):
        for step in self.spec["steps"]:
            name = step.get("name", step.get("uses", "?"))
            if name == "Install strata":
                continue
            if "uses" in step:
                self.uses(step)
            else:
                self.run_step(name, rewrite(expressions(step["run"], self.ctx["event"])))

    def run_step(self, name, script):
        outputs = os.path.join(self.ctx["workspace"], f".github_output_{self.name}")
        env = dict(self.env, GITHUB_OUTPUT=outputs)
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            cwd=self.ctx["workspace"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.log.append((name, done.returncode, done.stdout, done.stderr))
        if done.returncode != 0:
            raise Failed(
                f"job {self.name}, step {name!r} exited {done.returncode}\n"
                f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            )

    def uses(self, step):
        action = step["uses"].split("@")[0]
        args = {k: expressions(str(v), self.ctx["event"]) for k, v in (step.get("with") or {}).items()}
        ws = self.ctx["workspace"]
        artifacts = self.ctx["artifacts"]
        if action == "actions/checkout":
            return
        if action == "aws-actions/configure-aws-credentials":
            if (self.spec.get("permissions") or {}).get("id-token") != "write":
                raise Failed(f"job {self.name} assumes a role with OIDC without id-token: write")
            if not args.get("role-to-assume", "").startswith("arn:aws:iam::"):
                raise Failed(f"job {self.name}: no role to assume")
            return
        if action == "actions/upload-artifact":
            src = os.path.join(ws, args["path"])
            if not os.path.exists(src):
                if step.get("if") == "always()":
                    return
                raise Failed(f"job {self.name}: artifact {args['path']} was not written")
            dest = os.path.join(artifacts, args["name"])
            os.makedirs(dest, exist_ok=True)
            shutil.copy(src, dest)
            return
        if action == "dawidd6/action-download-artifact":
            src = os.path.join(artifacts, args["name"])
            if not os.path.isdir(src):
                raise Failed(f"job {self.name}: no artifact {args['name']} to download")
            for f in os.listdir(src):
                shutil.copy(os.path.join(src, f), ws)
            return
        if action == "marocchino/sticky-pull-request-comment":
            with open(os.path.join(ws, args["path"]), encoding="utf-8") as f:
                body = f.read()
            if not body.strip() or len(body) > COMMENT_LIMIT:
                raise Failed(f"the plan comment is empty or too long ({len(body)} characters)")
            self.ctx["comments"][args.get("header", "")] = body
            return
        raise Failed(f"job {self.name} uses {action}, which has no stand-in here")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--state", required=True, help="s3://BUCKET/PREFIX on the emulator")
    ap.add_argument("--stack", required=True, help="the stack's documents (a directory)")
    a = ap.parse_args()

    with open(WORKFLOW, encoding="utf-8") as f:
        workflow = yaml.safe_load(f)
    jobs = workflow["jobs"]
    for name in ("plan", "apply"):
        if "timeout-minutes" not in jobs[name]:
            raise Failed(f"job {name} has no timeout")
    if "group" not in (workflow.get("concurrency") or {}):
        raise Failed("the workflow has no concurrency group")

    bucket = a.state[len("s3://"):].split("/")[0]
    s3 = boto3.client(
        "s3",
        endpoint_url=a.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = os.path.join(tmp, "bin")
        os.makedirs(bin_dir)
        os.symlink(os.path.abspath(a.strata), os.path.join(bin_dir, "strata"))
        base_env = {
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "HOME": tmp,
            "AWS_ENDPOINT_URL": a.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "STRATA_MAX_WAIT_SECS": "60",
        }
        for k in ("STRATA_LOCK_LEASE", "STRATA_PENDING_RECHECK_SECS", "STRATA_AWS_PAGE_SIZE"):
            if k in os.environ:
                base_env[k] = os.environ[k]

        def context(workspace, event):
            return {
                "workspace": workspace,
                "artifacts": os.path.join(tmp, "artifacts"),
                "comments": comments,
                "state": a.state,
                "base_env": base_env,
                "event": event,
            }

        def checkout(name):
            ws = os.path.join(tmp, name)
            stack_dir = os.path.join(ws, workflow["env"]["STACK_DIR"])
            shutil.copytree(a.stack, stack_dir)
            return ws

        comments = {}
        opened = {"number": 7, "action": "opened", "merged": False}
        merged = {"number": 7, "action": "closed", "merged": True}

        plan = Job("plan", jobs["plan"], workflow.get("env"), context(checkout("plan"), opened))
        plan.run()
        if not comments:
            raise Failed("the plan job wrote no comment")
        body = next(iter(comments.values()))
        if "Plan:" not in body or "to add" not in body:
            raise Failed(f"the comment is not the plan:\n{body}")
        if not os.path.isfile(os.path.join(tmp, "artifacts", "strata-plan-7", "plan.json")):
            raise Failed("the plan job uploaded no saved plan")

        # Two apply jobs at once on the same saved plan (a concurrency group misconfigured, or
        # a rerun): exactly one applies. The other waits 5 minutes for the lock in the example;
        # here 2 seconds.
        short = lambda s: s.replace("--lock-timeout 5m", "--lock-timeout 2s")
        first = Job("apply", jobs["apply"], workflow.get("env"), context(checkout("apply-1"), merged))
        second = Job("apply", jobs["apply"], workflow.get("env"), context(checkout("apply-2"), merged))
        results = {}

        def go(job, key):
            try:
                job.run(short)
                results[key] = None
            except Failed as e:
                results[key] = e

        threads = [threading.Thread(target=go, args=(j, k)) for j, k in ((first, 1), (second, 2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        failed = [k for k, e in results.items() if e is not None]
        if len(failed) != 1:
            raise Failed(f"expected exactly one apply job to fail, got {results}")
        loser = first if failed[0] == 1 else second
        _, code, _, err = loser.log[-1]
        if code != 1 or not re.search(r"locked|changed since|stale", err):
            raise Failed(f"the second apply job failed otherwise than refused:\n{results[failed[0]]}")
        winner = second if loser is first else first
        events_file = os.path.join(winner.ctx["workspace"], "events.jsonl")
        with open(events_file, encoding="utf-8") as f:
            last = f.read().strip().splitlines()[-1]
        if '"outcome":"success"' not in last:
            raise Failed(f"the apply's summary event is not a success: {last}")
        print(f"ok: plan commented ({len(body)} characters), the saved plan applied, "
              f"the concurrent apply refused ({'locked' if 'locked' in err else 'stale plan'})")


if __name__ == "__main__":
    try:
        main()
    except Failed as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
