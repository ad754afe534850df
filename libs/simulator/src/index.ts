export * from './simulated-car';
export * from './demo/demo-city';
export * from './demo/demo-car';
export * from './demo/demo-driver';
export * from './demo/demo-fleet';
export * from './demo/seed';
export * from './command-guard';
