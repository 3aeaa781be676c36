import { Token } from 'cdktf';
import { PoolSummary, SUMMARY_BEGIN, SUMMARY_END, SummaryPart } from './model';

/** Everything the summary shows, gathered at synth. */
export interface PlatformFacts {
  readonly stack: string;
  /** Terraform resource type and count, sorted by type. */
  readonly resources: readonly (readonly [string, number])[];
  readonly parts: readonly SummaryPart[];
  /** `[construct path] message`, in construct order. */
  readonly warnings: readonly string[];
  /**
   * Every active exemption: policy rules suppressed or acknowledged (`Policy.suppress` / `acknowledge`) and
   * checkov checks skipped (`Policy.skipCheckov`, the pack's exemptions), each with its reason and where.
   */
  readonly exemptions?: readonly { readonly kind: string; readonly id: string; readonly reason: string; readonly paths: readonly string[] }[];
}


type Part<K extends SummaryPart['kind']> = Extract<SummaryPart, { kind: K }>;

function ofKind<K extends SummaryPart['kind']>(facts: PlatformFacts, kind: K): Part<K>[] {
  return facts.parts.filter((p): p is Part<K> => p.kind === kind);
}

/** A value known only after apply (a Terraform reference) reads as such: tokens are neither stable nor useful here. */
function shown(value: string | undefined): string {
  if (value === undefined || value === '') return '-';
  return Token.isUnresolved(value) ? '(known after apply)' : value;
}

function usd(value: number): string {
  return `$${value.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

function short(path: string): string {
  return path.split('/').slice(1).join('/') || path;
}

function poolLine(cluster: string, p: PoolSummary): string {
  return `${short(cluster)}/${p.name}: ${p.gpu} x${p.gpusPerNode}${p.machineType ? ` (${p.machineType})` : ''}, ${p.minNodes}-${p.maxNodes} nodes, ${p.capacity.join(' -> ') || 'on-demand'}`;
}

/** The compact text (what the fast synth prints): resources, pools, tenants, jobs, endpoints, cost, warnings. */
export function renderSummaryText(facts: PlatformFacts): string {
  const rows: [string, string[]][] = [];
  const total = facts.resources.reduce((n, [, c]) => n + c, 0);
  rows.push(['resources', [`${total}: ${facts.resources.map(([t, c]) => `${t} ${c}`).join(', ') || 'none'}`]]);
  const clusters = ofKind(facts, 'cluster');
  rows.push(['gpu pools', clusters.flatMap((c) => c.pools.map((p) => poolLine(c.path, p)))]);
  rows.push(['tenants', ofKind(facts, 'tenant').map((t) => `${t.namespace}: ${t.gpuQuota} GPUs, ${t.cpuQuota} CPUs, ${t.memoryQuotaGiB} GiB`)]);
  rows.push(['jobs', ofKind(facts, 'training-job').map((j) => `${short(j.path)}: ${j.gpus} GPUs on ${j.pool} in ${j.namespace}${j.checkpointStore ? `, checkpoints to ${short(j.checkpointStore)}` : ''}`)]);
  rows.push(['pipelines', ofKind(facts, 'pipeline').map((p) => `${short(p.path)}: ${p.gpus} GPUs on ${p.pool} in ${p.namespace}, ${p.schedule ? `cron ${p.schedule}` : 'manual'}, data ${p.dataPrefix}${p.endpoint ? `, canary on ${short(p.endpoint)}` : ''}`)]);
  rows.push(['endpoints', ofKind(facts, 'endpoint').map((e) => `${short(e.path)}: ${e.runtime} on ${e.pool}, ${e.replicas.min}-${e.replicas.max} replicas, ${shown(e.url)}`)]);
  rows.push(['buckets', ofKind(facts, 'bucket').map((b) => `${short(b.path)}: ${shown(b.name)}`)]);
  rows.push(['monitoring', ofKind(facts, 'monitoring').map((m) => `${short(m.path)} (${m.backend}): ${
    Object.entries(m.routes).filter(([, r]) => r.length).map(([s, r]) => `${s} -> ${r.join(', ')}`).join('; ') || 'no routes'}`)]);
  const min = clusters.reduce((n, c) => n + c.monthlyUsd.min, 0);
  const max = clusters.reduce((n, c) => n + c.monthlyUsd.max, 0);
  if (clusters.length) rows.push(['cost/month', [`${usd(min)} min (pools at minNodes) / ${usd(max)} max (pools at maxNodes), on-demand list price`]]);
  rows.push([`warnings`, facts.warnings.length ? facts.warnings.map((w) => w.replace(/\s+/g, ' ')) : ['none']]);
  rows.push(['exemptions', facts.exemptions?.length
    ? facts.exemptions.map((e) => `${e.kind} ${e.id} on ${e.paths.map(short).join(', ')}: ${e.reason.replace(/\s+/g, ' ')}`) : ['none']]);
  const lines = [`stack ${facts.stack}`];
  for (const [label, values] of rows) {
    values.forEach((v, i) => lines.push(`  ${(i === 0 ? label : '').padEnd(11)} ${v}`));
  }
  return lines.join('\n');
}

/** Mermaid node ids from construct paths (stable: the paths are). */
function nodeId(prefix: string, path: string): string {
  return `${prefix}_${path.replace(/[^A-Za-z0-9]/g, '_')}`;
}

function label(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`;
}

