'use strict'
// KafkaJS suite of Strait's compatibility matrix (test/compat/run.sh): runs
// every operation of the matrix against one target (Kafka directly, or
// Strait in front of it) and appends one JSON line per cell to --out.
//
//   node suite.js --bootstrap HOST:PORT --target direct|gateway --kafka-version V \
//                 --expect-brokers HOST:PORT,... --out FILE.jsonl [--ops a,b]
//
// A failing cell is a result, not an error: the process exits 0 unless it
// cannot write its output.

const fs = require('fs')
const net = require('net')
const crypto = require('crypto')
const { Kafka, CompressionTypes, CompressionCodecs, ConfigResourceTypes, AssignerProtocol, logLevel } = require('kafkajs')

const OPS = [
  'metadata', 'produce-none', 'produce-gzip', 'produce-snappy', 'produce-lz4', 'produce-zstd', 'headers',
  'group-classic', 'group-consumer', 'idempotent', 'transactions',
  'admin-topics', 'admin-configs', 'admin-groups', 'admin-offsets', 'admin-partitions', 'share-group',
]
const CELL_TIMEOUT_MS = 45000
const GROUP_TIMEOUT_MS = 60000
const SUITE_BUDGET_MS = 140000
const GROUP_PARTITIONS = 4

function parseArgs (argv) {
  const args = {}
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i])
    if (!m) throw new Error(`unexpected argument ${argv[i]}`)
    args[m[1]] = m[2] !== undefined ? m[2] : argv[++i]
  }
  for (const k of ['bootstrap', 'target', 'kafka-version', 'expect-brokers', 'out']) {
    if (!args[k]) throw new Error(`--${k} is required`)
  }
  return args
}

const args = parseArgs(process.argv.slice(2))
const runId = crypto.randomBytes(4).toString('hex')
const expectBrokers = args['expect-brokers'].split(',').sort()
const kafkaMajor = parseInt(args['kafka-version'], 10)
const clientVersion = require('kafkajs/package.json').version

// Codecs beyond gzip come from separate packages; a codec that does not load
// makes its cell fail with the reason.
const codecErrors = {}
function loadCodecs () {
  try {
    const SnappyCodec = require('kafkajs-snappy')
    CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
  } catch (e) {
    codecErrors.snappy = `kafkajs-snappy did not load: ${e.message}`
  }
  try {
    const LZ4Codec = require('kafkajs-lz4')
    CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec
  } catch (e) {
    codecErrors.lz4 = `kafkajs-lz4 did not load (it needs the native lz4 module built at install): ${e.message}`
  }
  // @kafkajs/zstd (cppzst) does not build on current Node; this codec wraps
  // zstd-napi. Its CommonJS build is broken, so load the ES module.
  return import('@sensejs/kafkajs-zstd-support').catch(e => {
    codecErrors.zstd = `@sensejs/kafkajs-zstd-support did not load (it needs the native zstd-napi module built at install): ${e.message}`
  })
}

// Ops KafkaJS does not support.
const NOT_APPLICABLE = {
  'group-consumer': 'KafkaJS has no KIP-848 consumer group protocol',
  'share-group': 'KafkaJS has no share consumer (KIP-932)',
}

const created = { topics: [] }
const uniq = (kind, op) => `compat-${kind}-node-kafkajs-${op}-${args.target}-${runId}-${crypto.randomBytes(4).toString('hex')}`
const newTopicName = op => { const t = uniq('t', op); created.topics.push(t); return t }
const newGroupName = op => uniq('g', op)

const kafka = new Kafka({
  clientId: 'strait-compat-kafkajs',
  brokers: [args.bootstrap],
  connectionTimeout: 5000,
  requestTimeout: 15000,
  retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 2000 },
  logLevel: process.env.STRAIT_COMPAT_DEBUG ? logLevel.DEBUG : logLevel.NOTHING,
})

