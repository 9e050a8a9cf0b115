// The verify decision as a pure function: the checks run in their documented order and the first that
// fails names the reason.
import { expect } from 'chai';
import { evaluate, isExpired, licenseProblem, type LicenseView } from '../../services/license/verdict.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-15T12:00:00Z');

function view(overrides: Partial<NonNullable<LicenseView['license']>> = {}, customerActive = true): LicenseView {
  return {
    license: {
      id: 1,
      key: 'AAAA-BBBB-CCCC-DDDD',
      customer_id: 7,
      type: 'subscription',
      valid_from: new Date('2026-01-01T00:00:00Z'),
      valid_until: new Date('2026-12-31T00:00:00Z'),
      max_activations: 2,
      max_users: 2,
      is_active: true,
      ...overrides,
    },
    customer: { name: 'ACME', is_active: customerActive },
    activations: new Map([
      ['hw-active', { id: 10, is_active: true }],
      ['hw-deactivated', { id: 11, is_active: false }],
    ]),
  };
}

describe('verdict', function () {
  describe('isExpired', function () {
    it('holds through the whole valid_until day (UTC)', function () {
      const until = new Date('2026-06-15T00:00:00Z');
      expect(isExpired(until, Date.parse('2026-06-15T23:59:59Z'))).to.equal(false);
      expect(isExpired(until, Date.parse('2026-06-16T00:00:00Z'))).to.equal(true);
    });

    it('never expires without an end date', function () {
      expect(isExpired(null, NOW + 1000 * DAY)).to.equal(false);
    });
  });

  describe('licenseProblem: checks 1-5 in order', function () {
    it('NOT_FOUND before anything else', function () {
      expect(licenseProblem({ license: null, customer: null, activations: new Map() }, NOW)).to.equal('NOT_FOUND');
    });

    it('INACTIVE before a disabled customer, a future start or an end in the past', function () {
      const v = view(
        { is_active: false, valid_from: new Date(NOW + DAY), valid_until: new Date(NOW - 10 * DAY) },
        false,
      );
      expect(licenseProblem(v, NOW)).to.equal('INACTIVE');
    });

    it('CUSTOMER_DISABLED before the validity window', function () {
      const v = view({ valid_from: new Date(NOW + DAY) }, false);
      expect(licenseProblem(v, NOW)).to.equal('CUSTOMER_DISABLED');
    });

    it('NOT_YET_VALID before EXPIRED', function () {
      const v = view({ valid_from: new Date(NOW + DAY), valid_until: new Date(NOW - 10 * DAY) });
      expect(licenseProblem(v, NOW)).to.equal('NOT_YET_VALID');
    });

    it('EXPIRED after the last valid day', function () {
      expect(licenseProblem(view({ valid_until: new Date(NOW - 2 * DAY) }), NOW)).to.equal('EXPIRED');
    });

    it('no problem for a license without a customer', function () {
      expect(licenseProblem({ ...view(), customer: null }, NOW)).to.equal(null);
    });
  });

  describe('evaluate: check 6, this machine', function () {
    it('VALID with the activation for an active activation of this machine', function () {
      expect(evaluate(view(), 'hw-active', NOW)).to.deep.equal({
        code: 'VALID',
        activation: { id: 10, is_active: true },
      });
    });

    it('NOT_ACTIVATED for an unknown machine and for a deactivated one', function () {
      expect(evaluate(view(), 'hw-unknown', NOW).code).to.equal('NOT_ACTIVATED');
      expect(evaluate(view(), 'hw-deactivated', NOW).code).to.equal('NOT_ACTIVATED');
    });

    it("NOT_ACTIVATED when a legacy client names another machine's activation", function () {
      expect(evaluate(view(), 'hw-active', NOW, 11).code).to.equal('NOT_ACTIVATED');
      expect(evaluate(view(), 'hw-active', NOW, 10).code).to.equal('VALID');
    });

    it('license problems come before the machine check', function () {
      expect(evaluate(view({ is_active: false }), 'hw-unknown', NOW).code).to.equal('INACTIVE');
    });
  });
});
