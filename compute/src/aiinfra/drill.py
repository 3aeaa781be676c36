"""cdktf-ai-infra restore drill: newest checkpoint of each run must verify and load."""
import json
import os
import sys
import time

from aiinfra.checkpoint import CheckpointStore, load_model_for_inference, verify_step


def runs_under(root):
    store = CheckpointStore(root)
    if store.list_steps():
        return [root]
    if not store.fs.exists(store.path):
        return []
    found = []
    for entry in sorted(store.fs.ls(store.path, detail=False)):
        name = entry.rstrip("/").rsplit("/", 1)[-1]
        child = root.rstrip("/") + "/" + name
        if CheckpointStore(child).list_steps():
            found.append(child)
    return found


def main():
    roots = [r for r in os.environ["DRILL_ROOTS"].split(",") if r]
    load = os.environ.get("DRILL_LOAD_WEIGHTS", "1") == "1"
    require = os.environ.get("DRILL_REQUIRE_CHECKPOINT", "1") == "1"
    failures = 0
    checked = 0
    for root in roots:
        runs = runs_under(root)
        if not runs:
            print(json.dumps({"event": "drill_no_checkpoints", "root": root}), flush=True)
            failures += 1 if require else 0
        for run in runs:
            started = time.monotonic()
            record = {"event": "drill_run", "run": run}
            try:
                store = CheckpointStore(run)
                complete = store.complete()
                if not complete:
                    raise RuntimeError("no complete checkpoint (no manifest.json)")
                step, manifest = complete[0]
                record["step"] = step
                record["files"] = len(manifest.get("files") or {})
                problems = verify_step(store, step, manifest)
                if problems:
                    raise RuntimeError("sha256 verification failed: " + "; ".join(problems[:20]))
                if load:
                    config, state, _ = load_model_for_inference(store.step_uri(step), verify=False)
                    record["tensors"] = len(state)
                    record["parameters"] = int(sum(t.numel() for t in state.values()))
                record["ok"] = True
                checked += 1
            except Exception as exc:  # report every run, then fail the Job
                record["ok"] = False
                record["error"] = f"{type(exc).__name__}: {exc}"
                failures += 1
            record["seconds"] = round(time.monotonic() - started, 2)
            print(json.dumps(record), flush=True)
    print(json.dumps({"event": "drill_done", "checked": checked, "failures": failures}), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
