/** Display helpers shared by the dashboard pages. */

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];
// "in 1 day", never "tomorrow": an expiry reads the same in the form that set it and the list that shows it.
const relative = new Intl.RelativeTimeFormat("en", { numeric: "always" });

/** "3 minutes ago", "in 5 minutes"; "never" for a missing date. */
export function formatRelative(date: Date | null | undefined, now: number = Date.now()): string {
  if (!date) return "never";
  const seconds = Math.round((date.getTime() - now) / 1000);
  if (Math.abs(seconds) < 5) return "just now";
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return date.toISOString();
}

const absolute = new Intl.DateTimeFormat("en-GB", {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

export function formatDateTime(date: Date | null | undefined): string {
  return date ? absolute.format(date) : "—";
}

export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  return `${seconds} s`;
}

/** Time between two instants, or from `start` until now while it is still running. */
export function formatElapsed(start: Date | null, end: Date | null): string {
  if (!start) return "—";
  return formatDuration(((end ?? new Date()).getTime() - start.getTime()) / 1000);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  const steps = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let step = 0;
  while (value >= 1024 && step < steps.length - 1) {
    value /= 1024;
    step++;
  }
  return `${value >= 10 || step === 0 ? value.toFixed(0) : value.toFixed(1)} ${steps[step]}`;
}

export function formatCount(count: number): string {
  return count.toLocaleString("en-US");
}

/** `apt` → "APT", `windows_update` → "Windows Update". */
export function packageTypeLabel(type: string): string {
  return (
    { apt: "APT", dnf: "DNF", docker: "Docker", windows_update: "Windows Update", winget: "winget" }[type] ??
    type
  );
}

export function humanize(text: string): string {
  const spaced = text.replace(/_/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
