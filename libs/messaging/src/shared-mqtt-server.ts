import { MqttOptions, ServerMqtt } from '@nestjs/microservices';

/**
 * Nest's MQTT server, subscribing request patterns through an MQTT shared subscription
 * (`$share/<group>/<pattern>`) when a group is given, so that of several instances of a service only
 * one handles each request. Brokers without shared subscriptions (the embedded one) get plain ones.
 */
export class SharedMqttServer extends ServerMqtt {
  constructor(
    options: Required<MqttOptions>['options'],
    private readonly sharedGroup: string | null,
  ) {
    super(options);
  }

  override getRequestPattern(pattern: string): string {
    return this.sharedGroup ? `$share/${this.sharedGroup}/${pattern}` : pattern;
  }
}
