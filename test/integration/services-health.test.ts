import { createTestDatabase, freePort, ServiceProcess, startService, TestDatabase } from '@fleet/testing';

/** Every service boots as its own process and reports its health; a bad setting stops it clearly. */
describe('services boot and answer /health', () => {
  let db: TestDatabase;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill('SIGTERM')));
    await db.drop();
  });

  it.each(['booking', 'live-map'] as const)('%s', async (name) => {
    const service = await startService(name, await freePort(), { DATABASE_URL: db.url });
    running.push(service);
    const response = await fetch(`${service.baseUrl}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('ok');
    expect(body.checks.database).toBe('up');
    // Each service's own checks (live-map: its fleet loaded) are all up as well.
    expect(Object.values(body.checks).every((c) => c === 'up')).toBe(true);
  });

  it('a service refuses to start with an invalid setting and names it', async () => {
    await expect(
      startService('booking', await freePort(), { DATABASE_URL: 'mysql://nope' }, 10_000),
    ).rejects.toThrow(/DATABASE_URL.*must be a postgres:\/\/ URL/);
  });

  it('stops cleanly on SIGTERM (Nest closes, then re-raises the signal)', async () => {
    const service = await startService('live-map', await freePort(), { DATABASE_URL: db.url });
    const started = Date.now();
    expect(await service.kill('SIGTERM')).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(service.output()).not.toMatch(/ERROR/);
  });
});
