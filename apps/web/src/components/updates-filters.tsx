"use client";

import { packageTypes, severities, updateStatuses } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import { packageTypeLabel } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { SearchInput } from "./search-input";
import { EnumFilter } from "./ui/enum-filter";
import { Untrusted } from "./ui/text";
import type { UpdateFilterState } from "./use-update-filter";

export function UpdatesFilters({ state }: { state: UpdateFilterState }) {
  const trpc = useTRPC();
  const { choices, set } = state;
  const agent = useQuery({
    ...trpc.agents.get.queryOptions({ agentId: choices.agentId ?? "" }),
    enabled: Boolean(choices.agentId),
  });
  return (
    <section className="filters" aria-label="Filters">
      <SearchInput
        label="Search"
        placeholder="Package or hostname"
        value={choices.search}
        onSearch={(value) => set({ search: value, page: null })}
      />
      <EnumFilter
        label="Status"
        anyLabel={null}
        value={choices.statusChoice}
        options={[
          { value: "waiting", label: "Waiting (available, approved)" },
          { value: "all", label: "Any" },
          ...updateStatuses,
        ]}
        onChange={(value) => set({ status: value === "waiting" ? null : value, page: null })}
      />
      <EnumFilter
        label="Severity"
        value={choices.severity}
        options={severities}
        onChange={(value) => set({ severity: value, page: null })}
      />
      <EnumFilter
        label="Type"
        value={choices.packageType}
        options={packageTypes}
        labelOf={packageTypeLabel}
        onChange={(value) => set({ packageType: value, page: null })}
      />
      <EnumFilter
        label="Security"
        value={choices.security}
        options={[
          { value: "true", label: "Security only" },
          { value: "false", label: "Not security" },
        ]}
        onChange={(value) => set({ security: value, page: null })}
      />
      <EnumFilter
        label="Held"
        value={choices.held}
        options={[
          { value: "true", label: "Held (host or policy)" },
          { value: "false", label: "Not held" },
        ]}
        onChange={(value) => set({ held: value, page: null })}
      />
      {choices.agentId ? (
        <button type="button" className="chip" onClick={() => set({ agentId: null, page: null })}>
          Agent: <Untrusted text={agent.data?.hostname ?? choices.agentId} />{" "}
          <span aria-hidden="true">×</span>
        </button>
      ) : null}
    </section>
  );
}
