/** Writes docs/permissions.md from the permission table (npm run docs:permissions). */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { permissionDoc } from '../apps/booking/src/auth/permission-doc';

writeFileSync(resolve(__dirname, '../docs/permissions.md'), permissionDoc());
console.log('docs/permissions.md written');
