//! Reading a corpus — a directory on disk or the embedded demo — into memory.
//!
//! The layout is the one of SPEC section 1: any subset of the vendor folders (each vendor's
//! [`Discovery`](detcat_model::Discovery) in the registry) and `attack/`, plus `ctid/` (threat scores; optional). Every file under a vendor folder is accounted for: either it is handed to that
//! vendor's parser, or it is a *skipped* file with the reason (binary, wrong extension, too big).

use std::path::{Path, PathBuf};

use detcat_model::{SourceFile, Vendor};
use include_dir::{Dir, include_dir};

use crate::error::CatalogError;

/// The demo corpus written by the detcat authors, embedded in every binary.
static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

/// Rule files larger than this are not parsed: no real rule comes near it, and a hostile
/// multi-megabyte file must not stall a build. (Largest real rule file: well under 200 KiB.)
pub const MAX_RULE_FILE_BYTES: usize = 4 * 1024 * 1024;

/// ATT&CK bundles are big by nature (enterprise v18 is 34 MB).
pub const MAX_ATTACK_FILE_BYTES: usize = 256 * 1024 * 1024;

/// A file under a vendor folder that no parser sees, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// An ATT&CK bundle of the corpus. A corpus keeps old releases beside the newest (30 MB
/// each) and the build loads only the newest per domain, so a bundle on disk is read when it
/// is chosen, and its bytes are dropped once loaded.
#[derive(Debug, Clone)]
pub struct AttackFile {
    /// Corpus-relative path (`attack/enterprise-attack-18.1.json`).
    pub path: String,
    bytes: AttackBytes,
}

#[derive(Debug, Clone)]
enum AttackBytes {
    /// The embedded demo and tests hold their bundles in memory.
    Memory(Vec<u8>),
    Disk(PathBuf),
}

impl AttackFile {
    /// A bundle already in memory.
    pub fn in_memory(path: impl Into<String>, bytes: Vec<u8>) -> AttackFile {
        AttackFile {
            path: path.into(),
            bytes: AttackBytes::Memory(bytes),
        }
    }

    /// The bundle's bytes (read from disk now when it lives there). A file over
    /// [`MAX_ATTACK_FILE_BYTES`] is refused rather than read.
    pub fn read(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        use std::borrow::Cow;
        match &self.bytes {
            AttackBytes::Memory(b) => Ok(Cow::Borrowed(b)),
            AttackBytes::Disk(abs) => {
                let len = std::fs::metadata(abs)?.len();
                if len > MAX_ATTACK_FILE_BYTES as u64 {
                    return Err(std::io::Error::other(format!(
                        "too large for an ATT&CK bundle ({len} bytes; the limit is {MAX_ATTACK_FILE_BYTES})"
                    )));
                }
                std::fs::read(abs).map(Cow::Owned)
            }
        }
    }
}

/// Every vendor's files, taken out of a [`Corpus`] by the build.
pub(crate) struct VendorFiles([Vec<SourceFile>; Vendor::ALL.len()]);

impl VendorFiles {
    /// The files of `vendor`, as [`Corpus::files`].
    pub(crate) fn files(&self, vendor: Vendor) -> &[SourceFile] {
        self.0.get(vendor.index()).map_or(&[], Vec::as_slice)
    }

    /// The same, to move the texts out.
    pub(crate) fn files_mut(&mut self, vendor: Vendor) -> &mut [SourceFile] {
        self.0
            .get_mut(vendor.index())
            .map_or(&mut [], Vec::as_mut_slice)
    }
}

/// Everything read from one corpus.
#[derive(Debug, Default, Clone)]
pub struct Corpus {
    /// Human-readable origin (`demo (embedded)` or the directory).
    pub origin: String,
    /// Per vendor (by [`Vendor::index`]), the files its parser reads; see [`Corpus::files`].
    vendor_files: [Vec<SourceFile>; Vendor::ALL.len()],
    /// ATT&CK bundles, read when the build chooses them (see [`AttackFile`]).
    pub attack: Vec<AttackFile>,
    /// CTID Top ATT&CK Techniques files (`ctid/*.json`) as raw bytes; empty when absent.
    pub ctid: Vec<(String, Vec<u8>)>,
    /// Files that are no rules by their kind (README, LICENSE, `.evtx` samples), per vendor.
    pub skipped: Vec<(Vendor, SkippedFile)>,
    /// Rule files (by extension) that could not be handed to a parser: binary, not UTF-8, too
    /// large. The build turns each into a *failed* rule so that nothing is silently lost.
    pub unreadable: Vec<(Vendor, SkippedFile)>,
    /// Entries the walk did not read at all, with why: symlinks (never followed out of the
    /// corpus), FIFOs and other special files, directories that cannot be listed.
    pub not_read: Vec<(Vendor, SkippedFile)>,
}