function clusterBlock(facts: PlatformFacts, clusterPath: string, title: string, indent: string): string[] {
  const out = [`${indent}subgraph ${nodeId('c', clusterPath)}[${label(title)}]`];
  const inner = `${indent}  `;
  const cluster = ofKind(facts, 'cluster').find((c) => c.path === clusterPath);
  for (const p of cluster?.pools ?? []) {
    out.push(`${inner}${nodeId('p', `${clusterPath}/${p.name}`)}[${label(`pool ${p.name}: ${p.gpu} x${p.gpusPerNode}, ${p.minNodes}-${p.maxNodes} nodes, ${p.capacity.join(' > ')}`)}]`);
  }
  const jobs = ofKind(facts, 'training-job').filter((j) => j.cluster === clusterPath);
  const tenants = ofKind(facts, 'tenant').filter((t) => t.cluster === clusterPath);
  for (const t of tenants) {
    out.push(`${inner}subgraph ${nodeId('t', t.path)}[${label(`tenant ${t.namespace}: ${t.gpuQuota} GPUs`)}]`);
    for (const j of jobs.filter((x) => x.namespace === t.namespace)) out.push(`${inner}  ${nodeId('j', j.path)}[${label(`job ${short(j.path)}`)}]`);
    for (const p of ofKind(facts, 'pipeline').filter((x) => x.cluster === clusterPath && x.namespace === t.namespace)) {
      out.push(`${inner}  ${nodeId('pl', p.path)}[${label(`pipeline ${short(p.path)}: ${p.schedule ? `cron ${p.schedule}` : 'manual'}`)}]`);
    }
    out.push(`${inner}end`);
  }
  for (const j of jobs.filter((x) => !tenants.some((t) => t.namespace === x.namespace))) out.push(`${inner}${nodeId('j', j.path)}[${label(`job ${short(j.path)}`)}]`);
  for (const e of ofKind(facts, 'endpoint').filter((x) => x.cluster === clusterPath)) {
    out.push(`${inner}${nodeId('e', e.path)}([${label(`endpoint ${short(e.path)}: ${e.runtime}, ${e.replicas.min}-${e.replicas.max} replicas`)}])`);
  }
  for (const m of ofKind(facts, 'monitoring').filter((x) => x.cluster === clusterPath)) out.push(`${inner}${nodeId('m', m.path)}[${label(`monitoring ${short(m.path)} (${m.backend})`)}]`);
  out.push(`${indent}end`);
  return out;
}

