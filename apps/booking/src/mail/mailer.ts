import { Logger } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { BookingConfig } from '../config/booking.config';

/** One mail to one person; `text` is always sent, `html` as an alternative when given. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** The SMTP server did not take a mail: nothing reached `to`. */
export class MailNotSentError extends Error {
  constructor(
    readonly to: string,
    readonly subject: string,
    cause: unknown,
  ) {
    super(
      `mail to ${to} ("${subject}") not sent: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'MailNotSentError';
  }
}

/**
 * nodemailer waits up to 2 minutes for a connection and 10 for a silent socket; a request that sends
 * mail should fail within seconds instead. Query parameters of SMTP_URL override these.
 */
const TIMEOUTS_MS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
  dnsTimeout: 10_000,
};

/**
 * Sends mail through the SMTP relay of SMTP_URL, one connection per mail (a few mails a minute do not
 * need a pool). `send` resolves once the server has accepted the mail, and otherwise throws
 * MailNotSentError: it neither retries nor queues, so the caller decides what a mail that did not go
 * out means (fail the request, keep what is needed to send it again, or carry on when the mail only
 * informs). Without SMTP_URL (development only: production refuses to start) each mail is logged
 * instead: recipient and subject at `log`, the text, which may hold a one-time link, at `debug`.
 */
export class Mailer {
  private readonly logger = new Logger(Mailer.name);
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo> | null;
  private readonly from: string;

  constructor(config: Pick<BookingConfig, 'SMTP_URL' | 'MAIL_FROM'>) {
    this.from = config.MAIL_FROM;
    if (config.SMTP_URL) {
      this.transport = createTransport({ ...TIMEOUTS_MS, url: config.SMTP_URL });
      // Host and port only: the URL may carry the relay's password.
      const url = new URL(config.SMTP_URL);
      this.logger.log(`mail goes out through ${url.protocol}//${url.host}`);
    } else {
      this.transport = null;
      this.logger.log('SMTP_URL is unset: mail is not sent, only logged');
    }
  }

  async send(message: MailMessage): Promise<void> {
    if (!this.transport) {
      this.logger.log(`mail to ${message.to} not sent (no SMTP_URL): ${message.subject}`);
      this.logger.debug(`text of the mail to ${message.to}:\n${message.text}`);
      return;
    }
    let info: SMTPTransport.SentMessageInfo;
    try {
      info = await this.transport.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html === undefined ? {} : { html: message.html }),
      });
    } catch (err) {
      throw new MailNotSentError(message.to, message.subject, err);
    }
    // nodemailer resolves when the server accepted some recipients; ours is the only one.
    if (info.rejected.length > 0)
      throw new MailNotSentError(message.to, message.subject, new Error(`refused: ${info.response}`));
  }
}
