// ESLint flat config: typescript-eslint's type-aware rules over src, test, bench and web (the project
// service reads web/tsconfig.json for the browser app: DOM lib, bundler resolution).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', 'out/**', 'tmp/**', 'bin/**', 'scripts/**', 'eslint.config.js'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Functions a reader can hold in mind, files under 600 lines (issue 13 item 5); tests, benches and
    // generated tables are exempt.
    files: ['src/**/*.ts', 'web/src/**/*.{ts,tsx}'],
    ignores: ['src/**/*.generated.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }],
      'max-lines': ['error', { max: 600, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // node:test's test() and describe() return promises that the runner itself awaits (also in the web
    // benches, which run through node:test in chromium).
    files: ['test/**/*.ts', 'bench/web-*.bench.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
);
