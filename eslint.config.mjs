import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noPulumi = { group: ['@pulumi/*'], message: 'runtime/ must not depend on Pulumi (the image has none)' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The controller runs in the image without Pulumi: only provider/ and sdk/pulumi may use it.
    files: ['runtime/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noPulumi] }] },
  },
  {
    // Imports flow one way: cloud providers build the scheduler's instance types (scheduling/instance-types.ts), so
    // runtime/cloudprovider depends on runtime/scheduling and never the reverse. Tests and their builders may use
    // the simulated cloud's catalog as fixture data.
    files: ['runtime/scheduling/**/*.ts'],
    ignores: ['runtime/scheduling/**/*.test.ts', 'runtime/scheduling/**/testing.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noPulumi,
            {
              regex: '(^|/)cloudprovider(/|$)',
              message:
                'runtime/cloudprovider depends on runtime/scheduling, never the reverse (see scheduling/instance-types.ts)',
            },
          ],
        },
      ],
    },
  },
  {
    // Plain CommonJS programs a user would write, run by the package test against the installed tarball.
    files: ['tests/package/fixtures/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: Object.fromEntries(
        ['require', 'module', 'process', 'console', 'setTimeout', 'clearTimeout', '__dirname'].map((g) => [
          g,
          'readonly',
        ]),
      ),
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
