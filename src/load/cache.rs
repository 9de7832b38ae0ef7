//! The graph cache (`.nhg`): a built road network, ready to route as soon as it is read.
//!
//! Layout, every number little-endian:
//! - a header: the magic bytes `NHG\0`, the format version (u32), the number of sections
//!   (u32), a reserved u32 (0) and a checksum of the table of contents (u64);
//! - the table of contents: per section an 8-byte name, its byte length and its checksum
//!   (u64 each);
//! - the sections' bytes back to back, in table order.
//!
//! Sections hold flat arrays exactly as the network holds them in memory — junctions,
//! pieces, geometry, the forward and reverse adjacency, the snapping grid and, per metric,
//! the contraction hierarchy (ranks, arcs and the two link lists); beside them the extract's
//! named places, road names, water and land use (bincode) for the map — so loading is reading
//! each array straight into place, in parallel, with no rebuilding. A reader skips the
//! sections it does not need (a time-only analysis never reads the distance hierarchy).
//! Each section's checksum catches damaged bytes, and every index is still checked
//! against the graph, so a damaged file is an error naming it, never a panic or a wrong
//! route.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use rayon::prelude::*;
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::error::Error;
use crate::index::ch::{Arc, Hierarchy, Link, Links};
use crate::index::csr::Csr;
use crate::index::graph::{Adj, GraphParts, Junction, Piece, RoadGraph};
use crate::index::snap::{SnapIndex, StoredFrame};
use crate::model::metric::Metric;
use crate::model::profile::{Direction, RoadClass};
use crate::model::speeds::SpeedProfile;
use crate::model::LatLon;
use crate::query::route::{Hierarchies, Network};

const MAGIC: &[u8; 4] = b"NHG\0";
/// Format version: 6 stores the adjacency, the snapping grid and the hierarchy links; 7
/// counts the extracts merged; 8 records the speed profile; 9 stores the extract's named
/// places (`place=*` nodes, the map's labels); 10 their water and land use; 11 the roads'
/// names.
const VERSION: u32 = 11;
const HEADER: usize = 24;
const TOC_ENTRY: usize = 24;
/// Bytes of one stored piece (way id, four u32 indexes, length, speed).
const PIECE: usize = 40;

/// A section name: eight ASCII bytes, zero-padded.
type Name = [u8; 8];

fn name(s: &str) -> Name {
    let mut n = [0u8; 8];
    n[..s.len()].copy_from_slice(s.as_bytes());
    n
}

/// The section names of one metric's hierarchy.
struct HierarchyNames {
    rank: Name,
    arcs: Name,
    out_offsets: Name,
    out_links: Name,
    in_offsets: Name,
    in_links: Name,
}

fn hierarchy_names(metric: Metric) -> HierarchyNames {
    let p = match metric {
        Metric::Time => "t",
        Metric::Distance => "d",
    };
    HierarchyNames {
        rank: name(&format!("{p}.rank")),
        arcs: name(&format!("{p}.arcs")),
        out_offsets: name(&format!("{p}.out.o")),
        out_links: name(&format!("{p}.out")),
        in_offsets: name(&format!("{p}.in.o")),
        in_links: name(&format!("{p}.in")),
    }
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/// One section to write: its name and bytes (borrowed from the network where they are
/// already laid out as stored).
struct Section<'a> {
    name: Name,
    bytes: std::borrow::Cow<'a, [u8]>,
}

fn borrowed<'a, T: IntoBytes + Immutable>(n: &str, items: &'a [T]) -> Section<'a> {
    Section {
        name: name(n),
        bytes: std::borrow::Cow::Borrowed(items.as_bytes()),
    }
}

fn owned(n: &str, bytes: Vec<u8>) -> Section<'static> {
    Section {
        name: name(n),
        bytes: std::borrow::Cow::Owned(bytes),
    }
}

