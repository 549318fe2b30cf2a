//! The SIGBUS guard for memory maps (see the module docs of `input` for the design).
//!
//! A fixed table of [`SLOTS`] regions, each a small state machine of atomics
//! (`FREE → CLAIMED → ACTIVE → FREE`), so the signal handler reads it without locks or
//! allocation. [`GuardedMap`] owns one map and one slot; dropping it frees the slot
//! before the map is unmapped.
//!
//! Input: an open file and the length to map. Output: a [`GuardedMap`] (the bytes, whether
//! a page faulted, page release as chunks are scanned), or `None` when no map can be made
//! under the guard (no slot free, no guard on this platform, mapping failed): the caller
//! reads the file instead.
//!
//! Tricky cases: the process-wide handler, installed on the first map, replaces the pages
//! from a faulting address in a registered region to its end with anonymous zero pages and
//! returns (no `siglongjmp` over Rust frames); a fault outside every region restores the
//! previous disposition and re-faults, so it still crashes as it would without us. The
//! handler only loads atomics and makes one `mmap` call: no allocation, no locks.

use memmap2::{Mmap, MmapOptions};
use std::fs::File;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

/// Maps that can be guarded at once; a map beyond that is not made (the file is read).
pub const SLOTS: usize = 256;

const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const ACTIVE: u8 = 2;

struct Slot {
    state: AtomicU8,
    start: AtomicUsize,
    len: AtomicUsize,
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    state: AtomicU8::new(FREE),
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    faulted: AtomicBool::new(false),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

/// A read-only map of a whole file whose truncation cannot kill the process.
pub struct GuardedMap {
    map: Mmap,
    slot: usize,
    /// Bytes visible through `Deref` (≤ the map's length).
    len: usize,
}

impl GuardedMap {
    /// Maps `len` bytes of `file` under the guard. `None` when the platform has no
    /// guard, every slot is taken, or mapping fails: the caller reads instead.
    pub fn new(file: &File, len: usize) -> Option<GuardedMap> {
        if len == 0 || !install() {
            return None;
        }
        let slot = claim()?;
        // SAFETY: a read-only private map. The one hazard, another process truncating
        // the file while we read it, is what the guard handles: the slot is published
        // below, before any byte of the map is read.
        let map = match unsafe { MmapOptions::new().len(len).map(file) } {
            Ok(m) => m,
            Err(_) => {
                TABLE[slot].state.store(FREE, Ordering::Release);
                return None;
            }
        };
        let s = &TABLE[slot];
        s.start.store(map.as_ptr() as usize, Ordering::Relaxed);
        s.len.store(map.len(), Ordering::Relaxed);
        s.faulted.store(false, Ordering::Relaxed);
        s.state.store(ACTIVE, Ordering::Release);
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Some(GuardedMap { map, slot, len })
    }

    /// Drops this process's page-table entries for the whole pages inside `range`, so
    /// pages already scanned stop counting in our resident set (the kernel keeps them
    /// in its page cache; a later read faults them back in). Without it a 2 GB mapped
    /// file showed 2.3 GB peak RSS although each byte is scanned once.
    pub fn release(&self, range: std::ops::Range<usize>) {
        #[cfg(unix)]
        {
            let page = PAGE.load(Ordering::Relaxed).max(4096);
            let base = self.map.as_ptr() as usize;
            // Whole pages only: round the start up and the end down (the map's start
            // is page-aligned).
            let start = (base + range.start).div_ceil(page) * page - base;
            let end = ((base + range.end.min(self.map.len())) / page * page).saturating_sub(base);
            if end > start {
                // SAFETY: a private, read-only file map that is never written: MADV_DONTNEED
                // only discards page-table entries, and the next access reads the same
                // file bytes back (or, after a truncation, faults into the SIGBUS guard as
                // any first access would). Concurrent readers just fault again.
                let _ = unsafe {
                    self.map.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        start,
                        end - start,
                    )
                };
            }
        }
        #[cfg(not(unix))]
        let _ = range;
    }

    /// The same map seen as its first `len` bytes (the rest stays mapped, unread).
    pub fn shortened(mut self, len: usize) -> GuardedMap {
        self.len = self.len.min(len);
        self
    }

    /// True once a page of this map faulted (the file shrank) and was replaced by zeros.
    pub fn faulted(&self) -> bool {
        TABLE[self.slot].faulted.load(Ordering::Acquire)
    }
}

impl Deref for GuardedMap {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map[..self.len]
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        // Fields drop after this: the slot is free before the map is unmapped, and no
        // read of the map can happen in between.
        TABLE[self.slot].state.store(FREE, Ordering::Release);
    }
}

fn claim() -> Option<usize> {
    TABLE.iter().position(|s| {
        s.state
            .compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    })
}

