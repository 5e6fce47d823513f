import { Readability } from '@mozilla/readability';
import { JSDOM, VirtualConsole } from 'jsdom';
import TurndownService from 'turndown';
import { parserConfig, type HtmlLimits } from '../../config/parser-config.ts';
import { htmlTooComplex } from './html-limits.ts';
import { pageRefused } from './page-errors.ts';

const turndown = new TurndownService({
  headingStyle: 'atx',
  codeBlockStyle: 'fenced',
  bulletListMarker: '-',
});
// Nothing a reader sees: scripts, styles, forms.
turndown.remove(['script', 'style', 'noscript', 'iframe', 'form', 'button']);

const DEFAULT_HTML_LIMITS = parserConfig.parse(undefined).html;

/**
 * A web page's main content as Markdown: Mozilla's Readability (Firefox Reader View) finds the article in a
 * jsdom document (no scripts run, no resources load), Turndown writes it as Markdown with the title as a
 * heading. A page Readability finds no article in (a short page, a list) is converted whole, body only.
 * Relative links are resolved against `url`. A page past `limits` is refused (400) before jsdom sees it
 * (html-limits.ts). Synchronous for long stretches: the server runs it on a parser process (parsers/parser-pool.ts).
 */
export function htmlToMarkdown(
  html: string,
  url: string,
  limits: HtmlLimits = DEFAULT_HTML_LIMITS,
): string {
  const tooComplex = htmlTooComplex(html, limits);
  if (tooComplex !== undefined) throw pageRefused(tooComplex);
  const dom = new JSDOM(html, { url, virtualConsole: new VirtualConsole() });
  try {
    const document = dom.window.document;
    for (const [selector, attribute] of [
      ['a[href]', 'href'],
      ['img[src]', 'src'],
    ] as const) {
      for (const element of document.querySelectorAll(selector)) {
        const resolved = URL.parse(element.getAttribute(attribute) ?? '', url);
        if (resolved !== null) element.setAttribute(attribute, resolved.href);
      }
    }
    const fallbackTitle = document.title.trim();
    // Readability's own element count is a second guard on the scan's (it throws past it).
    const article = new Readability(document.cloneNode(true), {
      maxElemsToParse: limits.maxElements * 2,
    }).parse();
    const body = article?.content ?? document.body?.innerHTML ?? '';
    const title = (article?.title ?? fallbackTitle).trim();
    const markdown = turndown
      .turndown(body)
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    return title === '' || markdown.startsWith(`# ${title}`)
      ? markdown
      : `# ${title}\n\n${markdown}`;
  } finally {
    dom.window.close();
  }
}
