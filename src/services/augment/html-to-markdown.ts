import { Readability } from '@mozilla/readability';
import { JSDOM, VirtualConsole } from 'jsdom';
import TurndownService from 'turndown';

const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
// Nothing a reader sees: scripts, styles, forms.
turndown.remove(['script', 'style', 'noscript', 'iframe', 'form', 'button']);

/**
 * A web page's main content as Markdown: Mozilla's Readability (Firefox Reader View) finds the article in a
 * jsdom document (no scripts run, no resources load), Turndown writes it as Markdown with the title as a
 * heading. A page Readability finds no article in (a short page, a list) is converted whole, body only.
 * Relative links are resolved against `url`.
 */
export function htmlToMarkdown(html: string, url: string): string {
  const dom = new JSDOM(html, { url, virtualConsole: new VirtualConsole() });
  try {
    const document = dom.window.document;
    for (const [selector, attribute] of [['a[href]', 'href'], ['img[src]', 'src']] as const) {
      for (const element of document.querySelectorAll(selector)) {
        const resolved = URL.parse(element.getAttribute(attribute) ?? '', url);
        if (resolved !== null) element.setAttribute(attribute, resolved.href);
      }
    }
    const fallbackTitle = document.title.trim();
    const article = new Readability(document.cloneNode(true)).parse();
    const body = article?.content ?? document.body?.innerHTML ?? '';
    const title = (article?.title ?? fallbackTitle).trim();
    const markdown = turndown.turndown(body).replace(/\n{3,}/g, '\n\n').trim();
    return title === '' || markdown.startsWith(`# ${title}`) ? markdown : `# ${title}\n\n${markdown}`;
  } finally {
    dom.window.close();
  }
}
