import { COMMAND_PERMISSIONS, MFA_ROLES, PERMISSIONS, ROLES } from '@fleet/auth';

/**
 * docs/permissions.md, written from the permission table (`npm run docs:permissions`); a unit test
 * fails when the committed page differs, so the docs cannot drift from what the guard enforces.
 */
export function permissionDoc(): string {
  const cols = ['anonymous', ...ROLES];
  const cell = (key: string, who: string) => {
    const { access } = PERMISSIONS[key];
    if (access === 'public') return 'yes';
    if (who === 'anonymous') return '';
    return access === 'signed_in' || access.includes(who as (typeof ROLES)[number]) ? 'yes' : '';
  };
  const rows = Object.keys(PERMISSIONS).map((key) => {
    const note = PERMISSIONS[key].note ?? '';
    return `| \`${key}\` | ${cols.map((who) => cell(key, who)).join(' | ')} | ${note} |`;
  });
  const commandRows = Object.entries(COMMAND_PERMISSIONS).map(
    ([type, roles]) => `| \`${type}\` | ${ROLES.map((r) => (roles.includes(r) ? 'yes' : '')).join(' | ')} |`,
  );
  return [
    '# Permissions',
    '',
    '<!-- Generated from libs/auth/src/permissions.ts by `npm run docs:permissions`; do not edit by hand. -->',
    '',
    'Who may call which endpoint. The booking service checks every request against this one table, and',
    'the live map checks its socket handshake against it (`SOCKET /live`). An endpoint that is not in the',
    'table is refused to everyone. Paths are those of the booking API under `/api/v1` (except `/health`).',
    '"yes" means the role passes the table; the service may still answer 404 where the caller does not',
    'own the thing asked for (a driver reaches only their own reservations and trips), so nobody learns',
    'what exists.',
    '',
    `| endpoint | ${cols.join(' | ')} | note |`,
    `|---|${cols.map(() => '---').join('|')}|---|`,
    ...rows,
    '',
    '## Commands to cars',
    '`POST /vehicles/{id}/commands` passes the table above, then the command type must be one the role may',
    'send. `unlock` and `immobilize` also need a `reason` (3-500 characters), kept in the audit log.',
    '',
    `| command | ${ROLES.join(' | ')} |`,
    `|---|${ROLES.map(() => '---').join('|')}|`,
    ...commandRows,
    '',
    '## Second factor',
    `Where \`MFA_ENFORCED\` is on (the default in production), ${MFA_ROLES.join(' and ')} accounts reach`,
    'only their own account (`/me`, `/me/mfa/...`, logout) until they have enrolled TOTP and logged in with',
    'a code; anything else answers 403 `MFA_ENROLMENT_REQUIRED`.',
    '',
  ].join('\n');
}
