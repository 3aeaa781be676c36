import { terraformRule } from '../../rule';
import { blocks, mentions } from '../../util';

const AUDIT = ['kube-audit', 'kube-audit-admin', 'audit', 'allLogs'];

/** AI-AZ-AKS-4: control plane audit logs are exported. */
export const AksControlPlaneLogs = terraformRule({
  id: 'AI-AZ-AKS-4',
  severity: 'error',
  title: 'AKS control plane audit logs exported (diagnostic setting)',
  rationale: 'kube-audit is the only record of who changed the cluster; AKS keeps it only when a diagnostic setting exports it.',
  remediation: 'Add an azurerm_monitor_diagnostic_setting with target_resource_id = the cluster id and enabled_log { category = "kube-audit-admin" } (or category_group "audit").',
  resourceTypes: ['azurerm_kubernetes_cluster'],
  check(cluster, ctx) {
    const settings = ctx.resources('azurerm_monitor_diagnostic_setting').filter((d) => mentions(d.attrs.target_resource_id, cluster.address));
    const ok = settings.some((d) => blocks(d.attrs.enabled_log).some((l) => AUDIT.includes(String(l.category ?? l.category_group))));
    return ok ? undefined : 'no diagnostic setting exports kube-audit logs';
  },
});
