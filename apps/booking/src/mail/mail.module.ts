import { DynamicModule, Module } from '@nestjs/common';
import type { BookingConfig } from '../config/booking.config';
import { Mailer } from './mailer';

/** Outgoing mail: provides and exports `Mailer`, set up from SMTP_URL and MAIL_FROM. */
@Module({})
export class MailModule {
  static register(config: BookingConfig): DynamicModule {
    return {
      module: MailModule,
      providers: [{ provide: Mailer, useFactory: () => new Mailer(config) }],
      exports: [Mailer],
    };
  }
}
