// Portico plugin SDK for AssemblyScript.
//
// A plugin is a module that exports handle_request and handle_response:
//
//   import { request, next } from "@portico/assemblyscript-sdk/assembly";
//
//   export function handle_request(): u64 {
//     request.setHeader("x-hello", "world");
//     return next();
//   }
//   export function handle_response(reqCtx: u32, isError: u32): void {}
//
// Build with `asc … --runtime incremental --use abort=<this file>/handleAbort` so that AssemblyScript's abort goes
// to the host log instead of an `env.abort` import (see examples/plugins/assemblyscript/add-header/build.sh).
//
// Strings cross the ABI as UTF-8. Arguments that fit are encoded into static scratch memory (no allocation);
// results are copied into fresh buffers, so the incremental runtime's garbage collector reclaims them between
// requests. Raw host functions are in ./abi.

import * as abi from "./abi";

// ---- constants -----------------------------------------------------------------------------------------------------

/** Which header set a header operation applies to (http-wasm header_kind). */
export enum HeaderKind {
  Request = 0,
  Response = 1,
  RequestTrailers = 2,
  ResponseTrailers = 3,
}

/** Which body a body operation applies to (http-wasm body_kind). */
export enum BodyKind {
  Request = 0,
  Response = 1,
}

/** Feature flags for enableFeatures. */
export namespace Feature {
  /** Keep the request body readable by the plugin and still sent to the backend. */
  export const BufferRequest: u32 = 1;
  /** Buffer the response so that handle_response can read and rewrite it. */
  export const BufferResponse: u32 = 2;
  /** Access to trailers. */
  export const Trailers: u32 = 4;
}

export enum LogLevel {
  Debug = -1,
  Info = 0,
  Warn = 1,
  Error = 2,
  None = 3,
}

/** Negative results of portico.httpCall. */
export namespace CallError {
  export const NotAllowed: i32 = -1;
  export const Timeout: i32 = -2;
  export const Failed: i32 = -3;
}

/** The handle_request result that passes the request on; reqCtx comes back as handle_response's first argument. */
export function next(reqCtx: u32 = 0): u64 {
  return ((<u64>reqCtx) << 32) | 1;
}

/** The handle_request result for "the plugin wrote the response": the backend is not called, nor handle_response. */
export function stop(): u64 {
  return 0;
}

// ---- scratch memory and UTF-8 plumbing -------------------------------------------------------------------------------

const A_SIZE: u32 = 1024; // first string argument (a name)
const A: usize = memory.data(1024);
const B_SIZE: u32 = 2048; // second string argument (a value, a log message)
const B: usize = memory.data(2048);
const OUT_SIZE: u32 = 4096; // results are probed here first
const OUT: usize = memory.data(4096);

@inline function utf8Len(s: string): u32 {
  return <u32>String.UTF8.byteLength(s);
}

// spill returns s as a new UTF-8 buffer when it does not fit in room bytes of scratch, or null when it does. Call
// it for every argument before place(), so that no allocation happens after a pointer was taken.
function spill(s: string, room: u32): ArrayBuffer | null {
  return utf8Len(s) > room ? String.UTF8.encode(s) : null;
}

// place returns a pointer to s's UTF-8 bytes: its spill buffer, or s encoded into scratch.
function place(s: string, spilled: ArrayBuffer | null, scratch: usize): usize {
  if (spilled) return changetype<usize>(spilled);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, scratch);
  return scratch;
}

// bytesOf copies len bytes at ptr into a new buffer.
function bytesOf(ptr: usize, len: u32): ArrayBuffer {
  let b = new ArrayBuffer(<i32>len);
  memory.copy(changetype<usize>(b), ptr, len);
  return b;
}

type Getter = (buf: usize, limit: u32) => u32;

