/**
 * Staff management from the command line, as an admin does it through /staff (the same rules, the
 * same audit log); no password is ever typed here: a new member sets theirs through the link.
 *   npm run staff -- add <email> <role> [--name "Full Name"]   invite (mails the link, and prints it)
 *   npm run staff -- role <email> <role>                       change a role (their sessions end)
 *   npm run staff -- block <email> --reason "why"              block (their sessions end)
 *   npm run staff -- unblock <email>
 *   npm run staff -- list
 * Roles: service_agent, support, fleet_manager, admin. Uses the booking service's settings
 * (DATABASE_URL, SMTP_URL, FLEET_PUBLIC_URL, ...).
 */
import 'reflect-metadata';
import { AccessTokens, SessionCheck, STAFF_ROLES, StaffRole } from '@fleet/auth';
import { loadConfig } from '@fleet/config';
import { createDataSource } from '@fleet/domain';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { AuditService } from '../apps/booking/src/audit/audit.service';
import { SessionsService } from '../apps/booking/src/auth/sessions.service';
import { ApiError } from '../apps/booking/src/common/api-error';
import { BookingConfig } from '../apps/booking/src/config/booking.config';
import { Mailer } from '../apps/booking/src/mail/mailer';
import { StaffService } from '../apps/booking/src/staff/staff.service';
import { UsersRepository } from '../apps/booking/src/users/users.repository';

const USAGE = `usage:
  npm run staff -- add <email> <role> [--name "Full Name"]
  npm run staff -- role <email> <role>
  npm run staff -- block <email> --reason "why"
  npm run staff -- unblock <email>
  npm run staff -- list
roles: ${STAFF_ROLES.join(', ')}`;

function usage(problem: string): never {
  console.error(`${problem}\n${USAGE}`);
  process.exit(2);
}

const asRole = (value: string | undefined): StaffRole =>
  STAFF_ROLES.includes(value as StaffRole)
    ? (value as StaffRole)
    : usage(`not a staff role: ${value ?? '(none)'}`);

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, reason: { type: 'string' } },
  });
  const [command, email, role] = positionals;
  if (!command) usage('a command is required');
  if (command !== 'list' && !/^[^@\s]+@[^@\s]+$/.test(email ?? '')) usage('an email address is required');

  const config = loadConfig(BookingConfig);
  const db = await createDataSource({
    url: config.DATABASE_URL,
    applicationName: 'fleet-staff-cli',
  }).initialize();
  try {
    const users = new UsersRepository(db);
    const sessions = new SessionsService(db, new AccessTokens(config), new SessionCheck(db), config);
    const staff = new StaffService(db, users, sessions, new Mailer(config), config);
    const audit = new AuditService(db);
    const record = (action: string, target: string, detail: Record<string, unknown>, reason?: string) =>
      audit.record({
        actor: { id: null, email: `cli:${userInfo().username}`, role: null },
        action,
        target,
        reason,
        detail,
      });

    switch (command) {
      case 'add': {
        const { invitation, link } = await staff.invite({
          email: email,
          name: values.name ?? email,
          role: asRole(role),
        });
        await record('CLI staff add', invitation.id, { email: invitation.email, role: invitation.role });
        console.log(
          `invited ${invitation.email} as ${invitation.role} (${invitation.id}); the link, good until ${invitation.invitationExpiresAt}:`,
        );
        console.log(link);
        break;
      }
      case 'role': {
        const id = await staff.idOf(email);
        const member = await staff.update(null, id, { role: asRole(role) });
        await record('CLI staff role', id, { role: member.role });
        console.log(`${member.email} is now ${member.role}; their sessions ended`);
        break;
      }
      case 'block': {
        if (!values.reason || values.reason.length < 3) usage('block needs --reason "why" (3+ characters)');
        const id = await staff.idOf(email);
        const member = await staff.update(null, id, { blocked: true, reason: values.reason });
        await record('CLI staff block', id, {}, values.reason);
        console.log(`${member.email} is blocked; their sessions ended`);
        break;
      }
      case 'unblock': {
        const id = await staff.idOf(email);
        const member = await staff.update(null, id, { blocked: false });
        await record('CLI staff unblock', id, {});
        console.log(`${member.email} is ${member.status}`);
        break;
      }
      case 'list': {
        for (let cursor: string | undefined, more = true; more;) {
          const page = await staff.list(500, cursor);
          for (const m of page.items)
            console.log([m.email, m.role, m.status, m.totpEnrolled ? 'totp' : '-'].join('\t'));
          cursor = page.nextCursor ?? undefined;
          more = page.nextCursor !== null;
        }
        break;
      }
      default:
        usage(`unknown command: ${command}`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((err: Error) => {
  console.error(`staff: ${err instanceof ApiError ? `${err.code}: ${err.message}` : err.message}`);
  process.exit(1);
});
