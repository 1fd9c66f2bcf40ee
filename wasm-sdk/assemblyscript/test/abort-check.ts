// abort-check fails an assertion in handle_request: the SDK's handleAbort must log where and why, then trap.
import { next } from "../assembly/index";

export function handle_request(): u64 {
  assert(false, "abort-check failed on purpose");
  return next();
}

export function handle_response(reqCtx: u32, isError: u32): void {}