// probe calls a getter that probes (writes only when the value fits) and returns the value. A value can change
// between two calls (a KV value another instance rewrote), so it repeats until the value fits (ABI.md §2).
function probe(get: Getter): ArrayBuffer {
  let n = get(OUT, OUT_SIZE);
  if (n <= OUT_SIZE) return bytesOf(OUT, n);
  while (true) {
    let b = new ArrayBuffer(<i32>n);
    let m = get(changetype<usize>(b), n);
    if (m == n) return b;
    if (m < n) return b.slice(0, <i32>m);
    n = m;
  }
}

type NamedGetter = (name: usize, nameLen: u32, buf: usize, limit: u32) => u64;

// probeHi is the upper half (found flag or count) of the last probeNamed result.
let probeHi: u32 = 0;
// probeKind is the header kind the header getters pass through probeNamed (closures cannot capture it).
let probeKind: u32 = 0;

// probeNamed calls a getter that takes a name and returns hi<<32 | len, repeating until the value fits; it returns
// the value and sets probeHi.
function probeNamed(get: NamedGetter, name: string): ArrayBuffer {
  let nb = spill(name, A_SIZE);
  let nl = utf8Len(name);
  let r = get(place(name, nb, A), nl, OUT, OUT_SIZE);
  probeHi = <u32>(r >> 32);
  let n = <u32>r;
  if (n <= OUT_SIZE) return bytesOf(OUT, n);
  while (true) {
    let b = new ArrayBuffer(<i32>n);
    r = get(place(name, nb, A), nl, changetype<usize>(b), n); // nb is still referenced: it survived the allocation
    probeHi = <u32>(r >> 32);
    let m = <u32>r;
    if (m == n) return b;
    if (m < n) return b.slice(0, <i32>m);
    n = m;
  }
}

// splitNul splits "a\0b\0" into ["a", "b"].
function splitNul(b: ArrayBuffer): string[] {
  let res = new Array<string>(0);
  let start = 0;
  let bytes = Uint8Array.wrap(b);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] == 0) {
      res.push(String.UTF8.decode(b.slice(start, i)));
      start = i + 1;
    }
  }
  return res;
}

function setPair(
  fn: (kind: u32, name: usize, nameLen: u32, value: usize, valueLen: u32) => void,
  kind: u32,
  name: string,
  value: string,
): void {
  let nb = spill(name, A_SIZE);
  let vb = spill(value, B_SIZE);
  fn(kind, place(name, nb, A), utf8Len(name), place(value, vb, B), utf8Len(value));
}

function setOne(fn: (s: usize, len: u32) => void, s: string): void {
  let sb = spill(s, B_SIZE);
  fn(place(s, sb, B), utf8Len(s));
}

// ---- general ---------------------------------------------------------------------------------------------------------

/** Enables features (Feature.*) and returns every feature the host now has enabled. */
export function enableFeatures(features: u32): u32 {
  return abi.enable_features(features);
}

/** The binding's config as bytes (JSON). */
export function configBytes(): ArrayBuffer {
  return probe((buf: usize, limit: u32): u32 => abi.get_config(buf, limit));
}

/** The binding's config as a string (JSON). */
export function config(): string {
  return String.UTF8.decode(configBytes());
}

/** Logs message at level; the host adds the plugin's name and the request ID. */
export function log(level: LogLevel, message: string): void {
  let mb = spill(message, B_SIZE);
  abi.log(level, place(message, mb, B), utf8Len(message));
}

/** Whether level is logged: skip building messages nobody reads. */
export function logEnabled(level: LogLevel): bool {
  return abi.log_enabled(level) != 0;
}

// ---- headers and bodies of any kind ------------------------------------------------------------------------------------

/** The first value of a header, or null when it is absent. Names are case-insensitive. */
export function getHeader(kind: HeaderKind, name: string): string | null {
  let vals = getHeaderValues(kind, name);
  return vals.length > 0 ? vals[0] : null;
}

/** Every value of a header. */
export function getHeaderValues(kind: HeaderKind, name: string): string[] {
  probeKind = kind;
  let b = probeNamed(
    (n: usize, nl: u32, buf: usize, limit: u32): u64 => abi.get_header_values(probeKind, n, nl, buf, limit),
    name,
  );
  return splitNul(b);
}

