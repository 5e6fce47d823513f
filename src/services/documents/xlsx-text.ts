import ExcelJS from 'exceljs';
import { unreadableFile } from './document-errors.ts';

/** What Excel shows in a cell; a date (or a formula's date) as ISO 8601, its day alone at midnight UTC. */
function cellText(cell: ExcelJS.Cell): string {
  const value = cell.type === ExcelJS.ValueType.Formula ? cell.result : cell.value;
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  return cell.text.replace(/[\t\r\n]+/g, ' ');
}

/** A worksheet's rows as lines of tab-separated cell texts (as Excel shows them), empty rows left out. */
function sheetLines(worksheet: ExcelJS.Worksheet): string[] {
  const lines: string[] = [];
  worksheet.eachRow((row) => {
    const cells: string[] = [];
    for (let column = 1; column <= row.cellCount; column += 1)
      cells.push(cellText(row.getCell(column)));
    const line = cells.join('\t').trimEnd();
    if (line.trim() !== '') lines.push(line);
  });
  return lines;
}

/** Every sheet of an Excel workbook, in order: the sheet's name as a heading, then its rows. Empty sheets are left out. */
export async function xlsxText(bytes: Buffer): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its Buffer as an ArrayBuffer; it reads either, through JSZip.
    await workbook.xlsx.load(new Uint8Array(bytes).buffer);
  } catch (error) {
    throw unreadableFile('XLSX', error);
  }
  const sheets: string[] = [];
  workbook.eachSheet((worksheet) => {
    const lines = sheetLines(worksheet);
    if (lines.length > 0) sheets.push([`# ${worksheet.name}`, ...lines].join('\n'));
  });
  return sheets.join('\n\n');
}
