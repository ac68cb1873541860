// ESM-only dependencies (@kubernetes/client-node and its auth stack) must be transformed to CommonJS
// by ts-jest, because jest's module system cannot require() ES modules the way Node 20.20 can.
const esmOnly = ['@kubernetes/client-node', 'openid-client', 'jose', 'oauth4webapi'];

const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.[tj]s$': [
      'ts-jest',
      {
        tsconfig: {
          allowJs: true,
          module: 'commonjs',
          moduleResolution: 'node',
          esModuleInterop: true,
          isolatedModules: true,
        },
        diagnostics: false,
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: [
        '<rootDir>/sdk',
        '<rootDir>/runtime',
        '<rootDir>/provider',
        '<rootDir>/tests',
        '<rootDir>/bench',
      ],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/tests/integration/',
        '<rootDir>/tests/package/',
        '<rootDir>/tests/engine/',
      ],
    },
    {
      // What users install: npm pack, the tarball installed into a fresh project outside the repo, and the bin,
      // entry points, Pulumi program, image context and types exercised from there. See docs/TESTING.md.
      ...shared,
      displayName: 'package',
      roots: ['<rootDir>/tests/package'],
    },
    {
      // Against a real control plane (scripts/cluster-up.sh); skipped with a message when its binaries are not
      // built. `npm run test:integration` builds them first. See docs/TESTING.md.
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/tests/integration'],
      globalSetup: '<rootDir>/tests/integration/support/global-setup.ts',
      globalTeardown: '<rootDir>/tests/integration/support/global-teardown.ts',
    },
    {
      // The real Pulumi CLI, language host and kubernetes plugin (scripts/pulumi-engine/build.sh) on the packed
      // package, against a real control plane; skipped with a message when either is not built.
      // `npm run test:engine` builds both first. See docs/TESTING.md.
      ...shared,
      displayName: 'engine',
      roots: ['<rootDir>/tests/engine'],
      globalSetup: '<rootDir>/tests/engine/support/global-setup.ts',
      globalTeardown: '<rootDir>/tests/engine/support/global-teardown.ts',
    },
  ],
};
