import type { StaffRole } from '@fleet/auth';

/** What a mail says; the recipient is the caller's. */
export interface MailText {
  subject: string;
  text: string;
}

const ROLE_PHRASE: Record<StaffRole, string> = {
  service_agent: 'a service agent',
  support: 'a member of the support team',
  fleet_manager: 'a fleet manager',
  admin: 'an administrator',
};

// Stated in UTC: the server does not know the reader's time zone.
const EXPIRY = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });

/** A staff member's invitation: the one-time link where they choose their password. */
export function staffInvitation(p: {
  name: string;
  role: StaffRole;
  link: string;
  expiresAt: Date;
}): MailText {
  return {
    subject: 'Your Fleet account: choose your password',
    text: [
      `Hello ${p.name},`,
      '',
      `you have been invited to Fleet's operator app as ${ROLE_PHRASE[p.role]}. To get started, choose your password here:`,
      '',
      p.link,
      '',
      `The link works once and expires on ${EXPIRY.format(p.expiresAt)} UTC. If it has expired, ask the person who invited you for a new one.`,
      '',
      'If you did not expect this invitation, you can ignore this mail: nothing happens until the link is used.',
      '',
      'Fleet',
    ].join('\n'),
  };
}

/**
 * To the owner of an address someone tried to register again: the owner learns of it by mail, so
 * registration need not tell whoever tried whether the address has an account.
 */
export function registrationAttempt(p: { email: string }): MailText {
  return {
    subject: 'Someone tried to register with your address',
    text: [
      'Hello,',
      '',
      `someone just tried to create a new Fleet account with this address (${p.email}). You already have an account, so nothing was changed: your account, your password and your bookings are as they were.`,
      '',
      'If it was you, simply log in with your password. If you have forgotten it, choose "Forgot password" when you log in to set a new one.',
      '',
      'If it was not you, you do not need to do anything.',
      '',
      'Fleet',
    ].join('\n'),
  };
}
