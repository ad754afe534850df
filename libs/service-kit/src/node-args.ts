/**
 * Node options each service runs with (scripts/run-all.ts, the benchmarks; docker-compose.yml sets the
 * same through NODE_OPTIONS). The gateway turns over much short-lived garbage per message (payload,
 * parsed and validated objects): a 64 MiB young generation halves its scavenges and lets fewer
 * objects age into the old generation; the ingest benchmark measured 5 % less gateway CPU and a lower
 * p50 (bench/README.md). The booking service answers nearby searches at up to 1,000 a second, each
 * leaving about 100 KB of garbage: a 32 MiB young generation lets less of it age into the old
 * generation, so the major collections that slow the answers for about 100 ms come less often (the
 * nearby benchmark's p99 at 1,000 req/s: median of 3 runs 15 ms with the default, 8 ms with 32 MiB).
 */
export const SERVICE_NODE_ARGS: Record<string, string[]> = {
  'telemetry-gateway': ['--max-semi-space-size=64'],
  booking: ['--max-semi-space-size=32'],
};