/** The names of every header of kind (lower case). */
export function getHeaderNames(kind: HeaderKind): string[] {
  probeKind = kind;
  return splitNul(probe((buf: usize, limit: u32): u32 => <u32>abi.get_header_names(probeKind, buf, limit)));
}

/** Replaces every value of a header with value. */
export function setHeader(kind: HeaderKind, name: string, value: string): void {
  setPair((k: u32, n: usize, nl: u32, v: usize, vl: u32): void => abi.set_header_value(k, n, nl, v, vl), kind, name, value);
}

/** Adds a value to a header. */
export function addHeader(kind: HeaderKind, name: string, value: string): void {
  setPair((k: u32, n: usize, nl: u32, v: usize, vl: u32): void => abi.add_header_value(k, n, nl, v, vl), kind, name, value);
}

/** Removes every value of a header. */
export function removeHeader(kind: HeaderKind, name: string): void {
  let nb = spill(name, A_SIZE);
  abi.remove_header(kind, place(name, nb, A), utf8Len(name));
}

/** Reads what is left of a body. The request body needs Feature.BufferRequest, the response body
 * Feature.BufferResponse. */
export function readBody(kind: BodyKind): Uint8Array {
  let cap: i32 = 0;
  let len: i32 = 0;
  let acc = new ArrayBuffer(0);
  while (true) {
    let r = abi.read_body(kind, OUT, OUT_SIZE);
    let n = <i32>(<u32>r);
    if (n > 0) {
      if (len + n > cap) {
        cap = max(cap * 2, len + n);
        let grown = new ArrayBuffer(cap);
        memory.copy(changetype<usize>(grown), changetype<usize>(acc), len);
        acc = grown;
      }
      memory.copy(changetype<usize>(acc) + len, OUT, n);
      len += n;
    }
    if (r >> 32 != 0) break;
  }
  return Uint8Array.wrap(acc, 0, len);
}

/** Writes body bytes: the first write in a handler replaces the body, later writes append. */
export function writeBody(kind: BodyKind, body: Uint8Array): void {
  abi.write_body(kind, body.dataStart, body.byteLength);
}

/** Writes a string (as UTF-8) to a body. */
export function writeBodyString(kind: BodyKind, body: string): void {
  let bb = String.UTF8.encode(body);
  abi.write_body(kind, changetype<usize>(bb), bb.byteLength);
}

// ---- the request ----------------------------------------------------------------------------------------------------

export namespace request {
  /** The method, e.g. "GET". */
  export function method(): string {
    return String.UTF8.decode(probe((b: usize, l: u32): u32 => abi.get_method(b, l)));
  }
  /** Changes the method the backend receives (before next only). */
  export function setMethod(method: string): void {
    setOne((p: usize, l: u32): void => abi.set_method(p, l), method);
  }
  /** The path and query as the client sent them, e.g. "/v1/items?page=2". */
  export function uri(): string {
    return String.UTF8.decode(probe((b: usize, l: u32): u32 => abi.get_uri(b, l)));
  }
  /** Replaces the path and query the backend receives (before next only). */
  export function setUri(uri: string): void {
    setOne((p: usize, l: u32): void => abi.set_uri(p, l), uri);
  }
  /** "HTTP/1.1", "HTTP/1.0" or "HTTP/2.0". */
  export function protocolVersion(): string {
    return String.UTF8.decode(probe((b: usize, l: u32): u32 => abi.get_protocol_version(b, l)));
  }
  /** The client's address as "ip:port". */
  export function sourceAddr(): string {
    return String.UTF8.decode(probe((b: usize, l: u32): u32 => abi.get_source_addr(b, l)));
  }
  export function header(name: string): string | null {
    return getHeader(HeaderKind.Request, name);
  }
  export function headerValues(name: string): string[] {
    return getHeaderValues(HeaderKind.Request, name);
  }
  export function headerNames(): string[] {
    return getHeaderNames(HeaderKind.Request);
  }
  export function setHeader(name: string, value: string): void {
    setPair((k: u32, n: usize, nl: u32, v: usize, vl: u32): void => abi.set_header_value(k, n, nl, v, vl), HeaderKind.Request, name, value);
  }
  export function addHeader(name: string, value: string): void {
    setPair((k: u32, n: usize, nl: u32, v: usize, vl: u32): void => abi.add_header_value(k, n, nl, v, vl), HeaderKind.Request, name, value);
  }
  export function removeHeader(name: string): void {
    let nb = spill(name, A_SIZE);
    abi.remove_header(HeaderKind.Request, place(name, nb, A), utf8Len(name));
  }
  /** The request body (needs Feature.BufferRequest to leave it intact for the backend). */
  export function body(): Uint8Array {
    return readBody(BodyKind.Request);
  }
  export function setBody(body: Uint8Array): void {
    writeBody(BodyKind.Request, body);
  }
}