/// Whether a guarded map starting at address `start` is alive (tests: other tests' maps
/// come and go meanwhile, so a count of all of them cannot tell one map's slot).
#[cfg(test)]
fn guards(start: usize) -> bool {
    TABLE.iter().any(|s| {
        s.state.load(Ordering::Acquire) == ACTIVE && s.start.load(Ordering::Relaxed) == start
    })
}

/// Number of guarded maps alive (tests and `--debug`).
pub fn active() -> usize {
    TABLE
        .iter()
        .filter(|s| s.state.load(Ordering::Acquire) != FREE)
        .count()
}

#[cfg(target_os = "linux")]
fn install() -> bool {
    use std::sync::OnceLock;
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if page <= 0 {
            return false;
        }
        PAGE.store(page as usize, Ordering::Relaxed);
        // SAFETY: a zeroed sigaction is a valid starting value and the handler has the
        // SA_SIGINFO signature. PREV is written only here, once (OnceLock), by
        // sigaction itself; the handler reads it only for a fault outside our maps,
        // and no map exists before this returns.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = handler as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut sa.sa_mask);
            let prev = std::ptr::addr_of_mut!(PREV);
            libc::sigaction(libc::SIGBUS, &sa, prev) == 0
        }
    })
}

#[cfg(not(target_os = "linux"))]
fn install() -> bool {
    false
}

#[cfg(target_os = "linux")]
static PAGE: AtomicUsize = AtomicUsize::new(4096);

/// The disposition before ours, restored for faults that are not ours.
#[cfg(target_os = "linux")]
static mut PREV: libc::sigaction = unsafe { std::mem::zeroed() };

#[cfg(target_os = "linux")]
extern "C" fn handler(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // Only loads of atomics, one mmap system call, and sigaction/raise: no allocation,
    // no locks, no panics.
    // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers.
    let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    // si_code > 0: sent by the kernel for a fault (BUS_ADRERR for a page past EOF).
    if code > 0 {
        let page = PAGE.load(Ordering::Relaxed);
        for s in TABLE.iter() {
            if s.state.load(Ordering::Acquire) != ACTIVE {
                continue;
            }
            let start = s.start.load(Ordering::Relaxed);
            let len = s.len.load(Ordering::Relaxed);
            if addr < start || addr >= start + len {
                continue;
            }
            let from = addr & !(page - 1);
            let end = (start + len).div_ceil(page) * page;
            // SAFETY: [from, end) lies inside our own live read-only map (registered,
            // ACTIVE, not yet unmapped: GuardedMap frees the slot before unmapping and
            // is the only reader). MAP_FIXED replaces those pages atomically with zero
            // pages; the map's later munmap removes them with the rest.
            let r = unsafe {
                libc::mmap(
                    from as *mut libc::c_void,
                    end - from,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if r != libc::MAP_FAILED {
                s.faulted.store(true, Ordering::Release);
                return;
            }
            break;
        }
    }
    // Not ours: put back the previous disposition. A fault re-executes the faulting
    // instruction on return and gets it (by default: the usual death by SIGBUS); a
    // signal sent with kill() is raised again.
    // SAFETY: PREV was filled by sigaction at installation; sigaction and raise are
    // async-signal-safe.
    unsafe {
        libc::sigaction(libc::SIGBUS, std::ptr::addr_of!(PREV), std::ptr::null_mut());
        if code <= 0 {
            libc::raise(libc::SIGBUS);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::input::{open, sigbus, Access, InputOptions, MmapChoice};

    #[cfg(target_os = "linux")]
    #[test]
    fn truncated_map_reads_zeros_and_is_flagged_instead_of_sigbus() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("live.log");
        let line =
            b"2019-08-21 08:00:00.000 ERROR x java.net.ConnectException: Connection refused\n";
        std::fs::write(&p, line.repeat(20_000)).unwrap();
        let always = InputOptions {
            mmap: MmapChoice::Always,
            ..Default::default()
        };
        let o = open(&p, &always).unwrap().ok().unwrap();
        assert_eq!(o.access, Access::Mmap);
        assert!(!o.bytes.truncated_during_scan());
        assert!(sigbus::active() >= 1);
        let start = o.bytes.as_ptr() as usize;
        assert!(sigbus::guards(start), "the map holds a slot");
        // copytruncate: shorten the file while it is mapped, then read every page.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(100)
            .unwrap();
        let total: u64 = o.bytes.iter().map(|&b| b as u64).sum();
        assert!(total > 0);
        assert!(o.bytes.truncated_during_scan());
        assert_eq!(
            &o.bytes[..100],
            &line.repeat(2)[..100],
            "the head is intact"
        );
        assert!(
            o.bytes[8192..].iter().all(|&b| b == 0),
            "the vanished tail reads as zeros"
        );
        drop(o);
        assert!(!sigbus::guards(start), "the slot is freed with the map");
    }
}
