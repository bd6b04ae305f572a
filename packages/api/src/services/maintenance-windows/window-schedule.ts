import type { WindowOpening } from "@redflag/contracts";
import { Cron } from "croner";
import { AppError } from "../../errors.ts";

export type WindowTiming = { schedule: string; timeZone: string; durationMinutes: number };

/** How far ahead a schedule is checked for openings closer together than the window lasts. */
const overlapCheckOpenings = 200;

/** The schedule read in its zone; BAD_REQUEST naming what is wrong with it. */
export function parseSchedule(schedule: string, timeZone: string): Cron {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new AppError(
      "BAD_REQUEST",
      `The schedule "${schedule}" must have five fields: minute hour day-of-month month day-of-week`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(fields.join(" "), { timezone: timeZone, paused: true });
    cron.nextRun(new Date());
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Cron\w*:\s*/, "") : String(error);
    throw new AppError("BAD_REQUEST", `The schedule "${schedule}" in ${timeZone} is not valid: ${reason}`, {
      cause: error,
    });
  }
  return cron;
}

/**
 * Checks a window's timing: a valid schedule that opens at all, and never again while it is still
 * open (two openings inside one window would be one long window, counted twice).
 */
export function validateTiming(timing: WindowTiming, now: Date): Cron {
  const cron = parseSchedule(timing.schedule, timing.timeZone);
  const openings = cron.nextRuns(overlapCheckOpenings, now);
  if (openings.length === 0) {
    throw new AppError("BAD_REQUEST", `The schedule "${timing.schedule}" never opens again`);
  }
  const durationMs = timing.durationMinutes * 60_000;
  for (let index = 1; index < openings.length; index++) {
    const previous = openings[index - 1] as Date;
    const next = openings[index] as Date;
    if (next.getTime() - previous.getTime() < durationMs) {
      const gap = Math.round((next.getTime() - previous.getTime()) / 60_000);
      throw new AppError(
        "BAD_REQUEST",
        `The schedule opens again ${gap} minutes after it opens (${localTime(previous, timing.timeZone)} then ${localTime(next, timing.timeZone)}), before a ${timing.durationMinutes}-minute window closes: shorten the window or open it less often`,
      );
    }
  }
  return cron;
}

/** The next `count` openings after `now`. */
export function nextOpenings(timing: WindowTiming, now: Date, count: number): WindowOpening[] {
  const cron = parseSchedule(timing.schedule, timing.timeZone);
  return cron.nextRuns(count, now).map((opensAt) => openingOf(opensAt, timing));
}

/**
 * The occurrence open at `now`, or null: the latest opening at or before `now` while it lasts.
 * croner reads the schedule in the zone, so a local time skipped on spring-forward day opens once at
 * the first instant after the gap, and one repeated on fall-back day opens once, at its first pass.
 */
export function openOccurrenceAt(timing: WindowTiming, now: Date): WindowOpening | null {
  const cron = parseSchedule(timing.schedule, timing.timeZone);
  const [opensAt] = cron.previousRuns(1, new Date(now.getTime() + 1));
  if (!opensAt) return null;
  const opening = openingOf(opensAt, timing);
  return opening.closesAt > now ? opening : null;
}

export function openingOf(opensAt: Date, timing: WindowTiming): WindowOpening {
  return {
    opensAt,
    closesAt: new Date(opensAt.getTime() + timing.durationMinutes * 60_000),
    local: localTime(opensAt, timing.timeZone),
  };
}

/** "Sun 2026-03-29 03:00 GMT+2" — the instant as the window's zone shows it. */
export function localTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((entry) => entry.type === type)?.value ?? "";
  return `${part("weekday")} ${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")} ${part("timeZoneName")}`;
}

const weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The common shapes in words ("every day at 03:00", "every Sunday at 02:30"); null for the rest. */
export function describeSchedule(schedule: string): string | null {
  const [minute, hour, dayOfMonth, month, dayOfWeek] = schedule.trim().split(/\s+/);
  if (!minute || !hour || !/^\d{1,2}$/.test(minute) || !/^\d{1,2}$/.test(hour)) return null;
  const at = `${hour.padStart(2, "0")}:${minute.padStart(2, "0")}`;
  if (month !== "*") return null;
  if (dayOfMonth === "*" && dayOfWeek === "*") return `every day at ${at}`;
  if (dayOfMonth === "*" && dayOfWeek && /^[0-7]$/.test(dayOfWeek)) {
    return `every ${weekdays[Number(dayOfWeek) % 7]} at ${at}`;
  }
  if (dayOfMonth === "*" && dayOfWeek === "1-5") return `weekdays at ${at}`;
  if (dayOfWeek === "*" && dayOfMonth && /^\d{1,2}$/.test(dayOfMonth)) {
    return `day ${dayOfMonth} of every month at ${at}`;
  }
  return null;
}
