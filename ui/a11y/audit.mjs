// Accessibility proof of the BUILT UI (ui/dist): Debian's Chromium (playwright-core) loads it from a
// loopback server with a fake Tauri host (a11y/fake-host.js), walks every screen and dialog, and runs
// axe-core at WCAG 2.2 AA on each, in the light and the dark theme, at 100 % and at 200 % zoom (a 1280 x 800
// window at 200 % lays out as 640 x 400 CSS pixels). At 200 % it also checks that nothing needs sideways
// scrolling and that every control is on screen horizontally.
// Prints each violation as "screen / theme: rule (impact) at target", and one closing line
// "a11y: N passed, M failed" that scripts/test.sh adds to its summary.
//
//   node a11y/audit.mjs                 # after npm run build
//   node a11y/audit.mjs --only=board    # screens whose name contains "board"
//   options: --chromium=/usr/bin/chromium --dist=dist --only=TEXT
/* global window, document -- the functions given to page.evaluate run in the page */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../tools/serve-dist.mjs';
import { SCREENS } from './screens.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const uiRoot = resolve(here, '..');
const require = createRequire(import.meta.url);

function options() {
  const opt = { chromium: '/usr/bin/chromium', dist: join(uiRoot, 'dist'), only: '' };
  for (const arg of process.argv.slice(2)) {
    const match = /^--([a-z]+)=(.*)$/.exec(arg);
    if (!match || !(match[1] in opt)) {
      console.error(`unknown option ${arg} (known: --chromium=PATH --dist=DIR --only=TEXT)`);
      process.exit(2);
    }
    opt[match[1]] = match[2];
  }
  return opt;
}


/** WCAG 2.0, 2.1 and 2.2 at levels A and AA. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** The ways each screen is looked at: theme and zoom (zoom 2 halves the CSS viewport of a 1280 x 800 window). */
const VIEWS = [
  { theme: 'light', zoom: 1 },
  { theme: 'dark', zoom: 1 },
  { theme: 'light', zoom: 2 },
  { theme: 'dark', zoom: 2 },
];

/** At 200 %: sideways scrolling of the page, and controls cut off at the left or right edge. */
function reflowProblems() {
  const problems = [];
  const root = document.scrollingElement ?? document.documentElement;
  const width = window.innerWidth;
  if (root.scrollWidth > root.clientWidth + 1) {
    problems.push(`the page scrolls sideways (${root.scrollWidth}px of content in ${root.clientWidth}px)`);
  }
  const inTop = document.querySelector('dialog[open]');
  for (const el of document.querySelectorAll('button, input, select, textarea, a[href], summary, [tabindex="0"]')) {
    if (inTop && !inTop.contains(el)) continue; // behind a modal dialog: not reachable now anyway
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue; // not rendered (closed <details>, hidden)
    if (el.closest('.visually-hidden')) continue;
    if (box.left < -1 || box.right > width + 1) {
      const name = el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 40) ?? el.tagName;
      problems.push(`${el.tagName.toLowerCase()} "${name}" is cut off (x ${Math.round(box.left)}..${Math.round(box.right)} of ${width})`);
    }
  }
  return problems;
}

/** Runs axe-core at TAGS in `page` and returns its violations, one entry per rule. */
async function violations(page, axeSource) {
  await page.evaluate(`${axeSource};0`);
  return page.evaluate(
    (tags) =>
      window.axe
        .run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
        .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })) }))),
    TAGS,
  );
}

/** A page with known violations: the runner must see them, or a clean result would prove nothing. */
const KNOWN_BAD = `<!doctype html><html lang="en"><head><title>known bad</title></head><body><main>
<h1>Known bad</h1><img src="data:," width="10" height="10"><button type="button"></button>
<p style="color:#aaa;background:#fff">low contrast</p></main></body></html>`;
const KNOWN_BAD_RULES = ['image-alt', 'button-name', 'color-contrast'];

