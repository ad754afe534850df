import { RejectReason, TelemetrySample } from '@fleet/contracts';
import { VehicleChange, VehicleChangeKind } from '@fleet/messaging';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { GatewayConfig } from '../config/gateway.config';
import { QuarantineRow, TelemetryRepository } from '../database/telemetry.repository';
import { VehicleStateRepository } from '../database/vehicle-state.repository';
import { MetricsService } from '../metrics/metrics.service';
import { StatePublisher } from '../state-stream/state-publisher';
import { PendingMessage } from './pending-message';
import { ScreenedSample, screenSamples } from './screen-samples';

/**
 * Commits one batch of messages atomically: screen (unknown vehicle, future, duplicate, implied
 * speed), append history, move latest state forward, bring silent cars back online, keep rejects in
 * quarantine. Then acknowledges every message and publishes what changed.
 */
@Injectable()
export class TelemetryBatchCommitter {
  constructor(
    private readonly config: GatewayConfig,
    private readonly dataSource: DataSource,
    private readonly telemetry: TelemetryRepository,
    private readonly vehicleState: VehicleStateRepository,
    private readonly publisher: StatePublisher,
    private readonly metrics: MetricsService,
  ) {}

  async commit(batch: PendingMessage[]): Promise<void> {
    const started = process.hrtime.bigint();
    const samples = batch.flatMap((m) => m.samples);
    const origin = new Map<TelemetrySample, PendingMessage>();
    for (const m of batch) for (const s of m.samples) origin.set(s, m);

    // Read without locks: the writes below are conditional (fix time, online flag), so batches of
    // other gateway instances in between cannot make them wrong.
    const vehicleIds = [...new Set(samples.map((s) => s.vehicleId))].sort();
    const snapshots = await this.telemetry.snapshots(this.dataSource.manager, vehicleIds);
    const screened = screenSamples(samples, new Map([...snapshots].map(([id, snap]) => [id, snap.lastFix])), {
      nowMs: Date.now(),
      maxFutureMs: this.config.TELEMETRY_MAX_FUTURE_S * 1000,
      maxImpliedSpeedKmh: this.config.TELEMETRY_MAX_IMPLIED_SPEED_KMH,
    });
    const accepted = screened.accepted;
    const seqMayRepeat = accepted.map((s) => {
      const lastSeq = snapshots.get(s.vehicleId)?.lastSeq ?? null;
      return s.seq !== null && lastSeq !== null && s.seq <= lastSeq;
    });
    const heardFrom = [...new Set(accepted.map((s) => s.vehicleId))];
    const comingBack = heardFrom.filter((id) => !snapshots.get(id)?.online);
    const quarantine = quarantineRows(batch, screened.rejected, origin);

    const write = async (db: EntityManager) => {
      const restored = await this.vehicleState.markOnline(comingBack, db);
      const { inserted, updated } = await this.telemetry.storeSamples(db, accepted, seqMayRepeat, heardFrom);
      await this.telemetry.insertQuarantine(db, quarantine, this.config.QUARANTINE_MAX_STORED_BYTES);
      return { restored, inserted, updated };
    };
    // In the steady state the batch is one statement, atomic by itself: no BEGIN/COMMIT round trips.
    const { restored, inserted, updated } =
      comingBack.length === 0 && quarantine.length === 0
        ? await write(this.dataSource.manager)
        : await this.dataSource.transaction(write);

    const updatedIds = new Set(updated.map((u) => u.id));
    const restoredIds = new Set(restored.map((r) => r.vehicleId));
    const changes: VehicleChange[] = updated.map((u) => {
      const kinds: VehicleChangeKind[] = ['position'];
      if (snapshots.get(u.id)?.locked !== u.locked) kinds.push('lock');
      if (restoredIds.has(u.id)) kinds.push('online', 'state');
      return { ...u, kinds };
    });
    const restoredOnly = [...restoredIds].filter((id) => !updatedIds.has(id));

    const now = Date.now();
    for (const m of batch) {
      m.ack();
      this.metrics.ackSeconds.observe((now - m.receivedAtMs) / 1000);
    }
    this.metrics.commitSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.metrics.batchSamples.observe(samples.length);
    this.metrics.samplesStored.inc(inserted);
    this.metrics.duplicates.inc(screened.duplicates + accepted.length - inserted);
    for (const q of quarantine) this.metrics.samplesRejected.inc({ reason: q.reason });
    if (restored.length) this.metrics.commsTransitions.inc({ event: 'comms_restored' }, restored.length);
    this.publisher.publish(changes);
    if (restoredOnly.length) void this.publisher.publishViews(restoredOnly, ['online', 'state']);
  }

  /** Quarantines a message the database keeps refusing, so that it is kept and the rest flows on. */
  async quarantinePoison(message: PendingMessage, err: unknown): Promise<void> {
    const row: QuarantineRow = {
      topic: message.topic,
      vehicleId: message.vehicleId,
      reason: RejectReason.StorageRejected,
      details: (err as Error).message ?? String(err),
      sampleIndex: null,
      payload: message.payload,
    };
    await this.telemetry.insertQuarantine(
      this.telemetry.manager,
      [row],
      this.config.QUARANTINE_MAX_STORED_BYTES,
    );
    message.ack();
    this.metrics.samplesRejected.inc({ reason: row.reason });
  }
}

/**
 * Quarantine rows of a batch: parse-time rejects as they are, and screened samples per message: a
 * message whose every sample fell for the same reason is kept whole, otherwise each sample alone.
 */
function quarantineRows(
  batch: PendingMessage[],
  screened: ScreenedSample[],
  origin: Map<TelemetrySample, PendingMessage>,
): QuarantineRow[] {
  const rows: QuarantineRow[] = [];
  for (const m of batch) {
    for (const r of m.rejects) {
      rows.push({
        topic: m.topic,
        vehicleId: m.vehicleId,
        reason: r.reason,
        details: r.details,
        sampleIndex: r.sampleIndex,
        payload: r.raw,
      });
    }
  }
  const byMessage = new Map<PendingMessage, ScreenedSample[]>();
  for (const s of screened) {
    const m = origin.get(s.sample)!;
    byMessage.set(m, [...(byMessage.get(m) ?? []), s]);
  }
  for (const [m, list] of byMessage) {
    const whole =
      m.rejects.length === 0 &&
      list.length === m.samples.length &&
      list.every((s) => s.reason === list[0].reason);
    if (whole) {
      rows.push({
        topic: m.topic,
        vehicleId: m.vehicleId,
        reason: list[0].reason,
        details: list[0].details,
        sampleIndex: null,
        payload: m.payload,
      });
      continue;
    }
    for (const s of list) {
      rows.push({
        topic: m.topic,
        vehicleId: m.vehicleId,
        reason: s.reason,
        details: s.details,
        sampleIndex: m.sampleIndexes[m.samples.indexOf(s.sample)],
        payload: Buffer.from(JSON.stringify(s.sample)),
      });
    }
  }
  return rows;
}
