//! The Annuity Information export as a licence source.
//!
//! Read rules (documented in the README):
//! - `.csv` files are read as CSV; anything else as a workbook whose sheet `DETAILS` holds
//!   the lines;
//! - the header row is the first of the top 50 rows that names the columns TENANT ID,
//!   TENANT NAME, SUBSCRIPTION ID, STOCK CODE, QTY and STATUS (any case); STOCK DESCRIPTION,
//!   REFERENCE, CHARGE TYPE, START USAGE, END USAGE, REVALUATION PERIOD, UNIT PRICE and
//!   UNIT RRP are read when present; other columns are ignored;
//! - values: quantities `275.00` (whole seats only), money `$338.31`, dates `30-AUG-2025`,
//!   or the equivalent typed workbook cells; blank rows are skipped;
//! - any cell that cannot be read fails the whole file, naming file, sheet, row and column:
//!   nothing is planned from a half-read export.

mod cell;
mod columns;
mod error;
mod lines;
mod text;
mod workbook;

use std::path::{Path, PathBuf};

use async_trait::async_trait;

pub use error::ExportError;
pub use lines::Export;

use crate::files;
use crate::live::{Distributor, LiveError};
use crate::model::DistributorSnapshot;

/// Reads a whole export; see the module docs for the rules. Only a regular file within
/// [`files::EXPORT_FILE_LIMIT`] is read.
pub fn read_export(path: &Path) -> Result<Export, ExportError> {
    let file = path.display().to_string();
    let bytes = files::read(path, files::EXPORT_FILE_LIMIT)
        .map_err(|e| ExportError::Open { file: file.clone(), message: e.to_string() })?;
    let extension = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    read_export_bytes(&bytes, &extension, &file)
}

/// Reads an export already in memory: `extension` (lower case, `csv`, `xlsx`, ...) picks
/// the format as the file name would; `file` names it in errors. The same rules as
/// [`read_export`], for callers that hold the bytes (and for fuzzing the reader).
pub fn read_export_bytes(bytes: &[u8], extension: &str, file: &str) -> Result<Export, ExportError> {
    if extension == "csv" { text::read(bytes, file) } else { workbook::read(bytes, extension, file) }
}

/// Dicker Data's Annuity Information export (`.xlsx` or `.csv`) as a [`Distributor`].
/// The file is read afresh on every snapshot.
#[derive(Debug, Clone)]
pub struct DickerDataExport {
    path: PathBuf,
}

impl DickerDataExport {
    /// Uses the export at `path`; fails early when it does not exist, is not a regular file
    /// or is over [`files::EXPORT_FILE_LIMIT`] (checked on the opened handle; nothing read).
    pub fn open(path: &Path) -> Result<Self, LiveError> {
        let source = |message: String| LiveError::Source { path: path.display().to_string(), message };
        if !path.exists() {
            return Err(source(
                "the Annuity Information export does not exist (download it from the Dicker Data portal)"
                    .into(),
            ));
        }
        files::open(path, files::EXPORT_FILE_LIMIT).map_err(|e| source(e.to_string()))?;
        Ok(DickerDataExport { path: path.to_path_buf() })
    }

    /// The export's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl Distributor for DickerDataExport {
    fn name(&self) -> &str {
        "dicker_data export"
    }

    async fn snapshot(&self) -> Result<DistributorSnapshot, LiveError> {
        let path = self.path.clone();
        let export = tokio::task::spawn_blocking(move || read_export(&path)).await.map_err(|e| {
            LiveError::Source { path: self.path.display().to_string(), message: e.to_string() }
        })??;
        Ok(export.snapshot)
    }
}
