/**
 * Many short alternating rounds (raw, peerweave, raw, ...) of the one-hop stream,
 * for comparing settings on a shared machine: prints the median of the per-round
 * ratios, less sensitive to other load than a best-of-two.
 *   sh scripts/netns.sh tsx test/bench/ratio-probe.ts --rtc ndc --size 16384 --rounds 8
 */
import { parseArgs } from 'node:util'
import { RTC, type RtcName } from './perf/rtc.js'
import { throughput } from './perf/throughput.js'
import { percentile, round } from './perf/util.js'

const { values } = parseArgs({
  options: {
    rtc: { type: 'string', default: 'ndc' },
    size: { type: 'string', default: '16384' },
    rounds: { type: 'string', default: '8' },
    ms: { type: 'string', default: '700' },
  },
})
const f = await throughput(RTC[values.rtc as RtcName], Number(values.size), {
  durationMs: Number(values.ms),
  rounds: Number(values.rounds),
  warmUpMs: 300,
  windowBytes: 1024 * 1024,
})
const ratios = f.rounds.raw.map((r, i) => f.rounds.peerweave[i]! / r)
console.log(
  JSON.stringify({
    rtc: values.rtc,
    size: Number(values.size),
    medianRatio: round(percentile(ratios, 50), 3),
    ratios: ratios.map((r) => round(r, 2)),
    lost: f.lost,
  }),
)
process.exit(0)
