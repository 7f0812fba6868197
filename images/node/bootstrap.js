// hearth's Node runtime: a Lambda Runtime API client.
//
// Started by hearth-agent inside the sandbox with AWS_LAMBDA_RUNTIME_API
// set.  It loads the handler named by _HANDLER ("file.export", relative to
// /var/task; .js, .cjs or .mjs), then loops: GET the next event, call the
// handler (async, promise-returning or callback style), POST the result or
// a Lambda-shaped error.  HTTP/1.1 is spoken by hand over one keep-alive
// socket: the http module costs more per request than the agent does.
// With HEARTH_PREWARM set (a pool sandbox) it first waits on
// GET /2018-06-01/runtime/hearth/config for its function's environment.
'use strict';
const net = require('net');
const fs = require('fs');
const path = require('path');

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const PREFIX = '/2018-06-01/runtime';

class RuntimeClient {
  constructor() {
    this.sock = net.connect({ host: HOST, port: Number(PORT), noDelay: true });
    this.buf = Buffer.alloc(0);
    this.waiters = [];
    this.sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.poke(); });
    this.sock.on('error', (e) => { process.stderr.write(`runtime API: ${e.message}\n`); process.exit(1); });
    this.sock.on('close', () => process.exit(1));
  }
  poke() {
    while (this.waiters.length && this.parseOne()) { /* replies in order */ }
  }
  parseOne() {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const head = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const headers = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] || 0);
    if (this.buf.length < end + 4 + len) return false;
    const body = this.buf.subarray(end + 4, end + 4 + len);
    this.buf = this.buf.subarray(end + 4 + len);
    this.waiters.shift()({ status: Number(head[0].split(' ')[1]), headers, body });
    return true;
  }
  static encode(method, p, body, extra) {
    const b = body ? Buffer.from(body) : Buffer.alloc(0);
    let h = `${method} ${p} HTTP/1.1\r\nHost: runtime\r\nContent-Length: ${b.length}\r\n`;
    for (const [k, v] of Object.entries(extra || {})) h += `${k}: ${v}\r\n`;
    return Buffer.concat([Buffer.from(h + '\r\n', 'latin1'), b]);
  }
  request(method, p, body, extra) {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.sock.write(RuntimeClient.encode(method, p, body, extra));
    });
  }
  // POST a result and ask for the next event in one write (HTTP
  // pipelining): one round trip less per invocation.
  postThenNext(p, body) {
    return new Promise((resolve) => {
      this.waiters.push(() => {});
      this.waiters.push(resolve);
      this.sock.write(Buffer.concat([RuntimeClient.encode('POST', p, body),
        RuntimeClient.encode('GET', `${PREFIX}/invocation/next`)]));
    });
  }
}

function errorBody(err, type) {
  const e = err instanceof Error ? err : new Error(String(err));
  return JSON.stringify({
    errorType: type || e.name || 'Error',
    errorMessage: e.message,
    trace: (e.stack || '').split('\n'),
    stackTrace: (e.stack || '').split('\n').slice(1).map((s) => s.trim()),
  });
}

async function loadHandler(spec) {
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${spec}`), { name: 'Runtime.MalformedHandlerName' });
  const file = spec.slice(0, dot);
  const name = spec.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT || '/var/task';
  let mod;
  for (const ext of ['.js', '.cjs', '.mjs']) {
    const full = path.resolve(root, file + ext);
    if (!fs.existsSync(full)) continue;
    mod = ext === '.mjs' ? await import(full) : require(full);
    break;
  }
  if (mod === undefined)
    throw Object.assign(new Error(`Cannot find module '${file}'`), { name: 'Runtime.ImportModuleError' });
  const fn = mod[name] !== undefined ? mod[name] : (mod.default && mod.default[name]);
  if (typeof fn !== 'function')
    throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return fn;
}

function invokeHandler(fn, event, context) {
  return new Promise((resolve, reject) => {
    let done = false;
    const cb = (err, res) => { if (done) return; done = true; err ? reject(err) : resolve(res); };
    context.done = cb;
    context.succeed = (r) => cb(null, r);
    context.fail = (e) => cb(e);
    try {
      const r = fn(event, context, cb);
      if (r && typeof r.then === 'function') r.then((v) => cb(null, v), (e) => cb(e));
      else if (fn.length < 3) cb(null, r);
    } catch (e) { cb(e); }
  });
}

async function main() {
  const client = new RuntimeClient();
  if (process.env.HEARTH_PREWARM) {
    // A pool sandbox: wait for the function's environment.
    const cfg = await client.request('GET', `${PREFIX}/hearth/config`);
    delete process.env.HEARTH_PREWARM;
    for (const line of cfg.body.toString().split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) process.env[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  process.chdir(process.env.LAMBDA_TASK_ROOT || '/var/task');
  let fn;
  try {
    fn = await loadHandler(process.env._HANDLER || '');
  } catch (e) {
    const type = e.name && e.name.startsWith('Runtime.') ? e.name
      : (e instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError' : 'Runtime.ImportModuleError');
    process.stderr.write(`[ERROR] ${type}: ${e.message}\n`);
    await client.request('POST', `${PREFIX}/init/error`, errorBody(e, type),
      { 'Lambda-Runtime-Function-Error-Type': type });
    process.exit(1);
  }
  let next = await client.request('GET', `${PREFIX}/invocation/next`);
  for (;;) {
    const h = next.headers;
    const id = h['lambda-runtime-aws-request-id'];
    const deadline = Number(h['lambda-runtime-deadline-ms'] || 0);
    const context = {
      awsRequestId: id,
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION || '$LATEST',
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let event;
    try { event = next.body.length ? JSON.parse(next.body.toString()) : null; } catch (e) { event = next.body.toString(); }
    let path, body;
    try {
      const result = await invokeHandler(fn, event, context);
      path = `${PREFIX}/invocation/${id}/response`;
      body = result === undefined ? 'null' : JSON.stringify(result);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      process.stderr.write(`[ERROR] ${err.name}: ${err.message}\n${err.stack || ''}\n`);
      path = `${PREFIX}/invocation/${id}/error`;
      body = errorBody(err);
    }
    next = await client.postThenNext(path, body);
  }
}

main();
