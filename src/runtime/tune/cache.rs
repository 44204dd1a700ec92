//! The autotune's disk cache: one small JSON file (`gemm.json` in the cache directory) holding,
//! per adapter, the GEMM kernel and the depthwise form the autotune chose and their timings.
//! The file records its format ([`FORMAT`]): a file of another format (before the depthwise
//! choice: none) is stale as a whole, and rewritten by the next autotune. An entry is used only where
//! its whole key matches (adapter, vendor, device id, backend, driver, driver info and wgtf
//! version); an entry of the same adapter with another driver or version is stale and is
//! replaced by the next autotune. A file that cannot be read as JSON is ignored and rewritten.
//! Writes go to a temporary file renamed over the old one, so that processes running at once
//! (test binaries) never read half a file: the last writer wins, and a lost entry is tuned again.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::kernel::{DepthwiseChoice, GemmChoice};

/// The file name in the cache directory.
pub const FILE: &str = "gemm.json";

/// The format of the file this build writes (1, unrecorded: GEMM kernels only; 2: and the
/// depthwise form).
pub const FORMAT: u32 = 2;

/// The choices the cache holds for an adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cached {
    pub gemm: GemmChoice,
    pub depthwise: DepthwiseChoice,
}

/// What a cached choice holds for: the adapter, its driver and the wgtf version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheKey {
    pub adapter: String,
    pub vendor: u32,
    pub device: u32,
    pub backend: String,
    pub driver: String,
    pub driver_info: String,
    /// wgtf's version (kernels change between versions).
    pub version: String,
}

impl CacheKey {
    /// The key of an adapter with this build of wgtf.
    pub fn of(info: &wgpu::AdapterInfo) -> CacheKey {
        CacheKey {
            adapter: info.name.clone(),
            vendor: info.vendor,
            device: info.device,
            backend: format!("{:?}", info.backend),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The same adapter (its driver or wgtf's version may differ).
    fn same_adapter(&self, o: &CacheKey) -> bool {
        self.adapter == o.adapter && self.vendor == o.vendor && self.device == o.device && self.backend == o.backend
    }
}

/// One adapter's choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub key: CacheKey,
    /// The chosen kernel's name (`tiled`, `subgroup`, `large`).
    pub gemm: String,
    /// Each candidate's score when it was tuned (its time relative to the fastest, summed
    /// over the shapes timed: lower is faster), by name.
    #[serde(default)]
    pub scores: Vec<(String, f64)>,
    /// The chosen depthwise form's name (`cols4`, `cols1`).
    #[serde(default)]
    pub depthwise: String,
    /// Each depthwise form's score when it was tuned, by name.
    #[serde(default)]
    pub depthwise_scores: Vec<(String, f64)>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    /// [`FORMAT`] (absent in files of format 1).
    #[serde(default = "format_1")]
    format: u32,
    entries: Vec<CacheEntry>,
}

fn format_1() -> u32 {
    1
}

/// What the cache holds for a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    /// A valid entry for this key.
    Hit(Cached),
    /// No file, or no entry for this adapter.
    Missing,
    /// The file is not a cache file (why); it will be rewritten.
    Corrupt(String),
    /// An entry for this adapter made with another driver or wgtf version, or a file of another
    /// format (which); it will be replaced.
    Stale(String),
}

/// The cache directory: `$WGTF_CACHE_DIR`, else `$XDG_CACHE_HOME/wgtf`, else
/// `$HOME/.cache/wgtf` (created if absent); `None` where none can be made (then the choice
/// lives in memory only).
pub fn cache_dir() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = env("WGTF_CACHE_DIR").or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("wgtf"))).or_else(|| env("HOME").map(|d| d.join(".cache/wgtf")))?;
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// The cache file of a directory.
pub fn cache_file(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

fn read(path: &Path) -> Result<Option<CacheFile>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| format!("{} is not a wgtf cache file: {e}", path.display()))
}

/// What the cache file at `path` holds for `key`.
pub fn lookup(path: &Path, key: &CacheKey) -> Lookup {
    let file = match read(path) {
        Ok(Some(f)) => f,
        Ok(None) => return Lookup::Missing,
        Err(e) => return Lookup::Corrupt(e),
    };
    if file.format != FORMAT {
        return match file.entries.iter().any(|e| e.key.same_adapter(key)) {
            true => Lookup::Stale(format!("{}: cache format {}, not {FORMAT} (written by an older wgtf)", path.display(), file.format)),
            false => Lookup::Missing,
        };
    }
    if let Some(e) = file.entries.iter().find(|e| &e.key == key) {
        return match (GemmChoice::parse(&e.gemm), DepthwiseChoice::parse(&e.depthwise)) {
            (Some(gemm), Some(depthwise)) => Lookup::Hit(Cached { gemm, depthwise }),
            (None, _) => Lookup::Corrupt(format!("{}: unknown GEMM kernel '{}'", path.display(), e.gemm)),
            (_, None) => Lookup::Corrupt(format!("{}: unknown depthwise form '{}'", path.display(), e.depthwise)),
        };
    }
    match file.entries.iter().find(|e| e.key.same_adapter(key)) {
        Some(e) => Lookup::Stale(format!(
            "{}: the entry for {} was tuned with driver '{} {}' and wgtf {}, not '{} {}' and wgtf {}",
            path.display(),
            key.adapter,
            e.key.driver,
            e.key.driver_info,
            e.key.version,
            key.driver,
            key.driver_info,
            key.version
        )),
        None => Lookup::Missing,
    }
}

