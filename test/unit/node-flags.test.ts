import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SERVER_NODE_FLAGS, missingFlagsWarning } from '../../lib/infra/node-flags.ts';

const root = new URL('../../', import.meta.url);

describe("the server nodes' V8 flags (lib/infra/node-flags.ts)", function () {
  it("turn V8's memory reducer off", function () {
    expect(SERVER_NODE_FLAGS).to.include('--no-memory-reducer');
  });

  it('warn, naming the missing flag and the command, when a node starts without them', function () {
    const warning = missingFlagsWarning(['--inspect']);
    expect(warning).to.equal(
      'Started without --no-memory-reducer: run node --no-memory-reducer scripts/start.ts (lib/infra/node-flags.ts)',
    );
  });

  it('say nothing when a node has every flag', function () {
    expect(missingFlagsWarning(['--trace-gc', ...SERVER_NODE_FLAGS])).to.equal(undefined);
  });

  it("are on npm start's command line (the Dockerfile's CMD is checked with the image)", function () {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: { start: string } };
    expect(pkg.scripts.start).to.equal(`node ${SERVER_NODE_FLAGS.join(' ')} scripts/start.ts`);
  });
});
