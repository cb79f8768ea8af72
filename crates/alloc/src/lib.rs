//! mimalloc as the global allocator of the `decoy` binary (and of the
//! benchmark ceiling it is measured against, so ratios compare code, not
//! allocators).
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOCATOR: decoy_alloc::MiMalloc = decoy_alloc::MiMalloc;
//! ```
//!
//! Why not the `mimalloc` crate's own `MiMalloc`: it sends every request
//! through `mi_malloc_aligned`, because a Rust layout always carries an
//! alignment. mimalloc v3's aligned path costs more than its plain one (an
//! alignment check, a second page lookup, and for blocks over 1 KiB whose
//! size class is not a power of two, over-allocation). The mock's request
//! path allocates about a hundred times per new resource, so that adds up
//! (`bench/callgrind.sh`). Here a layout that a plain block already
//! satisfies takes `mi_malloc` / `mi_zalloc` / `mi_realloc`; the rest keeps
//! the aligned calls.
//!
//! When is a plain block aligned enough? mimalloc's size classes are
//! multiples of 8 bytes, and of 16 from 16 bytes up, and a page's first
//! block starts 16-aligned (`MI_MAX_ALIGN_SIZE`). So a block of `size`
//! bytes is aligned to `align` whenever `align <= 16` and `size` is a
//! multiple of `align`, which is true of every Rust type's layout (its size
//! is a multiple of its alignment). This is the same test the C library's
//! callers use for `malloc` (`alignof(max_align_t)`).

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// mimalloc's `MI_MAX_ALIGN_SIZE` on the 64-bit targets decoy builds for:
/// the alignment every plain block of 16 bytes or more has.
const MAX_PLAIN_ALIGN: usize = 16;

/// The global allocator: mimalloc, plain calls where the layout allows.
pub struct MiMalloc;

/// Whether a plain mimalloc block of `size` bytes is aligned to `align`.
#[inline]
fn plain(size: usize, align: usize) -> bool {
    align <= MAX_PLAIN_ALIGN && size.is_multiple_of(align)
}

// SAFETY: every pointer returned comes from mimalloc, is null or valid for
// `layout.size()` bytes at `layout.align()` (see `plain`), and is freed or
// resized only by mimalloc, which accepts a block from either entry point.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let (size, align) = (layout.size(), layout.align());
        // SAFETY: plain FFI allocation calls; any size and power-of-two
        // alignment is accepted.
        unsafe {
            if plain(size, align) {
                mi::mi_malloc(size).cast()
            } else {
                mi::mi_malloc_aligned(size, align).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let (size, align) = (layout.size(), layout.align());
        // SAFETY: as in `alloc`.
        unsafe {
            if plain(size, align) {
                mi::mi_zalloc(size).cast()
            } else {
                mi::mi_zalloc_aligned(size, align).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: the caller passes a block this allocator returned.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        // SAFETY: the caller passes a block this allocator returned, and a
        // new size valid at the same alignment.
        unsafe {
            if plain(new_size, align) {
                mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, align).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size up to a few pages at every alignment up to a page: the
    /// block is aligned, writable end to end, and keeps its bytes through
    /// growth and shrinking, whichever entry point served it.
    #[test]
    fn blocks_are_aligned_and_keep_their_bytes() {
        let sizes = (1..=160).chain([255, 256, 1000, 1024, 1040, 4000, 8192, 9000, 70_000]);
        for size in sizes {
            for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
                let Ok(layout) = Layout::from_size_align(size, align) else {
                    continue;
                };
                // SAFETY: a non-zero size; the block is freed below with
                // its layout.
                unsafe {
                    let zeroed = MiMalloc.alloc_zeroed(layout);
                    assert!(!zeroed.is_null(), "{size}/{align}");
                    assert_eq!(zeroed as usize % align, 0, "zeroed {size}/{align}");
                    assert!((0..size).all(|i| *zeroed.add(i) == 0), "{size}/{align}");
                    MiMalloc.dealloc(zeroed, layout);

                    let mut p = MiMalloc.alloc(layout);
                    assert!(!p.is_null(), "{size}/{align}");
                    assert_eq!(p as usize % align, 0, "{size}/{align}");
                    for i in 0..size {
                        *p.add(i) = i as u8;
                    }
                    // Grow, then shrink back: each move keeps the bytes
                    // both sizes hold, at the layout's alignment.
                    for new_size in [size * 3, size.div_ceil(2)] {
                        let moved = MiMalloc.realloc(p, layout, new_size);
                        let kept = size.min(new_size);
                        assert_eq!(moved as usize % align, 0, "{size}→{new_size}/{align}");
                        assert!(
                            (0..kept).all(|i| *moved.add(i) == i as u8),
                            "{size}/{align}"
                        );
                        let moved_layout = Layout::from_size_align(new_size, align).unwrap();
                        p = MiMalloc.realloc(moved, moved_layout, size);
                        assert_eq!(p as usize % align, 0, "{new_size}→{size}/{align}");
                        assert!((0..kept).all(|i| *p.add(i) == i as u8), "{size}/{align}");
                        for i in kept..size {
                            *p.add(i) = i as u8;
                        }
                    }
                    MiMalloc.dealloc(p, layout);
                }
            }
        }
    }
}
