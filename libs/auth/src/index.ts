export * from './access-token';
export * from './token-config';
export * from './password';
export * from './roles';
