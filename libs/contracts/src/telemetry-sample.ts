import { IsFixTime } from './fix-time';
import {
  IsBoolean,
  IsInt,
  IsNumber,
  IsOptional,
  Max,
  Min,
  ValidateBy,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';

const FINITE = { allowNaN: false, allowInfinity: false } as const;

function IsNotNullIsland(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotNullIsland',
      validator: {
        validate: (lon: unknown, args?: ValidationArguments) =>
          !(lon === 0 && (args?.object as { lat?: unknown } | undefined)?.lat === 0),
        defaultMessage: () => 'lat and lon must not both be 0',
      },
    },
    options,
  );
}

/** One telemetry sample as a vehicle sends it (CONTRACT.md section 1). Unknown fields are ignored. */
export class TelemetrySampleDto {
  @IsFixTime()
  ts!: string | number;

  @IsNumber(FINITE)
  @Min(-90)
  @Max(90)
  lat!: number;

  @IsNumber(FINITE)
  @Min(-180)
  @Max(180)
  @IsNotNullIsland()
  lon!: number;

  @IsBoolean()
  locked!: boolean;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq?: number;

  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  accuracyM?: number;

  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(360)
  heading?: number;

  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(400)
  speedKmh?: number;

  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  odometerKm?: number;

  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  rangeKm?: number;

  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(100)
  fuelPct?: number;

  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(100)
  batteryPct?: number;

  @IsOptional()
  @IsBoolean()
  ignition?: boolean;

  @IsOptional()
  @IsBoolean()
  doorsClosed?: boolean;
}

/** The contract's sample fields; everything else in a sample is ignored. */
export const TELEMETRY_SAMPLE_FIELDS = [
  'ts',
  'lat',
  'lon',
  'locked',
  'seq',
  'accuracyM',
  'heading',
  'speedKmh',
  'odometerKm',
  'rangeKm',
  'fuelPct',
  'batteryPct',
  'ignition',
  'doorsClosed',
] as const satisfies readonly (keyof TelemetrySampleDto)[];

/** A validated sample, normalised: fix time in epoch ms, absent optional fields as null. */
export interface TelemetrySample {
  vehicleId: string;
  tsMs: number;
  seq: number | null;
  lat: number;
  lon: number;
  accuracyM: number | null;
  headingDeg: number | null;
  speedKmh: number | null;
  odometerKm: number | null;
  rangeKm: number | null;
  fuelPct: number | null;
  batteryPct: number | null;
  locked: boolean;
  ignition: boolean | null;
  doorsClosed: boolean | null;
}
