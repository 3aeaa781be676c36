import { parse } from 'yaml';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { findObject, findObjects, K8sObject, manifestsOf } from '../k8s/validate';
import { validateAll } from '../inference/crds';
import { CLOUDS, CloudName, FakeBucket, FakeEndpoint, FakeTrainingJob, blocksById, fixture, ofType, synth } from './helpers';

const KEY_VAULT = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ops/providers/Microsoft.KeyVault/vaults/ops-kv';

/** The Terraform blocks of the self-managed stack below, per cloud, by construct id. */
const BLOCKS: Record<CloudName, Record<string, string[]>> = {
  aws: {
    'aws_budgets_budget': ['Budget'],
    'aws_iam_role': ['AlertmanagerIdentity', 'GrafanaIdentity'],
    'aws_iam_role_policy': ['AlertmanagerPublish', 'AlertmanagerReadSecrets', 'GrafanaReadsAdminSecret'],
    'aws_kms_key': ['Key'],
    'aws_secretsmanager_secret': ['GrafanaAdminSecret'],
    'aws_secretsmanager_secret_version': ['GrafanaAdminVersion'],
    'aws_sns_topic': ['Topic-oncall', 'Topic-platform', 'Topic-team'],
    'aws_sns_topic_policy': ['TopicPolicy-oncall', 'TopicPolicy-platform', 'TopicPolicy-team'],
    'aws_sns_topic_subscription': ['Subscription-team-email-0'],
    'helm_release': ['Base_Release', 'Config_Release', 'KubePrometheusStack', 'PrometheusOperatorCrds'],
    'ephemeral.aws_secretsmanager_random_password': ['GrafanaAdminGenerated'],
  },
  gcp: {
    'google_billing_budget': ['Budget'],
    'google_kms_crypto_key': ['Key'],
    'google_kms_crypto_key_iam_member': ['KeyAccessPubsub', 'KeyAccessSecretManager'],
    'google_kms_key_ring': ['KeyRing'],
    'google_monitoring_notification_channel': ['Channel-platform', 'Channel-team-email-0'],
    'google_pubsub_topic': ['Topic'],
    'google_pubsub_topic_iam_member': ['TopicPublisherMonitoring'],
    'google_secret_manager_secret': ['GrafanaAdminSecret'],
    'google_secret_manager_secret_iam_member': [
      'AlertmanagerReads-pagerduty-key', 'AlertmanagerReads-slack-url', 'AlertmanagerReads-smtp-password', 'AlertmanagerReads-team-webhook',
      'GrafanaReadsAdminSecret',
    ],
    'google_secret_manager_secret_version': ['GrafanaAdminVersion'],
    'google_service_account': ['AlertmanagerIdentity', 'GrafanaIdentity'],
    'helm_release': ['Base_Release', 'Config_Release', 'KubePrometheusStack', 'PrometheusOperatorCrds'],
    'data.google_project': ['Project'],
  },
  azure: {
    'azurerm_consumption_budget_resource_group': ['Budget'],
    'azurerm_key_vault': ['KeyVault'],
    'azurerm_key_vault_secret': ['GrafanaAdminSecret'],
    'azurerm_monitor_action_group': ['ActionGroup-oncall', 'ActionGroup-platform', 'ActionGroup-team'],
    'azurerm_role_assignment': ['AlertmanagerReadsSecrets', 'DeployerSecretAccess', 'GrafanaReadsAdminSecret'],
    'azurerm_user_assigned_identity': ['AlertmanagerIdentity', 'GrafanaIdentity'],
    'helm_release': ['Base_Release', 'Config_Release', 'KubePrometheusStack', 'PrometheusOperatorCrds'],
    'time_sleep': ['DeployerSecretAccessPropagation'],
    'data.azurerm_client_config': ['ClientConfig'],
    'data.azurerm_resource_group': ['ResourceGroup'],
  },
};

