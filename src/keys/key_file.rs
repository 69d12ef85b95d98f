//! Master key files: base64 text, readable by their owner only.

use std::io::Write;
use std::path::Path;

use secrecy::ExposeSecret;

use crate::crypto::MasterKey;

/// Writes a new random key to `path` (mode 0600), refusing to replace a file. Returns it.
///
/// The key is written whole to a file of its own first and then hard-linked to `path`: the link
/// fails if `path` exists, and a process that finds `path` never reads half a key (replicas
/// started at once on a fresh database each try to create it).
pub fn create(path: &Path) -> std::io::Result<MasterKey> {
    let key = MasterKey::generate();
    let draft = path.with_extension(format!("new-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut file = options.open(&draft)?;
        file.write_all(key.to_base64().expose_secret().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::hard_link(&draft, path)
    })();
    let _ = std::fs::remove_file(&draft);
    written.map(|()| key)
}

/// The key file at `path`, generated now when missing (another process that generates it at
/// the same moment wins, and its key is read).
pub fn create_or_read(path: &Path) -> Result<MasterKey, String> {
    match create(path) {
        Ok(key) => {
            tracing::warn!(
                path = %path.display(),
                master_key = key.id(),
                "generated a master key file for encryption at rest; back it up apart from the database \
                 (without it the stored credentials cannot be read)"
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            MasterKey::from_file(path).map_err(|e| e.to_string())
        }
        Err(e) => Err(format!("cannot create the master key file {}: {e}", path.display())),
    }
}

/// A key file others may read is a key others may have.
pub fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the master key file is readable by others; chmod 600 it");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_private_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.master-key");
        let key = create(&path).unwrap();
        assert_eq!(MasterKey::from_file(&path).unwrap().id(), key.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(create(&path).unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(create_or_read(&path).unwrap().id(), key.id(), "an existing file is read, not replaced");
    }
}
