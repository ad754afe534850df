export * from './access-token';
export * from './token-config';
