// A parking system talking to parkd from Node.js 20 with sm-crypto 0.5.8:
// login, heartbeat, a picture (multipart), parkInfo and enterRecord
// (signed calls), an SM4-encrypted exitRecord, and the downlink receiver
// for reservation and cancelReservation. The wire contract is
// docs/protocol.md; docs/vendors/javascript.md explains each step.
//
// Run (after `npm ci` in this folder):
//   PARKD_URL=https://127.0.0.1:8443 PARKD_CA=../../../data/tls/cert.pem \
//   PARKD_USER_ID=szpark001 PARKD_PASSWORD='Parking@2024' PARKD_PHOTO=photo.jpg \
//   [PARKD_DATA_KEY=<32 hex>] [PARKD_LISTEN=127.0.0.1:9090 PARKD_DOWNLINK_TOKEN=...] \
//   [PARKD_PARK_CODE=<32 characters>] node example.js
// With PARKD_LISTEN it then serves the downlink until standard input is
// closed (Ctrl-D) or the process is stopped, heartbeating every 30 s.
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const http = require('node:http')
const https = require('node:https')
const { sm3, sm4 } = require('sm-crypto')

function setting (name, required = true) {
  const v = process.env[name]
  if (!v && required) {
    console.error(`set ${name} (see the comment at the top of example.js)`)
    process.exit(2)
  }
  return v || ''
}

const cfg = {
  url: new URL(setting('PARKD_URL')),
  ca: setting('PARKD_CA', false), // the platform's certificate (PEM); trusted, not ignored
  userId: setting('PARKD_USER_ID'),
  password: setting('PARKD_PASSWORD'),
  photo: setting('PARKD_PHOTO'),
  dataKey: setting('PARKD_DATA_KEY', false), // 32 hex digits: the account's SM4 key
  listen: setting('PARKD_LISTEN', false), // host:port of the downlink receiver
  downlinkToken: setting('PARKD_DOWNLINK_TOKEN', false),
  parkCode: setting('PARKD_PARK_CODE', false) || uuid()
}

// --- the protocol's building blocks (docs/protocol.md §2, §3, §5, §7) ---

// uuid returns a table 1 Uuid: 32 characters of [0-9a-f], no hyphens.
function uuid () { return crypto.randomBytes(16).toString('hex') }

// sign is SM3 of the exact text of `data` as 64 lowercase hex digits.
// sm3() takes a string as UTF-8 (or an array of bytes) and returns hex.
function sign (text) { return sm3(text) }

// passwordDigest is login's password: Base64 of the 32-byte SM3 digest.
// Trap: sm3() returns hex; Base64 of that hex text is 88 characters and
// login answers 1004. Decode the hex to bytes first.
function passwordDigest (plaintext) {
  return Buffer.from(sm3(plaintext), 'hex').toString('base64')
}

// encryptData is the `data` string of an encrypted request:
// Base64(IV ‖ SM4-CBC-PKCS#7(key, plaintext)). Traps: sm4.encrypt is ECB
// unless mode is 'cbc' (and then ignores nothing but needs iv as hex), and
// returns hex unless output is 'array'.
function encryptData (keyHex, plaintext, iv = crypto.randomBytes(16)) {
  const ct = sm4.encrypt(plaintext, keyHex, { mode: 'cbc', iv: iv.toString('hex'), padding: 'pkcs#7', output: 'array' })
  return Buffer.concat([iv, Buffer.from(ct)]).toString('base64')
}

// cst formats a time as a DateTime in China Standard Time (UTC+8),
// whatever this machine's zone.
function cst (date) {
  return new Date(date.getTime() + 8 * 3600e3).toISOString().slice(0, 19).replace('T', ' ')
}

