/**
 * Fills a database with a realistic demo fleet, for trying the dashboard and for bench:dashboard.
 *
 *   bun run seed:demo                      # 10,000 agents, 1,000,000 updates in ./data (embedded PGlite)
 *   DATABASE_URL=postgres://… bun run seed:demo
 *   SEED_AGENTS=500 SEED_UPDATES=50000 bun run seed:demo
 *
 * The rows are generated inside the database (generate_series), so a million updates take seconds
 * on PostgreSQL. Seeding adds to what is there; run it on an empty database. When no admin exists it
 * creates `admin` with the password printed at the end.
 */
import { resolve } from "node:path";
import { createUser } from "@redflag/api/services/users/create-user.ts";
import { hasAnyAdmin } from "@redflag/api/services/users/set-up-first-admin.ts";
import { createDatabase, type Database, locateMigrationsFolder, migrate } from "@redflag/db";
import { sql } from "drizzle-orm";

export type SeedOptions = {
  agents: number;
  updates: number;
  /** Finished and queued commands per agent (history for the overview and the commands page). */
  commandsPerAgent: number;
  log?: (line: string) => void;
};

const packagePools = {
  apt: [
    "openssl",
    "libssl3",
    "curl",
    "libcurl4",
    "openssh-server",
    "openssh-client",
    "bash",
    "coreutils",
    "systemd",
    "libsystemd0",
    "udev",
    "sudo",
    "tzdata",
    "ca-certificates",
    "libc6",
    "libc-bin",
    "linux-image-amd64",
    "git",
    "vim",
    "nano",
    "python3",
    "python3-minimal",
    "libpython3.11",
    "perl",
    "perl-base",
    "libxml2",
    "libexpat1",
    "zlib1g",
    "libgnutls30",
    "gnupg",
    "gpgv",
    "apt",
    "libapt-pkg6.0",
    "dpkg",
    "tar",
    "gzip",
    "xz-utils",
    "libzstd1",
    "liblz4-1",
    "nginx",
    "nginx-common",
    "apache2",
    "apache2-bin",
    "postgresql-15",
    "postgresql-client-15",
    "libpq5",
    "mariadb-server",
    "redis-server",
    "docker-ce",
    "containerd.io",
    "rsync",
    "wget",
    "libnss3",
    "firefox-esr",
    "thunderbird",
    "libreoffice-core",
    "exim4-base",
    "postfix",
    "bind9-libs",
    "dnsutils",
    "iproute2",
    "iptables",
    "nftables",
    "libnftnl11",
    "util-linux",
    "mount",
    "login",
    "passwd",
    "libpam-modules",
    "libpam0g",
    "libkrb5-3",
    "libgssapi-krb5-2",
    "libldap-2.5-0",
    "libsqlite3-0",
    "libgcrypt20",
    "libtasn1-6",
    "libidn2-0",
    "libxslt1.1",
    "libtiff6",
    "libpng16-16",
    "libjpeg62-turbo",
    "libwebp7",
    "imagemagick",
    "ghostscript",
    "libcups2",
    "cups",
    "avahi-daemon",
    "libavahi-client3",
    "dbus",
    "libdbus-1-3",
    "polkitd",
    "libpolkit-gobject-1-0",
    "intel-microcode",
    "amd64-microcode",
    "firmware-linux-free",
    "grub-common",
    "grub-pc",
    "initramfs-tools",
    "kmod",
    "procps",
    "less",
    "libncursesw6",
    "libreadline8",
    "libgnutls-dane0",
    "unattended-upgrades",
    "cron",
  ],
  dnf: [
    "kernel",
    "kernel-core",
    "kernel-modules",
    "glibc",
    "glibc-common",
    "openssl",
    "openssl-libs",
    "curl",
    "libcurl",
    "openssh",
    "openssh-server",
    "openssh-clients",
    "bash",
    "systemd",
    "systemd-libs",
    "sudo",
    "tzdata",
    "ca-certificates",
    "python3",
    "python3-libs",
    "perl-interpreter",
    "libxml2",
    "expat",
    "zlib",
    "gnutls",
    "gnupg2",
    "dnf",
    "rpm",
    "rpm-libs",
    "tar",
    "gzip",
    "xz-libs",
    "nginx",
    "httpd",
    "postgresql",
    "mariadb",
    "redis",
    "podman",
    "containerd",
    "rsync",
    "wget",
    "nss",
    "firefox",
    "iproute",
    "iptables",
    "nftables",
    "util-linux",
    "pam",
    "krb5-libs",
    "sqlite-libs",
    "libgcrypt",
    "grub2-common",
    "dracut",
    "selinux-policy",
    "selinux-policy-targeted",
    "polkit",
    "dbus",
    "microcode_ctl",
    "linux-firmware",
  ],
  docker: [
    "nginx",
    "postgres",
    "redis",
    "traefik",
    "grafana/grafana",
    "prom/prometheus",
    "homeassistant/home-assistant",
    "jellyfin/jellyfin",
    "nextcloud",
    "vaultwarden/server",
    "pihole/pihole",
    "portainer/portainer-ce",
    "mariadb",
    "mongo",
    "rabbitmq",
    "eclipse-mosquitto",
    "node",
    "python",
    "caddy",
    "gitea/gitea",
  ],
  windows_update: [
    "Cumulative Update for Windows Server 2022",
    "Security Update for Microsoft .NET Framework",
    "Windows Malicious Software Removal Tool",
    "Microsoft Defender Antivirus definition update",
    "Servicing Stack Update for Windows Server 2022",
    "Update for Microsoft Edge",
    "Windows Subsystem for Linux Update",
    "Security Intelligence Update for Microsoft Defender",
    "Microsoft SQL Server 2019 CU",
    "Visual C++ Redistributable Update",
  ],
  winget: [
    "Microsoft.PowerShell",
    "Git.Git",
    "Mozilla.Firefox",
    "Google.Chrome",
    "7zip.7zip",
    "Notepad++.Notepad++",
    "Microsoft.VisualStudioCode",
    "Microsoft.WindowsTerminal",
    "VideoLAN.VLC",
    "Python.Python.3.12",
    "OpenJS.NodeJS.LTS",
    "Docker.DockerDesktop",
    "PuTTY.PuTTY",
    "WinSCP.WinSCP",
    "KeePassXCTeam.KeePassXC",
  ],
};

