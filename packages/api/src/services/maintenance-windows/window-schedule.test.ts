import { describe, expect, test } from "bun:test";
import { AppError } from "../../errors.ts";
import {
  describeSchedule,
  localTime,
  nextOpenings,
  openOccurrenceAt,
  validateTiming,
} from "./window-schedule.ts";

const berlin = { schedule: "30 2 * * *", timeZone: "Europe/Berlin", durationMinutes: 60 };

/** Every distinct occurrence open at some minute between `from` and `to`. */
function occurrencesBetween(from: string, to: string) {
  const seen = new Set<string>();
  for (let at = Date.parse(from); at <= Date.parse(to); at += 60_000) {
    const open = openOccurrenceAt(berlin, new Date(at));
    if (open) seen.add(open.opensAt.toISOString());
  }
  return [...seen];
}

describe("window schedule", () => {
  test("02:30 Europe/Berlin opens once on spring-forward day (at 03:00 CEST) and once on fall-back day", () => {
    expect(occurrencesBetween("2026-03-28T22:00:00Z", "2026-03-29T05:00:00Z")).toEqual([
      "2026-03-29T01:00:00.000Z",
    ]);
    expect(occurrencesBetween("2026-10-24T22:00:00Z", "2026-10-25T05:00:00Z")).toEqual([
      "2026-10-25T00:30:00.000Z",
    ]);
    expect(localTime(new Date("2026-03-29T01:00:00Z"), "Europe/Berlin")).toBe("Sun 2026-03-29 03:00 CEST");
  });

  test("open from its opening up to (not including) its close", () => {
    const daily = { schedule: "0 3 * * *", timeZone: "UTC", durationMinutes: 60 };
    expect(openOccurrenceAt(daily, new Date("2026-06-01T02:59:59Z"))).toBeNull();
    expect(openOccurrenceAt(daily, new Date("2026-06-01T03:00:00Z"))?.opensAt).toEqual(
      new Date("2026-06-01T03:00:00Z"),
    );
    expect(openOccurrenceAt(daily, new Date("2026-06-01T03:59:59Z"))?.closesAt).toEqual(
      new Date("2026-06-01T04:00:00Z"),
    );
    expect(openOccurrenceAt(daily, new Date("2026-06-01T04:00:00Z"))).toBeNull();
    expect(
      nextOpenings(daily, new Date("2026-06-01T03:00:00Z"), 2).map((opening) => opening.opensAt),
    ).toEqual([new Date("2026-06-02T03:00:00Z"), new Date("2026-06-03T03:00:00Z")]);
  });

  test("refuses bad schedules and zones, and openings closer together than the window lasts", () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const refusal = (timing: typeof berlin) => {
      try {
        validateTiming(timing, now);
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        return (error as AppError).message;
      }
      return "accepted";
    };
    expect(refusal({ ...berlin, schedule: "0 24 * * *" })).toContain("hour");
    expect(refusal({ ...berlin, schedule: "0 3 * * * *" })).toContain("five fields");
    expect(refusal({ ...berlin, timeZone: "Nowhere/Special" })).toContain("Nowhere/Special");
    expect(refusal({ ...berlin, schedule: "0 * * * *", durationMinutes: 90 })).toContain(
      "before a 90-minute window closes",
    );
    expect(refusal({ ...berlin, schedule: "0 3 30 2 *" })).toContain("never opens");
    expect(refusal({ ...berlin, schedule: "0 * * * *", durationMinutes: 60 })).toBe("accepted");
  });

  test("common schedules in words", () => {
    expect(describeSchedule("0 3 * * *")).toBe("every day at 03:00");
    expect(describeSchedule("30 2 * * 0")).toBe("every Sunday at 02:30");
    expect(describeSchedule("0 22 * * 1-5")).toBe("weekdays at 22:00");
    expect(describeSchedule("0 4 1 * *")).toBe("day 1 of every month at 04:00");
    expect(describeSchedule("*/15 * * * *")).toBeNull();
  });
});
