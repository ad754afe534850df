export * from './distance';
export * from './implied-speed';
export * from './bbox';
export * from './track-feature';
export * from './geodesic-distance';
