// The shipped configuration stays hardened: no devtools, no dangerous* switches, no test-only settings,
// freezePrototype and removeUnusedCommands on. Run by scripts/test.sh with `node --test`; the last
// tests prove the check fails on a regressed config, so it cannot pass by accident.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const readJson = (rel) => JSON.parse(readFileSync(join(ROOT, rel), 'utf8'));

/** Every problem with a tauri.conf.json object, as readable strings (empty when it is fine). */
export function configProblems(conf) {
  const problems = [];
  const walk = (value, path) => {
    if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const here = path ? `${path}.${key}` : key;
        if (/^dangerous/i.test(key) && child !== false) problems.push(`${here} is set (only a test overlay may)`);
        if (/^devtools$/i.test(key) && child !== false) problems.push(`${here} is on`);
        walk(child, here);
      }
    }
  };
  walk(conf, '');
  if (conf?.app?.security?.freezePrototype !== true) problems.push('app.security.freezePrototype is not true');
  if (conf?.build?.removeUnusedCommands !== true) problems.push('build.removeUnusedCommands is not true');
  if (conf?.app?.withGlobalTauri === true) problems.push('app.withGlobalTauri is on');
  const csp = conf?.app?.security?.csp;
  if (!csp) problems.push('app.security.csp is missing');
  if (JSON.stringify(csp ?? '').includes("'unsafe-")) problems.push("the CSP allows 'unsafe-*'");
  const updater = conf?.plugins?.updater;
  for (const url of updater?.endpoints ?? []) {
    if (!String(url).startsWith('https://')) problems.push(`updater endpoint ${url} is not https`);
  }
  return problems;
}

/** Problems with the [dependencies] section of the root Cargo.toml (the shipped app's features). */
export function cargoProblems(toml) {
  const section = /\n\[dependencies\]\n([\s\S]*?)(\n\[|$)/.exec(toml)?.[1] ?? '';
  const line = section.split('\n').find((l) => /^tauri\s*=/.test(l)) ?? '';
  const problems = [];
  if (!line) problems.push('no tauri dependency found in [dependencies]');
  for (const feature of ['devtools', 'test']) {
    if (new RegExp(`"${feature}"`).test(line)) problems.push(`tauri feature "${feature}" in the shipped build`);
  }
  return problems;
}

/** The permission set src-tauri/build.rs generates from the command list (crates/ipc-commands). */
const COMMAND_SET = 'main-window-commands';

/** Problems with the generated command set: it may only list the app's own allow-* permissions. */
export function commandSetProblems(toml) {
  const listed = /permissions\s*=\s*\[([\s\S]*?)\]/.exec(toml)?.[1] ?? '';
  const ids = [...listed.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  const problems = ids.length === 0 ? ['the command set lists no permission'] : [];
  for (const id of ids) if (!/^allow-[a-z0-9-]+$/.test(id)) problems.push(`the command set grants ${id}`);
  return problems;
}

/** Problems with one capability file: only the app's own allow-* command permissions (or their set). */
export function capabilityProblems(cap) {
  return (cap.permissions ?? [])
    .map((p) => (typeof p === 'string' ? p : p.identifier))
    .filter((id) => (id !== COMMAND_SET && !/^allow-[a-z0-9-]+$/.test(id)) || /devtools|dangerous/.test(id))
    .map((id) => `capability ${cap.identifier} grants ${id}`);
}

test('tauri.conf.json is hardened', () => {
  assert.deepEqual(configProblems(readJson('tauri.conf.json')), []);
});

test('the shipped tauri dependency has no devtools or test feature', () => {
  assert.deepEqual(cargoProblems(readFileSync(join(ROOT, 'Cargo.toml'), 'utf8')), []);
});

test('capabilities grant only the app commands', () => {
  const dir = 'src-tauri/capabilities';
  const files = readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.json'));
  assert.ok(files.length > 0, 'no capability file found');
  for (const f of files) assert.deepEqual(capabilityProblems(readJson(`${dir}/${f}`)), [], f);
  const set = readFileSync(join(ROOT, 'src-tauri/permissions/main-window.toml'), 'utf8');
  assert.deepEqual(commandSetProblems(set), []);
});

test('the check catches a config that regains devtools or dangerous settings', () => {
  const conf = readJson('tauri.conf.json');
  conf.app.windows[0].devtools = true;
  conf.app.security.dangerousDisableAssetCspModification = true;
  conf.app.security.freezePrototype = false;
  conf.plugins = { updater: { dangerousInsecureTransportProtocol: true, endpoints: ['http://127.0.0.1:1/latest.json'] } };
  assert.equal(configProblems(conf).length, 5);
  assert.deepEqual(cargoProblems('\n[dependencies]\ntauri = { version = "2", features = ["devtools"] }\n'), [
    'tauri feature "devtools" in the shipped build',
  ]);
  assert.deepEqual(capabilityProblems({ identifier: 'x', permissions: ['core:webview:allow-internal-toggle-devtools'] }), [
    'capability x grants core:webview:allow-internal-toggle-devtools',
  ]);
  assert.deepEqual(commandSetProblems('[[set]]\npermissions = ["allow-app-info", "core:default"]\n'), [
    'the command set grants core:default',
  ]);
});