/// Every section of `net`, in file order.
fn sections(net: &Network) -> Result<Vec<Section<'_>>, Error> {
    let enc_err = |e: bincode::error::EncodeError| Error::Cache {
        file: "(encoding)".into(),
        message: e.to_string(),
    };
    let encode = |v: &dyn erased::Encode| v.encode().map_err(enc_err);
    let parts = net.graph.parts();
    let mut pieces = Vec::with_capacity(parts.pieces.len() * PIECE);
    for p in &parts.pieces {
        pieces.extend_from_slice(&p.way_id.to_le_bytes());
        for v in [p.from, p.to, p.coord_start, p.coord_len] {
            pieces.extend_from_slice(&v.to_le_bytes());
        }
        pieces.extend_from_slice(&p.length_m.to_le_bytes());
        pieces.extend_from_slice(&p.speed_kmh.to_le_bytes());
    }
    let kinds: Vec<(RoadClass, Direction)> = parts
        .pieces
        .iter()
        .map(|p| (p.class, p.direction))
        .collect();
    let (frame, grid) = net.index.stored();
    let mut out = vec![
        owned("summary", encode(&parts.summary)?),
        borrowed("junction", &parts.junctions),
        owned("pieces", pieces),
        owned("kinds", encode(&kinds)?),
        borrowed("coords", &parts.coords),
        borrowed("cum_m", &parts.cum_m),
        borrowed("fwd.o", net.graph.fwd.offsets()),
        borrowed("fwd", net.graph.fwd.entries()),
        borrowed("rev.o", net.graph.rev.offsets()),
        borrowed("rev", net.graph.rev.entries()),
        owned("grid.f", frame.as_bytes().to_vec()),
        borrowed("grid.o", grid.offsets()),
        borrowed("grid", grid.entries()),
        owned("speeds", net.speeds.to_stored().as_bytes().to_vec()),
        owned("places", encode(&net.places)?),
        owned("land", encode(net.land.as_ref())?),
        owned("names", encode(net.road_names.as_ref())?),
    ];
    for metric in [Metric::Time, Metric::Distance] {
        let Some(h) = net.hierarchies.get(metric) else {
            continue;
        };
        let n = hierarchy_names(metric);
        for (nm, bytes) in [
            (n.rank, h.ranks().as_bytes()),
            (n.arcs, h.arcs().as_bytes()),
            (n.out_offsets, h.up_out().offsets().as_bytes()),
            (n.out_links, h.up_out().entries().as_bytes()),
            (n.in_offsets, h.up_in().offsets().as_bytes()),
            (n.in_links, h.up_in().entries().as_bytes()),
        ] {
            out.push(Section {
                name: nm,
                bytes: std::borrow::Cow::Borrowed(bytes),
            });
        }
    }
    Ok(out)
}

/// Small values stored with bincode.
mod erased {
    /// A value bincode can encode.
    pub(super) trait Encode {
        fn encode(&self) -> Result<Vec<u8>, bincode::error::EncodeError>;
    }
    impl<T: serde::Serialize> Encode for T {
        fn encode(&self) -> Result<Vec<u8>, bincode::error::EncodeError> {
            bincode::serde::encode_to_vec(self, bincode::config::standard())
        }
    }
}

/// Write `net` — graph, grid and any hierarchies — as cache bytes to `w`. Returns the
/// number of bytes written.
///
/// # Errors
/// [`Error::Cache`] if encoding fails; the writer's error otherwise.
pub fn write_cache(net: &Network, w: &mut impl Write) -> Result<u64, Error> {
    let sections = sections(net)?;
    let sums: Vec<u64> = sections.par_iter().map(|s| checksum(&s.bytes)).collect();
    let mut toc = Vec::with_capacity(sections.len() * TOC_ENTRY);
    for (s, sum) in sections.iter().zip(&sums) {
        toc.extend_from_slice(&s.name);
        toc.extend_from_slice(&(s.bytes.len() as u64).to_le_bytes());
        toc.extend_from_slice(&sum.to_le_bytes());
    }
    let mut head = Vec::with_capacity(HEADER);
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&VERSION.to_le_bytes());
    head.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    head.extend_from_slice(&0u32.to_le_bytes());
    head.extend_from_slice(&checksum(&toc).to_le_bytes());
    let io = |e: std::io::Error| Error::Cache {
        file: "(writing)".into(),
        message: e.to_string(),
    };
    w.write_all(&head).map_err(io)?;
    w.write_all(&toc).map_err(io)?;
    let mut total = (head.len() + toc.len()) as u64;
    for s in &sections {
        w.write_all(&s.bytes).map_err(io)?;
        total += s.bytes.len() as u64;
    }
    Ok(total)
}

