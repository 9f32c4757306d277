//! A cache prefetch hint: the flow table asks for the memory of a packet's flow a few
//! packets before it needs it, so that several misses overlap instead of each stalling.

/// Starts loading the cache line holding `value`; no effect on any result.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_t0(value);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
