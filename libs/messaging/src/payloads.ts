import type { CommandStatus, CommandType } from '@fleet/contracts';
import type { VehicleView } from '@fleet/domain';

/** Why a vehicle appears in a change batch. */
export type VehicleChangeKind = 'position' | 'lock' | 'online' | 'state';

/** A vehicle's latest state after a commit, and why it is in the batch. */
export interface VehicleChange extends VehicleView {
  kinds: VehicleChangeKind[];
}

export interface VehicleChangeBatch {
  changes: VehicleChange[];
}

export interface SendCommandRequest {
  vehicleId: string;
  type: CommandType;
  /** Who asked (user id or service name), recorded with the command. */
  requestedBy?: string;
  /** Time to live in ms; the gateway's default (30 s) when absent. */
  ttlMs?: number;
}

/** A command as recorded by the gateway. */
export interface CommandView {
  id: string;
  vehicleId: string;
  type: CommandType;
  status: CommandStatus;
  reason: string | null;
  requestedBy: string | null;
  issuedAt: string;
  expiresAt: string;
  sentAt: string | null;
  completedAt: string | null;
}

/** Error codes of the command API (the RPC answers `{error: {code, message}}`). */
export enum CommandErrorCode {
  VehicleNotFound = 'VEHICLE_NOT_FOUND',
  InvalidCommand = 'INVALID_COMMAND',
}

export type SendCommandResponse =
  { command: CommandView } | { error: { code: CommandErrorCode; message: string } };
