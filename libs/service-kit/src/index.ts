export * from './health';
export * from './bootstrap';
export * from './node-args';
