import type { HtmlLimits } from '../../config/parser-config.ts';

// HTML's void elements: never open (https://html.spec.whatwg.org/#void-elements).
const VOID = new Set(
  'area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr'.split(
    ' ',
  ),
);
// Elements whose content is text up to their end tag, not markup (jsdom runs no scripts, so noscript is markup).
const RAW_TEXT = new Set(
  'script style textarea title xmp iframe noembed noframes plaintext'.split(' '),
);
// A start tag closes these open elements first (the optional end tags of https://html.spec.whatwg.org/#optional-tags).
const CLOSES: Record<string, Set<string>> = {
  li: new Set(['li', 'p']),
  dt: new Set(['dt', 'dd', 'p']),
  dd: new Set(['dt', 'dd', 'p']),
  p: new Set(['p']),
  option: new Set(['option']),
  optgroup: new Set(['option', 'optgroup']),
  tr: new Set(['tr', 'td', 'th']),
  td: new Set(['td', 'th']),
  th: new Set(['td', 'th']),
  thead: new Set(['tbody', 'thead', 'tfoot', 'tr', 'td', 'th']),
  tbody: new Set(['tbody', 'thead', 'tfoot', 'tr', 'td', 'th']),
  tfoot: new Set(['tbody', 'thead', 'tfoot', 'tr', 'td', 'th']),
};
// Block starts that close an open <p>.
const CLOSES_P = new Set(
  'address article aside blockquote details div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr main menu nav ol pre section table ul'.split(
    ' ',
  ),
);
const TAG = /<(\/?)([a-zA-Z][^\s/>]*)[^>]*?(\/?)>/y;
const RAW_TEXT_END = new Map(
  [...RAW_TEXT].map((name) => [name, new RegExp(`</${name}[\\s/>]`, 'gi')]),
);

/**
 * Refuses a page too large, with too many elements or nested too deeply for jsdom and Readability (whose work grows
 * faster than the page: 512 nested <div>s take seconds, 20,000 a stack overflow), from one linear scan of its tags
 * before any DOM is built. The scan follows the parser's implied end tags (<p>, <li>, table cells) and ignores
 * `/>` outside SVG and MathML, as the parser does, so neither counts a sibling as a child nor a child as a sibling.
 * Returns the reason to refuse, or undefined.
 */
export function htmlTooComplex(html: string, limits: HtmlLimits): string | undefined {
  if (Buffer.byteLength(html) > limits.maxBytes)
    return `The page is larger than ${Math.round((limits.maxBytes / 1024 / 1024) * 10) / 10} MB of HTML.`;
  const open: string[] = [];
  let elements = 0;
  let foreign = 0;
  let at = html.indexOf('<');
  while (at !== -1 && at < html.length) {
    if (html.startsWith('<!--', at)) {
      const end = html.indexOf('-->', at + 4);
      at = end === -1 ? -1 : html.indexOf('<', end + 3);
      continue;
    }
    TAG.lastIndex = at;
    const match = TAG.exec(html);
    if (match === null) {
      // No '>' left: the rest is text (and each later '<' would be tried to the end again).
      if (html.indexOf('>', at) === -1) break;
      at = html.indexOf('<', at + 1);
      continue;
    }
    const [, closing, rawName, selfClosing] = match;
    const name = rawName!.toLowerCase();
    const after = TAG.lastIndex;
    at = html.indexOf('<', after);
    if (closing === '/') {
      const index = open.lastIndexOf(name);
      if (index !== -1) {
        for (const dropped of open.splice(index))
          if (dropped === 'svg' || dropped === 'math') foreign -= 1;
      }
      continue;
    }
    elements += 1;
    if (elements > limits.maxElements)
      return `The page has more than ${limits.maxElements} elements.`;
    if (VOID.has(name) || (selfClosing === '/' && foreign > 0)) continue;
    const closes = CLOSES[name] ?? (CLOSES_P.has(name) ? CLOSES.p : undefined);
    while (closes !== undefined && open.length > 0 && closes.has(open.at(-1)!)) open.pop();
    const rawTextEnd = RAW_TEXT_END.get(name);
    if (rawTextEnd !== undefined) {
      rawTextEnd.lastIndex = after;
      at = rawTextEnd.exec(html)?.index ?? -1;
      continue;
    }
    open.push(name);
    if (name === 'svg' || name === 'math') foreign += 1;
    if (open.length > limits.maxDepth)
      return `The page nests elements more than ${limits.maxDepth} deep.`;
  }
  return undefined;
}
