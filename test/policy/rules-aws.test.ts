import { TerraformStack } from 'cdktf';
import { describeRules, raw, ref, RawDataSource } from './helpers';

type Part = 'sse' | 'pab' | 'versioning' | 'policy' | 'logging' | 'lifecycle' | 'ownership';

/** A bucket with every companion configuration, minus `omit`. */
function bucket(s: TerraformStack, omit: Part[] = [], bucketBody: Record<string, unknown> = {}) {
  const key = raw(s, 'aws_kms_key', 'key', { enable_key_rotation: true });
  const b = raw(s, 'aws_s3_bucket', 'models', { bucket: 'acme-models', ...bucketBody });
  const id = ref(b);
  if (!omit.includes('sse')) {
    raw(s, 'aws_s3_bucket_server_side_encryption_configuration', 'sse', {
      bucket: id, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: ref(key, 'arn') } }],
    });
  }
  if (!omit.includes('pab')) {
    raw(s, 'aws_s3_bucket_public_access_block', 'pab', { bucket: id, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
  }
  if (!omit.includes('versioning')) raw(s, 'aws_s3_bucket_versioning', 'v', { bucket: id, versioning_configuration: { status: 'Enabled' } });
  if (!omit.includes('policy')) {
    raw(s, 'aws_s3_bucket_policy', 'p', {
      bucket: id,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::acme-models', 'arn:aws:s3:::acme-models/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] }),
    });
  }
  if (!omit.includes('logging')) raw(s, 'aws_s3_bucket_logging', 'l', { bucket: id, target_bucket: 'acme-logs', target_prefix: 'models/' });
  if (!omit.includes('lifecycle')) raw(s, 'aws_s3_bucket_lifecycle_configuration', 'lc', { bucket: id, rule: [{ id: 'old', status: 'Enabled' }] });
  if (!omit.includes('ownership')) raw(s, 'aws_s3_bucket_ownership_controls', 'o', { bucket: id, rule: { object_ownership: 'BucketOwnerEnforced' } });
  return b;
}

function cluster(s: TerraformStack, body: Record<string, unknown> = {}, addon = true) {
  const c = raw(s, 'aws_eks_cluster', 'train', {
    name: 'train',
    vpc_config: { subnet_ids: ['subnet-1'], endpoint_private_access: true, endpoint_public_access: false },
    encryption_config: { resources: ['secrets'], provider: { key_arn: 'arn:aws:kms:us-east-1:123456789012:key/1' } },
    enabled_cluster_log_types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'],
    access_config: { authentication_mode: 'API' },
    ...body,
  });
  if (addon) raw(s, 'aws_eks_addon', 'pod-identity', { cluster_name: ref(c, 'name'), addon_name: 'eks-pod-identity-agent' });
  return c;
}

const goodTemplate = {
  metadata_options: { http_tokens: 'required', http_put_response_hop_limit: 1 },
  block_device_mappings: [{ device_name: '/dev/xvda', ebs: { encrypted: 'true', kms_key_id: 'arn:aws:kms:us-east-1:1:key/x', volume_size: 200 } }],
};

