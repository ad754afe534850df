import { PERMISSIONS } from '@fleet/auth';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BookingModule } from '../app.module';
import { BookingConfig } from '../config/booking.config';
import { permissionDoc } from './permission-doc';

/** Every route the booking service declares, as the permission table keys them (`METHOD /path`). */
function declaredRoutes(): string[] {
  const controllers = BookingModule.register(new BookingConfig()).controllers ?? [];
  return controllers.flatMap((controller) => {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto).flatMap((name) => {
      const handler = proto[name];
      if (typeof handler !== 'function' || name === 'constructor') return [];
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (path === undefined || method === undefined) return [];
      const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
      return [`${RequestMethod[method]} ${full}`];
    });
  });
}

describe('the permission table', () => {
  it('has one row for every route of the booking service, and no row for a route that does not exist', () => {
    const routes = declaredRoutes();
    expect(routes.length).toBeGreaterThan(40);
    const missing = routes.filter((r) => !(r in PERMISSIONS));
    const stale = Object.keys(PERMISSIONS).filter((k) => !k.startsWith('SOCKET ') && !routes.includes(k));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  it('is what docs/permissions.md says (npm run docs:permissions writes the page)', () => {
    const page = readFileSync(resolve(__dirname, '../../../../docs/permissions.md'), 'utf8');
    expect(page).toBe(permissionDoc());
  });

  it('keeps reserving and trips to drivers, and staff management and the audit log to admins', () => {
    for (const [key, { access }] of Object.entries(PERMISSIONS)) {
      if (key.startsWith('POST /trips') || key === 'POST /reservations')
        expect([key, access]).toEqual([key, ['driver']]);
      if (/ \/(staff|audit)/.test(key)) expect([key, access]).toEqual([key, ['admin']]);
    }
  });
});
