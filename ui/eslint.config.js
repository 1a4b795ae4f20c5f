// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const onlyPlatformTalksToTauri = {
  group: ['@tauri-apps/*'],
  message: 'Only src/platform/ imports @tauri-apps: call its typed functions instead.',
};

export default defineConfig([
  globalIgnores(['dist', 'node_modules', 'src/bindings']),
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    // Injected into the page by bench/frame-times.mjs and a11y/audit.mjs: a classic browser script, not a Node module.
    files: ['bench/fake-tauri.js', 'a11y/fake-host.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [
      js.configs.recommended,
      tseslint.configs.strictTypeChecked,
      tseslint.configs.stylisticTypeChecked,
      reactHooks.configs.flat.recommended,
    ],
    languageOptions: {
      globals: globals.browser,
      parserOptions: {
        projectService: { allowDefaultProject: ['vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      'no-restricted-imports': ['error', { patterns: [onlyPlatformTalksToTauri] }],
    },
  },
  {
    // Tests mock the IPC layer, and may import Tauri's mocks for that (and nothing else from Tauri).
    files: ['src/**/*.test.{ts,tsx}', 'src/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^@tauri-apps/(?!api/mocks$)', message: onlyPlatformTalksToTauri.message }] },
      ],
    },
  },
  {
    files: ['src/platform/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
]);
