// Runs the shared string/keyspace checks of test_cluster_clients.py with
// ioredis, as a plain client (new Redis) or a Cluster client (new
// Redis.Cluster), and prints the normalized results as JSON on stdout.
//
//   node cluster_clients.js plain|cluster PORT < checks.json
//
// checks.json: [{"name": ..., "op": ..., "args": [...]}, ...] (see the
// Python file for the ops). Each result is normalized the way the Python
// runners normalize theirs: "OK" for a successful SET/MSET, null for nil,
// numbers, strings, sorted arrays for KEYS/SCAN, "!<message>" for an error
// (a leading "ERR " dropped). The whole run is bounded by a timer.
'use strict';

const Redis = require('ioredis');

const mode = process.argv[2];
const port = parseInt(process.argv[3], 10);
const RUN_TIMEOUT_MS = 60000;

function readStdin() {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c) => { data += c; });
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('error', reject);
  });
}

function errText(e) {
  let m = String(e && e.message !== undefined ? e.message : e);
  if (m.startsWith('ERR ')) m = m.slice(4);
  return '!' + m;
}

function okText(r) {
  return r === 'OK' ? 'OK' : r;
}

async function scanAll(client, match) {
  // One SCAN iteration over one node, in both modes: ringkv's SCAN (like
  // KEYS and DBSIZE) covers the whole cluster from any node (DESIGN.md 5),
  // so scanning every master as with Redis Cluster would list each key once
  // per master. The README says so.
  const nodes = mode === 'cluster' ? [client.nodes('master')[0]] : [client];
  const keys = [];
  for (const node of nodes) {
    let cursor = '0';
    let rounds = 0;
    do {
      const args = [cursor];
      if (match) args.push('MATCH', match);
      args.push('COUNT', '10');
      const [next, batch] = await node.scan(...args);
      keys.push(...batch);
      cursor = next;
      if (++rounds > 100000) throw new Error('SCAN did not finish');
    } while (cursor !== '0');
  }
  return keys.sort();
}

async function runOp(client, op, args) {
  switch (op) {
    case 'set': return okText(await client.set(args[0], args[1]));
    case 'set_nx': return okText(await client.set(args[0], args[1], 'NX'));
    case 'set_ex': return okText(await client.set(args[0], args[1], 'EX', args[2]));
    case 'get': return await client.get(args[0]);
    case 'append': return await client.append(args[0], args[1]);
    case 'strlen': return await client.strlen(args[0]);
    case 'incr': return await client.incr(args[0]);
    case 'incrby': return await client.incrby(args[0], args[1]);
    case 'decr': return await client.decr(args[0]);
    case 'mset': {
      const flat = [];
      for (const [k, v] of args) flat.push(k, v);
      return okText(await client.mset(...flat));
    }
    case 'mget': return await client.mget(...args);
    case 'exists': return await client.exists(...args);
    case 'del': return await client.del(...args);
    case 'expire': return await client.expire(args[0], args[1]);
    case 'pexpire': return await client.pexpire(args[0], args[1]);
    case 'persist': return await client.persist(args[0]);
    case 'ttl': return await client.ttl(args[0]);
    case 'type': return await client.type(args[0]);
    case 'dbsize': return await client.dbsize();
    case 'keys': return (await client.keys(args[0])).sort();
    case 'scan': return await scanAll(client, args[0]);
    case 'sleep':
      await new Promise((r) => setTimeout(r, args[0] * 1000));
      return null;
    default: throw new Error('unknown op ' + op);
  }
}

async function main() {
  const checks = JSON.parse(await readStdin());
  const opts = { maxRetriesPerRequest: 0, enableOfflineQueue: true, connectTimeout: 10000,
                 commandTimeout: 15000, lazyConnect: false };
  let client;
  if (mode === 'cluster') {
    client = new Redis.Cluster([{ host: '127.0.0.1', port }],
                               { redisOptions: opts, enableReadyCheck: true,
                                 clusterRetryStrategy: () => null });
  } else if (mode === 'plain') {
    client = new Redis(port, '127.0.0.1', opts);
  } else {
    throw new Error('mode must be plain or cluster');
  }
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('ioredis did not become ready')), 15000);
    client.once('ready', () => { clearTimeout(t); resolve(); });
    client.once('error', (e) => { clearTimeout(t); reject(e); });
  });
  const results = [];
  for (const c of checks) {
    let r;
    try {
      r = await runOp(client, c.op, c.args);
    } catch (e) {
      r = errText(e);
    }
    if (c.op === 'ttl' && c.approx !== undefined && typeof r === 'number' &&
        r <= c.approx && r >= c.approx - 5) {
      r = '~' + c.approx;
    }
    results.push([c.name, r === undefined ? null : r]);
  }
  process.stdout.write(JSON.stringify(results));
  client.disconnect();
}

const timer = setTimeout(() => {
  process.stderr.write('cluster_clients.js: timed out\n');
  process.exit(3);
}, RUN_TIMEOUT_MS);
timer.unref();

main().then(() => process.exit(0), (e) => {
  process.stderr.write('cluster_clients.js: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exit(2);
});
