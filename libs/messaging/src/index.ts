export * from './topics';
export * from './payloads';
export * from './shared-mqtt-server';
export * from './mqtt-options';
export * from './vehicle-changes';
export * from './state-stream';
export * from './broker-access';
export * from './mosquitto-auth';
