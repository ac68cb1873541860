import { Labels } from '../../../../sdk/api/well-known';
import { testNodeClaim } from '../../../kube/testing';
import { claimsToDelete, reservationIdsOf } from './expiring';

const inReservation = (name: string, id?: string, deleting = false) =>
  testNodeClaim(name, {
    metadata: {
      labels: id ? { [Labels.capacityReservationId]: id } : {},
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
  });

describe('capacity block expiration decisions', () => {
  const claims = [
    inReservation('a', 'cr-block'),
    inReservation('b', 'cr-odcr'),
    inReservation('c'),
    inReservation('d', 'cr-block', true),
    inReservation('e', 'cr-block'),
  ];

  it('asks about the reservations live nodes run in, once each', () => {
    expect(reservationIdsOf(claims)).toEqual(['cr-block', 'cr-odcr']);
    expect(reservationIdsOf([inReservation('x')])).toEqual([]);
  });

  it('deletes the live nodes of expiring reservations only', () => {
    expect(claimsToDelete(claims, new Set(['cr-block'])).map((c) => c.metadata.name)).toEqual(['a', 'e']);
    expect(claimsToDelete(claims, new Set())).toEqual([]);
  });
});