/** The platform as a Mermaid flowchart: clouds, clusters, pools, tenants, jobs, endpoints, buckets, monitoring, data flow. */
export function renderMermaid(facts: PlatformFacts): string {
  const clusters = ofKind(facts, 'cluster');
  const users = [...ofKind(facts, 'training-job'), ...ofKind(facts, 'endpoint'), ...ofKind(facts, 'tenant')];
  const imported = [...new Set(users.map((u) => u.cluster).filter((c) => !clusters.some((k) => k.path === c)))];
  const clouds = [...new Set([...clusters, ...ofKind(facts, 'bucket'), ...ofKind(facts, 'monitoring')].map((p) => p.cloud))];
  const lines = ['flowchart LR'];
  for (const cloud of clouds) {
    lines.push(`  subgraph ${nodeId('cloud', cloud)}[${label(cloud)}]`);
    for (const c of clusters.filter((x) => x.cloud === cloud)) lines.push(...clusterBlock(facts, c.path, `cluster ${short(c.path)}`, '    '));
    for (const b of ofKind(facts, 'bucket').filter((x) => x.cloud === cloud)) lines.push(`    ${nodeId('b', b.path)}[(${label(`bucket ${short(b.path)}`)})]`);
    for (const m of ofKind(facts, 'monitoring').filter((x) => x.cloud === cloud && !x.cluster)) lines.push(`    ${nodeId('m', m.path)}[${label(`monitoring ${short(m.path)} (${m.backend})`)}]`);
    lines.push('  end');
  }
  for (const c of imported) lines.push(...clusterBlock(facts, c, `imported cluster ${short(c)}`, '  '));
  lines.push(...mermaidEdges(facts));
  return lines.join('\n');
}

function mermaidEdges(facts: PlatformFacts): string[] {
  const edges: string[] = [];
  const buckets = ofKind(facts, 'bucket');
  const jobs = ofKind(facts, 'training-job');
  for (const j of jobs) {
    edges.push(`  ${nodeId('j', j.path)} -->|runs on| ${nodeId('p', `${j.cluster}/${j.pool}`)}`);
    if (j.checkpointStore && buckets.some((b) => b.path === j.checkpointStore)) edges.push(`  ${nodeId('j', j.path)} -->|checkpoint| ${nodeId('b', j.checkpointStore)}`);
  }
  for (const p of ofKind(facts, 'pipeline')) {
    edges.push(`  ${nodeId('pl', p.path)} -->|trains on| ${nodeId('p', `${p.cluster}/${p.pool}`)}`);
    if (buckets.some((b) => b.path === p.dataStore)) edges.push(`  ${nodeId('b', p.dataStore)} -->|data ${p.dataPrefix}| ${nodeId('pl', p.path)}`);
    if (p.endpoint && ofKind(facts, 'endpoint').some((e) => e.path === p.endpoint)) edges.push(`  ${nodeId('pl', p.path)} -.->|canary| ${nodeId('e', p.endpoint)}`);
  }
  for (const e of ofKind(facts, 'endpoint')) {
    edges.push(`  ${nodeId('e', e.path)} -->|runs on| ${nodeId('p', `${e.cluster}/${e.pool}`)}`);
    if (e.modelStore && buckets.some((b) => b.path === e.modelStore)) edges.push(`  ${nodeId('b', e.modelStore)} -->|serve ${e.modelPath ?? 'model'}| ${nodeId('e', e.path)}`);
    // train -> checkpoint -> serve: the endpoint serves a checkpoint a job of this stack writes.
    for (const j of jobs.filter((x) => x.checkpointStore && x.checkpointStore === e.modelStore && e.modelPath && x.checkpointPrefix
      && `${e.modelPath}/`.startsWith(x.checkpointPrefix.replace(/\/?$/, '/')))) {
      edges.push(`  ${nodeId('j', j.path)} -.->|trained model| ${nodeId('e', e.path)}`);
    }
  }
  const receivers = [...new Set(ofKind(facts, 'monitoring').flatMap((m) => m.receivers))];
  for (const r of receivers) edges.push(`  ${nodeId('r', r)}{{${label(`receiver ${r}`)}}}`);
  for (const m of ofKind(facts, 'monitoring')) {
    for (const [severity, names] of Object.entries(m.routes)) for (const r of names) edges.push(`  ${nodeId('m', m.path)} -->|${severity}| ${nodeId('r', r)}`);
  }
  return edges;
}

/** PLATFORM.md: the compact summary, then the Mermaid diagram. */
export function renderPlatformMarkdown(facts: PlatformFacts): string {
  return [
    `# Platform: ${facts.stack}`,
    '',
    'Written at synth by cdktf-ai-infra. Costs are estimates at on-demand list price (no network, storage or system pool).',
    '',
    '## Summary',
    '',
    SUMMARY_BEGIN,
    '```text',
    renderSummaryText(facts),
    '```',
    SUMMARY_END,
    '',
    '## Diagram',
    '',
    '```mermaid',
    renderMermaid(facts),
    '```',
    '',
  ].join('\n');
}