async function main() {
  const opt = options();
  const dist = resolve(opt.dist);
  try {
    await stat(join(dist, 'index.html'));
  } catch {
    console.error('ui/dist/index.html is missing: run `npm run build` first.');
    process.exit(2);
  }
  try {
    await stat(opt.chromium);
  } catch {
    console.error(`${opt.chromium} is missing: install Debian's chromium (scripts/lib.sh ensure_apt_packages does).`);
    process.exit(2);
  }
  const fake = await readFile(join(here, 'fake-host.js'), 'utf8');
  const axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  const axeVersion = JSON.parse(await readFile(require.resolve('axe-core/package.json'), 'utf8')).version;
  const screens = SCREENS.filter((s) => s.name.includes(opt.only));
  if (screens.length === 0) {
    console.error(`no screen matches --only=${opt.only}`);
    process.exit(2);
  }

  const { server, url } = await serve(dist);
  const profile = await mkdtemp(join(tmpdir(), 'bk-a11y-chromium-'));
  const browser = await chromium.launch({
    executablePath: opt.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const t0 = Date.now();
  let passed = 0;
  let failed = 0;
  const failures = [];
  const fail = (what, lines) => {
    failed++;
    failures.push(`${what}:\n${lines.map((l) => `    ${l}`).join('\n')}`);
    console.log(`  FAIL ${what}`);
  };
  console.log(`a11y audit: ${screens.length} screens x ${VIEWS.length} views, axe-core ${axeVersion} (${TAGS.join(', ')}), Chromium ${browser.version()}`);

  try {
    {
      // Self-check first: the runner must report a page with known violations as failing.
      const page = await browser.newPage();
      await page.setContent(KNOWN_BAD);
      const seen = (await violations(page, axeSource)).map((v) => v.id);
      await page.close();
      const missed = KNOWN_BAD_RULES.filter((id) => !seen.includes(id));
      if (missed.length > 0) fail('self-check: the known-bad page', [`axe did not report ${missed.join(', ')} (saw: ${seen.join(', ') || 'nothing'})`]);
      else console.log(`  self-check: the known-bad page fails with ${KNOWN_BAD_RULES.join(', ')}, as it must`);
    }
    for (const view of VIEWS) {
      const context = await browser.newContext({
        viewport: { width: 1280 / view.zoom, height: 800 / view.zoom },
        deviceScaleFactor: view.zoom,
        colorScheme: view.theme,
        reducedMotion: 'reduce',
      });
      const label = `${view.theme}, ${view.zoom * 100}%`;
      for (const screen of screens) {
        const what = `${screen.name} (${label})`;
        const page = await context.newPage();
        const pageErrors = [];
        page.on('pageerror', (error) => pageErrors.push(String(error)));
        try {
          await page.addInitScript({ content: `window.__A11Y_SCENARIO__ = ${JSON.stringify(screen.scenario)};\n${fake}` });
          await page.goto(url);
          await screen.reach(page);
          // Let the last render and any focus move settle before looking.
          await page.waitForTimeout(50);
          const found = await violations(page, axeSource);
          const lines = [];
          for (const v of found) {
            for (const n of v.nodes) lines.push(`${v.id} (${v.impact}): ${v.help} at ${n.target}\n      ${(n.summary ?? '').replace(/\n/g, ' ')}`);
          }
          if (view.zoom !== 1) lines.push(...(await page.evaluate(reflowProblems)).map((p) => `reflow: ${p}`));
          lines.push(...pageErrors.map((e) => `page error: ${e}`));
          if (lines.length > 0) fail(what, lines);
          else passed++;
        } catch (error) {
          fail(what, [`could not reach the screen: ${String(error).split('\n')[0]}`, ...pageErrors.map((e) => `page error: ${e}`)]);
        } finally {
          await page.close();
        }
      }
      await context.close();
    }

  } finally {
    await browser.close();
    server.close();
    await rm(profile, { recursive: true, force: true });
  }

  if (failures.length > 0) console.log(`\nAccessibility failures:\n${failures.join('\n')}`);
  console.log(`\na11y wall time: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`a11y: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
