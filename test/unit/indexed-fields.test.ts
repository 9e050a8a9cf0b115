// The embedded server looks an equality on a unique index's first field up in that index
// (tools/embedded-mongodb/_ferretdb/sqlite_pushdown.go), which is exact only while that field
// never holds an array (MongoDB's equality also matches an array's elements). Every model keeps it so.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';

const modelsDir = path.resolve(import.meta.dirname, '../../models');

describe('models: indexed fields', function () {
  before(async function () {
    for (const file of readdirSync(modelsDir).filter(name => name.endsWith('.model.ts'))) {
      await import(path.join(modelsDir, file));
    }
  });

  it('registers every model file', function () {
    const files = readdirSync(modelsDir).filter(name => name.endsWith('.model.ts'));
    expect(mongoose.modelNames().length).to.be.at.least(files.length);
  });

  it('never puts an array first in a unique index', function () {
    const arrays: string[] = [];
    for (const name of mongoose.modelNames()) {
      const schema = mongoose.model(name).schema;
      for (const [fields, options] of schema.indexes()) {
        if (!options.unique) continue;
        const first = Object.keys(fields)[0];
        if (first === undefined) continue;
        const type = schema.path(first);
        if (type === undefined || type.instance === 'Array' || type.instance === 'Mixed')
          arrays.push(`${name}.${first}`);
      }
    }
    expect(arrays, 'index fields that are arrays, mixed or undeclared').to.deep.equal([]);
  });
});