/// Serialise a network into cache bytes (see [`write_cache`]).
///
/// # Errors
/// [`Error::Cache`] if encoding fails.
pub fn encode_cache(net: &Network) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    write_cache(net, &mut out)?;
    Ok(out)
}

/// Write the cache of `net` to `path` through a temporary file beside it, renamed into
/// place once complete: a reader never sees a half-written cache.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written; [`Error::Cache`] if encoding fails.
pub fn save_cache(net: &Network, path: &Path) -> Result<u64, Error> {
    let io = |io| Error::Io {
        path: path.to_path_buf(),
        io,
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let file = std::fs::File::create(&tmp).map_err(io)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let n = write_cache(net, &mut w)?;
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(n)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/// Where cache bytes come from: memory, or a file read section by section.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// The whole cache in memory.
    Bytes(&'a [u8]),
    /// A cache file (each section is read straight into its array).
    File(&'a Path),
}

impl Source<'_> {
    fn len(&self) -> Result<u64, String> {
        match self {
            Source::Bytes(b) => Ok(b.len() as u64),
            Source::File(p) => std::fs::metadata(p)
                .map(|m| m.len())
                .map_err(|e| format!("cannot read: {e}")),
        }
    }

    /// Fill `buf` from `offset` (the range was checked against the length).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        match self {
            Source::Bytes(b) => {
                let at = offset as usize;
                let src = b
                    .get(at..at + buf.len())
                    .ok_or("truncated: a section runs past the end")?;
                buf.copy_from_slice(src);
                Ok(())
            }
            Source::File(p) => {
                let mut f = std::fs::File::open(p).map_err(|e| format!("cannot read: {e}"))?;
                f.seek(SeekFrom::Start(offset))
                    .and_then(|_| f.read_exact(buf))
                    .map_err(|e| format!("cannot read a section: {e}"))
            }
        }
    }
}

/// A section's place in the file.
#[derive(Debug, Clone, Copy)]
struct Entry {
    name: Name,
    offset: u64,
    len: u64,
    sum: u64,
}

/// The table of contents, checked against the file's length.
struct Toc(Vec<Entry>);

impl Toc {
    fn read(src: Source) -> Result<Toc, String> {
        if cfg!(target_endian = "big") {
            return Err("graph caches are little-endian; this machine is not".into());
        }
        let total = src.len()?;
        let mut head = [0u8; HEADER];
        if total < 8 {
            return Err("missing NHG header".into());
        }
        src.read_at(0, &mut head[..8])?;
        if &head[..4] != MAGIC {
            return Err("missing NHG header".into());
        }
        let version = u32_at(&head, 4);
        if version != VERSION {
            return Err(format!(
                "format version {version}, this build reads {VERSION}: run `nearhome prepare` again"
            ));
        }
        if total < HEADER as u64 {
            return Err("truncated header".into());
        }
        src.read_at(0, &mut head)?;
        let count = u32_at(&head, 8) as u64;
        let toc_len = count * TOC_ENTRY as u64;
        if u32_at(&head, 12) != 0 || count > 1024 || HEADER as u64 + toc_len > total {
            return Err("truncated or damaged table of contents".into());
        }
        let mut toc = vec![0u8; toc_len as usize];
        src.read_at(HEADER as u64, &mut toc)?;
        if checksum(&toc) != u64_at(&head, 16) {
            return Err("checksum mismatch in the table of contents: the file is damaged".into());
        }
        let mut offset = HEADER as u64 + toc_len;
        let mut entries = Vec::with_capacity(count as usize);
        for e in toc.chunks_exact(TOC_ENTRY) {
            let mut n = [0u8; 8];
            n.copy_from_slice(&e[..8]);
            let len = u64_at(e, 8);
            entries.push(Entry {
                name: n,
                offset,
                len,
                sum: u64_at(e, 16),
            });
            offset = offset.saturating_add(len);
        }
        if offset != total {
            return Err(format!(
                "truncated: the sections need {offset} bytes, the file has {total}"
            ));
        }
        Ok(Toc(entries))
    }

    fn find(&self, n: &Name) -> Option<Entry> {
        self.0.iter().find(|e| &e.name == n).copied()
    }

