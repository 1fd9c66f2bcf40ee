// abi-check references every host function assembly/abi.ts declares (and the SDK's abort handler), so that the
// module's import section lists them all with the signatures the compiler derived from the declarations.
// examples/plugins/build-all.sh builds it and compares that list with the ABI (wasm-sdk/ABI.md). It is never run.
import * as abi from "../assembly/abi";
import { next } from "../assembly/index";

const buf = memory.data(16);

export function handle_request(): u64 {
  let r: u64 = 0;
  switch (load<i32>(buf)) { // unknown to the optimizer
    case 0: r = abi.enable_features(1); break;
    case 1: r = abi.get_config(buf, 16); break;
    case 2: r = abi.log_enabled(0); break;
    case 3: abi.log(0, buf, 1); break;
    case 4: r = abi.get_method(buf, 16); break;
    case 5: abi.set_method(buf, 1); break;
    case 6: r = abi.get_uri(buf, 16); break;
    case 7: abi.set_uri(buf, 1); break;
    case 8: r = abi.get_protocol_version(buf, 16); break;
    case 9: r = abi.get_source_addr(buf, 16); break;
    case 10: r = abi.get_header_names(0, buf, 16); break;
    case 11: r = abi.get_header_values(0, buf, 1, buf, 16); break;
    case 12: abi.set_header_value(0, buf, 1, buf, 1); break;
    case 13: abi.add_header_value(0, buf, 1, buf, 1); break;
    case 14: abi.remove_header(0, buf, 1); break;
    case 15: r = abi.read_body(0, buf, 16); break;
    case 16: abi.write_body(0, buf, 1); break;
    case 17: r = abi.get_status_code(); break;
    case 18: abi.set_status_code(200); break;
    case 19: r = abi.get_context_var(buf, 1, buf, 16); break;
    case 20: r = abi.kv_get(buf, 1, buf, 16); break;
    case 21: abi.kv_set(buf, 1, buf, 1, 0); break;
    case 22: r = <u64>abi.counter_incr(buf, 1, 1, 0); break;
    case 23: r = <u64>abi.http_call(buf, 1, buf, 1, buf, 0, buf, 0, 0); break;
    case 24: r = abi.http_call_response_headers(buf, 16); break;
    case 25: r = abi.http_call_response_body(buf, 16); break;
    case 26: r = <u64>abi.now_unix_nano(); break;
    case 27: r = <u64>abi.version(); break;
    default: r = next();
  }
  return r;
}

export function handle_response(reqCtx: u32, isError: u32): void {}