impl Corpus {
    /// The files of `vendor`'s folder that its parser reads, sorted by path.
    pub fn files(&self, vendor: Vendor) -> &[SourceFile] {
        self.vendor_files
            .get(vendor.index())
            .map_or(&[], Vec::as_slice)
    }

    /// Takes every vendor's files out of the corpus (the build parses them, then moves their
    /// texts into the `files` table and frees them; the rest of the corpus stays).
    pub(crate) fn take_vendor_files(&mut self) -> VendorFiles {
        VendorFiles(std::mem::take(&mut self.vendor_files))
    }

    /// The files of `vendor` to change (tests, tools that assemble a corpus in memory).
    pub fn files_mut(&mut self, vendor: Vendor) -> &mut Vec<SourceFile> {
        // `vendor_files` has one slot per vendor, so the index is always in range.
        &mut self.vendor_files[vendor.index()]
    }

    /// The embedded demo corpus.
    pub fn demo() -> Corpus {
        let mut corpus = Corpus {
            origin: "demo (embedded)".to_owned(),
            ..Corpus::default()
        };
        let mut stack = vec![&DEMO];
        while let Some(dir) = stack.pop() {
            for entry in dir.entries() {
                match entry {
                    include_dir::DirEntry::Dir(d) => stack.push(d),
                    include_dir::DirEntry::File(f) => {
                        let path = f.path().to_string_lossy().replace('\\', "/");
                        corpus.admit(path, f.contents().to_vec());
                    }
                }
            }
        }
        corpus.sort();
        corpus
    }

    /// Reads every file below `root`. Unreadable files become skipped entries; a missing
    /// root or a root with none of the four folders is an error.
    pub fn read_dir(root: &Path) -> Result<Corpus, CatalogError> {
        if !root.is_dir() {
            return Err(CatalogError::CorpusMissing(root.to_path_buf()));
        }
        let folders: Vec<&str> = Vendor::ALL
            .iter()
            .map(|v| v.info().discovery.folder)
            .chain(["attack"])
            .collect();
        if !folders.iter().any(|f| root.join(f).is_dir()) {
            return Err(CatalogError::CorpusEmpty(root.to_path_buf()));
        }
        let mut corpus = Corpus {
            origin: root.display().to_string(),
            ..Corpus::default()
        };
        let canonical_root = root
            .canonicalize()
            .map_err(|_| CatalogError::CorpusMissing(root.to_path_buf()))?;
        // Walked and read on a pool of its own, with many reads in flight (see
        // [`READS_IN_FLIGHT`]); parsing, which is CPU work, goes back to one thread per core.
        let read = on_io_pool(|| {
            let mut paths: Vec<(String, PathBuf)> = Vec::new();
            // `ctid/` holds threat scores, not rules: read when present, never required.
            for folder in folders.iter().chain(&["ctid"]) {
                corpus.walk(root, &canonical_root, folder, &mut paths);
            }
            use rayon::prelude::*;
            let (bundles, paths): (Vec<_>, Vec<_>) = paths
                .into_iter()
                .partition(|(rel, _)| rel.starts_with("attack/") && rel.ends_with(".json"));
            corpus
                .attack
                .extend(bundles.into_iter().map(|(rel, abs)| AttackFile {
                    path: rel,
                    bytes: AttackBytes::Disk(abs),
                }));
            paths
                .into_par_iter()
                .map(|(rel, abs)| {
                    if !wants_content(&rel) {
                        let len = std::fs::metadata(&abs).map(|m| m.len()).unwrap_or(0);
                        return (rel, Ok(Vec::new()), len);
                    }
                    let limit = if rel.starts_with("attack/") || rel.starts_with("ctid/") {
                        MAX_ATTACK_FILE_BYTES
                    } else {
                        MAX_RULE_FILE_BYTES
                    };
                    let (bytes, len) = read_limited(&abs, limit as u64);
                    (rel, bytes, len)
                })
                .collect::<Vec<(String, std::io::Result<Vec<u8>>, u64)>>()
        });
        for (rel, bytes, len) in read {
            match bytes {
                Ok(bytes) if bytes.is_empty() && len > 0 => corpus.skip_or_admit_large(rel, len),
                Ok(bytes) => corpus.admit(rel, bytes),
                Err(e) => corpus.unreadable(&rel, format!("cannot be read: {e}")),
            }
        }
        corpus.sort();
        Ok(corpus)
    }