const pool = (names: string[]) =>
  sql.raw(`array[${names.map((name) => `'${name.replace(/'/g, "''")}'`).join(",")}]`);

/** Adds a demo fleet; returns how many rows of each kind it wrote. */
export async function seedDemo(db: Database, options: SeedOptions) {
  const log = options.log ?? (() => {});
  const perAgent = Math.max(1, Math.round(options.updates / options.agents));
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

  // Families by agent number i % 10: 0-4 Debian, 5-6 Ubuntu (apt), 7 Rocky, 8 Fedora (dnf), 9 Windows.
  await db.execute(sql`
    insert into agents (id, hostname, os_type, os_name, os_version, architecture, agent_version, machine_id,
      tags, metrics, reboot_required, last_check_in_at, last_scan_at, created_at)
    select
      'agt_' || substr(md5('demo-agent-' || i), 1, 26),
      (array['web','db','cache','app','build','edge','mail','files','media','node'])[1 + (i / 10) % 10]
        || '-' || lpad(i::text, 5, '0') || (array['.lab','.office','.dc1','.dc2'])[1 + (i / 100) % 4],
      case when i % 10 = 9 then 'windows' else 'linux' end,
      case i % 10 when 5 then 'Ubuntu' when 6 then 'Ubuntu' when 7 then 'Rocky Linux' when 8 then 'Fedora Linux'
        when 9 then 'Windows Server' else 'Debian GNU/Linux' end,
      case i % 10 when 5 then '24.04 LTS' when 6 then '22.04 LTS' when 7 then '9.4' when 8 then '40'
        when 9 then '2022 (21H2)' else (case when i % 3 = 0 then '11 (bullseye)' else '12 (bookworm)' end) end,
      case when i % 10 <> 9 and i % 7 = 0 then 'aarch64' else 'x86_64' end,
      (array['0.1.0','0.1.0','0.1.1'])[1 + i % 3],
      md5('demo-machine-' || i),
      jsonb_build_array((array['prod','staging','dev'])[1 + i % 3], (array['eu','us'])[1 + (i / 3) % 2]),
      jsonb_build_object('cpuPercent', (i * 7) % 100, 'memoryUsedBytes', ((i * 131) % 8 + 1)::bigint * 1073741824,
        'memoryTotalBytes', 17179869184, 'diskUsedBytes', ((i * 17) % 200 + 10)::bigint * 1073741824,
        'diskTotalBytes', 274877906944, 'uptimeSeconds', (i * 3607) % 2592000),
      i % 13 = 0,
      now() - case when i % 8 = 0 then ((i % 72) + 1) * interval '1 hour' else ((i * 37) % 280) * interval '1 second' end,
      now() - case when i % 8 = 0 then ((i % 72) + 2) * interval '1 hour' else ((i * 37) % 3000 + 60) * interval '1 second' end,
      now() - ((i % 365) + 1) * interval '1 day'
    from generate_series(1, ${options.agents}::int) as i
  `);
  log(`${options.agents} agents (${elapsed()})`);

  // One statement per slice of agents, so the progress shows and no single statement runs for minutes.
  const slice = 1000;
  for (let first = 1; first <= options.agents; first += slice) {
    const last = Math.min(options.agents, first + slice - 1);
    await db.execute(sql`
      insert into updates (id, agent_id, package_type, package_name, target, current_version, available_version,
        severity, security, cves, source, size_bytes, metadata, status, installed_version, first_seen_at,
        last_seen_at, status_changed_at)
      select
        'upd_' || substr(md5('demo-update-' || i || '-' || g), 1, 26),
        'agt_' || substr(md5('demo-agent-' || i), 1, 26),
        kind,
        pool[1 + (g % cardinality(pool))] || case when g >= cardinality(pool) then '-' || (g / cardinality(pool))::text else '' end,
        case when kind = 'docker' then (array['app','proxy','db','cache'])[1 + g % 4] else '' end,
        case when kind = 'docker' then 'sha256:' || substr(md5('old' || i || g), 1, 12)
          else (1 + g % 5) || '.' || (g % 17) || '.' || (i % 9) || '-1' end,
        case when kind = 'docker' then 'sha256:' || substr(md5('new' || i || g), 1, 12)
          else (1 + g % 5) || '.' || (g % 17) || '.' || (i % 9 + 1) || '-1' end,
        case when security then (array['critical','important','important','moderate'])[1 + (i + g) % 4]
          else (array['moderate','low','unknown','unknown','unknown'])[1 + (i * 3 + g) % 5] end,
        security,
        case when security then jsonb_build_array('CVE-2024-' || lpad(((g * 131 + i) % 50000)::text, 5, '0')) else '[]'::jsonb end,
        case kind when 'apt' then (case when security then 'Debian-Security:12/bookworm-security' else 'Debian:12.8/bookworm' end)
          when 'dnf' then (case when security then 'baseos (RLSA-2024:' || (g * 7 % 9000) || ')' else 'appstream' end)
          when 'docker' then 'docker.io' else null end,
        (g * 7919 + i) % 50000000 + 20000,
        '{}'::jsonb,
        status,
        case when status = 'installed' then (1 + g % 5) || '.' || (g % 17) || '.' || (i % 9 + 1) || '-1' else null end,
        now() - ((i + g) % 90) * interval '1 day' - (g % 24) * interval '1 hour',
        now() - (i % 60) * interval '1 minute',
        now() - ((i + g) % 30) * interval '1 day'
      from generate_series(${first}::int, ${last}::int) as i
      cross join generate_series(0, ${perAgent - 1}::int) as g
      cross join lateral (
        select
          case
            when i % 10 = 9 then (case when g % 3 = 0 then 'winget' else 'windows_update' end)
            when g % 10 = 3 then 'docker'
            when i % 10 in (7, 8) then 'dnf'
            else 'apt' end as kind,
          g % 7 = 0 and g % 10 <> 3 as security,
          case
            when (i * 31 + g * 17) % 100 < 70 then 'available'
            when (i * 31 + g * 17) % 100 < 75 then 'approved'
            when (i * 31 + g * 17) % 100 < 88 then 'installed'
            when (i * 31 + g * 17) % 100 < 90 then 'failed'
            when (i * 31 + g * 17) % 100 < 93 then 'rejected'
            else 'resolved' end as status
      ) as chosen
      cross join lateral (
        select case chosen.kind
          when 'apt' then ${pool(packagePools.apt)}
          when 'dnf' then ${pool(packagePools.dnf)}
          when 'docker' then ${pool(packagePools.docker)}
          when 'windows_update' then ${pool(packagePools.windows_update)}
          else ${pool(packagePools.winget)} end as pool
      ) as names
    `);
    log(`updates for agents ${first}-${last} (${elapsed()})`);
  }

  await db.execute(sql`
    insert into commands (id, agent_id, type, status, targets, parameters, attempt, max_attempts, exit_code,
      output, progress_percent, progress_message, created_by, created_at, sent_at, started_at, finished_at)
    select
      'cmd_' || substr(md5('demo-command-' || i || '-' || k), 1, 26),
      'agt_' || substr(md5('demo-agent-' || i), 1, 26),
      case when k % 4 = 3 then 'scan' else 'install' end,
      status,
      '[]'::jsonb,
      '{}'::jsonb,
      case when status = 'pending' then 0 when status = 'timed_out' then 3 else 1 end,
      3,
      case status when 'succeeded' then 0 when 'failed' then 100 else null end,
      case status when 'succeeded' then 'Reading package lists...' || chr(10) || 'Setting up packages... done'
        when 'failed' then (case when k % 4 = 3 then 'E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving ''deb.debian.org'''
          else 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (apt)' end)
        else null end,
      case when status in ('succeeded','failed') then 100 when status = 'running' then 40 else null end,
      case when status = 'running' then 'Unpacking packages'
        when status = 'failed' and k % 4 = 3 then 'apt-get update failed: Temporary failure resolving deb.debian.org'
        when status = 'failed' then 'dpkg lock held by another process' else null end,
      null,
      finished - interval '3 minutes',
      case when status = 'pending' then null else finished - interval '2 minutes' end,
      case when status in ('pending','sent') then null else finished - interval '90 seconds' end,
      case when status in ('succeeded','failed','timed_out') then finished else null end
    from generate_series(1, ${options.agents}::int) as i
    cross join generate_series(1, ${options.commandsPerAgent}::int) as k
    cross join lateral (
      select
        now() - ((i * 7 + k * 13) % (14 * 24)) * interval '1 hour' - (i % 60) * interval '1 minute' as finished,
        case
          when i % 97 = 0 and k = 1 then 'pending'
          when i % 89 = 0 and k = 1 then 'running'
          when (i + k) % 50 = 0 then 'failed'
          when (i + k) % 170 = 0 then 'timed_out'
          else 'succeeded' end as status
    ) as chosen
  `);
  log(`${options.agents * options.commandsPerAgent} commands (${elapsed()})`);

  await db.execute(sql`
    insert into scans (id, agent_id, scanners, opened, changed, closed, started_at, finished_at, received_at)
    select
      'scn_' || substr(md5('demo-scan-' || i), 1, 26),
      'agt_' || substr(md5('demo-agent-' || i), 1, 26),
      case when i % 10 = 9 then '[{"packageType":"windows_update","status":"ok","error":null,"itemCount":12}]'::jsonb
        when i % 41 = 0 then '[{"packageType":"apt","status":"error","error":"E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving ''deb.debian.org''","itemCount":0}]'::jsonb
        else '[{"packageType":"apt","status":"ok","error":null,"itemCount":90},{"packageType":"docker","status":"ok","error":null,"itemCount":10}]'::jsonb end,
      i % 5, i % 3, i % 4,
      now() - (i % 600) * interval '1 minute' - interval '1 minute',
      now() - (i % 600) * interval '1 minute',
      now() - (i % 600) * interval '1 minute'
    from generate_series(1, ${options.agents}::int) as i
  `);
  await db.execute(sql`analyze`);
  log(`scans and statistics (${elapsed()})`);
  return {
    agents: options.agents,
    updates: options.agents * perAgent,
    commands: options.agents * options.commandsPerAgent,
  };
}

