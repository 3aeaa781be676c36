import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, LocalBackend, TerraformStack, Testing } from 'cdktf';
import { ApiObject } from 'cdk8s';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { InvalidPropError } from '../../src';
import { KubernetesWorkload } from '../../src/k8s/delivery';
import {
  addDefaultDenyNetworkPolicy, addDnsEgressNetworkPolicy, addEgressNetworkPolicy, addNamespace,
} from '../../src/k8s/namespace';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext, writableEmptyDirs } from '../../src/k8s/security';
import { execFileSync } from 'child_process';
import { parse, parseAllDocuments } from 'yaml';
import { FakeGpuCluster } from './fake-cluster';
import { findObject, restrictedPssProblems, validateManifests } from './validate';
import { readTree } from '../read-tree';

interface Built {
  app: App;
  stack: TerraformStack;
  workload: KubernetesWorkload;
  role: IamRole;
}

function build(outdir?: string): Built {
  const app = outdir ? new App({ outdir }) : Testing.app();
  const stack = new TerraformStack(app, 'apps');
  // cdktf's implicit local backend records the absolute cwd; a relative one keeps the stack portable
  new LocalBackend(stack, { path: 'terraform.tfstate' });
  const cluster = new FakeGpuCluster(stack, 'Cluster');
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  const role = new IamRole(stack, 'Role', { name: 'reader', assumeRolePolicy: '{}' });
  const workload = new KubernetesWorkload(stack, 'Web', { cluster, namespace: 'web' });
  addNamespace(workload.chart, 'Ns', { name: 'web' });
  addDefaultDenyNetworkPolicy(workload.chart, 'Deny', 'web');
  addDnsEgressNetworkPolicy(workload.chart, 'Dns', 'web');
  addEgressNetworkPolicy(workload.chart, 'Https', { name: 'allow-https', namespace: 'web', tcpPorts: [443] });
  const dirs = writableEmptyDirs();
  new ApiObject(workload.chart, 'Sa', {
    apiVersion: 'v1', kind: 'ServiceAccount',
    metadata: { name: 'web', annotations: { 'eks.amazonaws.com/role-arn': role.arn } },
    automountServiceAccountToken: false,
  });
  workload.addObject('Deploy', {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          serviceAccountName: 'web',
          securityContext: restrictedPodSecurityContext(),
          volumes: dirs.volumes,
          containers: [{
            name: 'web', image: 'nginx:1.27',
            args: ['--bucket', `s3://${role.name}/models`, '--alert', 'CPU {{ $value }} high'],
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: dirs.volumeMounts,
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '128Mi' } },
          }],
        },
      },
    },
  });
  return { app, stack, workload, role };
}