// ---- the response ---------------------------------------------------------------------------------------------------

export namespace response {
  /** The status code (200 before there is a response). */
  export function statusCode(): u32 {
    return abi.get_status_code();
  }
  export function setStatusCode(status: u32): void {
    abi.set_status_code(status);
  }
  export function header(name: string): string | null {
    return getHeader(HeaderKind.Response, name);
  }
  export function headerValues(name: string): string[] {
    return getHeaderValues(HeaderKind.Response, name);
  }
  export function headerNames(): string[] {
    return getHeaderNames(HeaderKind.Response);
  }
  export function setHeader(name: string, value: string): void {
    setPair((k: u32, n: usize, nl: u32, v: usize, vl: u32): void => abi.set_header_value(k, n, nl, v, vl), HeaderKind.Response, name, value);
  }
  export function addHeader(name: string, value: string): void {
    setPair((k: u32, n: usize, nl: u32, v: usize, vl: u32): void => abi.add_header_value(k, n, nl, v, vl), HeaderKind.Response, name, value);
  }
  export function removeHeader(name: string): void {
    let nb = spill(name, A_SIZE);
    abi.remove_header(HeaderKind.Response, place(name, nb, A), utf8Len(name));
  }
  /** The response body (in handle_response, with Feature.BufferResponse). */
  export function body(): Uint8Array {
    return readBody(BodyKind.Response);
  }
  export function setBody(body: Uint8Array): void {
    writeBody(BodyKind.Response, body);
  }
  export function setBodyString(body: string): void {
    writeBodyString(BodyKind.Response, body);
  }
}

/** Answers the request from the plugin; return stop() from handle_request afterwards. */
export function respond(status: u32, body: string, contentType: string = "text/plain; charset=utf-8"): void {
  abi.set_status_code(status);
  if (contentType.length > 0) response.setHeader("content-type", contentType);
  writeBodyString(BodyKind.Response, body);
}

// ---- Portico's extension (import module "portico") -----------------------------------------------------------------

export namespace portico {
  /** A context variable ("request.clientIp", "request.path.id", "request.header.x-user", "request.query.page",
   * "request.id", "stage.name", "service.id"), or null when there is none. */
  export function contextVar(name: string): string | null {
    let b = probeNamed((n: usize, nl: u32, buf: usize, l: u32): u64 => abi.get_context_var(n, nl, buf, l), name);
    return probeHi != 0 ? String.UTF8.decode(b) : null;
  }

  /** The value under key in the plugin's own key-value namespace, or null. */
  export function kvGet(key: string): Uint8Array | null {
    let b = probeNamed((n: usize, nl: u32, buf: usize, l: u32): u64 => abi.kv_get(n, nl, buf, l), key);
    return probeHi != 0 ? Uint8Array.wrap(b) : null;
  }

  export function kvGetString(key: string): string | null {
    let b = probeNamed((n: usize, nl: u32, buf: usize, l: u32): u64 => abi.kv_get(n, nl, buf, l), key);
    return probeHi != 0 ? String.UTF8.decode(b) : null;
  }

