import { join } from "node:path"
import type { ClientName } from "./Adapter.js"
import type { FileEditor } from "./ManagedFile.js"

/** Where the wrapper lives, relative to the install directory. */
export const WRAPPER_PATH = join(".ssg", "bin", "bash")

/** Exit status of a command the wrapper refused to run (the shell's "cannot execute"). */
export const REFUSED_STATUS = 126

const SIGNATURE = "# ssg shell wrapper"
const CLIENTS_LINE = /^# ssg-clients:(.*)$/m
const COMMAND_LINE = /^ssg_command='((?:[^']|'\\'')*)'$/m

/**
 * The wrapper script for clients without native hooks (Codex CLI, Antigravity, NemoClaw's host side), used as their
 * `bash` (via `SHELL` or `PATH`). For `bash … -c STRING …` it sends STRING as a Bash tool call to `<command> hook eval`
 * and runs the real bash only on exit 0; on exit 2 it prints the reason and exits 126, as it does when ssg cannot be
 * run at all. The hook's client is always one of the installing clients (all of which refuse ASK with exit 2):
 * `SSG_CLIENT` when it names one, else the one the environment points to, else the first. Every other invocation
 * (scripts, interactive shells) goes straight to the real bash: `SSG_REAL_BASH`, else the first `bash` on `PATH` outside
 * the wrapper's own directory. The `ssg-clients` line records who installed it, so each uninstall removes only its share.
 */
export const wrapperScript = (command: string, clients: ReadonlyArray<string>): string => {
  const sorted = [...new Set(clients)].sort()
  return `#!/bin/sh
${SIGNATURE}: runs \`bash -c\` commands only when ssg's rules allow them.
# Written by \`ssg init\`, removed by \`ssg uninstall\`; edits are overwritten.
# ssg-clients: ${sorted.join(" ")}
ssg_command=${shellQuote(command)}
ssg_clients=${shellQuote(sorted.join(" "))}
set -f
self_dir=$(CDPATH= cd -- "$(dirname -- "$0")" 2>/dev/null && pwd -P)
real_bash=\${SSG_REAL_BASH:-}
if [ -z "$real_bash" ]; then
  saved_ifs=$IFS
  IFS=:
  for dir in $PATH; do
    [ -n "$dir" ] && [ -f "$dir/bash" ] && [ -x "$dir/bash" ] || continue
    [ "$(CDPATH= cd -- "$dir" 2>/dev/null && pwd -P)" = "$self_dir" ] && continue
    real_bash=$dir/bash
    break
  done
  IFS=$saved_ifs
fi
[ -n "$real_bash" ] || real_bash=/bin/bash
[ -z "\${SSG_SHELL_WRAPPER:-}" ] || exec "$real_bash" "$@"

has_c=0 found=0 skip=0 options=1 command_string=
for arg do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  if [ "$options" = 1 ]; then
    case $arg in
      --|-) options=0; continue ;;
      --rcfile|--init-file) skip=1; continue ;;
      --*) continue ;;
      -*)
        case $arg in *c*) has_c=1 ;; esac
        case $arg in *[oO]) skip=1 ;; esac
        continue ;;
      +*)
        case $arg in *[oO]) skip=1 ;; esac
        continue ;;
    esac
  fi
  [ "$has_c" = 1 ] && { command_string=$arg; found=1; }
  break
done
[ "$found" = 1 ] || exec "$real_bash" "$@"

client=
for name in $ssg_clients; do
  case $name in "\${SSG_CLIENT:-}") client=$name ;; esac
done
case " $ssg_clients " in *" antigravity "*) [ -n "$client" ] || [ "\${ANTIGRAVITY_AGENT:-}" != 1 ] || client=antigravity ;; esac
case " $ssg_clients " in *" nemoclaw "*) [ -n "$client" ] || [ -z "\${NEMOCLAW_AGENT:-}\${NEMOCLAW_SANDBOX_NAME:-}" ] || client=nemoclaw ;; esac
[ -n "$client" ] || client=\${ssg_clients%% *}

json_string() {
  printf '%sx' "$1" | LC_ALL=C awk '
    function emit(s,    i, n, c) {
      n = length(s)
      for (i = 1; i <= n; i++) { c = substr(s, i, 1); if (c in esc) printf "%s", esc[c]; else printf "%s", c }
    }
    BEGIN {
      for (i = 1; i < 32; i++) esc[sprintf("%c", i)] = sprintf("\\\\u%04x", i)
      esc["\\t"] = "\\\\t"; esc["\\r"] = "\\\\r"; esc["\\\\"] = "\\\\\\\\"; esc["\\""] = "\\\\\\""
      printf "%s", "\\""
    }
    { if (NR > 1) { emit(previous); printf "%s", "\\\\n" } previous = $0 }
    END { emit(substr(previous, 1, length(previous) - 1)); printf "%s", "\\"" }'
}

payload="{\\"tool_name\\":\\"Bash\\",\\"tool_input\\":{\\"command\\":$(json_string "$command_string")},\\"cwd\\":$(json_string "$PWD"),\\"session_id\\":$(json_string "\${SSG_SESSION_ID:-ppid-$PPID}")}"
reason=$( { printf '%s' "$payload" | SSG_SHELL_WRAPPER=1 SSG_CLIENT=$client $ssg_command hook eval >/dev/null; } 2>&1 )
status=$?
case $status in
  0) exec "$real_bash" "$@" ;;
  2) printf 'ssg refused to run this command: %s\\n' "\${reason:-blocked by policy}" >&2 ;;
  *) printf 'ssg could not check this command (%s exited with status %s), so it was not run.%s\\n' "$ssg_command hook eval" "$status" "\${reason:+ $reason}" >&2 ;;
esac
exit ${REFUSED_STATUS}
`
}

/** The clients listed in a wrapper script, or null for a file that is not ssg's wrapper. */
export const wrapperClients = (contents: string): ReadonlyArray<string> | null => {
  if (!contents.startsWith("#!/bin/sh\n" + SIGNATURE)) return null
  const line = CLIENTS_LINE.exec(contents)
  return line === null ? [] : line[1]!.trim().split(/\s+/).filter((c) => c !== "")
}

/** The command a wrapper script runs ssg with, or null when it records none. */
export const wrapperCommand = (contents: string): string | null => {
  const line = COMMAND_LINE.exec(contents)
  return line === null ? null : line[1]!.replace(/'\\''/g, "'")
}

/** The wrapper as a managed file for one client: installing adds the client to the script, uninstalling removes it. */
export const wrapperEditor = (client: ClientName, command: string): FileEditor => ({
  executable: true,
  holds: (contents) => wrapperClients(contents) !== null,
  add: (current) => {
    const clients = current === null ? null : wrapperClients(current)
    return { ok: true, contents: wrapperScript(command, [...(clients ?? []), client]) }
  },
  remove: (current) => {
    const rest = (wrapperClients(current) ?? []).filter((c) => c !== client)
    return rest.length === 0
      ? { ok: true, contents: "", empty: true }
      : { ok: true, contents: wrapperScript(wrapperCommand(current) ?? command, rest), empty: false }
  },
  restores: () => true
})

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`
