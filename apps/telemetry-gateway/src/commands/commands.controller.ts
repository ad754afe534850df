import { SEND_COMMAND_PATTERN, SendCommandRequest, SendCommandResponse } from '@fleet/messaging';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CommandsService } from './commands.service';

/** The command API of the other services (request-response over the internal MQTT transport). */
@Controller()
export class CommandsController {
  constructor(private readonly commands: CommandsService) {}

  @MessagePattern(SEND_COMMAND_PATTERN)
  send(@Payload() request: SendCommandRequest): Promise<SendCommandResponse> {
    return this.commands.send(request);
  }
}
