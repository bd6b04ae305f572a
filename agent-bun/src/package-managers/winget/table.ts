import { AgentError } from "../../errors.ts";

/** Columns of winget's tables, whatever the display language. */
export type WingetColumn = "name" | "id" | "version" | "available" | "source";

/** Header words per language (English, German, French, Spanish, Italian). */
const headerWords: Record<string, WingetColumn> = {
  name: "name",
  nom: "name",
  nombre: "name",
  nome: "name",
  id: "id",
  "id.": "id",
  version: "version",
  versión: "version",
  versione: "version",
  available: "available",
  verfügbar: "available",
  disponible: "available",
  disponibile: "available",
  source: "source",
  quelle: "source",
  origen: "source",
  origine: "source",
};

/** ANSI CSI sequences (ESC [ … letter) winget uses to redraw its progress line. */
const ansiEscapePattern = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?]*[A-Za-z]`, "g");

export type TableRow = Partial<Record<WingetColumn, string>>;
export type ParsedTable = { columns: WingetColumn[]; rows: TableRow[]; endLine: number };

/**
 * The lines as a terminal would show them: what follows the last carriage return of each line
 * (winget redraws its spinner and progress bar with `\r`), without ANSI escape sequences.
 */
export function visibleLines(text: string): string[] {
  return text
    .replace(/^\uFEFF/, "")
    .split("\n")
    .map((line) => {
      const withoutEscapes = line.replace(ansiEscapePattern, "").replace(/\r$/, "");
      const lastReturn = withoutEscapes.lastIndexOf("\r");
      return (lastReturn >= 0 ? withoutEscapes.slice(lastReturn + 1) : withoutEscapes).trimEnd();
    });
}

/** Terminal columns a character takes: 2 for East Asian wide and fullwidth, 0 for combining marks. */
export function characterWidth(codePoint: number): number {
  if (
    codePoint === 0 ||
    (codePoint >= 0x300 && codePoint <= 0x36f) ||
    (codePoint >= 0x200b && codePoint <= 0x200f)
  ) {
    return 0;
  }
  if (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0x303e) ||
    (codePoint >= 0x3041 && codePoint <= 0x33ff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0xa000 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1f64f) ||
    (codePoint >= 0x1f900 && codePoint <= 0x1f9ff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Cuts a line at display columns: cell i holds the characters starting in [starts[i], starts[i+1]). */
export function sliceByColumns(line: string, starts: readonly number[]): string[] {
  const cells = starts.map(() => "");
  let column = 0;
  let cell = 0;
  for (const character of line) {
    while (cell + 1 < starts.length && column >= (starts[cell + 1] ?? Number.POSITIVE_INFINITY)) cell++;
    cells[cell] += character;
    column += characterWidth(character.codePointAt(0) ?? 0);
  }
  return cells.map((text) => text.trim());
}

export function isRuleLine(line: string | undefined): boolean {
  return line !== undefined && /^-{10,}$/.test(line.trim());
}

/** Where each header word starts (display columns) and which column it names. */
export function readHeader(line: string, operation: string): { columns: WingetColumn[]; starts: number[] } {
  const starts: number[] = [];
  const words: string[] = [];
  let column = 0;
  let previous = " ";
  let word = "";
  for (const character of line) {
    if (character !== " " && previous === " ") {
      starts.push(column);
      if (word !== "") words.push(word);
      word = "";
    }
    if (character !== " ") word += character;
    column += characterWidth(character.codePointAt(0) ?? 0);
    previous = character;
  }
  if (word !== "") words.push(word);
  const known = words.map((headerWord) => headerWords[headerWord.toLowerCase()]);
  let columns: WingetColumn[];
  if (known.every((entry) => entry !== undefined)) {
    columns = known as WingetColumn[];
  } else if (words.length === 5) {
    // A language we have no words for: winget's column order is fixed.
    columns = ["name", "id", "version", "available", "source"];
  } else {
    throw new AgentError(`cannot tell the columns of the header ${JSON.stringify(line)}`, {
      source: "winget",
      kind: "unrecognized",
      operation,
    });
  }
  if (!columns.includes("id") || !columns.includes("name") || new Set(columns).size !== columns.length) {
    throw new AgentError(`the header ${JSON.stringify(line)} has no name and id columns`, {
      source: "winget",
      kind: "unrecognized",
      operation,
    });
  }
  return { columns, starts };
}

/** Reads the table whose header is at `headerIndex` (a rule line follows it) until a blank or footer line. */
export function readTable(lines: readonly string[], headerIndex: number, operation: string): ParsedTable {
  const { columns, starts } = readHeader(lines[headerIndex] ?? "", operation);
  const rows: TableRow[] = [];
  let index = headerIndex + 2;
  for (; index < lines.length; index++) {
    const line = lines[index] ?? "";
    if (line.trim() === "" || isFooterLine(line) || isRuleLine(lines[index + 1])) break;
    const cells = sliceByColumns(line, starts);
    const row: TableRow = {};
    columns.forEach((column, position) => {
      row[column] = cells[position] ?? "";
    });
    rows.push(row);
  }
  return { columns, rows, endLine: index };
}

/** "5 upgrades available." and its translations; "1 package(s) have …" notes. */
export function upgradeCountOf(line: string): number | null {
  const match =
    /^(\d+) (?:upgrades? available|Aktualisierungen? verfügbar|mises? à (?:niveau|jour) disponibles?|actualizaciones disponibles)\.?$/i.exec(
      line.trim(),
    );
  return match?.[1] === undefined ? null : Number(match[1]);
}

function isFooterLine(line: string): boolean {
  const trimmed = line.trim();
  return (
    upgradeCountOf(trimmed) !== null ||
    /^\d+ (package\(s\)|Paket\(e\)|paquete\(s\))/i.test(trimmed) ||
    isExplicitTargetingLine(trimmed)
  );
}

/** "The following packages have an upgrade available, but require explicit targeting for upgrade:" and translations. */
export function isExplicitTargetingLine(line: string): boolean {
  return /explicit|explizit/i.test(line) && line.trim().endsWith(":");
}
