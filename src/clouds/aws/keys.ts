import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsCloud } from '../../core/cloud';
import { awsProvider } from './provider';

/** Key administration without key use: what the account's IAM principals (Terraform) may do. */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion', 'kms:CreateAlias', 'kms:DeleteAlias', 'kms:DescribeKey', 'kms:DisableKey',
  'kms:DisableKeyRotation', 'kms:EnableKey', 'kms:EnableKeyRotation', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus',
  'kms:ListGrants', 'kms:ListKeyPolicies', 'kms:ListKeyRotations', 'kms:ListResourceTags', 'kms:PutKeyPolicy',
  'kms:RevokeGrant', 'kms:RotateKeyOnDemand', 'kms:ScheduleKeyDeletion', 'kms:TagResource', 'kms:UntagResource',
  'kms:UpdateAlias', 'kms:UpdateKeyDescription',
];

/** Envelope encryption with a data key (what services that encrypt data at rest call). */
export const KEY_USE_ACTIONS = [
  'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom', 'kms:ReEncryptTo',
];

/** One key-use statement of a key policy. */
export interface KeyUse {
  readonly sid: string;
  readonly principal: Record<string, string | string[]>;
  readonly actions: readonly string[];
  readonly condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * A key policy: the account `root` (through IAM) administers the key, and only the given uses may use it.
 * No wildcard actions. Every customer-managed key of the library takes its policy from here.
 */
export function keyPolicy(root: string, uses: readonly KeyUse[]): string {
  for (const u of uses) {
    // A wildcard principal stands for one named principal matched by condition (a role that may not exist yet).
    if (JSON.stringify(u.principal).includes('"*"') && !u.condition?.StringEquals?.['aws:PrincipalArn']) {
      throw new Error(`key policy statement ${u.sid}: Principal "*" needs a StringEquals aws:PrincipalArn condition`);
    }
  }
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'KeyAdministration', Effect: 'Allow', Principal: { AWS: root }, Action: KEY_ADMIN_ACTIONS, Resource: '*' },
      ...uses.map((u) => ({
        Sid: u.sid, Effect: 'Allow', Principal: u.principal, Action: [...u.actions], Resource: '*', ...(u.condition ? { Condition: u.condition } : {}),
      })),
    ],
  });
}

/**
 * A customer-managed key (rotated yearly, 30-day deletion window) whose policy lets the account administer
 * it and lets only the named principals use it, for the named purpose. No wildcard actions.
 */
export function clusterKey(scope: Construct, id: string, cloud: AwsCloud, o: {
  partition: string; accountId: string; description: string; alias: string; uses: readonly KeyUse[]; tags: Record<string, string>;
}): KmsKey {
  const provider = awsProvider(scope, cloud.region);
  const key = new KmsKey(scope, id, {
    provider,
    description: o.description,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: keyPolicy(`arn:${o.partition}:iam::${o.accountId}:root`, o.uses),
    tags: o.tags,
  });
  new KmsAlias(scope, `${id}Alias`, { provider, name: o.alias, targetKeyId: key.keyId });
  return key;
}