    fn has(&self, n: &str) -> bool {
        self.find(&name(n)).is_some()
    }
}

fn shown(n: &Name) -> String {
    String::from_utf8_lossy(n)
        .trim_end_matches('\0')
        .to_string()
}

/// Read section `n` as an array of `T`, straight into place, and check its checksum.
fn array<T: FromBytes + IntoBytes + Immutable>(
    src: Source,
    toc: &Toc,
    n: &Name,
) -> Result<Vec<T>, String> {
    let e = toc
        .find(n)
        .ok_or_else(|| format!("section {} is missing", shown(n)))?;
    let size = std::mem::size_of::<T>() as u64;
    if e.len % size != 0 {
        return Err(format!("section {} has a partial record", shown(n)));
    }
    let mut v = T::new_vec_zeroed((e.len / size) as usize)
        .map_err(|_| format!("section {} is too large", shown(n)))?;
    src.read_at(e.offset, v.as_mut_bytes())?;
    if checksum(v.as_bytes()) != e.sum {
        return Err(format!(
            "checksum mismatch in section {}: the file is damaged",
            shown(n)
        ));
    }
    Ok(v)
}

fn bytes(src: Source, toc: &Toc, n: &str) -> Result<Vec<u8>, String> {
    array::<u8>(src, toc, &name(n))
}

fn decode<T: serde::de::DeserializeOwned>(b: &[u8], what: &str) -> Result<T, String> {
    bincode::serde::decode_from_slice(b, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| format!("corrupt {what} ({e})"))
}

/// Every stored array of the graph and grid, read side by side.
#[derive(Default)]
struct GraphArrays {
    summary: Vec<u8>,
    junctions: Vec<Junction>,
    pieces: Vec<u8>,
    kinds: Vec<u8>,
    coords: Vec<LatLon>,
    cum_m: Vec<f64>,
    fwd: (Vec<u32>, Vec<Adj>),
    rev: (Vec<u32>, Vec<Adj>),
    frame: Vec<StoredFrame>,
    grid: (Vec<u32>, Vec<[u32; 2]>),
}

/// One hierarchy's stored arrays.
#[derive(Default)]
struct HierarchyArrays {
    rank: Vec<u32>,
    arcs: Vec<Arc>,
    out: (Vec<u32>, Vec<Link>),
    inn: (Vec<u32>, Vec<Link>),
}

type Slot<T> = Result<T, String>;

fn read_graph_arrays(src: Source, toc: &Toc) -> Result<GraphArrays, String> {
    let mut r: [Slot<()>; 13] = std::array::from_fn(|_| Ok(()));
    let mut a = GraphArrays::default();
    {
        let GraphArrays {
            summary,
            junctions,
            pieces,
            kinds,
            coords,
            cum_m,
            fwd,
            rev,
            frame,
            grid,
        } = &mut a;
        let [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12] = &mut r;
        rayon::scope(|s| {
            s.spawn(|_| *r0 = bytes(src, toc, "summary").map(|v| *summary = v));
            s.spawn(|_| *r1 = array(src, toc, &name("junction")).map(|v| *junctions = v));
            s.spawn(|_| *r2 = bytes(src, toc, "pieces").map(|v| *pieces = v));
            s.spawn(|_| *r3 = bytes(src, toc, "kinds").map(|v| *kinds = v));
            s.spawn(|_| *r4 = array(src, toc, &name("coords")).map(|v| *coords = v));
            s.spawn(|_| *r5 = array(src, toc, &name("cum_m")).map(|v| *cum_m = v));
            s.spawn(|_| *r6 = array(src, toc, &name("fwd.o")).map(|v| fwd.0 = v));
            s.spawn(|_| *r7 = array(src, toc, &name("fwd")).map(|v| fwd.1 = v));
            s.spawn(|_| *r8 = array(src, toc, &name("rev.o")).map(|v| rev.0 = v));
            s.spawn(|_| *r9 = array(src, toc, &name("rev")).map(|v| rev.1 = v));
            s.spawn(|_| *r10 = array(src, toc, &name("grid.f")).map(|v| *frame = v));
            s.spawn(|_| *r11 = array(src, toc, &name("grid.o")).map(|v| grid.0 = v));
            s.spawn(|_| *r12 = array(src, toc, &name("grid")).map(|v| grid.1 = v));
        });
    }
    r.into_iter().collect::<Result<Vec<()>, String>>()?;
    Ok(a)
}