    /// Lists the regular files under `root/folder` into `paths`; every other entry is recorded
    /// in `not_read` with its reason. Symlinks are followed only to regular files inside the
    /// corpus root (a vendor folder linked inside the corpus is walked too).
    fn walk(
        &mut self,
        root: &Path,
        canonical_root: &Path,
        folder: &str,
        paths: &mut Vec<(String, PathBuf)>,
    ) {
        let top = root.join(folder);
        let Ok(meta) = std::fs::symlink_metadata(&top) else {
            return; // no such vendor folder
        };
        if meta.file_type().is_symlink() && !inside(&top, canonical_root) {
            self.not_read(folder, symlink_reason(&top, canonical_root));
            return;
        }
        // The folder itself is followed when it is a link (inside the corpus, checked above).
        let walked = match std::fs::metadata(&top) {
            Ok(meta) if meta.is_dir() => walk_dir(&top, folder, canonical_root, 0),
            Ok(meta) => {
                let mut walked = Walked::default();
                walked.entry(folder.to_owned(), top, meta.file_type(), canonical_root);
                walked
            }
            Err(e) => Walked {
                not_read: vec![(folder.to_owned(), format!("cannot be read: {e}"))],
                ..Walked::default()
            },
        };
        paths.extend(walked.files);
        for (rel, reason) in walked.not_read {
            self.not_read(&rel, reason);
        }
    }

    fn not_read(&mut self, rel: &str, reason: String) {
        if let Some(vendor) = Vendor::of_path(rel) {
            self.not_read.push((
                vendor,
                SkippedFile {
                    path: rel.to_owned(),
                    reason,
                },
            ));
        }
    }

    fn skip_or_admit_large(&mut self, rel: String, len: u64) {
        if wants_content(&rel) {
            self.unreadable(
                &rel,
                format!("too large to be a rule ({len} bytes; the limit is {MAX_RULE_FILE_BYTES})"),
            );
        } else {
            self.admit(rel, Vec::new());
        }
    }

    /// Routes one file to its vendor (or to ATT&CK), or records why it is skipped.
    fn admit(&mut self, rel: String, bytes: Vec<u8>) {
        let Some((folder, _)) = rel.split_once('/') else {
            return;
        };
        if folder == "attack" || folder == "ctid" {
            if !rel.ends_with(".json") {
                return;
            }
            if folder == "attack" {
                self.attack.push(AttackFile::in_memory(rel, bytes));
            } else {
                self.ctid.push((rel, bytes));
            }
            return;
        }
        let Some(vendor) = Vendor::of_path(&rel) else {
            return;
        };
        if !wants_content(&rel) {
            let ext = rel.rsplit_once('.').map(|(_, e)| e).unwrap_or("none");
            self.skip(&rel, format!("not a rule file (extension .{ext})"));
            return;
        }
        if bytes.len() > MAX_RULE_FILE_BYTES {
            self.unreadable(
                &rel,
                format!(
                    "too large to be a rule ({} bytes; the limit is {MAX_RULE_FILE_BYTES})",
                    bytes.len()
                ),
            );
            return;
        }
        match String::from_utf8(bytes) {
            Ok(text) => self.files_mut(vendor).push(SourceFile::new(rel, text)),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                self.unreadable(
                    &rel,
                    format!("not UTF-8 text (invalid byte at offset {at}); binary file?"),
                );
            }
        }
    }

    fn skip(&mut self, rel: &str, reason: String) {
        if let Some(vendor) = Vendor::of_path(rel) {
            self.skipped.push((
                vendor,
                SkippedFile {
                    path: rel.to_owned(),
                    reason,
                },
            ));
        }
    }

    fn unreadable(&mut self, rel: &str, reason: String) {
        if let Some(vendor) = Vendor::of_path(rel) {
            self.unreadable.push((
                vendor,
                SkippedFile {
                    path: rel.to_owned(),
                    reason,
                },
            ));
        }
    }

    fn sort(&mut self) {
        for v in Vendor::ALL {
            self.files_mut(v).sort_by(|a, b| a.path.cmp(&b.path));
        }
        self.attack.sort_by(|a, b| a.path.cmp(&b.path));
        self.ctid.sort_by(|a, b| a.0.cmp(&b.0));
        self.skipped.sort_by(|a, b| a.1.path.cmp(&b.1.path));
        self.unreadable.sort_by(|a, b| a.1.path.cmp(&b.1.path));
        self.not_read.sort_by(|a, b| a.1.path.cmp(&b.1.path));
    }
}

