import { parse } from 'yaml';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { findObjects, K8sObject, manifestsOf, validateManifests } from '../k8s/validate';
import { CloudName, FakeBucket, FakeEndpoint, FakeTrainingJob, blocksById, fixture, ofType, synth } from './helpers';

const KEY_VAULT = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ops/providers/Microsoft.KeyVault/vaults/ops-kv';

function build(cloudName: CloudName, extra: { grafana?: boolean } = {}) {
  const f = fixture(cloudName);
  const secret = (secretName: string) => ({ secretName, ...(cloudName === 'azure' ? { keyVaultId: KEY_VAULT } : {}) });
  const monitoring = new MonitoringStack(f.stack, 'obs', {
    cluster: f.cluster,
    backend: 'managed',
    managed: extra.grafana ? { grafana: true } : undefined,
    budget: { monthlyUsd: 12_345.5, thresholds: [25, 90], billingAccountId: '012345-6789AB-CDEF01' },
    routing: {
      receivers: [
        { name: 'oncall', pagerDutyRoutingKey: secret('pagerduty-key') },
        { name: 'team', emails: ['ml-team@example.com', 'lead@example.com'], webhookUrl: secret('team-webhook') },
      ],
      routes: { critical: ['oncall'], warning: ['team'] },
    },
  });
  monitoring.watch(new FakeEndpoint(f.stack, 'Chat', f.cluster, 'chat', 'inference'));
  monitoring.watch(new FakeTrainingJob(f.stack, 'Pretrain', f.cluster, 'pretrain', 'research'));
  monitoring.watch(new FakeBucket(f.stack, 'Models', f.cloud, 'models'));
  return { ...f, monitoring, out: synth(f.stack), objects: manifestsOf(f.stack) };
}

const TOTAL_ALERTS = 20;

function policy(json: unknown): { Statement: Record<string, unknown>[] } {
  return JSON.parse(String(json));
}

