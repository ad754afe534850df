/**
 * Node options each service runs with (scripts/run-all.ts, the benchmarks; docker-compose.yml sets the
 * same through NODE_OPTIONS). The gateway turns over much short-lived garbage per message (payload,
 * parsed and validated objects): a 64 MiB young generation halves its scavenges and lets fewer
 * objects age into the old generation; the ingest benchmark measured 5 % less gateway CPU and a lower
 * p50 (bench/README.md).
 */
export const SERVICE_NODE_ARGS: Record<string, string[]> = {
  'telemetry-gateway': ['--max-semi-space-size=64'],
};
