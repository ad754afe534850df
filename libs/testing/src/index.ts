export * from './ports';
export * from './mosquitto';
export * from './database';
export * from './service-process';
export * from './tcp-proxy';
export * from './gbfs';
export * from './mail-server';
export * from './sessions';
