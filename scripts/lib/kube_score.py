#!/usr/bin/env python3
"""scripts/test-kube.sh's scorer: renders the Helm templates of each synth output directory to plain YAML, runs
kube-score on each stack's manifests together and applies .kube-score.yaml (ignored tests, acknowledged findings).
Usage (from the repository root): python3 scripts/lib/kube_score.py <kube-score binary> <synth dir>...
Exits 1 on any warning or critical finding, or on an acknowledged finding that no longer occurs."""
import fnmatch, glob, hashlib, json, os, re, shutil, subprocess, sys, tempfile

binary, bases = sys.argv[1], sys.argv[2:]

# .kube-score.yaml: `ignore-tests:` list and `ignore-container-cpu-limit: true` (read without a YAML library).
# `acknowledged:` entries are findings whose fix is pending in a construct: `- { check: ..., kind: ..., object:
# <namespace>/<name glob>, note: ... }`, one per line. They are printed and not counted; an entry that no longer
# matches anything fails the run, so the list shrinks as fixes land.
ignore, flags, acknowledged, section = [], [], [], None
for line in open(".kube-score.yaml"):
    if re.match(r"^\S", line):
        section = line.split(":")[0]
        if line.startswith("ignore-container-cpu-limit:") and "true" in line:
            flags.append("--ignore-container-cpu-limit")
    elif section == "ignore-tests" and line.startswith("  - "):
        ignore.append(line[4:].split("#")[0].strip())
    elif section == "acknowledged" and line.startswith("  - {"):
        fields = dict(re.findall(r"(\w+): ('[^']*'|\"[^\"]*\"|[^,}]+)", line[4:]))
        acknowledged.append({k: v.strip().strip("'\"") for k, v in fields.items()})
args = [binary, "score", "-o", "json", *flags]
for test in ignore:
    args += ["--ignore-test", test]

