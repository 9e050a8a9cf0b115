// Lint rules for the whole project: typescript-eslint's type-aware recommended set, the security
// plugin, and no import cycles (type-only imports included). `npm run lint` runs it; CI fails on any
// error. Formatting is prettier's job (`npm run format:check`), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import security from 'eslint-plugin-security';
import project from './scripts/lint/no-import-cycle.js';

export default tseslint.config(
  // k8s/ and deploy/ hold scripts for other programs (mongosh), not the project's code.
  {
    ignores: [
      'node_modules/',
      'tools/',
      '.data/',
      'coverage/',
      'test-output/',
      'web/assets/vendor/',
      'k8s/',
      'deploy/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  security.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/lint/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { project },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // A module graph without cycles reads top-down; type-only cycles count too.
      'project/no-import-cycle': 'error',
      // Moleculer's contexts and mongoose's lean documents are loosely typed; these flag them everywhere.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Object lookups by validated keys are the norm here; the plugin cannot tell them apart.
      'security/detect-object-injection': 'off',
      'security/detect-non-literal-fs-filename': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    files: ['eslint.config.js', 'scripts/lint/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The pages' small browser scripts (services/web/assets.ts): classic scripts, no type information.
    files: ['web/assets/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
);
