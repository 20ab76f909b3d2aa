// @ts-check
/**
 * Lint for src/, test/ and bench/ (`npm run lint`, part of `npm test`): typescript-eslint
 * `strict` on .ts and @eslint/js `recommended` on the .mjs/.js scripts. `strict`, not
 * `strictTypeChecked`: the syntactic rules need no type information, so a lint run parses each
 * file once instead of building a TypeScript program (tsc already checks the types in
 * `npm run build` / `npm run typecheck`; the figures are in ARCHITECTURE.md). Every rule turned
 * off or down is listed here with its reason.
 */
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const unusedVars = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      // flatc output (schemas/gen-fbs.sh), regenerated, never edited by hand.
      'src/chain/fbs/**',
      'test/helpers/fbs-v1/**',
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
    // `_name` marks a binding kept for its position (destructuring, callback signatures).
    rules: { 'no-unused-vars': unusedVars },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strict],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': unusedVars,
      // noUncheckedIndexedAccess (tsconfig.json) types every index as possibly undefined; where
      // an invariant makes the miss impossible (a loop bound, a table sized at construction) the
      // code says so with `!` and a comment per loop. Guards there would cost the hot paths
      // (price table, decoder, encoders) a branch per element and prove nothing.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/web/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Coefficient tables transcribed with the digits their sources print (Cody 1969; the
    // Gauss–Kronrod nodes), so they can be checked against the paper digit by digit; the
    // parser rounds them to the nearest double, which is the value intended.
    files: ['src/analytics/normal-distribution.ts', 'test/helpers/black76-reference.ts'],
    rules: { 'no-loss-of-precision': 'off' },
  },
  {
    // Named lengths and byte offsets of Dhan's packets (docs/dhan-protocol.md §2.5): a ticker
    // and an index packet are both 16 bytes long, so equal values are the point.
    files: ['src/dhan/packet-layout.ts'],
    rules: { '@typescript-eslint/no-duplicate-enum-values': 'off' },
  },
  {
    // The generator's sections yield a text chunk or nothing (`void`: they wrote into the
    // sink instead); `string | void` is that contract, and its owner is reworking the file.
    files: ['src/synthetic-master/synthetic-master.ts'],
    rules: { '@typescript-eslint/no-invalid-void-type': 'off' },
  },
  {
    // Tests read JSON answers of the server under test and assert on their fields; `unknown`
    // would need a cast per access and check nothing the assertions do not.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
