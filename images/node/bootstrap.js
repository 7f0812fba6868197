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
//
// As Lambda's runtime does, it replaces console.log/info/warn/error/debug/
// trace: each call is one whole line on stdout, "<ISO time>\t<request
// id>\t<LEVEL>\t<message>" (or a JSON object with AWS_LAMBDA_LOG_FORMAT=
// JSON), below AWS_LAMBDA_LOG_LEVEL dropped.  stdout and stderr reach the
// agent on one pipe, so what a function writes keeps its order.  A
// callback handler's invocation ends once the event loop is empty, unless
// context.callbackWaitsForEmptyEventLoop is false (then at the callback);
// the runtime API's socket is unref'd while the handler runs, so that
// Node's 'beforeExit' says when the function's own work is done.
'use strict';
const net = require('net');
const fs = require('fs');
const path = require('path');
const util = require('util');

const PREFIX = '/2018-06-01/runtime';

class RuntimeClient {
  constructor() {
    const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
    this.sock = net.connect({ host, port: Number(port), noDelay: true });
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

// Is e an error, by Lambda's test (a native one, or one shaped like it)?
function isError(e) {
  return util.types.isNativeError(e) || (e !== null && typeof e === 'object' &&
    typeof e.name === 'string' && typeof e.message === 'string' &&
    typeof e.stack === 'string' && e.name !== '' && e.message !== '');
}

// The error document Lambda returns: an error's name, message and stack
// lines ("trace"); anything else thrown or rejected is typed by typeof,
// so Promise.reject("a string") gives errorType "string".
function errorBody(err, type) {
  try {
    if (isError(err))
      return JSON.stringify({ errorType: type || err.name, errorMessage: err.message,
        trace: err.stack.split('\n') });
    return JSON.stringify({ errorType: type || typeof err, errorMessage: String(err), trace: [] });
  } catch (_) {
    return JSON.stringify({ errorType: 'handled', errorMessage: 'callback called with Error '
      + 'argument, but there was a problem while retrieving one or more of its message, '
      + 'name, and stack', trace: [] });
  }
}

// Logging, as Lambda's console: set up by patchConsole once the
// function's environment is known.
const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
let requestId;		// of the invocation running; undefined before the first, as on Lambda
let jsonLogs = false;	// AWS_LAMBDA_LOG_FORMAT=JSON

// An error with its own properties, as Lambda's JSON logs show one.
function errorFields(e) {
  return Object.assign({ errorType: (e.constructor && e.constructor.name) || 'UnknownError',
    errorMessage: e.message, stackTrace: typeof e.stack === 'string' ? e.stack.split('\n') : e.stack }, e);
}

function jsonMessage(time, level, args) {
  const o = { timestamp: time, level, requestId };
  if (args.length === 1) {
    o.message = args[0];
    try {
      return JSON.stringify(o, (_k, v) => (v instanceof Error ? errorFields(v) : v));
    } catch (_) {
      o.message = util.format(o.message);
      return JSON.stringify(o);
    }
  }
  o.message = util.format(...args);
  const e = args.find((a) => a instanceof Error);
  if (e !== undefined) {
    o.errorType = (e.constructor && e.constructor.name) || 'UnknownError';
    o.errorMessage = e.message;
    o.stackTrace = typeof e.stack === 'string' ? e.stack.split('\n') : [];
  }
  return JSON.stringify(o);
}

// Write one log record at level: one write of whole lines.
function logRecord(level, args) {
  const time = new Date().toISOString();
  const line = jsonLogs ? jsonMessage(time, level, args)
    : `${time}\t${requestId}\t${level}\t${util.format(...args)}`;
  process.stdout.write(line + '\n');
}

function patchConsole() {
  const min = LEVELS[(process.env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()] || LEVELS.TRACE;
  const nop = () => {};
  const at = (level) => (LEVELS[level] >= min ? (...args) => logRecord(level, args) : nop);
  jsonLogs = (process.env.AWS_LAMBDA_LOG_FORMAT || '').toUpperCase() === 'JSON';
  console.trace = at('TRACE');
  console.debug = at('DEBUG');
  console.info = at('INFO');
  console.log = console.info;
  console.warn = at('WARN');
  console.error = at('ERROR');
  console.fatal = at('FATAL');
}

// Log a failure as Lambda does ("Invoke Error", "Uncaught Exception"),
// whatever the function did to console.
function logError(what, err) {
  const e = err instanceof Error ? err : new Error(String(err));
  if (jsonLogs) { logRecord('ERROR', [e]); return; }
  let text;
  try {
    text = JSON.stringify(e, (_k, v) => {
      if (!(v instanceof Error)) return v;
      const o = Object.assign({ errorType: v.name, errorMessage: v.message, code: v.code }, v);
      if (typeof v.stack === 'string') o.stack = v.stack.split('\n');
      return o;
    });
  } catch (_) {
    text = errorBody(e);
  }
  logRecord('ERROR', [what, `\t${text}`]);
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

// What runs once the event loop is empty (Node's 'beforeExit'), if set.
let onDrain = null;
process.on('beforeExit', () => {
  const f = onDrain;
  onDrain = null;
  if (f) f();
});

// Run the handler; resolves with { failed, value } when the invocation is
// done by Lambda's rules: at once for a promise that settles, an error,
// context.done/succeed/fail, or a callback with callbackWaitsForEmptyEventLoop
// false; once the event loop is empty for a callback otherwise, and for a
// handler that returned without calling back (null, or what a sync handler
// returned); a promise still pending then never will settle: an error.
function invokeHandler(fn, event, context) {
  return new Promise((resolve) => {
    let finished = false, called = false, pending = false;
    const finish = (failed, value) => {
      if (finished) return;
      finished = true;
      onDrain = null;
      resolve({ failed, value });
    };
    // The first of the callback, done/succeed/fail and the promise counts.
    const first = (f) => (...args) => { if (!called) { called = true; f(...args); } };
    const done = first((err, res) => (err !== undefined && err !== null ? finish(true, err)
      : finish(false, res)));
    const callback = first((err, res) => {
      if (err !== undefined && err !== null) finish(true, err);
      else if (!context.callbackWaitsForEmptyEventLoop) finish(false, res);
      else onDrain = () => finish(false, res);
    });
    context.done = done;
    context.succeed = (r) => done(null, r);
    context.fail = (e) => done(e === undefined || e === null ? 'handled' : e);
    onDrain = () => (pending ? finish(true, Object.assign(new Error('Runtime exited without '
      + 'providing a reason'), { name: 'Runtime.NodeJsExit' })) : finish(false, null));
    try {
      const r = fn(event, context, callback);
      if (r && typeof r.then === 'function') {
        pending = true;
        r.then(first((v) => finish(false, v)), first((e) => finish(true, e)));
      } else if (fn.length < 3 && !called) {
        onDrain = () => finish(false, r);
      }
    } catch (e) { first((x) => finish(true, x))(e); }
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
  patchConsole();
  let fn;
  try {
    fn = await loadHandler(process.env._HANDLER || '');
  } catch (e) {
    // As Lambda's runtime: a syntax error or a module that is not there
    // gets a Runtime.* type; anything else the module threw keeps its own.
    const missing = e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND');
    const type = e && e.name && String(e.name).startsWith('Runtime.') ? e.name
      : e instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError'
      : missing ? 'Runtime.ImportModuleError'
      : isError(e) ? (e.name || 'Error') : typeof e;
    const err = isError(e) ? e : new Error(String(e));
    if (type.startsWith('Runtime.'))
      try { err.name = type; } catch (_) { /* a frozen error keeps its name */ }
    logError('Uncaught Exception', err);
    await client.request('POST', `${PREFIX}/init/error`, errorBody(e, type),
      { 'Lambda-Runtime-Function-Error-Type': type });
    process.exit(1);
  }
  let next = await client.request('GET', `${PREFIX}/invocation/next`);
  for (;;) {
    const h = next.headers;
    const id = h['lambda-runtime-aws-request-id'];
    const deadline = Number(h['lambda-runtime-deadline-ms'] || 0);
    requestId = id;
    if (h['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
    else delete process.env._X_AMZN_TRACE_ID;
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
    // Only the function's own work keeps the event loop alive now.
    client.sock.unref();
    let { failed, value } = await invokeHandler(fn, event, context);
    client.sock.ref();
    if (!failed) {
      try {
        body = value === undefined ? 'null' : JSON.stringify(value);
        path = `${PREFIX}/invocation/${id}/response`;
      } catch (e) {
        failed = true;
        value = Object.assign(e, { name: 'Runtime.MarshalError' });
      }
    }
    if (failed) {
      logError('Invoke Error', value);
      path = `${PREFIX}/invocation/${id}/error`;
      body = errorBody(value);
    }
    next = await client.postThenNext(path, body);
  }
}

// Run as the runtime; required (tests), it only lends its logging.
if (require.main === module) main();
else module.exports = { patchConsole, logError, errorBody };