const policy = (statement: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

describeRules({
  'AI-AWS-S3-1': {
    fail: (s) => bucket(s, ['sse']),
    pass: (s) => bucket(s),
  },
  'AI-AWS-S3-2': {
    fail: (s) => {
      const b = bucket(s, ['pab']);
      raw(s, 'aws_s3_bucket_public_access_block', 'half', { bucket: ref(b), block_public_acls: true });
    },
    pass: (s) => bucket(s),
  },
  'AI-AWS-S3-3': {
    fail: (s) => bucket(s, ['versioning']),
    pass: (s) => bucket(s),
  },
  'AI-AWS-S3-4': {
    fail: (s) => bucket(s, ['policy']),
    pass: (s) => bucket(s),
  },
  'AI-AWS-S3-5': {
    fail: (s) => bucket(s, ['logging']),
    pass: (s) => {
      bucket(s);
      // A log bucket itself needs no logging of its own.
      raw(s, 'aws_s3_bucket', 'logs', { bucket: 'acme-logs' });
    },
  },
  'AI-AWS-S3-6': {
    fail: (s) => bucket(s, ['lifecycle']),
    pass: (s) => bucket(s),
  },
  'AI-AWS-S3-7': {
    fail: (s) => raw(s, 'aws_s3_bucket_acl', 'acl', { bucket: 'acme-models', acl: 'public-read' }),
    pass: (s) => raw(s, 'aws_s3_bucket_acl', 'acl', { bucket: 'acme-models', acl: 'private' }),
  },
  'AI-AWS-S3-8': {
    fail: (s) => bucket(s, ['ownership']),
    pass: (s) => bucket(s),
  },
  'AI-AWS-KMS-1': {
    fail: (s) => raw(s, 'aws_kms_key', 'k', { description: 'no rotation' }),
    pass: (s) => raw(s, 'aws_kms_key', 'k', { enable_key_rotation: true }),
  },
  'AI-AWS-KMS-2': {
    fail: (s) => raw(s, 'aws_kms_key', 'k', { enable_key_rotation: true, deletion_window_in_days: 7 }),
    pass: (s) => raw(s, 'aws_kms_key', 'k', { enable_key_rotation: true, deletion_window_in_days: 30 }),
  },
  'AI-AWS-EKS-1': {
    fail: (s) => cluster(s, { encryption_config: undefined }),
    pass: (s) => cluster(s),
  },
  'AI-AWS-EKS-2': {
    fail: (s) => cluster(s, { vpc_config: { subnet_ids: ['subnet-1'], endpoint_public_access: true, public_access_cidrs: ['0.0.0.0/0'] } }),
    pass: (s) => cluster(s, { vpc_config: { subnet_ids: ['subnet-1'], endpoint_public_access: true, public_access_cidrs: ['203.0.113.0/24'] } }),
  },
  'AI-AWS-EKS-3': {
    fail: (s) => cluster(s, { enabled_cluster_log_types: ['api'] }),
    pass: (s) => cluster(s),
  },
  'AI-AWS-EKS-4': {
    fail: (s) => raw(s, 'aws_eks_node_group', 'gpu', { cluster_name: 'train', remote_access: { ec2_ssh_key: 'ops' } }),
    pass: (s) => raw(s, 'aws_eks_node_group', 'gpu', { cluster_name: 'train' }),
  },
  'AI-AWS-EKS-5': {
    fail: (s) => cluster(s, { access_config: { authentication_mode: 'CONFIG_MAP' } }),
    pass: (s) => cluster(s),
  },
  'AI-AWS-EKS-6': {
    fail: (s) => cluster(s, {}, false),
    pass: (s) => cluster(s),
  },
  'AI-AWS-EC2-1': {
    fail: (s) => raw(s, 'aws_launch_template', 'lt', { ...goodTemplate, metadata_options: { http_tokens: 'optional', http_put_response_hop_limit: 2 } }),
    pass: (s) => raw(s, 'aws_launch_template', 'lt', goodTemplate),
  },
  'AI-AWS-EC2-2': {
    fail: (s) => raw(s, 'aws_launch_template', 'lt', { ...goodTemplate, block_device_mappings: [{ device_name: '/dev/xvda', ebs: { encrypted: 'true' } }] }),
    pass: (s) => {
      raw(s, 'aws_launch_template', 'lt', goodTemplate);
      raw(s, 'aws_ebs_volume', 'v', { availability_zone: 'us-east-1a', size: 10, encrypted: true, kms_key_id: 'arn:aws:kms:us-east-1:1:key/x' });
    },
  },
  'AI-AWS-EC2-3': {
    fail: (s) => raw(s, 'aws_subnet', 'public', { vpc_id: 'vpc-1', cidr_block: '10.0.0.0/24', map_public_ip_on_launch: true }),
    pass: (s) => {
      raw(s, 'aws_subnet', 'private', { vpc_id: 'vpc-1', cidr_block: '10.0.1.0/24' });
      raw(s, 'aws_launch_template', 'lt', { ...goodTemplate, network_interfaces: [{ associate_public_ip_address: 'false' }] });
    },
  },
  'AI-AWS-VPC-1': {
    fail: (s) => raw(s, 'aws_vpc', 'vpc', { cidr_block: '10.0.0.0/16' }),
    pass: (s) => {
      const vpc = raw(s, 'aws_vpc', 'vpc', { cidr_block: '10.0.0.0/16' });
      raw(s, 'aws_flow_log', 'flow', { vpc_id: ref(vpc), traffic_type: 'ALL', log_destination_type: 's3', log_destination: 'arn:aws:s3:::acme-logs' });
    },
  },
  'AI-AWS-VPC-2': {
    fail: (s) => raw(s, 'aws_vpc_security_group_ingress_rule', 'open', { security_group_id: 'sg-1', cidr_ipv4: '0.0.0.0/0', ip_protocol: 'tcp', from_port: 22, to_port: 22 }),
    pass: (s) => {
      raw(s, 'aws_vpc_security_group_ingress_rule', 'vpc-only', { security_group_id: 'sg-1', cidr_ipv4: '10.0.0.0/16', ip_protocol: '-1' });
      raw(s, 'aws_security_group', 'sg', { ingress: [{ cidr_blocks: ['10.0.0.0/8'], from_port: 443, to_port: 443, protocol: 'tcp' }] });
    },
  },
  'AI-AWS-VPC-3': {
    fail: (s) => raw(s, 'aws_default_security_group', 'd', { vpc_id: 'vpc-1', ingress: [{ protocol: '-1', self: true, from_port: 0, to_port: 0 }] }),
    pass: (s) => raw(s, 'aws_default_security_group', 'd', { vpc_id: 'vpc-1', ingress: [], egress: [] }),
  },
  'AI-AWS-ECR-4': {
    fail: (s) => raw(s, 'aws_ecr_repository', 'r', { name: 'trainer' }),
    pass: (s) => {
      const r = raw(s, 'aws_ecr_repository', 'r', { name: 'trainer' });
      raw(s, 'aws_ecr_lifecycle_policy', 'lp', { repository: ref(r, 'name'), policy: '{"rules":[]}' });
    },
  },
  'AI-AWS-SNS-2': {
    fail: (s) => raw(s, 'aws_sns_topic_policy', 'p', { arn: 'arn', policy: policy({ Effect: 'Allow', Principal: '*', Action: 'sns:Publish', Resource: 'arn' }) }),
    pass: (s) => raw(s, 'aws_sns_topic_policy', 'p', { arn: 'arn', policy: policy({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: 'arn' }) }),
  },
  'AI-AWS-ECR-1': {
    fail: (s) => raw(s, 'aws_ecr_repository', 'r', { name: 'trainer', image_tag_mutability: 'MUTABLE' }),
    pass: (s) => raw(s, 'aws_ecr_repository', 'r', { name: 'trainer', image_tag_mutability: 'IMMUTABLE' }),
  },
  'AI-AWS-ECR-2': {
    fail: (s) => raw(s, 'aws_ecr_repository', 'r', { name: 'trainer' }),
    pass: (s) => raw(s, 'aws_ecr_repository', 'r', { name: 'trainer', image_scanning_configuration: { scan_on_push: true } }),
  },
  'AI-AWS-ECR-3': {
    fail: (s) => raw(s, 'aws_ecr_repository', 'r', { name: 'trainer', encryption_configuration: [{ encryption_type: 'AES256' }] }),
    pass: (s) => raw(s, 'aws_ecr_repository', 'r', { name: 'trainer', encryption_configuration: [{ encryption_type: 'KMS', kms_key: 'arn:aws:kms:us-east-1:1:key/x' }] }),
  },
  'AI-AWS-IAM-1': {
    fail: (s) => {
      raw(s, 'aws_iam_role_policy', 'p', { role: 'r', policy: policy({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-models/*' }) });
      raw(s, 'aws_iam_role', 'inline', { assume_role_policy: '{}', inline_policy: [{ name: 'all', policy: policy({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::x' }) }] });
    },
    pass: (s) => raw(s, 'aws_iam_role_policy', 'p', { role: 'r', policy: policy({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::acme-models/*' }) }),
  },
  'AI-AWS-IAM-2': {
    fail: (s) => new RawDataSource(s, 'doc', 'aws_iam_policy_document', { statement: [{ actions: ['s3:GetObject'], resources: ['*'] }] }),
    pass: (s) => {
      new RawDataSource(s, 'doc', 'aws_iam_policy_document', { statement: [{ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }] });
      raw(s, 'aws_iam_policy', 'p', { policy: policy({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::acme-models/research/*'] }) });
    },
  },
  'AI-AWS-IAM-3': {
    fail: (s) => raw(s, 'aws_iam_role_policy_attachment', 'a', { role: 'r', policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
    pass: (s) => raw(s, 'aws_iam_role_policy_attachment', 'a', { role: 'r', policy_arn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy' }),
  },
  'AI-AWS-IAM-4': {
    fail: (s) => raw(s, 'aws_iam_access_key', 'k', { user: 'ci' }),
    pass: (s) => raw(s, 'aws_iam_role', 'ci', { assume_role_policy: policy({ Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }) }),
  },
  'AI-AWS-IAM-5': {
    fail: (s) => raw(s, 'aws_iam_role', 'r', { assume_role_policy: policy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }) }),
    pass: (s) => raw(s, 'aws_iam_role', 'r', { assume_role_policy: policy({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }) }),
  },
  'AI-AWS-IAM-6': {
    fail: (s) => raw(s, 'aws_iam_role', 'r', { assume_role_policy: policy({ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }) }),
    pass: (s) => raw(s, 'aws_iam_role', 'r', { assume_role_policy: policy({
      Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'research', 'aws:RequestTag/kubernetes-service-account': 'tenant' } },
    }) }),
  },
  'AI-AWS-SNS-1': {
    fail: (s) => raw(s, 'aws_sns_topic', 't', { name: 'alerts', kms_master_key_id: 'alias/aws/sns' }),
    pass: (s) => raw(s, 'aws_sns_topic', 't', { name: 'alerts', kms_master_key_id: 'arn:aws:kms:us-east-1:1:key/x' }),
  },
  'AI-AWS-LOGS-1': {
    fail: (s) => raw(s, 'aws_cloudwatch_log_group', 'g', { name: '/aws/eks/train/cluster', retention_in_days: 90 }),
    pass: (s) => {
      const key = raw(s, 'aws_kms_key', 'k', { enable_key_rotation: true });
      raw(s, 'aws_cloudwatch_log_group', 'g', { name: '/aws/eks/train/cluster', retention_in_days: 90, kms_key_id: ref(key, 'arn') });
    },
  },
  'AI-AWS-LOGS-2': {
    fail: (s) => raw(s, 'aws_cloudwatch_log_group', 'g', { name: 'x', kms_key_id: 'k', retention_in_days: 7 }),
    pass: (s) => raw(s, 'aws_cloudwatch_log_group', 'g', { name: 'x', kms_key_id: 'k', retention_in_days: 365 }),
  },
  'AI-AWS-SQS-1': {
    fail: (s) => raw(s, 'aws_sqs_queue', 'q', { name: 'requests' }),
    pass: (s) => raw(s, 'aws_sqs_queue', 'q', { name: 'requests', kms_master_key_id: 'alias/acme' }),
  },
  'AI-AWS-SM-1': {
    fail: (s) => raw(s, 'aws_secretsmanager_secret', 'api-keys', { name: 'api-keys' }),
    pass: (s) => raw(s, 'aws_secretsmanager_secret', 'api-keys', { name: 'api-keys', kms_key_id: 'arn:aws:kms:us-east-1:1:key/x' }),
  },
  'AI-AWS-AMP-1': {
    fail: (s) => raw(s, 'aws_prometheus_workspace', 'w', { alias: 'obs' }),
    pass: (s) => raw(s, 'aws_prometheus_workspace', 'w', { alias: 'obs', kms_key_arn: 'arn:aws:kms:us-east-1:1:key/x' }),
  },
});
