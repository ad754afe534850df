export * from './simulated-car';
