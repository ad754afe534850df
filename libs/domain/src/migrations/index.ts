import { InitialSchema1763700000000 } from './1763700000000-initial-schema';
import { BookingSchema1764000000000 } from './1764000000000-booking-schema';
import { CarHandover1764100000000 } from './1764100000000-car-handover';
import { ZonePlanarShape1764200000000 } from './1764200000000-zone-planar-shape';
import { VehicleStateVersion1764300000000 } from './1764300000000-vehicle-state-version';
import { CommandCounter1764400000000 } from './1764400000000-command-counter';
import { IdentityAccess1764500000000 } from './1764500000000-identity-access';
import { RetentionIndexes1764510000000 } from './1764510000000-retention-indexes';
import { StateUpdatesHot1763800000000 } from './1763800000000-state-updates-hot';
import { StateVacuumSettings1763900000000 } from './1763900000000-state-vacuum-settings';

/** Every migration, oldest first. */
export const MIGRATIONS = [
  InitialSchema1763700000000,
  StateUpdatesHot1763800000000,
  StateVacuumSettings1763900000000,
  BookingSchema1764000000000,
  CarHandover1764100000000,
  ZonePlanarShape1764200000000,
  VehicleStateVersion1764300000000,
  CommandCounter1764400000000,
  IdentityAccess1764500000000,
  RetentionIndexes1764510000000,
];
