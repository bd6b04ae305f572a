"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { type ReactNode, Suspense, useEffect, useState } from "react";
import { isUnauthorized, messageOf } from "~/trpc/errors";
import { useTRPC } from "~/trpc/react";
import { LogoutButton } from "./logout-button";
import { SessionProvider } from "./session";

const navigation = [
  { href: "/", label: "Overview" },
  { href: "/agents", label: "Agents" },
  { href: "/updates", label: "Updates" },
  { href: "/reports", label: "Reports" },
  { href: "/proxmox", label: "Proxmox" },
  { href: "/commands", label: "Commands" },
  { href: "/policies", label: "Policies" },
  { href: "/windows", label: "Maintenance windows" },
  { href: "/notifications", label: "Notifications" },
  { href: "/agents/add", label: "Add agent" },
  { href: "/settings", label: "Settings" },
  { href: "/health", label: "Server health" },
];

function isCurrent(pathname: string, href: string): boolean {
  if (href === "/") return pathname === "/";
  if (href === "/agents") return pathname.startsWith("/agents") && !pathname.startsWith("/agents/add");
  return pathname.startsWith(href);
}

/** The signed-in frame of every dashboard page: navigation, who is signed in, and the session check. */
export function AppShell({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const me = useQuery({ ...trpc.auth.me.queryOptions(), refetchInterval: 60_000 });
  const signedOut = isUnauthorized(me.error);
  const [menuOpen, setMenuOpen] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new page closes the menu
  useEffect(() => setMenuOpen(false), [pathname]);

  useEffect(() => {
    if (signedOut) router.replace("/login");
  }, [signedOut, router]);

  if (me.isPending || signedOut) {
    return (
      <main className="page" aria-busy="true">
        <p className="muted">Loading…</p>
      </main>
    );
  }
  if (me.isError) {
    return (
      <main className="page">
        <p className="form-error" role="alert">
          {messageOf(me.error)}
        </p>
        <button type="button" className="button" onClick={() => me.refetch()}>
          Try again
        </button>
      </main>
    );
  }

  return (
    <SessionProvider user={me.data}>
      <div className="shell">
        <a className="skip-link" href="#content">
          Skip to content
        </a>
        <nav className="sidebar" aria-label="Main" data-open={menuOpen}>
          <div className="sidebar-top">
            <p className="brand">
              <span className="brand-mark" aria-hidden="true" />
              RedFlag
            </p>
            {/* Narrow screens fold the navigation into this menu. */}
            <button
              type="button"
              className="button menu-button"
              aria-expanded={menuOpen}
              aria-controls="main-navigation"
              onClick={() => setMenuOpen((open) => !open)}
            >
              Menu
            </button>
          </div>
          <ul id="main-navigation">
            {navigation.map((item) => (
              <li key={item.href}>
                <Link
                  href={item.href}
                  className="nav-link"
                  aria-current={isCurrent(pathname, item.href) ? "page" : undefined}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
          <div className="sidebar-user">
            <span>
              <strong>
                <bdi>{me.data.username}</bdi>
              </strong>{" "}
              <span className="badge">{me.data.role}</span>
            </span>
            <LogoutButton />
          </div>
        </nav>
        <main className="content" id="content">
          <Suspense fallback={<p className="muted">Loading…</p>}>{children}</Suspense>
        </main>
      </div>
    </SessionProvider>
  );
}
