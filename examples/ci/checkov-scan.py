#!/usr/bin/env python3
"""checkov over synthesized cdktf stacks (framework terraform_json), with skips declared in the stacks themselves.

usage: checkov-scan.py <path to checkov> <cdk.tf.json>...

- Scans a copy of each stack without `terraform.required_version`: checkov's terraform_json parser fails on the
  whole file when that key is present.
- checkov reads no skip comments from Terraform JSON (bridgecrewio/checkov#4634). The deliberate skips live in
  each resource's `"//": {"checkov": {"skip": [{"id": ..., "comment": ...}]}}` (written by cdktf-ai-infra's
  policy pack and Policy.skipCheckov); this script applies exactly those, and a skip without a reason is an error.
- With CHECKOV_LIST_SKIPPED=1 also prints every failure a declared skip covers, with its reason.
- Prints passed / failed / skipped per stack and exits 1 on any failed check no skip covers, or a parse error.
Used by scripts/test-checkov.sh (npm test) and by examples/ci/github-actions.yml.
"""
import json, os, shutil, subprocess, sys, tempfile

checkov, stack_files = sys.argv[1], sys.argv[2:]
# CHECKOV_LIST_SKIPPED=1: also print each failure a declared skip covers, with its reason (the raw audit view).
list_skipped = os.environ.get("CHECKOV_LIST_SKIPPED") == "1"
# No network: no guideline download, no version check.
env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_VERSION_CHECK": "1", "LOG_LEVEL": "ERROR"}
work = tempfile.mkdtemp(prefix="checkov-")
total_unskipped = 0
problems = []
rows = []
try:
    for path in stack_files:
        stack = os.path.basename(os.path.dirname(path))
        with open(path) as f:
            config = json.load(f)
        config.get("terraform", {}).pop("required_version", None)
        # Declared skips: logical name -> {check id: reason}, from each resource's "//" block.
        skips = {}
        for rtype, resources in (config.get("resource") or {}).items():
            if rtype == "//":
                continue
            for name, body in resources.items():
                meta = body.get("//", {}) if isinstance(body, dict) else {}
                for skip in (meta.get("checkov") or {}).get("skip", []):
                    reason = str(skip.get("comment", "")).strip()
                    if not reason:
                        problems.append(f"{stack}: {rtype}.{name} skips {skip.get('id')} without a reason")
                    skips.setdefault(name, {})[skip.get("id")] = reason
        target = os.path.join(work, stack)
        os.makedirs(target)
        with open(os.path.join(target, "cdk.tf.json"), "w") as f:
            json.dump(config, f, indent=2)
        out = subprocess.run([checkov, "-d", target, "--framework", "terraform_json", "--skip-download",
                              "--compact", "-o", "json"], capture_output=True, text=True, env=env)
        try:
            report = json.loads(out.stdout)
        except json.JSONDecodeError:
            sys.stderr.write(out.stderr[-4000:])
            problems.append(f"{stack}: checkov produced no report (exit {out.returncode})")
            continue
        report = report[0] if isinstance(report, list) else report
        results = report.get("results", {})
        if report.get("summary", {}).get("parsing_errors"):
            problems.append(f"{stack}: checkov could not parse {results.get('parsing_errors')}")
        passed = len(results.get("passed_checks", []))
        skipped = len(results.get("skipped_checks", []))
        unskipped = []
        for check in results.get("failed_checks", []):
            # Graph checks name the resource "resource.<name>"; Python checks "<type>.<name>".
            name = check["resource"].split(".", 1)[-1]
            if check["check_id"] in skips.get(name, {}):
                skipped += 1
                if list_skipped:
                    print(f"SKIPPED {stack}: {check['check_id']} {check['check_name']} -> {check['resource']}: {skips[name][check['check_id']]}")
            else:
                unskipped.append(check)
        rows.append((stack, passed, len(unskipped), skipped, len(results.get("failed_checks", []))))
        total_unskipped += len(unskipped)
        for check in unskipped:
            name = check["resource"].split(".", 1)[-1]
            path_meta = ""
            for rtype, resources in (config.get("resource") or {}).items():
                if name in (resources or {}):
                    path_meta = resources[name].get("//", {}).get("metadata", {}).get("path", "")
            print(f"FAILED {stack}: {check['check_id']} {check['check_name']} -> {check['resource']} ({path_meta})")
    # raw: what checkov fails without the declared skips (failed + skipped), the auditor's figure.
    print(f"{'stack':<24} {'passed':>7} {'failed':>7} {'skipped':>8} {'raw':>5}")
    for stack, passed, failed, skipped, raw in rows:
        print(f"{stack:<24} {passed:>7} {failed:>7} {skipped:>8} {raw:>5}")
finally:
    shutil.rmtree(work, ignore_errors=True)
for p in problems:
    print(f"ERROR {p}")
if total_unskipped or problems:
    print(f"checkov: {total_unskipped} failed check(s) without a declared skip")
    sys.exit(1)
print("checkov: no failed checks")
