//! The process' allocator (mimalloc) and its one tuning, the purge delay.

// mimalloc: the build makes and frees millions of small strings (tokens, values, rows), and
// glibc's malloc was a sixth of its CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (include/mimalloc.h); the Rust
/// bindings name the options around it but not this one.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Makes mimalloc give freed memory back to the OS at once instead of a second later (its
/// default purge delay). A build frees what it parsed while it maps and writes; held for a
/// second, that memory was ~60 MiB of the full build's peak (issue 19: peak RSS <= 200 MiB).
/// Costs ~0.2 s of system time per full build (more `madvise` calls), so only `build` (and
/// `sync`, which builds) asks for it — `build` only once the map starts
/// ([`hold_freed_memory_briefly`]).
pub fn return_freed_memory_promptly() {
    set_purge_delay(0);
}

/// While the corpus parses, freed memory is kept 100 ms before it goes back: the parse frees
/// every file's YAML tree and soon allocates the next, and given back at once each such page
/// was faulted in again (paired full builds: ~0.95x wall, ~0.12 s less system time). The
/// build's peak comes later, while it maps and writes, so `build` returns to
/// [`return_freed_memory_promptly`] when the map starts; a delay of a second instead raised
/// the peak ~10 MiB, as the parse's last frees were still held when the map's memory grew.
pub fn hold_freed_memory_briefly() {
    set_purge_delay(100);
}

#[allow(unsafe_code)]
fn set_purge_delay(ms: std::ffi::c_long) {
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table, which mimalloc
    // reads at its next purge; it takes no pointers and may be called from any thread at any
    // time. 15 is `mi_option_purge_delay` in the mimalloc 3 sources libmimalloc-sys builds.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms) };
}
