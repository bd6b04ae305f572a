import { agentRouter } from "./router/agent.ts";
import { agentsRouter } from "./router/agents.ts";
import { apiTokensRouter } from "./router/api-tokens.ts";
import { auditRouter } from "./router/audit.ts";
import { authRouter } from "./router/auth.ts";
import { commandsRouter } from "./router/commands.ts";
import { dashboardRouter } from "./router/dashboard.ts";
import { downloadProfilesRouter } from "./router/download-profiles.ts";
import { healthRouter } from "./router/health.ts";
import { maintenanceWindowsRouter } from "./router/maintenance-windows.ts";
import { metricsTokenRouter } from "./router/metrics-token.ts";
import { notificationsRouter } from "./router/notifications.ts";
import { policiesRouter } from "./router/policies.ts";
import { proxmoxRouter } from "./router/proxmox.ts";
import { registrationTokensRouter } from "./router/registration-tokens.ts";
import { reportsRouter } from "./router/reports.ts";
import { settingsRouter } from "./router/settings.ts";
import { signingKeysRouter } from "./router/signing-keys.ts";
import { updatesRouter } from "./router/updates.ts";
import { usersRouter } from "./router/users.ts";
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
  signingKeys: signingKeysRouter,
  health: healthRouter,
  audit: auditRouter,
  dashboard: dashboardRouter,
  policies: policiesRouter,
  proxmox: proxmoxRouter,
  maintenanceWindows: maintenanceWindowsRouter,
  downloadProfiles: downloadProfilesRouter,
  notifications: notificationsRouter,
  metricsToken: metricsTokenRouter,
  reports: reportsRouter,
});

export type AppRouter = typeof appRouter;
