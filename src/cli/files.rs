//! The files a durable run works on, for the front ends: the state database's lock, the
//! action and reject files with their identity, and the events file that can be recognised
//! again (docs/durability.md).

use nurture::lang::hash::fnv1a;
use nurture::runtime::durable::{Input, Output};
use nurture::runtime::store::{InputMark, OutMark, Store, StoreError, HEAD_BYTES, TAIL_BYTES};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The exclusive right to run on a state database: an OS lock on `DB-lock` beside it, held
/// until the process ends (the OS lets go of it when the process dies, however it dies). The
/// file names the holder, for the message a second run gets.
pub struct StateLock {
    _file: File,
}

impl StateLock {
    pub fn acquire(db: &Path, command: &str) -> Result<StateLock, String> {
        let path = sidecar(db, "-lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| format!("cannot lock the state database {}: {e}", db.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(format!(
                    "{} is in use by another run ({}): wait for it to finish, or give this \
                     run another --state file",
                    db.display(),
                    if holder.is_empty() {
                        "one that has just started"
                    } else {
                        holder
                    }
                ));
            }
            Err(TryLockError::Error(e)) => {
                return Err(format!(
                    "cannot lock the state database {}: {e}",
                    db.display()
                ))
            }
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "this host".to_string());
        let holder = format!(
            "{command}, pid {} on {host}, since {}",
            std::process::id(),
            nurture::lang::format::instant(chrono::Utc::now().timestamp())
        );
        let _ = file
            .set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(holder.as_bytes()));
        Ok(StateLock { _file: file })
    }
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Opens the state database for a run, under its lock: a path that does not exist gets a
/// new database, made under a temporary name and renamed into place, so that a run killed
/// while making it leaves no half-made file behind (and an empty file at the path is then
/// always a damaged state, refused unless `start_empty`).
pub fn open_state(db: &Path, start_empty: bool) -> Result<Store, StoreError> {
    if !db.exists() {
        let fresh = sidecar(db, "-new");
        let _ = std::fs::remove_file(&fresh);
        let _ = std::fs::remove_file(sidecar(&fresh, "-journal"));
        Store::create(&fresh)?;
        std::fs::rename(&fresh, db).map_err(|e| StoreError::Sqlite {
            path: db.to_path_buf(),
            error: format!("cannot create it: {e}"),
        })?;
        let dir = db
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // The rename is durable once the folder is.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Store::open(db, start_empty)
}

/// Which file a path names, when it exists.
struct Identity {
    canonical: PathBuf,
    dev: u64,
    ino: u64,
    len: u64,
    regular: bool,
}

fn identity(path: &Path) -> Option<Identity> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Identity {
        canonical: std::fs::canonicalize(path).ok()?,
        dev: meta.dev(),
        ino: meta.ino(),
        len: meta.len(),
        regular: meta.is_file(),
    })
}

impl Identity {
    fn is(&self, mark: &OutMark) -> bool {
        (self.dev, self.ino) == (mark.dev, mark.ino)
            || self.canonical.to_string_lossy() == mark.path
    }
}

/// FNV-1a 64 of `len` bytes of `file` from `at` (fewer where the file is shorter).
fn hash_range(file: &File, at: u64, len: u64) -> std::io::Result<u64> {
    let mut buf = vec![0u8; len as usize];
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], at + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(fnv1a(&buf[..got]))
}

/// The hash of the bytes before `len` that an [`OutMark`] keeps.
fn tail_hash(file: &File, len: u64) -> std::io::Result<u64> {
    let n = len.min(TAIL_BYTES);
    hash_range(file, len - n, n)
}

/// An output file that a commit syncs and marks, or a device or standard output, which it
/// only flushes.
pub struct ActionFile {
    out: BufWriter<Target>,
    /// For a regular file: its canonical path, device and inode.
    file: Option<(String, u64, u64)>,
    written: u64,
}

enum Target {
    File(File),
    Stdout(std::io::Stdout),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Target::File(f) => f.write(buf),
            Target::Stdout(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Target::File(f) => f.flush(),
            Target::Stdout(s) => s.flush(),
        }
    }
}

impl Output for ActionFile {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn sync(&mut self) -> std::io::Result<Option<OutMark>> {
        self.out.flush()?;
        let (Target::File(f), Some((path, dev, ino))) = (self.out.get_ref(), &self.file) else {
            return Ok(None);
        };
        f.sync_data()?;
        Ok(Some(OutMark {
            path: path.clone(),
            dev: *dev,
            ino: *ino,
            len: self.written,
            tail: tail_hash(f, self.written)?,
        }))
    }
}

/// How the outputs of a run with a state are chosen.
pub struct OutRules {
    /// The last run stopped before the end of its input: the same files must be given.
    pub resuming: bool,
    /// `--out-reset`: new output files from the state's position.
    pub reset: bool,
}

