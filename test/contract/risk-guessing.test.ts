/**
 * A code-guessing run with the default rules: an attacker with one API key from one address sends
 * unknown codes for an hour (a simulated clock) at several paces; how many are really looked up (404
 * code_not_found) rather than refused unseen (403 risk_blocked)? The figures are in docs/risk.md.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp } from '../helpers/app.ts'
import { newMerchant } from '../helpers/merchant-api.ts'
import { ManualClock } from '../../src/ports/clock.ts'

const HOUR_S = 3600
const START = Date.parse('2030-05-01T02:00:00Z')

for (const engine of ENGINES) {
  describe(`wrong-code guessing with the defaults on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(START)
    const t = useTestApp(engine, { clock })

    /** One guess every `everySeconds` for an hour, with a fresh merchant (key and counters); the guesses looked up. */
    async function guessesPerHour(everySeconds: number): Promise<{ lookedUp: number; refused: number }> {
      const m = await newMerchant(t)
      let lookedUp = 0
      let refused = 0
      for (let s = 0; s < HOUR_S; s += everySeconds) {
        clock.set(new Date(START + s * 1000).toISOString())
        const res = await m.redeem({ code: `GUESS${s.toString().padStart(6, '0')}X`, order_amount: 10000 })
        if (res.status === 404) lookedUp++
        else if (res.status === 403) refused++
        else assert.fail(`unexpected ${res.status}: ${res.text}`)
      }
      return { lookedUp, refused }
    }

    it('gets at most 120 guesses an hour: 110 pacing one every 33 s, fewer faster or in bursts, which block the key for 15 minutes', async () => {
      // The window of 10 minutes is counted in buckets of one minute: a guess is remembered for 10 to 11 minutes.
      const paced = await guessesPerHour(33)
      assert.deepEqual(paced, { lookedUp: 110, refused: 0 }, 'never more than 20 in any 11 minutes')
      const faster = await guessesPerHour(30)
      // A little faster: the 21st within 11 minutes blocks key and address for 15.
      assert.equal(faster.lookedUp, 60, JSON.stringify(faster))
      // As fast as it likes: 20, blocked 15 minutes, 20 again: four rounds an hour.
      const burst = await guessesPerHour(2)
      assert.equal(burst.lookedUp, 80, JSON.stringify(burst))
      for (const figure of [paced, faster, burst]) assert.ok(figure.lookedUp <= 120)
      console.log(`guesses looked up per hour (one key, one address, default rules): every 33 s ${paced.lookedUp}, every 30 s ${faster.lookedUp}, every 2 s ${burst.lookedUp} (of ${burst.lookedUp + burst.refused} sent)`)
    })
  })
}