if (import.meta.main) {
  // Read once, here: this script is its own small deployable.
  const environment = process.env;
  const agents = Number(environment.SEED_AGENTS ?? 10_000);
  const updates = Number(environment.SEED_UPDATES ?? 1_000_000);
  const migrationsFolder = locateMigrationsFolder(import.meta.dir);
  const handle = await createDatabase(
    environment.DATABASE_URL
      ? { driver: "postgres", url: environment.DATABASE_URL }
      : {
          driver: "pglite",
          dataDir: resolve(migrationsFolder, "..", environment.REDFLAG_DATA_DIR ?? "./data"),
        },
  );
  try {
    await migrate(handle.db, migrationsFolder);
    console.log(`Seeding ${agents} agents and ${updates} updates into ${handle.driver}…`);
    const written = await seedDemo(handle.db, {
      agents,
      updates,
      commandsPerAgent: 3,
      log: (line) => console.log(`  ${line}`),
    });
    console.log(`Done: ${written.agents} agents, ${written.updates} updates, ${written.commands} commands.`);
    if (!(await hasAnyAdmin(handle.db))) {
      const password = "redflag-demo-password";
      await createUser(handle.db, { actor: { type: "system" }, username: "admin", password, role: "admin" });
      console.log(`Log in as admin / ${password} (change it on the settings page).`);
    }
  } finally {
    await handle.close();
  }
}
