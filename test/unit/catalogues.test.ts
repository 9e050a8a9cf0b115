// The error-code and event catalogues (lib/core) are the only source of codes and event names: the code
// uses nothing else, and the docs rendered from them are in step.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ERROR_CODES, isErrorCode } from '../../lib/core/error-codes.ts';
import { EVENTS, isEventName } from '../../lib/core/events.ts';
import { GENERATED_DOCS } from '../../scripts/docs/catalogues.ts';
import { VERIFY_CODES } from '../../services/license/verdict.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap(name => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const SOURCES = ['services', 'mixins', 'lib', 'models'].flatMap(sourceFiles).map(file => ({
  file,
  text: readFileSync(join(ROOT, file), 'utf8'),
}));

function matches(pattern: RegExp): Array<{ file: string; value: string }> {
  return SOURCES.flatMap(({ file, text }) => [...text.matchAll(pattern)].map(m => ({ file, value: m[1]! })));
}

describe('catalogues', function () {
  describe('events', function () {
    it('every announced fact is catalogued', function () {
      const announced = matches(/\.announce\([^,]+,\s*'([^']+)'/g);
      expect(announced.length).to.be.greaterThan(10);
      for (const { file, value } of announced) expect(isEventName(value), `${file}: ${value}`).to.equal(true);
    });

    it('every event a service listens to is catalogued', function () {
      const handlers = SOURCES.filter(s => s.file.endsWith('.service.ts') || s.file.includes('.events.')).flatMap(
        ({ file, text }) => {
          const block = /\n {2}events: \{([\s\S]*?)\n {2}\},/.exec(text)?.[1] ?? '';
          return [...block.matchAll(/^ {4}'([^']+)'/gm)].map(m => ({ file, value: m[1]! }));
        },
      );
      for (const { file, value } of handlers) expect(isEventName(value), `${file}: ${value}`).to.equal(true);
    });

    it('nothing emits or broadcasts except through the facts mixin', function () {
      const direct = SOURCES.filter(
        ({ file, text }) => file !== join('mixins', 'facts.mixin.ts') && /\.(emit|broadcast)\(/.test(text),
      ).map(s => s.file);
      expect(direct).to.deep.equal([]);
    });

    it('every catalogued event is announced somewhere', function () {
      const announced = new Set(matches(/\.announce\([^,]+,\s*'([^']+)'/g).map(m => m.value));
      expect(Object.keys(EVENTS).filter(name => !announced.has(name))).to.deep.equal([]);
    });
  });

  describe('error codes', function () {
    it('every code named in a schema annotation or an error answer is catalogued', function () {
      const named = [
        ...matches(/'x-error-code': '([A-Z_]+)'/g),
        ...matches(/\bcode: '([A-Z][A-Z_]+)'/g),
        ...matches(/new AppError\('([A-Z_]+)'/g),
        ...matches(/Error\([^)]*?'([A-Z][A-Z_]{3,})'/g),
      ];
      expect(named.length).to.be.greaterThan(20);
      // Verify answers carry a reason `code` of their own list (VALID, NOT_ACTIVATED, ...): not errors.
      const verdicts: readonly string[] = VERIFY_CODES;
      for (const { file, value } of named) {
        expect(isErrorCode(value) || verdicts.includes(value), `${file}: ${value}`).to.equal(true);
      }
    });

    it('every status is an HTTP error status', function () {
      for (const [code, { status }] of Object.entries(ERROR_CODES)) {
        expect(status, code).to.be.within(400, 599);
      }
    });
  });

  describe('generated docs', function () {
    for (const [file, render] of Object.entries(GENERATED_DOCS)) {
      it(`${file} is in step with its catalogue (npm run docs)`, function () {
        expect(readFileSync(join(ROOT, file), 'utf8'), relative(ROOT, file)).to.equal(render());
      });
    }
  });
});
