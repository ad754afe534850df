export * from './access-token';
export * from './token-config';
export * from './password';
export * from './roles';
export * from './session-check';
export * from './permissions';
