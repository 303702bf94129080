import type { Capability } from "../domain/ToolCall.js"
import { genericCapability } from "./Generic.js"

/** Tool names grouped by capability, as a client's capability map is declared. */
export type ToolGroups = Partial<Record<Capability, ReadonlyArray<string>>>

/** A client's tool map, keyed by lower-cased tool name. */
export type CapabilityMap = ReadonlyMap<string, Capability>

/** Builds a client's tool map from tool names grouped by capability (names match case-insensitively). */
export const capabilityMap = (groups: ToolGroups): CapabilityMap => {
  const map = new Map<string, Capability>()
  for (const [capability, tools] of Object.entries(groups) as Array<[Capability, ReadonlyArray<string>]>) {
    for (const tool of tools) map.set(tool.toLowerCase(), capability)
  }
  return map
}

/** Merges tool maps; a later map's entries win. */
export const mergeMaps = (...maps: ReadonlyArray<CapabilityMap>): CapabilityMap =>
  new Map(maps.flatMap((map) => [...map]))

const MCP_NAME = /^mcp__.+?__(.+)$/i

/**
 * A tool's capability for a client: the tool's name in the client's map (any case); for an MCP tool
 * `mcp__<server>__<tool>` the `<tool>` part in the client's map; otherwise the generic keyword map, which reads the
 * words of the name without the MCP prefix (`mcp__fs__read_text_file` is read), so servers never decide by their name.
 */
export const mapCapability = (map: CapabilityMap, tool: string): Capability => {
  const direct = map.get(tool.toLowerCase())
  if (direct !== undefined) return direct
  const mcp = MCP_NAME.exec(tool)
  const part = mcp === null ? undefined : map.get(mcp[1]!.toLowerCase())
  return part ?? genericCapability(tool)
}
