//! The per-thread message of the last failed call.
//!
//! It lives in a fixed buffer inside a `const`-initialised thread-local of a
//! type without `Drop`, so Rust registers no thread-exit destructor for it:
//! a plugin that `dlopen`ed the library can `dlclose` it (a registered TLS
//! destructor would keep the object mapped).

use core::cell::RefCell;

/// Bytes kept of a message; longer messages are cut at a character boundary.
/// The longest message the library makes (two rank-16 shapes with 19-digit
/// extents and strides) is well below this.
const CAP: usize = 4096;

struct Message {
    len: usize,
    buf: [u8; CAP],
}

thread_local! {
    static LAST: RefCell<Message> = const { RefCell::new(Message { len: 0, buf: [0; CAP] }) };
}

/// Clears this thread's message.
pub fn clear() {
    LAST.with(|m| m.borrow_mut().len = 0);
}

/// Sets this thread's message (cut to `CAP` bytes at a char boundary).
pub fn set(msg: &str) {
    let mut end = msg.len().min(CAP);
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    LAST.with(|m| {
        let mut m = m.borrow_mut();
        m.buf[..end].copy_from_slice(&msg.as_bytes()[..end]);
        m.len = end;
    });
}

/// Calls `f` with this thread's message bytes (no NUL).
pub fn with<R>(f: impl FnOnce(&[u8]) -> R) -> R {
    LAST.with(|m| {
        let m = m.borrow();
        f(&m.buf[..m.len])
    })
}
