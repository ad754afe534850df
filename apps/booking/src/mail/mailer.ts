// PLACEHOLDER until the mail branch merges (same API).
import { Injectable, Optional } from '@nestjs/common';
import { BookingConfig } from '../config/booking.config';
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}
@Injectable()
export class Mailer {
  constructor(@Optional() _config?: BookingConfig) {}
  send(_mail: Mail): Promise<void> {
    return Promise.resolve();
  }
}