describe('managed backend on AWS', () => {
  const b = build('aws', { grafana: true });

  test('a customer-managed key with rotation and no wildcard actions', () => {
    const key = Object.values(ofType(b.out, 'aws_kms_key'))[0];
    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    const statements = policy(key.policy).Statement;
    for (const s of statements) {
      for (const action of ([] as string[]).concat(s.Action as string[])) expect(action).not.toMatch(/\*/);
    }
    const publishers = statements.find((s) => s.Sid === 'PublishersEncryptMessages')!;
    expect(publishers.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '123456789012' } });
  });

  test('SNS topics: platform + one per receiver, CMK-encrypted, least-privilege policies, subscriptions', () => {
    const topics = ofType(b.out, 'aws_sns_topic');
    expect(Object.keys(topics)).toHaveLength(3);
    for (const t of Object.values(topics)) expect(t.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.obs_Key_/);
    for (const p of Object.values(ofType(b.out, 'aws_sns_topic_policy'))) {
      const statements = policy(p.policy).Statement;
      expect(statements.map((s) => s.Sid)).toEqual(['AccountManages', 'BudgetsPublish', 'ManagedPrometheusPublishes', 'DenyInsecureTransport']);
      expect(statements.find((s) => s.Sid === 'ManagedPrometheusPublishes')!.Condition).toMatchObject({ ArnEquals: { 'aws:SourceArn': expect.stringMatching(/aws_prometheus_workspace/) } });
      for (const s of statements) expect(JSON.stringify(s.Action)).not.toMatch(/sns:\*|"\*"/);
    }
    const subs = Object.values(ofType(b.out, 'aws_sns_topic_subscription'));
    expect(subs.filter((s) => s.protocol === 'email').map((s) => s.endpoint)).toEqual(['ml-team@example.com', 'lead@example.com']);
    const https = subs.filter((s) => s.protocol === 'https').map((s) => String(s.endpoint));
    // The values are read by data sources (managed backends only) and marked sensitive (masked in plans).
    expect(https).toEqual(expect.arrayContaining([expect.stringMatching(/^https:\/\/events\.pagerduty\.com\/integration\/\$\{sensitive\(data\.aws_secretsmanager_secret_version\./),
      expect.stringMatching(/^\$\{sensitive\(data\.aws_secretsmanager_secret_version\.obs_SecretValue-team-webhook-url/)]));
  });

  test('AWS Budgets: monthly cost limit, actual thresholds and a forecast, to the platform topic and warning e-mails', () => {
    const budget = Object.values(ofType(b.out, 'aws_budgets_budget'))[0];
    expect(budget).toMatchObject({ budget_type: 'COST', limit_amount: '12345.50', limit_unit: 'USD', time_unit: 'MONTHLY' });
    const notes = budget.notification as Record<string, unknown>[];
    expect(notes.map((n) => `${n.notification_type} ${n.threshold}`)).toEqual(['ACTUAL 25', 'ACTUAL 90', 'FORECASTED 100']);
    for (const n of notes) {
      expect(n.subscriber_sns_topic_arns).toEqual([expect.stringMatching(/aws_sns_topic\.obs_Topic-platform/)]);
      expect(n.subscriber_email_addresses).toEqual(['ml-team@example.com', 'lead@example.com']);
    }
  });

  test('Amazon Managed Service for Prometheus: KMS workspace, one rule namespace per group, SNS alert manager', () => {
    expect(Object.values(ofType(b.out, 'aws_prometheus_workspace'))[0].kms_key_arn).toMatch(/aws_kms_key/);
    const namespaces = Object.values(ofType(b.out, 'aws_prometheus_rule_group_namespace'));
    expect(namespaces.map((n) => n.name).sort()).toEqual(['aiinfra-backup-ai-backup-models-restore-drill', 'aiinfra-endpoint-inference-chat',
      'aiinfra-gpu', 'aiinfra-platform', 'aiinfra-training-research-pretrain']);
    const rules: Record<string, unknown>[] = namespaces.flatMap((n) => parse(String(n.data)).groups[0].rules);
    expect(rules.filter((r) => 'alert' in r)).toHaveLength(TOTAL_ALERTS);
    // the training group's recording rules (checkpoint age, preemption loss) sit in its namespace, before its alerts
    expect(rules.filter((r) => 'record' in r).map((r) => r.record)).toEqual([
      'aiinfra:training_checkpoint_age_seconds', 'aiinfra:training_preemption_loss_gpu_hours', 'aiinfra:training_preemption_loss_usd']);
    const def = Object.values(ofType(b.out, 'aws_prometheus_alert_manager_definition'))[0];
    const config = parse(parse(String(def.definition)).alertmanager_config);
    expect(config.receivers.map((r: { name: string }) => r.name)).toEqual(['null', 'platform', 'oncall', 'team']);
    expect(config.receivers[1].sns_configs[0]).toMatchObject({ sigv4: { region: 'us-east-1' }, topic_arn: expect.stringMatching(/aws_sns_topic\.obs_Topic-platform/) });
    expect(config.route.routes.map((r: { matchers: string[]; receiver: string }) => `${r.matchers[0]} -> ${r.receiver}`)).toEqual([
      'alertname=~"Watchdog|InfoInhibitor" -> null', 'severity=~".+" -> platform', 'severity="critical" -> oncall', 'severity="warning" -> team',
    ]);
  });

  test('the managed scraper reads the EKS cluster and scrapes kube-state-metrics, DCGM, trainer and server pods', () => {
    const scraper = Object.values(ofType(b.out, 'aws_prometheus_scraper'))[0];
    expect(JSON.stringify(scraper.source)).toMatch(/data\.aws_eks_cluster\.obs_EksCluster_[A-F0-9]+\.arn/);
    const config = parse(String(scraper.scrape_configuration));
    expect(config.scrape_configs.map((j: { job_name: string }) => j.job_name)).toEqual([
      'kube-state-metrics', 'aiinfra-dcgm-exporter', 'aiinfra-endpoint-chat', 'aiinfra-train-pretrain',
    ]);
    const trainer = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'aiinfra-train-pretrain');
    expect(trainer.relabel_configs).toEqual(expect.arrayContaining([
      { source_labels: ['__meta_kubernetes_pod_label_ai_infra_training_job'], regex: 'pretrain', action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_label_ai_infra_training_job'], target_label: 'aiinfra_training_job', action: 'replace' },
    ]));
    const ksm = Object.values(ofType(b.out, 'helm_release')).find((r) => r.chart === 'kube-state-metrics')!;
    expect(ksm).toMatchObject({ version: '6.4.1', namespace: 'kube-system' });
    const rbac = findObjects(b.objects, 'ClusterRoleBinding');
    expect(rbac[0].subjects).toEqual([{ kind: 'User', name: 'aps-collector-user', apiGroup: 'rbac.authorization.k8s.io' }]);
    expect(() => validateManifests(b.objects)).not.toThrow();
  });

  test('optional Amazon Managed Grafana with a query-only role', () => {
    const ws = Object.values(ofType(b.out, 'aws_grafana_workspace'))[0];
    expect(ws).toMatchObject({ account_access_type: 'CURRENT_ACCOUNT', permission_type: 'CUSTOMER_MANAGED', data_sources: ['PROMETHEUS'] });
    const p = policy(Object.values(ofType(b.out, 'aws_iam_role_policy'))[0].policy).Statement;
    for (const s of p) {
      expect(s.Resource).not.toBe('*');
      for (const a of ([] as string[]).concat(s.Action as string[])) expect(a).not.toMatch(/\*/);
    }
  });

  test('no in-cluster Prometheus and no query URL (KEDA falls back to CPU)', () => {
    expect(Object.values(ofType(b.out, 'helm_release')).find((r) => r.chart === 'kube-prometheus-stack')).toBeUndefined();
    expect(b.monitoring.prometheusQueryUrl).toBeUndefined();
  });

  test('makes these Terraform blocks, under these construct ids (ids are API; the other tests check their contents)', () => {
    expect(blocksById(b.out)).toEqual({
      'aws_budgets_budget': ['Budget'],
      'aws_grafana_workspace': ['Grafana'],
      'aws_iam_role': ['GrafanaRole'],
      'aws_iam_role_policy': ['GrafanaRolePolicy'],
      'aws_kms_key': ['Key'],
      'aws_prometheus_alert_manager_definition': ['AlertManager'],
      'aws_prometheus_rule_group_namespace': [
        'Rules-aiinfra-backup-ai-backup-models-restore-drill', 'Rules-aiinfra-endpoint-inference-chat', 'Rules-aiinfra-gpu', 'Rules-aiinfra-platform',
        'Rules-aiinfra-training-research-pretrain',
      ],
      'aws_prometheus_scraper': ['Scraper'],
      'aws_prometheus_workspace': ['Workspace'],
      'aws_sns_topic': ['Topic-oncall', 'Topic-platform', 'Topic-team'],
      'aws_sns_topic_policy': ['TopicPolicy-oncall', 'TopicPolicy-platform', 'TopicPolicy-team'],
      'aws_sns_topic_subscription': ['Subscription-oncall-pagerduty', 'Subscription-team-email-0', 'Subscription-team-email-1', 'Subscription-team-webhook'],
      'helm_release': ['Collectors_Release', 'KubeStateMetrics', 'PrometheusOperatorCrds'],
      'data.aws_eks_cluster': ['EksCluster'],
      'data.aws_secretsmanager_secret_version': ['SecretValue-oncall-pagerduty-key', 'SecretValue-team-webhook-url'],
    });
  });
});

describe('managed backend on GCP', () => {
  const b = build('gcp');

  test('the platform channel is a CMEK Pub/Sub topic Cloud Monitoring may publish to', () => {
    const topic = Object.values(ofType(b.out, 'google_pubsub_topic'))[0];
    expect(topic.kms_key_name).toMatch(/google_kms_crypto_key\.obs_Key_/);
    const key = Object.values(ofType(b.out, 'google_kms_crypto_key'))[0];
    expect(key.rotation_period).toBe('7776000s');
    const publisher = Object.values(ofType(b.out, 'google_pubsub_topic_iam_member'))[0];
    expect(publisher).toMatchObject({ role: 'roles/pubsub.publisher', member: expect.stringMatching(/@gcp-sa-monitoring-notification\.iam\.gserviceaccount\.com$/) });
    const channels = Object.values(ofType(b.out, 'google_monitoring_notification_channel'));
    expect(channels.map((c) => c.type).sort()).toEqual(['email', 'email', 'pagerduty', 'pubsub', 'webhook_tokenauth']);
    const pd = channels.find((c) => c.type === 'pagerduty')!;
    expect(JSON.stringify(pd.sensitive_labels)).toMatch(/data\.google_secret_manager_secret_version\.obs_SecretValue-oncall-pagerduty-key/);
  });

  test('billing budget on the project with thresholds, forecast, Pub/Sub and channels', () => {
    const budget = Object.values(ofType(b.out, 'google_billing_budget'))[0];
    expect(budget.billing_account).toBe('012345-6789AB-CDEF01');
    expect(budget.amount).toEqual({ specified_amount: { currency_code: 'USD', units: '12345', nanos: 500000000 } });
    expect(budget.threshold_rules).toEqual([
      { threshold_percent: 0.25, spend_basis: 'CURRENT_SPEND' }, { threshold_percent: 0.9, spend_basis: 'CURRENT_SPEND' },
      { threshold_percent: 1, spend_basis: 'FORECASTED_SPEND' },
    ]);
    expect(JSON.stringify(budget.budget_filter)).toMatch(/projects\/\$\{data\.google_project\./);
    expect((budget.all_updates_rule as { monitoring_notification_channels: string[] }).monitoring_notification_channels).toHaveLength(3);
  });

  test('one Cloud Monitoring alert policy per rule, PromQL condition, routed by severity', () => {
    const policies = Object.values(ofType(b.out, 'google_monitoring_alert_policy'));
    expect(policies).toHaveLength(TOTAL_ALERTS);
    const xid = policies.find((p) => String(p.display_name).startsWith('GpuXidHardwareError'))!;
    const condition = (xid.conditions as Record<string, Record<string, unknown>>[])[0].condition_prometheus_query_language;
    expect(condition).toMatchObject({ duration: '0s', evaluation_interval: '60s', alert_rule: 'GpuXidHardwareError', rule_group: 'aiinfra-gpu' });
    expect(String(condition.query)).toContain('DCGM_FI_DEV_XID_ERRORS == 48');
    expect(xid.severity).toBe('CRITICAL');
    // critical -> platform + oncall (PagerDuty); warning -> platform + team (2 e-mails, webhook)
    expect(xid.notification_channels).toHaveLength(2);
    const idle = policies.find((p) => String(p.display_name).startsWith('GpuIdle'))!;
    expect(idle.notification_channels).toHaveLength(4);
    expect((idle.documentation as { content: string }).content).toContain("$${metric.label.node}");
    expect(JSON.stringify(policies)).not.toMatch(/[^$]\$\{metric/);
  });

  test('Managed Service for Prometheus scrapes through PodMonitoring objects beside the pods', () => {
    const pms = findObjects(b.objects, 'PodMonitoring');
    expect(pms.map((p: K8sObject) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      'gpu-system/aiinfra-dcgm-exporter', 'inference/aiinfra-endpoint-chat', 'research/aiinfra-train-pretrain',
    ]);
    for (const p of pms) {
      expect(p.apiVersion).toBe('monitoring.googleapis.com/v1');
      expect(p.spec.endpoints[0]).toMatchObject({ path: '/metrics', timeout: '10s' });
    }
    const ep = pms.find((p) => p.metadata.name === 'aiinfra-endpoint-chat')!;
    expect(ep.spec.targetLabels.fromPod).toEqual([{ from: 'app.kubernetes.io/name', to: 'service' }]);
    expect(b.monitoring.scraperNamespace).toBe('gmp-system');
  });

  test('makes these Terraform blocks, under these construct ids (ids are API; the other tests check their contents)', () => {
    // One alert policy per rule in effect (all 20 here), named after its group and alert.
    const POLICIES = b.monitoring.ruleGroups.flatMap((g) => g.rules.map((r) => `Policy-${g.name}-${r.name}`)).sort();
    expect(POLICIES).toHaveLength(TOTAL_ALERTS);
    expect(blocksById(b.out)).toEqual({
      'google_billing_budget': ['Budget'],
      'google_kms_crypto_key': ['Key'],
      'google_kms_crypto_key_iam_member': ['KeyAccessPubsub'],
      'google_kms_key_ring': ['KeyRing'],
      'google_monitoring_alert_policy': POLICIES,
      'google_monitoring_notification_channel': [
        'Channel-oncall-pagerduty', 'Channel-platform', 'Channel-team-email-0', 'Channel-team-email-1', 'Channel-team-webhook',
      ],
      'google_pubsub_topic': ['Topic'],
      'google_pubsub_topic_iam_member': ['TopicPublisherMonitoring'],
      'helm_release': ['Collectors_Release', 'PrometheusOperatorCrds'],
      'data.google_project': ['Project'],
      'data.google_secret_manager_secret_version': ['SecretValue-oncall-pagerduty-key', 'SecretValue-team-webhook-url'],
    });
  });
});

describe('managed backend on Azure', () => {
  const b = build('azure');

  test('Action Groups: platform + one per receiver; webhook URLs from Key Vault', () => {
    const groups = Object.values(ofType(b.out, 'azurerm_monitor_action_group'));
    expect(groups.map((g) => g.short_name).sort()).toEqual(['oncall', 'platform', 'team']);
    const team = groups.find((g) => g.short_name === 'team')!;
    expect((team.email_receiver as unknown[])).toHaveLength(2);
    expect(JSON.stringify(team.webhook_receiver)).toMatch(/data\.azurerm_key_vault_secret\.obs_SecretValue-team-webhook-url_[A-F0-9]+\.value/);
    const secret = Object.values(ofType(b.out, 'azurerm_key_vault_secret', true))[0];
    expect(secret.key_vault_id).toBe(KEY_VAULT);
  });

  test('consumption budget on the resource group', () => {
    const budget = Object.values(ofType(b.out, 'azurerm_consumption_budget_resource_group'))[0];
    expect(budget).toMatchObject({ amount: 12345.5, time_grain: 'Monthly', time_period: { start_date: '2026-01-01T00:00:00Z' } });
    expect((budget.notification as Record<string, unknown>[]).map((n) => `${n.threshold_type} ${n.threshold}`)).toEqual(['Actual 25', 'Actual 90', 'Forecasted 100']);
  });

  test('Azure Monitor workspace, data collection endpoint and rule associated with the AKS cluster', () => {
    expect(Object.keys(ofType(b.out, 'azurerm_monitor_workspace'))).toHaveLength(1);
    const dcr = Object.values(ofType(b.out, 'azurerm_monitor_data_collection_rule'))[0];
    expect(dcr.data_flow).toEqual([{ streams: ['Microsoft-PrometheusMetrics'], destinations: ['workspace'] }]);
    const assoc = Object.values(ofType(b.out, 'azurerm_monitor_data_collection_rule_association'));
    expect(assoc.map((a) => a.name)).toContain('configurationAccessEndpoint');
    for (const a of assoc) expect(a.target_resource_id).toMatch(/data\.azurerm_kubernetes_cluster\.obs_AksCluster_/);
  });

  test('Prometheus rule groups: ISO durations, Azure severities, actions by severity', () => {
    const all = Object.values(ofType(b.out, 'azurerm_monitor_alert_prometheus_rule_group'));
    // recording rules go to a group of their own: Azure's rule list maps one to one onto the alerts
    const groups = all.filter((g) => (g.rule as Record<string, unknown>[]).every((r) => 'alert' in r));
    expect(groups).toHaveLength(5);
    const records = all.filter((g) => !groups.includes(g)).flatMap((g) => g.rule as Record<string, unknown>[]);
    expect(records.map((r) => r.record)).toEqual([
      'aiinfra:training_checkpoint_age_seconds', 'aiinfra:training_preemption_loss_gpu_hours', 'aiinfra:training_preemption_loss_usd']);
    expect(records[0]).toMatchObject({ enabled: true, expression: expect.stringContaining('aiinfra_train_last_checkpoint_timestamp_seconds') });
    const rules = groups.flatMap((g) => g.rule as Record<string, unknown>[]);
    expect(rules).toHaveLength(TOTAL_ALERTS);
    const idle = rules.find((r) => r.alert === 'GpuIdle')!;
    expect(idle).toMatchObject({ for: 'PT1H', severity: 2, enabled: true });
    expect(idle.action).toHaveLength(2);
    const stalled = rules.find((r) => r.alert === 'TrainingStalled')!;
    expect(stalled).toMatchObject({ for: 'PT2M', severity: 0 });
  });

  test('azmonitoring PodMonitors have the PodMonitor schema', () => {
    const monitors = findObjects(b.objects, 'PodMonitor');
    expect(monitors).toHaveLength(3);
    for (const m of monitors) expect(m.apiVersion).toBe('azmonitoring.coreos.com/v1');
    expect(() => validateManifests(monitors.map((m) => ({ ...m, apiVersion: 'monitoring.coreos.com/v1' })))).not.toThrow();
  });

  test('makes these Terraform blocks, under these construct ids (ids are API; the other tests check their contents)', () => {
    expect(blocksById(b.out)).toEqual({
      'azurerm_consumption_budget_resource_group': ['Budget'],
      'azurerm_monitor_action_group': ['ActionGroup-oncall', 'ActionGroup-platform', 'ActionGroup-team'],
      'azurerm_monitor_alert_prometheus_rule_group': [
        'Records-aiinfra-training-research-pretrain',
        'Rules-aiinfra-backup-ai-backup-models-restore-drill', 'Rules-aiinfra-endpoint-inference-chat', 'Rules-aiinfra-gpu', 'Rules-aiinfra-platform',
        'Rules-aiinfra-training-research-pretrain',
      ],
      'azurerm_monitor_data_collection_endpoint': ['CollectionEndpoint'],
      'azurerm_monitor_data_collection_rule': ['CollectionRule'],
      'azurerm_monitor_data_collection_rule_association': ['CollectionEndpointAssociation', 'CollectionRuleAssociation'],
      'azurerm_monitor_workspace': ['Workspace'],
      'helm_release': ['Collectors_Release', 'PrometheusOperatorCrds'],
      'data.azurerm_key_vault_secret': ['SecretValue-oncall-pagerduty-key', 'SecretValue-team-webhook-url'],
      'data.azurerm_kubernetes_cluster': ['AksCluster'],
      'data.azurerm_resource_group': ['ResourceGroup'],
    });
  });
});

describe('managed backends pass the policy pack', () => {
  test.each(['aws', 'gcp', 'azure'] as CloudName[])('%s', (cloudName) => {
    const { PolicyPack } = require('../../src/policy/pack') as typeof import('../../src/policy/pack');
    const b = build(cloudName, { grafana: cloudName === 'aws' });
    expect(PolicyPack.errors(b.stack).map((f) => `${f.ruleId} ${f.subject}: ${f.message}`)).toEqual([]);
  });
});

describe('Azure Key Vault of the Grafana password', () => {
  test('denies other networks when the deployer ranges are given', () => {
    const f = fixture('azure');
    new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, selfManaged: { azureKeyVaultAllowedIpRanges: ['203.0.113.0/24'] } });
    const vault = Object.values(ofType(synth(f.stack), 'azurerm_key_vault'))[0];
    expect(vault.network_acls).toEqual({ bypass: 'AzureServices', default_action: 'Deny', ip_rules: ['203.0.113.0/24'] });
  });

  test('otherwise accepts any network, with the policy finding suppressed and its reason recorded', () => {
    const f = fixture('azure');
    new MonitoringStack(f.stack, 'obs', { cluster: f.cluster });
    const { PolicyPack } = require('../../src/policy/pack') as typeof import('../../src/policy/pack');
    const kv = PolicyPack.check(f.stack).find((x) => x.ruleId === 'AI-AZ-KV-2')!;
    expect(kv.suppressedReason).toMatch(/azureKeyVaultAllowedIpRanges/);
  });
});

describe('budgets', () => {
  test('Azure: a subscription budget from a given first month', () => {
    const f = fixture('azure');
    new MonitoringStack(f.stack, 'obs', { cloud: f.cloud, backend: 'managed', budget: { monthlyUsd: 900, azureScope: 'subscription', startMonth: '2027-03-01', forecast: false } });
    const out = synth(f.stack);
    expect(Object.keys(ofType(out, 'azurerm_consumption_budget_resource_group'))).toHaveLength(0);
    const budget = Object.values(ofType(out, 'azurerm_consumption_budget_subscription'))[0];
    expect(budget).toMatchObject({ amount: 900, time_period: { start_date: '2027-03-01T00:00:00Z' }, subscription_id: expect.stringMatching(/data\.azurerm_subscription\./) });
    expect((budget.notification as unknown[])).toHaveLength(3);
  });

  test('every cloud resource carries the managed-by tag and the user tags', () => {
    const f = fixture('aws');
    new MonitoringStack(f.stack, 'obs', { cluster: f.cluster, backend: 'managed', tags: { team: 'ml' }, budget: { monthlyUsd: 10 } });
    const out = synth(f.stack);
    for (const type of ['aws_kms_key', 'aws_sns_topic', 'aws_prometheus_workspace', 'aws_budgets_budget', 'aws_prometheus_scraper']) {
      for (const r of Object.values(ofType(out, type))) expect(r.tags).toMatchObject({ team: 'ml', 'managed-by': 'cdktf-ai-infra' });
    }
  });
});
