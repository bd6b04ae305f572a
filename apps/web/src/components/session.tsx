"use client";

import { hasRole, type Role, type UserId } from "@redflag/contracts";
import { createContext, type ReactNode, useContext } from "react";

export type SessionUser = { id: UserId; username: string; role: Role };

const SessionContext = createContext<SessionUser | null>(null);

export function SessionProvider({ user, children }: { user: SessionUser; children: ReactNode }) {
  return <SessionContext.Provider value={user}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionUser {
  const user = useContext(SessionContext);
  if (!user) throw new Error("useSession must be used inside the dashboard shell");
  return user;
}

/** Whether the signed-in user holds `role`; the server checks again on every call. */
export function useCan(role: Role): boolean {
  return hasRole(useSession().role, role);
}

/** Renders its children only for users holding `role`: viewers never see buttons they cannot use. */
export function RequireRole({ atLeast, children }: { atLeast: Role; children: ReactNode }) {
  return useCan(atLeast) ? children : null;
}
