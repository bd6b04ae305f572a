// Approves every security update waiting on the agents that carry a tag.
//   REDFLAG_URL=https://redflag.example.com REDFLAG_TOKEN=rf_pat_… node approve-security-updates.mjs web
// The token needs the operator role. Approved updates are installed by your install policies or by
// "Install" in the dashboard; this script only approves.
import { createRedflagClient } from "@redflag/client";

const tag = process.argv[2];
if (!tag) {
  console.error("usage: node approve-security-updates.mjs <tag>");
  process.exit(2);
}
const client = createRedflagClient({ url: process.env.REDFLAG_URL, token: process.env.REDFLAG_TOKEN });

/** Every item of a paged list (the server answers at most 200 per page). */
async function all(list) {
  const items = [];
  for (let page = 1; ; page++) {
    const answer = await list({ page, pageSize: 200 });
    items.push(...answer.items);
    if (answer.items.length === 0 || items.length >= answer.total) return items;
  }
}

const agents = await all((page) => client.agents.list.query({ tag, ...page }));
const updateIds = [];
for (const agent of agents) {
  const updates = await all((page) =>
    client.updates.list.query({ agentId: agent.id, security: true, statuses: ["available"], ...page }),
  );
  updateIds.push(...updates.map((update) => update.id));
  console.log(`${agent.hostname}: ${updates.length} security update(s) to approve`);
}
let approved = 0;
// One call takes up to 1000 ids, all or nothing.
for (let start = 0; start < updateIds.length; start += 1000) {
  const { changed } = await client.updates.approve.mutate({
    updateIds: updateIds.slice(start, start + 1000),
  });
  approved += changed;
}
console.log(`approved ${approved} security update(s) on ${agents.length} agent(s) tagged ${tag}`);
