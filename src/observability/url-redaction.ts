/** A URL's scheme and user information (`user:password@`, `token@`): up to the last `@` before its host ends. */
const URL_USER_INFO =
  /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]*(?:@[^\s/?#@]*)*)@(?=[^\s/?#@]*(?:[\s/?#]|$))/gi;

/**
 * `text` with the password of every URL in it replaced by `***` (`https://user:***@host/v1`; a user name alone,
 * which is often a token, becomes `***@`). The one redaction of configured URLs (upstream endpoints, search
 * engines, Redis, PostgreSQL), wherever one can reach an answer or a log line: health details, /ready, errors.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USER_INFO, (_match, scheme: string, userInfo: string) => {
    const colon = userInfo.indexOf(':');
    return `${scheme}${colon === -1 ? '***' : `${userInfo.slice(0, colon)}:***`}@`;
  });
}