function build(cloudName: CloudName) {
  const f = fixture(cloudName);
  const secret = (secretName: string) => ({ secretName, ...(cloudName === 'azure' ? { keyVaultId: KEY_VAULT } : {}) });
  const monitoring = new MonitoringStack(f.stack, 'obs', {
    cluster: f.cluster,
    budget: { monthlyUsd: 50_000, billingAccountId: '012345-6789AB-CDEF01' },
    alerts: { runbookBaseUrl: 'https://runbooks.example.com/ai', disabled: ['GpuMemoryNearFull'] },
    routing: {
      receivers: [
        { name: 'oncall', pagerDutyRoutingKey: secret('pagerduty-key'), slackWebhookUrl: secret('slack-url') },
        { name: 'team', emails: ['ml-team@example.com'], webhookUrl: secret('team-webhook') },
      ],
      routes: { critical: ['oncall', 'team'], warning: ['team'], info: [] },
      smtp: { smarthost: 'smtp.example.com:587', from: 'alerts@example.com', username: 'alerts', password: secret('smtp-password') },
    },
    selfManaged: { retention: '30d', storageGiB: 200, storageClassName: 'fast-ssd' },
  });
  monitoring.watch(new FakeEndpoint(f.stack, 'Chat', f.cluster, 'chat', 'inference'), { latencyP95Seconds: 4, availability: 0.995 });
  monitoring.watch(new FakeTrainingJob(f.stack, 'Pretrain', f.cluster, 'pretrain', 'research'), { stalledAfter: '20m' });
  monitoring.watch(new FakeBucket(f.stack, 'Models', f.cloud, 'models'));
  const out = synth(f.stack);
  const objects = manifestsOf(f.stack);
  return { ...f, monitoring, out, objects };
}

