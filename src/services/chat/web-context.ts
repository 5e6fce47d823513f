import type { SearchHit } from '../../engines/engine.ts';
import type { ChatMessage } from '../../schemas/chat.ts';

/** swagger: enable_web_scraping "up to 5 URLs found in the latest user message" (api-spec.mdx: "up to 5 URLs detected"). */
export const MAX_SCRAPED_URLS = 5;
/**
 * A scraped page goes to the model and into the citations at most this long: one page can be megabytes, and the
 * prompt is paid by the token (docs/guides/tools/cited-web-answers.mdx caps each page at 12,000 characters).
 */
export const SCRAPED_PAGE_CHARS = 12_000;

/** The text of the last user message: a string, or its text parts joined (other parts are not searchable). */
export function lastUserText(messages: ChatMessage[]): string {
  const last = messages.findLast((message) => message.role === 'user');
  if (last === undefined) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
}

/** The distinct http(s) URLs of a text, in order, at most `limit`; trailing punctuation is not part of a URL. */
export function urlsIn(text: string, limit = MAX_SCRAPED_URLS): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/https?:\/\/[^\s<>"'`]+/gi)) {
    const url = match[0].replace(/[.,;:!?)\]}]+$/, '');
    if (URL.canParse(url) && !found.includes(url)) found.push(url);
    if (found.length === limit) break;
  }
  return found;
}

/** A scraped page as a citation: titled by its Markdown's first heading, else by its URL. */
export function pageCitation(url: string, markdown: string): SearchHit {
  const heading = /^#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(markdown)?.[1]?.trim();
  return {
    title: heading === undefined || heading === '' ? url : heading,
    url,
    content: markdown.slice(0, SCRAPED_PAGE_CHARS),
    date: '',
  };
}

/**
 * What the model is told: the results numbered [1]..[n] with title, URL, date and content. With citations on, it
 * is asked to cite in the swagger's format (ChatCompletionRequest.venice_parameters.enable_web_citations: "^index^ or
 * ^i,j^", e.g. ^1^; api-spec.mdx says [REF]0[/REF], INVENTORY §12 #1 follows the swagger).
 */
export function webContextText(results: SearchHit[], citations: boolean): string {
  if (results.length === 0)
    return "The web was searched for the user's last message, but nothing was found or could be read. Answer from what you know, and say so when it matters.";
  const numbered = results.map((result, index) =>
    [
      `[${index + 1}] ${result.title}`,
      `URL: ${result.url}`,
      ...(result.date === '' ? [] : [`Date: ${result.date}`]),
      '',
      result.content,
    ].join('\n'),
  );
  const instruction = citations
    ? 'Cite the results you use right after the statement they support, by number in carets: ^1^ for one result, ^1,3^ for several. Cite only these results.'
    : 'Do not mention the result numbers.';
  return `Web results for the user's last message, retrieved now. Use them when they help answer it; they may be incomplete, and the user cannot see them. ${instruction}\n\n${numbered.join('\n\n')}`;
}

/**
 * Adds `text` after the system prompt(s): appended to the leading system (or developer) message, or as one at the
 * start. One system message, since some chat templates accept only one, at the start (prepare-chat.ts).
 */
export function withSystemText(messages: ChatMessage[], text: string): ChatMessage[] {
  const [first, ...rest] = messages;
  if (first !== undefined && (first.role === 'system' || first.role === 'developer')) {
    const current =
      typeof first.content === 'string'
        ? first.content
        : first.content.map((part) => part.text).join('\n');
    return [{ ...first, content: current === '' ? text : `${current}\n\n${text}` }, ...rest];
  }
  return [{ role: 'system', content: text }, ...messages];
}
