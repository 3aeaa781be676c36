import { terraformRule } from '../../rule';
import { isSet } from '../../util';

/** AI-GCP-PUBSUB-1: alert topics are encrypted with a customer-managed key. */
export const PubsubCmek = terraformRule({
  id: 'AI-GCP-PUBSUB-1',
  severity: 'error',
  title: 'Pub/Sub topic encrypted with a customer-managed key',
  rationale: 'Alert payloads name clusters, models and errors.',
  remediation: 'Set kms_key_name on the google_pubsub_topic (grant the Pub/Sub service agent the key).',
  checkov: ['CKV_GCP_83'],
  resourceTypes: ['google_pubsub_topic'],
  check(topic) {
    return isSet(topic.attrs.kms_key_name) ? undefined : 'kms_key_name unset';
  },
});
