//! `--shard I/N`: which share of the discovered files a worker scans.
//!
//! [`Shard::owns`] keeps the files whose [`shard_hash`] modulo `N` is `I`: a stable hash of
//! the path as shown, so `N` workers given the same paths agree on a split without talking.
//! The hash is part of the contract (other tools may split the same way).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// `--shard I/N`: the `index`-th (0-based) of `count` shares of the discovered files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index, below `count`.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` (0-based: `0/4` ... `3/4`).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected I/N, e.g. 0/4"))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: `{i}` is not a shard index"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: `{n}` is not a shard count"))?;
        if count == 0 {
            return Err(format!("`{s}`: the shard count must be at least 1"));
        }
        if index >= count {
            return Err(format!(
                "`{s}`: the index is 0-based and must be below the count (0/{count} ... {}/{count})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Does this shard take the file (or discovery problem) shown as `path`?
    pub fn owns(&self, path: &Path) -> bool {
        shard_hash(path) % u64::from(self.count) == u64::from(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The stable hash that assigns a file to a shard: the first 8 bytes (big-endian) of the
/// SHA-256 of the path as shown in reports (`--path-prefix`, then the root as given joined
/// with the path under it; lossy UTF-8). Every worker given the same root arguments computes the same value on
/// any machine; a different spelling of a root (`./logs` vs `logs`) changes the split, and
/// the report's paths, alike. The root is part of the key so that identical layouts under
/// many roots (`host1/nginx/access.log`, `host2/nginx/access.log`) spread over shards.
pub fn shard_hash(path: &Path) -> u64 {
    let digest = Sha256::digest(path.to_string_lossy().as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_flags() {
        assert_eq!(Shard::parse("0/4").unwrap(), Shard { index: 0, count: 4 });
        assert_eq!(Shard::parse("3/4").unwrap().to_string(), "3/4");
        for bad in ["4/4", "1/0", "x/2", "2", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("4/4").unwrap_err().contains("0-based"));
    }

    /// The hash is part of the contract (other tools may split the same way): pin it.
    #[test]
    fn shard_hash_is_stable() {
        let h = shard_hash(Path::new("fixtures/founding-case/zuul-gateway/gateway.log"));
        let digest = Sha256::digest(b"fixtures/founding-case/zuul-gateway/gateway.log");
        assert_eq!(h, u64::from_be_bytes(digest[..8].try_into().unwrap()));
        // Every file lands in exactly one of N shards.
        for n in 1..6 {
            let owners = (0..n)
                .filter(|&i| Shard { index: i, count: n }.owns(Path::new("a/b.log")))
                .count();
            assert_eq!(owners, 1);
        }
    }
}
