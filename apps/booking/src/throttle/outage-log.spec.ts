import { OutageLog } from './outage-log';

describe('OutageLog', () => {
  function log() {
    const clock = { ms: 0 };
    const lines: string[] = [];
    const logger = {
      warn: (m: string) => lines.push(`warn ${m}`),
      log: (m: string) => lines.push(`log ${m}`),
    };
    return { clock, lines, outage: new OutageLog(logger, () => clock.ms) };
  }

  it('warns at most once per 10 s however many requests notice the outage', () => {
    const { clock, lines, outage } = log();
    for (let s = 0; s < 25; s++) {
      for (let i = 0; i < 100; i++) outage.failed(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
      clock.ms += 1000;
    }
    expect(lines).toHaveLength(3); // at 0, 10 and 20 s
    expect(lines[0]).toMatch(/^warn Redis does not answer \(connect ECONNREFUSED 127\.0\.0\.1:6379\)/);
  });

  it('says once that it is back, and warns at once about the next outage', () => {
    const { lines, outage } = log();
    outage.recovered(); // the first connection: nothing to say
    outage.failed(new Error('down'));
    outage.recovered();
    outage.recovered();
    outage.failed(new Error('down again'));
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['warn', 'log', 'warn']);
  });
});
