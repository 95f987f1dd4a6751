import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createSecrets } from '../../src/ports/secrets.ts'
import { decryptCode, encryptCode } from '../../src/features/wechat/wechat-encrypt-code.ts'

const secrets = createSecrets(Buffer.alloc(32, 7))

describe('scoped seals', () => {
  it('open only under the scope that sealed them, and under no other secret key', () => {
    const sealed = secrets.sealFor('wechat-encrypt-code:mch_a:1', 'code-1')
    assert.match(sealed, /^[A-Za-z0-9_-]+$/, 'URL-safe')
    assert.equal(secrets.unsealFor('wechat-encrypt-code:mch_a:1', sealed), 'code-1')
    assert.notEqual(secrets.sealFor('wechat-encrypt-code:mch_a:1', 'code-1'), sealed, 'a fresh IV each time')
    for (const scope of ['wechat-encrypt-code:mch_b:1', 'wechat-encrypt-code:mch_a:2', '']) assert.throws(() => secrets.unsealFor(scope, sealed), scope)
    assert.throws(() => secrets.unseal(sealed), 'not the installation-wide seal key')
    assert.throws(() => createSecrets(Buffer.alloc(32, 8)).unsealFor('wechat-encrypt-code:mch_a:1', sealed), 'another installation')
  })

  it('make encrypt_code per merchant and generation; the format of before opens only for its merchant, and only at generation 1', () => {
    const code = '12345678901234567890'
    const sealed = encryptCode(secrets, 'mch_a', 1, code)
    assert.equal(decryptCode(secrets, 'mch_a', 1, sealed), code)
    assert.equal(decryptCode(secrets, 'mch_b', 1, sealed), undefined)
    assert.equal(decryptCode(secrets, 'mch_a', 2, sealed), undefined)
    const legacy = secrets.seal(`mch_a\u0000${code}`)
    assert.equal(decryptCode(secrets, 'mch_a', 1, legacy), code)
    assert.equal(decryptCode(secrets, 'mch_b', 1, legacy), undefined)
    assert.equal(decryptCode(secrets, 'mch_a', 2, legacy), undefined)
    for (const bad of ['', 'bm9wZQ', 'x'.repeat(500), sealed.slice(0, -1)]) assert.equal(decryptCode(secrets, 'mch_a', 1, bad), undefined, bad)
  })
})
