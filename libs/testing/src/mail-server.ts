import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports';

/** A mail as the SMTP server received it. */
export interface Mail {
  id: string;
  /** The sender's address (From header). */
  from: string;
  /** Every address it was delivered to (the SMTP envelope's RCPT TO), lower case. */
  to: string[];
  subject: string;
  /** The plain-text part ('' when there is none). */
  text: string;
  html?: string;
  receivedAt: Date;
}

export interface MailServer {
  /** Where to send: smtp://127.0.0.1:<port> (no TLS, no account), for SMTP_URL. */
  smtpUrl: string;
  /** maildev's web inbox and REST API. */
  webUrl: string;
  /** Every mail received so far, oldest first. */
  messages(): Promise<Mail[]>;
  /**
   * Waits for a mail to `to` (case-insensitive) whose subject or text matches `match` (a substring or
   * a pattern; a predicate sees the whole mail), and returns the oldest such mail that no earlier
   * call returned: two calls for two mails to one address get both, in order.
   */
  waitForMail(
    to: string,
    match?: string | RegExp | ((mail: Mail) => boolean),
    timeoutMs?: number,
  ): Promise<Mail>;
  /** Deletes every mail received so far. */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

/** maildev's mail as its REST API (GET /email) answers it; only what `Mail` needs. */
interface MaildevMail {
  id: string;
  from?: { address: string }[];
  subject?: string;
  text?: string;
  html?: string;
  time?: string;
  envelope: { to: { address: string }[] };
}

/**
 * Starts maildev (a real SMTP server with a web inbox) as a process of its own on free loopback
 * ports, and reads what it received over its REST API: every mail a test reads has gone through
 * SMTP. A process rather than maildev's programmatic API: that keeps one store per module, so two
 * servers in one process would share their mail, and it ends the whole process on SIGTERM.
 */
export async function startMailServer(): Promise<MailServer> {
  // Resolved here, not at import: loading @fleet/testing must work where maildev, a development
  // dependency, is not installed.
  let bin: string;
  try {
    bin = require.resolve('maildev/bin/maildev');
  } catch {
    throw new Error('startMailServer needs maildev, a development dependency: npm install');
  }
  const dir = mkdtempSync(join(tmpdir(), 'fleet-maildev-'));
  // Another process may take a port between freePort and maildev's listen: try again on new ones.
  for (let attempt = 1; ; attempt++) {
    const [smtpPort, webPort] = [await freePort(), await freePort()];
    try {
      const child = await launch(bin, dir, smtpPort, webPort);
      return mailServer(child, dir, smtpPort, webPort);
    } catch (err) {
      if (attempt === 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

async function launch(bin: string, dir: string, smtpPort: number, webPort: number): Promise<ChildProcess> {
  // maildev reads its defaults from MAILDEV_* variables; an account or TLS set there would not be ours.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MAILDEV_')));
  const child = spawn(
    process.execPath,
    [bin, '--ip', '127.0.0.1', '--smtp', String(smtpPort), '--web', String(webPort), '--mail-directory', dir],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`maildev exited with code ${code}:\n${output}`))),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([
      exited,
      waitFor(
        async () => (await canConnect(smtpPort)) && (await fetch(`http://127.0.0.1:${webPort}/healthz`)).ok,
        20_000,
        `maildev on ${smtpPort}/${webPort}`,
        100,
      ),
    ]);
  } catch (err) {
    await end(child);
    throw err;
  }
  return child;
}

function mailServer(child: ChildProcess, dir: string, smtpPort: number, webPort: number): MailServer {
  const webUrl = `http://127.0.0.1:${webPort}`;
  const returned = new Set<string>();
  const messages = async (): Promise<Mail[]> => {
    const response = await fetch(`${webUrl}/email`);
    if (!response.ok) throw new Error(`maildev GET /email: ${response.status}`);
    return ((await response.json()) as MaildevMail[]).map(toMail);
  };
  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    webUrl,
    messages,
    waitForMail: (to, match, timeoutMs = 10_000) => {
      const address = to.toLowerCase();
      const matches =
        match === undefined
          ? () => true
          : typeof match === 'function'
            ? match
            : (mail: Mail) =>
                typeof match === 'string'
                  ? mail.subject.includes(match) || mail.text.includes(match)
                  : match.test(mail.subject) || match.test(mail.text);
      return waitFor(
        async () => {
          const mail = (await messages()).find(
            (m) => !returned.has(m.id) && m.to.includes(address) && matches(m),
          );
          if (mail) returned.add(mail.id);
          return mail;
        },
        timeoutMs,
        `a mail to ${to}${match === undefined ? '' : ` matching ${String(match)}`}`,
        100,
      );
    },
    clear: async () => {
      const response = await fetch(`${webUrl}/email/all`, { method: 'DELETE' });
      if (!response.ok) throw new Error(`maildev DELETE /email/all: ${response.status}`);
    },
    stop: async () => {
      await end(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function toMail(m: MaildevMail): Mail {
  return {
    id: m.id,
    from: m.from?.[0]?.address ?? '',
    to: m.envelope.to.map((r) => r.address.toLowerCase()),
    subject: m.subject ?? '',
    text: m.text ?? '',
    ...(m.html ? { html: m.html } : {}),
    receivedAt: new Date(m.time ?? Date.now()),
  };
}

/** SIGTERM (maildev closes its servers and exits), SIGKILL if it has not within 5 s. */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => (clearTimeout(force), done()));
    child.kill('SIGTERM');
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
