import JSZip from 'jszip';
import { unreadableFile } from './document-errors.ts';
import { decodeXmlEntities } from './xml-entities.ts';

/** A slide's text: its paragraphs (<a:p>) a line each, their runs (<a:t>) joined, <a:br/> a line break. */
function slideText(xml: string): string {
  return xml
    .split(/<\/a:p>/)
    .map((paragraph) => {
      let line = '';
      for (const [, text, lineBreak] of paragraph.matchAll(
        /<a:t(?:\s[^>]*)?>([^<]*)<\/a:t>|(<a:br\b)/g,
      )) {
        line += lineBreak === undefined ? decodeXmlEntities(text ?? '') : '\n';
      }
      return line;
    })
    .filter((line) => line.trim() !== '')
    .join('\n');
}

/**
 * The slide parts in presentation order: ppt/presentation.xml lists slide ids (p:sldIdLst) whose
 * relationships name the parts; a deck without that list falls back to the slideN.xml numbers.
 */
async function slidePaths(zip: JSZip): Promise<string[]> {
  const slideNumber = (path: string): number =>
    Number(/^ppt\/slides\/slide(\d+)\.xml$/.exec(path)?.[1] ?? Number.NaN);
  const numbered = Object.keys(zip.files)
    .filter((path) => !Number.isNaN(slideNumber(path)))
    .sort((left, right) => slideNumber(left) - slideNumber(right));
  const presentation = await zip.file('ppt/presentation.xml')?.async('string');
  const relationships = await zip.file('ppt/_rels/presentation.xml.rels')?.async('string');
  if (presentation === undefined || relationships === undefined) return numbered;
  const targets = new Map<string, string>();
  for (const [element] of relationships.matchAll(/<Relationship\b[^>]*>/g)) {
    const id = /\bId="([^"]+)"/.exec(element)?.[1];
    const target = /\bTarget="([^"]+)"/.exec(element)?.[1];
    if (id !== undefined && target !== undefined)
      targets.set(id, target.startsWith('/') ? target.slice(1) : `ppt/${target}`);
  }
  const ordered = [...presentation.matchAll(/<p:sldId\b[^>]*\br:id="([^"]+)"/g)]
    .map(([, id]) => targets.get(id ?? '') ?? '')
    .filter((path) => numbered.includes(path));
  return ordered.length > 0 ? ordered : numbered;
}

/** The text of every slide of a PowerPoint deck, in slide order, slides apart by a blank line. */
export async function pptxText(bytes: Buffer): Promise<string> {
  try {
    const zip = await JSZip.loadAsync(bytes);
    const slides = await Promise.all(
      (await slidePaths(zip)).map(async (path) => slideText(await zip.file(path)!.async('string'))),
    );
    return slides.join('\n\n');
  } catch (error) {
    throw unreadableFile('PPTX', error);
  }
}