placeholder = re.compile(r"\{\{ \.Values\.tf\.(v\d+) \| toJson \}\}")
work = tempfile.mkdtemp(prefix="kube-score-")
try:
    seen, by_stack = set(), {}
    keda_targets = set()  # (stack, namespace, deployment) scaled by a KEDA ScaledObject
    # Model pipelines: their pods are made at run time by the Argo workflow controller from a WorkflowTemplate (whose
    # podMetadata labels they carry) and by its train step (a Job in the template's manifest): kube-score sees neither.
    argo_pods = set()  # (stack, namespace, pipeline) of a WorkflowTemplate's pods
    pipeline_policies = {}  # (stack, namespace, policy name) -> pipeline its podSelector selects
    # New-data triggers: the Argo Events controller makes the pods of each EventBus, EventSource and Sensor, labelled
    # `eventbus-name` / `eventsource-name` / `sensor-name` with the object's name: kube-score sees the objects, not the pods.
    events_objects = set()  # (stack, namespace, pod label, object name)
    events_policies = {}  # (stack, namespace, policy name) -> (pod label, object name) its podSelector selects
    events_labels = {"EventBus": "eventbus-name", "EventSource": "eventsource-name", "Sensor": "sensor-name"}
    charts = [(base, c) for base in bases for c in
              sorted(glob.glob(f"{base}/charts/*/*/Chart.yaml")) + sorted(glob.glob(f"{base}/stacks/*/assets/*/*/Chart.yaml"))]
    for base, chart in charts:
        root = os.path.dirname(chart)
        # <base>/charts/<stack>/<release> or <base>/stacks/<stack>/assets/<id>/<hash>
        stack = os.path.relpath(root, base).split(os.sep)[1]
        for template in sorted(glob.glob(os.path.join(root, "templates", "*.yaml"))):
            text = open(template).read().replace('{{ "{{" }}', "\x00OPEN\x00").replace('{{ "}}" }}', "\x00CLOSE\x00")
            # A whole value (`key: {{ .Values.tf.vN | toJson }}`) becomes a string; a value embedded in a string
            # (`"s3://{{ .Values.tf.vN }}/x"`) becomes plain text.
            text = placeholder.sub(lambda m: f'"tf-placeholder-{m.group(1)}"', text)
            text = re.sub(r"\{\{[^}]*\}\}", "tf-placeholder", text)
            text = text.replace("\x00OPEN\x00", "{{").replace("\x00CLOSE\x00", "}}")
            digest = hashlib.sha256((stack + "\0" + text).encode()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            out = os.path.join(work, stack)
            os.makedirs(out, exist_ok=True)
            if re.search(r"^kind: ScaledObject$", text, re.M):
                ns = re.search(r"^  namespace: (\S+)$", text, re.M)
                target = re.search(r"^  scaleTargetRef:\n(?:    (?:apiVersion|kind): .*\n)*    name: (\S+)$", text, re.M)
                kind = re.search(r"^  scaleTargetRef:\n(?:    .*\n)*?    kind: (\S+)$", text, re.M)
                if ns and target and (not kind or kind.group(1) == "Deployment"):
                    keda_targets.add((stack, ns.group(1), target.group(1)))
            ns = re.search(r"^  namespace: (\S+)$", text, re.M)
            if ns and re.search(r"^kind: WorkflowTemplate$", text, re.M):
                pods = re.search(r"^  podMetadata:\n    labels:\n(?:      .*\n)*?      ai-infra/model-pipeline: (\S+)$", text, re.M)
                if pods:
                    argo_pods.add((stack, ns.group(1), pods.group(1)))
            if ns and re.search(r"^kind: NetworkPolicy$", text, re.M):
                name = re.search(r"^  name: (\S+)$", text, re.M)
                selected = re.search(r"^  podSelector:\n    matchLabels:\n      ai-infra/model-pipeline: (\S+)$", text, re.M)
                if name and selected:
                    pipeline_policies[(stack, ns.group(1), name.group(1))] = selected.group(1)
                events = re.search(r"^  podSelector:\n    matchLabels:\n(?:      .*\n)*?      (eventbus-name|eventsource-name|sensor-name): (\S+)$", text, re.M)
                if name and events:
                    events_policies[(stack, ns.group(1), name.group(1))] = (events.group(1), events.group(2))
            events_kind = re.search(r"^kind: (EventBus|EventSource|Sensor)$", text, re.M)
            if ns and events_kind and re.search(r"^apiVersion: argoproj\.io/", text, re.M):
                name = re.search(r"^  name: (\S+)$", text, re.M)
                if name:
                    events_objects.add((stack, ns.group(1), events_labels[events_kind.group(1)], name.group(1)))
            path = os.path.join(out, f"{len(seen):04d}-{os.path.basename(template)}")
            with open(path, "w") as f:
                f.write(text)
            by_stack.setdefault(stack, []).append(path)

    if not by_stack:
        print(f"kube-score: no rendered manifests under {', '.join(bases)} (no KubernetesWorkload charts)")
        sys.exit(0)

    failed = 0
    for stack, files in sorted(by_stack.items()):
        run = subprocess.run(args + files, capture_output=True, text=True)
        try:
            objects = json.loads(run.stdout)
        except json.JSONDecodeError:
            print(f"kube-score: {stack}: no report (exit {run.returncode}): {run.stderr.strip()[-2000:]}")
            failed += 1
            continue
        # Namespaces where our manifests create pods. A NetworkPolicy elsewhere protects pods of a pinned upstream
        # chart (kube-prometheus-stack, node-exporter, DCGM exporter, Kueue) installed by its own helm_release:
        # kube-score cannot see those pods, so "selector matches no pod" is expected there and not counted.
        pod_kinds = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
        pod_namespaces = {o["object_meta"].get("namespace") for o in objects if o["type_meta"]["kind"] in pod_kinds}
        counts = {"ok": 0, "warning": 0, "critical": 0, "upstream": 0, "keda": 0, "argo": 0, "acknowledged": 0}
        for o in objects:
            kind, meta = o["type_meta"]["kind"], o["object_meta"]
            for c in o["checks"]:
                if c["skipped"]:
                    continue
                grade = c["grade"]
                if grade >= 7:
                    counts["ok"] += 1
                    continue
                if c["check"]["id"] == "networkpolicy-targets-pod" and (stack, meta.get("namespace"), pipeline_policies.get(
                        (stack, meta.get("namespace"), meta["name"]))) in argo_pods:
                    counts["argo"] += 1
                    continue
                selects = events_policies.get((stack, meta.get("namespace"), meta["name"]))
                if c["check"]["id"] == "networkpolicy-targets-pod" and selects and (stack, meta.get("namespace"), *selects) in events_objects:
                    counts["argo"] += 1
                    continue
                if c["check"]["id"] == "networkpolicy-targets-pod" and meta.get("namespace") not in pod_namespaces:
                    counts["upstream"] += 1
                    continue
                # kube-score knows HPAs but not KEDA: a ScaledObject owns the replica count (KEDA creates the HPA at
                # run time); AI-K8S-SRV-3 checks its minReplicaCount (>= 2, or 0 for scale-to-zero).
                if c["check"]["id"] == "deployment-replicas" and (stack, meta.get("namespace"), meta["name"]) in keda_targets:
                    counts["keda"] += 1
                    continue
                ack = next((a for a in acknowledged if a["check"] == c["check"]["id"] and a["kind"] == kind
                            and fnmatch.fnmatch(f"{meta.get('namespace', '')}/{meta['name']}", a["object"])), None)
                if ack:
                    ack["used"] = True
                    counts["acknowledged"] += 1
                    print(f"[ACKNOWLEDGED] {stack}: {kind} {meta.get('namespace', '')}/{meta['name']}: {c['check']['id']}: fix pending: {ack['note']}")
                    continue
                level = "CRITICAL" if grade <= 1 else "WARNING"
                counts["critical" if grade <= 1 else "warning"] += 1
                for comment in c["comments"] or [{"summary": c["check"]["name"], "path": ""}]:
                    where = f" ({comment['path']})" if comment.get("path") else ""
                    print(f"[{level}] {stack}: {kind} {meta.get('namespace', '')}/{meta['name']}: {c['check']['id']}{where}: {comment['summary']}")
        print(f"kube-score: {stack}: {len(files)} manifests, {counts['ok']} ok, {counts['warning']} warning, {counts['critical']} critical, "
              f"{counts['acknowledged']} acknowledged (not counted: {counts['upstream']} NetworkPolicies for pods of upstream charts, "
              f"{counts['keda']} KEDA-scaled Deployments, {counts['argo']} NetworkPolicies for model pipeline pods made by Argo Workflows and Argo Events)")
        failed += counts["warning"] + counts["critical"]
    for a in acknowledged:
        if not a.get("used"):
            print(f"kube-score: acknowledged finding no longer occurs, remove it from .kube-score.yaml: {a['check']} {a['kind']} {a['object']}")
            failed += 1
    sys.exit(1 if failed else 0)
finally:
    shutil.rmtree(work, ignore_errors=True)
