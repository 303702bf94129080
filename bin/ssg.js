#!/usr/bin/env node
import { createRequire } from "node:module"

if (process.argv[2] === "hook") createRequire(import.meta.url)("./hook-loader.cjs")
else await import("../dist/main.js")
