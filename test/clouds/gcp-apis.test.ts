import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { gcpApisOf } from '../../src/clouds/gcp/services';
import { GCP_SERVICE_AGENT_DOMAINS } from '../../src/clouds/gcp/service-agents';
import { BigqueryDataset } from '@cdktf/provider-google/lib/bigquery-dataset';
import { gcpProvider } from '../../src/clouds/gcp/provider';
import { all, byId, clusterJson, gcp, Json, newStack } from '../training/cluster-helpers';

/** Types that call no API a project can switch off (or are the enablement itself). */
const NO_API = new Set(['google_project_service', 'google_project_service_identity', 'google_client_config']);

/** Every google resource and data source of a stack, with the APIs its depends_on enables. */
function googleElements(json: Json): { address: string; type: string; enabled: string[] }[] {
  const services = byId(json, 'google_project_service');
  const out: { address: string; type: string; enabled: string[] }[] = [];
  for (const block of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries(json[block] ?? {}) as [string, Record<string, Json>][]) {
      if (!type.startsWith('google_') || NO_API.has(type)) continue;
      for (const [name, r] of Object.entries(byName)) {
        const enabled = (r.depends_on ?? [])
          .filter((d: string) => d.startsWith('google_project_service.'))
          .map((d: string) => services[d.split('.')[1]]?.service);
        out.push({ address: `${block === 'data' ? 'data.' : ''}${type}.${name}`, type, enabled });
      }
    }
  }
  return out;
}

function expectEveryElementWaitsForItsApis(json: Json): void {
  const elements = googleElements(json);
  expect(elements.length).toBeGreaterThan(10);
  for (const e of elements) {
    const want = gcpApisOf(e.type);
    expect({ address: e.address, known: want !== undefined }).toEqual({ address: e.address, known: true });
    expect({ address: e.address, missing: want!.filter((api) => !e.enabled.includes(api)) }).toEqual({ address: e.address, missing: [] });
  }
  for (const s of all(json, 'google_project_service')) {
    // A destroy must not switch an API off under other stacks (project-factory's default for shared projects).
    expect(s).toMatchObject({ project: 'acme-ml', disable_on_destroy: false, disable_dependent_services: false });
  }
}

describe('fresh Google Cloud project: APIs and service agents (issue 15 item 5)', () => {
  const { json } = clusterJson({ cloud: gcp() });

  test('a cluster enables exactly the APIs its resources call, and each resource waits for them', () => {
    expect(all(json, 'google_project_service').map((s) => s.service).sort()).toEqual([
      'cloudkms.googleapis.com', 'cloudresourcemanager.googleapis.com', 'compute.googleapis.com', 'container.googleapis.com',
      'iam.googleapis.com', 'logging.googleapis.com', 'monitoring.googleapis.com',
    ]);
    expectEveryElementWaitsForItsApis(json);
  });

  test('the GKE agent is created (google-beta service identity) before the etcd key is granted to it', () => {
    const identities = byId(json, 'google_project_service_identity');
    expect(Object.values(identities)).toEqual([{
      provider: 'google-beta', project: 'acme-ml', service: 'container.googleapis.com',
      depends_on: ['google_project_service.GcpApi-acme-ml-container'],
    }]);
    const grants = byId(json, 'google_kms_crypto_key_iam_member');
    const secrets = Object.entries(grants).find(([k]) => k.includes('SecretsKeyAgent'))![1];
    expect(secrets.depends_on).toContain(`google_project_service_identity.${Object.keys(identities)[0]}`);
    expect(secrets.member).toMatch(/@container-engine-robot\.iam\.gserviceaccount\.com$/);
    // Compute Engine's agent comes with the API itself.
    const disks = Object.entries(grants).find(([k]) => k.includes('DiskKeyAgent'))![1];
    expect(disks.depends_on).toContain('google_project_service.GcpApi-acme-ml-compute');
    expect(json.terraform.required_providers['google-beta']).toEqual({ source: 'hashicorp/google-beta', version: '6.50.0' });
    expect(json.provider['google-beta']).toEqual([{ project: 'acme-ml', region: 'us-central1' }]);
  });

  describe('the example platform (backup, cluster, registry, endpoint, monitoring)', () => {
    const stack = buildPlatformApp(Testing.app()).find((s) => s.node.id === 'platform-gcp')!;
    const platform = JSON.parse(Testing.synth(stack));

    test('every google resource and data source waits for the APIs it calls', () => {
      expectEveryElementWaitsForItsApis(platform);
    });

    test('every KMS grant to a service agent waits for that agent', () => {
      const identities = byId(platform, 'google_project_service_identity');
      const agentOf = Object.fromEntries(Object.entries(GCP_SERVICE_AGENT_DOMAINS).map(([api, domain]) => [domain, api]));
      const grants = [...all(platform, 'google_kms_crypto_key_iam_member'), ...all(platform, 'google_pubsub_topic_iam_member')]
        .filter((g) => /^serviceAccount:service-/.test(g.member) && !/gs-project-accounts/.test(g.member));
      expect(grants.length).toBeGreaterThanOrEqual(5);
      for (const g of grants) {
        const api = agentOf[g.member.split('@')[1]];
        expect(api).toBeDefined();
        const waits = (g.depends_on as string[]).map((d) => d.split('.'));
        const ok = waits.some(([type, name]) => (type === 'google_project_service_identity' && identities[name]?.service === api)
          || (api === 'compute.googleapis.com' && type === 'google_project_service' && name === 'GcpApi-acme-ml-compute'));
        expect({ member: g.member, waitsForAgent: ok }).toEqual({ member: g.member, waitsForAgent: true });
      }
    });
  });

  test('every google type imported under src/ has its APIs listed (a new resource cannot forget)', () => {
    const types = new Set<string>();
    const walk = (dir: string): void => {
      for (const f of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, f.name);
        if (f.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/@cdktf\/provider-google\/lib\/([a-z0-9-]+)/g)) {
            if (m[1] !== 'provider') types.add(`google_${m[1].replace(/^data-google-/, '').replace(/-/g, '_')}`);
          }
        }
      }
    };
    walk(path.join(__dirname, '../../src'));
    expect(types.size).toBeGreaterThan(20);
    expect([...types].filter((t) => gcpApisOf(t) === undefined)).toEqual([]);
  });

  test('an unknown google type gets a synth warning instead of a silent gap', () => {
    const stack = newStack();
    const dataset = new BigqueryDataset(stack, 'Dataset', { provider: gcpProvider(stack, gcp()), datasetId: 'x' });
    const synthesized = JSON.parse(Testing.synth(stack));
    expect(synthesized.resource.google_bigquery_dataset.Dataset.depends_on).toBeUndefined();
    expect(dataset.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data))).toEqual([
      expect.stringContaining('does not know which Google Cloud API google_bigquery_dataset calls'),
    ]);
  });
});
