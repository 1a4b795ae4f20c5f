// Every screen and dialog the accessibility audit looks at: the fake host's story (a11y/fake-host.js
// `Scenario`) and how to get there from the first paint, by role and name as a user would.

/** @param {import('playwright-core').Page} page @param {string} name */
const heading = (page, name) => page.getByRole('heading', { name }).first().waitFor();

/** Opens the drop dialog for Ben Schmidt on the first conference and waits for its plan. */
async function openDrop(page) {
  await heading(page, 'Live calls');
  await page.getByRole('button', { name: 'Drop Ben Schmidt' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Drop Ben Schmidt' }).waitFor();
}

/** Confirms the drop and waits for the outcome's Close button. */
async function dropAndWait(page) {
  await openDrop(page);
  await page.getByRole('dialog').getByRole('button', { name: 'Drop Ben Schmidt' }).click();
  await page.getByRole('dialog').getByRole('button', { name: /^(Close|Sign in again)$/ }).waitFor();
}

/** @type {{ name: string, scenario: object, reach: (page: import('playwright-core').Page) => Promise<void> }[]} */
export const SCREENS = [
  { name: 'could not start', scenario: { startup: 'fail' }, reach: (p) => p.getByText('permission denied').first().waitFor() },
  { name: 'sign-in', scenario: { session: 'signedOut' }, reach: (p) => heading(p, 'Sign in to Genesys Cloud') },
  {
    name: 'sign-in failed',
    scenario: { session: 'expired', signIn: 'fail' },
    reach: async (p) => {
      await heading(p, 'Sign in to Genesys Cloud');
      await p.getByRole('button', { name: 'Sign in with your browser' }).click();
      await p.getByRole('alert').first().waitFor();
    },
  },
  { name: 'session expired', scenario: { session: 'expired' }, reach: (p) => heading(p, 'Sign in to Genesys Cloud') },
  {
    name: 'sign-in, set by the administrator',
    scenario: { session: 'signedOut', config: 'locked' },
    reach: (p) => p.getByText('Set by your administrator').first().waitFor(),
  },
  {
    name: 'configuration file problem',
    scenario: { session: 'signedOut', config: 'broken' },
    reach: (p) => heading(p, 'A configuration file has a problem'),
  },
  {
    name: 'permissions missing after sign-in',
    scenario: { session: 'signedIn', permissions: 'missing' },
    reach: (p) => heading(p, 'Some features are unavailable'),
  },
  { name: 'queue picker', scenario: { session: 'signedIn', queuesChosen: false }, reach: (p) => heading(p, 'Choose the queues to watch') },
  { name: 'board', scenario: { session: 'signedIn' }, reach: (p) => p.getByRole('button', { name: 'Drop Ben Schmidt' }).waitFor() },
  { name: 'board, no calls', scenario: { session: 'signedIn', roster: 'empty' }, reach: (p) => heading(p, 'Live calls') },
  { name: 'board, unreachable', scenario: { session: 'signedIn', roster: 'fail' }, reach: (p) => p.getByText('could not be reached').first().waitFor() },
  { name: 'drop dialog', scenario: { session: 'signedIn' }, reach: openDrop },
  { name: 'drop confirmed', scenario: { session: 'signedIn', drop: 'confirmed' }, reach: dropAndWait },
  { name: 'drop not confirmed', scenario: { session: 'signedIn', drop: 'notConfirmed' }, reach: dropAndWait },
  { name: 'drop refused', scenario: { session: 'signedIn', drop: 'refused' }, reach: dropAndWait },
  { name: 'drop error', scenario: { session: 'signedIn', drop: 'error' }, reach: dropAndWait },
  {
    name: 'keyboard help',
    scenario: { session: 'signedIn' },
    reach: async (p) => {
      await p.getByRole('button', { name: 'Drop Ben Schmidt' }).waitFor();
      await p.locator('body').press('?');
      await p.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    },
  },
  {
    name: 'mute confirmation (keyboard m)',
    scenario: { session: 'signedIn' },
    reach: async (p) => {
      await p.getByRole('button', { name: 'Mute Ben Schmidt' }).focus();
      await p.keyboard.press('m');
      await p.getByRole('dialog', { name: /^(Mute|Unmute) / }).waitFor();
    },
  },
  {
    name: 'needs attention',
    scenario: { session: 'signedIn' },
    reach: async (p) => {
      await p.getByRole('button', { name: 'Needs attention: 2' }).click();
      await p.getByText('Rule quiet-outside is not checked').waitFor();
    },
  },
  {
    name: 'end call confirmation (nobody left)',
    scenario: { session: 'signedIn' },
    reach: async (p) => {
      await p.getByRole('button', { name: 'End call for everyone…, rule no_live_party' }).click();
      await p.getByRole('dialog', { name: 'End this call for everyone?' }).waitFor();
    },
  },
  {
    name: 'policy page',
    scenario: { session: 'signedIn' },
    reach: async (p) => {
      await p.getByRole('button', { name: 'Policy', exact: true }).first().click();
      await p.getByRole('table', { name: /What enforcing would do/ }).waitFor();
    },
  },
  {
    name: 'policy enforce confirmation',
    scenario: { session: 'signedIn' },
    reach: async (p) => {
      await p.getByRole('button', { name: 'Policy', exact: true }).first().click();
      await p.getByRole('switch', { name: 'Enforce the policy in this app' }).click();
      await p.getByRole('dialog', { name: 'Enforce the policy in this app?' }).waitFor();
    },
  },
  {
    name: 'policy page, enforcement locked by the administrator',
    scenario: { session: 'signedIn', policy: 'locked' },
    reach: async (p) => {
      await p.getByRole('button', { name: 'Policy', exact: true }).first().click();
      await p.getByText('Set by your administrator').first().waitFor();
    },
  },
  {
    name: 'audit log',
    scenario: { session: 'signedIn' },
    reach: async (p) => {
      await p.getByRole('button', { name: 'Audit log' }).click();
      await p.getByText('Northwind Insurance').first().waitFor();
    },
  },
];
