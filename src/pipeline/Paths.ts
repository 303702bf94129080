import { Context, Layer } from "effect"
import { pathsFrom, type SsgLocations } from "./SsgHome.js"

export { displayPath, pathsFrom } from "./SsgHome.js"

/** Where ssg keeps state: `SSG_HOME` (default `~/.sigmashake`) for the machine, `.sigmashake/` under the working directory for the project. */
export class SsgPaths extends Context.Tag("ssg/SsgPaths")<SsgPaths, SsgLocations>() {}

/** SsgPaths from the real environment. */
export const layer = Layer.sync(SsgPaths, () => pathsFrom(process.env, process.cwd()))
