import { agentRouter } from "./router/agent.ts";
import { agentsRouter } from "./router/agents.ts";
import { authRouter } from "./router/auth.ts";
import { commandsRouter } from "./router/commands.ts";
import { dashboardRouter } from "./router/dashboard.ts";
import { auditRouter, healthRouter, settingsRouter, usersRouter } from "./router/system.ts";
import { apiTokensRouter, registrationTokensRouter } from "./router/tokens.ts";
import { updatesRouter } from "./router/updates.ts";
import { createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  agent: agentRouter,
  auth: authRouter,
  agents: agentsRouter,
  updates: updatesRouter,
  commands: commandsRouter,
  registrationTokens: registrationTokensRouter,
  apiTokens: apiTokensRouter,
  users: usersRouter,
  settings: settingsRouter,
  health: healthRouter,
  audit: auditRouter,
  dashboard: dashboardRouter,
});

export type AppRouter = typeof appRouter;
