// The webhook settings (config/index.ts), the subscription groups and the retry schedule.
import { expect } from 'chai';
import { ConfigError, DEFAULT_WEBHOOK_RETRY_SCHEDULE, DEV_WEBHOOK_SECRET_KEY, loadConfig } from '../../config/index.ts';
import { retryDelayMs } from '../../services/webhook/attempts.ts';
import { DELIVERABLE_EVENTS, expandSubscription } from '../../services/webhook/subscriptions.ts';
import { EVENTS } from '../../lib/core/events.ts';

const PRODUCTION = {
  NODE_ENV: 'production',
  MONGO_URL: 'mongodb://db.example.com:27017/licenses',
  JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
  ADMIN_USERNAME: 'operator',
  ADMIN_PASSWORD: 'a-long-production-password',
};

function rejected(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('webhook settings', function () {
  it('default outside production: a development key, 10 s per attempt, the documented schedule', function () {
    const cfg = loadConfig({});
    expect(cfg.webhook.secretKey).to.equal(DEV_WEBHOOK_SECRET_KEY);
    expect(cfg.webhook.timeoutMs).to.equal(10_000);
    expect(cfg.webhook.retrySchedule).to.deep.equal(DEFAULT_WEBHOOK_RETRY_SCHEDULE);
  });

  it('the default schedule makes 11 attempts over about a day', function () {
    const total = DEFAULT_WEBHOOK_RETRY_SCHEDULE.reduce((a, b) => a + b, 0);
    expect(DEFAULT_WEBHOOK_RETRY_SCHEDULE).to.have.lengthOf(10);
    expect(total).to.equal(85_355);
    expect(total / 3600).to.be.within(23, 25);
  });

  it('requires WEBHOOK_SECRET_KEY in production on nodes that run the webhook service', function () {
    expect(rejected(PRODUCTION).variable).to.equal('WEBHOOK_SECRET_KEY');
    expect(rejected({ ...PRODUCTION, SERVICES: 'api,webhook' }).variable).to.equal('WEBHOOK_SECRET_KEY');
    expect(loadConfig({ ...PRODUCTION, SERVICES: 'api,license' }).isProduction).to.equal(true);
  });

  it('refuses a key shorter than 32 characters, and the development key in production', function () {
    expect(rejected({ WEBHOOK_SECRET_KEY: 'short' }).message).to.include('at least 32');
    const err = rejected({ ...PRODUCTION, WEBHOOK_SECRET_KEY: DEV_WEBHOOK_SECRET_KEY });
    expect(err.variable).to.equal('WEBHOOK_SECRET_KEY');
    expect(err.message).to.include('development default');
  });

  it('accepts a production key of 32 characters or more', function () {
    const key = 'k'.repeat(32);
    expect(loadConfig({ ...PRODUCTION, WEBHOOK_SECRET_KEY: key }).webhook.secretKey).to.equal(key);
  });

  it('reads WEBHOOK_RETRY_SCHEDULE as seconds, and WEBHOOK_TIMEOUT_MS', function () {
    const cfg = loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1, 2,0', WEBHOOK_TIMEOUT_MS: '2500' });
    expect(cfg.webhook.retrySchedule).to.deep.equal([1, 2, 0]);
    expect(cfg.webhook.timeoutMs).to.equal(2500);
  });

  for (const schedule of ['1,,2', 'a,b', '-1', '1.5', '700000', Array(31).fill('1').join(',')]) {
    it(`refuses WEBHOOK_RETRY_SCHEDULE="${schedule.slice(0, 20)}"`, function () {
      expect(rejected({ WEBHOOK_RETRY_SCHEDULE: schedule }).variable).to.equal('WEBHOOK_RETRY_SCHEDULE');
    });
  }

  it('refuses WEBHOOK_TIMEOUT_MS outside 100-120000', function () {
    expect(rejected({ WEBHOOK_TIMEOUT_MS: '50' }).variable).to.equal('WEBHOOK_TIMEOUT_MS');
  });
});

describe('webhook subscriptions', function () {
  it('delivers only catalogued facts', function () {
    for (const name of DELIVERABLE_EVENTS) expect(Object.hasOwn(EVENTS, name), name).to.equal(true);
  });

  it("maps the reference's four groups onto events", function () {
    expect(expandSubscription(['license_activation'])).to.deep.equal(['license.activated', 'license.deactivated']);
    expect(expandSubscription(['license_expiration'])).to.deep.equal(['license.expired']);
    expect(expandSubscription(['suspicious_activity'])).to.deep.equal(['anomaly.detected']);
    expect(expandSubscription(['usage_threshold'])).to.deep.equal(['license.usage_threshold']);
  });

  it('merges groups and names without repeats, and keeps * as every event', function () {
    expect(expandSubscription(['license_activation', 'license.activated', 'apikey.rotated'])).to.deep.equal([
      'apikey.rotated',
      'license.activated',
      'license.deactivated',
    ]);
    expect(expandSubscription(['license.expired', '*'])).to.deep.equal(['*']);
  });
});

describe('retry schedule', function () {
  it('waits the scheduled delay, +-20% jitter, before each retry', function () {
    const schedule = [5, 30, 120];
    expect(retryDelayMs(schedule, 1, () => 0.5)).to.equal(5000);
    expect(retryDelayMs(schedule, 2, () => 0)).to.equal(24_000);
    expect(retryDelayMs(schedule, 3, () => 1)).to.equal(144_000);
  });

  it('has no retry left after the last delay', function () {
    expect(retryDelayMs([5, 30], 3)).to.equal(null);
    expect(retryDelayMs([], 1)).to.equal(null);
  });
});
