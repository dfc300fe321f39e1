//! Running third-party code whose panics are known failure modes, not bugs of
//! clearmap: the panic becomes `None` for the caller to handle (a fallback or
//! an error naming the file), and is not printed.

use std::cell::Cell;

thread_local! {
    static QUIET_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// Run `f`, turning a panic into `None` without printing it. Panics of other
/// code, on this thread outside `f` or on other threads, still print.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANIC.with(Cell::get) {
                previous(info)
            }
        }));
    });
    QUIET_PANIC.with(|q| q.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET_PANIC.with(|q| q.set(false));
    r.ok()
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn a_panic_becomes_none_and_a_value_passes() {
        assert_eq!(guarded(|| 7), Some(7));
        let r: Option<()> = guarded(|| panic!("known failure mode"));
        assert_eq!(r, None);
        // The guard is off again after the call.
        assert_eq!(guarded(|| "after"), Some("after"));
    }
}
