// PLACEHOLDER until the mail branch merges (same API).
import { Injectable } from '@nestjs/common';
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}
@Injectable()
export class Mailer {
  constructor(_config?: unknown) {}
  send(_mail: Mail): Promise<void> {
    return Promise.resolve();
  }
}
