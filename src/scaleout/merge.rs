//! [`merge`]: partials back into one scan's output.
//!
//! First the checks that the partials belong together, each naming the files and the option
//! at fault: the same [`Options`], the catalog of this merge, one shard count with each index
//! once and none missing, no file in two partials. Then the partials are consumed: files in
//! discovery (path) order, hits and records re-indexed, and both bounded (`--max-hits`) and
//! sorted exactly as `scan` does, so the report is byte-identical to one scan over all the
//! files.

use super::partial::{catalog_hash, Options, Partial, PartialProblem};
use super::shard::Shard;
use crate::catalog::Catalog;
use crate::error::FileError;
use crate::evidence::sockets::DumpInput;
use crate::evidence::sockets::SocketFile;
use crate::input::discover::Problem;
use crate::scan::{FileScan, Hit, ScanOutput};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The flag behind an [`Options`] field, for error messages.
fn flag_of(field: &str) -> String {
    match field {
        "catalog" => "--rules (the effective catalog)".into(),
        "tz_reason" => "--tz (given or this machine's zone)".into(),
        f => format!("--{}", f.replace('_', "-")),
    }
}

/// Partials merged back into one scan's output.
#[derive(Debug)]
pub struct Merged {
    /// The scan output, as one scan over all the files would have produced it.
    pub out: ScanOutput,
    /// Discovery problems, in discovery order.
    pub problems: Vec<Problem>,
    /// The `--sockets` files as read.
    pub socket_files: Vec<SocketFile>,
    /// The options every partial agrees on.
    pub options: Options,
}

/// Merges named partials. `catalog` must be the catalog the partials were scanned with
/// (same `--rules`). Errors name the files and the option at fault.
pub fn merge(parts: Vec<(String, Partial)>, catalog: &Catalog) -> Result<Merged, String> {
    let Some((first_name, first)) = parts.first() else {
        return Err("no partial results to merge".into());
    };
    check_agreement(first_name, first, &parts, catalog)?;

    // Files in discovery order (path order), each path once.
    let mut order: Vec<(usize, usize)> = Vec::new();
    for (pi, (_, p)) in parts.iter().enumerate() {
        order.extend((0..p.files.len()).map(|fi| (pi, fi)));
    }
    let path_of = |&(pi, fi): &(usize, usize)| Path::new(&parts[pi].1.files[fi].path);
    order.sort_by(|a, b| path_of(a).cmp(path_of(b)).then(a.cmp(b)));
    for w in order.windows(2) {
        if path_of(&w[0]) == path_of(&w[1]) {
            return Err(format!(
                "{} is in both {} and {}: the partials overlap (were two workers given the same --shard?)",
                parts[w[0].0].1.files[w[0].1].path,
                parts[w[0].0].0,
                parts[w[1].0].0
            ));
        }
    }
    let mut global: Vec<Vec<u32>> = parts.iter().map(|(_, p)| vec![0; p.files.len()]).collect();
    for (g, &(pi, fi)) in order.iter().enumerate() {
        global[pi][fi] = g as u32;
    }
    let options = first.options.clone();
    let gathered = gather(parts, &global, order.len(), catalog, &options)?;
    Ok(finish(gathered, options))
}

/// [`merge`]'s checks: every partial has the first one's [`Options`], the first one's
/// catalog is this merge's, and the shards are complete.
fn check_agreement(
    first_name: &str,
    first: &Partial,
    parts: &[(String, Partial)],
    catalog: &Catalog,
) -> Result<(), String> {
    for (name, p) in &parts[1..] {
        if p.options != first.options {
            let a = serde_json::to_value(&first.options).expect("options serialize");
            let b = serde_json::to_value(&p.options).expect("options serialize");
            let (a, b) = (
                a.as_object().expect("object"),
                b.as_object().expect("object"),
            );
            let field = a
                .keys()
                .find(|k| a.get(*k) != b.get(*k))
                .cloned()
                .unwrap_or_default();
            return Err(format!(
                "{first_name} and {name} were scanned with different {}: {} vs {}; \
                 scan every share with the same options",
                flag_of(&field),
                a.get(&field).map_or("-".into(), show_value),
                b.get(&field).map_or("-".into(), show_value),
            ));
        }
    }
    let hash = catalog_hash(catalog);
    if hash != first.options.catalog {
        let rules = if first.rules.is_empty() {
            "no --rules".to_string()
        } else {
            format!("--rules {}", first.rules.join(" --rules "))
        };
        return Err(format!(
            "{first_name} was scanned with another signature catalog ({rules}; catalog {}), \
             this merge has catalog {}: pass merge the same --rules as the scan",
            &first.options.catalog[..12.min(first.options.catalog.len())],
            &hash[..12]
        ));
    }
    check_shards(parts)
}

/// What the partials hold, in the merged file numbering: not yet bounded nor sorted.
struct Gathered {
    /// Unknown records so far (the rest of the output is filled by [`finish`]).
    out: ScanOutput,
    /// The hits, bounded by `--max-hits` as they come.
    store: crate::scan::bound::Bounded<Hit>,
    /// Each file at its merged index.
    files: Vec<Option<FileScan>>,
    /// Dumps with the merged index of their file.
    dumps: Vec<(u32, DumpInput)>,
    /// Problems with their place in discovery and their partial.
    problems: Vec<(u32, usize, PartialProblem)>,
    /// The first partial's `--sockets` files.
    socket_files: Option<Vec<SocketFile>>,
}