// knownAnswers checks this library against docs/protocol.md §10 before
// anything goes on the wire.
function knownAnswers () {
  const checks = [
    [passwordDigest('Parking@2024'), 'saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0='],
    [sign('[{"userId":"szpark001","password":"saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0="}]'),
      'ceae4863d7ba2b4869fd1f8f63d6caf746ad31060657b9e824442c20b2e32c39'],
    [sign('[{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","plateNo":"粤B12345","enterTime":"2024-01-01 08:30:00","entryCarPhotoId":"11112222333344445555666677778888","entranceCode":"GATE01"}]'),
      '5b65407061adcfcfc06d82b210e252089401101a4e5cfd69f3573d2f66676bdd'],
    [encryptData('0123456789abcdeffedcba9876543210', '[{"a":1}]', Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex')),
      'AAECAwQFBgcICQoLDA0OD6SM7clF7YxEdPupgBqpx64=']
  ]
  for (const [got, want] of checks) {
    if (got !== want) throw new Error(`known answer: got ${got}, want ${want}`)
  }
}

// --- HTTPS with the platform's certificate trusted ---

function post (path, body, headers) {
  const u = new URL(path, cfg.url)
  const mod = u.protocol === 'https:' ? https : http
  const options = { method: 'POST', headers: { 'Content-Length': body.length, ...headers } }
  if (cfg.ca) options.ca = fs.readFileSync(cfg.ca) // or NODE_EXTRA_CA_CERTS=cert.pem
  return new Promise((resolve, reject) => {
    const req = mod.request(u, options, res => {
      const chunks = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        try { resolve(JSON.parse(text)) } catch (e) { reject(new Error(`HTTP ${res.statusCode}: ${text}`)) }
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

// call sends items to an uplink interface and returns the answer's data.
// The body is assembled from the very text that was signed: serialise
// once, sign, splice. Never pretty-print or re-serialise `data` after
// signing (code 6). timestamp is milliseconds (seconds: code 4).
async function call (code, items, { token, encrypt } = {}) {
  const text = JSON.stringify(items)
  const headers = { 'Content-Type': 'application/json' }
  if (token) headers.authorization = token
  let data = text
  let signed = text
  if (encrypt) {
    signed = encryptData(cfg.dataKey, text) // Base64 has no characters JSON escapes
    data = JSON.stringify(signed)
    headers.encrypted = '0' // the standard's inverted meaning: 0 = encrypted
  }
  const body = Buffer.from(`{"timestamp":${Date.now()},"sign":"${sign(signed)}","version":"1.0.0","data":${data}}`, 'utf8')
  const resp = await post('/dataReceive/v1/' + code, body, headers)
  if (resp.code !== 0) throw new Error(`${code}: code ${resp.code} ${resp.message}`)
  return resp.data
}

// picture sends a photo as multipart/form-data (docs/protocol.md §6): the
// sign is SM3 of the file's bytes.
async function picture (token, id, imageBizType, file) {
  const bytes = fs.readFileSync(file)
  const boundary = '----parkd' + uuid()
  const fields = {
    timestamp: String(Date.now()), sign: sm3(Array.from(bytes)), version: '1.0.0', parkCode: cfg.parkCode,
    id, fileName: 'photo.jpg', imageBizType: String(imageBizType), pickTime: String(Date.now())
  }
  const parts = []
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8'))
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`, 'utf8'))
  parts.push(bytes, Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'))
  const resp = await post('/dataReceive/v1/picture', Buffer.concat(parts),
    { 'Content-Type': `multipart/form-data; boundary=${boundary}`, authorization: token })
  if (resp.code !== 0) throw new Error(`picture: code ${resp.code} ${resp.message}`)
  return resp.data[0].id
}

// --- the downlink receiver (docs/protocol.md §8) ---

// rawMember returns the text of a top-level member of a JSON object
// exactly as it stands, which is what the sign covers.
function rawMember (text, name) {
  let i = 0
  const ws = () => { while (' \t\r\n'.includes(text[i])) i++ }
  const str = () => { const s = i++; while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1; i++; return JSON.parse(text.slice(s, i)) }
  const value = () => {
    const s = i
    let depth = 0
    for (; i < text.length; i++) {
      const c = text[i]
      if (c === '"') { str(); i--; continue }
      if (c === '{' || c === '[') depth++
      else if (c === '}' || c === ']') { if (depth === 0) break; depth-- } else if (c === ',' && depth === 0) break
    }
    return text.slice(s, i).trim()
  }
  ws()
  if (text[i++] !== '{') return undefined
  for (;;) {
    ws()
    if (text[i] !== '"') return undefined
    const key = str()
    ws()
    if (text[i++] !== ':') return undefined
    ws()
    const v = value()
    if (key === name) return v
    ws()
    if (text[i++] !== ',') return undefined
  }
}

function answer (res, code, message, data = []) {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify({ code, message, timestamp: Date.now(), data }))
}

const held = new Map() // bookCode -> order: the spaces this lot holds

function receive (req, res) {
  const chunks = []
  req.on('data', c => chunks.push(c))
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8')
    const code = req.url.replace('/dataReceive/v1/', '')
    if (req.method !== 'POST' || (code !== 'reservation' && code !== 'cancelReservation')) {
      return answer(res, 2, '接口通用格式错误')
    }
    const token = Buffer.from(req.headers.authorization || '')
    const want = Buffer.from(cfg.downlinkToken)
    if (token.length !== want.length || !crypto.timingSafeEqual(token, want)) {
      console.log(`${code}: refused, code 5 (wrong downlink token)`)
      return answer(res, 5, 'Token校验失败')
    }
    let env
    try { env = JSON.parse(text) } catch (e) { return answer(res, 2, '接口通用格式错误') }
    const data = rawMember(text, 'data')
    if (!data || typeof env.sign !== 'string' || sign(data) !== env.sign.toLowerCase()) {
      console.log(`${code}: refused, code 6 (sign does not match data)`)
      return answer(res, 6, 'sign参数校验失败')
    }
    const items = Array.isArray(env.data) ? env.data : [env.data]
    const out = []
    for (const it of items) {
      if (typeof it.bookCode !== 'string' || it.bookCode === '') return answer(res, 4, '参数错误: bookCode is required')
      if (code === 'reservation') {
        const known = held.has(it.bookCode) && it.operateType !== 2
        held.set(it.bookCode, it)
        console.log(`reservation ${it.bookCode} ${it.plateNo} ${it.bookTime} operateType ${it.operateType}: answered ${known ? 1201 : 0}`)
        if (known) return answer(res, 1201, '预约编码已存在')
      } else {
        if (!held.delete(it.bookCode)) {
          console.log(`cancelReservation ${it.bookCode}: answered 1104`)
          return answer(res, 1104, '预约订单不存在')
        }
        console.log(`cancelReservation ${it.bookCode}: answered 0`)
      }
      out.push({ bookCode: it.bookCode })
    }
    answer(res, 0, '成功', out)
  })
}

// --- the run ---

async function main () {
  knownAnswers()
  console.log('known answers: ok')

  const [{ accessToken: token }] = await call('login', [{ userId: cfg.userId, password: passwordDigest(cfg.password) }])
  console.log(`login: code 0, accessToken of ${token.length} characters`)

  const [{ timestamp }] = await call('heartBeats', [{ requestTime: cst(new Date()) }], { token })
  console.log(`heartBeats: code 0, platform clock ${timestamp} (ours differs by ${Date.now() - timestamp} ms)`)

  // The tariff board's picture first: parkInfo cites it as imageId.
  const tariff = uuid()
  console.log(`picture ${await picture(token, tariff, 1, cfg.photo)}: code 0`)

  const [park] = await call('parkInfo', [{
    parkName: '示例停车场', parkCode: cfg.parkCode, permitNo: '', parkType: 1, address: '深圳市福田区示例路1号',
    longitude: 114.0579, latitude: 22.5431, areaCode: '440304', serviceType: 4, bizStatus: 1, totalSpaces: 200,
    reservable: 1, reservableSpaces: 10, totalReservableCharingSpaces: 0, imageId: tariff,
    publicInfos: [{ type: 1, startTime: '00:00:00', endTime: '23:59:59' }]
  }], { token })
  console.log(`parkInfo: code 0, isvParkId ${park.isvParkId}`)

  const photo = uuid()
  console.log(`picture ${await picture(token, photo, 4, cfg.photo)}: code 0`)

  const id = uuid()
  const now = new Date()
  const [entry] = await call('enterRecord', [{
    parkCode: cfg.parkCode, id, plateNo: '粤B12345', enterTime: cst(new Date(now.getTime() - 3600e3)),
    entryCarPhotoId: photo, entranceCode: 'GATE01', carModel: 2, plateColor: 1
  }], { token })
  console.log(`enterRecord: code 0, id ${entry.id}`)

  if (cfg.dataKey) {
    const [exit] = await call('exitRecord', [{
      parkCode: cfg.parkCode, id, plateNo: '粤B12345', leaveTime: cst(now), exitCarPhotoId: photo, exitCode: 'GATE02'
    }], { token, encrypt: true })
    console.log(`exitRecord (encrypted): code 0, id ${exit.id}`)
  }

  if (!cfg.listen) {
    console.log('done')
    return
  }
  const [host, port] = [cfg.listen.slice(0, cfg.listen.lastIndexOf(':')), Number(cfg.listen.slice(cfg.listen.lastIndexOf(':') + 1))]
  const server = http.createServer(receive)
  await new Promise(resolve => server.listen(port, host, resolve))
  console.log(`downlink: listening on http://${cfg.listen}`)
  const beat = setInterval(() => {
    call('heartBeats', [{ requestTime: cst(new Date()) }], { token }).catch(e => console.error(`heartBeats: ${e.message}`))
  }, 30e3)
  process.stdin.resume()
  process.stdin.on('end', () => {
    clearInterval(beat)
    server.close(() => console.log('done'))
    server.closeAllConnections()
  })
}

main().catch(e => {
  console.error(e.message)
  process.exit(1)
})
