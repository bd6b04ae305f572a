# shellcheck shell=sh
# Sourced by the stand-in pct and qm (bin/): snapshot, listsnapshot, delsnapshot and rollback against
# a state file per guest, $PROXMOX_SNAPSHOT_STATE/<tool>-<vmid>, one line per snapshot:
# name<TAB>parent<TAB>snaptime (epoch seconds)<TAB>description. $PROXMOX_SNAPSHOT_STATE/<tool>-<vmid>.parent
# holds the snapshot the guest's current state descends from (as a guest config's `parent:` does).
# The stand-in's clock is deterministic: each snapshot is 60 s after the state's newest one.
# PROXMOX_FAIL=<subcommand> makes that subcommand fail as Proxmox does when it cannot.
# listsnapshot prints the tree of print_snapshot_tree (pve-guest-common, PVE/GuestHelpers.pm):
# printf("%s %-${len}s %-23s %s\n", prefix, name, time, description), len = 30 - length(prefix),
# prefix "`->" with one more leading space per level, time "%F %H:%M:%S", an empty description shown
# as no-description, and a last "current" entry ("You are here!") under the current parent.

snapshot_stand_in() {
  tool=$1
  sub=$2
  vmid=$3
  name=$4
  state="$PROXMOX_SNAPSHOT_STATE/$tool-$vmid"
  case "$vmid" in
    '' | *[!0-9]*)
      echo "400 Parameter verification failed." >&2
      echo "vmid: invalid format - value does not look like a valid VM ID" >&2
      exit 255
      ;;
  esac
  if [ "${PROXMOX_FAIL:-}" = "$sub" ]; then
    case "$sub" in
      snapshot) echo "snapshot feature is not available" >&2 ;;
      *) echo "$sub failed: stand-in told to fail" >&2 ;;
    esac
    exit 255
  fi
  touch "$state"
  parent=$(cat "$state.parent" 2>/dev/null || true)
  case "$sub" in
    snapshot)
      case "$name" in
        [A-Za-z]*) ;;
        *)
          echo "snapname: invalid format - invalid configuration ID '$name'" >&2
          exit 255
          ;;
      esac
      if [ "$(printf %s "$name" | tr -d 'A-Za-z0-9_-')" != "" ] || [ ${#name} -gt 40 ]; then
        echo "snapname: invalid format - invalid configuration ID '$name'" >&2
        exit 255
      fi
      if cut -f1 "$state" | grep -qxF "$name"; then
        echo "snapshot name '$name' already used" >&2
        exit 255
      fi
      description=""
      if [ "${5:-}" = --description ]; then description=$6; fi
      last=$(cut -f3 "$state" | sort -n | tail -n 1)
      time=$((${last:-1717228800} + 60))
      printf '%s\t%s\t%s\t%s\n' "$name" "$parent" "$time" "$description" >>"$state"
      printf '%s\n' "$name" >"$state.parent"
      ;;
    delsnapshot)
      if ! cut -f1 "$state" | grep -qxF "$name"; then
        echo "snapshot '$name' does not exist" >&2
        exit 255
      fi
      gone_parent=$(awk -F '\t' -v n="$name" '$1 == n { print $2 }' "$state")
      awk -F '\t' -v OFS='\t' -v n="$name" -v p="$gone_parent" '$1 != n { if ($2 == n) $2 = p; print }' \
        "$state" >"$state.new"
      mv "$state.new" "$state"
      if [ "$parent" = "$name" ]; then printf '%s\n' "$gone_parent" >"$state.parent"; fi
      ;;
    rollback)
      if ! cut -f1 "$state" | grep -qxF "$name"; then
        echo "snapshot '$name' does not exist" >&2
        exit 255
      fi
      printf '%s\n' "$name" >"$state.parent"
      printf '%s\n' "$name" >>"$state.rollbacks"
      ;;
    listsnapshot)
      TZ=UTC awk -F '\t' -v current="$parent" '
        { name[NR] = $1; up[NR] = $2; when[NR] = $3; text[NR] = $4; index_of[$1] = NR }
        END {
          n = NR
          name[n + 1] = "current"; up[n + 1] = current; when[n + 1] = ""; text[n + 1] = "You are here!"
          for (i = 1; i <= n + 1; i++) if (up[i] == "" || !(up[i] in index_of)) roots[++r] = i
          for (k = 1; k <= r; k++) show(roots[k], "`->")
        }
        function show(i, prefix,   j, len, description, stamp) {
          description = text[i] == "" ? "no-description" : text[i]
          stamp = when[i] == "" ? "" : strftime("%Y-%m-%d %H:%M:%S", when[i])
          len = 30 - length(prefix); if (len < 0) len = 0
          printf "%s %-" len "s %-23s %s\n", prefix, name[i], stamp, description
          for (j = 1; j <= n + 1; j++) if (j != i && up[j] == name[i] && name[i] != "current") show(j, " " prefix)
        }
      ' "$state"
      ;;
  esac
  exit 0
}