// prefixed labels the error of a step.
const prefixed = (what, p) => p.catch(e => {
  e.message = `${what}: ${e.message}`
  throw e
})

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// withTimeout rejects when p does not settle in ms.
function withTimeout (p, ms, what) {
  let timer
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000}s: ${what}`)), ms) }),
  ])
}

// Cells get a deadline; every helper that waits stops at it.
async function waitFor (deadline, what, cond) {
  let last
  for (;;) {
    try {
      if (await cond()) return
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`)
    await sleep(100)
  }
}

// Cleanup runs when a cell ends, however it ends.
async function scoped (fn) {
  const cleanups = []
  const defer = f => cleanups.push(f)
  try {
    return await fn(defer)
  } finally {
    for (const f of cleanups.reverse()) {
      try { await withTimeout(Promise.resolve().then(f), 10000, 'cleanup') } catch (e) { /* best effort */ }
    }
  }
}

async function connectedAdmin (defer) {
  const admin = kafka.admin()
  await admin.connect()
  defer(() => admin.disconnect())
  return admin
}

async function connectedProducer (defer, opts = {}) {
  const producer = kafka.producer({ allowAutoTopicCreation: false, ...opts })
  await producer.connect()
  defer(() => producer.disconnect())
  return producer
}

async function createTopic (admin, op, partitions, deadline) {
  const topic = newTopicName(op)
  // KafkaJS's waitForLeaders asks one broker and gives up when that broker
  // does not know the topic yet; waitTopicEverywhere waits properly.
  await prefixed('create topic', admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }], waitForLeaders: false, timeout: 15000 }))
  await waitTopicEverywhere(admin, topic, partitions, deadline)
  return topic
}

// Brokers learn of new topics and partitions a moment apart, and a KafkaJS
// client that asks a broker which does not know the topic yet fails: wait
// until every broker lists all partitions with a leader. KafkaJS sends
// metadata requests to any broker it knows, so the client for one broker
// connects to that broker whatever address it asks for.
async function waitTopicEverywhere (admin, topic, partitions, deadline) {
  const { brokers } = await admin.describeCluster()
  for (const b of brokers) {
    const socketFactory = ({ onConnect }) => net.connect({ host: b.host, port: b.port }, onConnect)
    const one = new Kafka({ clientId: 'strait-compat-kafkajs', brokers: [`${b.host}:${b.port}`], socketFactory, connectionTimeout: 5000, logLevel: logLevel.NOTHING })
    const a = one.admin()
    try {
      await a.connect()
      await waitFor(deadline, `broker ${b.nodeId} to list ${partitions} partitions of ${topic}`, async () => {
        const md = (await a.fetchTopicMetadata({ topics: [topic] })).topics[0]
        return md.partitions.length === partitions && md.partitions.every(p => p.leader >= 0)
      })
    } finally {
      await a.disconnect().catch(() => {})
    }
  }
}

function makeRecords (n, partitions, tag) {
  const out = []
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(3, '0')
    out.push({
      key: Buffer.from(`${tag}-key-${id}`),
      value: Buffer.from(`${tag} value ${id}; `.repeat(20)),
      headers: [['trace-id', Buffer.from(`trace-${tag}-${id}`)], ['bin', Buffer.from([0, i, 0xff, 10])]],
      partition: i % partitions,
    })
  }
  return out
}

function headerRecords () {
  const many = []
  for (let i = 0; i < 30; i++) many.push([`h${String(i).padStart(2, '0')}`, Buffer.from(`v${String(i).padStart(2, '0')}`)])
  return [
    { key: Buffer.from('dup'), value: Buffer.from('duplicate keys keep their order'), headers: [['k', Buffer.from('1')], ['k', Buffer.from('2')], ['k', Buffer.from('3')]] },
    { key: Buffer.from('empty'), value: Buffer.from('empty header value'), headers: [['empty', Buffer.alloc(0)], ['after', Buffer.from('x')]] },
    { key: Buffer.from('binary'), value: Buffer.from('binary header value'), headers: [['bin', Buffer.from([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff])]] },
    { key: Buffer.from('unicode'), value: Buffer.from('non-ASCII'), headers: [['ключ-キー', Buffer.from('значение-値-✓')]] },
    { key: Buffer.from('many'), value: Buffer.from('thirty headers'), headers: many },
    { key: Buffer.from('none'), value: Buffer.from('no headers'), headers: [] },
  ].map(r => ({ ...r, partition: 0 }))
}

