/** A tag read as [prefix]numbers[suffix]: `v1.25.3-alpine` → prefix `v`, [1, 25, 3], suffix `-alpine`. */
export type TagShape = { prefix: string; numbers: number[]; suffix: string };

const tagShapePattern = /^(v?)(\d+(?:\.\d+){0,3})((?:[-_+][A-Za-z0-9._-]*)?)$/;

export function parseTagShape(tag: string): TagShape | null {
  const match = tagShapePattern.exec(tag);
  if (match === null) return null;
  const numbers = (match[2] ?? "").split(".").map(Number);
  if (numbers.some((number) => !Number.isSafeInteger(number))) return null;
  return { prefix: match[1] ?? "", numbers, suffix: match[3] ?? "" };
}

function compareNumbers(left: number[], right: number[]): number {
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Tags newer than `current` with the same shape — same prefix, as many numeric parts, same suffix —
 * newest first: for `1.25` that is `1.27`, `1.26`; for `1.25.3-alpine` it is `1.25.4-alpine`, never
 * `1.26` or `1.25.4-bookworm`. Tags like `latest` have no shape and no newer tags.
 */
export function newerTagsOfSameShape(current: string, tags: readonly string[]): string[] {
  const shape = parseTagShape(current);
  if (shape === null) return [];
  const newer: { tag: string; numbers: number[] }[] = [];
  for (const tag of new Set(tags)) {
    const candidate = parseTagShape(tag);
    if (
      candidate === null ||
      candidate.prefix !== shape.prefix ||
      candidate.suffix !== shape.suffix ||
      candidate.numbers.length !== shape.numbers.length
    ) {
      continue;
    }
    if (compareNumbers(candidate.numbers, shape.numbers) > 0) newer.push({ tag, numbers: candidate.numbers });
  }
  return newer.sort((left, right) => compareNumbers(right.numbers, left.numbers)).map((entry) => entry.tag);
}
