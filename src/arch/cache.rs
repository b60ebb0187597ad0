//! The per-core data cache sizes, for the in-place walk's tile (see
//! [`crate::Kernels::best`]). With `std` only: without it there is nothing to ask (no sysfs, and
//! CPUID is left alone so that a `no_std` build does the same thing on every run).
//!
//! On x86-64 the sizes come from CPUID's deterministic cache parameters (leaf 4 on Intel,
//! leaf 0x8000_001D on AMD, which share one format: Intel SDM vol. 2A, "CPUID—CPU
//! Identification", and AMD APM vol. 3, appendix E.4.15); elsewhere on Linux from
//! `/sys/devices/system/cpu/cpu0/cache`. The answer is a tuning input only: every tile gives the
//! same bytes.
//!
//! The last level is read for the in-place walk's choice to prefetch ahead of its loads (see
//! `arch::beyond_cache_bytes`).

/// The level-2 data (or unified) cache of one core, in bytes, if it could be found.
pub(crate) fn l2_bytes() -> Option<usize> {
    level_bytes(2)
}

/// The last-level data (or unified) cache, in bytes, if it could be found: level 3 where there
/// is one, else level 2.
pub(crate) fn last_level_bytes() -> Option<usize> {
    level_bytes(3).or_else(l2_bytes)
}

/// The data (or unified) cache of `level`, from CPUID, else from sysfs.
fn level_bytes(level: u32) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        if let Some(bytes) = cpuid_level(level) {
            return Some(bytes);
        }
    }
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        if let Some(bytes) = sysfs_level(level) {
            return Some(bytes);
        }
    }
    let _ = level;
    None
}

/// CPUID's size of the data or unified cache of `level`.
#[cfg(all(target_arch = "x86_64", not(miri)))]
fn cpuid_level(level: u32) -> Option<usize> {
    // `__cpuid_count` became a safe function in newer toolchains; the `unsafe` block keeps the
    // declared MSRV building.
    #[allow(unused_unsafe)]
    // SAFETY: CPUID is part of the x86-64 baseline, takes any leaf and subleaf (unknown leaves
    // answer zeros or the highest leaf's data), and only writes registers.
    let cpuid = |leaf: u32, sub: u32| unsafe { core::arch::x86_64::__cpuid_count(leaf, sub) };
    // Leaf 0 gives the highest standard leaf, 0x8000_0000 the highest extended one.
    let max_std = cpuid(0, 0).eax;
    let max_ext = cpuid(0x8000_0000, 0).eax;
    let mut leaves = [None, None];
    if max_std >= 4 {
        leaves[0] = Some(4);
    }
    if max_ext >= 0x8000_001D {
        leaves[1] = Some(0x8000_001D);
    }
    for leaf in leaves.into_iter().flatten() {
        // Subleaves enumerate the caches until one of type 0 (no more caches); 16 is far more
        // than any CPU has, and bounds the loop against a bad hypervisor answer.
        for sub in 0..16 {
            let r = cpuid(leaf, sub);
            let kind = r.eax & 0x1F;
            if kind == 0 {
                break;
            }
            // 1 = data, 3 = unified; 2 is an instruction cache.
            if (r.eax >> 5) & 0x7 == level && (kind == 1 || kind == 3) {
                let ways = ((r.ebx >> 22) & 0x3FF) as usize + 1;
                let partitions = ((r.ebx >> 12) & 0x3FF) as usize + 1;
                let line = (r.ebx & 0xFFF) as usize + 1;
                let sets = r.ecx as usize + 1;
                let bytes = ways
                    .checked_mul(partitions)?
                    .checked_mul(line)?
                    .checked_mul(sets)?;
                return (bytes > 0).then_some(bytes);
            }
        }
    }
    None
}

/// The sysfs size (`"1024K"`, `"32M"`) of cpu0's data or unified cache of `level`.
#[cfg(all(target_os = "linux", not(miri)))]
fn sysfs_level(level: u32) -> Option<usize> {
    let base = "/sys/devices/system/cpu/cpu0/cache";
    for index in 0..16 {
        let read = |file: &str| std::fs::read_to_string(std::format!("{base}/index{index}/{file}"));
        let Ok(found) = read("level") else { break };
        let kind = read("type").unwrap_or_default();
        if found.trim() != std::format!("{level}") || kind.trim() == "Instruction" {
            continue;
        }
        return parse_size(read("size").ok()?.trim());
    }
    None
}

/// `"512K"` → 524288; plain numbers are bytes.
#[cfg(all(target_os = "linux", not(miri)))]
fn parse_size(text: &str) -> Option<usize> {
    let (digits, unit) = match text.as_bytes().last()? {
        b'K' => (&text[..text.len() - 1], 1 << 10),
        b'M' => (&text[..text.len() - 1], 1 << 20),
        b'G' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<usize>().ok()?.checked_mul(unit)
}

#[cfg(all(test, target_os = "linux", not(miri)))]
mod tests {
    use super::*;

    #[test]
    fn parses_sysfs_sizes() {
        assert_eq!(parse_size("48K"), Some(48 << 10));
        assert_eq!(parse_size("2M"), Some(2 << 20));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("K"), None);
        assert_eq!(parse_size("99999999999999999999G"), None);
    }

    #[test]
    fn cpuid_and_sysfs_agree_where_both_answer() {
        // Both describe the same hardware; a hypervisor may hide one of them, not change it.
        #[cfg(target_arch = "x86_64")]
        if let (Some(a), Some(b)) = (cpuid_level(2), sysfs_level(2)) {
            assert_eq!(a, b);
        }
        #[cfg(target_arch = "x86_64")]
        if let (Some(a), Some(b)) = (cpuid_level(3), sysfs_level(3)) {
            assert_eq!(a, b);
        }
        if let Some(bytes) = l2_bytes() {
            assert!((64 << 10..=64 << 20).contains(&bytes), "{bytes}");
            let last = last_level_bytes().unwrap();
            assert!((bytes..=4 << 30).contains(&last), "{last}");
        }
    }
}