// KafkaJS takes headers as an object; a repeated key takes an array.
function toKafkaHeaders (pairs) {
  const h = {}
  for (const [k, v] of pairs) {
    if (k in h) h[k] = [].concat(h[k], v)
    else h[k] = v
  }
  return h
}

function fromKafkaHeaders (h) {
  const pairs = []
  for (const [k, v] of Object.entries(h || {})) {
    for (const x of [].concat(v)) pairs.push([k, x === null || x === undefined ? Buffer.alloc(0) : Buffer.from(x)])
  }
  return pairs
}

const toMessage = r => ({ key: r.key, value: r.value, headers: toKafkaHeaders(r.headers), partition: r.partition })
const fromMessage = (partition, m) => ({ key: m.key, value: m.value, headers: fromKafkaHeaders(m.headers), partition, offset: Number(m.offset) })

const short = b => { const s = b ? b.toString() : String(b); return s.length > 40 ? s.slice(0, 40) + '...' : s }
const fmtHeaders = hs => '[' + hs.map(([k, v]) => `${k}=${JSON.stringify(short(v))}`).join(' ') + ']'

function compareRecords (want, got) {
  const byKey = new Map(want.map(r => [r.key.toString(), r]))
  const seen = new Map()
  const problems = []
  for (const g of got) {
    const k = g.key ? g.key.toString() : 'null'
    seen.set(k, (seen.get(k) || 0) + 1)
    const w = byKey.get(k)
    if (!w) problems.push(`unexpected key ${JSON.stringify(k)}`)
    else if (seen.get(k) > 1) problems.push(`key ${JSON.stringify(k)} consumed ${seen.get(k)} times`)
    else if (!w.value.equals(g.value)) problems.push(`key ${JSON.stringify(k)}: value ${JSON.stringify(short(g.value))}, want ${JSON.stringify(short(w.value))}`)
    else if (w.headers.length !== g.headers.length || w.headers.some(([hk, hv], i) => hk !== g.headers[i][0] || !hv.equals(g.headers[i][1]))) {
      problems.push(`key ${JSON.stringify(k)}: headers ${fmtHeaders(g.headers)}, want ${fmtHeaders(w.headers)}`)
    }
  }
  const missing = want.filter(w => !seen.has(w.key.toString())).length
  if (missing) problems.push(`${missing} of ${want.length} records not consumed`)
  if (problems.length) {
    const shown = problems.slice(0, 3)
    if (problems.length > 3) shown.push(`and ${problems.length - 3} more problems`)
    throw new Error(`consumed records differ: ${shown.join('; ')}`)
  }
}

async function produce (producer, topic, records, extra = {}) {
  await prefixed('produce', producer.send({ topic, acks: -1, messages: records.map(toMessage), ...extra }))
}

// A group member that collects what it consumes and tracks its assignment.
async function startMember (defer, groupId, topic, opts = {}) {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200,
    allowAutoTopicCreation: false,
    ...opts.consumer,
  })
  const m = { consumer, assigned: [], records: [], next: {}, error: null, stopped: false }
  consumer.on(consumer.events.GROUP_JOIN, e => {
    m.assigned = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b)
  })
  consumer.on(consumer.events.REBALANCING, () => { m.assigned = [] })
  consumer.on(consumer.events.CRASH, e => { m.error = e.payload.error })
  m.stop = async () => {
    if (!m.stopped) {
      m.stopped = true
      await consumer.disconnect() // leaves the group
    }
  }
  defer(m.stop)
  await prefixed('consumer connect', consumer.connect())
  await prefixed('consumer subscribe', consumer.subscribe({ topics: [topic], fromBeginning: true }))
  await consumer.run({
    autoCommit: opts.autoCommit !== undefined ? opts.autoCommit : false,
    eachMessage: async ({ partition, message }) => {
      m.records.push(fromMessage(partition, message))
      m.next[partition] = String(Number(message.offset) + 1)
    },
  })
  m.commit = () => consumer.commitOffsets(Object.entries(m.next).map(([partition, offset]) => ({ topic, partition: Number(partition), offset })))
  return m
}

