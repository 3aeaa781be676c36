import { describeRules, deployment, goodContainer, goodPodSpec, GPU_TOLERATION, job, k8s, pdb } from './helpers';

const namespace = (labels: Record<string, string> = { 'pod-security.kubernetes.io/enforce': 'restricted' }) =>
  ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'research', labels } });
const denyAll = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'research' },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ...extra },
});
const gateway = (listeners: Record<string, unknown>[]) => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'chat', namespace: 'serving' },
  spec: { gatewayClassName: 'gke-l7-global-external-managed', listeners },
});
const gpuLimits = { resources: { requests: { cpu: '8', memory: '64Gi' }, limits: { memory: '64Gi', 'nvidia.com/gpu': 8 } } };

describeRules({
  'AI-K8S-POD-1': {
    fail: (s) => k8s(s, deployment('chat', { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }, { securityContext: { ...goodContainer().securityContext as object, runAsNonRoot: undefined } }), pdb()),
    pass: (s) => k8s(s, deployment(), pdb()),
  },
  'AI-K8S-POD-2': {
    fail: (s) => k8s(s, deployment('chat', {}, { securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } }), pdb()),
    pass: (s) => k8s(s, deployment(), pdb()),
  },
  'AI-K8S-POD-3': {
    fail: (s) => k8s(s, deployment('chat', {}, { securityContext: { ...goodContainer().securityContext as object, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } }), pdb()),
    pass: (s) => k8s(s, deployment('chat', {}, { securityContext: { ...goodContainer().securityContext as object, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }), pdb()),
  },
  'AI-K8S-POD-4': {
    fail: (s) => k8s(s, deployment('chat', { securityContext: { runAsNonRoot: true } }), pdb()),
    pass: (s) => k8s(s, deployment(), pdb()),
  },
  'AI-K8S-POD-5': {
    fail: (s) => k8s(s, job('pretrain', {}, { securityContext: { ...goodContainer().securityContext as object, readOnlyRootFilesystem: false } })),
    pass: (s) => k8s(s, job()),
  },
  'AI-K8S-POD-6': {
    fail: (s) => k8s(s, job('pretrain', {}, { resources: { requests: { cpu: '1' } } })),
    pass: (s) => k8s(s, job()),
  },
  'AI-K8S-POD-7': {
    fail: (s) => k8s(s, job('pretrain', { volumes: [{ name: 'host', hostPath: { path: '/var/run' } }] })),
    pass: (s) => k8s(s, job('pretrain', { volumes: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } }] })),
  },
  'AI-K8S-POD-12': {
    fail: (s) => k8s(s, job('pretrain', { volumes: [{ name: 'tmp', emptyDir: {} }] })),
    pass: (s) => k8s(s, job('pretrain', { volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '16Gi' } }, { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } }] })),
  },
  'AI-K8S-POD-13': {
    fail: (s) => k8s(s, job('pretrain', {}, { env: [{ name: 'AWS_REGION', value: 'us-east-1' }, { name: 'AWS_REGION', value: 'us-west-2' }] })),
    pass: (s) => k8s(s, job('pretrain', {}, { env: [{ name: 'AWS_REGION', value: 'us-east-1' }, { name: 'HOME', value: '/tmp' }] })),
  },
  'AI-K8S-SRV-4': {
    fail: (s) => k8s(s, deployment('chat', {}, { readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 5 }, livenessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 15 } }), pdb()),
    pass: (s) => k8s(s, deployment(), pdb()),
  },
  'AI-K8S-POD-8': {
    fail: (s) => k8s(s, job('pretrain', { hostNetwork: true })),
    pass: (s) => k8s(s, job('pretrain', { hostNetwork: false })),
  },
  'AI-K8S-POD-9': {
    fail: (s) => k8s(s, job('pretrain', {}, { securityContext: { ...goodContainer().securityContext as object, privileged: true } })),
    pass: (s) => k8s(s, job()),
  },
  'AI-K8S-POD-10': {
    fail: (s) => k8s(s, job('pretrain', {}, { image: 'pytorch/pytorch:latest' })),
    pass: (s) => k8s(s, job('pretrain', {}, { image: 'nvcr.io/nvidia/pytorch@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' })),
  },
  'AI-K8S-POD-11': {
    fail: (s) => k8s(s, job('pretrain', { serviceAccountName: 'default' })),
    pass: (s) => k8s(s, job()),
  },
  'AI-K8S-GPU-1': {
    fail: (s) => k8s(s, job('pretrain', {}, gpuLimits)),
    pass: (s) => k8s(s, job('pretrain', { tolerations: [GPU_TOLERATION] }, gpuLimits)),
  },
  'AI-K8S-GPU-2': {
    fail: (s) => k8s(s, deployment('api', { tolerations: [GPU_TOLERATION] }), pdb('api')),
    pass: (s) => k8s(s, deployment('api'), pdb('api'), {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'dcgm-exporter', namespace: 'monitoring' },
      spec: { selector: { matchLabels: { app: 'dcgm' } }, template: { metadata: { labels: { app: 'dcgm' } }, spec: goodPodSpec({ tolerations: [GPU_TOLERATION] }) } },
    }),
  },
  'AI-K8S-GPU-3': {
    fail: (s) => k8s(s, job('pretrain', { tolerations: [GPU_TOLERATION] }, { resources: { requests: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': 8 }, limits: { memory: '64Gi' } } })),
    pass: (s) => k8s(s, job('pretrain', { tolerations: [GPU_TOLERATION] }, { resources: { requests: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': 8 }, limits: { memory: '64Gi', 'nvidia.com/gpu': 8 } } })),
  },
  'AI-K8S-NS-1': {
    fail: (s) => k8s(s, namespace({ 'pod-security.kubernetes.io/enforce': 'privileged' }), denyAll()),
    pass: (s) => k8s(s, namespace(), denyAll()),
  },
  'AI-K8S-NS-2': {
    fail: (s) => k8s(s, namespace(), denyAll({ podSelector: { matchLabels: { app: 'x' } } })),
    pass: (s) => {
      k8s(s, namespace());
      // The policy may come from another workload of the same stack.
      k8s(s, denyAll(), { ...denyAll({ egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }], policyTypes: ['Egress'] }), metadata: { name: 'allow-dns', namespace: 'research' } });
    },
  },
  'AI-K8S-SRV-1': {
    fail: (s) => k8s(s, deployment(), pdb('other')),
    pass: (s) => k8s(s, deployment(), pdb()),
  },
  'AI-K8S-SRV-2': {
    fail: (s) => k8s(s, deployment('chat', {}, { livenessProbe: undefined }), pdb()),
    pass: (s) => k8s(s, deployment(), pdb()),
  },
  'AI-K8S-SRV-3': {
    fail: (s) => k8s(s, deployment('chat', {}, {}, { replicas: 1 }), pdb()),
    pass: (s) => {
      k8s(s, deployment('chat', {}, {}, { replicas: 1 }), pdb(), {
        apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'chat', namespace: 'serving' },
        spec: { scaleTargetRef: { name: 'chat' }, minReplicaCount: 0, maxReplicaCount: 10 },
      });
      k8s(s, deployment('embed', {}, {}, { replicas: 1 }), pdb('embed'), {
        apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'embed', namespace: 'serving' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'embed' }, minReplicas: 2, maxReplicas: 8 },
      });
    },
  },
  'AI-K8S-TRN-1': {
    fail: (s) => k8s(s, job('pretrain', {}, {}, { backoffLimit: 100, activeDeadlineSeconds: undefined })),
    pass: (s) => k8s(s, job()),
  },
  'AI-K8S-TRN-2': {
    fail: (s) => k8s(s, job('pretrain', { nodeSelector: { 'cloud.google.com/gke-spot': 'true' } })),
    pass: (s) => k8s(s, job('pretrain', { nodeSelector: { 'cloud.google.com/gke-spot': 'true' } }, { env: [{ name: 'AIINFRA_CHECKPOINT_DIR', value: 'gs://acme-models/checkpoints/pretrain' }] })),
  },
  'AI-K8S-RBAC-1': {
    fail: (s) => k8s(s, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'all', namespace: 'research' }, rules: [{ apiGroups: [''], resources: ['*'], verbs: ['*'] }] }),
    pass: (s) => k8s(s, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'admins', namespace: 'research' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'Group', name: 'research-admins' }],
    }),
  },
  'AI-K8S-NET-1': {
    fail: (s) => k8s(s, gateway([{ name: 'http', protocol: 'HTTP', port: 80 }]), {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'chat', namespace: 'serving' },
      spec: { rules: [{ host: 'chat.example.com' }] },
    }),
    pass: (s) => k8s(s, gateway([{ name: 'https', protocol: 'HTTPS', port: 443 }, { name: 'http', protocol: 'HTTP', port: 80 }]), {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'redirect', namespace: 'serving' },
      spec: { parentRefs: [{ name: 'chat', sectionName: 'http' }], rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }] },
    }, {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'chat', namespace: 'serving' },
      spec: { tls: [{ hosts: ['chat.example.com'], secretName: 'chat-tls' }], rules: [{ host: 'chat.example.com' }] },
    }),
  },
  'AI-K8S-SVC-1': {
    fail: (s) => k8s(s, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'chat', namespace: 'serving' }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } }),
    pass: (s) => k8s(s, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'chat', namespace: 'serving', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' } },
      spec: { type: 'LoadBalancer', ports: [{ port: 443 }] },
    }),
  },
});
