import {
  agentDetailSchema,
  commandRecordSchema,
  configureAgentInput,
  configureAgentOutput,
  idSchema,
  listAgentsInput,
  listAgentsOutput,
  requestAgentCommandInput,
} from "@redflag/contracts";
import { z } from "zod";
import { readAgentBuilds } from "../services/agents/agent-builds.ts";
import { configureAgent } from "../services/agents/configure-agent.ts";
import { deleteAgent } from "../services/agents/delete-agent.ts";
import { getAgent } from "../services/agents/get-agent.ts";
import { listAgents } from "../services/agents/list-agents.ts";
import { requestAgentCommand } from "../services/agents/request-agent-command.ts";
import { adminProcedure } from "../trpc.ts";

const agentIdInput = z.object({ agentId: idSchema("agent") });

export const agentsRouter = {
  list: adminProcedure("viewer")
    .meta({ openapi: { method: "GET", path: "/agents", tags: ["agents"], summary: "List agents" } })
    .input(listAgentsInput)
    .output(listAgentsOutput)
    .query(({ ctx, input }) => listAgents(ctx.db, input)),
  get: adminProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/agents/{agentId}",
        tags: ["agents"],
        summary: "One agent, with its update counts and latest scans",
      },
    })
    .input(agentIdInput)
    .output(agentDetailSchema)
    .query(({ ctx, input }) =>
      getAgent(ctx.db, { ...input, agentBuilds: readAgentBuilds(ctx.config.agentsDirectory) }),
    ),
  configure: adminProcedure("operator")
    .meta({
      openapi: {
        method: "PATCH",
        path: "/agents/{agentId}",
        tags: ["agents"],
        summary: "Change an agent's poll interval, rapid mode or tags",
      },
    })
    .input(configureAgentInput)
    .output(configureAgentOutput)
    .mutation(({ ctx, input }) => configureAgent(ctx.db, { actor: ctx.actor, ...input })),
  requestCommand: adminProcedure("operator")
    .meta({
      openapi: {
        method: "POST",
        path: "/agents/{agentId}/commands",
        tags: ["agents"],
        summary: "Queue a scan, reboot, dry run or agent update on an agent",
      },
    })
    .input(requestAgentCommandInput)
    .output(commandRecordSchema)
    .mutation(({ ctx, input }) =>
      requestAgentCommand(ctx.db, {
        actor: ctx.actor,
        ...input,
        agentBuilds: input.type === "update_agent" ? readAgentBuilds(ctx.config.agentsDirectory) : null,
      }),
    ),
  delete: adminProcedure("admin")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/agents/{agentId}",
        tags: ["agents"],
        summary: "Delete an agent and its data",
      },
    })
    .input(agentIdInput)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => deleteAgent(ctx.db, { actor: ctx.actor, ...input })),
};
