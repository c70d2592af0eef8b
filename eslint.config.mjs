// Lint: typescript-eslint's recommended rules over the extension, the webview, tests, benchmarks
// and scripts. Formatting is Prettier's (.prettierrc.json), not ESLint's. Layer rules live in
// test/unit/layers.test.ts, where a failure names the import that crossed a layer.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', '.demo/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Node scripts in plain JavaScript (TypeScript files get their globals from the compiler).
    files: ['**/*.mjs'],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        URL: 'readonly',
      },
    },
  },
  {
    rules: {
      // Control characters are what the escaping code looks for (terminal output, store data).
      'no-control-regex': 'off',
      // `_`-prefixed names are deliberately unused (a required parameter, a rest sibling).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Empty catch blocks are how "this failure is expected and harmless" is written here; each has a reason nearby.
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'No .only left behind: every test runs.' },
        { selector: "CallExpression[callee.property.name='skip']", message: 'No skipped tests left behind.' },
      ],
      eqeqeq: ['error', 'smart'],
      // Prettier wraps code at 120; this keeps comments there too. Long strings and patterns stay whole (searchable).
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
);
