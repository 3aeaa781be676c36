// The AWS Load Balancer Controller with Gateway API support (ALB gateways for inference endpoints), the
// Gateway API CRDs it needs at start-up, and its own least-privilege EKS Pod Identity role.
import { Construct } from 'constructs';
import { ITerraformDependable, TerraformProvider } from 'cdktf';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Release } from '@cdktf/provider-helm/lib/release';
import { AwsCloud } from '../../core/cloud';
import { WorkloadIdentity } from '../../core/workload-identity';
import { AWS_LOAD_BALANCER_CONTROLLER, GATEWAY_API_CRDS } from '../../k8s/charts';
import { LABEL_POOL } from '../../k8s/node-labels';
import { pinnedRelease } from '../helm/add-ons';
import { awsProvider } from './provider';

export const LOAD_BALANCER_CONTROLLER_SA = 'aws-load-balancer-controller';
export const LOAD_BALANCER_CONTROLLER_NAMESPACE = 'kube-system';

/** The tag the controller puts on every load balancer, target group and security group it makes. */
const CLUSTER_TAG = 'elbv2.k8s.aws/cluster';

/**
 * The controller's IAM policy: the official `iam_policy.json` (v2.17.1) with every statement scoped to
 * this account and region and, where the official one checks the tag's presence, to this cluster's tag
 * value. Left out: WAF, WAF Regional, Shield and Cognito (their integrations are switched off in the
 * chart values), IAM server certificates and `acm:ListCertificates` (listeners name an ACM certificate),
 * and the Outposts customer-owned IP pool calls. `Resource: "*"` remains only on describe calls (no
 * resource-level permissions) and on create / modify calls bound by a request or resource tag condition.
 */
export function loadBalancerControllerPolicy(o: { partition: string; region: string; accountId: string; clusterName: string; vpcId: string }): Record<string, unknown> {
  const elb = `arn:${o.partition}:elasticloadbalancing:${o.region}:${o.accountId}`;
  const ec2 = `arn:${o.partition}:ec2:${o.region}:${o.accountId}`;
  const securityGroups = `${ec2}:security-group/*`;
  const loadBalancers = [`${elb}:loadbalancer/app/*/*`, `${elb}:loadbalancer/net/*/*`];
  const targetGroups = `${elb}:targetgroup/*/*`;
  const listeners = [`${elb}:listener/app/*/*/*`, `${elb}:listener/net/*/*/*`];
  const rules = [`${elb}:listener-rule/app/*/*/*/*`, `${elb}:listener-rule/net/*/*/*/*`];
  const own = { [`aws:ResourceTag/${CLUSTER_TAG}`]: o.clusterName };
  const requestsOwn = { [`aws:RequestTag/${CLUSTER_TAG}`]: o.clusterName };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ElbServiceLinkedRole',
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole'],
        Resource: `arn:${o.partition}:iam::${o.accountId}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`,
        Condition: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
      },
      {
        Sid: 'Describe',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeAccountAttributes', 'ec2:DescribeAddresses', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInternetGateways',
          'ec2:DescribeVpcs', 'ec2:DescribeVpcPeeringConnections', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces', 'ec2:DescribeTags', 'ec2:DescribeIpamPools', 'ec2:DescribeRouteTables',
          'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeLoadBalancerAttributes', 'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeListenerCertificates', 'elasticloadbalancing:DescribeSSLPolicies', 'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTargetHealth',
          'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTrustStores', 'elasticloadbalancing:DescribeListenerAttributes',
          'elasticloadbalancing:DescribeCapacityReservation',
        ],
        Resource: '*',
      },
      { Sid: 'SecurityGroupsOfTheVpc', Effect: 'Allow', Action: ['ec2:GetSecurityGroupsForVpc'], Resource: `${ec2}:vpc/${o.vpcId}` },
      { Sid: 'DescribeCertificates', Effect: 'Allow', Action: ['acm:DescribeCertificate'], Resource: `arn:${o.partition}:acm:${o.region}:${o.accountId}:certificate/*` },
      // Opens node / pod security groups to the load balancer's backend security group.
      { Sid: 'BackendSecurityGroupRules', Effect: 'Allow', Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'], Resource: securityGroups },
      { Sid: 'CreateSecurityGroupsInTheVpc', Effect: 'Allow', Action: ['ec2:CreateSecurityGroup'], Resource: [securityGroups, `${ec2}:vpc/${o.vpcId}`] },
      {
        Sid: 'TagNewSecurityGroups',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: securityGroups,
        Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup', ...requestsOwn } },
      },
      {
        Sid: 'RetagOwnSecurityGroups',
        Effect: 'Allow',
        Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
        Resource: securityGroups,
        Condition: { Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'true' }, StringEquals: own },
      },
      {
        Sid: 'ManageOwnSecurityGroups',
        Effect: 'Allow',
        Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'],
        Resource: '*',
        Condition: { StringEquals: own },
      },
      {
        Sid: 'CreateTaggedLoadBalancers',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'],
        Resource: '*',
        Condition: { StringEquals: requestsOwn },
      },
      {
        Sid: 'ListenersAndRules',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteRule'],
        Resource: [...loadBalancers, ...listeners, ...rules],
      },
      {
        Sid: 'RetagOwnLoadBalancers',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
        Resource: [targetGroups, ...loadBalancers],
        Condition: { Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'true' }, StringEquals: own },
      },
      { Sid: 'TagListenersAndRules', Effect: 'Allow', Action: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'], Resource: [...listeners, ...rules] },
      {
        Sid: 'ModifyOwnLoadBalancers',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:ModifyLoadBalancerAttributes', 'elasticloadbalancing:SetIpAddressType', 'elasticloadbalancing:SetSecurityGroups',
          'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:ModifyTargetGroup',
          'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:ModifyListenerAttributes',
          'elasticloadbalancing:ModifyCapacityReservation', 'elasticloadbalancing:ModifyIpPools',
        ],
        Resource: '*',
        Condition: { StringEquals: own },
      },
      {
        Sid: 'TagOnCreate',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:AddTags'],
        Resource: [targetGroups, ...loadBalancers],
        Condition: { StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'], ...requestsOwn } },
      },
      { Sid: 'Targets', Effect: 'Allow', Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'], Resource: targetGroups },
      {
        Sid: 'ModifyListenersAndRules',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:AddListenerCertificates', 'elasticloadbalancing:RemoveListenerCertificates',
          'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:SetRulePriorities',
        ],
        Resource: [...listeners, ...rules],
      },
    ],
  };
}

