//! add-header sets one request header, named and valued by the binding's config, before the request goes on:
//!
//! ```json
//! {"header": "x-from-wasm", "value": "yes"}
//! ```
//!
//! Built as a `cdylib` for wasm32-wasi with no external crates. The config is read on the first request of each
//! instance; a bad config logs an error and traps, so the host discards the instance and answers with its error.

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
            host::log(host::LOG_ERROR, msg);
            core::arch::wasm32::unreachable()
        }
    }
}

fn parse(json: &[u8]) -> Result<Config, &'static str> {
    let mut header = None;
    let mut value = None;
    json::for_each_string_field(json, |key, v| match key {
        b"header" => {
            header = Some(v);
            Ok(())
        }
        b"value" => {
            value = Some(v);
            Ok(())
        }
        _ => Err("config: unknown field (want header, value)"),
    })?;
    let header = header.filter(|h| !h.is_empty()).ok_or("config.header is required")?;
    let value = value.ok_or("config.value is required")?;
    Ok(Config { header, value })
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
