import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { walletCellsOf, withEncryptCode } from './wechat-cards.ts'

describe('WeChat link cells in the wallet', () => {
  it('reads center, custom and promotion cells in WeChat’s order, whatever the type key', () => {
    const definition = {
      card_type: 'GIFT',
      kabao_permanent: false,
      gift: { base_info: { promotion_url_name: 'More', promotion_url: 'https://a.example/p', custom_url_name: ' Use ', custom_url: 'https://a.example/u', custom_url_sub_title: 'at the till', center_title: 'Go', center_url: 'http://a.example/c', center_sub_title: '' } },
    }
    assert.deepEqual(walletCellsOf(definition), [
      { kind: 'center', name: 'Go', tips: null, url: 'http://a.example/c' },
      { kind: 'custom', name: 'Use', tips: 'at the till', url: 'https://a.example/u' },
      { kind: 'promotion', name: 'More', tips: null, url: 'https://a.example/p' },
    ])
  })

  it('leaves out cells without a name, without a URL, or with another scheme', () => {
    const base = { custom_url_name: 'x', custom_url: 'javascript:alert(1)', promotion_url: 'https://a.example', center_title: 'c', center_url: 'data:text/html,hi' }
    assert.deepEqual(walletCellsOf({ cash: { base_info: base } }), [])
    assert.deepEqual(walletCellsOf(null), [])
    assert.deepEqual(walletCellsOf({ cash: { base_info: 'nope' } }), [])
  })

  it('appends encrypt_code and card_id, keeping the URL’s own query and fragment', () => {
    const url = new URL(withEncryptCode('https://a.example/use?from=card&card_id=old#top', 'abc-_DEF', 'crd_1'))
    assert.equal(url.pathname, '/use')
    assert.equal(url.hash, '#top')
    assert.deepEqual([...url.searchParams.entries()], [['from', 'card'], ['card_id', 'crd_1'], ['encrypt_code', 'abc-_DEF']])
  })
})
