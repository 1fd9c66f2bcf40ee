// sdk-check exercises the SDK against a real host: wasm-sdk/assemblyscript/sdk_test.go runs it on Portico's WASM
// host and compares what it reports with what the host holds. It reports the same "key=value" lines as
// wasm-sdk/c/test/sdk-check.c, plus a few of its own (unicode, config, large arguments).
import {
  Feature,
  HeaderKind,
  JSONFields,
  LogLevel,
  config,
  enableFeatures,
  getHeaderNames,
  log,
  logEnabled,
  next,
  portico,
  request,
  response,
} from "../assembly/index";

let report = "";

function line(key: string, value: string): void {
  report += key + "=" + value + "\n";
}

function b(v: bool): string {
  return v ? "1" : "0";
}

export function handle_request(): u64 {
  report = "";
  line("features", (enableFeatures(Feature.BufferRequest | Feature.BufferResponse) & 3).toString());
  line("method", request.method());
  line("uri", request.uri());
  line("proto", request.protocolVersion());
  line("source", request.sourceAddr());
  let long = request.header("X-Long"); // 5000 bytes: more than the SDK's scratch area
  line("x-long", long === null ? "-1" : long.length.toString());
  let multi = request.headerValues("x-multi");
  for (let i = 0; i < multi.length; i++) line("x-multi", multi[i]);
  line("x-absent", request.header("x-absent") === null ? "0" : "?");
  let names = getHeaderNames(HeaderKind.Request);
  line("names-has-x-multi", b(names.includes("x-multi") && names.length >= 3));
  line("body", String.UTF8.decode(request.body().buffer));

  let id = portico.contextVar("request.id");
  line("request.id-found", b(id !== null));
  line("request.id", id === null ? "" : id);
  let lv = portico.contextVar("long");
  line("long-found", b(lv !== null));
  line("long-len", lv === null ? "0" : lv.length.toString());
  line("nope-found", b(portico.contextVar("nope") !== null));
  portico.kvSetString("k", "v1", 60000);
  let kv = portico.kvGetString("k");
  line("kv-found", b(kv !== null));
  line("kv", kv === null ? "" : kv);
  line("kv-missing-found", b(portico.kvGet("missing") !== null));
  portico.counterIncr("c", 1, 60000);
  line("counter", portico.counterIncr("c", 2, 60000).toString());
  line("call-denied", portico.httpCall("GET", "http://denied.test/", "", null, 1000).toString());
  let hi = Uint8Array.wrap(String.UTF8.encode("hi"));
  line("call", portico.httpCall("POST", "http://allowed.test/echo", "a: b\n", hi, 1000).toString());
  line("call-headers", portico.httpCallResponseHeaders());
  line("call-body", String.UTF8.decode(portico.httpCallResponseBody().buffer));
  line("version", portico.version().toString());
  line("now-positive", b(portico.nowUnixNano() > 0));
  line("log-debug", b(logEnabled(LogLevel.Debug)));
  log(LogLevel.Info, "sdk-check: request done");

  request.setMethod("PUT");
  request.setUri("/rewritten?x=1");
  request.addHeader("x-added", "a");
  request.addHeader("x-added", "b");
  request.removeHeader("x-remove");
  request.setHeader("x-multi", "one");
  request.setBody(Uint8Array.wrap(String.UTF8.encode("new body")));
  // Arguments larger than the scratch areas (1 KiB names, 2 KiB values) take the allocating path.
  request.setHeader("x-" + "n".repeat(1500), "v".repeat(3000));
  return next(7);
}

export function handle_response(reqCtx: u32, isError: u32): void {
  line("req-ctx", reqCtx.toString());
  line("is-error", isError.toString());
  line("backend-status", response.statusCode().toString());
  let h = response.header("x-backend");
  line("backend-header", h === null ? "" : h);
  line("backend-body", String.UTF8.decode(response.body().buffer));
  // AssemblyScript only
  let uni = request.header("x-uni");
  line("unicode", uni === null ? "" : uni);
  let cfg = JSONFields.parse(config());
  let err = cfg.error;
  line("config", err !== null ? err : "n=" + cfg.getRaw("n")! + " s=" + cfg.get("s")! + " o=" + cfg.getRaw("o")!);
  response.setStatusCode(201);
  response.setHeader("content-type", "text/plain");
  response.setBodyString(report);
}
