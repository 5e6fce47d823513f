import mammoth from 'mammoth';
import { unreadableFile } from './document-errors.ts';
import { decodeXmlEntities } from './xml-entities.ts';

const BLOCKS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'br', 'table']);

/**
 * Text from the HTML mammoth writes (a closed set of tags, every one closed): a line per paragraph,
 * heading and list item; a table row per line with its cells apart by tabs, a cell's paragraphs by spaces.
 */
function htmlText(html: string): string {
  let text = '';
  let cellDepth = 0;
  let rowStarted = false;
  // Footnotes and endnotes end with a link back to their reference, an arrow.
  const withoutBackLinks = html.replace(/<a href="#(?:footnote|endnote)-ref-[^"]*">↑<\/a>/g, '');
  for (const [, closing, tag, content] of withoutBackLinks.matchAll(
    /<(\/?)([a-z0-9]+)[^>]*>|([^<]+)/g,
  )) {
    if (content !== undefined) {
      text += decodeXmlEntities(content);
    } else if (tag === 'td' || tag === 'th') {
      if (closing === '') {
        if (rowStarted) text += '\t';
        rowStarted = true;
        cellDepth += 1;
      } else {
        cellDepth -= 1;
      }
    } else if (tag === 'tr' && closing === '/') {
      text += '\n';
      rowStarted = false;
    } else if (BLOCKS.has(tag ?? '') && (closing === '/' || tag === 'br' || tag === 'table')) {
      text += cellDepth > 0 ? ' ' : '\n';
    }
  }
  return text.replace(/ +\t/g, '\t').replace(/ +\n/g, '\n');
}

/** The text of a Word document (paragraphs, headings, lists, tables, footnotes), images left out. */
export async function docxText(bytes: Buffer): Promise<string> {
  const noImages = mammoth.images.imgElement(() => Promise.resolve({ src: '' }));
  const result = await mammoth
    .convertToHtml({ buffer: bytes }, { convertImage: noImages, externalFileAccess: false })
    .catch((error: unknown) => {
      throw unreadableFile('DOCX', error);
    });
  return htmlText(result.value);
}
