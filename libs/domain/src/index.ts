export * from './vehicle-state';
export * from './data-source';
export * from './migrations';
