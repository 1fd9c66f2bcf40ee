//! The host functions this example uses, declared exactly as the ABI specifies (see wasm-sdk/ABI.md), and thin safe
//! wrappers. A Rust plugin needs no crate for this: `#[link(wasm_import_module = "...")]` is enough.

/// Header kinds (http-wasm header_kind).
pub const HEADER_REQUEST: u32 = 0;
/// Log levels.
pub const LOG_ERROR: i32 = 2;

mod raw {
    #[link(wasm_import_module = "http_handler")]
    extern "C" {
        pub fn get_config(buf: *mut u8, buf_limit: u32) -> u32;
        pub fn log(level: i32, message: *const u8, message_len: u32);
        pub fn set_header_value(kind: u32, name: *const u8, name_len: u32, value: *const u8, value_len: u32);
    }
}

/// The binding's config (JSON bytes). get_config "probes": when the value does not fit, nothing is written and its
/// length comes back, so grow the buffer and ask again until it fits.
pub fn config() -> Vec<u8> {
    let mut buf = vec![0u8; 256];
    loop {
        let len = unsafe { raw::get_config(buf.as_mut_ptr(), buf.len() as u32) } as usize;
        if len <= buf.len() {
            buf.truncate(len);
            return buf;
        }
        buf.resize(len, 0);
    }
}

pub fn log(level: i32, msg: &str) {
    unsafe { raw::log(level, msg.as_ptr(), msg.len() as u32) }
}

/// Replaces every value of header `name` of `kind` with `value`.
pub fn set_header(kind: u32, name: &[u8], value: &[u8]) {
    unsafe { raw::set_header_value(kind, name.as_ptr(), name.len() as u32, value.as_ptr(), value.len() as u32) }
}
