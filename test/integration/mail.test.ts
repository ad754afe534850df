// Outgoing mail through a real SMTP server (maildev), read back over its REST API: what the booking
// service sends is what arrives, and a mail that cannot go out is an error for the caller.
import { loadConfig } from '@fleet/config';
import { freePort, MailServer, startMailServer } from '@fleet/testing';
import { ConsoleLogger, Logger, LoggerService } from '@nestjs/common';
import { BookingConfig, startProblems } from '../../apps/booking/src/config/booking.config';
import { Mailer, MailNotSentError } from '../../apps/booking/src/mail/mailer';
import { registrationAttempt, staffInvitation } from '../../apps/booking/src/mail/messages';

let server: MailServer;

// Each Mailer says where its mail goes; these tests need only warnings and errors.
const QUIET = ['warn', 'error'] as const;

beforeAll(async () => {
  Logger.overrideLogger([...QUIET]);
  server = await startMailServer();
});
afterAll(async () => {
  await server?.stop();
});

const mailerFor = (env: Record<string, string>) => new Mailer(loadConfig(BookingConfig, env));

describe('mail through SMTP', () => {
  test('a staff invitation arrives with its one-time link and expiry', async () => {
    const config = loadConfig(BookingConfig, {
      SMTP_URL: server.smtpUrl,
      MAIL_FROM: 'Fleet Ops <ops@fleet.test>',
    });
    const mailer = new Mailer(config);
    // As long as a real one: a token that quoted-printable has to wrap and the reader to unwrap.
    const link = `${config.FLEET_PUBLIC_URL}/set-password?token=${'Zq3_x-9Kd'.repeat(8)}`;
    await mailer.send({
      to: 'Jurgen.Staff@Fleet.test',
      ...staffInvitation({
        name: 'Jürgen Weiß',
        role: 'fleet_manager',
        link,
        expiresAt: new Date('2026-12-07T18:30:00Z'),
      }),
    });

    const mail = await server.waitForMail('jurgen.staff@fleet.test');
    expect(mail.from).toBe('ops@fleet.test');
    expect(mail.to).toEqual(['jurgen.staff@fleet.test']);
    expect(mail.subject).toBe('Your Fleet account: choose your password');
    expect(mail.text).toContain('Hello Jürgen Weiß,');
    expect(mail.text).toContain('as a fleet manager');
    expect(mail.text.split('\n')).toContain(link);
    expect(mail.text).toContain('expires on 7 December 2026 at 18:30 UTC');
  });

  test('a registration notice tells the owner nothing changed and how to get in', async () => {
    const mailer = mailerFor({ SMTP_URL: server.smtpUrl });
    await mailer.send({ to: 'owner@fleet.test', ...registrationAttempt({ email: 'owner@fleet.test' }) });

    const mail = await server.waitForMail('owner@fleet.test', 'register');
    expect(mail.from).toBe('no-reply@fleet.local');
    expect(mail.subject).toBe('Someone tried to register with your address');
    expect(mail.text).toContain('(owner@fleet.test)');
    expect(mail.text).toContain('nothing was changed');
    expect(mail.text).toMatch(/log in/);
    expect(mail.text).toContain('Forgot password');
  });

  test('two mails to one address are read back as two, in order, with the html part', async () => {
    const mailer = mailerFor({ SMTP_URL: server.smtpUrl });
    for (const n of [1, 2])
      await mailer.send({
        to: 'twice@fleet.test',
        subject: `notice ${n}`,
        text: `plain ${n}`,
        html: `<p>html ${n}</p>`,
      });

    const first = await server.waitForMail('twice@fleet.test', /notice/);
    const second = await server.waitForMail('twice@fleet.test', /notice/);
    expect([first.subject, second.subject]).toEqual(['notice 1', 'notice 2']);
    expect(second.text.trim()).toBe('plain 2');
    expect(second.html).toContain('<p>html 2</p>');
    expect((await server.messages()).filter((m) => m.to.includes('twice@fleet.test'))).toHaveLength(2);
  });
});

describe('a mail that cannot go out', () => {
  test('throws to the caller when nothing listens on the SMTP port', async () => {
    const closed = await freePort();
    const mailer = mailerFor({ SMTP_URL: `smtp://127.0.0.1:${closed}` });
    const sending = mailer.send({ to: 'lost@fleet.test', subject: 'never sent', text: 'x' });
    await expect(sending).rejects.toBeInstanceOf(MailNotSentError);
    await expect(sending).rejects.toThrow(
      /mail to lost@fleet\.test \("never sent"\) not sent: .*ECONNREFUSED/,
    );
  });

  test('throws when the server goes away between two mails', async () => {
    const other = await startMailServer();
    const mailer = mailerFor({ SMTP_URL: other.smtpUrl });
    await mailer.send({ to: 'first@fleet.test', subject: 'first', text: 'x' });
    await other.waitForMail('first@fleet.test');
    await other.stop();
    await expect(mailer.send({ to: 'second@fleet.test', subject: 'second', text: 'x' })).rejects.toThrow(
      MailNotSentError,
    );
  });
});

describe('without SMTP_URL', () => {
  test('development logs recipient and subject, the text at debug, and sends nothing', async () => {
    const lines: { level: string; message: string }[] = [];
    const capture = (level: string) => (message: unknown) =>
      void lines.push({ level, message: String(message) });
    const logger: LoggerService = {
      log: capture('log'),
      error: capture('error'),
      warn: capture('warn'),
      debug: capture('debug'),
      verbose: capture('verbose'),
    };
    Logger.overrideLogger(logger);
    try {
      const mailer = mailerFor({});
      await mailer.send({ to: 'dev@fleet.test', subject: 'hello dev', text: 'the link: http://x/y' });
    } finally {
      Logger.overrideLogger(new ConsoleLogger({ logLevels: [...QUIET] }));
    }
    expect(lines).toEqual([
      { level: 'log', message: expect.stringContaining('mail is not sent') },
      { level: 'log', message: expect.stringMatching(/dev@fleet\.test.*hello dev/) },
      { level: 'debug', message: expect.stringContaining('the link: http://x/y') },
    ]);
    expect((await server.messages()).some((m) => m.to.includes('dev@fleet.test'))).toBe(false);
  });

  test('production refuses it', () => {
    const secrets = {
      PRODUCTION: 'true',
      JWT_SECRET: 'j'.repeat(40),
      MQTT_BOOKING_PASSWORD: 'm'.repeat(20),
      FLEET_OPERATOR_PASSWORD: 'a real password',
    };
    expect(startProblems(loadConfig(BookingConfig, secrets))).toContain(
      'SMTP_URL must be set in production (mail would not be sent)',
    );
    const relay = { ...secrets, SMTP_URL: 'smtps://fleet:secret@relay.example:465' };
    expect(startProblems(loadConfig(BookingConfig, relay))).toEqual([]);
  });
});
