import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { poiIdsOfStores, storeIdsOfLocations } from './wechat-locations.ts'

const pois = [{ store_id: 'str_a', poi_id: 1 }, { store_id: 'str_b', poi_id: 2 }, { store_id: 'str_c', poi_id: 3 }]

describe('WeChat location ids and Kabao stores', () => {
  it('reads POI ids as numbers or decimal strings, and store ids as they are, dropping duplicates', () => {
    assert.deepEqual(storeIdsOfLocations([2, '3', ' 1 ', 'str_b', 'str_a'], pois), { ok: true, storeIds: ['str_b', 'str_c', 'str_a'] })
    assert.deepEqual(storeIdsOfLocations([], pois), { ok: true, storeIds: [] })
  })

  it('names the first entry that is no store of the merchant', () => {
    assert.deepEqual(storeIdsOfLocations([1, 4], pois), { ok: false, unknown: '4' })
    assert.deepEqual(storeIdsOfLocations(['str_x'], pois), { ok: false, unknown: 'str_x' })
    for (const bad of [0, -1, 1.5, 2 ** 60, '1e3', '0x2', '', '01x']) assert.equal(storeIdsOfLocations([bad], pois).ok, false, String(bad))
    assert.deepEqual(storeIdsOfLocations(['0002'], pois), { ok: true, storeIds: ['str_b'] }, 'leading zeros are still the number')
  })

  it('answers POI ids in the order of the stores, leaving out stores not numbered', () => {
    assert.deepEqual(poiIdsOfStores(['str_c', 'str_a', 'str_new'], pois), [3, 1])
    assert.deepEqual(poiIdsOfStores([], pois), [])
  })

  it('maps both ways without loss', () => {
    const read = storeIdsOfLocations(poiIdsOfStores(['str_b', 'str_c'], pois), pois)
    assert.deepEqual(read, { ok: true, storeIds: ['str_b', 'str_c'] })
  })
})