fn read_hierarchy_arrays(
    src: Source,
    toc: &Toc,
    metric: Metric,
) -> Result<HierarchyArrays, String> {
    let n = hierarchy_names(metric);
    let mut h = HierarchyArrays::default();
    let mut r: [Slot<()>; 6] = std::array::from_fn(|_| Ok(()));
    {
        let HierarchyArrays {
            rank,
            arcs,
            out,
            inn,
        } = &mut h;
        let [r0, r1, r2, r3, r4, r5] = &mut r;
        let n = &n;
        rayon::scope(|s| {
            s.spawn(|_| *r0 = array(src, toc, &n.rank).map(|v| *rank = v));
            s.spawn(|_| *r1 = array(src, toc, &n.arcs).map(|v| *arcs = v));
            s.spawn(|_| *r2 = array(src, toc, &n.out_offsets).map(|v| out.0 = v));
            s.spawn(|_| *r3 = array(src, toc, &n.out_links).map(|v| out.1 = v));
            s.spawn(|_| *r4 = array(src, toc, &n.in_offsets).map(|v| inn.0 = v));
            s.spawn(|_| *r5 = array(src, toc, &n.in_links).map(|v| inn.1 = v));
        });
    }
    r.into_iter().collect::<Result<Vec<()>, String>>()?;
    Ok(h)
}

/// Graph parts from their stored arrays.
fn graph_parts(a: GraphArrays) -> Result<GraphParts, String> {
    if a.pieces.len() % PIECE != 0 {
        return Err("section pieces has a partial record".into());
    }
    let kinds: Vec<(RoadClass, Direction)> = decode(&a.kinds, "piece kinds")?;
    if kinds.len() != a.pieces.len() / PIECE {
        return Err("piece kinds do not match the pieces".into());
    }
    let pieces = a
        .pieces
        .par_chunks_exact(PIECE)
        .zip(kinds)
        .map(|(b, (class, direction))| Piece {
            way_id: u64_at(b, 0) as i64,
            from: u32_at(b, 8),
            to: u32_at(b, 12),
            coord_start: u32_at(b, 16),
            coord_len: u32_at(b, 20),
            length_m: f64::from_bits(u64_at(b, 24)),
            speed_kmh: f64::from_bits(u64_at(b, 32)),
            class,
            direction,
        })
        .collect();
    let parts = GraphParts {
        junctions: a.junctions,
        pieces,
        coords: a.coords,
        cum_m: a.cum_m,
        summary: decode(&a.summary, "load summary")?,
    };
    validate_parts(&parts)?;
    Ok(parts)
}

/// Check the indexes inside cache parts so that a damaged file cannot cause a panic later.
fn validate_parts(p: &GraphParts) -> Result<(), String> {
    let nj = p.junctions.len() as u64;
    if p.coords.len() != p.cum_m.len() {
        return Err("coordinate and length arrays differ in size".into());
    }
    let valid = |c: &LatLon| LatLon::new(c.lat, c.lon).is_ok();
    if !p.coords.par_iter().all(valid)
        || !p.junctions.par_iter().all(|j| valid(&j.pos))
        || !p.cum_m.par_iter().all(|v| v.is_finite())
    {
        return Err("non-finite or out-of-range coordinate".into());
    }
    if p.pieces.is_empty() {
        return Err("no road pieces".into());
    }
    let bad = p.pieces.par_iter().position_first(|pc| {
        let end = u64::from(pc.coord_start) + u64::from(pc.coord_len);
        u64::from(pc.from) >= nj
            || u64::from(pc.to) >= nj
            || pc.coord_len < 2
            || end > p.coords.len() as u64
            || !(pc.length_m.is_finite() && pc.length_m >= 0.0)
            || !(pc.speed_kmh.is_finite() && pc.speed_kmh > 0.0)
    });
    match bad {
        Some(i) => Err(format!("piece {i} is inconsistent")),
        None => Ok(()),
    }
}

