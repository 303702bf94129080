#!/usr/bin/env node
if (process.argv[2] === "hook") await import("../dist/hook.js")
else await import("../dist/main.js")
