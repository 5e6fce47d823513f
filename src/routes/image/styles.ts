import type { FastifyInstance } from 'fastify';
import { IMAGE_STYLES } from '../../services/image/image-styles.ts';

const BODY = { object: 'list', data: IMAGE_STYLES.map((style) => style.name) };

/**
 * GET /image/styles: the style_preset names, public (swagger security [{}, BearerAuth]). The swagger's
 * {object: "list", data} rather than the guide's bare array (INVENTORY §12 #5).
 */
export function registerStylesRoute(app: FastifyInstance): void {
  app.get('/image/styles', async () => BODY);
}