/// [`merge`]'s gathering: consumes the partials, with `global[partial][file]` the merged
/// index of each file (`files` of them in all).
fn gather(
    parts: Vec<(String, Partial)>,
    global: &[Vec<u32>],
    files: usize,
    catalog: &Catalog,
    options: &Options,
) -> Result<Gathered, String> {
    let sig_index: HashMap<String, u16> = catalog
        .signatures
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i as u16))
        .collect();
    let mut out = ScanOutput::default();
    // `--max-hits`: every share kept its earliest hits; the earliest of their union are the
    // earliest of all (crate::scan::bound), whatever the split.
    let mut store = crate::scan::bound::Bounded::new(options.max_hits);
    let mut files: Vec<Option<FileScan>> = vec![None; files];
    let mut dumps: Vec<(u32, DumpInput)> = Vec::new();
    let mut problems: Vec<(u32, usize, PartialProblem)> = Vec::new();
    let mut socket_files: Option<Vec<SocketFile>> = None;
    // Partials are consumed as they are merged: excerpts and dump texts move, never copy.
    for (pi, (name, p)) in parts.into_iter().enumerate() {
        let map = &global[pi];
        store.add_dropped(p.hits_dropped);
        for h in p.hits {
            let file = *map
                .get(h.file as usize)
                .ok_or_else(|| format!("{name}: a hit names file #{} of {}", h.file, map.len()))?;
            let sig = *sig_index.get(&h.signature).ok_or_else(|| {
                format!("{name}: signature `{}` is not in the catalog", h.signature)
            })?;
            store.push(Hit {
                file,
                sig,
                offset: h.offset,
                line: h.line,
                record: h.record,
                time: h.time,
                excerpt: h.excerpt.into_boxed_str(),
                level: h.level,
            });
        }
        let local: HashMap<&str, u32> = p
            .files
            .iter()
            .enumerate()
            .map(|(fi, f)| (f.path.as_str(), map[fi]))
            .collect();
        for d in p.dumps {
            // A dump is one of its partial's files; one scan lists dumps in file order.
            let at = local.get(d.path.as_str()).copied().unwrap_or(u32::MAX);
            dumps.push((at, d));
        }
        drop(local);
        for (fi, f) in p.files.into_iter().enumerate() {
            files[map[fi] as usize] = Some(f);
        }
        let mut unknown = p.unknown;
        if let Some(f) = unknown.max_file().filter(|&f| f as usize >= map.len()) {
            return Err(format!("{name}: a record names file #{f} of {}", map.len()));
        }
        unknown.map_files(|f| map[f as usize]);
        out.unknown.merge(unknown);
        problems.extend(p.problems.into_iter().map(|q| (q.seq, pi, q)));
        if socket_files.is_none() {
            socket_files = p.socket_files;
        }
    }
    Ok(Gathered {
        out,
        store,
        files,
        dumps,
        problems,
        socket_files,
    })
}

/// [`merge`]'s end: hits and unknown records bounded and sorted as one scan does, dumps and
/// files in path order, problems in discovery order.
fn finish(g: Gathered, options: Options) -> Merged {
    let Gathered {
        mut out,
        store,
        files,
        mut dumps,
        mut problems,
        socket_files,
    } = g;
    (out.hits, out.hits_dropped) = store.finish();
    crate::scan::sort_hits(&mut out.hits);
    dumps.sort_by_key(|d| d.0);
    out.dumps = dumps.into_iter().map(|d| d.1).collect();
    out.files = files
        .into_iter()
        .map(|f| f.expect("every slot filled"))
        .collect();

    // All workers of a sharded scan see one discovery: its order is the problems' order.
    problems.sort_by_key(|q| (q.0, q.1));
    let problems = problems
        .into_iter()
        .map(|(_, _, q)| Problem {
            path: PathBuf::from(q.path),
            error: FileError::new(&q.kind, q.message),
            note: q.note,
        })
        .collect();
    Merged {
        out,
        problems,
        socket_files: socket_files.unwrap_or_default(),
        options,
    }
}

fn show_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "(none)".into(),
        serde_json::Value::String(s) => format!("`{s}`"),
        serde_json::Value::Array(a) if a.is_empty() => "(none)".into(),
        other => format!("`{other}`"),
    }
}

/// Sharded partials: one count, each index once, none missing.
fn check_shards(parts: &[(String, Partial)]) -> Result<(), String> {
    let sharded: Vec<(&str, Shard)> = parts
        .iter()
        .filter_map(|(n, p)| p.shard.map(|s| (n.as_str(), s)))
        .collect();
    let Some(&(first_name, first)) = sharded.first() else {
        return Ok(());
    };
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for &(name, s) in &sharded {
        if s.count != first.count {
            return Err(format!(
                "{first_name} is shard {first} but {name} is shard {s}: every share must be scanned with the same --shard count"
            ));
        }
        if let Some(other) = seen.insert(s.index, name) {
            return Err(format!(
                "{other} and {name} are both shard {s}: each shard must be merged once"
            ));
        }
    }
    let missing: Vec<String> = (0..first.count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{}", first.count))
        .collect();
    if !missing.is_empty() {
        let (what, verb) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        return Err(format!(
            "{what} {} {verb} missing (have {} partial(s) of {}): a merge of part of the shards would silently leave files out",
            missing.join(", "),
            sharded.len(),
            first.count
        ));
    }
    Ok(())
}