/// The cached choices for `key`, if the file at `path` holds valid ones.
pub fn load_cached(path: &Path, key: &CacheKey) -> Option<Cached> {
    match lookup(path, key) {
        Lookup::Hit(c) => Some(c),
        _ => None,
    }
}

/// Records `choice` for `key` in the file at `path`: other adapters' entries are kept, this
/// adapter's (stale or not) replaced; an unreadable file or one of another format is replaced.
/// Atomic: written to a temporary file in the same directory, then renamed.
pub fn store(path: &Path, key: &CacheKey, choice: Cached, gemm_scores: &[(GemmChoice, f64)], depthwise_scores: &[(DepthwiseChoice, f64)]) -> std::io::Result<()> {
    let mut file = read(path).ok().flatten().filter(|f| f.format == FORMAT).unwrap_or_default();
    file.format = FORMAT;
    file.entries.retain(|e| !e.key.same_adapter(key));
    file.entries.push(CacheEntry {
        key: key.clone(),
        gemm: choice.gemm.name().to_string(),
        scores: gemm_scores.iter().map(|(c, s)| (c.name().to_string(), *s)).collect(),
        depthwise: choice.depthwise.name().to_string(),
        depthwise_scores: depthwise_scores.iter().map(|(c, s)| (c.name().to_string(), *s)).collect(),
    });
    let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(FILE);
    let tmp = path.with_file_name(format!(".{name}.{}.{seq}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(driver: &str, version: &str) -> CacheKey {
        CacheKey { adapter: "gpu".into(), vendor: 1, device: 2, backend: "Vulkan".into(), driver: driver.into(), driver_info: "1.0".into(), version: version.into() }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("wgtf-cache-unit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn pick(gemm: GemmChoice) -> Cached {
        Cached { gemm, depthwise: DepthwiseChoice::Cols1 }
    }

    #[test]
    fn valid_corrupt_and_stale_files() {
        let dir = temp_dir("kinds");
        let path = cache_file(&dir);
        let k = key("mesa", "1.0.0");
        assert_eq!(lookup(&path, &k), Lookup::Missing);
        std::fs::write(&path, "{ not json").unwrap();
        assert!(matches!(lookup(&path, &k), Lookup::Corrupt(_)));
        // A corrupt file is replaced by the next store.
        store(&path, &k, pick(GemmChoice::Large), &[(GemmChoice::Large, 1.0), (GemmChoice::Tiled, 1.5)], &[(DepthwiseChoice::Cols1, 2.0)]).unwrap();
        assert_eq!(load_cached(&path, &k), Some(pick(GemmChoice::Large)));
        // Another driver or version: stale; a store replaces the entry, others stay.
        let other = CacheKey { adapter: "other".into(), ..k.clone() };
        store(&path, &other, pick(GemmChoice::Tiled), &[], &[]).unwrap();
        let newer = key("mesa", "9.9.9");
        assert!(matches!(lookup(&path, &newer), Lookup::Stale(_)));
        assert!(matches!(lookup(&path, &key("nvidia", "1.0.0")), Lookup::Stale(_)));
        store(&path, &newer, pick(GemmChoice::Subgroup), &[], &[]).unwrap();
        assert_eq!(load_cached(&path, &newer), Some(pick(GemmChoice::Subgroup)));
        assert!(matches!(lookup(&path, &k), Lookup::Stale(_)));
        assert_eq!(load_cached(&path, &other), Some(pick(GemmChoice::Tiled)));
        // No temporary file is left.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // An entry naming an unknown kernel or form is not used.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"subgroup\"", "\"huge\"")).unwrap();
        assert!(matches!(lookup(&path, &newer), Lookup::Corrupt(_)));
        std::fs::write(&path, text.replace("\"cols1\"", "\"cols9\"")).unwrap();
        assert!(matches!(lookup(&path, &newer), Lookup::Corrupt(_)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A file of format 1 (no format field, no depthwise form): stale for its adapters, missing
    /// for others; the next store rewrites it in this format.
    #[test]
    fn old_format_is_stale() {
        let dir = temp_dir("format");
        let path = cache_file(&dir);
        let k = key("mesa", "1.0.0");
        let entry = format!(r#"{{"entries":[{{"key":{},"gemm":"large","scores":[]}}]}}"#, serde_json::to_string(&k).unwrap());
        std::fs::write(&path, entry).unwrap();
        assert!(matches!(lookup(&path, &k), Lookup::Stale(why) if why.contains("format")));
        let other = CacheKey { adapter: "other".into(), ..k.clone() };
        assert_eq!(lookup(&path, &other), Lookup::Missing);
        store(&path, &other, pick(GemmChoice::Tiled), &[], &[]).unwrap();
        assert_eq!(lookup(&path, &k), Lookup::Missing);
        assert_eq!(load_cached(&path, &other), Some(pick(GemmChoice::Tiled)));
        assert!(std::fs::read_to_string(&path).unwrap().contains(&format!("\"format\": {FORMAT}")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
