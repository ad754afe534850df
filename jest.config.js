// One Jest, three tiers: unit (pure logic, no I/O), integration (real PostgreSQL/PostGIS and a real
// MQTT broker, services as processes), e2e (later: whole user journeys across services).
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  rootDir: __dirname,
  moduleNameMapper: { '^@fleet/(.*)$': '<rootDir>/libs/$1/src' },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  // MobilityData's GBFS type checkers ship as TypeScript (libs/testing/src/gbfs.ts).
  transformIgnorePatterns: ['/node_modules/(?!gbfs-typescript-types/)'],
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/integration-setup.ts'],
    },
  ],
};
