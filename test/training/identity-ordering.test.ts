// Workload identity bindings come before the pods that use them, on every cloud (issue 15, the class of item 8):
// a pod that starts before its binding exists gets no credentials (GKE: the KSA may not impersonate the Google
// service account yet; AKS: Entra ID does not trust the token yet), and a controller that gives up on the first
// failure (cluster-autoscaler, the alert router) stays broken after a green apply.
import { App } from 'cdktf';
import { Platform } from '../../examples/platform/platform';
import { Cloud } from '../../src/core/cloud';
import { byId, Json } from './cluster-helpers';
import { SynthQuery } from '../synth-query';

/** Every address a resource refers to: its depends_on entries and the `type.name.attr` references in its expressions. */
function references(resource: Json): string[] {
  const refs: string[] = [...(resource.depends_on ?? [])];
  const expressions = JSON.stringify({ ...resource, depends_on: undefined }).match(/\$\{.*?\}(?=[^}]*")/g) ?? [];
  for (const e of expressions) for (const m of e.matchAll(/\b([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)\.[a-z_]+/g)) refs.push(m[1]);
  return refs;
}

describe.each([
  ['gcp', Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }), 'google_service_account_iam_member'],
  ['azure', Cloud.azure({ location: 'eastus2' }), 'azurerm_federated_identity_credential'],
] as const)('%s: every workload identity binding is referenced by a release', (_name, cloud, bindingType) => {
  const json: Json = SynthQuery.fromStack(new Platform(new App({ stackTraces: false }), 'platform', { cloud })).json;
  const bindings = Object.entries(byId(json, bindingType))
    .filter(([, b]) => bindingType !== 'google_service_account_iam_member' || b.role === 'roles/iam.workloadIdentityUser');

  test('no workload starts before its credentials exist (depends_on or values)', () => {
    expect(bindings.length).toBeGreaterThanOrEqual(4);
    const referenced = new Set(Object.values(byId(json, 'helm_release')).flatMap(references));
    const unordered = bindings.filter(([id]) => !referenced.has(`${bindingType}.${id}`)).map(([, b]) => b.member ?? b.subject);
    expect(unordered).toEqual([]);
  });
});
