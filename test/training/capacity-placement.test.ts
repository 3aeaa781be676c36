// Issue 22 item 5: an EFA pool's cluster placement group must not be forced on reserved capacity (a Capacity Block
// or an ODCR made outside it fails with InsufficientInstanceCapacity, terraform-aws-eks PR #3730). Checked on the
// synthesized launch template of every capacity rung.
import { Gpu } from '../../src/core/gpu';
import { GpuReservation } from '../../src/core/capacity';
import { InvalidPropError } from '../../src/core/errors';
import { aws, clusterJson, Json, one } from './cluster-helpers';
import { expectInvalid } from '../expect-invalid';

function templates(reservation: GpuReservation | undefined, extra: Json = {}): Record<string, Json> {
  const { json } = clusterJson({
    cloud: aws(),
    gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 4, capacity: ['reserved', 'on-demand', 'spot'], reservation, ...extra }],
  });
  return Object.fromEntries(['reserved', 'on-demand', 'spot'].map((rung) => [rung, one(json, 'aws_launch_template', `LaunchTemplate-${rung}`)]));
}

const PG = /^\$\{aws_placement_group\.train_Pool-h100-80gb_PlacementGroup_[0-9A-F]+\.name\}$/;

describe('EFA pool placement per capacity rung (AWS)', () => {
  test('Capacity Block: the reserved rung has no placement group, on-demand and spot keep the pool\'s', () => {
    const lts = templates({ id: 'cr-0123456789abcdef0' });
    expect(lts.reserved.placement).toBeUndefined();
    expect(lts.reserved.instance_market_options).toEqual({ market_type: 'capacity-block' });
    expect(lts['on-demand'].placement.group_name).toMatch(PG);
    expect(lts.spot.placement.group_name).toMatch(PG);
  });

  test('a targeted ODCR: no forced placement group on the reserved rung', () => {
    const lts = templates({ id: 'cr-0123456789abcdef0', awsType: 'odcr' });
    expect(lts.reserved.placement).toBeUndefined();
    expect(lts.reserved.capacity_reservation_specification).toEqual({ capacity_reservation_target: { capacity_reservation_id: 'cr-0123456789abcdef0' } });
    expect(lts['on-demand'].placement.group_name).toMatch(PG);
  });

  test('an ODCR made in a cluster placement group: the reserved rung launches into that one', () => {
    const lts = templates({ id: 'cr-0123456789abcdef0', awsType: 'odcr', awsPlacementGroup: 'p5-odcr-pg' });
    expect(lts.reserved.placement).toEqual({ group_name: 'p5-odcr-pg' });
    expect(lts.spot.placement.group_name).toMatch(PG);
  });

  test('open ODCRs (no reservation id): no forced placement group on the reserved rung', () => {
    const lts = templates(undefined);
    expect(lts.reserved.capacity_reservation_specification).toEqual({ capacity_reservation_preference: 'open' });
    expect(lts.reserved.placement).toBeUndefined();
    expect(lts['on-demand'].placement.group_name).toMatch(PG);
  });

  test('compactPlacement without EFA follows the same rule', () => {
    const { json } = clusterJson({
      cloud: aws(),
      gpuPools: [{ gpu: Gpu.L4, gpusPerNode: 1, maxNodes: 3, capacity: ['reserved', 'on-demand'], reservation: { id: 'cr-0abc12345678', awsType: 'odcr' }, compactPlacement: true }],
    });
    expect(one(json, 'aws_launch_template', 'LaunchTemplate-reserved').placement).toBeUndefined();
    expect(one(json, 'aws_launch_template', 'LaunchTemplate-on-demand').placement.group_name).toMatch(/aws_placement_group/);
  });

  test('awsPlacementGroup is for ODCRs only', () => {
    const err = expectInvalid(() => templates({ id: 'cr-0123456789abcdef0', awsPlacementGroup: 'pg' }), /gpuPools\[0\]\.reservation\.awsPlacementGroup = "pg"/, /with awsType: 'odcr' only/);
    expect(err).toBeInstanceOf(InvalidPropError);
  });
});
