import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { dayReport, type ProductivityReport, productivityProjection, type ProductivityState } from "../projections/Productivity.js"
import { Projections } from "../projections/Projections.js"
import { UsageError } from "./finding.js"
import { jsonOption } from "./options.js"

const DAY_MS = 86_400_000

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

const parseDate = (value: string): number | null => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null
  const ms = Date.parse(`${value}T00:00:00.000Z`)
  return Number.isNaN(ms) || isoDay(ms) !== value ? null : ms
}

/** The reports of `dates` (UTC days, none after today): past days from `productivity_daily` or computed and cached, today always computed. */
const reportsFor = (dates: ReadonlyArray<string>, now: Date) =>
  Effect.gen(function* () {
    const projections = yield* Projections
    const today = isoDay(now.getTime())
    const version = productivityProjection.version
    let state: ProductivityState | null = null
    const reports: Array<ProductivityReport> = []
    for (const date of dates) {
      if (date !== today) {
        const cached = yield* projections.cachedDay(date, version)
        if (cached !== null) {
          reports.push(JSON.parse(cached) as ProductivityReport)
          continue
        }
      }
      state ??= (yield* projections.catchUp(productivityProjection)).state
      const report = dayReport(state, date, now)
      if (date !== today) yield* projections.cacheDay(date, version, JSON.stringify(report))
      reports.push(report)
    }
    return reports
  })

const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`

const showCommand = Command.make(
  "show",
  {
    date: Options.text("date").pipe(Options.withDescription("the UTC day (YYYY-MM-DD; default today)"), Options.optional),
    json: jsonOption
  },
  ({ date, json }) =>
    Effect.gen(function* () {
      const now = new Date()
      const day = Option.getOrElse(date, () => isoDay(now.getTime()))
      const ms = parseDate(day)
      if (ms === null) return yield* new UsageError({ message: `--date: "${day}" is not a date (use YYYY-MM-DD)` })
      if (day > isoDay(now.getTime())) return yield* new UsageError({ message: `--date: ${day} is in the future (today is ${isoDay(now.getTime())} UTC)` })
      const [report] = yield* reportsFor([day], now)
      if (json) return yield* Console.log(JSON.stringify(report))
      if (report!.score === null) return yield* Console.log(`${day}: no evaluations that day (UTC), so no score`)
      yield* Console.log(`productivity ${day} (UTC): ${report!.score} / 100`)
      yield* Console.log(`  evaluations          ${report!.total} (${report!.decisions_per_min} per minute)`)
      yield* Console.log(`  blocked ratio        ${percent(report!.blocked_ratio)}   (block, ask, deny; −40 per 100%)`)
      yield* Console.log(`  force rate           ${percent(report!.force_rate)}   (−30 per 100%)`)
      yield* Console.log(`  retry rate           ${percent(report!.retry_rate)}   (same tool and input within 60 s; −20 per 100%)`)
      yield* Console.log(`  approval latency p50 ${(report!.approval_latency_p50_ms / 1000).toFixed(1)} s   (−10 at 60 s or more)`)
    })
).pipe(Command.withDescription("One UTC day's productivity score (0–100) and the five inputs behind it"))

const BLOCKS = "▁▂▃▄▅▆▇█"

/** A sparkline of scores (0..100; a day without evaluations is a dot). */
export const sparkline = (scores: ReadonlyArray<number | null>): string =>
  scores.map((s) => (s === null ? "·" : BLOCKS[Math.min(BLOCKS.length - 1, Math.floor((s / 100) * BLOCKS.length))]!)).join("")

const trendCommand = Command.make(
  "trend",
  {
    days: Options.integer("days").pipe(Options.withDescription("how many UTC days up to today (1..365)"), Options.withDefault(30)),
    json: jsonOption
  },
  ({ days, json }) =>
    Effect.gen(function* () {
      if (days < 1 || days > 365) return yield* new UsageError({ message: `--days: ${days} is out of range (1..365)` })
      const now = new Date()
      const todayMs = Date.parse(`${isoDay(now.getTime())}T00:00:00.000Z`)
      const dates = Array.from({ length: days }, (_, i) => isoDay(todayMs - (days - 1 - i) * DAY_MS))
      const reports = yield* reportsFor(dates, now)
      if (json) {
        return yield* Console.log(JSON.stringify({ days, scores: reports.map((r) => ({ date: r.date, score: r.score, total: r.total })) }))
      }
      const scored = reports.filter((r) => r.score !== null)
      yield* Console.log(`productivity, ${dates[0]} → ${dates[dates.length - 1]} (UTC): ${sparkline(reports.map((r) => r.score))}`)
      if (scored.length === 0) return yield* Console.log("no evaluations in this window, so no scores")
      for (const r of reports) {
        const bar = r.score === null ? "" : "█".repeat(Math.round(r.score / 4))
        yield* Console.log(`${r.date}  ${r.score === null ? "    —" : r.score.toFixed(1).padStart(5)}  ${bar.padEnd(25)} ${r.total} evaluations`)
      }
      const mean = scored.reduce((sum, r) => sum + r.score!, 0) / scored.length
      yield* Console.log(`mean ${mean.toFixed(1)} over ${scored.length} day(s) with evaluations`)
    })
).pipe(Command.withDescription("Daily productivity scores as a terminal chart and list"))

/** `ssg productivity show|trend`: the daily productivity score derived from the audit log. */
export const productivityCommand = Command.make("productivity").pipe(
  Command.withDescription("Agent productivity score (0–100) per UTC day, from the audit log"),
  Command.withSubcommands([showCommand, trendCommand])
)
