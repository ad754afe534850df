import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ControlConnection } from './control-connection';
import { EmbeddedBroker } from './embedded-broker';
import { MosquittoAuthSync } from './mosquitto-auth-sync';

/**
 * At start: the Mosquitto account files (when the gateway keeps them), then the control session. At
 * the very end: the control session, then the embedded broker.
 */
@Injectable()
export class BrokerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly control: ControlConnection,
    private readonly accountFiles: MosquittoAuthSync,
    @Optional() @Inject(EmbeddedBroker) private readonly embedded: EmbeddedBroker | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.accountFiles.start();
    await this.control.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.control.close();
    await this.embedded?.close();
  }
}
