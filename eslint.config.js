// Lint: typescript-eslint's recommended rules plus the layering the architecture depends on
// (schemas ← media ← actors ← gateway; media/ never sees Moleculer, gateway/ never holds mediasoup).
const tseslint = require('typescript-eslint');

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'gateway/client/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['schemas/**/*.ts'],
    rules: restrict([{ group: ['moleculer', 'mediasoup', '**/media/**', '**/actors/**', '**/gateway/**', '**/egress/**'], message: 'schemas/ is the bottom layer' }]),
  },
  {
    files: ['media/**/*.ts'],
    rules: restrict([{ group: ['moleculer', '**/actors/**', '**/gateway/**', '**/egress/**', '**/config/**'], message: 'media/ knows nothing of actors, HTTP or config' }]),
  },
  {
    files: ['actors/**/*.ts'],
    rules: restrict([{ group: ['mediasoup', 'mediasoup/*', '**/gateway/**'], message: 'actors/ reach mediasoup only through media/ and never import the gateway' }]),
  },
  {
    files: ['gateway/**/*.ts'],
    rules: restrict([{ group: ['mediasoup', 'mediasoup/*', '**/media/**'], message: 'gateway/ never holds a mediasoup object' }]),
  },
  {
    files: ['egress/**/*.ts'],
    rules: restrict([{ group: ['moleculer', '**/gateway/**'], message: 'egress/ uses schemas/ and media/ only' }]),
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
