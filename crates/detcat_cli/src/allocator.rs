//! The process' allocator (mimalloc), SQLite's too, and its one tuning, the purge delay.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

// mimalloc: the build makes and frees millions of small strings (tokens, values, rows), and
// glibc's malloc was a sixth of its CPU time.
#[global_allocator]
static ALLOCATOR: Mimalloc = Mimalloc;

/// Alignment every block of `mi_malloc` has when its size is a multiple of it
/// (`MI_MAX_ALIGN_SIZE`), as glibc's `malloc` guarantees 16 on x86_64.
const MALLOC_ALIGN: usize = 16;

/// mimalloc as the global allocator, by its plain entry points wherever the layout allows.
/// The `mimalloc` crate's allocator calls the aligned ones (`mi_malloc_aligned`, …) for every
/// allocation, whose alignment checks and extra calls were 1.7% of a Sigma-only build's
/// instructions (cachegrind, `tools/instructions.sh`) for the Rust types' alignments of 1 to
/// 16, which plain `mi_malloc` already gives (the rule std's own `System` allocator follows
/// for `malloc`).
struct Mimalloc;

/// Whether a block of `size` bytes from the plain entry points is aligned enough for `align`.
fn plain_is_aligned(size: usize, align: usize) -> bool {
    align <= MALLOC_ALIGN && align <= size
}