async function collect (deadline, m, n, what) {
  await waitFor(deadline, `${what} to consume ${n} records`, () => {
    if (m.error) throw m.error
    return m.records.length >= n
  }).catch(e => { throw new Error(`${e.message} (has ${m.records.length}, assigned partitions [${m.assigned}])`) })
  return m.records.slice(0, n)
}

// Reads n records of topic from the beginning with a fresh group.
async function consumeAll (defer, deadline, topic, n, opts = {}) {
  const m = await startMember(defer, newGroupName('read'), topic, opts)
  const got = await collect(deadline, m, n, 'consumer')
  await m.stop()
  return got
}

async function roundTrip (deadline, op, records, partitions, producerOpts = {}, sendOpts = {}) {
  return scoped(async defer => {
    const admin = await connectedAdmin(defer)
    const topic = await createTopic(admin, op, partitions, deadline)
    const producer = await connectedProducer(defer, producerOpts)
    await produce(producer, topic, records, sendOpts)
    const got = await consumeAll(defer, deadline, topic, records.length)
    compareRecords(records, got)
  })
}

const holdsAll = (a, n) => a.length === n && a.every((p, i) => p === i)
const splitBetween = (a, b, n) => a.length > 0 && b.length > 0 && holdsAll([...a, ...b].sort((x, y) => x - y), n)

