// Writes every pending update (available or approved, not yet installed) as CSV.
//   REDFLAG_URL=https://redflag.example.com REDFLAG_TOKEN=rf_pat_… node export-pending-updates.mjs pending.csv
// Without a file name the CSV goes to standard output. A viewer token is enough.
import { writeFileSync } from "node:fs";
import { createRedflagClient } from "@redflag/client";

const client = createRedflagClient({ url: process.env.REDFLAG_URL, token: process.env.REDFLAG_TOKEN });

const columns = [
  "hostname",
  "agentId",
  "packageType",
  "packageName",
  "currentVersion",
  "availableVersion",
  "severity",
  "security",
  "cves",
  "status",
  "firstSeenAt",
];

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value) {
  const text =
    value instanceof Date
      ? value.toISOString()
      : Array.isArray(value)
        ? value.join(" ")
        : String(value ?? "");
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const rows = [columns.join(",")];
let total = 0;
for (let page = 1; ; page++) {
  const answer = await client.updates.list.query({
    statuses: ["available", "approved"],
    sort: "hostname",
    page,
    pageSize: 200,
  });
  for (const update of answer.items) rows.push(columns.map((column) => csvField(update[column])).join(","));
  total += answer.items.length;
  if (answer.items.length === 0 || total >= answer.total) break;
}
const csv = `${rows.join("\r\n")}\r\n`;
const file = process.argv[2];
if (file) {
  writeFileSync(file, csv);
  console.error(`wrote ${total} pending update(s) to ${file}`);
} else {
  process.stdout.write(csv);
}
