//! Opening the files cspctl reads (workspace YAML, the sandbox state, Dicker Data exports,
//! saved plans): regular files only, and never more than a stated size. A FIFO, a device or a
//! symlink to `/dev/zero` would otherwise block a CI runner or read until memory runs out, so
//! the kind and size are checked on the opened handle before a byte is read, and the read
//! itself stops at the limit.

use std::fs::{File, OpenOptions};
use std::io::Read as _;
use std::path::Path;

/// Largest workspace YAML file (about 200,000 clients): larger is not hand-written.
pub const WORKSPACE_FILE_LIMIT: u64 = 32 * 1024 * 1024;
/// Largest sandbox state file.
pub const STATE_FILE_LIMIT: u64 = 64 * 1024 * 1024;
/// Largest Annuity Information export (`.csv` or workbook); 20,000 lines are about 5 MB.
pub const EXPORT_FILE_LIMIT: u64 = 64 * 1024 * 1024;
/// Largest saved plan.
pub const SAVED_PLAN_LIMIT: u64 = 64 * 1024 * 1024;

/// Why a file was not read. The message never includes the file's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Opening or reading failed (missing, permission denied, ...).
    #[error("cannot read: {0}")]
    Io(String),
    /// Opening for writing failed (permission denied, missing directory, ...).
    #[error("cannot open for writing: {0}")]
    Write(String),
    /// Not a regular file once links are followed.
    #[error("not a regular file (it is {0}); cspctl reads only regular files")]
    NotRegular(&'static str),
    /// Over the size limit.
    #[error("too large: {size} bytes, the limit is {limit} bytes (see README, \"File limits\")")]
    TooLarge {
        /// Size found (at least `limit + 1` when the file grew while read).
        size: u64,
        /// The limit.
        limit: u64,
    },
}

/// Reads a whole regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let file = open(path, limit)?;
    let mut bytes = Vec::new();
    // A file that grows after the check still stops one byte past the limit.
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| FileError::Io(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { size: bytes.len() as u64, limit });
    }
    Ok(bytes)
}

/// Opens a regular file of at most `limit` bytes for reading. The open never blocks: a FIFO
/// is opened non-blocking and refused by the kind of the opened handle.
pub fn open(path: &Path, limit: u64) -> Result<File, FileError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| FileError::Io(e.to_string()))?;
    let meta = file.metadata().map_err(|e| FileError::Io(e.to_string()))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        return Err(FileError::NotRegular(kind_name(&kind)));
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge { size: meta.len(), limit });
    }
    Ok(file)
}

/// Opens `path` for appending, creating it, as the audit log is: a regular file only once
/// links are followed, and the open never blocks. A FIFO there would otherwise hang `apply`
/// before its first write (or, with a reader, send the trail where nobody keeps it).
pub fn open_append(path: &Path) -> Result<File, FileError> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        // A FIFO nobody reads refuses a non-blocking open for writing with ENXIO.
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ENXIO) {
            return FileError::NotRegular("a FIFO (named pipe)");
        }
        if e.kind() == std::io::ErrorKind::IsADirectory {
            return FileError::NotRegular("a directory");
        }
        FileError::Write(e.to_string())
    })?;
    let kind = file.metadata().map_err(|e| FileError::Write(e.to_string()))?.file_type();
    if !kind.is_file() {
        return Err(FileError::NotRegular(kind_name(&kind)));
    }
    Ok(file)
}

/// What a non-regular file is, for the message.
pub fn kind_name(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() { "a directory" } else { "not a regular file" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_directories_and_oversize_files() {
        assert_eq!(read(Path::new("/dev/zero"), 10), Err(FileError::NotRegular("a character device")));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path(), 10), Err(FileError::NotRegular("a directory")));
        let path = dir.path().join("f");
        std::fs::write(&path, "12345").unwrap();
        assert_eq!(read(&path, 5).unwrap(), b"12345");
        assert_eq!(read(&path, 4), Err(FileError::TooLarge { size: 5, limit: 4 }));
        assert!(matches!(read(&dir.path().join("missing"), 4), Err(FileError::Io(_))));
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipe.yaml");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(read(&path, 10), Err(FileError::NotRegular("a FIFO (named pipe)")));
        assert_eq!(open_append(&path).err(), Some(FileError::NotRegular("a FIFO (named pipe)")));
        // With a reader at the other end the open succeeds; the handle's kind still refuses it.
        let reader = open_fifo_reader(&path);
        assert_eq!(open_append(&path).err(), Some(FileError::NotRegular("a FIFO (named pipe)")));
        drop(reader);
    }

    #[cfg(unix)]
    fn open_fifo_reader(path: &Path) -> File {
        use std::os::unix::fs::OpenOptionsExt as _;
        OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).unwrap()
    }

    #[test]
    fn appends_to_regular_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, "one\n").unwrap();
        use std::io::Write as _;
        writeln!(open_append(&path).unwrap(), "two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        assert_eq!(
            open_append(Path::new("/dev/null")).err(),
            Some(FileError::NotRegular("a character device"))
        );
        assert_eq!(open_append(dir.path()).err(), Some(FileError::NotRegular("a directory")));
        assert!(matches!(open_append(&dir.path().join("missing/audit.jsonl")), Err(FileError::Write(_))));
    }
}
