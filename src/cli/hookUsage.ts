/** The hook's usage text; `ssg hook ...` itself runs from its own lean entry (bin/ssg.js routes it to dist/hook.js). */
export const HOOK_USAGE = `ssg hook — the entry points agents call around each tool use

USAGE
  ssg hook eval    read a pre-tool-use payload on stdin, evaluate it, record it, answer in the client's format
  ssg hook post    read a post-tool-use payload on stdin and record it as v1.ToolCompleted

The client is SSG_CLIENT when set, else detected from its environment variables and the payload, else generic.
`