/// What the walk of a folder found: the files to read (corpus-relative path, path on disk)
/// and the entries not read, with why.
#[derive(Default)]
struct Walked {
    files: Vec<(String, PathBuf)>,
    not_read: Vec<(String, String)>,
}

impl Walked {
    /// Files one entry that is not a directory: a regular file to read, a symlink to a regular
    /// file inside the corpus to read, or something not read (with why).
    fn entry(
        &mut self,
        rel: String,
        path: PathBuf,
        kind: std::fs::FileType,
        canonical_root: &Path,
    ) {
        if kind.is_symlink() {
            let target_is_file = std::fs::metadata(&path).is_ok_and(|m| m.is_file());
            if target_is_file && inside(&path, canonical_root) {
                self.files.push((rel, path));
            } else {
                let reason = symlink_reason(&path, canonical_root);
                self.not_read.push((rel, reason));
            }
        } else if kind.is_file() {
            self.files.push((rel, path));
        } else {
            let reason = format!("not a regular file ({})", special_kind(&kind));
            self.not_read.push((rel, reason));
        }
    }
}

/// Directory levels below a vendor folder whose subdirectories are walked in parallel; deeper
/// ones are walked in a loop with a stack of their own (a hostile corpus nested thousands of
/// levels deep must not overflow a thread's stack).
const PARALLEL_LEVELS: usize = 4;

/// Walks the directory `dir` (corpus-relative path `rel`, `depth` levels below its vendor
/// folder): its subdirectories in parallel down to [`PARALLEL_LEVELS`]. The order of what is
/// found does not matter (the corpus is sorted by path once read). Walked one directory after
/// the other with each one's entries sorted by name, the walk was a single-threaded stretch at
/// the start of every build (~13 ms for the Sigma corpus' 4,700 files, a quarter of it
/// comparing names; issue 19).
fn walk_dir(dir: &Path, rel: &str, canonical_root: &Path, depth: usize) -> Walked {
    let mut walked = Walked::default();
    let subdirs = list_dir(dir, rel, canonical_root, &mut walked);
    if depth < PARALLEL_LEVELS {
        use rayon::prelude::*;
        let nested: Vec<Walked> = subdirs
            .into_par_iter()
            .map(|(path, rel)| walk_dir(&path, &rel, canonical_root, depth + 1))
            .collect();
        for n in nested {
            walked.files.extend(n.files);
            walked.not_read.extend(n.not_read);
        }
    } else {
        let mut stack = subdirs;
        while let Some((path, rel)) = stack.pop() {
            stack.extend(list_dir(&path, &rel, canonical_root, &mut walked));
        }
    }
    walked
}

/// Lists one directory into `walked` and returns its subdirectories (path, relative path).
fn list_dir(
    dir: &Path,
    rel: &str,
    canonical_root: &Path,
    walked: &mut Walked,
) -> Vec<(PathBuf, String)> {
    let cannot_read = |e: std::io::Error| format!("cannot be read: {e}");
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            walked.not_read.push((rel.to_owned(), cannot_read(e)));
            return Vec::new();
        }
    };
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                walked.not_read.push((rel.to_owned(), cannot_read(e)));
                continue;
            }
        };
        let name = entry.file_name();
        let child = format!("{rel}/{}", name.to_string_lossy().replace('\\', "/"));
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => subdirs.push((entry.path(), child)),
            Ok(kind) => walked.entry(child, entry.path(), kind, canonical_root),
            Err(e) => walked.not_read.push((child, cannot_read(e))),
        }
    }
    subdirs
}

