// ESM-only dependencies (@kubernetes/client-node and its auth stack) must be transformed to CommonJS
// by ts-jest, because jest's module system cannot require() ES modules the way Node 20.20 can.
const esmOnly = ['@kubernetes/client-node', 'openid-client', 'jose', 'oauth4webapi'];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/sdk', '<rootDir>/runtime', '<rootDir>/provider', '<rootDir>/tests', '<rootDir>/bench'],
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
