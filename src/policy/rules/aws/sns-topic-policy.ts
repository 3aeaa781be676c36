import { terraformRule } from '../../rule';
import { policyStatements } from '../../util';

/** AI-AWS-SNS-2: topic policies do not let anyone publish or subscribe. */
export const SnsTopicPolicy = terraformRule({
  id: 'AI-AWS-SNS-2',
  severity: 'error',
  title: 'SNS topic policy grants no access to everyone',
  rationale: 'A topic open to Principal "*" lets anyone inject fake alerts or subscribe to real ones.',
  remediation: 'Name the principals (the account, cloudwatch.amazonaws.com) or add a condition such as aws:SourceAccount / aws:SourceArn.',
  resourceTypes: ['aws_sns_topic_policy', 'aws_sns_topic'],
  check(r) {
    const open = policyStatements(r.attrs.policy).filter((s) => (s.Effect ?? 'Allow') === 'Allow' && s.Condition === undefined
      && (s.Principal === '*' || JSON.stringify(s.Principal ?? '').includes('"AWS":"*"')));
    return open.length ? 'Allow to Principal "*" without a condition' : undefined;
  },
});