/// Does `path` resolve to something inside the corpus root?
fn inside(path: &Path, canonical_root: &Path) -> bool {
    path.canonicalize()
        .is_ok_and(|target| target.starts_with(canonical_root))
}

fn symlink_reason(link: &Path, canonical_root: &Path) -> String {
    match link.canonicalize() {
        Err(e) => format!("symlink that does not resolve ({e}): not followed"),
        Ok(target) if !target.starts_with(canonical_root) => {
            format!(
                "symlink to {} outside the corpus: not followed",
                target.display()
            )
        }
        Ok(target) if target.is_dir() => {
            "symlink to a directory: not followed (links are followed to files only)".to_owned()
        }
        Ok(_) => "symlink to a special file: not followed".to_owned(),
    }
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "FIFO"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "special file"
}

/// Threads that walk and read the corpus. Its files are small (a few KiB each, ~9,400 of
/// them): on a cold page cache (the first build after a boot, files the kernel has evicted
/// since) every directory listing, open and read waits for the disk, and with one thread per
/// core the build waited for them two at a time: a full build after `drop_caches` took
/// 2.0 s (now 1.4–1.6 s), the Sigma folder alone with its files evicted 0.67–0.77 s (now
/// 0.54–0.58 s; warm ~0.42 s). Threads waiting on the disk cost no CPU, and a warm read is a
/// memory copy whichever thread makes it (warm builds did not move; docs/benchmarks.md).
const READS_IN_FLIGHT: usize = 16;

/// Runs `work` on a rayon pool of [`READS_IN_FLIGHT`] threads (`detcat-read-N`), or on the
/// current pool when one cannot be started.
fn on_io_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(READS_IN_FLIGHT)
        .thread_name(|i| format!("detcat-read-{i}"))
        .build();
    match pool {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// The bytes of a file and its length, or no bytes when it is longer than `limit`: one
/// `open`, one `statx` and the reads. A `metadata` of the path before `std::fs::read` cost a
/// second path lookup and `statx` per file (and `File::read_to_end` asks for the length
/// again, hence the read through `take`); each system call costs microseconds on the VMs
/// the corpus is built on, and there are ~9,400 files.
fn read_limited(path: &Path, limit: u64) -> (std::io::Result<Vec<u8>>, u64) {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return (Err(e), 0),
    };
    let len = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return (Err(e), 0),
    };
    if len > limit {
        return (Ok(Vec::new()), len);
    }
    // The file as long as `statx` said: once `len` bytes are in, `take` ends the read without
    // the system call that would find the end of the file (one per file: ~4,700 on a Sigma
    // corpus). A file that grows while the build reads it is read up to the length it had.
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    let read = (&file).take(len).read_to_end(&mut bytes);
    (read.map(|_| bytes), len)
}

