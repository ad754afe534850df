import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ControlConnection } from './control-connection';
import { EmbeddedBroker } from './embedded-broker';

/** Opens the control session at start; closes it, then the embedded broker, at the very end. */
@Injectable()
export class BrokerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly control: ControlConnection,
    @Optional() @Inject(EmbeddedBroker) private readonly embedded: EmbeddedBroker | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.control.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.control.close();
    await this.embedded?.close();
  }
}
