import json

from trainer_helpers import cli_cmd, run, torchrun_cmd


def _reports(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"event": "burnin"')]


def test_burnin_two_ranks_passes_with_allreduce_check():
    res = run(torchrun_cmd(2, "burnin", "--device", "cpu", "--gemm-size", "128", "--gemm-iters", "2", "--allreduce-mb", "1"), timeout=180)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    reports = _reports(res.stdout)
    assert sorted(r["rank"] for r in reports) == [0, 1]
    for r in reports:
        assert r["ok"] and r["failures"] == []
        assert r["allreduce"]["correct"] and r["allreduce"]["busbw_gbps"] > 0
        assert r["numerics"]["finite"] and r["gemm"]["tflops"] > 0
    assert reports[0]["numerics"]["checksum"] == reports[1]["numerics"]["checksum"]


def test_burnin_fails_when_gemm_below_floor():
    res = run(cli_cmd("burnin", "--device", "cpu", "--gemm-size", "64", "--gemm-iters", "1", "--min-tflops", "1000000"), timeout=120)
    assert res.returncode == 1
    (report,) = _reports(res.stdout)
    assert not report["ok"] and "below the floor" in report["failures"][0]