/// Is this a file a parser should see? ATT&CK and CTID JSON, and for a vendor folder what
/// its registry [`Discovery`](detcat_model::Discovery) wants (its rule format plus companions
/// such as lookup tables); everything else (READMEs, LICENSE, .evtx samples, images) is
/// accounted for as skipped.
fn wants_content(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    if lower.starts_with("attack/") || lower.starts_with("ctid/") {
        return lower.ends_with(".json");
    }
    Vendor::of_path(rel).is_some_and(|v| v.info().discovery.wants(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_whole_and_one_over_the_limit_only_measured() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rule.yml");
        let text = "title: t\n".repeat(1000);
        std::fs::write(&path, &text).expect("write");
        let (bytes, len) = read_limited(&path, 1 << 20);
        assert_eq!(len, text.len() as u64);
        assert_eq!(bytes.expect("read"), text.as_bytes());
        let (bytes, len) = read_limited(&path, 10);
        assert_eq!(len, text.len() as u64);
        assert!(bytes.expect("not read").is_empty());
        let empty = dir.path().join("empty.yml");
        std::fs::write(&empty, "").expect("write");
        let (bytes, len) = read_limited(&empty, 10);
        assert_eq!((bytes.expect("read").len(), len), (0, 0));
    }

    #[test]
    fn demo_corpus_has_every_vendor_and_attack() {
        let demo = Corpus::demo();
        assert!(!demo.files(Vendor::Sigma).is_empty(), "demo sigma rules");
        assert!(
            demo.files(Vendor::Sigma)
                .iter()
                .all(|f| f.path.starts_with("sigma/"))
        );
        assert!(!demo.attack.is_empty(), "demo ATT&CK bundle");
        assert_eq!(demo.ctid.len(), 1, "demo CTID scores");
    }

    #[test]
    fn binary_and_foreign_files_are_skipped_with_a_reason() {
        let mut c = Corpus::default();
        c.admit("sigma/rules/bad.yml".into(), vec![0xff, 0xfe, 0x00, 0x41]);
        c.admit("sigma/regression_data/x.evtx".into(), vec![1, 2, 3]);
        c.admit("sigma/rules/ok.yml".into(), b"title: x".to_vec());
        assert_eq!(c.files(Vendor::Sigma).len(), 1);
        assert_eq!(c.unreadable.len(), 1);
        assert!(
            c.unreadable[0].1.reason.contains("not UTF-8"),
            "{:?}",
            c.unreadable
        );
        assert_eq!(c.skipped.len(), 1);
        assert!(c.skipped[0].1.reason.contains(".evtx"), "{:?}", c.skipped);
    }

    #[test]
    fn companion_files_reach_the_parser_and_only_in_their_folder() {
        // Every vendor with companions (lookup tables beside the rules): a companion in its
        // folder is read, the same extension elsewhere and other extensions are skipped.
        for vendor in Vendor::ALL {
            let d = vendor.info().discovery;
            for (dir, ext) in d.companions {
                let mut c = Corpus::default();
                let folder = d.folder;
                let companion = format!("{folder}/{dir}t{ext}");
                let rule = format!("{folder}/{dir}t{}", d.extensions[0]);
                c.admit(companion.clone(), b"a,b\n1,2\n".to_vec());
                c.admit(rule.clone(), b"name: t\n".to_vec());
                c.admit(format!("{folder}/{dir}m.mlmodel"), b"{}".to_vec());
                c.admit(format!("{folder}/other/x{ext}"), b"a\n".to_vec());
                let paths: Vec<&str> = c.files(vendor).iter().map(|f| f.path.as_str()).collect();
                assert_eq!(paths, [companion.as_str(), rule.as_str()]);
                assert_eq!(c.skipped.len(), 2, "{:?}", c.skipped);
            }
        }
    }

    #[test]
    fn every_file_of_a_tree_is_found_at_any_depth_with_its_relative_path() {
        // Wide and deep: the first levels are walked in parallel, the rest with a stack; a
        // tree 300 levels deep must neither overflow a stack nor lose a file.
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let mut expected = Vec::new();
        for dir in ["a", "a/b", "c", "c/d/e"] {
            for name in ["x.yml", "y.yml"] {
                let rel = format!("sigma/{dir}/{name}");
                std::fs::create_dir_all(root.join("sigma").join(dir)).unwrap();
                std::fs::write(root.join(&rel), "title: t\n").unwrap();
                expected.push(rel);
            }
        }
        let deep = "d/".repeat(300);
        std::fs::create_dir_all(root.join("sigma").join(&deep)).unwrap();
        std::fs::write(
            root.join("sigma").join(&deep).join("deep.yml"),
            "title: t\n",
        )
        .unwrap();
        expected.push(format!("sigma/{deep}deep.yml"));
        std::fs::write(root.join("sigma/README.md"), "not a rule").unwrap();
        expected.sort();
        let corpus = Corpus::read_dir(root).unwrap();
        let found: Vec<&str> = corpus
            .files(Vendor::Sigma)
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(found, expected);
        let skipped: Vec<&str> = corpus
            .skipped
            .iter()
            .map(|(_, s)| s.path.as_str())
            .collect();
        assert_eq!(skipped, ["sigma/README.md"]);
        assert!(corpus.not_read.is_empty(), "{:?}", corpus.not_read);
    }

    #[test]
    fn missing_corpus_is_an_error() {
        assert!(matches!(
            Corpus::read_dir(Path::new("/nonexistent/detcat")),
            Err(CatalogError::CorpusMissing(_))
        ));
    }
}
