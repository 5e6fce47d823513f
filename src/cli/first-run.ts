import type { Logger } from 'pino';
import type { KeyService } from '../services/key-service.ts';

/** How to make a key for RIALTO_ADMIN_KEY without Rialto: the same shape `rialto keys create` prints. */
const MAKE_ONE = `"rk-$(openssl rand -hex 8)-$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')"`;

/**
 * The admin key a first run needs. With RIALTO_ADMIN_KEY set, that key is stored (hashed, as any key) and nothing
 * is printed: the operator has it. Otherwise, when the store holds no active key at all, one ADMIN key is created
 * and returned, to be printed once on stdout (firstRunBanner), never logged. Undefined when nothing is to print.
 */
export async function ensureAdminKey(
  keys: KeyService,
  fixedKey: string | undefined,
  logger: Logger,
): Promise<string | undefined> {
  if (fixedKey !== undefined && fixedKey !== '') {
    const record = await keys
      .adopt(fixedKey.trim(), { apiKeyType: 'ADMIN', description: 'RIALTO_ADMIN_KEY' })
      .catch((error: unknown) => {
        throw new Error(
          `RIALTO_ADMIN_KEY is refused: ${(error as Error).message}. Make one with: ${MAKE_ONE}`,
        );
      });
    if (record.revokedAt !== null)
      logger.warn({ keyId: record.id }, 'RIALTO_ADMIN_KEY was revoked: it does not authenticate');
    else if (record.apiKeyType !== 'ADMIN')
      logger.warn(
        { keyId: record.id },
        'RIALTO_ADMIN_KEY names an INFERENCE key: it cannot use the admin routes',
      );
    return undefined;
  }
  if ((await keys.list()).length > 0) return undefined;
  const created = await keys.create({ apiKeyType: 'ADMIN', description: 'first-run admin key' });
  logger.info(
    { keyId: created.record.id },
    'first run: created an ADMIN key (printed once on stdout, not logged)',
  );
  return created.apiKey;
}

/** The URL a client on this machine uses for `address` (a wildcard listen address is not one to connect to). */
export function reachableOrigin(address: string): string {
  return address.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//localhost:');
}

/** The first run's message: the key, where the API and the console are, and a chat to paste. */
export function firstRunBanner(apiKey: string, address: string): string {
  const origin = reachableOrigin(address);
  const rule = '='.repeat(78);
  const body = JSON.stringify({
    model: 'default',
    messages: [{ role: 'user', content: 'Hello!' }],
  });
  return [
    rule,
    ' RIALTO FIRST RUN: an ADMIN API key was created. It is shown only this once: store it now.',
    '',
    `   API key:   ${apiKey}`,
    `   API base:  ${origin}/v1  (also ${origin}/api/v1)`,
    `   Console:   ${origin}/console/`,
    '',
    ' Try it:',
    `   curl ${origin}/v1/chat/completions \\`,
    `     -H "Authorization: Bearer ${apiKey}" -H "Content-Type: application/json" \\`,
    `     -d '${body}'`,
    '',
    " More keys: 'rialto keys create --type INFERENCE'. A fixed key for scripted deployments: RIALTO_ADMIN_KEY.",
    rule,
    '',
  ].join('\n');
}
