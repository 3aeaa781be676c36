// Issue 22 item 4: the automatic step after a fatal XID. kured (pinned) runs on GPU nodes of every cloud with a
// sentinel that greps the kernel log; checked here on the synthesized release and by running the exact sentinel
// string through a shell against sample driver lines.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { Gpu } from '../../src/core/gpu';
import { FATAL_XID_PATTERN, FATAL_XIDS, gpuXidSentinelCommand } from '../../src/k8s/charts';
import { HARDWARE_XIDS } from '../../src/monitoring/rules/gpu';
import { aws, azure, clusterJson, gcp, Json, release } from './cluster-helpers';

const CLOUDS = { aws, gcp, azure };

describe.each(['aws', 'gcp', 'azure'] as const)('fatal-XID remediation on %s', (cloud) => {
  const { json } = clusterJson({ cloud: CLOUDS[cloud](), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] }] });
  const rel = release(json, 'gpu-xid-remediation');
  const values: Json = parse(rel.values[0]);

  test('kured, pinned, in the GPU add-on namespace, on GPU nodes only, tolerating their taints', () => {
    expect(rel).toMatchObject({ repository: 'https://kubereboot.github.io/charts', chart: 'kured', version: '6.1.0', namespace: 'gpu-system', atomic: true });
    expect(values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms)
      .toEqual([{ matchExpressions: [{ key: 'cdktf-ai-infra/gpu', operator: 'Exists' }] }]);
    expect(values.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    // The same tolerations as the DCGM exporter, so it lands wherever GPU metrics come from (spot, ComputeClass).
    expect(values.tolerations).toEqual(parse(release(json, 'dcgm-exporter').values[0]).tolerations);
    expect(rel.depends_on?.length ?? 0).toBeGreaterThan(0);
  });

  test('the XID sentinel, one node at a time, never a forced reboot, each pod\'s own grace period', () => {
    expect(values.configuration).toMatchObject({
      useRebootSentinelHostPath: false, rebootSentinelCommand: gpuXidSentinelCommand(), concurrency: 1, forceReboot: false, drainGracePeriod: '-1', lockTtl: '2h',
    });
    expect(values.rbac).toEqual({ create: true });
  });
});

describe('the sentinel command', () => {
  test('the XIDs are those the GpuXidHardwareError alert fires on', () => {
    expect([...FATAL_XIDS]).toEqual([...HARDWARE_XIDS]);
  });

  test('survives the chart template (an unquoted YAML scalar in the container args)', () => {
    const rendered = parse(`args:\n  - --reboot-sentinel-command=${gpuXidSentinelCommand()}\n`) as { args: string[] };
    expect(rendered.args).toEqual([`--reboot-sentinel-command=${gpuXidSentinelCommand()}`]);
  });

  // kured splits the string like a POSIX shell (shlex) and runs it on the host; run the same string with a
  // `dmesg` that prints the sample lines.
  function sentinelExit(kernelLog: string[]): number {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xid-'));
    try {
      fs.writeFileSync(path.join(dir, 'log'), kernelLog.join('\n') + '\n');
      fs.writeFileSync(path.join(dir, 'dmesg'), `#!/bin/sh\ncat '${path.join(dir, 'log')}'\n`, { mode: 0o755 });
      const r = spawnSync('bash', ['-c', gpuXidSentinelCommand()], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
      return r.status ?? -1;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const line = (xid: number) => `[ 8127.5] NVRM: Xid (PCI:0000:3b:00): ${xid}, pid=4242, name=python, Ch 00000008`;

  test.each(FATAL_XIDS.map((x) => [x]))('XID %i: reboot (exit 0)', (xid) => {
    expect(sentinelExit(['[    0.0] Linux version 6.1', line(xid)])).toBe(0);
  });

  test.each([[13], [31], [43], [45], [148], [790]])('XID %i (the program\'s fault, or not a listed code): no reboot (exit 1)', (xid) => {
    expect(sentinelExit(['[    0.0] Linux version 6.1', line(xid)])).toBe(1);
  });

  test('a clean log: no reboot', () => {
    expect(sentinelExit(['[    0.0] Linux version 6.1', '[    3.2] nvidia: module loaded'])).toBe(1);
    expect(execFileSync('grep', ['-E', FATAL_XID_PATTERN], { input: `${line(79)}\n` }).toString()).toContain('Xid');
  });
});