#[allow(unsafe_code)]
// SAFETY: every block comes from mimalloc and goes back to it: `mi_free` frees blocks of any
// of its entry points, and `mi_realloc` keeps the plain entry points' alignment rule (its new
// block is `mi_malloc`'s of the new size). Layouts outside that rule take the aligned ones.
unsafe impl GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the size is nonzero (`GlobalAlloc`'s contract); null means out of memory.
        unsafe {
            if plain_is_aligned(layout.size(), layout.align()) {
                libmimalloc_sys::mi_malloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if plain_is_aligned(layout.size(), layout.align()) {
                libmimalloc_sys::mi_zalloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (`GlobalAlloc`'s contract).
        unsafe { libmimalloc_sys::mi_free(ptr.cast::<c_void>()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`; `new_size` is nonzero.
        unsafe {
            if plain_is_aligned(new_size, layout.align()) {
                libmimalloc_sys::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align())
                    .cast()
            }
        }
    }
}

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (include/mimalloc.h); the Rust
/// bindings name the options around it but not this one.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Makes mimalloc give freed memory back to the OS within 25 ms instead of a second later
/// (its default purge delay). A build frees what it parsed while it maps and writes; held for
/// a second, that memory was ~60 MiB of the full build's peak (issue 19: peak RSS <= 200 MiB).
/// Given back at once (a delay of 0), every chunk's freed pages were faulted in again by the
/// next: page faults and `madvise` were a sixth of a Sigma-only build's CPU time. 25 ms keeps
/// what the next chunk reuses (paired, quick profile: full build 0.96x wall, Sigma-only
/// 0.95x) for +2% median peak; 100 ms was no faster and cost +11% peak. Only `build` (and
/// `sync`, which builds) asks for it — `build` once the map starts
/// ([`hold_freed_memory_briefly`]).
pub fn return_freed_memory_soon() {
    set_purge_delay(25);
}

/// While the corpus parses, freed memory is kept 100 ms before it goes back: the parse frees
/// every file's YAML tree and soon allocates the next, and given back at once each such page
/// was faulted in again (paired full builds: ~0.95x wall, ~0.12 s less system time). The
/// build's peak comes later, while it maps and writes, so `build` goes to
/// [`return_freed_memory_soon`] when the map starts; a delay of a second instead raised
/// the peak ~10 MiB, as the parse's last frees were still held when the map's memory grew.
pub fn hold_freed_memory_briefly() {
    set_purge_delay(100);
}

/// Stops giving freed memory back once the catalog is in place: what is freed from then on
/// (the build's connections, caches and report) goes back with the whole process a few
/// milliseconds later, and purging it first was ~80 `madvise` calls, 5 ms on the build's
/// critical path (strace of a Sigma-only build, between the report and `exit_group`).
/// A negative delay turns purging off (mimalloc's `mi_option_purge_delay`: "<0 = no
/// purging allowed"), pending purges included.
pub fn keep_freed_memory_until_exit() {
    set_purge_delay(-1);
}

#[allow(unsafe_code)]
fn set_purge_delay(ms: std::ffi::c_long) {
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table, which mimalloc
    // reads at its next purge; it takes no pointers and may be called from any thread at any
    // time. 15 is `mi_option_purge_delay` in the mimalloc 3 sources libmimalloc-sys builds.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms) };
}

/// Hands SQLite's memory to mimalloc: the catalog's page caches, sorter runs, FTS5's pending
/// hash and every statement's scratch memory, which otherwise go to the C library's `malloc`
/// (in a full build ~1.5% of the CPU samples were glibc's `malloc`/`free`, its arena growth
/// and its page faults, on threads whose freed memory mimalloc could not reuse). Call first
/// in `main`, before anything opens a connection: SQLite takes an allocator only before it
/// initializes. Returns whether SQLite accepted it (if not, it keeps its own, which works).
#[allow(unsafe_code)]
pub fn route_sqlite_memory() -> bool {
    let methods = rusqlite::ffi::sqlite3_mem_methods {
        xMalloc: Some(sqlite_malloc),
        xFree: Some(sqlite_free),
        xRealloc: Some(sqlite_realloc),
        xSize: Some(sqlite_size),
        xRoundup: Some(sqlite_roundup),
        xInit: Some(sqlite_init),
        xShutdown: Some(sqlite_shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: `sqlite3_config` is called before any other SQLite function of this process
    // (first thing in `main`, on one thread), as SQLite requires; it copies the methods table
    // before it returns. The variadic argument is the one SQLITE_CONFIG_MALLOC documents, a
    // `sqlite3_mem_methods*`.
    let routed = unsafe {
        rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MALLOC, &raw const methods)
    };
    routed == rusqlite::ffi::SQLITE_OK
}

/// SQLite asks with an `int`; a negative size is never asked for, and gets no memory.
fn sqlite_size_arg(n: std::ffi::c_int) -> Option<usize> {
    usize::try_from(n).ok()
}

#[allow(unsafe_code)]
unsafe extern "C" fn sqlite_malloc(n: std::ffi::c_int) -> *mut std::ffi::c_void {
    match sqlite_size_arg(n) {
        // SAFETY: mimalloc returns 16-byte aligned memory (SQLite needs 8) or null.
        Some(n) => unsafe { libmimalloc_sys::mi_malloc(n) },
        None => std::ptr::null_mut(),
    }
}

#[allow(unsafe_code)]
unsafe extern "C" fn sqlite_free(p: *mut std::ffi::c_void) {
    // SAFETY: `p` is null or came from `sqlite_malloc`/`sqlite_realloc`, i.e. from mimalloc.
    unsafe { libmimalloc_sys::mi_free(p) }
}

#[allow(unsafe_code)]
unsafe extern "C" fn sqlite_realloc(
    p: *mut std::ffi::c_void,
    n: std::ffi::c_int,
) -> *mut std::ffi::c_void {
    match sqlite_size_arg(n) {
        // SAFETY: as `sqlite_free`; on failure mimalloc leaves `p` valid and returns null,
        // which is what SQLite expects of xRealloc.
        Some(n) => unsafe { libmimalloc_sys::mi_realloc(p, n) },
        None => std::ptr::null_mut(),
    }
}

/// The usable size of an allocation: SQLite may use all of it (it asks before growing).
#[allow(unsafe_code)]
unsafe extern "C" fn sqlite_size(p: *mut std::ffi::c_void) -> std::ffi::c_int {
    // SAFETY: `p` came from mimalloc (see `sqlite_free`); null gives 0.
    let size = unsafe { libmimalloc_sys::mi_usable_size(p) };
    std::ffi::c_int::try_from(size).unwrap_or(std::ffi::c_int::MAX)
}

/// SQLite's own allocator rounds requests up to a multiple of 8; so does this one.
extern "C" fn sqlite_roundup(n: std::ffi::c_int) -> std::ffi::c_int {
    n.saturating_add(7) & !7
}

extern "C" fn sqlite_init(_: *mut std::ffi::c_void) -> std::ffi::c_int {
    rusqlite::ffi::SQLITE_OK
}

extern "C" fn sqlite_shutdown(_: *mut std::ffi::c_void) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)]
    fn sqlite_gets_usable_memory_of_at_least_the_size_it_asked_for() {
        // SAFETY: the shims are called as SQLite calls them: a block from `sqlite_malloc`,
        // grown with `sqlite_realloc`, measured with `sqlite_size`, freed once.
        unsafe {
            let p = sqlite_malloc(100).cast::<u8>();
            assert!(!p.is_null());
            assert_eq!(p as usize % 8, 0, "SQLite needs 8-byte alignment");
            assert!(sqlite_size(p.cast()) >= 100);
            for i in 0..100u8 {
                p.add(usize::from(i)).write(i);
            }
            let q = sqlite_realloc(p.cast(), 5000).cast::<u8>();
            assert!(!q.is_null());
            assert!(sqlite_size(q.cast()) >= 5000);
            assert!((0..100u8).all(|i| q.add(usize::from(i)).read() == i));
            sqlite_free(q.cast());
            assert!(sqlite_malloc(-1).is_null());
            assert_eq!(sqlite_size(std::ptr::null_mut()), 0);
            sqlite_free(std::ptr::null_mut());
        }
    }

    #[test]
    #[allow(unsafe_code)]
    fn every_layout_gets_its_alignment_and_keeps_its_bytes_when_grown_or_shrunk() {
        // Sizes around mimalloc's size classes and the plain/aligned boundary (16), with
        // every alignment a Rust type may ask for up to a page.
        let sizes = [
            1usize, 2, 3, 7, 8, 12, 16, 24, 40, 48, 100, 112, 1000, 1024, 5000, 70_000,
        ];
        let aligns = [1usize, 2, 4, 8, 16, 32, 64, 128, 4096];
        for &size in &sizes {
            for &align in &aligns {
                let Ok(layout) = Layout::from_size_align(size, align) else {
                    continue;
                };
                // SAFETY: nonzero sizes; each block is written within its size, grown or
                // shrunk with its own layout, and freed once with the layout it has then.
                unsafe {
                    let zeroed = ALLOCATOR.alloc_zeroed(layout);
                    assert!(!zeroed.is_null());
                    assert_eq!(
                        zeroed as usize % align,
                        0,
                        "zeroed {size} bytes, align {align}"
                    );
                    assert!((0..size).all(|i| zeroed.add(i).read() == 0));
                    ALLOCATOR.dealloc(zeroed, layout);

                    let mut p = ALLOCATOR.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "{size} bytes, align {align}");
                    for i in 0..size {
                        p.add(i).write(i as u8);
                    }
                    for new_size in [size * 3 + 5, size.div_ceil(2)] {
                        let Ok(new_layout) = Layout::from_size_align(new_size, align) else {
                            continue;
                        };
                        let q = ALLOCATOR.realloc(p, layout, new_size);
                        assert!(!q.is_null());
                        assert_eq!(q as usize % align, 0, "{size} -> {new_size}, align {align}");
                        let kept = size.min(new_size);
                        assert!((0..kept).all(|i| q.add(i).read() == i as u8));
                        let back = ALLOCATOR.realloc(q, new_layout, size);
                        assert_eq!(back as usize % align, 0);
                        assert!((0..kept).all(|i| back.add(i).read() == i as u8));
                        for i in kept..size {
                            back.add(i).write(i as u8);
                        }
                        p = back;
                    }
                    ALLOCATOR.dealloc(p, layout);
                }
            }
        }
    }

    #[test]
    fn sizes_round_up_to_a_multiple_of_eight() {
        assert_eq!(sqlite_roundup(1), 8);
        assert_eq!(sqlite_roundup(8), 8);
        assert_eq!(sqlite_roundup(9), 16);
        assert_eq!(sqlite_roundup(0), 0);
        assert_eq!(sqlite_roundup(std::ffi::c_int::MAX) % 8, 0);
    }
}
