//! add-header sets one request header, named and valued by the binding's config, before the request goes on:
//!
//! ```json
//! {"header": "x-from-wasm", "value": "yes"}
//! ```
//!
//! Built as a `cdylib` for wasm32-wasi with no external crates. The config is read when the host runs `_initialize`
//! (or, on a host that does not, on the first request); a bad config logs an error and traps, so the instance — and
//! the deploy that creates it — fails.

mod host;
mod json;

use std::cell::RefCell;

struct Config {
    header: Vec<u8>,
    value: Vec<u8>,
}

thread_local! {
    // A wasm instance runs one request at a time, so this is simply per-instance state.
    static CONFIG: RefCell<Option<Config>> = RefCell::new(None);
}

fn load_config() -> Config {
    match parse(&host::config()) {
        Ok(c) => c,
        Err(msg) => {
            host::log(host::LOG_ERROR, &format!("add-header: config: {}", msg));
            core::arch::wasm32::unreachable()
        }
    }
}

/// Same rules as the Go example (examples/plugins/go/add-header): unknown fields are ignored and "value" may be
/// absent (empty).
fn parse(json: &[u8]) -> Result<Config, &'static str> {
    let mut header = Vec::new();
    let mut value = Vec::new();
    json::for_each_field(json, |key, v| {
        match key {
            b"header" => header = v.ok_or(r#""header" must be a string"#)?,
            b"value" => value = v.ok_or(r#""value" must be a string"#)?,
            _ => {}
        }
        Ok(())
    })?;
    if header.is_empty() || header.iter().any(|c| b" \t\r\n:\0".contains(c)) {
        return Err(r#""header" must be a header name"#);
    }
    if value.iter().any(|c| b"\r\n\0".contains(c)) {
        return Err(r#""value" must not contain CR, LF or NUL"#);
    }
    Ok(Config { header, value })
}

extern "C" {
    /// Runs static constructors (wasi-libc's and std's); the linker defines it.
    fn __wasm_call_ctors();
}

/// The reactor entry point: the host calls it once, before any handler.
#[no_mangle]
pub extern "C" fn _initialize() {
    unsafe { __wasm_call_ctors() };
    CONFIG.with(|c| *c.borrow_mut() = Some(load_config()));
}

#[no_mangle]
pub extern "C" fn handle_request() -> u64 {
    CONFIG.with(|c| {
        let mut c = c.borrow_mut();
        let cfg = c.get_or_insert_with(load_config);
        host::set_header(host::HEADER_REQUEST, &cfg.header, &cfg.value);
    });
    1 // req_ctx 0 << 32 | next = 1: pass the request on
}

#[no_mangle]
pub extern "C" fn handle_response(_req_ctx: u32, _is_error: u32) {}