/// Read a network from a cache with the hierarchies of `metrics` only (the others are
/// skipped unread: a time-only analysis need not pay for the distance hierarchy).
///
/// # Errors
/// [`Error::Cache`] naming `label` when the bytes are not a cache of this version, are
/// damaged or inconsistent.
pub fn read_cache(src: Source, label: &str, metrics: &[Metric]) -> Result<Network, Error> {
    let bad = |message: String| Error::Cache {
        file: label.to_string(),
        message,
    };
    let toc = Toc::read(src).map_err(bad)?;
    let wanted: Vec<Metric> = [Metric::Time, Metric::Distance]
        .into_iter()
        .filter(|m| metrics.contains(m) && toc.has(&shown(&hierarchy_names(*m).rank)))
        .collect();
    let (graph, stored) = rayon::join(
        || read_graph_arrays(src, &toc),
        || {
            wanted
                .par_iter()
                .map(|&m| read_hierarchy_arrays(src, &toc, m).map(|h| (m, h)))
                .collect::<Result<Vec<_>, String>>()
        },
    );
    let (mut arrays, stored) = (graph.map_err(bad)?, stored.map_err(bad)?);
    let n = arrays.junctions.len();
    let frame = arrays.frame.first().copied();
    let grid = std::mem::take(&mut arrays.grid);
    let (fwd, rev) = (
        std::mem::take(&mut arrays.fwd),
        std::mem::take(&mut arrays.rev),
    );
    let parts = graph_parts(arrays).map_err(bad)?;
    let csr = |(o, e): (Vec<u32>, Vec<Adj>), what: &str| {
        Csr::from_stored(n, o, e).map_err(|m| format!("{what} adjacency: {m}"))
    };
    let graph = RoadGraph::from_stored(
        parts,
        csr(fwd, "forward").map_err(bad)?,
        csr(rev, "reverse").map_err(bad)?,
    )
    .map_err(bad)?;
    let Some(frame) = frame else {
        return Err(bad("snapping grid frame is missing".into()));
    };
    let n_edges = graph.edge_count();
    let (index, hierarchies) = rayon::join(
        || SnapIndex::from_stored(&graph, frame, grid.0, grid.1),
        || -> Result<Hierarchies, String> {
            let mut hs = Hierarchies::default();
            for (metric, h) in stored {
                if h.rank.len() != n {
                    return Err("hierarchy does not match the graph".into());
                }
                let links = |(o, e): (Vec<u32>, Vec<Link>)| -> Result<Links, String> {
                    Csr::from_stored(n, o, e).map_err(|m| format!("hierarchy links: {m}"))
                };
                let (out, inn) = (links(h.out)?, links(h.inn)?);
                let built =
                    Hierarchy::from_parts(metric, h.rank, h.arcs, Some((out, inn)), n_edges)
                        .map_err(|e| e.to_string())?;
                match metric {
                    Metric::Time => hs.time = Some(built),
                    Metric::Distance => hs.distance = Some(built),
                }
            }
            Ok(hs)
        },
    );
    let index = index.map_err(bad)?;
    let mut net = Network::with_index(graph, index).with_hierarchies(hierarchies.map_err(bad)?);
    net.speeds = read_speeds(src, &toc).map_err(bad)?;
    net.places = decode(&bytes(src, &toc, "places").map_err(bad)?, "places").map_err(bad)?;
    net.land =
        std::sync::Arc::new(decode(&bytes(src, &toc, "land").map_err(bad)?, "land").map_err(bad)?);
    net.road_names = std::sync::Arc::new(
        decode(&bytes(src, &toc, "names").map_err(bad)?, "road names").map_err(bad)?,
    );
    Ok(net)
}

/// The speed profile the graph was timed at (free flow in a cache without one).
fn read_speeds(src: Source, toc: &Toc) -> Result<SpeedProfile, String> {
    if !toc.has("speeds") {
        return Ok(SpeedProfile::free_flow());
    }
    let stored: Vec<f64> = array(src, toc, &name("speeds"))?;
    SpeedProfile::from_stored(&stored).ok_or_else(|| "speeds section is not a speed profile".into())
}

