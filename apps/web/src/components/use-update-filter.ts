"use client";

import {
  idSchema,
  packageTypes,
  severities,
  type UpdateFilter,
  type UpdateStatus,
  updateStatuses,
} from "@redflag/contracts";
import { oneOf, pageOf, useUrlState } from "~/lib/search-params";

export const updateSorts = ["packageName", "severity", "firstSeenAt", "hostname"] as const;
export const statusChoices = ["waiting", "all", ...updateStatuses] as const;
export type StatusChoice = (typeof statusChoices)[number];
export const updatesPageSize = 50;

function statusesOf(choice: StatusChoice): UpdateStatus[] | undefined {
  if (choice === "all") return undefined;
  if (choice === "waiting") return ["available", "approved"];
  return [choice];
}

/** The updates list's filter, sort and page, read from the URL: one source for the list and "select all". */
export function useUpdateFilter() {
  const { params, set } = useUrlState();
  const parsedAgentId = idSchema("agent").safeParse(params.get("agentId"));
  const agentId = parsedAgentId.success ? parsedAgentId.data : undefined;
  const statusChoice = oneOf(params.get("status"), statusChoices, "waiting");
  const severity = oneOf(params.get("severity"), severities);
  const packageType = oneOf(params.get("packageType"), packageTypes);
  const security = oneOf(params.get("security"), ["true", "false"] as const);
  const held = oneOf(params.get("held"), ["true", "false"] as const);
  const search = params.get("search") ?? "";
  const filter: UpdateFilter = {
    agentId,
    statuses: statusesOf(statusChoice),
    severities: severity ? [severity] : undefined,
    packageTypes: packageType ? [packageType] : undefined,
    security: security === undefined ? undefined : security === "true",
    held: held === undefined ? undefined : held === "true",
    search: search || undefined,
  };
  return {
    set,
    filter,
    choices: { agentId, statusChoice, severity, packageType, security, held, search },
    sort: oneOf(params.get("sort"), updateSorts, "packageName"),
    direction: oneOf(params.get("direction"), ["asc", "desc"] as const, "asc"),
    page: pageOf(params),
    filtered: Boolean(
      agentId || severity || packageType || security || held || search || statusChoice !== "waiting",
    ),
  };
}
export type UpdateFilterState = ReturnType<typeof useUpdateFilter>;