describe.each(Object.keys(CLOUDS) as CloudName[])('self-managed backend on %s', (cloudName) => {
  const b = build(cloudName);

  test('kube-prometheus-stack: pinned chart, persistent Prometheus with retention, our selectors, Grafana admin password from a file', () => {
    const releases = ofType(b.out, 'helm_release');
    const kps = Object.values(releases).find((r) => r.chart === 'kube-prometheus-stack')!;
    expect(kps).toMatchObject({ repository: 'https://prometheus-community.github.io/helm-charts', version: '79.7.1', name: 'kps', namespace: 'monitoring', atomic: true });
    const values = parse((kps.values as string[])[0]);
    const spec = values.prometheus.prometheusSpec;
    expect(spec.retention).toBe('30d');
    expect(spec.retentionSize).toBe('170GB');
    expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '200Gi' } }, storageClassName: 'fast-ssd' });
    for (const sel of ['ruleSelector', 'serviceMonitorSelector', 'podMonitorSelector']) {
      expect(spec[sel]).toEqual({ matchExpressions: [{ key: 'app.kubernetes.io/managed-by', operator: 'In', values: ['cdktf-ai-infra', 'Helm'] }] });
    }
    // The admin password: a file of a CSI volume (no Kubernetes Secret, nothing in values); the chart makes no admin Secret.
    expect(values.grafana.admin).toBeUndefined();
    expect(values.grafana.adminPassword).toBeUndefined();
    expect(values.grafana.env).toEqual({ GF_SECURITY_ADMIN_USER: 'admin', GF_SECURITY_ADMIN_PASSWORD__FILE: '/etc/secrets/grafana-admin/admin-password' });
    expect(values.grafana.extraSecretMounts).toEqual([{ name: 'admin-credentials', mountPath: '/etc/secrets/grafana-admin', readOnly: true, csi: {
      driver: cloudName === 'gcp' ? 'secrets-store-gke.csi.k8s.io' : 'secrets-store.csi.k8s.io', readOnly: true,
      volumeAttributes: { secretProviderClass: 'aiinfra-grafana-admin' } } }]);
    expect(values.grafana.serviceAccount).toMatchObject({ create: true, name: 'kps-grafana' });
    expect(values.grafana.sidecar.dashboards).toMatchObject({ enabled: true, label: 'grafana_dashboard', labelValue: '1' });
    expect(values.grafana.persistence).toMatchObject({ enabled: true, storageClassName: 'fast-ssd' });
    expect(values.nodeExporter.enabled).toBe(true);
    expect(values.kubeStateMetrics.enabled).toBe(true);
    expect(values['prometheus-node-exporter'].tolerations).toEqual([{ operator: 'Exists' }]);
    expect(b.monitoring.prometheusQueryUrl).toBe('http://kps-prometheus.monitoring.svc:9090');
  });

  test('releases apply in order: namespace and secrets, the chart, then monitors and rules', () => {
    const releases = ofType(b.out, 'helm_release');
    const kps = Object.entries(releases).find(([, r]) => r.chart === 'kube-prometheus-stack')!;
    const base = Object.entries(releases).find(([, r]) => r.name === 'monitoring-base')!;
    const config = Object.entries(releases).find(([, r]) => r.name === 'monitoring-config')!;
    expect(JSON.stringify(kps[1].depends_on)).toContain(`helm_release.${base[0]}`);
    expect(JSON.stringify(config[1].depends_on)).toContain(`helm_release.${kps[0]}`);
  });

  test('Alertmanager routes severities to receivers and reads credentials from files', () => {
    const kps = Object.values(ofType(b.out, 'helm_release')).find((r) => r.chart === 'kube-prometheus-stack')!;
    const am = parse((kps.values as string[])[0]).alertmanager;
    // credentials: files of a Secrets Store CSI volume (the SecretProviderClass of the base release)
    expect(am.alertmanagerSpec.secrets).toBeUndefined();
    expect(am.alertmanagerSpec.volumes).toEqual([{ name: 'receiver-credentials', csi: {
      driver: cloudName === 'gcp' ? 'secrets-store-gke.csi.k8s.io' : 'secrets-store.csi.k8s.io', readOnly: true,
      volumeAttributes: { secretProviderClass: 'aiinfra-alertmanager-receivers' } } }]);
    expect(am.alertmanagerSpec.volumeMounts).toEqual([{ name: 'receiver-credentials', mountPath: '/etc/alertmanager/secrets/aiinfra-alertmanager-receivers', readOnly: true }]);
    const routes = am.config.route.routes.map((r: { matchers: string[]; receiver: string }) => `${r.matchers[0]} -> ${r.receiver}`);
    expect(routes).toEqual(['alertname=~"Watchdog|InfoInhibitor" -> null', ...(cloudName === 'aws' ? ['severity=~".+" -> platform'] : []),
      'severity="critical" -> oncall', 'severity="critical" -> team', 'severity="warning" -> team']);
    const oncall = am.config.receivers.find((r: { name: string }) => r.name === 'oncall');
    expect(oncall.pagerduty_configs[0].routing_key_file).toBe('/etc/alertmanager/secrets/aiinfra-alertmanager-receivers/oncall-pagerduty-key');
    expect(oncall.slack_configs[0].api_url_file).toBe('/etc/alertmanager/secrets/aiinfra-alertmanager-receivers/oncall-slack-url');
    const team = am.config.receivers.find((r: { name: string }) => r.name === 'team');
    expect(team.email_configs).toEqual([{ to: 'ml-team@example.com', send_resolved: true }]);
    expect(team.webhook_configs[0].url_file).toMatch(/team-webhook-url$/);
    expect(am.config.global).toMatchObject({ smtp_smarthost: 'smtp.example.com:587', smtp_auth_password_file: expect.stringMatching(/smtp-password$/) });
  });

  test('AWS: Alertmanager also publishes to the platform SNS topic, as a workload identity that may publish there only', () => {
    const kps = Object.values(ofType(b.out, 'helm_release')).find((r) => r.chart === 'kube-prometheus-stack')!;
    const am = parse((kps.values as string[])[0]).alertmanager;
    expect(am.serviceAccount).toMatchObject({ create: true, name: 'kps-alertmanager' });
    const platform = am.config.receivers.find((r: { name: string }) => r.name === 'platform');
    if (cloudName !== 'aws') {
      expect(platform).toBeUndefined();
      return;
    }
    expect(platform.sns_configs[0]).toMatchObject({ topic_arn: expect.stringMatching(/aws_sns_topic\.obs_Topic-platform/), sigv4: { region: 'us-east-1' } });
    expect(b.cluster.bindings.map((x) => `${x.namespace}/${x.serviceAccount}`)).toEqual(['monitoring/kps-grafana', 'monitoring/kps-alertmanager']);
    const policy = Object.values(ofType(b.out, 'aws_iam_role_policy')).find((p) => p.name === 'publish-alerts')!;
    expect(JSON.parse(String(policy.policy)).Statement).toEqual([
      { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: expect.stringMatching(/aws_sns_topic\.obs_Topic-platform/) },
      { Sid: 'EncryptAlerts', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: expect.stringMatching(/aws_kms_key\.obs_Key/) },
    ]);
  });

  test('receiver credentials never pass through Terraform: no data source reads them; Alertmanager reads them at runtime by name', () => {
    // (issue 15 item 6) nothing is read at plan, so plan works before the secrets exist, the plan role needs
    // no read access to them, and no value lands in state
    for (const [type, entries] of Object.entries((b.out.data ?? {}) as Record<string, Record<string, unknown>>)) {
      expect({ type, ids: Object.keys(entries).filter((id) => /SecretValue/.test(id)) }).toEqual({ type, ids: [] });
    }
    const base = b.monitoring.selfManaged!.base.render();
    expect(findObjects(base.objects as K8sObject[], 'Secret')).toEqual([]);
    const spc = findObject(base.objects as K8sObject[], 'SecretProviderClass', 'aiinfra-alertmanager-receivers');
    expect(() => validateAll([spc])).not.toThrow();
    const params = spc.spec.parameters as Record<string, string>;
    const names = ['pagerduty-key', 'slack-url', 'team-webhook', 'smtp-password'];
    const files = ['oncall-pagerduty-key', 'oncall-slack-url', 'team-webhook-url', 'smtp-password'];
    if (cloudName === 'aws') {
      expect(spc.spec.provider).toBe('aws');
      expect(params).toMatchObject({ region: 'us-east-1', usePodIdentity: 'true' });
      for (const [n, f] of names.map((x, i) => [x, files[i]])) expect(params.objects).toContain(`- objectName: "${n}"\n  objectType: "secretsmanager"\n  objectAlias: "${f}"\n`);
      const read = Object.values(ofType(b.out, 'aws_iam_role_policy')).find((p) => p.name === 'read-receiver-credentials')!;
      expect(JSON.parse(String(read.policy)).Statement[0]).toMatchObject({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: names.map((n) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${n}-??????`).sort(),
      });
      // the CSI driver and its AWS provider are installed before the SecretProviderClass
      const releases = ofType(b.out, 'helm_release');
      const [csiId] = Object.entries(releases).find(([, r]) => r.chart === 'secrets-store-csi-driver-provider-aws')!;
      const baseRelease = Object.values(releases).find((r) => r.name === 'monitoring-base')!;
      expect(JSON.stringify(baseRelease.depends_on)).toContain(`helm_release.${csiId}`);
      // no secret-bearing SNS subscription: the self-managed backend delivers webhooks and PagerDuty itself
      expect(Object.values(ofType(b.out, 'aws_sns_topic_subscription')).map((x) => x.protocol)).not.toContain('https');
    } else if (cloudName === 'gcp') {
      expect(spc.spec.provider).toBe('gke');
      for (const [n, f] of names.map((x, i) => [x, files[i]])) expect(params.secrets).toContain(`- resourceName: "projects/acme-ml/secrets/${n}/versions/latest"\n  path: "${f}"\n`);
      const members = Object.entries(ofType(b.out, 'google_secret_manager_secret_iam_member')).filter(([id]) => id.includes('AlertmanagerReads')).map(([, m]) => m);
      expect(members.map((m) => m.secret_id).sort()).toEqual([...names].sort());
      for (const m of members) expect(m).toMatchObject({ role: 'roles/secretmanager.secretAccessor', member: expect.stringMatching(/^serviceAccount:\$\{google_service_account\./) });
      expect(b.cluster.secretStoreEnabled).toBe(true);
      expect(Object.values(ofType(b.out, 'google_monitoring_notification_channel')).map((c) => c.type).sort()).toEqual(['email', 'pubsub']);
    } else {
      expect(spc.spec.provider).toBe('azure');
      expect(params).toMatchObject({ usePodIdentity: 'false', keyvaultName: 'ops-kv' });
      for (const [n, f] of names.map((x, i) => [x, files[i]])) expect(params.objects).toContain(`  - |\n    objectName: ${n}\n    objectType: secret\n    objectAlias: ${f}\n`);
      const reads = Object.values(ofType(b.out, 'azurerm_role_assignment')).filter((r) => r.role_definition_name === 'Key Vault Secrets User');
      expect(reads.map((r) => r.scope).sort()).toEqual([expect.stringMatching(/^\$\{azurerm_key_vault_secret\.obs_GrafanaAdminSecret_[0-9A-F]+\.resource_versionless_id\}$/), KEY_VAULT]);
      for (const g of Object.values(ofType(b.out, 'azurerm_monitor_action_group'))) expect(g.webhook_receiver ?? []).toEqual([]);
    }
    expect(b.cluster.bindings.map((x) => `${x.namespace}/${x.serviceAccount}`)).toEqual(['monitoring/kps-grafana', 'monitoring/kps-alertmanager']);
    expect(JSON.stringify(b.out)).not.toMatch(/"(password|secret_string|secret_data)":\s*"[^$]/);
  });

  test('Azure: receiver secrets must share one Key Vault (one SecretProviderClass)', () => {
    if (cloudName !== 'azure') return;
    const f = fixture('azure');
    expect(() => new MonitoringStack(f.stack, 'obs', {
      cluster: f.cluster,
      routing: { receivers: [
        { name: 'pager', pagerDutyRoutingKey: { secretName: 'pd', keyVaultId: KEY_VAULT } },
        { name: 'hooks', webhookUrl: { secretName: 'hook', keyVaultId: `${KEY_VAULT}2` } },
      ] },
    })).toThrow(/invalid routing = .*Allowed: receiver secrets in one Key Vault/);
  });

  test('the Grafana admin password is generated into the cloud secret manager write-only, and read by Grafana\'s identity at runtime', () => {
    // (issue 21 item 3) no data source reads it back, no value is in the plan, the state or the Helm values
    expect(Object.keys((b.out.data ?? {}) as object).filter((t) => /secret/.test(t))).toEqual([]);
    const base = b.monitoring.selfManaged!.base.render();
    const spc = findObject(base.objects as K8sObject[], 'SecretProviderClass', 'aiinfra-grafana-admin');
    expect(() => validateAll([spc])).not.toThrow();
    const params = spc.spec.parameters as Record<string, string>;
    if (cloudName === 'aws') {
      const secret = Object.values(ofType(b.out, 'aws_secretsmanager_secret'))[0];
      expect(secret.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
      const version = Object.values(ofType(b.out, 'aws_secretsmanager_secret_version'))[0];
      expect(version).toMatchObject({ secret_string_wo: expect.stringMatching(/^\$\{ephemeral\.aws_secretsmanager_random_password\.obs_GrafanaAdminGenerated_[0-9A-F]+\.random_password\}$/), secret_string_wo_version: 1 });
      expect(version.secret_string).toBeUndefined();
      const generated = Object.values((b.out.ephemeral as Record<string, Record<string, Record<string, unknown>>>).aws_secretsmanager_random_password)[0];
      expect(generated).toMatchObject({ password_length: 40, exclude_punctuation: true, provider: expect.stringMatching(/^aws/) });
      expect(spc.spec.provider).toBe('aws');
      // (the secret's ARN is a Terraform reference, a placeholder in the chart that the release's values fill in)
      expect(params.objects).toMatch(/^- objectName: "__AIINFRA_TF_PLACEHOLDER_\d+__"\n {2}objectType: "secretsmanager"\n {2}objectAlias: "admin-password"\n$/);
      const read = Object.values(ofType(b.out, 'aws_iam_role_policy')).find((p) => p.name === 'read-grafana-admin')!;
      expect(JSON.parse(String(read.policy)).Statement.map((x: { Resource: string }) => x.Resource)).toEqual([
        expect.stringMatching(/aws_secretsmanager_secret\.obs_GrafanaAdminSecret_.*\.arn/), expect.stringMatching(/aws_kms_key\.obs_Key_.*\.arn/)]);
    } else if (cloudName === 'gcp') {
      const version = Object.values(ofType(b.out, 'google_secret_manager_secret_version'))[0];
      expect(version).toMatchObject({ secret_data_wo: '${replace(join("", [uuid(), uuid()]), "-", "")}', secret_data_wo_version: 1 });
      expect(version.secret_data).toBeUndefined();
      // CMEK: one replica in the cluster's region, encrypted with the regional monitoring key Secret Manager may use.
      const secret = Object.values(ofType(b.out, 'google_secret_manager_secret'))[0] as {
        replication: { user_managed: { replicas: { location: string; customer_managed_encryption: { kms_key_name: string } }[] } };
      };
      const replica = secret.replication.user_managed.replicas[0];
      expect(replica.location).toBe('us-central1');
      expect(replica.customer_managed_encryption.kms_key_name).toMatch(/^\$\{google_kms_crypto_key\..*\.id\}$/);
      const access = Object.values(ofType(b.out, 'google_kms_crypto_key_iam_member'))
        .find((m) => String(m.member).includes('gcp-sa-secretmanager'));
      expect(access).toMatchObject({ crypto_key_id: replica.customer_managed_encryption.kms_key_name, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter' });
      expect(spc.spec.provider).toBe('gke');
      expect(params.secrets).toMatch(/\/versions\/latest"\n {2}path: "admin-password"\n$/);
    } else {
      const vault = Object.values(ofType(b.out, 'azurerm_key_vault'))[0];
      expect(vault).toMatchObject({ purge_protection_enabled: true, rbac_authorization_enabled: true });
      const secret = Object.values(ofType(b.out, 'azurerm_key_vault_secret'))[0];
      expect(secret).toMatchObject({ value_wo: '${replace(join("", [uuid(), uuid()]), "-", "")}', value_wo_version: 1 });
      expect(secret.value).toBeUndefined();
      expect(spc.spec.provider).toBe('azure');
      expect(params.objects).toMatch(/objectAlias: admin-password\n$/);
    }
    expect(b.monitoring.grafanaAdminPasswordLocation).toBeDefined();
  });

  test('Kubernetes objects pass schema validation (PrometheusRule, PodMonitor, ConfigMap, Namespace, SecretProviderClass)', () => {
    expect(() => validateAll(b.objects)).not.toThrow();
    const kinds = new Set(b.objects.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['ConfigMap', 'Namespace', 'NetworkPolicy', 'PodMonitor', 'PrometheusRule', 'SecretProviderClass', 'ServiceMonitor']);
  });

  test('PrometheusRules: one per group, labelled for our selector, disabled alerts left out', () => {
    const rules = findObjects(b.objects, 'PrometheusRule');
    expect(rules.map((r) => r.metadata.name).sort()).toEqual([
      'aiinfra-backup-ai-backup-models-restore-drill', 'aiinfra-endpoint-inference-chat', 'aiinfra-gpu', 'aiinfra-platform',
      'aiinfra-training-research-pretrain',
    ]);
    for (const r of rules) expect(r.metadata.labels['app.kubernetes.io/managed-by']).toBe('cdktf-ai-infra');
    const gpu = findObject(b.objects, 'PrometheusRule', 'aiinfra-gpu');
    const alerts = gpu.spec.groups[0].rules.map((r: { alert: string }) => r.alert);
    expect(alerts).not.toContain('GpuMemoryNearFull');
    expect(alerts).toContain('GpuXidHardwareError');
    const endpoint = findObject(b.objects, 'PrometheusRule', 'aiinfra-endpoint-inference-chat').spec.groups[0].rules;
    expect(endpoint.find((r: { alert: string }) => r.alert === 'EndpointLatencyP95OverSlo').expr).toMatch(/service="chat"\}\[5m\]\)\)\) > 4$/);
    expect(endpoint[0].annotations.runbook_url).toBe('https://runbooks.example.com/ai#endpointlatencyp95overslo');
  });

  test('PodMonitors: DCGM exporter, the trainer, and the endpoint (it has no ServiceMonitor of its own here)', () => {
    const monitors = findObjects(b.objects, 'PodMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual(['aiinfra-dcgm-exporter', 'aiinfra-endpoint-chat', 'aiinfra-train-pretrain']);
    const dcgm = findObject(b.objects, 'PodMonitor', 'aiinfra-dcgm-exporter');
    expect(dcgm.spec).toMatchObject({ selector: { matchLabels: { 'app.kubernetes.io/name': 'dcgm-exporter' } }, namespaceSelector: { matchNames: ['gpu-system'] } });
    const trainer = findObject(b.objects, 'PodMonitor', 'aiinfra-train-pretrain');
    expect(trainer.spec.podMetricsEndpoints[0].port).toBe('metrics');
    expect(trainer.spec.podMetricsEndpoints[0].relabelings[0]).toEqual({
      sourceLabels: ['__meta_kubernetes_pod_label_ai_infra_training_job'], targetLabel: 'aiinfra_training_job', action: 'replace',
    });
  });

  test('dashboards ship as ConfigMaps the Grafana sidecar loads', () => {
    const maps = findObjects(b.objects, 'ConfigMap');
    expect(maps.map((m) => m.metadata.name).sort()).toEqual(['aiinfra-dashboard-endpoint', 'aiinfra-dashboard-gpu-fleet', 'aiinfra-dashboard-model-pipeline', 'aiinfra-dashboard-tenant-cost', 'aiinfra-dashboard-tenant-queue', 'aiinfra-dashboard-training-run']);
    for (const m of maps) {
      expect(m.metadata.labels.grafana_dashboard).toBe('1');
      const [body] = Object.values(m.data) as string[];
      expect(JSON.parse(body).panels.length).toBeGreaterThan(5);
    }
  });

  test('namespaces: monitoring enforces baseline (restricted warned), node-exporter alone in a privileged one, default-deny', () => {
    const ns = findObject(b.objects, 'Namespace', 'monitoring');
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'restricted' });
    const node = findObject(b.objects, 'Namespace', 'monitoring-node');
    expect(node.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(node.metadata.annotations['policy.cdktf-ai-infra.dev/AI-K8S-NS-1']).toMatch(/node-exporter/);
    const kps = Object.values(ofType(b.out, 'helm_release')).find((r) => r.chart === 'kube-prometheus-stack')!;
    expect(parse((kps.values as string[])[0])['prometheus-node-exporter'].namespaceOverride).toBe('monitoring-node');
    // (kube-system: the Secrets Store CSI pods the Alertmanager secret mounts install, test/k8s/netpol-addons.test.ts)
    const policies = findObjects(b.objects, 'NetworkPolicy').filter((p) => p.metadata.namespace !== 'kube-system')
      .map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
    expect(policies).toEqual([
      'monitoring-node/allow-dns-egress', 'monitoring-node/default-deny-all',
      'monitoring/allow-alertmanager-delivery', 'monitoring/allow-api-server-egress', 'monitoring/allow-dns-egress',
      'monitoring/allow-prometheus-query', 'monitoring/allow-prometheus-scrape', 'monitoring/allow-same-namespace', 'monitoring/default-deny-all',
    ]);
  });

  test('the policy pack finds nothing unsuppressed', () => {
    const { PolicyPack } = require('../../src/policy/pack') as typeof import('../../src/policy/pack');
    expect(PolicyPack.errors(b.stack).map((f) => `${f.ruleId} ${f.subject}: ${f.message}`)).toEqual([]);
  });

  test('makes these Terraform blocks, under these construct ids (ids are API; the other tests check their contents)', () => {
    expect(blocksById(b.out)).toEqual(BLOCKS[cloudName]);
  });
});
