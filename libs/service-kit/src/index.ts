export * from './health';
export * from './bootstrap';
export * from './node-args';
export * from './periodic-task';
export * from './workers';
export * from './retention-schedule';
