/**
 * Jest configuration. The TensorFlow.js backend is chosen by
 * test/setup-backend.ts from TFJS_PCA_BACKEND (cpu by default, or wasm).
 *
 * @type {import('jest').Config}
 */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  setupFilesAfterEnv: ['<rootDir>/test/setup-backend.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
};
