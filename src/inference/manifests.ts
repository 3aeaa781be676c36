// Names, ports, paths and labels of an inference endpoint's Kubernetes objects; the objects themselves are
// built by the per-kind builders of src/k8s/objects.

/** The port every server listens on (HTTP API and /metrics), per compute/CONTRACT.md. */
export const SERVER_PORT = 8000;
/** The Service port in front of it. */
export const SERVICE_PORT = 80;
/** Where the API keys file is mounted. */
export const API_KEYS_DIR = '/var/run/secrets/aiinfra';
export const API_KEYS_FILE = `${API_KEYS_DIR}/api-keys`;
/** Where an init container puts a model copied from the store. */
export const MODEL_CACHE_DIR = '/models';

/** Labels of the pods of one track (`stable` / `canary`) of an endpoint. */
export function podLabels(app: string, track: 'stable' | 'canary'): Record<string, string> {
  return { 'app.kubernetes.io/name': app, 'aiinfra.dev/track': track };
}

/** Labels on every object of an endpoint. */
export function commonLabels(app: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/component': 'inference',
    'app.kubernetes.io/part-of': 'cdktf-ai-infra',
    'app.kubernetes.io/managed-by': 'cdktf-ai-infra',
  };
}
