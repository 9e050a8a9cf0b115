// What the database costs, seen by the operator: every command's duration in /metrics by command and
// collection, and a warning for each command over DATABASE_SLOW_COMMAND_MS that names the command and
// the collection and nothing from the filter (it may hold a license key or an email address).
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { reloadConfig } from '../../config/index.ts';
import { createBroker, loadServices } from '../../lib/infra/broker.ts';
import { hotMetrics } from '../../lib/observability/hot-metrics.ts';

type Logged = { message: unknown; fields: Record<string, unknown> };

/** A broker with the customer service whose 'database' logger records its warnings into `logged`. */
async function customerNode(slowMs: string, logged: Logged[]): Promise<ServiceBroker> {
  const namespace = `t${randomBytes(4).toString('hex')}`;
  reloadConfig({ NODE_ENV: 'test', NAMESPACE: namespace, DATABASE_SLOW_COMMAND_MS: slowMs });
  const broker = createBroker({
    nodeID: `${namespace}-db`,
    transporter: null as never,
    skipProcessEventRegistration: true,
  });
  const getLogger = broker.getLogger.bind(broker);
  broker.getLogger = ((module: string, props?: object) => {
    const logger = getLogger(module, props);
    if (module !== 'database') return logger;
    return { ...logger, warn: (message: unknown, fields: Record<string, unknown>) => logged.push({ message, fields }) };
  }) as ServiceBroker['getLogger'];
  await loadServices(broker, ['customer']);
  await broker.start();
  return broker;
}

describe('Database commands in /metrics and the slow-command log', function () {
  this.timeout(30_000);

  describe('with DATABASE_SLOW_COMMAND_MS=0 (every command is slow)', function () {
    const logged: Logged[] = [];
    let broker: ServiceBroker;
    before(async function () {
      broker = await customerNode('0', logged);
      logged.length = 0;
      await broker.call('customer.select', { q: 'secret-needle@example.com', page: 1, limit: 5 });
    });
    after(() => broker?.stop());

    it('counts the find on customers under its command, collection and outcome', function () {
      const text = hotMetrics(broker).render({});
      const count =
        /db_command_duration_seconds_count\{command="find",collection="customers",outcome="ok"\} (\d+)/.exec(text);
      expect(count, text.slice(0, 2000)).to.not.equal(null);
      expect(Number(count![1])).to.be.at.least(1);
      expect(text).to.match(
        /db_command_duration_seconds_bucket\{command="find",collection="customers",outcome="ok",le="\+Inf"\}/,
      );
    });

    it('logs the command and collection with its duration, and nothing of the filter', function () {
      const find = logged.find(l => l.fields.command === 'find' && l.fields.collection === 'customers');
      expect(find, JSON.stringify(logged)).to.not.equal(undefined);
      expect(find!.message).to.equal('Slow database command');
      expect(Object.keys(find!.fields).sort()).to.deep.equal(['collection', 'command', 'ms', 'ok']);
      expect(find!.fields.ok).to.equal(true);
      expect(find!.fields.ms).to.be.a('number').and.at.least(0);
      expect(JSON.stringify(logged)).to.not.include('secret-needle');
    });
  });

  describe('with the default threshold (100 ms)', function () {
    const logged: Logged[] = [];
    let broker: ServiceBroker;
    before(async function () {
      broker = await customerNode('100', logged);
      await broker.call('customer.select', { q: 'quick', page: 1, limit: 5 });
    });
    after(() => broker?.stop());

    it('still measures a quick command, and does not log it', function () {
      expect(hotMetrics(broker).render({})).to.match(
        /db_command_duration_seconds_count\{command="find",collection="customers"/,
      );
      expect(logged.filter(l => l.fields.command === 'find')).to.deep.equal([]);
    });
  });
});
