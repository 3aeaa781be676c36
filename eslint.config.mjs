// Lint: keep provider imports deep (a barrel import of a provider costs >1 GB and seconds of synth).
import tseslint from 'typescript-eslint';

const providerBarrels = ['aws', 'google', 'google-beta', 'azurerm', 'helm', 'kubernetes', 'docker', 'random', 'tls', 'null']
  .map((p) => `@cdktf/provider-${p}`);

export default tseslint.config(
  { ignores: ['node_modules/**', 'lib/**', 'cdktf.out/**', '.gen/**', 'compute/**', 'bench/.work/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: providerBarrels.map((name) => ({ name, message: `Import one resource deeply, e.g. '${name}/lib/<resource>': the package root loads every resource.` })),
        patterns: [{ regex: '^@cdktf/provider-[^/]+(/lib(/index(\\.js)?)?)?/?$', message: 'The lib index is a barrel too: import one resource module.' }],
      }],
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // cdk8s and yaml load on first use, through these two modules (import budget: README Performance).
    files: ['src/**/*.ts'],
    ignores: ['src/k8s/cdk8s.ts', 'src/core/yaml.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [
          { name: 'cdk8s', allowTypeImports: true, message: "Use apiObject()/cdk8s() from src/k8s/cdk8s.ts: cdk8s loads on first use." },
          { name: 'yaml', allowTypeImports: true, message: 'Use stringify from src/core/yaml.ts: yaml loads on first use.' },
        ],
      }],
    },
  },
);
