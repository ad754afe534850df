export * from './vehicle-state';
export * from './data-source';
export * from './migrations';
export * from './database.module';
export * from './query-rows';
export * from './mqtt-credentials';
export * from './vehicle-view';
export * from './retention';