const cells = {
  async metadata () {
    return scoped(async defer => {
      const admin = await connectedAdmin(defer)
      const { brokers } = await admin.describeCluster()
      const got = brokers.map(b => `${b.host}:${b.port}`).sort()
      if (JSON.stringify(got) !== JSON.stringify(expectBrokers)) {
        throw new Error(`metadata lists brokers ${got.join(',')}, want ${expectBrokers.join(',')}`)
      }
    })
  },

  async headers (deadline) {
    return roundTrip(deadline, 'headers', headerRecords(), 1)
  },

  async 'group-classic' (deadline) {
    return scoped(async defer => {
      const admin = await connectedAdmin(defer)
      const topic = await createTopic(admin, 'group-classic', GROUP_PARTITIONS, deadline)
      const groupId = newGroupName('group-classic')
      const producer = await connectedProducer(defer)

      const a = await startMember(defer, groupId, topic)
      await waitFor(deadline, 'the first member to hold all partitions', () => holdsAll(a.assigned, GROUP_PARTITIONS))
      const b = await startMember(defer, groupId, topic)
      await waitFor(deadline, 'both members to be assigned', () => splitBetween(a.assigned, b.assigned, GROUP_PARTITIONS))
        .catch(e => { throw new Error(`${e.message} (first holds ${a.assigned}, second ${b.assigned})`) })
      await a.stop()
      await waitFor(deadline, 'the remaining member to take every partition', () => holdsAll(b.assigned, GROUP_PARTITIONS))
        .catch(e => { throw new Error(`${e.message} (holds ${b.assigned})`) })
      const before = makeRecords(8, GROUP_PARTITIONS, 'before')
      await produce(producer, topic, before)
      compareRecords(before, await collect(deadline, b, before.length, 'remaining member'))
      await b.commit()
      const fetched = await admin.fetchOffsets({ groupId, topics: [topic] })
      const offsets = fetched[0].partitions.map(p => `${p.partition}:${p.offset}`).sort()
      if (offsets.join(',') !== '0:2,1:2,2:2,3:2') throw new Error(`committed offsets ${offsets}, want 2 on each partition`)
      await b.stop()
      const c = await startMember(defer, groupId, topic)
      await waitFor(deadline, 'the new member to hold all partitions', () => holdsAll(c.assigned, GROUP_PARTITIONS))
      const after = makeRecords(4, GROUP_PARTITIONS, 'after')
      await produce(producer, topic, after)
      try {
        compareRecords(after, await collect(deadline, c, after.length, 'new member'))
      } catch (e) {
        throw new Error(`new member did not resume at the committed offsets: ${e.message}`)
      }
    })
  },

  async idempotent (deadline) {
    return roundTrip(deadline, 'idempotent', makeRecords(50, 3, 'idempotent'), 3, { idempotent: true, maxInFlightRequests: 1 })
  },

  async transactions (deadline) {
    return scoped(async defer => {
      const admin = await connectedAdmin(defer)
      const topic = await createTopic(admin, 'transactions', 1, deadline)
      const producer = await connectedProducer(defer, { transactionalId: uniq('x', 'transactions'), idempotent: true, maxInFlightRequests: 1 })
      const c1 = makeRecords(5, 1, 'commit1')
      const ab = makeRecords(5, 1, 'abort')
      const c2 = makeRecords(5, 1, 'commit2')
      for (const [i, [records, commit]] of [[c1, true], [ab, false], [c2, true]].entries()) {
        const txn = await producer.transaction()
        try {
          await txn.send({ topic, acks: -1, messages: records.map(toMessage) })
          if (commit) await txn.commit()
          else await txn.abort()
        } catch (e) {
          throw new Error(`transaction ${i + 1}: ${e.message}`)
        }
      }
      const got = await consumeAll(defer, deadline, topic, c1.length + c2.length, { consumer: { readUncommitted: false } })
      compareRecords([...c1, ...c2], got)
    })
  },

  async 'admin-topics' (deadline) {
    return scoped(async defer => {
      const admin = await connectedAdmin(defer)
      const topic = await createTopic(admin, 'admin-topics', 3, deadline)
      let md
      await waitFor(deadline, 'the new topic in metadata', async () => {
        md = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]
        return md.partitions.length === 3
      })
      for (const p of md.partitions) {
        if (p.leader < 0 || p.replicas.length !== 3) throw new Error(`describe: partition ${p.partitionId} has leader ${p.leader} and replicas ${p.replicas}`)
      }
      await admin.deleteTopics({ topics: [topic], timeout: 15000 })
      await waitFor(deadline, 'the deleted topic to leave metadata', async () => !(await admin.listTopics()).includes(topic))
    })
  },

  async 'admin-configs' (deadline) {
    return scoped(async defer => {
      const admin = await connectedAdmin(defer)
      const topic = await createTopic(admin, 'admin-configs', 1, deadline)
      const value = '7654321'
      // KafkaJS has AlterConfigs (not the incremental API).
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value }] }] })
      let last
      await waitFor(deadline, 'retention.ms to read back', async () => {
        const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] })
        const e = d.resources[0].configEntries.find(c => c.configName === 'retention.ms')
        last = e ? e.configValue : 'not listed'
        return last === value
      }).catch(e => { throw new Error(`${e.message}: retention.ms is ${last}, want ${value}`) })
    })
  },

  async 'admin-groups' (deadline) {
    return scoped(async defer => {
      const admin = await connectedAdmin(defer)
      const topic = await createTopic(admin, 'admin-groups', 2, deadline)
      const groupId = newGroupName('admin-groups')
      const m = await startMember(defer, groupId, topic)
      await waitFor(deadline, 'the member to be assigned', () => holdsAll(m.assigned, 2))
      const { groups } = await admin.listGroups()
      if (!groups.some(g => g.groupId === groupId)) throw new Error(`list: group ${groupId} not listed (${groups.length} groups listed)`)
      const d = (await admin.describeGroups([groupId])).groups[0]
      if (d.state !== 'Stable' || d.members.length !== 1) throw new Error(`describe: state ${d.state} with ${d.members.length} members, want Stable with 1`)
      const a = AssignerProtocol.MemberAssignment.decode(d.members[0].memberAssignment)
      if (!a || !a.assignment[topic] || a.assignment[topic].length !== 2) throw new Error(`describe: member assigned ${JSON.stringify(a && a.assignment)}, want 2 partitions of ${topic}`)
    })
  },

  async 'admin-offsets' (deadline) {
    return scoped(async defer => {
      const admin = await connectedAdmin(defer)
      const topic = await createTopic(admin, 'admin-offsets', 1, deadline)
      const producer = await connectedProducer(defer)
      await produce(producer, topic, makeRecords(10, 1, 'offsets'))
      const groupId = newGroupName('admin-offsets')
      const check = async (want, how, resolveOffsets) => {
        const f = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets })
        const got = f[0].partitions[0].offset
        if (got !== want) throw new Error(`fetch offsets after ${how}: got ${got}, want ${want}`)
      }
      await admin.resetOffsets({ groupId, topic, earliest: true })
      await check('0', 'resetting to earliest', true)
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }] })
      await check('3', 'setting 3', false)
      const m = await startMember(defer, groupId, topic)
      const got = await collect(deadline, m, 1, 'member')
      if (got[0].offset !== 3) throw new Error(`member started at offset ${got[0].offset}, want the committed 3`)
    })
  },

  async 'admin-partitions' (deadline) {
    return scoped(async defer => {
      const admin = await connectedAdmin(defer)
      const topic = await createTopic(admin, 'admin-partitions', 1, deadline)
      await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }], timeout: 15000 })
      await waitTopicEverywhere(admin, topic, 3, deadline)
      const producer = await connectedProducer(defer)
      const want = [{ key: Buffer.from('p2'), value: Buffer.from('to the new partition'), headers: [], partition: 2 }]
      await produce(producer, topic, want)
      const got = await consumeAll(defer, deadline, topic, 1)
      if (got[0].partition !== 2) throw new Error(`record came back from partition ${got[0].partition}`)
      compareRecords(want, got)
    })
  },
}