describe('KubernetesWorkload delivery', () => {
  test('renders a helm_release through the cluster provider: atomic, wait, timeout, relative chart path', () => {
    const { stack, workload } = build();
    const synth = JSON.parse(Testing.synth(stack));
    const releases = Object.values(synth.resource.helm_release) as Record<string, unknown>[];
    expect(releases).toHaveLength(1);
    const rel = releases[0];
    expect(rel).toMatchObject({
      provider: 'helm.cluster', name: workload.releaseName, namespace: 'web', atomic: true, wait: true,
      wait_for_jobs: false, timeout: 600, cleanup_on_fail: true,
    });
    expect(rel.chart).toMatch(new RegExp(`^\\./assets/[A-Za-z0-9_-]+/${workload.render().hash}$`));
    expect(workload.releaseName).toMatch(/^apps-web-[0-9a-f]{8}$/);
    expect(JSON.stringify(synth)).not.toContain(os.tmpdir());
    expect(JSON.stringify(synth)).not.toContain(process.cwd());
    expect(synth.resource.kubernetes_manifest).toBeUndefined();
  });

  test('tokens become Helm values: placeholders in templates, real references in helm_release.values', () => {
    const { stack, workload } = build();
    const synth = JSON.parse(Testing.synth(stack));
    const rel = Object.values(synth.resource.helm_release)[0] as { values: string[] };
    expect(rel.values).toHaveLength(1);
    expect(rel.values[0]).toContain('yamlencode(');
    expect(rel.values[0]).toContain('"v0" = aws_iam_role.Role.arn');
    // a token inside a longer string: Terraform escapes it for the YAML double-quoted string around it
    expect(rel.values[0]).toContain('"v1" = replace(replace(aws_iam_role.Role.name, "\\\\", "\\\\\\\\"), "\\"", "\\\\\\"")');

    const rendered = workload.render();
    expect(rendered.placeholders.map((p) => [p.key, p.embedded])).toEqual([['v0', false], ['v1', true]]);
    const sa = Object.entries(rendered.files).find(([f]) => f.includes('serviceaccount'))![1];
    expect(sa).toContain('eks.amazonaws.com/role-arn: {{ .Values.tf.v0 | toJson }}');
    const deploy = Object.entries(rendered.files).find(([f]) => f.includes('deployment'))![1];
    expect(deploy).toContain('- "s3://{{ .Values.tf.v1 }}/models"');
    const container = (rendered.objects.find((o) => o.kind === 'Deployment') as any).spec.template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(container.args[1]).toBe('s3://__AIINFRA_TF_PLACEHOLDER_1__/models');
    // literal Go-template braces in object fields are escaped for Helm
    expect(deploy).toContain('CPU {{ "{{" }} $value {{ "}}" }} high');
    expect(rendered.files['values.yaml']).toContain('  v0: null # "${aws_iam_role.Role.arn}"\n');
    expect(rendered.files['values.yaml']).toContain('  v1: null # "${aws_iam_role.Role.name}" (inline in a quoted string: escape \\ and ")\n');
    expect(rendered.files['Chart.yaml']).toMatch(/^apiVersion: v2\nname: apps-web-[0-9a-f]{8}\n/);
    expect(Object.keys(rendered.files)).toEqual([
      'Chart.yaml',
      'templates/000-namespace-web.yaml',
      'templates/001-networkpolicy-default-deny-all.yaml',
      'templates/002-networkpolicy-allow-dns-egress.yaml',
      'templates/003-networkpolicy-allow-https.yaml',
      'templates/004-serviceaccount-web.yaml',
      'templates/005-deployment-web.yaml',
      'values.yaml',
    ]);
  });

  test('round trip: rendering the templates with values (as Helm would) gives the objects with the real values', () => {
    const { workload } = build();
    workload.addObject('Tricky', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tricky' },
      data: { a: 'quote " and {{ braces }} and \\ backslash', b: `x"{{y}}-${(workload.node.scope!.node.findChild('Role') as IamRole).name}-'z'` },
    });
    const rendered = workload.render();
    const arn = 'arn:aws:iam::123456789012:role/reader';
    const name = 'we"ird\\name';
    // each placeholder gets the value its Terraform expression would have (the role's arn, or its odd name)
    const values: Record<string, string> = Object.fromEntries(rendered.placeholders.map((p) => [p.key, p.embedded ? name : arn]));
    const helmLike = (text: string) => text
      .replace(/\{\{ \.Values\.tf\.(v\d+) \| toJson \}\}/g, (_m, k: string) => JSON.stringify(values[k]))
      // Terraform escaped the inline value (replace of \\ and "), Helm inserts it as is
      .replace(/\{\{ \.Values\.tf\.(v\d+) \}\}/g, (_m, k: string) => values[k].replace(/\\/g, '\\\\').replace(/"/g, '\\"'))
      .replace(/\{\{ "\{\{" \}\}/g, '{{').replace(/\{\{ "\}\}" \}\}/g, '}}');
    const docs = Object.entries(rendered.files).filter(([f]) => f.startsWith('templates/')).map(([, t]) => parse(helmLike(t)));
    const sa = docs.find((d) => d.kind === 'ServiceAccount');
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(arn);
    const deploy = docs.find((d) => d.kind === 'Deployment');
    expect(deploy.spec.template.spec.containers[0].args).toEqual(['--bucket', `s3://${name}/models`, '--alert', 'CPU {{ $value }} high']);
    const cm = docs.find((d) => d.kind === 'ConfigMap');
    expect(cm.data).toEqual({ a: 'quote " and {{ braces }} and \\ backslash', b: `x"{{y}}-${name}-'z'` });
    // everything else is unchanged: the parsed documents equal the objects with placeholders filled in
    const fill = (o: unknown): unknown => JSON.parse(JSON.stringify(o).replace(/__AIINFRA_TF_PLACEHOLDER_(\d+)__/g, (_m, n: string) => JSON.stringify(values[`v${n}`]).slice(1, -1)));
    expect(docs).toEqual(rendered.objects.map(fill));
  });

  // Helm's template engine is Go's text/template: render the chart with it (when Go is installed) and parse the
  // YAML, with values holding quotes, backslashes, braces, ':' and '#'.
  const goBin = ['/usr/local/go/bin/go', '/usr/bin/go'].find((g) => fs.existsSync(g));
  (goBin ? test : test.skip)('the templates render with Go text/template (Helm\'s engine) into the objects', () => {
    const { workload } = build();
    workload.addObject('Alert', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'alert' }, data: { summary: '{{ $labels.instance }} down: {{ printf "%.0f" $value }}' } });
    const rendered = workload.render();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gotpl-'));
    try {
      const bin = path.join(dir, 'gotemplate');
      execFileSync(goBin!, ['build', '-o', bin, '.'], { cwd: path.join(__dirname, 'gotemplate'), env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' }, stdio: 'pipe' });
      const sample = 'we"ird\\va:l #x {{y}}';
      const tf: Record<string, string> = {};
      for (const p of rendered.placeholders) tf[p.key] = p.embedded ? sample.replace(/\\/g, '\\\\').replace(/"/g, '\\"') : sample;
      fs.writeFileSync(path.join(dir, 'values.json'), JSON.stringify({ tf }));
      const files = Object.keys(rendered.files).filter((f) => f.startsWith('templates/')).map((f) => {
        const file = path.join(dir, f.replace('templates/', ''));
        fs.writeFileSync(file, rendered.files[f]);
        return file;
      });
      const out = execFileSync(bin, [path.join(dir, 'values.json'), ...files], { encoding: 'utf8' });
      const docs = parseAllDocuments(out).map((d) => {
        expect(d.errors).toEqual([]);
        return d.toJSON();
      }).filter((d) => d);
      const fill = (o: unknown): unknown => JSON.parse(JSON.stringify(o).replace(/__AIINFRA_TF_PLACEHOLDER_\d+__/g, JSON.stringify(sample).slice(1, -1)));
      expect(docs).toEqual(rendered.objects.map(fill));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every object is schema-valid, pods meet the restricted PSS, namespace carries PSS labels', () => {
    const { workload } = build();
    const objects = workload.render().objects;
    validateManifests(objects, { strict: true });
    const ns = findObject(objects, 'Namespace', 'web');
    expect(ns.metadata.namespace).toBeUndefined();
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    expect(findObject(objects, 'NetworkPolicy', 'default-deny-all').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const dns = findObject(objects, 'NetworkPolicy', 'allow-dns-egress');
    expect(dns.spec.egress[0].ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
    const deploy = findObject(objects, 'Deployment', 'web');
    expect(deploy.metadata.namespace).toBe('web');
    expect(restrictedPssProblems(deploy.spec.template.spec)).toEqual([]);
  });

  test('validateManifests reports schema errors and unknown kinds', () => {
    expect(() => validateManifests([{ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: { completions: 'two', template: { spec: { containers: [] } } } }]))
      .toThrow(/Job x \(#0\):\n\s+\/spec\/completions must be integer/);
    expect(() => validateManifests([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }])).toThrow(/no schema for example.com\/v1 Widget/);
    expect(() => validateManifests([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } }])).toThrow(/not a DNS subdomain/);
    expect(() => validateManifests([{ apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'LocalQueue', metadata: { name: 'q', namespace: 'a' }, spec: {} }]))
      .toThrow(/clusterQueue must be a DNS subdomain/);
    // strict: fields the Kubernetes types do not have (kubernetes-models' validators accept them)
    const typo = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'b:1', securityContex: {}, env: [{ name: 'A', valu: 'x' }] }] } } } };
    expect(() => validateManifests([typo])).not.toThrow();
    expect(() => validateManifests([typo], { strict: true })).toThrow(/\/spec\/template\/spec\/containers\/0\/securityContex: unknown field[\s\S]*\/env\/0\/valu: unknown field/);
  });

  test('synth writes the chart (GitOps copy and asset) byte-identically across runs and working directories', () => {
    const outA = fs.mkdtempSync(path.join(os.tmpdir(), 'deliv-a-'));
    const outB = fs.mkdtempSync(path.join(os.tmpdir(), 'deliv-b-'));
    const cwd = process.cwd();
    try {
      const a = build(outA);
      a.app.synth();
      process.chdir(os.tmpdir());
      const b = build(outB);
      b.app.synth();
    } finally {
      process.chdir(cwd);
    }
    const treeA = Object.fromEntries(readTree(outA));
    const treeB = Object.fromEntries(readTree(outB));
    const relevant = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([f]) => !f.endsWith('manifest.json')));
    expect(relevant(treeA)).toEqual(relevant(treeB));
    const files = Object.keys(treeA);
    expect(files).toContain(path.join('charts', 'apps', 'apps-web-' + files.find((f) => f.startsWith('charts'))!.split('apps-web-')[1].split(path.sep)[0], 'Chart.yaml'));
    const assetFiles = files.filter((f) => f.includes(`${path.sep}assets${path.sep}`));
    expect(assetFiles.some((f) => f.endsWith('values.yaml'))).toBe(true);
    const tf = treeA[path.join('stacks', 'apps', 'cdk.tf.json')];
    expect(tf).not.toContain(outA);
    expect(tf).not.toContain(cwd);
    fs.rmSync(outA, { recursive: true, force: true });
    fs.rmSync(outB, { recursive: true, force: true });
  });

  test('the content hash changes with the objects and nothing is written by constructors', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'deliv-c-'));
    const { workload } = build(out);
    expect(fs.existsSync(path.join(out, 'charts'))).toBe(false);
    const before = workload.render().hash;
    workload.addObject('Extra', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra' }, data: { a: 'b' } });
    expect(workload.render().hash).not.toBe(before);
    expect(workload.render().hash).toMatch(/^[0-9a-f]{32}$/);
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('objects added after synthesis began are seen, and fail the synthesis of an already written chart', () => {
    const { stack, workload } = build();
    Testing.synth(stack);
    const first = workload.render();
    expect(workload.render()).toBe(first); // reused during synthesis
    workload.addObject('Late', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } });
    expect(workload.render().hash).not.toBe(first.hash);
    expect(() => Testing.synth(stack)).toThrow(/Kubernetes objects changed after the chart was synthesized/);
  });

  test('dependencies: cluster add-on releases and explicit workloads', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 's');
    const cluster = new FakeGpuCluster(stack, 'Cluster');
    const addons = new KubernetesWorkload(stack, 'Addons', { cluster, namespace: 'ops', releaseName: 'ops' });
    addNamespace(addons.chart, 'Ns', { name: 'ops' });
    const app2 = new KubernetesWorkload(stack, 'App', { cluster, namespace: 'ops', releaseName: 'app', timeoutSeconds: 120, wait: false });
    app2.addObject('Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    app2.addDependency(addons);
    const synth = JSON.parse(Testing.synth(stack));
    const releases = Object.values(synth.resource.helm_release) as { name: string; depends_on?: string[]; timeout: number; wait: boolean }[];
    const rel = releases.find((r) => r.name === 'app')!;
    expect(rel.depends_on).toEqual([expect.stringMatching(/^helm_release\.Addons_Release_[0-9A-F]{8}$/)]);
    expect(rel).toMatchObject({ timeout: 120, wait: false });
  });

  test.each([
    [{ namespace: 'Bad_NS' }, /invalid namespace = "Bad_NS"\. Allowed: a DNS label/],
    [{ namespace: 'ok', releaseName: 'x'.repeat(54) }, /invalid releaseName = "x{54}"\. Allowed: a DNS label: 1-53 characters/],
    [{ namespace: 'ok', timeoutSeconds: 5 }, /invalid timeoutSeconds = 5\. Allowed: an integer >= 30 and <= 86400/],
    [{ namespace: 'ok', releaseNamespace: '-x' }, /invalid releaseNamespace = "-x"/],
  ])('bad props %#', (extra, message) => {
    const stack = new TerraformStack(Testing.app(), 's');
    const cluster = new FakeGpuCluster(stack, 'Cluster');
    expect(() => new KubernetesWorkload(stack, 'W', { cluster, ...extra } as never)).toThrow(InvalidPropError);
    expect(() => new KubernetesWorkload(stack, 'W2', { cluster, ...extra } as never)).toThrow(message);
    expect(stack.node.tryFindChild('W')?.node.children.length ?? 0).toBe(0);
  });

  test('a cluster from another stack is rejected with the fix', () => {
    const app = Testing.app();
    const infra = new TerraformStack(app, 'infra');
    const apps = new TerraformStack(app, 'apps');
    const cluster = new FakeGpuCluster(infra, 'Cluster');
    expect(() => new KubernetesWorkload(apps, 'W', { cluster, namespace: 'x' })).toThrow(/fromClusterAttributes/);
  });
});
