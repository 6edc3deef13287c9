#!/usr/bin/env python3
"""Runs every client scenario of the official MCP conformance suite for protocol versions
2025-11-25, 2025-06-18 and 2025-03-26 (and the current drafts) against Spool's adapter (mcpconformanceclient), one
scenario at a time, and prints Spool's own tally: per scenario the checks that passed, failed
and warned, then one line for the whole run. Scenarios listed in the known-failures file must
fail (with the reason given there); any other failure, and any known failure that now passes,
fails this test. Draft and extension scenarios are listed as not run, with the reason.

Exit codes: 0 all as expected, 1 unexpected results, 77 the suite or Node 22 is missing.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

# The dated versions the client speaks, and the drafts of the next one; extensions (client
# credentials, enterprise-managed grants) are flows Spool does not implement.
VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "draft")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tools", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--known", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--scenario", action="append", help="run only these")
    args = ap.parse_args()

    node = os.path.join(args.tools, "node_modules", ".bin", "node")
    suite = os.path.join(args.tools, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js")
    if not (os.path.exists(node) and os.path.exists(suite)):
        print("SKIP: the conformance suite or Node 22 is not installed; run scripts/install-test-tools")
        return 77
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if not version.startswith("v22"):
        print("SKIP: the conformance suite needs Node 22, found %s" % version)
        return 77

    known = {}
    with open(args.known) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                known[name] = reason.strip()

    listing = subprocess.run([node, suite, "list", "--client"], capture_output=True, text=True, timeout=120)
    scenarios = []
    not_run = []
    for m in re.finditer(r"^\s+- (\S+)(?: \[([^\]]*)\])?", listing.stdout, re.M):
        name, versions = m.group(1), (m.group(2) or "").split(",")
        if any(v in VERSIONS for v in versions):
            scenarios.append((name, versions))
        else:
            not_run.append((name, versions))
    if args.scenario:
        scenarios = [s for s in scenarios if s[0] in args.scenario]
    if not scenarios:
        print("FAIL: the suite listed no client scenarios:\n" + listing.stdout + listing.stderr)
        return 1

    shutil.rmtree(args.results, ignore_errors=True)
    os.makedirs(args.results)
    env = dict(os.environ)
    # The suite spawns the client through a shell and reaches its servers as localhost.
    env["PATH"] = os.path.dirname(node) + os.pathsep + env.get("PATH", "")
    env.pop("http_proxy", None)
    env.pop("HTTP_PROXY", None)
    env["NO_PROXY"] = "localhost,127.0.0.1"

    counts = {"passed": 0, "failed": 0, "known": 0, "unexpected": 0}
    problems = []
    print("MCP conformance suite, client mode, against %s" % os.path.basename(args.client))
    for name, versions in scenarios:
        out = os.path.join(args.results, name.replace("/", "_"))
        cmd = [node, suite, "client", "--command", args.client, "--scenario", name, "-o", out, "--timeout", "30000"]
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        checks = []
        for path in glob.glob(os.path.join(out, "**", "checks.json"), recursive=True):
            with open(path) as f:
                checks.extend(json.load(f))
        passed = sum(1 for c in checks if c.get("status") == "SUCCESS")
        failed = [c for c in checks if c.get("status") == "FAILURE"]
        warned = [c for c in checks if c.get("status") == "WARNING"]
        ok = bool(checks) and not failed and not warned
        status = "pass" if ok else "FAIL"
        if name in known:
            status = "known failure" if not ok else "PASSES BUT LISTED AS KNOWN"
        print("  %-48s %-14s %2d passed, %d failed, %d warnings  [%s]"
              % (name, status, passed, len(failed), len(warned), ",".join(versions)))
        for c in failed + warned:
            print("      %s %s: %s" % (c.get("status"), c.get("id"), c.get("errorMessage") or c.get("description")))
        if not checks:
            print("      no checks were recorded; the suite said:\n" + (run.stdout + run.stderr)[-2000:])
        if ok and name not in known:
            counts["passed"] += 1
        elif not ok and name in known:
            counts["known"] += 1
            print("      known: " + known[name])
        else:
            counts["unexpected"] += 1
            problems.append(name)
            with open(os.path.join(out, "suite-output.txt"), "w") as f:
                f.write(run.stdout + "\n" + run.stderr)
            print("      suite output kept in " + os.path.join(out, "suite-output.txt"))
            tail = (run.stdout + run.stderr).strip().splitlines()[-25:]
            print("      " + "\n      ".join(tail))
    for name, versions in not_run:
        print("  %-48s %-14s an extension flow Spool does not implement (%s)" % (name, "not run", ",".join(versions)))
    print("conformance tally: %d scenarios passed, %d known failures, %d unexpected, %d not run (extensions)"
          % (counts["passed"], counts["known"], counts["unexpected"], len(not_run)))
    if problems:
        print("unexpected: " + ", ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
