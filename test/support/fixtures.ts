/** A small rule set using every decision kind (DENY, LOG, SHADOW, ASK, FORCE; no-env is a read rule), for CLI tests. */
export const DEMO_RULES = `# demo rules
rule no-rm {
  priority 90
  severity error
  DENY execution
  IF command REGEX "rm\\\\s+-rf\\\\s+/"
  MESSAGE "Destructive command blocked."
}

rule log-git {
  priority 95
  LOG execution
  IF command STARTS_WITH "git "
  MESSAGE "git used"
}

rule shadow-push {
  priority 94
  SHADOW execution
  IF command WORD "push"
  MESSAGE "push seen"
}

rule ask-sudo {
  priority 80
  ASK execution
  IF command STARTS_WITH "sudo "
  MESSAGE "root"
  PROMPT "Run \${input.command} as root?"
}

rule force-cat {
  priority 30
  FORCE execution
  IF command STARTS_WITH "cat "
  SUBSTITUTE "Use the Read tool."
  MESSAGE "cat is slow"
}

rule no-env {
  priority 90
  DENY read
  IF path GLOB "**/.env"
  MESSAGE "no .env"
}
`