for (const [name, type] of Object.entries({ none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD })) {
  cells[`produce-${name}`] = async deadline => {
    if (codecErrors[name]) throw new Error(codecErrors[name])
    return roundTrip(deadline, `produce-${name}`, makeRecords(50, 3, name), 3, {}, { compression: type })
  }
}

const clip = s => { s = String(s).replace(/\s+/g, ' ').trim(); return s.length > 600 ? s.slice(0, 600) + '...' : s }

function describeError (e) {
  let s = e && e.message ? e.message : String(e)
  if (e && e.type && !s.includes(e.type)) s = `${e.type}: ${s}`
  if (e && e.cause && e.cause.message) s += ` (cause: ${e.cause.message})`
  if (e && e.originalError && e.originalError.message) s += ` (${e.originalError.message})`
  return s
}

async function main () {
  await loadCodecs()
  const only = args.ops ? args.ops.split(',') : null
  const budgetEnd = Date.now() + SUITE_BUDGET_MS
  const out = fs.openSync(args.out, 'a')
  for (const op of OPS) {
    if (only && !only.includes(op)) continue
    const limit = Math.min(Date.now() + (op.startsWith('group') || op === 'admin-groups' ? GROUP_TIMEOUT_MS : CELL_TIMEOUT_MS), budgetEnd)
    const start = Date.now()
    let status = 'pass'
    let detail = ''
    if (NOT_APPLICABLE[op]) {
      status = 'n/a'
      detail = NOT_APPLICABLE[op]
    } else if (limit - start < 5000) {
      status = 'fail'
      detail = "not run: the suite's time budget is used up"
    } else {
      try {
        await withTimeout(cells[op](limit), limit - start + 2000, `${op} did not finish`)
      } catch (e) {
        status = 'fail'
        detail = clip(describeError(e))
      }
    }
    const line = { suite: 'node', client: 'kafkajs', client_version: clientVersion, op, status, detail }
    fs.writeSync(out, JSON.stringify(line) + '\n')
    console.log(`${op.padEnd(16)} ${status.padEnd(4)} ${((Date.now() - start) / 1000).toFixed(1).padStart(5)}s ${detail}`)
  }
  fs.closeSync(out)
  // Best-effort cleanup of the topics this run created.
  try {
    await scoped(async defer => {
      const admin = await connectedAdmin(defer)
      await withTimeout(admin.deleteTopics({ topics: created.topics, timeout: 10000 }), 12000, 'delete topics')
    })
  } catch (e) { /* best effort */ }
}

main().then(() => process.exit(0), e => {
  console.error(e)
  process.exit(1)
})