/// Opens an output for a run: `given` is the path (`None` for standard output), `recorded`
/// what the state says of the output at its last commit, `flag` the option's name for the
/// messages. The recorded file, given again, is checked to be as committed, cut back to its
/// committed length and appended to; another file is started empty, unless the last run
/// stopped before its end (its actions after the commit would be in the old file and the new
/// one both), where only `--out-reset` allows it.
pub fn open_output(
    given: Option<&Path>,
    recorded: Option<&OutMark>,
    rules: &OutRules,
    flag: &str,
) -> Result<ActionFile, String> {
    let found = given.and_then(identity);
    let same = match (&found, recorded) {
        (Some(id), Some(r)) => id.is(r),
        _ => false,
    };
    if rules.reset {
        if let Some(r) = recorded.filter(|_| !same) {
            cut_back(r);
        }
    } else if rules.resuming && !same {
        if let Some(r) = recorded {
            return Err(format!(
                "the last run wrote to {} and stopped before the end of its input: give {flag} \
                 {} to finish it (or --out-reset to go on in {} from what the state committed)",
                r.path,
                r.path,
                given.map_or("standard output".to_string(), |p| p.display().to_string())
            ));
        }
    }
    let Some(path) = given else {
        return Ok(ActionFile {
            out: BufWriter::with_capacity(1 << 16, Target::Stdout(std::io::stdout())),
            file: None,
            written: 0,
        });
    };
    let describe = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    if let Some(id) = found.as_ref().filter(|id| !id.regular) {
        // A device or a pipe (`/dev/null`): written, never synced, cut or resumed.
        let _ = id;
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(describe)?;
        return Ok(ActionFile {
            out: BufWriter::with_capacity(1 << 16, Target::File(f)),
            file: None,
            written: 0,
        });
    }
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(describe)?;
    match f.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(format!(
                "{} is being written by another nurture run: give this run another {flag} file",
                path.display()
            ))
        }
        Err(TryLockError::Error(e)) => return Err(describe(e)),
    }
    let keep = match recorded.filter(|_| same && !rules.reset) {
        Some(r) => {
            let len = f.metadata().map_err(describe)?.len();
            if len < r.len || tail_hash(&f, r.len).map_err(describe)? != r.tail {
                return Err(format!(
                    "{} is not as the state committed it ({} bytes{}): it was changed, cut or \
                     replaced since; give the file back as it was, or add --out-reset to start \
                     a new file from the state's position",
                    path.display(),
                    r.len,
                    if len < r.len {
                        format!(", and it now holds {len}")
                    } else {
                        ", ending in other bytes than it does now".to_string()
                    }
                ));
            }
            r.len
        }
        None => 0,
    };
    f.set_len(keep).map_err(describe)?;
    f.seek(SeekFrom::Start(keep)).map_err(describe)?;
    let meta = f.metadata().map_err(describe)?;
    let canonical = std::fs::canonicalize(path).map_err(describe)?;
    Ok(ActionFile {
        out: BufWriter::with_capacity(1 << 16, Target::File(f)),
        file: Some((
            canonical.to_string_lossy().into_owned(),
            meta.dev(),
            meta.ino(),
        )),
        written: keep,
    })
}

/// Cuts a file the state recorded back to its committed length, when it is still the file
/// committed: what a run wrote after its last commit is written again elsewhere.
fn cut_back(r: &OutMark) {
    let path = Path::new(&r.path);
    let Some(id) = identity(path).filter(|id| id.is(r) && id.regular && id.len >= r.len) else {
        return;
    };
    let _ = id;
    if let Ok(f) = OpenOptions::new().read(true).write(true).open(path) {
        if tail_hash(&f, r.len).is_ok_and(|t| t == r.tail) {
            let _ = f.set_len(r.len).and_then(|_| f.sync_data());
        }
    }
}

/// An events file: read through a buffer, and marked by reading its bytes again.
pub struct EventFile {
    reader: BufReader<File>,
}

impl EventFile {
    pub fn open(path: &Path) -> std::io::Result<EventFile> {
        Ok(EventFile {
            reader: BufReader::with_capacity(1 << 16, File::open(path)?),
        })
    }

    pub fn len(&self) -> std::io::Result<u64> {
        Ok(self.reader.get_ref().metadata()?.len())
    }

    pub fn seek_to(&mut self, offset: u64) -> std::io::Result<()> {
        self.reader.seek(SeekFrom::Start(offset)).map(|_| ())
    }
}

impl Read for EventFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reader.read(buf)
    }
}

impl BufRead for EventFile {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.reader.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.reader.consume(n)
    }
}

impl Input for EventFile {
    fn mark(&mut self, offset: u64) -> std::io::Result<Option<InputMark>> {
        let f = self.reader.get_ref();
        let tail = offset.min(TAIL_BYTES);
        Ok(Some(InputMark {
            head: hash_range(f, 0, offset.min(HEAD_BYTES))?,
            tail: hash_range(f, offset - tail, tail)?,
        }))
    }
}

/// Standard input: read once, never marked.
pub struct EventStream<R: BufRead>(pub R);

impl<R: BufRead> Read for EventStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: BufRead> BufRead for EventStream<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.0.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.0.consume(n)
    }
}

impl<R: BufRead> Input for EventStream<R> {
    fn mark(&mut self, _offset: u64) -> std::io::Result<Option<InputMark>> {
        Ok(None)
    }
}
