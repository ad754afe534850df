import { IsBoolean } from 'class-validator';

/** Retained `status` message: `{"online": true}` after connecting, `{"online": false}` as the will. */
export class VehicleStatusDto {
  @IsBoolean()
  online!: boolean;
}
