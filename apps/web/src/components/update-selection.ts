"use client";

import type { AgentId, UpdateFilter, UpdateId } from "@redflag/contracts";
import { useEffect, useMemo, useState } from "react";

/** What a confirmation names of each chosen update. */
export type SelectedUpdate = { id: UpdateId; agentId: AgentId; hostname: string; packageName: string };

/** Every update a filter matches, as many as the admin was shown: the server acts on exactly that many. */
export type MatchingChoice = { filter: UpdateFilter; expectedTotal: number };

/**
 * The updates list's selection: rows ticked one by one (on any page), or "all N matching" the filter.
 * A new filter shows other rows, so it clears the selection.
 */
export function useUpdateSelection(filterKey: string) {
  const [selected, setSelected] = useState<Map<UpdateId, SelectedUpdate>>(new Map());
  const [allMatching, setAllMatching] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: filterKey is the trigger
  useEffect(() => {
    setSelected(new Map());
    setAllMatching(false);
  }, [filterKey]);

  return useMemo(
    () => ({
      size: selected.size,
      allMatching,
      rows: () => [...selected.values()],
      ids: () => [...selected.keys()],
      has: (id: UpdateId) => allMatching || selected.has(id),
      allOnPage: (items: SelectedUpdate[]) =>
        items.length > 0 && items.every((item) => allMatching || selected.has(item.id)),
      someOnPage: (items: SelectedUpdate[]) => items.some((item) => allMatching || selected.has(item.id)),
      toggle(update: SelectedUpdate) {
        setAllMatching(false);
        setSelected((current) => {
          const next = new Map(current);
          if (next.has(update.id)) next.delete(update.id);
          else next.set(update.id, update);
          return next;
        });
      },
      togglePage(items: SelectedUpdate[]) {
        const every = items.every((item) => allMatching || selected.has(item.id));
        setAllMatching(false);
        setSelected((current) => {
          const next = new Map(current);
          for (const item of items) {
            if (every) next.delete(item.id);
            else next.set(item.id, item);
          }
          return next;
        });
      },
      selectAllMatching: () => setAllMatching(true),
      clear() {
        setAllMatching(false);
        setSelected(new Map());
      },
    }),
    [selected, allMatching],
  );
}
export type UpdateSelection = ReturnType<typeof useUpdateSelection>;
