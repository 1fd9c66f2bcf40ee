// add-header sets one request header, named and valued by the binding's config, before the request goes on:
//
//   {"header": "x-from-wasm", "value": "yes"}
//
// Same rules as the Go example (examples/plugins/go/add-header): unknown fields are ignored and "value" may be
// absent (empty). The config is read in _initialize, which Portico calls once per instance before any request, so a
// bad config fails the instance (and the deploy that creates it); on a host that does not call _initialize it is
// read on the first request. A bad config logs an error and traps.

import { JSONFields, LogLevel, config, log, next, request } from "@portico/assemblyscript-sdk/assembly";

let header: string | null = null;
let value: string = "";

function fail(msg: string): void {
  log(LogLevel.Error, "add-header: config: " + msg);
  unreachable();
}

function hasAny(s: string, chars: string): bool {
  for (let i = 0; i < chars.length; i++) if (s.includes(chars.charAt(i))) return true;
  return false;
}

function load(): string {
  let cfg = JSONFields.parse(config());
  let err = cfg.error;
  if (err !== null) fail(err);
  if (cfg.has("header") && cfg.get("header") === null) fail("\"header\" must be a string");
  if (cfg.has("value") && cfg.get("value") === null) fail("\"value\" must be a string");
  let h = cfg.get("header");
  if (h === null || h.length == 0 || hasAny(h, " \t\r\n:\0")) fail("\"header\" must be a header name");
  let v = cfg.get("value");
  if (v !== null) {
    if (hasAny(v, "\r\n\0")) fail("\"value\" must not contain CR, LF or NUL");
    value = v;
  }
  return h!;
}

// _initialize is the reactor entry point Portico calls once per instance. (AssemblyScript's own start function,
// which only sets up the garbage collector, runs before it when the module is instantiated.)
export function _initialize(): void {
  header = load();
}

export function handle_request(): u64 {
  let h = header;
  if (h === null) header = h = load();
  request.setHeader(h, value);
  return next();
}

export function handle_response(reqCtx: u32, isError: u32): void {}
