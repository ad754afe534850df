export * from './topics';
export * from './reject-reason';
export * from './fix-time';
export * from './telemetry-sample';
export * from './status';
export * from './command';
export * from './parse-telemetry';
export * from './parse-message';