  /** Stores value under key; ttlMs 0 means no expiry. */
  export function kvSet(key: string, value: Uint8Array, ttlMs: i64 = 0): void {
    let kb = spill(key, A_SIZE);
    abi.kv_set(place(key, kb, A), utf8Len(key), value.dataStart, value.byteLength, ttlMs);
  }

  export function kvSetString(key: string, value: string, ttlMs: i64 = 0): void {
    let vb = String.UTF8.encode(value);
    let kb = spill(key, A_SIZE);
    abi.kv_set(place(key, kb, A), utf8Len(key), changetype<usize>(vb), vb.byteLength, ttlMs);
  }

  /** Adds delta to the counter under key and returns the new value; a new counter expires after ttlMs. */
  export function counterIncr(key: string, delta: i64 = 1, ttlMs: i64 = 0): i64 {
    let kb = spill(key, A_SIZE);
    return abi.counter_incr(place(key, kb, A), utf8Len(key), delta, ttlMs);
  }

  /** Makes an outbound request to a destination on the plugin's allow-list. headers are "name: value\n" lines.
   * Returns the status, or CallError.*; then read httpCallResponseHeaders / httpCallResponseBody. */
  export function httpCall(
    method: string,
    url: string,
    headers: string = "",
    body: Uint8Array | null = null,
    timeoutMs: u32 = 0,
  ): i32 {
    let m = String.UTF8.encode(method);
    let u = String.UTF8.encode(url);
    let h = String.UTF8.encode(headers);
    let bp: usize = 0;
    let bl: u32 = 0;
    if (body) {
      bp = body.dataStart;
      bl = <u32>body.byteLength;
    }
    return abi.http_call(
      changetype<usize>(m), m.byteLength, changetype<usize>(u), u.byteLength,
      changetype<usize>(h), h.byteLength, bp, bl, timeoutMs,
    );
  }

  /** The last httpCall's response headers ("name: value\n" lines). */
  export function httpCallResponseHeaders(): string {
    return String.UTF8.decode(probe((b: usize, l: u32): u32 => abi.http_call_response_headers(b, l)));
  }

  /** The last httpCall's response body. */
  export function httpCallResponseBody(): Uint8Array {
    return Uint8Array.wrap(probe((b: usize, l: u32): u32 => abi.http_call_response_body(b, l)));
  }

  /** The wall clock in nanoseconds since the Unix epoch. */
  export function nowUnixNano(): i64 {
    return abi.now_unix_nano();
  }

  /** The version of the portico extension the host implements. */
  export function version(): i32 {
    return abi.version();
  }
}

// ---- abort ----------------------------------------------------------------------------------------------------------

// appendAscii writes s into [at, end) as UTF-8 without allocating, truncating if needed, and returns the new end.
function appendStr(at: usize, end: usize, s: string | null): usize {
  if (s === null) return at;
  let chars = min(<i32>((end - at) / 3), s.length); // a UTF-16 unit needs at most 3 UTF-8 bytes
  return at + String.UTF8.encodeUnsafe(changetype<usize>(s), chars, at);
}

function appendU32(at: usize, end: usize, v: u32): usize {
  let digits = memory.data(10);
  let n = 0;
  do {
    store<u8>(digits + n++, <u8>(48 + v % 10));
    v /= 10;
  } while (v != 0);
  while (n > 0 && at < end) store<u8>(at++, load<u8>(digits + --n));
  return at;
}

/** AssemblyScript's abort, sent to the host log at error level; then the instance traps and the host discards it.
 * Wire it with `asc --use abort=<path of this file>/handleAbort`. It does not allocate (it may run out of memory). */
export function handleAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let end = OUT + OUT_SIZE;
  let p = appendStr(OUT, end, "abort: ");
  p = appendStr(p, end, message);
  p = appendStr(p, end, " at ");
  p = appendStr(p, end, fileName);
  p = appendStr(p, end, ":");
  p = appendU32(p, end, line);
  p = appendStr(p, end, ":");
  p = appendU32(p, end, column);
  abi.log(LogLevel.Error, OUT, <u32>(p - OUT));
  unreachable();
}

export { JSONFields } from "./json";
