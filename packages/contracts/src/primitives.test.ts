import { describe, expect, test } from "bun:test";
import {
  boundedText,
  exitCode,
  int32,
  jsonRecord,
  nameText,
  outputText,
  timestamp,
  tokenText,
  toPrintableText,
} from "./primitives.ts";

const messageOf = (result: { error?: { issues: { message: string }[] } }) => result.error?.issues[0]?.message;

describe("text primitives", () => {
  test("names refuse what makes them look like another name", () => {
    const name = nameText(64);
    for (const spoof of [
      "\u202E",
      "\u202A",
      "\u2066",
      "\u2069",
      "\u200B",
      "\u200F",
      "\u2060",
      "\uFEFF",
      "\u061C",
    ]) {
      expect(messageOf(name.safeParse(`ab${spoof}cd`))).toContain("invisible or direction-changing");
    }
    expect(messageOf(name.safeParse("a\u0085b"))).toContain("control characters (U+0085)");
    expect(messageOf(name.safeParse("a\nb"))).toBe("must be a single line (no tabs or line breaks)");
    expect(messageOf(name.safeParse("a\u0000b"))).toBe("must not contain NUL (U+0000) characters");
    expect(name.safeParse("עברית العربية 日本語 🙂 café").success).toBe(true);
    expect(nameText(10, { trim: true }).parse("  label  ")).toBe("label");
  });

  test("free text keeps line breaks and right-to-left marks, refuses NUL, controls and lone surrogates", () => {
    const text = boundedText(100);
    expect(text.safeParse("line one\nline two\ttab \u200F rtl").success).toBe(true);
    expect(messageOf(text.safeParse("bell\u0007"))).toContain("control characters (U+0007)");
    expect(messageOf(text.safeParse("a\uD800b"))).toContain("lone surrogate");
    expect(messageOf(text.safeParse("a\uDC00"))).toContain("lone surrogate");
    expect(text.safeParse("pair \uD83D\uDE42").success).toBe(true);
  });

  test("output keeps escape sequences; tokens are printable ASCII", () => {
    expect(outputText(100).safeParse("\u001b[1mbold\u001b[0m\r\n").success).toBe(true);
    expect(outputText(100).safeParse("a\u0000").success).toBe(false);
    expect(tokenText(3, 20).safeParse("rf_pat_abc").success).toBe(true);
    expect(tokenText(3, 20).safeParse("rf pat").success).toBe(false);
    expect(tokenText(3, 20).safeParse("rf_\u0000pat").success).toBe(false);
  });

  test("toPrintableText makes tool text fit boundedText without splitting a surrogate pair", () => {
    expect(toPrintableText("a\u0000b\u0007c\nd", 100)).toBe("abcd");
    expect(toPrintableText("a\nb", 100, { keepLineBreaks: true })).toBe("a\nb");
    expect(toPrintableText("x\uD800y", 100)).toBe("x\uFFFDy");
    expect(toPrintableText("ab\uD83D\uDE42", 3)).toBe("ab");
    expect(boundedText(100).safeParse(toPrintableText("\uDC00\u0000ok", 100)).success).toBe(true);
  });
});

describe("numbers, dates and JSON", () => {
  test("int32 holds what a Postgres integer holds", () => {
    expect(int32().safeParse(2 ** 31 - 1).success).toBe(true);
    expect(int32().safeParse(-(2 ** 31)).success).toBe(true);
    expect(messageOf(int32().safeParse(2 ** 31))).toContain("32-bit integer");
    expect(int32().safeParse(Number.POSITIVE_INFINITY).success).toBe(false);
  });

  test("exit codes keep Windows' unsigned statuses as the signed integer with the same bits", () => {
    expect(exitCode().parse(0)).toBe(0);
    expect(exitCode().parse(-9)).toBe(-9);
    expect(exitCode().parse(0xc0000005)).toBe(-1073741819);
    expect(exitCode().parse(2 ** 32 - 1)).toBe(-1);
    expect(messageOf(exitCode().safeParse(2 ** 32))).toContain("32-bit exit code");
  });

  test("timestamps run from year 1 to 9999", () => {
    const yearZero = new Date(Date.UTC(2000, 0, 1));
    yearZero.setUTCFullYear(0);
    expect(timestamp().safeParse(new Date("0001-01-01T00:00:00.000Z")).success).toBe(true);
    expect(timestamp().safeParse(new Date("9999-12-31T23:59:59.999Z")).success).toBe(true);
    expect(messageOf(timestamp().safeParse(yearZero))).toBe("must be a date between the years 1 and 9999");
    expect(timestamp().safeParse(new Date("+010000-01-01T00:00:00.000Z")).success).toBe(false);
    expect(timestamp().safeParse(new Date(Number.NaN)).success).toBe(false);
  });

  test("jsonRecord takes plain, bounded, shallow JSON free of NUL and lone surrogates", () => {
    const record = jsonRecord(1000);
    expect(record.safeParse({ a: [1, "two", null, { b: true }], at: new Date() }).success).toBe(true);
    expect(messageOf(record.safeParse({ "\u0000": 1 }))).toContain("NUL");
    expect(messageOf(record.safeParse({ a: "\uD800" }))).toContain("lone surrogate");
    expect(messageOf(record.safeParse({ a: 2n }))).toContain("only JSON values");
    expect(messageOf(record.safeParse({ a: new Map() }))).toContain("only JSON values");
    expect(messageOf(record.safeParse({ a: Number.NaN }))).toContain("finite numbers");
    let deep: unknown = 1;
    for (let level = 0; level < 40; level++) deep = [deep];
    expect(messageOf(record.safeParse({ deep }))).toContain("nest deeper");
    expect(messageOf(record.safeParse({ a: "x".repeat(2000) }))).toContain("at most 1000 bytes");
  });
});