/**
 * The Gateway API CRDs (standard channel) and then the controller, with `ALBGatewayAPI` on: the controller
 * looks for the Gateway API CRDs once when it starts, so they are installed first. Returns both releases
 * (Gateway objects must wait for them).
 */
export function awsLoadBalancerController(scope: Construct, cloud: AwsCloud, opts: {
  clusterName: string; accountId: string; partition: string; vpcId: string; helmProvider: TerraformProvider;
  bind: (identity: WorkloadIdentity, ns: string, sa: string) => { association: ITerraformDependable }; dependsOn: readonly ITerraformDependable[]; tags?: Record<string, string>;
}): { identity: WorkloadIdentity; crds: Release; release: Release } {
  const lbc = new Construct(scope, 'LoadBalancerController');
  const identity = new WorkloadIdentity(lbc, 'Identity', {
    cloud, description: `AWS Load Balancer Controller of EKS cluster ${opts.clusterName} (cdktf-ai-infra)`, tags: opts.tags,
  });
  const policy = new IamRolePolicy(lbc, 'Policy', {
    provider: awsProvider(scope, cloud.region),
    role: identity.resourceId,
    name: 'aws-load-balancer-controller',
    policy: JSON.stringify(loadBalancerControllerPolicy({ ...opts, region: cloud.region })),
  });
  // The pods must not start before their Pod Identity association exists (no credentials until then).
  const binding = opts.bind(identity, LOAD_BALANCER_CONTROLLER_NAMESPACE, LOAD_BALANCER_CONTROLLER_SA);
  const crds = pinnedRelease(lbc, 'GatewayApiCrds', GATEWAY_API_CRDS, {
    provider: opts.helmProvider, name: 'gateway-api-crds', namespace: LOAD_BALANCER_CONTROLLER_NAMESPACE, dependsOn: opts.dependsOn,
    values: { crds: { gatewayAPI: { enabled: true, channel: 'standard' }, envoyGateway: { enabled: false } } },
  });
  const release = pinnedRelease(lbc, 'Release', AWS_LOAD_BALANCER_CONTROLLER, {
    provider: opts.helmProvider, name: 'aws-load-balancer-controller', namespace: LOAD_BALANCER_CONTROLLER_NAMESPACE,
    dependsOn: [...opts.dependsOn, crds, policy, binding.association],
    values: {
      clusterName: opts.clusterName,
      // Pods cannot reach IMDS (hop limit 1): region and VPC come from here.
      region: cloud.region,
      vpcId: opts.vpcId,
      serviceAccount: { create: true, name: LOAD_BALANCER_CONTROLLER_SA },
      controllerConfig: { featureGates: { ALBGatewayAPI: true } },
      // Not granted in the IAM policy, so not called.
      enableShield: false,
      enableWaf: false,
      enableWafv2: false,
      replicaCount: 2,
      nodeSelector: { [LABEL_POOL]: 'system' },
      priorityClassName: 'system-cluster-critical',
      podDisruptionBudget: { maxUnavailable: 1 },
    },
  });
  return { identity, crds, release };
}
