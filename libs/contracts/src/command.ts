import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { IsFixTime } from './fix-time';

export const COMMAND_TYPES = ['unlock', 'lock', 'locate', 'honk', 'immobilize'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/** What a car answers. */
export const COMMAND_RESULT_STATUSES = ['succeeded', 'failed', 'rejected'] as const;
export type CommandResultStatus = (typeof COMMAND_RESULT_STATUSES)[number];

/** The whole lifecycle of a command on the platform. */
export const COMMAND_STATUSES = ['queued', 'sent', 'succeeded', 'failed', 'rejected', 'expired'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export function isFinalCommandStatus(status: CommandStatus): boolean {
  return status !== 'queued' && status !== 'sent';
}

/** Payload published on `.../commands` to a vehicle. */
export interface CommandMessage {
  commandId: string;
  type: CommandType;
  issuedAt: string;
  expiresAt: string;
  /**
   * Strictly increasing per vehicle (docs/vehicle-protocol.md): a car carries out a command only if
   * its counter is above the highest it has taken, so a replayed or out-of-order command is refused.
   */
  counter: number;
}

/** Payload a vehicle publishes on `.../command-results`. */
export class CommandResultDto {
  @IsUUID()
  commandId!: string;

  @IsIn(COMMAND_RESULT_STATUSES)
  status!: CommandResultStatus;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @IsFixTime()
  ts!: string | number;
}