/// True when the bytes start like a graph cache.
pub fn is_cache(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// True when the file at `path` starts like a graph cache.
pub fn is_cache_file(path: &Path) -> std::io::Result<bool> {
    let mut head = [0u8; 4];
    let mut f = std::fs::File::open(path)?;
    let mut got = 0;
    while got < 4 {
        match f.read(&mut head[got..])? {
            0 => break,
            k => got += k,
        }
    }
    Ok(got == 4 && &head == MAGIC)
}

// Fixed-width little-endian fields of a record whose length was checked by the caller.
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}
fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from(u32_at(b, i)) | (u64::from(u32_at(b, i + 4)) << 32)
}

/// A cheap checksum against damaged cache files (not a security measure): FNV-1a over
/// little-endian 8-byte words (the tail byte by byte), fast enough for a 300 MB cache.
fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h ^= u64::from_le_bytes(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    for &b in words.remainder() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::graph::{RawNetwork, RawWay};
    use crate::model::profile::WayRule;
    use std::collections::HashMap;

    /// A 4 × 4 grid of streets, one of them one-way, with both hierarchies.
    fn grid_network() -> Network {
        let id = |x: i64, y: i64| y * 4 + x;
        let mut nodes = HashMap::new();
        for y in 0..4 {
            for x in 0..4 {
                let pos = LatLon::new(52.0 + y as f64 * 0.002, -1.9 + x as f64 * 0.003);
                nodes.insert(id(x, y), pos.expect("valid"));
            }
        }
        let rule = |direction| WayRule {
            class: RoadClass::Residential,
            speed_kmh: 30.0,
            direction,
        };
        let mut ways = Vec::new();
        for k in 0..4 {
            ways.push(RawWay {
                id: 100 + k,
                nodes: (0..4).map(|x| id(x, k)).collect(),
                rule: rule(Direction::Both),
            });
            let dir = if k == 2 {
                Direction::Forward
            } else {
                Direction::Both
            };
            ways.push(RawWay {
                id: 200 + k,
                nodes: (0..4).map(|y| id(k, y)).collect(),
                rule: rule(dir),
            });
        }
        let raw = RawNetwork {
            ways,
            nodes,
            stats: Default::default(),
        };
        let graph = RoadGraph::build(&raw).expect("a graph");
        let h = Hierarchies::build(&graph, &|_, _, _| {});
        Network::new(graph).with_hierarchies(h)
    }

    /// Overwrite section `n` with `bytes` and fix its checksum and the table's, as a
    /// consistent but wrong file would be.
    fn replace_section(cache: &mut [u8], n: &str, edit: impl Fn(&mut [u8])) {
        let toc = Toc::read(Source::Bytes(cache)).expect("table");
        let (i, e) = toc
            .0
            .iter()
            .enumerate()
            .find(|(_, e)| e.name == name(n))
            .expect("section");
        let (at, len) = (e.offset as usize, e.len as usize);
        edit(&mut cache[at..at + len]);
        let sum = checksum(&cache[at..at + len]);
        let slot = HEADER + i * TOC_ENTRY + 16;
        cache[slot..slot + 8].copy_from_slice(&sum.to_le_bytes());
        let toc_end = HEADER + toc.0.len() * TOC_ENTRY;
        let toc_sum = checksum(&cache[HEADER..toc_end]);
        cache[16..24].copy_from_slice(&toc_sum.to_le_bytes());
    }

    #[test]
    fn a_cache_reads_back_to_the_same_network() {
        let net = grid_network();
        let bytes = encode_cache(&net).expect("encodes");
        let back = read_cache(
            Source::Bytes(&bytes),
            "grid.nhg",
            &[Metric::Time, Metric::Distance],
        )
        .expect("reads");
        assert_eq!(encode_cache(&back).expect("encodes"), bytes);
        assert_eq!(back.graph.fwd, net.graph.fwd);
        assert_eq!(back.graph.rev, net.graph.rev);
        let (h, b) = (
            net.hierarchies.time.as_ref(),
            back.hierarchies.time.as_ref(),
        );
        let (h, b) = (h.expect("built"), b.expect("read"));
        assert_eq!(h.up_out(), b.up_out());
        assert_eq!(h.up_in(), b.up_in());
        assert_eq!(h.arcs(), b.arcs());
    }

    #[test]
    fn only_the_asked_hierarchies_are_read() {
        let bytes = encode_cache(&grid_network()).expect("encodes");
        let back = read_cache(Source::Bytes(&bytes), "grid.nhg", &[Metric::Time]).expect("reads");
        assert!(back.hierarchies.time.is_some());
        assert!(back.hierarchies.distance.is_none());
    }

    #[test]
    fn consistent_but_wrong_arrays_are_rejected() {
        let bytes = encode_cache(&grid_network()).expect("encodes");
        let cases: [(&str, &str); 4] = [
            ("fwd", "adjacency"),
            ("grid", "snapping grid"),
            ("t.out", "links"),
            ("fwd.o", "offsets"),
        ];
        for (section, want) in cases {
            let mut bad = bytes.clone();
            // The first record's first u32 (a head, a piece, a junction, an offset).
            replace_section(&mut bad, section, |b| {
                b[..4].copy_from_slice(&9999u32.to_le_bytes())
            });
            let e = read_cache(Source::Bytes(&bad), "bad.nhg", &[Metric::Time])
                .err()
                .unwrap_or_else(|| panic!("{section}: a wrong array was accepted"))
                .to_string();
            assert!(e.contains("bad.nhg") && e.contains(want), "{section}: {e}");
        }
    }

    #[test]
    fn a_damaged_section_names_itself() {
        let mut bytes = encode_cache(&grid_network()).expect("encodes");
        let toc = Toc::read(Source::Bytes(&bytes)).expect("table");
        let e = toc.find(&name("coords")).expect("coords");
        bytes[e.offset as usize + 3] ^= 0x40;
        let Err(err) = read_cache(Source::Bytes(&bytes), "d.nhg", &[Metric::Time]) else {
            panic!("damage went unnoticed");
        };
        let err = err.to_string();
        assert!(err.contains("section coords"), "{err}");
    }

    /// Offsets of `length_m` and `speed_kmh` in a stored piece record.
    const LENGTH_AT: usize = 24;
    const SPEED_AT: usize = 32;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// A piece with a NaN, infinite, negative or (speed) zero figure is refused even
        /// when every checksum is right: durations derive from them.
        #[test]
        fn bad_lengths_and_speeds_are_refused_behind_valid_checksums(
            piece in 0usize..24,
            field in proptest::prop_oneof![proptest::strategy::Just(LENGTH_AT), proptest::strategy::Just(SPEED_AT)],
            value in proptest::prop_oneof![
                proptest::strategy::Just(f64::NAN),
                proptest::strategy::Just(f64::INFINITY),
                proptest::strategy::Just(f64::NEG_INFINITY),
                -1e9f64..-1e-9,
            ],
        ) {
            let mut bytes = encode_cache(&grid_network()).expect("encodes");
            replace_section(&mut bytes, "pieces", |b| {
                let n = b.len() / PIECE;
                let at = (piece % n) * PIECE + field;
                b[at..at + 8].copy_from_slice(&value.to_le_bytes());
            });
            let r = read_cache(Source::Bytes(&bytes), "bad.nhg", &[Metric::Time, Metric::Distance]);
            proptest::prop_assert!(r.is_err(), "piece {piece} field {field} = {value} accepted");
        }

        /// Any byte of any section changed, checksums fixed up: reading never panics, and a
        /// network that is accepted answers a route without panicking.
        #[test]
        fn a_resealed_damaged_cache_never_panics(
            section in 0usize..64,
            at in 0usize..1 << 16,
            byte in 0u8..=255,
        ) {
            let net = grid_network();
            let mut bytes = encode_cache(&net).expect("encodes");
            let toc = Toc::read(Source::Bytes(&bytes)).expect("table");
            let e = &toc.0[section % toc.0.len()];
            let label = String::from_utf8_lossy(&e.name).trim_end_matches('\0').to_string();
            if e.len > 0 {
                replace_section(&mut bytes, &label, |b| {
                    let k = at % b.len();
                    b[k] = byte;
                });
            }
            if let Ok(back) = read_cache(Source::Bytes(&bytes), "d.nhg", &[Metric::Time]) {
                let a = LatLon::new(52.0, -1.9).expect("valid");
                let b = LatLon::new(52.006, -1.891).expect("valid");
                if let (Ok(sa), Ok(sb)) = (back.snap_within(a, 1000.0), back.snap_within(b, 1000.0)) {
                    let _ = back.route(&sa, &sb, Metric::Time);
                }
            }
        }
    }
}
