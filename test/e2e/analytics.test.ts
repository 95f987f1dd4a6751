/**
 * The analytics pages of the console in a real browser (Chromium) against a real `kabao serve` (SQLite),
 * with figures known beforehand: claim-page views from five devices, claims through a tagged claim link
 * and through the API, redemptions at the till, members with orders, an A/B test. Every figure a page
 * shows is checked against the API's JSON: the card's funnel, totals and trend, its channel and campaign
 * rows, the programme funnel and top cards, the RFM segments and member figures, the experiment's
 * variants, p-value and leader; the CSV links answer CSV. Screenshots in test-artifacts/e2e/analytics-*.png.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Locator, Page } from 'playwright-core'
import { screenshot } from './support/browser.ts'
import { browserSuite, setUpMerchant, type StaffApi } from './support/suite.ts'
import { assertAccessible, choose } from './support/ui.ts'

const OWNER = { login: 'owner@stats.example', password: 'owner-password-1' }

/** How the console writes figures: independent of its own helpers, so a wrong format fails here. */
const pct = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`)
const yuan = (fen: number | null) => (fen === null ? '—' : `¥${(fen / 100).toFixed(2)}`)
const CHANNEL: Record<string, string> = { claim_link: '领取链接', api: '接口发放', bulk: '批量发放' }
const GENDER: Record<string, string> = { female: '女', male: '男', other: '其他', unknown: '未知' }
const AGE_BAND: Record<string, string> = { under_18: '18 岁以下', '18_24': '18–24 岁', '25_34': '25–34 岁', '35_44': '35–44 岁', '45_54': '45–54 岁', '55_plus': '55 岁及以上', unknown: '未知' }
const SEGMENTS = ['high_value', 'potential', 'at_risk', 'win_back', 'loyal', 'promising', 'needs_attention', 'hibernating', 'no_orders']

async function rowsOf(table: Locator): Promise<string[][]> {
  return table.locator('tbody tr.el-table__row').evaluateAll((rows) => rows.map((row) => Array.from(row.querySelectorAll('td'), (td) => (td.textContent ?? '').trim())))
}

describe('the analytics pages in a browser', () => {
  let call: StaffApi['call']
  const ids = { card: '', storeId: '', memberCard: '', experiment: '', giftCard: '', variants: [] as string[] }
  const titles: Record<string, string> = {}
  const suite = browserSuite({
    name: 'analytics',
    setUp: async () => {
      ;({ call } = await setUpMerchant(suite.server.base, '数据咖啡', OWNER))
      ids.storeId = (await call('POST', '/v1/stores', { name: '徐汇店' })).id
      const cash = (title: string, reduce: number) => ({ type: 'cash', title, notice: '结账时出示', reduce_cost: reduce, least_cost: 10000, stock: 500, get_limit: 5, validity: { type: 'fixed_term', days: 30 } })
      const card = await call('POST', '/v1/cards', cash('满100减20', 2000))
      ids.card = card.id
      titles[card.id] = card.title

      // Five devices open the claim page, one of them three times: 7 views, 5 viewers.
      const link = await call('POST', `/v1/cards/${card.id}/claim-links`, { channel: 'livestream', campaign: 'double11' })
      for (const [device, times] of [['device-aaaa-01', 3], ['device-bbbb-02', 1], ['device-cccc-03', 1], ['device-dddd-04', 1], ['device-eeee-05', 1]] as const) {
        for (let i = 0; i < times; i++) {
          const res = await fetch(`${suite.server.base}/v1/claim/${link.token}`, { headers: { 'kabao-device': device } })
          assert.equal(res.status, 200)
        }
      }
      // Three claims through the tagged link, two issued by the API (one tagged), two redemptions.
      for (const [i, user] of ['guest-1', 'guest-2', 'guest-3'].entries()) {
        const res = await fetch(`${suite.server.base}/v1/claim/${link.token}`, { method: 'POST', headers: { authorization: `Bearer ${await walletToken(user)}`, 'kabao-device': `claim-device-${i}` } })
        assert.equal(res.status, 201, await res.text())
      }
      await call('POST', `/v1/cards/${card.id}/issue`, { user_id: 'guest-4', channel: 'menu', campaign: 'lunch' })
      await call('POST', `/v1/cards/${card.id}/issue`, { user_id: 'guest-5' })
      await redeem(await codeOf('guest-1', card.id), 12_800)
      await redeem(await codeOf('guest-4', card.id), 15_000)

      // Members with orders: high value (3 orders, ¥600), potential (1 order, ¥800), promising (1 order, ¥10), two without orders.
      const memberCard = await call('POST', '/v1/member-cards', {
        title: '咖啡会员',
        color: '#8a6d3b',
        levels: [{ name: '普通会员', min_growth: 0 }],
        stored_value: { enabled: false },
      })
      ids.memberCard = memberCard.id
      const members: Record<string, any> = {}
      for (const who of ['m-a', 'm-b', 'm-c', 'm-d', 'm-e']) members[who] = await call('POST', `/v1/member-cards/${memberCard.id}/members`, { user_id: who })
      let ref = 0
      const buy = (who: string, amount: number) => call('POST', `/v1/members/${members[who].id}/orders`, { order_ref: `o-${++ref}`, order_amount: amount })
      for (let i = 0; i < 3; i++) await buy('m-a', 20_000)
      await buy('m-b', 80_000)
      await buy('m-c', 1_000)
      // Two of the card's redeemers gave a profile with consent on another member card: a woman born in 1996, a man born in 1970.
      const profiled = await call('POST', '/v1/member-cards', {
        title: '资料会员卡',
        levels: [{ name: '普通会员', min_growth: 0 }],
        profile_fields: { gender: 'optional', birthday: 'optional' },
        stored_value: { enabled: false },
      })
      await call('POST', `/v1/member-cards/${profiled.id}/members`, { user_id: 'guest-1', profile: { gender: 'female', birthday: '1996-01-15' } })
      await call('POST', `/v1/member-cards/${profiled.id}/members`, { user_id: 'guest-4', profile: { gender: 'male', birthday: '1970-05-05' } })
      const gift = await call('POST', '/v1/cards', cash('会员回馈券', 500))
      ids.giftCard = gift.id
      titles[gift.id] = gift.title

      // An A/B test of two cards: everyone who gets the first variant redeems, nobody with the second.
      const b = await call('POST', '/v1/cards', cash('满100减10', 1000))
      const c = await call('POST', '/v1/cards', cash('满100减30', 3000))
      titles[b.id] = b.title
      titles[c.id] = c.title
      const experiment = await call('POST', '/v1/experiments', { name: '减10还是减30', variants: [{ card_id: b.id, weight: 1 }, { card_id: c.id, weight: 1 }] })
      ids.experiment = experiment.id
      ids.variants = [b.id, c.id]
      for (let i = 0; i < 24; i++) {
        const token = await walletToken(`ab-${i}`)
        const shown = await (await fetch(`${suite.server.base}/v1/claim/${experiment.token}`, { headers: { authorization: `Bearer ${token}` } })).json()
        const claimed = await fetch(`${suite.server.base}/v1/claim/${experiment.token}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'kabao-device': `ab-device-${i}` } })
        assert.equal(claimed.status, 201, await claimed.text())
        if (shown.card.id === b.id) await redeem(await codeOf(`ab-${i}`, b.id), 20_000)
      }
    },
  })
  const { assertNoConsoleErrors } = suite

  async function signedInPage(target: string): Promise<Page> {
    const page = await suite.openPage({ width: 1440, height: 900 }, { acceptDownloads: true })
    await suite.signIn(page, OWNER, target)
    return page
  }

  /** A CSV link of the page, fetched as the browser would with the staff session. */
  async function csvOf(page: Page, selector: string): Promise<string[]> {
    const href = await page.locator(selector).getAttribute('href')
    assert.ok(href, `${selector} has a link`)
    const { status, type, text } = await page.evaluate(async (url) => {
      const res = await fetch(url, { credentials: 'same-origin' })
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() }
    }, href)
    assert.equal(status, 200, `${href}: ${text}`)
    assert.match(type, /^text\/csv/, href)
    return text.replace(/\r\n$/, '').split('\r\n')
  }

  const walletToken = async (userId: string) => (await call('POST', '/v1/wallet-tokens', { user_id: userId })).token as string
  const codeOf = async (userId: string, cardId: string) => (await call('GET', `/v1/users/${userId}/coupons`)).data.find((c: any) => c.card_id === cardId).code as string
  const redeem = (code: string, orderAmount: number) => call('POST', '/v1/redemptions', { code, order_amount: orderAmount, store_id: ids.storeId })

  it('a card’s statistics: funnel, totals, cost and ROI, the daily trend, channel and campaign rows, as the API counts them', async () => {
    const page = await signedInPage(`/cards/${ids.card}`)
    await page.locator('[data-test=card-stats-link]').click()
    await page.waitForURL((url) => url.pathname === `/console/cards/${ids.card}/stats`)
    await page.getByRole('heading', { name: '满100减20 · 数据统计' }).waitFor()

    const stats = await call('GET', `/v1/stats/cards/${ids.card}`)
    const funnel = await call('GET', `/v1/stats/funnel?card_id=${ids.card}`)
    // The scenario's own counts first, so that a page agreeing with a wrong API still fails.
    assert.deepEqual([stats.views, stats.viewers, stats.claims, stats.claimers, stats.redemptions, stats.redeemers], [7, 5, 5, 5, 2, 2])
    assert.deepEqual([stats.discount_amount, stats.order_amount, stats.cost_per_redemption, stats.roi], [4000, 27_800, 2000, 6.95])
    assert.deepEqual(funnel.steps.map((s: any) => [s.name, s.users]), [['view', 5], ['claim', 5], ['redeem', 2]])

    const tile = (key: string) => page.locator(`[data-test=stat-${key}] .tile__value`)
    await tile('views').waitFor()
    const expectedTiles: Record<string, string> = {
      views: String(stats.views),
      viewers: String(stats.viewers),
      claims: String(stats.claims),
      claimers: String(stats.claimers),
      redemptions: String(stats.redemptions),
      redeemers: String(stats.redeemers),
      claim_rate: pct(stats.claim_rate),
      redemption_rate: pct(stats.redemption_rate),
      discount_amount: yuan(stats.discount_amount),
      order_amount: yuan(stats.order_amount),
      cost_per_redemption: yuan(stats.cost_per_redemption),
      roi: stats.roi.toFixed(2),
      shares: String(stats.shares),
      expired: String(stats.expired),
    }
    for (const [key, value] of Object.entries(expectedTiles)) assert.equal(await tile(key).textContent(), value, key)
    assert.equal(await tile('roi').textContent(), '6.95')
    assert.equal(await tile('cost_per_redemption').textContent(), '¥20.00')

    for (const step of funnel.steps) assert.equal(await page.locator(`[data-test=funnel-${step.name}] .funnel-steps__users`).textContent(), String(step.users), step.name)
    await page.locator('[data-test=funnel] canvas, .chart canvas').first().waitFor()

    const sum = (key: string) => stats.by_day.reduce((n: number, d: any) => n + d[key], 0)
    for (const key of ['views', 'claims', 'redemptions']) {
      assert.equal(await page.locator(`[data-test=trend-total-${key}]`).textContent(), String(sum(key)), key)
      assert.equal(sum(key), stats[key], `${key}: the days add up to the range`)
    }

    const channels = await rowsOf(page.locator('[data-test=by-channel]'))
    assert.deepEqual(
      channels,
      stats.by_channel.map((r: any) => [CHANNEL[r.channel] ?? r.channel, String(r.claims), String(r.redemptions), pct(r.redemption_rate), yuan(r.discount_amount), yuan(r.order_amount)]),
    )
    assert.deepEqual(stats.by_channel.map((r: any) => [r.channel, r.claims, r.redemptions]), [['claim_link', 3, 1], ['api', 2, 1]])
    const campaigns = await rowsOf(page.locator('[data-test=by-campaign]'))
    assert.deepEqual(
      campaigns,
      stats.by_campaign.map((r: any) => [r.channel ?? '未标记', r.campaign ?? '未标记', String(r.claims), String(r.redemptions), pct(r.redemption_rate), yuan(r.discount_amount), yuan(r.order_amount)]),
    )
    assert.equal(campaigns.length, 3)

    // Who redeemed: by gender and age band, as the API counts them.
    const profile = await call('GET', `/v1/stats/redeemers?card_id=${ids.card}&from=${stats.from}&to=${stats.to}`)
    assert.equal(profile.redeemers, 2)
    assert.deepEqual(Object.fromEntries(profile.by_gender.map((r: any) => [r.gender, r.redeemers])), { female: 1, male: 1, other: 0, unknown: 0 })
    assert.equal(profile.by_age_band.find((r: any) => r.age_band === 'unknown').redeemers, 0, 'both gave a birthday')
    assert.equal(profile.by_age_band.reduce((n: number, r: any) => n + r.redeemers, 0), 2)
    await page.locator('[data-test=redeemer-lead]', { hasText: `${profile.from} 至 ${profile.to} 核销过的 2 人` }).waitFor()
    assert.deepEqual(await rowsOf(page.locator('[data-test=by-gender]')), profile.by_gender.map((r: any) => [GENDER[r.gender], String(r.redeemers), pct(r.share)]))
    assert.deepEqual(await rowsOf(page.locator('[data-test=by-age-band]')), profile.by_age_band.map((r: any) => [AGE_BAND[r.age_band], String(r.redeemers), pct(r.share)]))
    assert.deepEqual((await csvOf(page, '[data-test=csv-by-gender]')).slice(1).map((line) => line.split(',').slice(0, 2)), profile.by_gender.map((r: any) => [r.gender, String(r.redeemers)]))
    assert.deepEqual((await csvOf(page, '[data-test=csv-by-age-band]')).slice(1).map((line) => line.split(',').slice(0, 2)), profile.by_age_band.map((r: any) => [r.age_band, String(r.redeemers)]))
    await assertAccessible(page, 'card statistics')
    await screenshot(page, 'analytics-01-card-stats')

    // Each list's CSV link answers the same rows.
    assert.equal((await csvOf(page, '[data-test=csv-by-day]')).length, stats.by_day.length + 1)
    const channelCsv = await csvOf(page, '[data-test=csv-by-channel]')
    assert.equal(channelCsv[0], 'channel,claims,redemptions,discount_amount,order_amount,redemption_rate')
    assert.deepEqual(channelCsv.slice(1).map((line) => line.split(',').slice(0, 3)), stats.by_channel.map((r: any) => [r.channel, String(r.claims), String(r.redemptions)]))
    assert.equal((await csvOf(page, '[data-test=csv-by-campaign]')).length, stats.by_campaign.length + 1)
    assert.deepEqual(await csvOf(page, '[data-test=csv-funnel]'), ['name,users', ...funnel.steps.map((s: any) => `${s.name},${s.users}`)])

    // A chosen range: the last seven days; the page asks for it and shows what the API answers for it.
    const to = stats.to as string
    const from = new Date(Date.parse(`${to}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10)
    const fromField = page.getByRole('combobox', { name: '开始日期' }).or(page.getByLabel('开始日期')).first()
    await fromField.fill(from)
    await fromField.press('Enter')
    await page.getByText(`${from} 至 ${to} 合计：`).waitFor()
    const week = await call('GET', `/v1/stats/cards/${ids.card}?from=${from}&to=${to}`)
    assert.equal(week.by_day.length, 7)
    assert.equal(await page.locator('[data-test=trend-total-claims]').textContent(), String(week.by_day.reduce((n: number, d: any) => n + d.claims, 0)))
    assert.equal(await tile('views').textContent(), String(week.views))
    assert.match((await page.locator('[data-test=csv-by-day]').getAttribute('href')) ?? '', new RegExp(`from=${from}&to=${to}`))
    assert.equal((await csvOf(page, '[data-test=csv-by-day]')).length, 8)
    assertNoConsoleErrors(page)
  })

  it('the programme on the dashboard: the funnel over all cards and the top cards, as the API counts them', async () => {
    const page = await signedInPage('/')
    const overview = await call('GET', '/v1/stats/overview?days=30')
    const funnel = await call('GET', `/v1/stats/funnel?from=${overview.from}&to=${overview.to}`)
    await page.locator('[data-test=programme-view] .funnel-steps__users').waitFor()
    for (const step of funnel.steps) assert.equal(await page.locator(`[data-test=programme-${step.name}] .funnel-steps__users`).textContent(), String(step.users), step.name)
    // 5 devices on the card's link, 24 signed-in visitors of the test; claimers 5 + 24; redeemers 2 + those of the first variant.
    assert.equal(funnel.steps[0].users, 29)
    assert.equal(funnel.steps[1].users, 29)
    assert.equal(await page.locator('[data-test=tile-month-claims] .tile__value').textContent(), String(overview.totals.claims))

    const top = [...overview.cards].sort((a: any, b: any) => b.issued_count - a.issued_count || b.redeemed_count - a.redeemed_count).slice(0, 10)
    const rows = await rowsOf(page.locator('[data-test=top-cards]'))
    assert.deepEqual(
      rows,
      top.map((c: any) => [c.title, String(c.issued_count), String(c.redeemed_count), pct(c.issued_count > 0 ? c.redeemed_count / c.issued_count : null)]),
    )
    assert.deepEqual((await csvOf(page, '[data-test=csv-programme-funnel]')).slice(1), funnel.steps.map((s: any) => `${s.name},${s.users}`))
    await assertAccessible(page, 'dashboard with the programme')
    await screenshot(page, 'analytics-02-dashboard')
    // A top card opens its statistics.
    await page.locator('[data-test=top-cards]').getByRole('link', { name: '满100减20' }).click()
    await page.waitForURL((url) => url.pathname === `/console/cards/${ids.card}/stats`)
    assertNoConsoleErrors(page)
  })

  it('member segments and figures: counts per segment, the members of one, issuing to it, growth, activity, points and spend', async () => {
    const page = await signedInPage('/member-analytics')
    const segments = await call('GET', `/v1/member-cards/${ids.memberCard}/segments`)
    const metrics = await call('GET', `/v1/member-cards/${ids.memberCard}/metrics`)
    assert.deepEqual(
      Object.fromEntries(segments.segments.filter((s: any) => s.members > 0).map((s: any) => [s.segment, s.members])),
      { high_value: 1, potential: 1, promising: 1, no_orders: 2 },
    )
    await page.locator('[data-test=rfm-grid]').waitFor()
    for (const name of SEGMENTS) {
      const segment = segments.segments.find((s: any) => s.segment === name)
      const cell = page.locator(`[data-test=segment-${name}]`)
      assert.equal(await cell.locator('[data-test=segment-members]').textContent(), String(segment.members), name)
      assert.equal(await cell.locator('.rfm__share').textContent(), pct(segment.share), name)
    }

    // Member figures.
    assert.deepEqual([metrics.members, metrics.new_members, metrics.active_members, metrics.member_spend.orders, metrics.member_spend.amount], [5, 5, 3, 5, 141_000])
    const metric = (key: string) => page.locator(`[data-test=metric-${key}] .tile__value`)
    await metric('members').waitFor()
    for (const [key, value] of Object.entries({
      members: String(metrics.members),
      new_members: String(metrics.new_members),
      member_growth_rate: pct(metrics.member_growth_rate),
      active_members: String(metrics.active_members),
      active_share: pct(metrics.active_share),
      points_earned: String(metrics.points_earned),
      points_exchanged: String(metrics.points_exchanged),
      points_exchange_rate: pct(metrics.points_exchange_rate),
    })) {
      assert.equal(await metric(key).textContent(), value, key)
    }
    for (const [row, spend] of [['member', metrics.member_spend], ['other', metrics.other_spend]] as const) {
      assert.equal(await page.locator(`[data-test=spend-${row}] [data-test=spend-orders]`).textContent(), String(spend.orders), row)
      assert.equal(await page.locator(`[data-test=spend-${row}] [data-test=spend-amount]`).textContent(), yuan(spend.amount), row)
    }
    const segmentCsv = await csvOf(page, '[data-test=csv-segments]')
    assert.deepEqual(segmentCsv.slice(1).map((line) => [line.split(',')[0], line.split(',')[5]]), segments.segments.map((s: any) => [s.segment, String(s.members)]))
    assert.equal((await csvOf(page, '[data-test=csv-metrics]')).length, metrics.by_day.length + 1)
    await assertAccessible(page, 'member analytics')
    await screenshot(page, 'analytics-03-segments')

    // A segment's members, listed; then a coupon to each of them.
    await page.locator('[data-test=segment-no_orders]').click()
    const list = page.locator('[data-test=segment-members-list]')
    await list.getByText('未消费会员（2 人）').waitFor()
    const listed = (await call('GET', `/v1/members?member_card_id=${ids.memberCard}&segment=no_orders`)).data.map((m: any) => m.user_id)
    assert.deepEqual(listed.sort(), ['m-d', 'm-e'])
    await list.locator('tbody tr.el-table__row').nth(1).waitFor()
    const shown = (await rowsOf(list)).map((r) => r[1]).sort()
    assert.deepEqual(shown, listed)
    assert.equal((await csvOf(page, '[data-test=csv-members]')).length, 3)

    await page.locator('[data-test=segment-issue]').click()
    const dialog = page.getByRole('dialog', { name: '给“未消费会员”发券' })
    await dialog.waitFor()
    await choose(page, '发放的卡券', '会员回馈券')
    await dialog.getByRole('button', { name: '发放' }).click()
    await page.getByText('已发放 2 张，失败 0 张').waitFor()
    for (const user of ['m-d', 'm-e']) assert.equal((await call('GET', `/v1/users/${user}/coupons`)).data.filter((c: any) => c.card_id === ids.giftCard).length, 1, user)
    for (const user of ['m-a', 'm-b']) assert.equal((await call('GET', `/v1/users/${user}/coupons`)).data.filter((c: any) => c.card_id === ids.giftCard).length, 0, user)
    await screenshot(page, 'analytics-04-segment-issued')
    assertNoConsoleErrors(page)
  })

  it('the RFM thresholds: changed in a dialog that refuses what the API would, then the segments as the API counts them', async () => {
    const page = await signedInPage('/member-analytics')
    await page.locator('[data-test=rfm-grid]').waitFor()
    await page.locator('[data-test=thresholds-kind]', { hasText: '默认标准' }).waitFor()
    await page.locator('[data-test=edit-thresholds]').click()
    const dialog = page.getByRole('dialog', { name: '会员分层标准' })
    await dialog.waitFor()
    const field = (name: string) => dialog.locator(`[data-test=threshold-${name}] input`).or(dialog.locator(`input[data-test=threshold-${name}]`)).first()
    const errorOf = (name: string) => dialog.locator('.el-form-item', { has: page.locator(`[data-test=threshold-${name}]`) }).locator('.el-form-item__error')
    // The dialog opens with the card's thresholds (the defaults).
    assert.deepEqual(
      [await field('window_days').inputValue(), await field('recency_days').inputValue(), await field('frequency').inputValue(), await field('monetary').inputValue()],
      ['365', '30', '3', '500'],
    )

    // A recency beyond the days counted, and an amount that is not money: each marked, nothing sent.
    await field('window_days').fill('20')
    await field('monetary').fill('0.001')
    await field('frequency').focus()
    await dialog.getByRole('button', { name: '保存' }).click()
    await errorOf('recency_days').filter({ hasText: '请填写 0 到统计天数（20）之间的天数' }).waitFor()
    await errorOf('monetary').filter({ hasText: '请输入至少 0.01 元的金额，最多两位小数' }).waitFor()
    assert.equal(await dialog.locator('.el-form-item__error').count(), 2)
    assert.equal((await call('GET', `/v1/member-cards/${ids.memberCard}/segment-thresholds`)).is_default, true, 'nothing was saved')
    await screenshot(page, 'analytics-07-thresholds-errors')

    // 90 days, recent within 10, frequent from 2 orders, high spend from ¥700.
    await field('window_days').fill('90')
    await field('recency_days').fill('10')
    await field('frequency').fill('2')
    await field('monetary').fill('700')
    await field('monetary').blur()
    await errorOf('recency_days').waitFor({ state: 'detached' })
    await errorOf('monetary').waitFor({ state: 'detached' })
    await assertAccessible(page, 'thresholds dialog')
    await dialog.getByRole('button', { name: '保存' }).click()
    await page.getByText('分层标准已保存').waitFor()
    await dialog.waitFor({ state: 'hidden' })
    const saved = await call('GET', `/v1/member-cards/${ids.memberCard}/segment-thresholds`)
    assert.deepEqual(saved, { member_card_id: ids.memberCard, window_days: 90, recency_days: 10, frequency: 2, monetary: 70_000, is_default: false })

    // The grid counts afresh: m-a (3 orders, ¥600) is no longer high on spend, m-b (1 order, ¥800) is.
    await page.locator('[data-test=thresholds-kind]', { hasText: '已自定义' }).waitFor()
    const segments = await call('GET', `/v1/member-cards/${ids.memberCard}/segments`)
    assert.deepEqual(segments.thresholds, { window_days: 90, recency_days: 10, frequency: 2, monetary: 70_000 })
    assert.deepEqual(
      Object.fromEntries(segments.segments.filter((s: any) => s.members > 0).map((s: any) => [s.segment, s.members])),
      { potential: 1, loyal: 1, promising: 1, no_orders: 2 },
    )
    await page.getByText('按最近 90 天的订单计算').waitFor()
    for (const name of SEGMENTS) {
      const segment = segments.segments.find((s: any) => s.segment === name)
      assert.equal(await page.locator(`[data-test=segment-${name}] [data-test=segment-members]`).textContent(), String(segment.members), name)
    }

    // The defaults come back with one click and a save.
    await page.locator('[data-test=edit-thresholds]').click()
    await dialog.waitFor()
    await dialog.locator('[data-test=threshold-defaults]').click()
    assert.equal(await field('window_days').inputValue(), '365')
    await dialog.getByRole('button', { name: '保存' }).click()
    await dialog.waitFor({ state: 'hidden' })
    const back = await call('GET', `/v1/member-cards/${ids.memberCard}/segment-thresholds`)
    assert.deepEqual([back.window_days, back.recency_days, back.frequency, back.monetary], [365, 30, 3, 50_000])
    await page.getByText('按最近 365 天的订单计算').waitFor()
    assertNoConsoleErrors(page)
  })

  it('A/B test results: per-variant funnel, p-value and leader as the API reckons them; stopping keeps the winner', async () => {
    const page = await signedInPage('/experiments')
    const results = await call('GET', `/v1/experiments/${ids.experiment}`)
    const [b] = ids.variants
    assert.equal(results.variants.reduce((n: number, v: any) => n + v.claims, 0), 24)
    assert.equal(results.variants.find((v: any) => v.card_id === b).redemption_rate, 1)
    assert.ok(results.p_value !== null && results.p_value < 0.05, String(results.p_value))
    assert.equal(results.leader, b)

    const row = page.locator('[data-test=experiments] tbody tr', { hasText: '减10还是减30' })
    await row.waitFor()
    assert.match((await row.textContent()) ?? '', /进行中/)
    await row.getByRole('button', { name: '查看“减10还是减30”的结果' }).click()
    const panel = page.locator('[data-test=experiment-results]')
    await panel.waitFor()
    const variants = await rowsOf(panel.locator('[data-test=experiment-variants]'))
    assert.deepEqual(
      variants,
      results.variants.map((v: any) => [`${titles[v.card_id]}${v.card_id === results.leader ? ' 领先' : ''}`, String(v.weight), String(v.views), String(v.claims), String(v.redemptions), pct(v.claim_rate), pct(v.redemption_rate)]),
    )
    assert.equal(await panel.locator('[data-test=experiment-p-value]').textContent(), results.p_value < 0.0001 ? '< 0.0001' : results.p_value.toFixed(4))
    assert.equal(await panel.locator('[data-test=experiment-leader]').textContent(), titles[b])
    assert.equal((await csvOf(page, '[data-test=csv-experiment]')).length, 3)
    await assertAccessible(page, 'experiment results')
    await screenshot(page, 'analytics-05-experiment')

    // Stop it, keeping the leader (chosen by default).
    await panel.locator('[data-test=experiment-stop]').click()
    await page.getByRole('dialog').getByRole('button', { name: '结束测试' }).click()
    await page.getByText(`测试已结束，保留“${titles[b]}”`).waitFor()
    assert.equal(await panel.locator('[data-test=experiment-status]').textContent(), '已结束')
    assert.equal(await panel.locator('[data-test=experiment-winner]').textContent(), titles[b])
    const stopped = await call('GET', `/v1/experiments/${ids.experiment}`)
    assert.deepEqual([stopped.status, stopped.winner_card_id], ['stopped', b])
    await row.getByText('已结束').waitFor()
    await screenshot(page, 'analytics-06-experiment-stopped')

    await choose(page, '语言', 'English')
    await page.getByRole('heading', { name: 'A/B tests' }).waitFor()
    assertNoConsoleErrors(page)
  })
})
